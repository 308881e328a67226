//! Turns accumulators into reported figures (milliseconds), per operation and per phase.

use serde::Serialize;

use super::accumulator::OpAccumulator;
use super::distribution::{Distribution, ExactValues, Method, Percentiles, exact_percentiles};
use super::tallies::Tallies;
use crate::units::ns_to_ms;

/// Duration statistics in milliseconds. Count, total, min, max, mean and standard deviation
/// are always exact; median, p95 and p99 are exact or from the histogram (`statistics`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DurationStats {
    pub count: u64,
    pub total_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    /// Named like the runtime's summary JSON.
    #[serde(rename = "avg_ms")]
    pub mean_ms: f64,
    pub median_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub std_dev_ms: f64,
    /// Sum over calls slower than p95 of (duration - median).
    pub tail_excess_ms: f64,
    pub statistics: Method,
}

/// Exact totals that come with a distribution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Totals {
    pub count: u64,
    pub total_ns: u128,
    pub min_ns: u64,
    pub max_ns: u64,
    pub std_dev_ns: f64,
}

pub fn summarize(totals: Totals, durations: &Distribution) -> Option<DurationStats> {
    if totals.count == 0 {
        return None;
    }
    let percentiles = durations.percentiles(totals.min_ns, totals.max_ns)?;
    Some(stats_of(totals, percentiles))
}

fn stats_of(totals: Totals, percentiles: Percentiles) -> DurationStats {
    DurationStats {
        count: totals.count,
        total_ms: ns_to_ms(totals.total_ns as f64),
        min_ms: ns_to_ms(totals.min_ns as f64),
        max_ms: ns_to_ms(totals.max_ns as f64),
        mean_ms: ns_to_ms(totals.total_ns as f64 / totals.count as f64),
        median_ms: ns_to_ms(percentiles.median),
        p95_ms: ns_to_ms(percentiles.p95),
        p99_ms: ns_to_ms(percentiles.p99),
        std_dev_ms: ns_to_ms(totals.std_dev_ns),
        tail_excess_ms: ns_to_ms(percentiles.tail_excess),
        statistics: percentiles.method,
    }
}

impl OpAccumulator {
    pub fn totals(&self) -> Totals {
        Totals {
            count: self.count,
            total_ns: self.total_ns,
            min_ns: self.min_ns,
            max_ns: self.max_ns,
            std_dev_ns: self.std_dev_ns(),
        }
    }

    /// The operation's statistics.
    pub fn summarize(&self) -> Option<DurationStats> {
        summarize(self.totals(), &self.durations)
    }
}

/// Statistics over several operations (a phase): exact when all of their samples are exact
/// and fit under `exact_cap` together, else from a merged histogram.
pub fn summarize_group(members: &[&OpAccumulator], exact_cap: usize) -> Option<DurationStats> {
    let count: u64 = members.iter().map(|op| op.count).sum();
    if count == 0 {
        return None;
    }
    let totals = Totals {
        count,
        total_ns: members.iter().map(|op| op.total_ns).sum(),
        min_ns: members
            .iter()
            .filter(|op| op.count > 0)
            .map(|op| op.min_ns)
            .min()
            .unwrap_or(0),
        max_ns: members.iter().map(|op| op.max_ns).max().unwrap_or(0),
        std_dev_ns: f64::NAN,
    };
    // The members' exact runs are read where they are, not copied together, and their
    // tallies (made for their own statistics) added up.
    let exact: Option<Vec<(&ExactValues, &OpAccumulator)>> = members
        .iter()
        .map(|op| match &op.durations {
            Distribution::Exact(values) => Some((values, *op)),
            Distribution::Histogram(_) => None,
        })
        .collect();
    let mut stats = match exact {
        Some(exact) if count <= exact_cap as u64 => {
            let runs: Vec<&[u64]> = exact.iter().flat_map(|(values, _)| values.runs()).collect();
            let tallies: Option<Vec<&Tallies>> = exact
                .iter()
                .map(|(values, op)| values.tallies(op.min_ns, op.max_ns))
                .collect();
            let tallies = tallies.and_then(|parts| Tallies::sum(&parts));
            stats_of(totals, exact_percentiles(&runs, tallies.as_ref())?)
        }
        _ => {
            let mut histogram = Box::default();
            for op in members {
                op.durations.add_to(&mut histogram);
            }
            summarize(totals, &Distribution::Histogram(histogram))?
        }
    };
    stats.std_dev_ms = pooled_std_dev_ms(members);
    Some(stats)
}

