//! A log-linear histogram of nanosecond durations: constant memory, and every percentile it
//! reports is within `RELATIVE_ERROR` of the exact nearest-rank percentile.
//!
//! Values below 64 ns get a bucket each. Above, each power of two is split into 64 equal
//! buckets, so a bucket is at most 1/64 of its lower bound wide and its midpoint is within 1/128
//! of any value in it. Durations of 2^48 ns (78 hours) and more share the last bucket; the exact
//! min and max kept beside the histogram bound what it reports.

const SUB_BITS: u32 = 6;
const SUB_BUCKETS: usize = 1 << SUB_BITS;
const MAX_EXPONENT: u32 = 48;
pub(crate) const BUCKETS: usize = (MAX_EXPONENT - SUB_BITS + 1) as usize * SUB_BUCKETS;

/// The largest relative error of a reported percentile: half a bucket over its lower bound.
pub const RELATIVE_ERROR: f64 = 1.0 / (2 * SUB_BUCKETS) as f64;

/// The bucket of `ns`, without a branch (the writer runs it on every record it folds).
///
/// A value from 64 on, with its highest bit at `exponent`, is in row `exponent - 5`, at the
/// column given by its next 6 bits: bucket `(exponent - 5) * 64 + ((ns >> shift) - 64)` with
/// `shift = exponent - 6`, which is `shift * 64 + (ns >> shift)`. Below 64, `shift` is 0 and the
/// bucket `ns` itself: `ns | 64` has its highest bit at 6 exactly then, and at `exponent`
/// otherwise, so it gives `shift` in both cases. Values from 2^48 on are first brought down to
/// 2^48 - 1, whose bucket is the last.
#[inline(always)]
pub(crate) fn bucket_of(ns: u64) -> usize {
    let ns = ns.min((1 << MAX_EXPONENT) - 1);
    let shift = 63 - SUB_BITS - (ns | SUB_BUCKETS as u64).leading_zeros();
    ((shift as usize) << SUB_BITS) + (ns >> shift) as usize
}

/// The midpoint of a bucket: the value reported for any rank that falls in it.
fn bucket_midpoint(bucket: usize) -> u64 {
    if bucket < SUB_BUCKETS {
        return bucket as u64;
    }
    let shift = (bucket / SUB_BUCKETS) as u32 - 1;
    let mantissa = (bucket % SUB_BUCKETS) as u64;
    let low = (SUB_BUCKETS as u64 + mantissa) << shift;
    let width = 1u64 << shift;
    low + width / 2
}

/// Counts per bucket, owned by one thread (the writer, or a merge).
#[derive(Clone)]
pub(crate) struct Histogram {
    counts: Box<[u64]>,
}

impl Histogram {
    pub(crate) fn new() -> Histogram {
        Histogram {
            counts: vec![0; BUCKETS].into_boxed_slice(),
        }
    }

    #[inline]
    pub(crate) fn record(&mut self, ns: u64) {
        self.counts[bucket_of(ns)] += 1;
    }

    pub(crate) fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts.iter()) {
            *mine += theirs;
        }
    }

    /// Nearest-rank percentile (`q` in 0..=1) of `count` recorded values, clamped to the exact
    /// extremes so that p0 and p100 are exact.
    pub(crate) fn percentile(&self, q: f64, count: u64, min: u64, max: u64) -> Option<u64> {
        if count == 0 {
            return None;
        }
        let rank = ((q * count as f64).ceil() as u64).clamp(1, count);
        let mut seen = 0u64;
        for (bucket, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(bucket_midpoint(bucket).clamp(min, max));
            }
        }
        Some(max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact_nearest_rank(sorted: &[u64], q: f64) -> u64 {
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }

    #[test]
    fn small_values_are_exact_and_buckets_are_contiguous() {
        for ns in 0..64 {
            assert_eq!(bucket_of(ns), ns as usize);
            assert_eq!(bucket_midpoint(ns as usize), ns);
        }
        assert_eq!(bucket_of(64), 64);
        assert_eq!(bucket_of(127), 127);
        assert_eq!(bucket_of(128), 128);
        assert_eq!(bucket_of(129), 128);
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
        let mut previous = 63;
        for ns in 64..1 << 20 {
            let bucket = bucket_of(ns);
            assert!(bucket == previous || bucket == previous + 1, "gap at {ns}");
            previous = bucket;
        }
    }

    /// The definition `bucket_of` computes without branches.
    fn bucket_by_definition(ns: u64) -> usize {
        if ns < SUB_BUCKETS as u64 {
            return ns as usize;
        }
        let exponent = 63 - ns.leading_zeros();
        if exponent >= MAX_EXPONENT {
            return BUCKETS - 1;
        }
        let shift = exponent - SUB_BITS;
        let mantissa = (ns >> shift) as usize & (SUB_BUCKETS - 1);
        (exponent - SUB_BITS + 1) as usize * SUB_BUCKETS + mantissa
    }

    #[test]
    fn buckets_follow_the_definition_across_every_power_of_two() {
        for ns in 0..1 << 16 {
            assert_eq!(bucket_of(ns), bucket_by_definition(ns), "{ns}");
        }
        for exponent in 6..64 {
            let power = 1u64 << exponent;
            for ns in [
                power - 1,
                power,
                power + 1,
                power + power / 3,
                power | (power - 1),
            ] {
                assert_eq!(bucket_of(ns), bucket_by_definition(ns), "{ns}");
            }
        }
        assert_eq!(bucket_of((1 << MAX_EXPONENT) - 1), BUCKETS - 1);
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn every_value_is_within_the_stated_error_of_its_bucket_midpoint() {
        let mut ns = 1u64;
        while ns < 1 << 47 {
            for probe in [ns, ns + ns / 3, ns * 2 - 1] {
                let mid = bucket_midpoint(bucket_of(probe)) as f64;
                let error = (mid - probe as f64).abs() / probe as f64;
                assert!(error <= RELATIVE_ERROR, "{probe} -> {mid}: {error}");
            }
            ns *= 3;
        }
    }

    #[test]
    fn percentiles_match_exact_ones_on_known_data() {
        // Durations from 100 ns to ~10 s on a geometric spread, plus a cluster of repeats.
        let mut values: Vec<u64> = (0..10_000u64)
            .map(|i| (100.0 * 1.0018f64.powi(i as i32)) as u64)
            .collect();
        values.extend(std::iter::repeat_n(5_000, 500));
        let mut histogram = Histogram::new();
        for &v in &values {
            histogram.record(v);
        }
        values.sort_unstable();
        let (min, max) = (values[0], *values.last().unwrap());
        for q in [0.0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0] {
            let exact = exact_nearest_rank(&values, q);
            let approx = histogram
                .percentile(q, values.len() as u64, min, max)
                .unwrap();
            let error = (approx as f64 - exact as f64).abs() / exact as f64;
            assert!(error <= RELATIVE_ERROR, "q={q}: {approx} vs {exact}");
        }
        assert_eq!(
            histogram.percentile(0.0, values.len() as u64, min, max),
            Some(min)
        );
        assert_eq!(
            histogram.percentile(1.0, values.len() as u64, min, max),
            Some(max)
        );
    }

    #[test]
    fn empty_histogram_has_no_percentiles() {
        assert_eq!(Histogram::new().percentile(0.5, 0, 0, 0), None);
    }
}
