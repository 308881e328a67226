//! Fork-join over the trainer's per-thread state with `rayon::join`, which keeps its jobs on the
//! stack: unlike `scope.spawn`, dispatching work allocates nothing.

/// Calls `f(i, &mut items[i])` for every item, in parallel on the current rayon pool.
pub fn for_each_indexed<A: Send>(items: &mut [A], f: &(impl Fn(usize, &mut A) + Sync)) {
    split_indexed(items, 0, f);
}

fn split_indexed<A: Send>(items: &mut [A], offset: usize, f: &(impl Fn(usize, &mut A) + Sync)) {
    match items.len() {
        0 => {}
        1 => f(offset, &mut items[0]),
        n => {
            let (left, right) = items.split_at_mut(n / 2);
            rayon::join(
                || split_indexed(left, offset, f),
                || split_indexed(right, offset + n / 2, f),
            );
        }
    }
}

/// Calls `f(&mut a[i], &mut b[i])` for every pair, in parallel on the current rayon pool.
pub fn for_each_pair<A: Send, B: Send>(
    a: &mut [A],
    b: &mut [B],
    f: &(impl Fn(&mut A, &mut B) + Sync),
) {
    assert_eq!(a.len(), b.len());
    match a.len() {
        0 => {}
        1 => f(&mut a[0], &mut b[0]),
        n => {
            let (a_left, a_right) = a.split_at_mut(n / 2);
            let (b_left, b_right) = b.split_at_mut(n / 2);
            rayon::join(
                || for_each_pair(a_left, b_left, f),
                || for_each_pair(a_right, b_right, f),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_visited_once_with_its_index() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let mut items = vec![0usize; 7];
        pool.install(|| for_each_indexed(&mut items, &|i, item| *item += 10 + i));
        assert_eq!(items, [10, 11, 12, 13, 14, 15, 16]);
        let mut other: Vec<usize> = (0..7).collect();
        pool.install(|| for_each_pair(&mut items, &mut other, &|a, b| *b += *a));
        assert_eq!(other, [10, 12, 14, 16, 18, 20, 22]);
    }
}
