//! The values at a few ranks of many durations held in several runs (an operation's exact
//! samples, one run per chunk that read them, or all the runs of a phase's operations), found
//! without concatenating, sorting or reordering the runs: the runs' [`Tallies`] tell the
//! bucket each rank falls in and total the values above the tail rank's bucket; a bucket of
//! equal values gives its value at once, and the others are copied out of the runs in one
//! pass and selected from. Selecting rank after rank in a concatenated copy instead
//! partitions all the values several times and copies them once more.
//!
//! Measured with callgrind (`analyzer report --logs DIR --out OUT --quiet --threads 1` on 2 M
//! rows in the original's format from `cargo run --release -p analyzer --example
//! synthetic_logs -- DIR 2000000 legacy`): the statistics of the operations (`summarize_all`)
//! and of the phases (`build_components`, mostly `summarize_group`) ran 43.0 M + 60.2 M
//! instructions with successive `select_nth_unstable` on concatenated copies; 27.0 M + 28.8 M
//! with a counting pass per operation and per phase; 26.7 M + 2.2 M with the phases'
//! tallies added up from their operations'. Those durations are logged to 10 us, so every
//! bucket holding a rank holds one value and the runs are never read a second time.

use super::tallies::{Tallies, bucket};

/// The values at the requested ranks, and what is needed to total the values above a
/// threshold near the tail rank (see [`OrderStatistics::above`]).
#[derive(Debug)]
pub struct OrderStatistics {
    /// The requested ranks, ascending, and the value at each.
    ranks: Vec<usize>,
    values: Vec<u64>,
    /// The copied buckets in bucket order: the rank of each one's least value, and its values
    /// (reordered by selection).
    copied: Vec<(usize, Copied)>,
    /// Index in `copied` of the tail rank's bucket.
    tail_bucket: usize,
    /// Count and sum of the values in buckets above the tail rank's.
    above_count: u64,
    above_sum: u128,
}

impl OrderStatistics {
    /// The values of `runs` (taken together) at `ranks` (ascending, distinct, each below the
    /// number of values). `tail_rank` is one of `ranks`: [`Self::above`] then totals the values
    /// above a threshold between the value at it and at the next requested rank. `tallies`
    /// are the runs' (without them every value is copied into one bucket: as right, only
    /// slower). Panics when a rank is out of range, `tail_rank` is not one of `ranks` or the
    /// tallies count other values.
    pub fn select(
        runs: &[&[u64]],
        tallies: Option<&Tallies>,
        ranks: &[usize],
        tail_rank: usize,
    ) -> OrderStatistics {
        let total: usize = runs.iter().map(|run| run.len()).sum();
        assert!(
            ranks.windows(2).all(|pair| pair[0] < pair[1])
                && ranks.last().is_none_or(|&last| last < total)
                && ranks.contains(&tail_rank)
                && tallies.is_none_or(|tallies| tallies.count() == total as u64),
            "ranks must ascend, lie below {total} and hold the tail rank; tallies must count the runs"
        );
        let (copied, above_count, above_sum) = match tallies {
            Some(tallies) => copy_rank_buckets(runs, tallies, ranks, tail_rank),
            None => (vec![(0, Copied::Mixed(runs.concat()))], 0, 0),
        };
        let mut selected = OrderStatistics {
            ranks: ranks.to_vec(),
            values: Vec::with_capacity(ranks.len()),
            tail_bucket: bucket_of_rank(&copied, tail_rank),
            copied,
            above_count,
            above_sum,
        };
        selected.settle();
        selected
    }

    /// Selects each rank within its copied bucket, successively (a bucket may hold several).
    fn settle(&mut self) {
        let mut settled = (usize::MAX, 0);
        for &rank in &self.ranks {
            let slot = bucket_of_rank(&self.copied, rank);
            let (first, copied) = &mut self.copied[slot];
            let within = rank - *first;
            let from = if settled.0 == slot { settled.1 } else { 0 };
            let value = match copied {
                Copied::Equal { value, .. } => *value,
                Copied::Mixed(values) => *values[from..].select_nth_unstable(within - from).1,
            };
            self.values.push(value);
            settled = (slot, within + 1);
        }
    }

