//! Live timing: the runtime's statistics so far ([`timed_runtime::snapshot`]) sampled at an
//! interval; the difference of two samples is what each operation did in between (calls,
//! total and self time), which gives its share of the interval's self time and its calls per
//! second. Percentiles cannot be differenced: median and p95 are since the run started. The
//! bottlenecks and recommendations are the analyzer's rules on the sum of the last few
//! intervals ([`analyzer::analysis::live`]).
//!
//! Self time counts a thread blocked on work it handed to other threads as busy (the final
//! report separates that waiting, from the logs' call graph; live statistics cannot).

use analyzer::SeverityThresholds;
use analyzer::analysis::live::{LiveOperation, live_findings};
use analyzer::report::{RecommendationKind, Severity};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};
use timed_runtime::OperationStats;

/// Bottlenecks and recommendations sent with each timing message (the top of each list).
pub const TOP_FINDINGS: usize = 5;

type Key = (&'static str, &'static str, &'static str);

/// One operation's statistics so far, merged over its sites.
#[derive(Clone, Debug, PartialEq)]
pub struct OperationTotals {
    pub component: &'static str,
    pub operation: &'static str,
    pub phase: &'static str,
    pub count: u64,
    pub total: Duration,
    pub self_time: Duration,
    pub panicked: u64,
    pub cancelled: u64,
    pub min: Option<Duration>,
    pub max: Option<Duration>,
    /// Of the operation's busiest site (percentiles of several sites do not merge).
    pub median: Option<Duration>,
    pub p95: Option<Duration>,
    pub p99: Option<Duration>,
}

impl OperationTotals {
    fn key(&self) -> Key {
        (self.component, self.operation, self.phase)
    }
}

/// The snapshot's sites merged per operation (component, name and phase), the called ones.
pub fn operation_totals(stats: &[OperationStats]) -> Vec<OperationTotals> {
    let mut merged: BTreeMap<Key, (u64, OperationTotals)> = BTreeMap::new();
    for s in stats.iter().filter(|s| s.count > 0) {
        let site = s.site;
        let key = (site.component(), site.name(), site.phase());
        let (busiest, totals) = merged.entry(key).or_insert_with(|| {
            (
                0,
                OperationTotals {
                    component: key.0,
                    operation: key.1,
                    phase: key.2,
                    count: 0,
                    total: Duration::ZERO,
                    self_time: Duration::ZERO,
                    panicked: 0,
                    cancelled: 0,
                    min: None,
                    max: None,
                    median: None,
                    p95: None,
                    p99: None,
                },
            )
        });
        totals.count += s.count;
        totals.total += s.total;
        totals.self_time += s.self_time;
        totals.panicked += s.panicked;
        totals.cancelled += s.cancelled;
        totals.min = match (totals.min, s.min) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        totals.max = totals.max.max(s.max);
        if s.count > *busiest {
            *busiest = s.count;
            totals.median = s.median;
            totals.p95 = s.p95;
            totals.p99 = s.p99;
        }
    }
    merged.into_values().map(|(_, totals)| totals).collect()
}

/// What one operation did between two samples.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Delta {
    calls: u64,
    total: Duration,
    self_time: Duration,
}

impl Delta {
    fn add(&mut self, other: Delta) {
        self.calls += other.calls;
        self.total += other.total;
        self.self_time += other.self_time;
    }
}

#[derive(Clone, Debug)]
struct Interval {
    seconds: f64,
    deltas: BTreeMap<Key, Delta>,
}

/// One operation's line in a `timing` message.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OperationTiming {
    pub component: &'static str,
    pub operation: &'static str,
    pub phase: &'static str,
    /// Calls that ended in the interval, and per second.
    pub calls: u64,
    pub calls_per_s: f64,
    /// The interval's self and total time of those calls, in milliseconds.
    pub self_ms: f64,
    pub total_ms: f64,
    /// Its self time over the interval's self time, all operations together.
    pub share: f64,
    /// Mean duration of the interval's calls (`null` without calls).
    pub mean_ms: Option<f64>,
    /// Since the run started.
    pub median_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub count_total: u64,
}

/// A bottleneck as the live page shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LiveBottleneck {
    pub component: String,
    pub operation: String,
    pub severity: Severity,
    pub share: f64,
    pub estimated_saving_ms: f64,
    pub description: String,
}

/// A recommendation as the live page shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LiveRecommendation {
    pub priority: Severity,
    pub category: RecommendationKind,
    pub component: String,
    pub operation: Option<String>,
    pub recommendation: String,
    pub impact: String,
}

