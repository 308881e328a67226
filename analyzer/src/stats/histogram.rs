//! A log-linear histogram of nanosecond durations: values below 256 ns are exact, above that
//! each power of two is split into 128 buckets, so a bucket's width is at most 1/128 of its
//! lower bound and its midpoint is within 1/256 (0.39%) of any value in it. Fixed size
//! (7424 counters), so memory stays bounded however long the log.

/// Bits of sub-bucket resolution per power of two.
const SUB_BUCKET_BITS: u32 = 7;
const SUB_BUCKETS: usize = 1 << SUB_BUCKET_BITS;
/// Values below this are counted exactly, one bucket each.
const EXACT_LIMIT: u64 = 2 << SUB_BUCKET_BITS;
const BUCKETS: usize = EXACT_LIMIT as usize + (64 - SUB_BUCKET_BITS as usize - 1) * SUB_BUCKETS;

/// The largest relative error of a value read back from the histogram (bucket midpoints).
pub const RELATIVE_ERROR: f64 = 1.0 / (2 * SUB_BUCKETS) as f64;

#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    counts: Box<[u64]>,
    total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS].into_boxed_slice(),
            total: 0,
        }
    }
}

fn bucket_index(value: u64) -> usize {
    if value < EXACT_LIMIT {
        return value as usize;
    }
    let exponent = 63 - value.leading_zeros();
    let sub_bucket = (value >> (exponent - SUB_BUCKET_BITS)) as usize & (SUB_BUCKETS - 1);
    EXACT_LIMIT as usize
        + (exponent as usize - SUB_BUCKET_BITS as usize - 1) * SUB_BUCKETS
        + sub_bucket
}

/// The value that stands for a bucket: exact below [`EXACT_LIMIT`], else the midpoint.
fn bucket_value(index: usize) -> f64 {
    if index < EXACT_LIMIT as usize {
        return index as f64;
    }
    let offset = index - EXACT_LIMIT as usize;
    let exponent = (offset / SUB_BUCKETS) as u32 + SUB_BUCKET_BITS + 1;
    let sub_bucket = (offset % SUB_BUCKETS) as f64;
    let width = 2f64.powi((exponent - SUB_BUCKET_BITS) as i32);
    (SUB_BUCKETS as f64 + sub_bucket) * width + width / 2.0
}

impl Histogram {
    pub fn record(&mut self, value: u64) {
        self.record_n(value, 1);
    }

    /// Records `count` calls of the same duration.
    pub fn record_n(&mut self, value: u64, count: u64) {
        self.counts[bucket_index(value)] += count;
        self.total += count;
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts.iter()) {
            *mine += theirs;
        }
        self.total += other.total;
    }

    /// The value at rank `round(q * (n - 1))`, clamped to the exact extremes.
    pub fn quantile(&self, q: f64, min: u64, max: u64) -> f64 {
        if self.total == 0 {
            return f64::NAN;
        }
        let rank = (q.clamp(0.0, 1.0) * (self.total - 1) as f64).round() as u64;
        let mut seen = 0u64;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen > rank {
                return bucket_value(index).clamp(min as f64, max as f64);
            }
        }
        max as f64
    }

    /// Sum over recorded values above `threshold` of (value - `baseline`), from bucket values.
    pub fn excess_above(&self, threshold: f64, baseline: f64) -> f64 {
        self.buckets()
            .filter(|&(value, _)| value > threshold)
            .map(|(value, count)| (value - baseline) * count as f64)
            .sum()
    }

    /// Non-empty buckets as (representative value in ns, count), in increasing value order.
    pub fn buckets(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|&(_, &count)| count > 0)
            .map(|(index, &count)| (bucket_value(index), count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_are_exact_and_indices_are_monotonic() {
        for value in 0..EXACT_LIMIT {
            assert_eq!(bucket_value(bucket_index(value)), value as f64);
        }
        let mut previous = 0;
        let mut value = 1u64;
        while let Some(next) = value.checked_add(value / 37 + 1) {
            let index = bucket_index(next);
            assert!(index >= previous, "{next}");
            previous = index;
            value = next;
        }
        assert_eq!(bucket_index(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn every_value_reads_back_within_the_stated_error() {
        let mut value = 1u64;
        while value < u64::MAX / 3 {
            for candidate in [value, value + 1, value * 3 / 2, value * 2 - 1] {
                let read = bucket_value(bucket_index(candidate));
                let error = (read - candidate as f64).abs() / candidate as f64;
                assert!(error <= RELATIVE_ERROR, "{candidate} read as {read}");
            }
            value *= 2;
        }
    }

    #[test]
    fn quantiles_and_tail_excess() {
        let mut histogram = Histogram::default();
        for value in 1..=100u64 {
            histogram.record(value);
        }
        assert_eq!(histogram.total(), 100);
        // Rank round(0.5 * 99) = 50 (0-based) holds 51; all values here are exact buckets.
        assert_eq!(histogram.quantile(0.5, 1, 100), 51.0);
        assert_eq!(histogram.quantile(0.95, 1, 100), 95.0);
        assert_eq!(histogram.quantile(1.0, 1, 100), 100.0);
        assert_eq!(histogram.excess_above(98.0, 50.0), 49.0 + 50.0);
        let mut other = Histogram::default();
        other.record(1_000_000);
        histogram.merge(&other);
        assert_eq!(histogram.total(), 101);
        let top = histogram.quantile(1.0, 1, 1_000_000);
        assert!((top - 1_000_000.0).abs() / 1e6 <= RELATIVE_ERROR);
        assert!(Histogram::default().quantile(0.5, 0, 0).is_nan());
    }
}
