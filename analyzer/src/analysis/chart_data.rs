//! The data behind the distribution and timeline charts, for the operations that cost most.

use std::collections::HashMap;

use super::components::timeline_origin_ns;
use crate::ingest::dataset::Dataset;
use crate::report::{ChartData, ComponentReport};
use crate::stats::distribution::{Distribution, ExactValues};
use crate::stats::tallies::{BucketSet, bucket_greatest};

/// Operations charted (by own time, over all components).
pub const CHARTED_OPERATIONS: usize = 6;
/// Logarithmic bins of a duration distribution.
pub const DISTRIBUTION_BINS: usize = 40;
/// Points per operation on the timeline chart.
pub const TIMELINE_POINTS: usize = 800;

pub fn collect(dataset: &Dataset, components: &[ComponentReport]) -> ChartData {
    let mut ranked: Vec<_> = components
        .iter()
        .flat_map(|component| component.operations.iter())
        .collect();
    ranked.sort_by(|a, b| b.own_ms().total_cmp(&a.own_ms()));
    let ids: HashMap<(&str, &str, &str), usize> = dataset
        .table
        .keys
        .iter()
        .enumerate()
        .map(|(id, key)| {
            (
                (
                    key.component.as_str(),
                    key.operation.as_str(),
                    key.phase.as_str(),
                ),
                id,
            )
        })
        .collect();
    let mut data = ChartData::default();
    for operation in ranked.into_iter().take(CHARTED_OPERATIONS) {
        let Some(&id) = ids.get(&(
            operation.component.as_str(),
            operation.operation.as_str(),
            operation.phase.as_str(),
        )) else {
            continue;
        };
        let op = &dataset.table.ops[id];
        let bins = match &op.durations {
            Distribution::Exact(values) => exact_log_bins(values, op.min_ns, op.max_ns),
            Distribution::Histogram(histogram) => {
                log_bins(histogram.buckets(), op.min_ns, op.max_ns)
            }
        };
        data.distributions.push((operation.label(), bins));
        let origin = timeline_origin_ns(dataset, &operation.component);
        let samples = op.timeline.strided();
        let step = samples.len().div_ceil(TIMELINE_POINTS).max(1);
        let points = samples
            .iter()
            .step_by(step)
            .map(|call| {
                (
                    (call.start_ns - origin) as f64 / 1e9,
                    call.duration_ns as f64 / 1e6,
                )
            })
            .collect();
        data.timelines.push((operation.label(), points));
    }
    data
}

/// The bins' scale: log10 of the lowest and highest durations and the bins' width.
#[derive(Clone, Copy)]
struct Scale {
    low: f64,
    width: f64,
}

impl Scale {
    fn new(min_ns: u64, max_ns: u64) -> Scale {
        let low = (min_ns.max(1) as f64).log10();
        let high = (max_ns.max(1) as f64).log10();
        Scale {
            low,
            width: (high - low) / DISTRIBUTION_BINS as f64,
        }
    }

    /// The bin of a duration.
    fn bin(&self, value: f64) -> usize {
        let bin = if self.width > 0.0 {
            ((value.max(1.0).log10() - self.low) / self.width).floor()
        } else {
            0.0
        };
        bin.clamp(0.0, (DISTRIBUTION_BINS - 1) as f64) as usize
    }

    /// (bin's geometric centre in ms, share of calls per decade of duration).
    fn densities(&self, counts: &[u64], max_ns: u64) -> Vec<(f64, f64)> {
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return Vec::new();
        }
        if self.width < 1e-12 {
            return vec![(max_ns as f64 / 1e6, 1.0)];
        }
        counts
            .iter()
            .enumerate()
            .map(|(bin, &count)| {
                (
                    10f64.powf(self.low + (bin as f64 + 0.5) * self.width) / 1e6,
                    count as f64 / total as f64 / self.width,
                )
            })
            .collect()
    }
}

/// Bins (value in ns, count) pairs into [`DISTRIBUTION_BINS`] logarithmic bins between min
/// and max: (bin's geometric centre in ms, share of calls per decade of duration), so curves
/// of operations with different ranges compare.
pub fn log_bins(
    values: impl Iterator<Item = (f64, u64)>,
    min_ns: u64,
    max_ns: u64,
) -> Vec<(f64, f64)> {
    let scale = Scale::new(min_ns, max_ns);
    let mut counts = [0u64; DISTRIBUTION_BINS];
    for (value, count) in values {
        counts[scale.bin(value)] += count;
    }
    scale.densities(&counts, max_ns)
}