    /// The value at a requested rank. Panics for a rank that was not requested.
    pub fn value(&self, rank: usize) -> u64 {
        let index = self
            .ranks
            .binary_search(&rank)
            .unwrap_or_else(|_| panic!("rank {rank} was not selected"));
        self.values[index]
    }

    /// The count and sum of the values above `threshold`, which must lie between the value at
    /// the tail rank and the value at the next requested rank (or equal the former when there
    /// is none): then every value between the two lies in a copied bucket.
    pub fn above(&self, threshold: f64) -> (u64, u128) {
        let (mut count, mut sum) = (self.above_count, self.above_sum);
        for (slot, (_, copied)) in self.copied.iter().enumerate() {
            let (values, repeats) = match copied {
                Copied::Equal { value, count } => (std::slice::from_ref(value), *count),
                Copied::Mixed(values) => (values.as_slice(), 1),
            };
            for &value in values {
                let is_above = value as f64 > threshold;
                let (n, total) = (repeats as u64, repeats as u128 * u128::from(value));
                if slot <= self.tail_bucket && is_above {
                    count += n;
                    sum += total;
                } else if slot > self.tail_bucket && !is_above {
                    // Counted among the values above the tail rank's bucket.
                    count -= n;
                    sum -= total;
                }
            }
        }
        (count, sum)
    }
}

/// The values of a bucket that holds a rank: when they are all equal (as durations logged to
/// 10 us often are), only that value and how many.
#[derive(Debug)]
enum Copied {
    Equal { value: u64, count: usize },
    Mixed(Vec<u64>),
}

/// The index of the copied bucket holding `rank`.
fn bucket_of_rank(copied: &[(usize, Copied)], rank: usize) -> usize {
    copied
        .iter()
        .rposition(|&(first, _)| first <= rank)
        .expect("the first copied bucket starts at or below every rank")
}

type Bucketed = (Vec<(usize, Copied)>, u64, u128);

/// Finds the buckets holding the ranks and the total above the tail rank's bucket in the
/// tallies, and copies out the buckets holding the ranks: one of equal values as its value
/// and count, any other by a pass over the runs.
fn copy_rank_buckets(
    runs: &[&[u64]],
    tallies: &Tallies,
    ranks: &[usize],
    tail_rank: usize,
) -> Bucketed {
    // The buckets holding the ranks, ascending: (bucket, rank of its least value, copy).
    let mut targets: Vec<(usize, usize, Copied)> = Vec::with_capacity(ranks.len());
    let mut tail_bucket = 0;
    let mut first = 0usize;
    let mut pending = ranks.iter().copied().peekable();
    for &(index, tally) in tallies.buckets() {
        let end = first + tally.count as usize;
        while let Some(rank) = pending.next_if(|&rank| rank < end) {
            if targets.last().is_none_or(|&(last, _, _)| last != index) {
                let copy = if tally.all_equal() {
                    Copied::Equal {
                        value: tally.least,
                        count: tally.count as usize,
                    }
                } else {
                    Copied::Mixed(Vec::with_capacity(tally.count as usize))
                };
                targets.push((index, first, copy));
            }
            if rank == tail_rank {
                tail_bucket = index;
            }
        }
        first = end;
    }
    let (above_count, above_sum) = tallies
        .buckets()
        .iter()
        .filter(|&&(index, _)| index > tail_bucket)
        .fold((0u64, 0u128), |(count, sum), (_, tally)| {
            (count + tally.count, sum + u128::from(tally.sum))
        });
    copy_mixed_buckets(runs, &mut targets);
    let copied = targets
        .into_iter()
        .map(|(_, first, copy)| (first, copy))
        .collect();
    (copied, above_count, above_sum)
}

