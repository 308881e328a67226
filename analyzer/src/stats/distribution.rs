//! The durations of one operation: every value while there are at most `exact_cap` of them
//! (exact percentiles), then a log-linear histogram (bounded memory, bounded relative error).

use std::sync::OnceLock;

use serde::Serialize;

use super::histogram::Histogram;
use super::order_statistics::OrderStatistics;
use super::tallies::{BucketSet, Tallies};

#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    Exact(ExactValues),
    Histogram(Box<Histogram>),
}

/// Exact durations: those recorded here, then the runs merged in from other chunks, kept
/// apart because appending them would copy every value once more, serially, on the thread
/// that merges the chunks (the statistics read the runs where they are).
#[derive(Clone, Debug, Default)]
pub struct ExactValues {
    recorded: Vec<u64>,
    merged: Vec<Vec<u64>>,
    merged_len: usize,
    /// Made by the first statistics that need them, then read by the phase's and the chart's
    /// (stale, and so not used, if values were recorded since).
    tallies: OnceLock<Option<Tallies>>,
}

/// A merged run shorter than this is appended: copying it costs less than keeping it apart.
const SHORTEST_KEPT_RUN: usize = 1024;

impl ExactValues {
    pub fn len(&self) -> usize {
        self.recorded.len() + self.merged_len
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values, run by run.
    pub fn runs(&self) -> impl Iterator<Item = &[u64]> {
        std::iter::once(self.recorded.as_slice())
            .chain(self.merged.iter().map(Vec::as_slice))
            .filter(|run| !run.is_empty())
    }

    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.runs().flatten().copied()
    }

    /// The values' tallies, made on the first call (`min` and `max`: the least and greatest
    /// value); `None` when the values cannot be tallied (see [`Tallies::of`]).
    pub fn tallies(&self, min: u64, max: u64) -> Option<&Tallies> {
        self.tallies
            .get_or_init(|| Tallies::of(&self.runs().collect::<Vec<_>>(), min, max))
            .as_ref()
            .filter(|tallies| tallies.count() == self.len() as u64)
    }

    /// Adds every value to `histogram`: from the tallies where the statistics made them, a
    /// bucket at a time where its values are all equal.
    fn add_to(&self, histogram: &mut Histogram) {
        let made = self.tallies.get().and_then(Option::as_ref);
        let Some(tallies) = made.filter(|tallies| tallies.count() == self.len() as u64) else {
            for run in self.runs() {
                run.iter().for_each(|&value| histogram.record(value));
            }
            return;
        };
        let mut mixed = Vec::new();
        for &(index, tally) in tallies.buckets() {
            if tally.all_equal() {
                histogram.record_n(tally.least, tally.count);
            } else {
                mixed.push(index);
            }
        }
        if let Some(mixed) = BucketSet::new(&mixed) {
            for run in self.runs() {
                for &value in run {
                    if mixed.holds(value) {
                        histogram.record(value);
                    }
                }
            }
        }
    }

    fn append(&mut self, other: ExactValues) {
        self.tallies = OnceLock::new();
        for run in std::iter::once(other.recorded).chain(other.merged) {
            if run.len() < SHORTEST_KEPT_RUN {
                self.recorded.extend_from_slice(&run);
            } else {
                self.merged_len += run.len();
                self.merged.push(run);
            }
        }
    }
}

impl From<Vec<u64>> for ExactValues {
    fn from(recorded: Vec<u64>) -> Self {
        ExactValues {
            recorded,
            ..ExactValues::default()
        }
    }
}

/// The same values in the same order, however they are split into runs.
impl PartialEq for ExactValues {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Default for Distribution {
    fn default() -> Self {
        Distribution::Exact(ExactValues::default())
    }
}

/// Which method produced the percentiles in a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Exact,
    Histogram,
}

/// Percentiles and tail figures of a distribution, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Percentiles {
    pub median: f64,
    pub p95: f64,
    pub p99: f64,
    /// Sum over calls slower than p95 of (duration - median): what bringing the slow tail
    /// down to the typical call would save.
    pub tail_excess: f64,
    pub method: Method,
}

impl Distribution {
    #[inline]
    pub fn record(&mut self, value: u64, exact_cap: usize) {
        match self {
            Distribution::Exact(values) if values.len() < exact_cap => values.recorded.push(value),
            Distribution::Exact(_) => {
                self.convert_to_histogram();
                self.record(value, exact_cap);
            }
            Distribution::Histogram(histogram) => histogram.record(value),
        }
    }

    fn convert_to_histogram(&mut self) {
        if let Distribution::Exact(values) = self {
            let mut histogram = Box::<Histogram>::default();
            values.add_to(&mut histogram);
            *self = Distribution::Histogram(histogram);
        }
    }

