//! The data behind the distribution and timeline charts, for the operations that cost most.

use std::collections::HashMap;

use super::components::timeline_origin_ns;
use crate::ingest::dataset::Dataset;
use crate::report::{ChartData, ComponentReport};
use crate::stats::distribution::Distribution;

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
            Distribution::Exact(values) => exact_log_bins(values.runs(), op.min_ns, op.max_ns),
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

/// [`log_bins`] of exact durations (up to the exact cap, a million per operation): each
/// value's bin found among the durations where the bins start, computed once per bin with
/// the same formula, instead of a logarithm per value. A value so close to a bin's start
/// that rounding in the logarithm could decide is binned by the formula itself, so the
/// counts are the formula's exactly.
pub fn exact_log_bins<'a>(
    runs: impl Iterator<Item = &'a [u64]>,
    min_ns: u64,
    max_ns: u64,
) -> Vec<(f64, f64)> {
    /// Bin starts, padded with "never" to a power of two for a fixed-step search.
    const SEARCHED: usize = DISTRIBUTION_BINS.next_power_of_two();
    let values = runs.flatten().copied();
    if max_ns >= u64::MAX / 2 {
        return log_bins(values.map(|v| (v as f64, 1)), min_ns, max_ns);
    }
    let scale = Scale::new(min_ns, max_ns);
    let bin_of = |value: u64| scale.bin(value as f64);
    // starts[b - 1]: the least duration in min..=max of bin b or above (max + 1 if none),
    // by bisection: the formula does not decrease as the duration grows, up to rounding.
    let mut starts = [u64::MAX; SEARCHED];
    for (bin, start) in (1..DISTRIBUTION_BINS).zip(&mut starts) {
        let (mut low, mut high) = (min_ns, max_ns + 1);
        while low < high {
            let middle = low + (high - low) / 2;
            if bin_of(middle) >= bin {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        *start = low;
    }
    let mut counts = [0u64; DISTRIBUTION_BINS];
    for value in values {
        let mut bin = 0;
        let mut step = SEARCHED / 2;
        while step > 0 {
            if starts[bin + step - 1] <= value {
                bin += step;
            }
            step /= 2;
        }
        // Rounding can only matter within a few units (relative 1e-9 is far more than the
        // logarithm's error) of a bin's start, or outside min..=max.
        let margin = (value >> 30) + 4;
        let near_below = bin > 0 && value - starts[bin - 1] <= margin;
        let near_above = starts[bin] - value <= margin;
        let bin = if near_below || near_above || value < min_ns || value > max_ns {
            bin_of(value)
        } else {
            bin
        };
        counts[bin] += 1;
    }
    scale.densities(&counts, max_ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact durations binned through the bins' starts agree with the formula on every
    /// value, at bin edges, at the extremes and over ranges of one to nineteen decades.
    #[test]
    fn exact_bins_agree_with_the_formula() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for (min_ns, max_ns) in [
            (1_000, 100_000),
            (0, 1),
            (7, 7),
            (1, u64::MAX),
            (999, 1_001),
            (50_000, 3_000_000_000),
            (u64::MAX - 5, u64::MAX),
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
            let by_formula = log_bins(values.iter().map(|&v| (v as f64, 1)), min_ns, max_ns);
            assert_eq!(
                exact_log_bins(std::iter::once(values.as_slice()), min_ns, max_ns),
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