/// Copies the values of the targets' mixed buckets out of the runs, in one pass.
fn copy_mixed_buckets(runs: &[&[u64]], targets: &mut [(usize, usize, Copied)]) {
    let mixed = || {
        targets
            .iter()
            .filter(|(_, _, copy)| matches!(copy, Copied::Mixed(_)))
            .map(|&(index, _, _)| index)
    };
    let (Some(lowest), Some(highest)) = (mixed().min(), mixed().max()) else {
        return;
    };
    // Each mixed bucket's index in `targets` plus one (0: not copied), from the lowest on.
    let mut slots = vec![0u8; highest - lowest + 1];
    for (slot, (index, _, copy)) in targets.iter().enumerate() {
        if matches!(copy, Copied::Mixed(_)) {
            slots[index - lowest] = slot as u8 + 1;
        }
    }
    for run in runs {
        for &value in *run {
            if let Some(&slot) = slots.get(bucket(value).wrapping_sub(lowest))
                && slot != 0
                && let Copied::Mixed(values) = &mut targets[usize::from(slot) - 1].2
            {
                values.push(value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xorshift(seed: u64) -> impl FnMut() -> u64 {
        let mut state = seed;
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        }
    }

    /// Against a sorted copy: every rank, and the values above thresholds between the tail
    /// rank's value and the next, for runs of continuous, quantised (many equal) and
    /// heavy-tailed durations, bucketed or not, with wrong bounds too.
    #[test]
    fn matches_a_sorted_copy() {
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        type Draw = fn(u64) -> u64;
        let shapes: [(&str, Draw); 4] = [
            ("continuous", |r| 40_000 + r % 90_000),
            ("quantised", |r| 10_000 * (3 + r % 7)),
            ("heavy tail", |r| 1 + (r % 1_000) * (1 << (r % 23))),
            ("equal", |_| 123_456),
        ];
        for (shape, draw) in shapes {
            for (lengths, bounds_right) in [
                (vec![10], true),
                (vec![3_000, 2_000, 0, 7], true),
                (vec![20_000, 15_000], true),
                (vec![9_000], false),
            ] {
                let runs: Vec<Vec<u64>> = lengths
                    .iter()
                    .map(|&len| (0..len).map(|_| draw(next())).collect())
                    .collect();
                let mut sorted: Vec<u64> = runs.concat();
                sorted.sort_unstable();
                let last = sorted.len() - 1;
                let (min, max) = if bounds_right {
                    (sorted[0], sorted[last])
                } else {
                    (sorted[last / 2], sorted[last / 2])
                };
                let tail = last * 95 / 100;
                let ranks: Vec<usize> = [0, last / 2, tail, (tail + 1).min(last), last]
                    .into_iter()
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let slices: Vec<&[u64]> = runs.iter().map(Vec::as_slice).collect();
                let tallies = Tallies::of(&slices, min, max);
                let inside = min <= sorted[0] && sorted[last] <= max;
                assert_eq!(tallies.is_some(), inside, "{shape} {lengths:?}");
                let selected = OrderStatistics::select(&slices, tallies.as_ref(), &ranks, tail);
                for &rank in &ranks {
                    assert_eq!(selected.value(rank), sorted[rank], "{shape} {lengths:?}");
                }
                let low = sorted[tail] as f64;
                let high = sorted[(tail + 1).min(last)] as f64;
                for threshold in [low, (low + high) / 2.0, high] {
                    let above: Vec<u64> = sorted
                        .iter()
                        .copied()
                        .filter(|&value| value as f64 > threshold)
                        .collect();
                    let expected = (
                        above.len() as u64,
                        above.iter().map(|&value| u128::from(value)).sum(),
                    );
                    assert_eq!(
                        selected.above(threshold),
                        expected,
                        "{shape} {lengths:?} {threshold}"
                    );
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "ranks must ascend")]
    fn a_rank_past_the_end_is_a_bug() {
        OrderStatistics::select(&[&[1, 2, 3]], None, &[1, 3], 1);
    }
}