/// The standard deviation of all calls of several operations, from their counts, means and
/// standard deviations.
fn pooled_std_dev_ms(members: &[&OpAccumulator]) -> f64 {
    let count: f64 = members.iter().map(|op| op.count as f64).sum();
    if count < 2.0 {
        return 0.0;
    }
    let mean: f64 = members.iter().map(|op| op.total_ns as f64).sum::<f64>() / count;
    let squares: f64 = members
        .iter()
        .filter(|op| op.count > 0)
        .map(|op| {
            let n = op.count as f64;
            let sd = op.std_dev_ns();
            (n - 1.0) * sd * sd + n * (op.mean_ns() - mean).powi(2)
        })
        .sum();
    ns_to_ms((squares / (count - 1.0)).max(0.0).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::accumulator::{Call, Limits, Status};

    const LIMITS: Limits = Limits {
        exact_cap: 100,
        timeline_cap: 16,
    };

    fn op(durations_ms: &[u64]) -> OpAccumulator {
        let mut accumulator = OpAccumulator::new(LIMITS);
        for &ms in durations_ms {
            let call = Call {
                duration_ns: ms * 1_000_000,
                self_ns: None,
                start_ns: 0,
                thread: 0,
                status: Status::Ok,
            };
            accumulator.record(call, LIMITS);
        }
        accumulator
    }

    #[test]
    fn operation_statistics_in_milliseconds() {
        let stats = op(&[10, 20, 30, 40]).summarize().unwrap();
        assert_eq!(stats.count, 4);
        assert_eq!(stats.total_ms, 100.0);
        assert_eq!(
            (stats.min_ms, stats.max_ms, stats.mean_ms),
            (10.0, 40.0, 25.0)
        );
        assert_eq!(stats.median_ms, 25.0);
        assert!((stats.p95_ms - 38.5).abs() < 1e-9);
        assert!((stats.std_dev_ms - 12.909944487358056).abs() < 1e-9);
        assert_eq!(stats.tail_excess_ms, 15.0);
        assert_eq!(stats.statistics, Method::Exact);
        assert_eq!(OpAccumulator::new(LIMITS).summarize(), None);
    }

    #[test]
    fn groups_pool_their_calls() {
        let first = op(&[10, 20]);
        let second = op(&[30, 40]);
        let stats = summarize_group(&[&first, &second], 100).unwrap();
        assert_eq!(stats.count, 4);
        assert_eq!(stats.median_ms, 25.0);
        assert_eq!((stats.min_ms, stats.max_ms), (10.0, 40.0));
        assert!((stats.std_dev_ms - 12.909944487358056).abs() < 1e-9);
        let by_histogram = summarize_group(&[&first, &second], 3).unwrap();
        assert_eq!(by_histogram.statistics, Method::Histogram);
        assert_eq!(by_histogram.count, 4);
    }

    /// A phase of large operations (their tallies made by their own statistics and added up)
    /// has the percentiles of one operation holding all their calls, whether their durations
    /// repeat (logged to 10 us) or not.
    #[test]
    fn large_groups_have_the_percentiles_of_all_their_calls() {
        let limits = Limits {
            exact_cap: 100_000,
            timeline_cap: 16,
        };
        let record = |durations: &mut dyn Iterator<Item = u64>| {
            let mut accumulator = OpAccumulator::new(limits);
            for duration_ns in durations {
                let call = Call {
                    duration_ns,
                    self_ns: None,
                    start_ns: 0,
                    thread: 0,
                    status: Status::Ok,
                };
                accumulator.record(call, limits);
            }
            accumulator
        };
        for resolution in [1, 10_000] {
            let duration = |i: u64| {
                (50_000 + (i * 7_919) % 90_000 + (i % 97) * 40_000) / resolution * resolution
            };
            let first = record(&mut (0..6_000).map(duration));
            let second = record(&mut (6_000..9_000).map(duration));
            let whole = record(&mut (0..9_000).map(duration));
            assert!(first.summarize().is_some() && second.summarize().is_some());
            let mut group = summarize_group(&[&first, &second], 100_000).unwrap();
            let mut alone = whole.summarize().unwrap();
            assert_eq!(group.statistics, Method::Exact);
            // Pooled from per-operation figures: equal up to rounding.
            assert!((group.std_dev_ms - alone.std_dev_ms).abs() < 1e-9);
            (group.std_dev_ms, alone.std_dev_ms) = (0.0, 0.0);
            assert_eq!(group, alone, "resolution {resolution}");
        }
    }
}