/// A `timing` message's fields.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimingBody {
    /// The timing runtime's mode (`off`: nothing is measured).
    pub mode: &'static str,
    /// Seconds between the two samples the operations' figures come from.
    pub interval_s: f64,
    /// Seconds the bottlenecks and recommendations were found on (the last intervals).
    pub window_s: f64,
    /// The interval's self time, all operations together, in milliseconds.
    pub self_ms: f64,
    /// Every operation called so far, by the interval's self time, largest first.
    pub operations: Vec<OperationTiming>,
    pub bottlenecks: Vec<LiveBottleneck>,
    pub recommendations: Vec<LiveRecommendation>,
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Turns successive samples into timing messages.
#[derive(Debug)]
pub struct TimingTracker {
    previous: Option<(Instant, BTreeMap<Key, OperationTotals>)>,
    window: VecDeque<Interval>,
    window_len: usize,
    thresholds: SeverityThresholds,
}

impl TimingTracker {
    /// Findings over the last `window_len` intervals.
    pub fn new(window_len: usize) -> Self {
        TimingTracker {
            previous: None,
            window: VecDeque::new(),
            window_len: window_len.max(1),
            thresholds: SeverityThresholds::default(),
        }
    }

    /// Forgets the samples: the next one starts over (a new run, a new session).
    pub fn reset(&mut self) {
        self.previous = None;
        self.window.clear();
    }