/// Bin starts, padded with "never" to a power of two for a fixed-step search.
const SEARCHED: usize = DISTRIBUTION_BINS.next_power_of_two();

/// Bins exact durations as [`log_bins`] does: each value's bin found among the durations
/// where the bins start, computed once per bin with the same formula, instead of a logarithm
/// per value. A value so close to a bin's start that rounding in the logarithm could decide
/// is binned by the formula itself, so the counts are the formula's exactly.
struct ExactBinner {
    scale: Scale,
    /// starts[b - 1]: the least duration in min..=max of bin b or above (max + 1 if none).
    starts: [u64; SEARCHED],
    min_ns: u64,
    max_ns: u64,
}

impl ExactBinner {
    /// For durations in `min_ns..=max_ns`, `max_ns` below `u64::MAX / 2`.
    fn new(min_ns: u64, max_ns: u64) -> ExactBinner {
        let scale = Scale::new(min_ns, max_ns);
        // By bisection: the formula does not decrease as the duration grows, up to rounding.
        let mut starts = [u64::MAX; SEARCHED];
        for (bin, start) in (1..DISTRIBUTION_BINS).zip(&mut starts) {
            let (mut low, mut high) = (min_ns, max_ns + 1);
            while low < high {
                let middle = low + (high - low) / 2;
                if scale.bin(middle as f64) >= bin {
                    high = middle;
                } else {
                    low = middle + 1;
                }
            }
            *start = low;
        }
        ExactBinner {
            scale,
            starts,
            min_ns,
            max_ns,
        }
    }

    /// The bin whose start is the last at or below `value`.
    fn searched(&self, value: u64) -> usize {
        let mut bin = 0;
        let mut step = SEARCHED / 2;
        while step > 0 {
            if self.starts[bin + step - 1] <= value {
                bin += step;
            }
            step /= 2;
        }
        bin
    }

    /// How near a bin's start rounding in the logarithm could matter: within a few units
    /// (relative 1e-9 is far more than the logarithm's error).
    fn margin(value: u64) -> u64 {
        (value >> 30) + 4
    }

    /// Whether `bin` holds every duration in `least..=greatest` far from its ends.
    fn holds_far_from_ends(&self, bin: usize, least: u64, greatest: u64) -> bool {
        let margin = Self::margin(greatest);
        let far_from_below = bin == 0 || least - self.starts[bin - 1] > margin;
        let far_from_above = self.starts[bin] - greatest > margin;
        far_from_below && far_from_above && self.min_ns <= least && greatest <= self.max_ns
    }

    fn bin(&self, value: u64) -> usize {
        let bin = self.searched(value);
        if self.holds_far_from_ends(bin, value, value) {
            bin
        } else {
            self.scale.bin(value as f64)
        }
    }

    /// The bin of every duration in `least..=greatest` (at most `max_ns`), if they share one
    /// that each of them would be given by [`Self::bin`].
    fn bin_of_all(&self, least: u64, greatest: u64) -> Option<usize> {
        let bin = self.searched(least);
        (self.searched(greatest) == bin && self.holds_far_from_ends(bin, least, greatest))
            .then_some(bin)
    }
}

