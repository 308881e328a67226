//! The durations of one operation: every value while there are at most `exact_cap` of them
//! (exact percentiles), then a log-linear histogram (bounded memory, bounded relative error).

use serde::Serialize;

use super::histogram::Histogram;

#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    Exact(Vec<u64>),
    Histogram(Box<Histogram>),
}

impl Default for Distribution {
    fn default() -> Self {
        Distribution::Exact(Vec::new())
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
            Distribution::Exact(values) if values.len() < exact_cap => values.push(value),
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
            for &value in values.iter() {
                histogram.record(value);
            }
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
            (Distribution::Exact(mine), Distribution::Exact(theirs)) if fits => mine.extend(theirs),
            (_, other) => {
                self.convert_to_histogram();
                let Distribution::Histogram(mine) = self else {
                    unreachable!("converted above")
                };
                match other {
                    Distribution::Exact(values) => {
                        values.iter().for_each(|&value| mine.record(value))
                    }
                    Distribution::Histogram(theirs) => mine.merge(&theirs),
                }
            }
        }
    }

    /// Median, p95 and p99 (linear interpolation between order statistics when exact, as numpy
    /// and pandas do; bucket values when from the histogram) and the tail excess. Reorders the
    /// exact values.
    pub fn percentiles(&mut self, min: u64, max: u64) -> Option<Percentiles> {
        match self {
            Distribution::Exact(values) if values.is_empty() => None,
            Distribution::Exact(values) => Some(exact_percentiles(values)),
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
            Distribution::Exact(values) => values.iter().for_each(|&value| histogram.record(value)),
            Distribution::Histogram(theirs) => histogram.merge(theirs),
        }
    }
}

fn exact_percentiles(values: &mut [u64]) -> Percentiles {
    let last = values.len() - 1;
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
    let order = order_statistics(values, &ranks);
    let value_at =
        |rank: usize| order[ranks.binary_search(&rank).expect("rank was selected")] as f64;
    let interpolate = |q: f64| {
        let position = position(q);
        let rank = position.floor() as usize;
        let low = value_at(rank);
        let high = value_at((rank + 1).min(last));
        low + (high - low) * (position - rank as f64)
    };
    let median = interpolate(0.5);
    let p95 = interpolate(0.95);
    let tail_excess = values
        .iter()
        .map(|&value| value as f64)
        .filter(|&value| value > p95)
        .map(|value| value - median)
        .sum();
    Percentiles {
        median,
        p95,
        p99: interpolate(0.99),
        tail_excess,
        method: Method::Exact,
    }
}

/// The values at the given sorted ranks, by successive selection: O(n) per rank rather than a
/// full sort, which matters when an operation has a million samples.
fn order_statistics(values: &mut [u64], sorted_ranks: &[usize]) -> Vec<u64> {
    let mut settled = 0;
    let mut out = Vec::with_capacity(sorted_ranks.len());
    for &rank in sorted_ranks {
        let (_, &mut value, _) = values[settled..].select_nth_unstable(rank - settled);
        out.push(value);
        settled = rank + 1;
    }
    out
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

    #[test]
    fn single_value_and_empty() {
        let mut one = Distribution::Exact(vec![7]);
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
        let mut left = Distribution::Exact(vec![1, 2]);
        left.merge(Distribution::Exact(vec![3]), 3);
        assert_eq!(left, Distribution::Exact(vec![1, 2, 3]));
        left.merge(Distribution::Exact(vec![4]), 3);
        assert_eq!(left.method(), Method::Histogram);
        assert_eq!(left.len(), 4);
        let mut exact = Distribution::Exact(vec![9]);
        exact.merge(left, 100);
        assert_eq!(exact.method(), Method::Histogram);
        assert_eq!(exact.len(), 5);
    }
}
