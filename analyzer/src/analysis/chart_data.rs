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
            Distribution::Exact(values) => log_bins(
                values.iter().map(|&value| (value as f64, 1)),
                op.min_ns,
                op.max_ns,
            ),
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

/// Bins (value in ns, count) pairs into [`DISTRIBUTION_BINS`] logarithmic bins between min
/// and max: (bin's geometric centre in ms, share of calls per decade of duration), so curves
/// of operations with different ranges compare.
pub fn log_bins(
    values: impl Iterator<Item = (f64, u64)>,
    min_ns: u64,
    max_ns: u64,
) -> Vec<(f64, f64)> {
    let low = (min_ns.max(1) as f64).log10();
    let high = (max_ns.max(1) as f64).log10();
    let width = (high - low) / DISTRIBUTION_BINS as f64;
    let mut counts = vec![0u64; DISTRIBUTION_BINS];
    let mut total = 0;
    for (value, count) in values {
        let bin = if width > 0.0 {
            ((value.max(1.0).log10() - low) / width).floor()
        } else {
            0.0
        };
        counts[bin.clamp(0.0, (DISTRIBUTION_BINS - 1) as f64) as usize] += count;
        total += count;
    }
    if total == 0 {
        return Vec::new();
    }
    if width < 1e-12 {
        return vec![(max_ns as f64 / 1e6, 1.0)];
    }
    counts
        .iter()
        .enumerate()
        .map(|(bin, &count)| {
            (
                10f64.powf(low + (bin as f64 + 0.5) * width) / 1e6,
                count as f64 / total as f64 / width,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