/// [`log_bins`] of exact durations (up to the exact cap, a million per operation), binned by
/// [`ExactBinner`]: from their tallies (made for the percentiles) a bucket at a time where a
/// bucket's values all fall in one bin, reading only the others' values.
///
/// Measured with callgrind (`analyzer report --logs DIR --out OUT --quiet --threads 1` on 2 M
/// rows in the original's format from `cargo run --release -p analyzer --example
/// synthetic_logs -- DIR 2000000 legacy`): `chart_data::collect` ran 24.8 M instructions
/// binning every value, 2.1 M from the tallies (every bucket there holds one duration).
pub fn exact_log_bins(values: &ExactValues, min_ns: u64, max_ns: u64) -> Vec<(f64, f64)> {
    if max_ns >= u64::MAX / 2 {
        return log_bins(values.iter().map(|v| (v as f64, 1)), min_ns, max_ns);
    }
    let binner = ExactBinner::new(min_ns, max_ns);
    let mut counts = [0u64; DISTRIBUTION_BINS];
    let Some(tallies) = values.tallies(min_ns, max_ns) else {
        for value in values.iter() {
            counts[binner.bin(value)] += 1;
        }
        return binner.scale.densities(&counts, max_ns);
    };
    let mut straddling = Vec::new();
    for &(index, tally) in tallies.buckets() {
        if tally.all_equal() {
            counts[binner.bin(tally.least)] += tally.count;
            continue;
        }
        let greatest = bucket_greatest(index).min(max_ns);
        match binner.bin_of_all(tally.least, greatest) {
            Some(bin) => counts[bin] += tally.count,
            None => straddling.push(index),
        }
    }
    if let Some(straddling) = BucketSet::new(&straddling) {
        for run in values.runs() {
            for &value in run {
                if straddling.holds(value) {
                    counts[binner.bin(value)] += 1;
                }
            }
        }
    }
    binner.scale.densities(&counts, max_ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact durations binned through the bins' starts (from their tallies, or one by one)
    /// agree with the formula on every value, at bin edges, at the extremes and over ranges
    /// of one to nineteen decades.
    #[test]
    fn exact_bins_agree_with_the_formula() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for (min_ns, max_ns, quantum) in [
            (1_000, 100_000, 1),
            // Logged to 10 us: every bucket of the tallies holds one duration.
            (10_000, 60_000_000, 10_000),
            (0, 1, 1),
            (7, 7, 1),
            (1, u64::MAX, 1),
            (999, 1_001, 1),
            (50_000, 3_000_000_000, 1),
            (u64::MAX - 5, u64::MAX, 1),
        ] {
            let span = max_ns - min_ns;
            let mut values: Vec<u64> = (0..5_000)
                .map(|_| {
                    min_ns
                        + if span == u64::MAX {
                            next()
                        } else {
                            next() % (span + 1)
                        }
                })
                .collect();
            values.extend([min_ns, max_ns]);
            // The durations around every bin's start.
            let scale = Scale::new(min_ns, max_ns);
            for bin in 1..DISTRIBUTION_BINS {
                let start = 10f64.powf(scale.low + bin as f64 * scale.width);
                for delta in -3i128..=3 {
                    let candidate =
                        (start as i128 + delta).clamp(i128::from(min_ns), i128::from(max_ns));
                    values.push(candidate as u64);
                }
            }
            values
                .iter_mut()
                .for_each(|value| *value = *value / quantum * quantum);
            let by_formula = log_bins(values.iter().map(|&v| (v as f64, 1)), min_ns, max_ns);
            // Tallied unless the durations reach 2^52 ns; then binned one by one.
            let exact = ExactValues::from(values);
            assert_eq!(
                exact.tallies(min_ns, max_ns).is_some(),
                max_ns < crate::stats::tallies::TALLIED_BELOW,
            );
            assert_eq!(
                exact_log_bins(&exact, min_ns, max_ns),
                by_formula,
                "{min_ns}..={max_ns}"
            );
        }
    }

    #[test]
    fn bins_are_densities_per_decade() {
        let values = [1_000u64, 10_000, 100_000, 100_000];
        let bins = log_bins(values.iter().map(|&v| (v as f64, 1)), 1_000, 100_000);
        assert_eq!(bins.len(), DISTRIBUTION_BINS);
        // Two decades in 40 bins: each bin is 0.05 decade wide.
        let width = 2.0 / DISTRIBUTION_BINS as f64;
        assert!((bins.iter().map(|(_, density)| density * width).sum::<f64>() - 1.0).abs() < 1e-9);
        assert!((bins[0].1 - 0.25 / width).abs() < 1e-9);
        assert!((bins[DISTRIBUTION_BINS - 1].1 - 0.5 / width).abs() < 1e-9);
        assert_eq!(log_bins([(5.0, 3)].into_iter(), 5, 5), vec![(5e-6, 1.0)]);
        assert!(log_bins(std::iter::empty(), 0, 0).is_empty());
    }
}
