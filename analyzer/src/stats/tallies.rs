//! Exact tallies of a set of durations per log-linear bucket (count, sum, least value): what
//! an operation's percentiles are selected from ([`super::order_statistics`]), computed once
//! per operation and then added up for its phase and read again for its chart instead of
//! passing over the durations each time. A bucket whose values are all equal (durations
//! logged to 10 us, as the original's are, fill one bucket per value) gives its values
//! without reading them.

/// Sub-buckets per power of two: a bucket spans at most 1/256 of the values in it, so the
/// bucket of a rank holds a small share of the values unless many are equal.
const SUB_BUCKET_BITS: u32 = 8;

/// Added to a value before bucketing, so that values below it get a bucket each.
const OFFSET: u64 = 1 << SUB_BUCKET_BITS;

/// From this many values on, they are counted into a table over every bucket between the
/// least and the greatest; fewer are sorted (a table can have 14,000 buckets).
const TABLE_MIN_VALUES: usize = 4096;

/// The log-linear bucket of a value: the exponent and leading eight mantissa bits of
/// `value + 256` as an f64 (exact below 2^53, rounded monotonically above), a conversion and
/// a shift where computing them from the leading zeros takes a branch and five more
/// operations. Never decreases as the value grows, so ranks map to buckets in order; values
/// from 2^63 - 256 up (never durations) land above every other value's bucket.
#[inline]
pub fn bucket(value: u64) -> usize {
    let shifted = value.saturating_add(OFFSET) as i64;
    ((shifted as f64).to_bits() >> (f64::MANTISSA_DIGITS - 1 - SUB_BUCKET_BITS)) as usize
}

/// Values are tallied below this (2^52 ns, 52 days), where buckets are in order and the
/// values and their halves are exact in f64.
pub const TALLIED_BELOW: u64 = 1 << 52;

/// The greatest value in the bucket of a value below [`TALLIED_BELOW`].
pub fn bucket_greatest(bucket: usize) -> u64 {
    let next_least =
        f64::from_bits(((bucket + 1) as u64) << (f64::MANTISSA_DIGITS - 1 - SUB_BUCKET_BITS));
    next_least as u64 - 1 - OFFSET
}

/// The values of one bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tally {
    pub count: u64,
    pub sum: u64,
    pub least: u64,
}

impl Tally {
    /// All its values are equal: they add up to as many times the least.
    pub fn all_equal(&self) -> bool {
        u128::from(self.sum) == u128::from(self.count) * u128::from(self.least)
    }
}

/// The non-empty buckets of a set of values, ascending. Their sums never overflow: the
/// values' total is below 2^64.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tallies {
    buckets: Vec<(usize, Tally)>,
    count: u64,
}

impl Tallies {
    /// Tallies the values of `runs`, which lie in `min..=max`. `None` when one does not (or,
    /// from [`TABLE_MIN_VALUES`] values on, lies outside those bounds' buckets), when
    /// `max` reaches [`TALLIED_BELOW`] or when their total could reach 2^64 (then they are
    /// selected from without tallies).
    pub fn of(runs: &[&[u64]], min: u64, max: u64) -> Option<Tallies> {
        let count: usize = runs.iter().map(|run| run.len()).sum();
        if min > max
            || max >= TALLIED_BELOW
            || u128::from(max) * count as u128 > u128::from(u64::MAX)
        {
            return None;
        }
        let buckets = if count < TABLE_MIN_VALUES {
            sorted_tallies(runs, min, max)?
        } else {
            table_tallies(runs, min, max)?
        };
        Some(Tallies {
            buckets,
            count: count as u64,
        })
    }

    /// The tallies of several sets taken together; `None` if their total could reach 2^64.
    pub fn sum(parts: &[&Tallies]) -> Option<Tallies> {
        let mut buckets: Vec<(usize, Tally)> = parts
            .iter()
            .flat_map(|part| part.buckets.iter().copied())
            .collect();
        buckets.sort_by_key(|&(bucket, _)| bucket);
        let mut total = 0u64;
        let mut summed: Vec<(usize, Tally)> = Vec::with_capacity(buckets.len());
        for (bucket, tally) in buckets {
            total = total.checked_add(tally.sum)?;
            match summed.last_mut() {
                Some((last, kept)) if *last == bucket => {
                    kept.count += tally.count;
                    kept.sum += tally.sum;
                    kept.least = kept.least.min(tally.least);
                }
                _ => summed.push((bucket, tally)),
            }
        }
        Some(Tallies {
            buckets: summed,
            count: parts.iter().map(|part| part.count).sum(),
        })
    }

    /// How many values.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The non-empty buckets, ascending.
    pub fn buckets(&self) -> &[(usize, Tally)] {
        &self.buckets
    }
}

/// Some buckets (ascending), to pick out their values in a pass over the runs.
pub struct BucketSet {
    lowest: usize,
    members: Vec<bool>,
}

impl BucketSet {
    /// `None` for no buckets.
    pub fn new(ascending: &[usize]) -> Option<BucketSet> {
        let (&lowest, &highest) = (ascending.first()?, ascending.last()?);
        let mut members = vec![false; highest - lowest + 1];
        ascending
            .iter()
            .for_each(|&index| members[index - lowest] = true);
        Some(BucketSet { lowest, members })
    }

