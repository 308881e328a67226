//! The values at a few ranks of many durations held in several runs (an operation's exact
//! samples, one run per chunk that read them, or all the runs of a phase's operations), found
//! without concatenating, sorting or reordering the runs: one pass counts the values per
//! log-linear bucket, which tells the bucket each rank falls in; a second pass copies out only
//! those buckets' values and totals every value above one of them (for the tail excess);
//! selection among the copies finishes. Two streaming passes, where selecting rank after rank
//! in a concatenated copy partitions the values several times and copies them once more.
//!
//! Measured with callgrind (`analyzer report --logs DIR --out OUT --quiet --threads 1` on 2 M
//! rows in the original's format from `cargo run --release -p analyzer --example
//! synthetic_logs -- DIR 2000000 legacy`): the statistics of the operations (`summarize_all`)
//! and of the phases (`summarize_group`) ran 43.0 M + 60.2 M instructions with successive
//! `select_nth_unstable` on concatenated copies, and 27.0 M + 28.8 M this way. Those durations
//! are logged to 10 us, so the ranks' buckets hold one value each and the second pass is
//! skipped.

/// Sub-buckets per power of two: a bucket spans at most 1/256 of the values in it, so the
/// bucket of a rank holds a small share of the values unless many are equal.
const SUB_BUCKET_BITS: u32 = 8;

/// Fewer values than this are copied into one bucket: the counting pass would cost more than
/// the selection it saves.
const BUCKETED_MIN_VALUES: usize = 4096;

/// Added to a value before bucketing, so that values below it get a bucket each.
const OFFSET: u64 = 1 << SUB_BUCKET_BITS;