    pub fn len(&self) -> u64 {
        match self {
            Distribution::Exact(values) => values.len() as u64,
            Distribution::Histogram(histogram) => histogram.total(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn method(&self) -> Method {
        match self {
            Distribution::Exact(_) => Method::Exact,
            Distribution::Histogram(_) => Method::Histogram,
        }
    }

    pub fn merge(&mut self, other: Distribution, exact_cap: usize) {
        let fits = self.len() + other.len() <= exact_cap as u64;
        match (&mut *self, other) {
            (Distribution::Exact(mine), Distribution::Exact(theirs)) if fits => mine.append(theirs),
            (_, other) => {
                self.convert_to_histogram();
                let Distribution::Histogram(mine) = self else {
                    unreachable!("converted above")
                };
                match other {
                    Distribution::Exact(values) => values.add_to(mine),
                    Distribution::Histogram(theirs) => mine.merge(&theirs),
                }
            }
        }
    }

    /// Median, p95 and p99 (linear interpolation between order statistics when exact, as numpy
    /// and pandas do; bucket values when from the histogram) and the tail excess. `min` and
    /// `max` are the least and greatest value.
    pub fn percentiles(&self, min: u64, max: u64) -> Option<Percentiles> {
        match self {
            Distribution::Exact(values) => {
                exact_percentiles(&values.runs().collect::<Vec<_>>(), values.tallies(min, max))
            }
            Distribution::Histogram(histogram) => {
                let median = histogram.quantile(0.5, min, max);
                let p95 = histogram.quantile(0.95, min, max);
                let p99 = histogram.quantile(0.99, min, max);
                Some(Percentiles {
                    median,
                    p95,
                    p99,
                    tail_excess: histogram.excess_above(p95, median),
                    method: Method::Histogram,
                })
            }
        }
    }

    /// Adds every value to `histogram` (for charts and phase totals).
    pub fn add_to(&self, histogram: &mut Histogram) {
        match self {
            Distribution::Exact(values) => values.add_to(histogram),
            Distribution::Histogram(theirs) => histogram.merge(theirs),
        }
    }
}

/// Exact percentiles of the values of several runs taken together (`None` for no values),
/// selected with the help of their tallies when there are any.
pub fn exact_percentiles(runs: &[&[u64]], tallies: Option<&Tallies>) -> Option<Percentiles> {
    let count: usize = runs.iter().map(|run| run.len()).sum();
    let last = count.checked_sub(1)?;
    let position = |q: f64| q * last as f64;
    let mut ranks: Vec<usize> = [0.5, 0.95, 0.99]
        .iter()
        .flat_map(|&q| {
            let rank = position(q).floor() as usize;
            [rank, (rank + 1).min(last)]
        })
        .collect();
    ranks.sort_unstable();
    ranks.dedup();
    let tail_rank = position(0.95).floor() as usize;
    let order = OrderStatistics::select(runs, tallies, &ranks, tail_rank);
    let interpolate = |q: f64| {
        let position = position(q);
        let rank = position.floor() as usize;
        let low = order.value(rank) as f64;
        let high = order.value((rank + 1).min(last)) as f64;
        low + (high - low) * (position - rank as f64)
    };
    let median = interpolate(0.5);
    let p95 = interpolate(0.95);
    Some(Percentiles {
        median,
        p95,
        p99: interpolate(0.99),
        tail_excess: tail_excess(runs, tallies.is_some(), &order, median, p95),
        method: Method::Exact,
    })
}

/// The sum over values above p95 of (value - median). For tallied values, summed exactly in
/// integers and rounded once: what adding the terms in f64 gives whenever that is exact (any
/// sum below 2^52 ns, 52 days), in whatever order. Others are added in f64 in the runs' order.
fn tail_excess(
    runs: &[&[u64]],
    tallied: bool,
    order: &OrderStatistics,
    median: f64,
    p95: f64,
) -> f64 {
    // Tallied values lie below 2^52: they, their halves and so the median are exact in f64.
    if tallied {
        let (count, sum) = order.above(p95);
        if count == 0 {
            // What a sum of no f64 terms is (and so what the report has always said).
            return -0.0;
        }
        // The median is a whole or half number: twice it is whole.
        let twice_median = (2.0 * median) as i128;
        let twice_excess = 2 * sum as i128 - i128::from(count) * twice_median;
        return twice_excess as f64 / 2.0;
    }
    runs.iter()
        .flat_map(|run| run.iter())
        .map(|&value| value as f64)
        .filter(|&value| value > p95)
        .map(|value| value - median)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_percentiles_interpolate_like_numpy() {
        let mut distribution = Distribution::default();
        for value in [5u64, 1, 4, 2, 3, 10, 9, 8, 7, 6] {
            distribution.record(value, 100);
        }
        let percentiles = distribution.percentiles(1, 10).unwrap();
        // numpy.percentile([1..10], [50, 95, 99]) = 5.5, 9.55, 9.91
        assert_eq!(percentiles.median, 5.5);
        assert!((percentiles.p95 - 9.55).abs() < 1e-9);
        assert!((percentiles.p99 - 9.91).abs() < 1e-9);
        assert_eq!(percentiles.tail_excess, 10.0 - 5.5);
        assert_eq!(percentiles.method, Method::Exact);
    }

    /// Runs merged from chunks stay apart, and give what numpy gives on all the values at
    /// once: durations to the nanosecond, and logged to 10 us (many equal), bucketed or not.
    #[test]
    fn merged_runs_give_the_percentiles_of_all_values() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for (run_length, resolution) in [(3_000u64, 1u64), (3_000, 10_000), (700, 1)] {
            let mut merged = Distribution::default();
            let mut all = Vec::new();
            for _ in 0..3 {
                let mut chunk = Distribution::default();
                for _ in 0..run_length {
                    let value = (20_000 + next() % 200_000 + (next() % 50) * (next() % 3_000_000))
                        / resolution
                        * resolution;
                    chunk.record(value, 1_000_000);
                    all.push(value);
                }
                merged.merge(chunk, 1_000_000);
            }
            let Distribution::Exact(values) = &merged else {
                panic!("under the cap")
            };
            let runs = if run_length < SHORTEST_KEPT_RUN as u64 {
                1
            } else {
                3
            };
            assert_eq!(values.runs().count(), runs);
            all.sort_unstable();
            let last = all.len() - 1;
            let numpy = |q: f64| {
                let position = q * last as f64;
                let rank = position.floor() as usize;
                let (low, high) = (all[rank] as f64, all[(rank + 1).min(last)] as f64);
                low + (high - low) * (position - rank as f64)
            };
            let (median, p95) = (numpy(0.5), numpy(0.95));
            let tail_excess: f64 = all
                .iter()
                .map(|&value| value as f64)
                .filter(|&value| value > p95)
                .map(|value| value - median)
                .sum();
            let percentiles = merged.percentiles(all[0], all[last]).unwrap();
            assert_eq!(
                (percentiles.median, percentiles.p95, percentiles.p99),
                (median, p95, numpy(0.99))
            );
            assert_eq!(percentiles.tail_excess, tail_excess);
        }
    }

    /// Adding exact values to a histogram from their tallies (equal durations a bucket at a
    /// time) records what adding them one by one does, and so do stale tallies.
    #[test]
    fn tallied_values_add_to_a_histogram_like_each_value() {
        let mut distribution = Distribution::default();
        let values: Vec<u64> = (0..9_000u64)
            .map(|i| {
                if i % 3 == 0 {
                    10_000 * (i % 7 + 1)
                } else {
                    40_000 + i * 13
                }
            })
            .collect();
        values
            .iter()
            .for_each(|&value| distribution.record(value, 100_000));
        let (min, max) = (10_000, 40_000 + 8_999 * 13);
        let one_by_one = |values: &[u64]| {
            let mut histogram = Histogram::default();
            values.iter().for_each(|&value| histogram.record(value));
            histogram
        };
        let Distribution::Exact(exact) = &distribution else {
            panic!("under the cap")
        };
        assert!(exact.tallies(min, max).is_some());
        let mut histogram = Histogram::default();
        distribution.add_to(&mut histogram);
        assert_eq!(histogram, one_by_one(&values));
        distribution.record(123_456, 100_000);
        let mut histogram = Histogram::default();
        distribution.add_to(&mut histogram);
        assert_eq!(histogram, one_by_one(&[values, vec![123_456]].concat()));
    }

    #[test]
    fn single_value_and_empty() {
        let one = Distribution::Exact(vec![7].into());
        let percentiles = one.percentiles(7, 7).unwrap();
        assert_eq!(
            (percentiles.median, percentiles.p95, percentiles.p99),
            (7.0, 7.0, 7.0)
        );
        assert_eq!(percentiles.tail_excess, 0.0);
        assert_eq!(Distribution::default().percentiles(0, 0), None);
    }

    #[test]
    fn switches_to_the_histogram_past_the_cap() {
        let mut distribution = Distribution::default();
        for value in 1..=5 {
            distribution.record(value, 4);
        }
        assert_eq!(distribution.method(), Method::Histogram);
        assert_eq!(distribution.len(), 5);
        assert_eq!(distribution.percentiles(1, 5).unwrap().median, 3.0);
    }

    #[test]
    fn merging_keeps_exact_values_until_the_cap() {
        let mut left = Distribution::Exact(vec![1, 2].into());
        left.merge(Distribution::Exact(vec![3].into()), 3);
        assert_eq!(left, Distribution::Exact(vec![1, 2, 3].into()));
        left.merge(Distribution::Exact(vec![4].into()), 3);
        assert_eq!(left.method(), Method::Histogram);
        assert_eq!(left.len(), 4);
        let mut exact = Distribution::Exact(vec![9].into());
        exact.merge(left, 100);
        assert_eq!(exact.method(), Method::Histogram);
        assert_eq!(exact.len(), 5);
    }
}