    /// Whether the bucket of `value` is in the set.
    #[inline]
    pub fn holds(&self, value: u64) -> bool {
        self.members
            .get(bucket(value).wrapping_sub(self.lowest))
            .is_some_and(|&member| member)
    }
}

/// Few values: sorted, then tallied bucket by bucket.
fn sorted_tallies(runs: &[&[u64]], min: u64, max: u64) -> Option<Vec<(usize, Tally)>> {
    let mut values = runs.concat();
    if values.iter().any(|&value| value < min || value > max) {
        return None;
    }
    values.sort_unstable();
    let mut buckets: Vec<(usize, Tally)> = Vec::new();
    for value in values {
        let index = bucket(value);
        match buckets.last_mut() {
            Some((last, tally)) if *last == index => {
                tally.count += 1;
                tally.sum += value;
            }
            _ => buckets.push((
                index,
                Tally {
                    count: 1,
                    sum: value,
                    least: value,
                },
            )),
        }
    }
    Some(buckets)
}

/// Many values: counted into a table over every bucket from the least value's to the
/// greatest's, in one pass.
fn table_tallies(runs: &[&[u64]], min: u64, max: u64) -> Option<Vec<(usize, Tally)>> {
    let base = bucket(min);
    let mut table = Table::new(bucket(max) - base + 1);
    for run in runs {
        table.count(run, base)?;
    }
    Some(
        (0..table.counts.len())
            .filter(|&offset| table.counts[offset] > 0)
            .map(|offset| {
                let tally = Tally {
                    count: table.counts[offset],
                    sum: table.sums[offset],
                    least: table.least[offset],
                };
                (base + offset, tally)
            })
            .collect(),
    )
}

/// The tallies of a range of buckets, a column per field: the counting loop then adds to
/// memory in one instruction per field, where a row per bucket had it load, add and store
/// the count and sum together through vector registers. Callgrind, `analyzer report --logs
/// DIR --out OUT --quiet --threads 1` on 2 M rows in the original's format (logs from `cargo
/// run --release -p analyzer --example synthetic_logs`): `Tallies::of` 26.4 M -> 22.8 M
/// instructions.
struct Table {
    counts: Vec<u64>,
    sums: Vec<u64>,
    least: Vec<u64>,
}

impl Table {
    fn new(buckets: usize) -> Table {
        Table {
            counts: vec![0; buckets],
            sums: vec![0; buckets],
            least: vec![u64::MAX; buckets],
        }
    }

    /// Counts the values of a run; `None` at a value outside the table's buckets (`base` is
    /// the first one's).
    #[inline(never)]
    fn count(&mut self, run: &[u64], base: usize) -> Option<()> {
        let (counts, sums, least) = (
            self.counts.as_mut_slice(),
            &mut self.sums[..],
            &mut self.least[..],
        );
        let sums = &mut sums[..counts.len()];
        let least = &mut least[..counts.len()];
        for &value in run {
            let offset = bucket(value).wrapping_sub(base);
            if offset >= counts.len() {
                return None;
            }
            counts[offset] += 1;
            sums[offset] += value;
            least[offset] = least[offset].min(value);
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            [0, 255, 256, 257, 767, 768, 771, 1 << 40].map(|value| bucket_greatest(bucket(value))),
            [
                0,
                255,
                257,
                257,
                767,
                771,
                771,
                (1 << 40) + (1 << 32) - 1 - OFFSET
            ]
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

    /// Sorting and counting into a table give the same tallies, and summed tallies are those
    /// of all the values; values outside the bounds, or a total that could overflow, give none.
    #[test]
    fn sorted_and_counted_tallies_agree_and_add_up() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let values: Vec<u64> = (0..5_000)
            .map(|_| 10_000 * (1 + next() % 40) + next() % 3 * (next() % 100_000))
            .collect();
        let (min, max) = (*values.iter().min().unwrap(), *values.iter().max().unwrap());
        let counted = Tallies::of(&[&values], min, max).unwrap();
        let (left, right) = values.split_at(1_000);
        let sorted = Tallies::of(&[left], min, max).unwrap();
        assert_eq!(
            sorted_tallies(&[&values], min, max).unwrap(),
            counted.buckets
        );
        let summed = Tallies::sum(&[&sorted, &Tallies::of(&[right], min, max).unwrap()]).unwrap();
        assert_eq!(summed, counted);
        assert_eq!(summed.count(), 5_000);
        assert_eq!(
            summed
                .buckets()
                .iter()
                .map(|(_, tally)| tally.sum)
                .sum::<u64>(),
            values.iter().sum::<u64>()
        );
        assert!(summed.buckets().iter().any(|(_, tally)| tally.all_equal()));
        assert!(summed.buckets().iter().any(|(_, tally)| !tally.all_equal()));
        // Bounds off by more than a bucket, for the table and for sorting.
        assert!(Tallies::of(&[&values], min * 2, max).is_none());
        assert!(Tallies::of(&[&values], min, max / 2).is_none());
        assert!(Tallies::of(&[left], min + 1, max).is_none());
        let large = TALLIED_BELOW - 1;
        assert!(Tallies::of(&[&[large, large]], 0, large).is_some());
        assert!(Tallies::of(&[&[large; 4096]], 0, large).is_some());
        assert!(Tallies::of(&[&[large; 4097]], 0, large).is_none());
        assert_eq!(Tallies::of(&[&[TALLIED_BELOW]], 0, TALLIED_BELOW), None);
    }
}