/// The log-linear bucket of a value: the exponent and leading eight mantissa bits of
/// `value + 256` as an f64 (exact below 2^53, rounded monotonically above), a conversion and
/// a shift where computing them from the leading zeros takes a branch and five more
/// operations. Never decreases as the value grows, so ranks map to buckets in order; values
/// from 2^63 - 256 up (never durations) land above every other value's bucket, so outside
/// `min..=max` of the lower ones.
#[inline]
fn bucket(value: u64) -> usize {
    let shifted = value.saturating_add(OFFSET) as i64;
    ((shifted as f64).to_bits() >> (f64::MANTISSA_DIGITS - 1 - SUB_BUCKET_BITS)) as usize
}

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
    /// above a threshold between the value at it and at the next requested rank. `min` and
    /// `max` bound the values (if one lies outside, every value is copied into one bucket:
    /// still right, only slower). Panics when a rank is out of range or `tail_rank` is not one
    /// of `ranks`.
    pub fn select(
        runs: &[&[u64]],
        ranks: &[usize],
        tail_rank: usize,
        min: u64,
        max: u64,
    ) -> OrderStatistics {
        let total: usize = runs.iter().map(|run| run.len()).sum();
        assert!(
            ranks.windows(2).all(|pair| pair[0] < pair[1])
                && ranks.last().is_none_or(|&last| last < total)
                && ranks.contains(&tail_rank),
            "ranks must ascend, lie below {total} and hold the tail rank"
        );
        let bucketed = (total >= BUCKETED_MIN_VALUES && total <= u32::MAX as usize && min <= max)
            .then(|| copy_rank_buckets(runs, ranks, tail_rank, min, max))
            .flatten();
        let (copied, above_count, above_sum) =
            bucketed.unwrap_or_else(|| (vec![(0, Copied::Mixed(runs.concat()))], 0, 0));
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

/// What the counting pass keeps per bucket.
#[derive(Clone, Copy)]
struct BucketTally {
    count: u64,
    sum: u64,
    least: u64,
}

impl BucketTally {
    const EMPTY: BucketTally = BucketTally {
        count: 0,
        sum: 0,
        least: u64::MAX,
    };

    /// All its values are equal: they add up to as many times the least.
    fn all_equal(&self) -> bool {
        u128::from(self.sum) == u128::from(self.count) * u128::from(self.least)
    }
}

/// Tallies the values per bucket, takes the total above the tail rank's bucket from the
/// tallies, and copies out the buckets holding the ranks: a bucket of equal values as its
/// value and count, any other by a second pass. `None` when a value
/// lies outside `min..=max`, or a bucket's sum could overflow.
fn copy_rank_buckets(
    runs: &[&[u64]],
    ranks: &[usize],
    tail_rank: usize,
    min: u64,
    max: u64,
) -> Option<Bucketed> {
    let total: usize = runs.iter().map(|run| run.len()).sum();
    if u128::from(max) * total as u128 > u128::from(u64::MAX) {
        return None;
    }
    let base = bucket(min);
    let mut tallies = vec![BucketTally::EMPTY; bucket(max) - base + 1];
    for run in runs {
        for &value in *run {
            let tally = tallies.get_mut(bucket(value).wrapping_sub(base))?;
            tally.count += 1;
            tally.sum += value;
            tally.least = tally.least.min(value);
        }
    }
    // The buckets holding the ranks, ascending: (bucket, rank of its least value).
    let mut targets: Vec<(usize, usize)> = Vec::with_capacity(ranks.len());
    let mut tail_bucket = 0;
    let mut first = 0usize;
    let mut pending = ranks.iter().copied().peekable();
    for (index, tally) in tallies.iter().enumerate() {
        let end = first + tally.count as usize;
        while let Some(rank) = pending.next_if(|&rank| rank < end) {
            if targets.last().is_none_or(|&(last, _)| last != index) {
                targets.push((index, first));
            }
            if rank == tail_rank {
                tail_bucket = index;
            }
        }
        first = end;
    }
    let (above_count, above_sum) = tallies[tail_bucket + 1..]
        .iter()
        .fold((0u64, 0u128), |(count, sum), tally| {
            (count + tally.count, sum + u128::from(tally.sum))
        });
    let mut copies: Vec<Copied> = targets
        .iter()
        .map(|&(index, _)| {
            let tally = tallies[index];
            if tally.all_equal() {
                Copied::Equal {
                    value: tally.least,
                    count: tally.count as usize,
                }
            } else {
                Copied::Mixed(Vec::with_capacity(tally.count as usize))
            }
        })
        .collect();
    // Each bucket's slot in the copies plus one (0: nothing to copy).
    let mut slots = vec![0u8; tallies.len()];
    let mut any_mixed = false;
    for (slot, (&(index, _), copy)) in targets.iter().zip(&copies).enumerate() {
        if matches!(copy, Copied::Mixed(_)) {
            slots[index] = slot as u8 + 1;
            any_mixed = true;
        }
    }
    if any_mixed {
        for run in runs {
            for &value in *run {
                let slot = slots[bucket(value) - base];
                if slot != 0
                    && let Copied::Mixed(values) = &mut copies[usize::from(slot) - 1]
                {
                    values.push(value);
                }
            }
        }
    }
    let copied = targets
        .iter()
        .map(|&(_, first)| first)
        .zip(copies)
        .collect();
    Some((copied, above_count, above_sum))
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

    #[test]
    fn buckets_never_decrease_and_split_powers_of_two_in_256() {
        // 0..=255 get a bucket each, then two values share one up to 767, then four, ...
        let first = bucket(0);
        for value in 0..256 {
            assert_eq!(bucket(value), first + value as usize);
        }
        assert_eq!(
            [256, 257, 258, 767, 768, 771, 772].map(bucket),
            [256, 256, 257, 511, 512, 512, 513].map(|offset| first + offset)
        );
        let mut previous = 0;
        let mut value = 1u64;
        while let Some(next) = value
            .checked_add(value / 91 + 1)
            .filter(|&next| next < (1 << 63) - OFFSET)
        {
            assert!(bucket(next) >= previous, "{next}");
            previous = bucket(next);
            value = next;
        }
        let highest_duration = bucket((1 << 63) - 257);
        assert!(highest_duration < bucket((1 << 63) - 256));
        assert!(highest_duration < bucket(u64::MAX));
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
                let selected = OrderStatistics::select(&slices, &ranks, tail, min, max);
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
        OrderStatistics::select(&[&[1, 2, 3]], &[1, 3], 1, 1, 3);
    }
}