    /// The message of the interval since the previous sample; `None` for the first sample,
    /// and when the statistics went backwards (a new session began: it starts over).
    pub fn sample(
        &mut self,
        now: Instant,
        mode: &'static str,
        totals: Vec<OperationTotals>,
    ) -> Option<TimingBody> {
        let current: BTreeMap<Key, OperationTotals> =
            totals.into_iter().map(|t| (t.key(), t)).collect();
        let (before, previous) = self.previous.replace((now, current))?;
        let (_, current) = self.previous.as_ref().expect("just stored");
        let restarted = previous.iter().any(|(key, old)| {
            current
                .get(key)
                .is_none_or(|new| new.count < old.count || new.self_time < old.self_time)
        });
        if restarted {
            self.window.clear();
            return None;
        }
        let seconds = now.saturating_duration_since(before).as_secs_f64();
        let deltas: BTreeMap<Key, Delta> = current
            .iter()
            .map(|(key, new)| {
                let old = previous.get(key);
                let delta = Delta {
                    calls: new.count - old.map_or(0, |o| o.count),
                    total: new
                        .total
                        .saturating_sub(old.map_or(Duration::ZERO, |o| o.total)),
                    self_time: new
                        .self_time
                        .saturating_sub(old.map_or(Duration::ZERO, |o| o.self_time)),
                };
                (*key, delta)
            })
            .collect();
        let interval_self: Duration = deltas.values().map(|d| d.self_time).sum();
        let mut operations: Vec<OperationTiming> = current
            .iter()
            .map(|(key, totals)| {
                let delta = deltas[key];
                OperationTiming {
                    component: totals.component,
                    operation: totals.operation,
                    phase: totals.phase,
                    calls: delta.calls,
                    calls_per_s: if seconds > 0.0 {
                        delta.calls as f64 / seconds
                    } else {
                        0.0
                    },
                    self_ms: ms(delta.self_time),
                    total_ms: ms(delta.total),
                    share: if interval_self > Duration::ZERO {
                        delta.self_time.as_nanos() as f64 / interval_self.as_nanos() as f64
                    } else {
                        0.0
                    },
                    mean_ms: (delta.calls > 0).then(|| ms(delta.total) / delta.calls as f64),
                    median_ms: totals.median.map(ms),
                    p95_ms: totals.p95.map(ms),
                    count_total: totals.count,
                }
            })
            .collect();
        operations.sort_by(|a, b| {
            b.self_ms
                .total_cmp(&a.self_ms)
                .then_with(|| (a.component, a.operation).cmp(&(b.component, b.operation)))
        });

        if self.window.len() == self.window_len {
            self.window.pop_front();
        }
        self.window.push_back(Interval { seconds, deltas });
        let window_s: f64 = self.window.iter().map(|i| i.seconds).sum();
        let mut summed: BTreeMap<Key, Delta> = BTreeMap::new();
        for interval in &self.window {
            for (key, delta) in &interval.deltas {
                summed.entry(*key).or_default().add(*delta);
            }
        }
        let live: Vec<LiveOperation> = summed
            .iter()
            .map(|(key, delta)| {
                let totals = &current[key];
                LiveOperation {
                    component: key.0.to_string(),
                    operation: key.1.to_string(),
                    phase: key.2.to_string(),
                    calls: delta.calls,
                    total_ms: ms(delta.total),
                    self_ms: ms(delta.self_time),
                    min_ms: totals.min.map(ms),
                    max_ms: totals.max.map(ms),
                    median_ms: totals.median.map(ms),
                    p95_ms: totals.p95.map(ms),
                    p99_ms: totals.p99.map(ms),
                    panicked: totals.panicked,
                    cancelled: totals.cancelled,
                }
            })
            .collect();
        let findings = live_findings(&live, window_s, &self.thresholds);
        Some(TimingBody {
            mode,
            interval_s: seconds,
            window_s,
            self_ms: ms(interval_self),
            operations,
            bottlenecks: findings
                .bottlenecks
                .into_iter()
                .take(TOP_FINDINGS)
                .map(|b| LiveBottleneck {
                    component: b.component,
                    operation: b.operation,
                    severity: b.severity,
                    share: b.share,
                    estimated_saving_ms: b.estimated_saving_ms,
                    description: b.description,
                })
                .collect(),
            recommendations: findings
                .recommendations
                .into_iter()
                .take(TOP_FINDINGS)
                .map(|r| LiveRecommendation {
                    priority: r.priority,
                    category: r.kind,
                    component: r.component,
                    operation: r.operation,
                    recommendation: r.recommendation,
                    impact: r.impact,
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(operation: &'static str, count: u64, self_ms: u64) -> OperationTotals {
        OperationTotals {
            component: "ppo_trainer",
            operation,
            phase: "training",
            count,
            total: Duration::from_millis(self_ms),
            self_time: Duration::from_millis(self_ms),
            panicked: 0,
            cancelled: 0,
            min: Some(Duration::from_micros(500)),
            max: Some(Duration::from_millis(9)),
            median: Some(Duration::from_millis(1)),
            p95: Some(Duration::from_millis(2)),
            p99: None,
        }
    }

    #[test]
    fn an_interval_is_the_difference_of_two_samples() {
        let mut tracker = TimingTracker::new(3);
        let start = Instant::now();
        assert_eq!(
            tracker.sample(
                start,
                "full",
                vec![totals("a", 10, 100), totals("b", 5, 100)]
            ),
            None
        );
        let body = tracker
            .sample(
                start + Duration::from_secs(2),
                "full",
                vec![totals("a", 30, 400), totals("b", 6, 200), totals("c", 4, 0)],
            )
            .unwrap();
        assert_eq!(body.interval_s, 2.0);
        assert_eq!(body.self_ms, 400.0);
        let rows: Vec<(&str, u64, f64, f64, Option<f64>)> = body
            .operations
            .iter()
            .map(|o| (o.operation, o.calls, o.calls_per_s, o.share, o.mean_ms))
            .collect();
        assert_eq!(
            rows,
            [
                ("a", 20, 10.0, 0.75, Some(15.0)),
                ("b", 1, 0.5, 0.25, Some(100.0)),
                ("c", 4, 2.0, 0.0, Some(0.0)),
            ]
        );
        assert_eq!(body.operations[0].median_ms, Some(1.0));
        assert_eq!(body.operations[0].count_total, 30);
        // The analyzer's rules on the window: 300 of 400 ms is a high share.
        assert_eq!(body.bottlenecks[0].operation, "a");
        assert_eq!(body.bottlenecks[0].severity, Severity::High);
        assert_eq!(body.bottlenecks[0].share, 0.75);
    }

    #[test]
    fn findings_sum_the_window_and_a_new_session_starts_over() {
        let mut tracker = TimingTracker::new(2);
        let start = Instant::now();
        let at = |s: u64| start + Duration::from_secs(s);
        tracker.sample(at(0), "full", vec![totals("a", 0, 0), totals("b", 0, 0)]);
        tracker.sample(
            at(1),
            "full",
            vec![totals("a", 10, 900), totals("b", 10, 100)],
        );
        let body = tracker
            .sample(
                at(2),
                "full",
                vec![totals("a", 10, 900), totals("b", 20, 200)],
            )
            .unwrap();
        // The last interval: only b; the window of two: a 900, b 200.
        assert_eq!(body.operations[0].operation, "b");
        assert_eq!(body.operations[0].share, 1.0);
        assert_eq!(body.window_s, 2.0);
        let shares: Vec<(&str, f64)> = body
            .bottlenecks
            .iter()
            .map(|b| (b.operation.as_str(), b.share))
            .collect();
        assert_eq!(shares, [("a", 900.0 / 1100.0), ("b", 200.0 / 1100.0)]);
        // Counts went backwards: a new session, no interval.
        assert_eq!(
            tracker.sample(at(3), "full", vec![totals("a", 1, 10)]),
            None
        );
        assert!(
            tracker
                .sample(at(4), "full", vec![totals("a", 2, 20)])
                .is_some_and(|b| b.window_s == 1.0)
        );
    }
}
