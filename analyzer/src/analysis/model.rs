//! The analysis result: every figure the console, JSON, charts and HTML are made from.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::ingest::dataset::NestingReport;
use crate::ingest::detect::LogFormat;
use crate::ingest::problems::Problem;
use crate::ingest::summary_json::{Site, SummaryShape};
use crate::stats::summary::DurationStats;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ThreadShare {
    pub thread: u32,
    pub name: Option<String>,
    pub count: u64,
    pub total_ms: f64,
    pub self_ms: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OperationReport {
    pub component: String,
    pub operation: String,
    pub phase: String,
    #[serde(flatten)]
    pub stats: DurationStats,
    /// Duration minus the direct children on the call's own thread (children on other threads
    /// are not subtracted by the runtime); `None` where the log has no nesting and none could
    /// be derived.
    pub self_ms: Option<f64>,
    /// The part of self time the thread spent waiting for descendants on other threads
    /// (README "How severity is decided"); `None` where the log has no parent links.
    pub waiting_ms: Option<f64>,
    /// Self time minus waiting (total time where self time is unknown): the time the
    /// operation's own code ran.
    pub own_work_ms: f64,
    /// Own work over the run's own work (all components): the basis of severity and priority.
    pub share: f64,
    /// Own work over its component's own work.
    pub component_share: f64,
    /// Total time over the run's own work (can exceed 1 for parents and across threads).
    pub inclusive_share: f64,
    pub panicked: u64,
    pub cancelled: u64,
    /// Seconds since the component's first call.
    pub first_call_s: f64,
    pub last_end_s: f64,
    pub calls_per_second: Option<f64>,
    pub threads: Vec<ThreadShare>,
    pub sites: Vec<Site>,
}

impl OperationReport {
    /// Own work: the time that is this operation's to save.
    pub fn own_ms(&self) -> f64 {
        self.own_work_ms
    }

    /// Own work per call: the mean duration for an operation without children or waiting.
    pub fn mean_own_ms(&self) -> f64 {
        if self.stats.count > 0 {
            self.own_work_ms / self.stats.count as f64
        } else {
            0.0
        }
    }

    /// Own work over total time (1 when self time is unknown).
    pub fn own_fraction(&self) -> f64 {
        if self.self_ms.is_some() && self.stats.total_ms > 0.0 {
            (self.own_work_ms / self.stats.total_ms).clamp(0.0, 1.0)
        } else {
            1.0
        }
    }

    pub fn label(&self) -> String {
        format!("{}/{}", self.component, self.operation)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PhaseReport {
    pub phase: String,
    pub operations: usize,
    #[serde(flatten)]
    pub stats: DurationStats,
    pub self_ms: Option<f64>,
    pub own_work_ms: f64,
    /// Own work over the run's own work.
    pub share: f64,
    /// Own work over the component's own work.
    pub component_share: f64,
}

/// Where an operation's self time came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SelfTimeSource {
    /// Our format's `self_ms` column.
    Logged,
    /// Legacy logs: nesting derived from START/END intervals.
    DerivedFromIntervals,
    Unavailable,
}

/// What a component's shares are taken of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareBasis {
    /// Self time minus waiting.
    OwnWork,
    /// Total time (self time unavailable).
    TotalTime,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ThreadLoad {
    pub thread: u32,
    pub name: Option<String>,
    pub calls: u64,
    pub self_ms: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventReport {
    pub name: String,
    pub phase: String,
    pub count: u64,
    pub first_at: String,
    pub last_at: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComponentReport {
    pub name: String,
    pub formats: Vec<LogFormat>,
    pub files: Vec<PathBuf>,
    pub total_operations: u64,
    /// Sum of every call's duration (the original's figure; nested calls count twice).
    pub total_time_ms: f64,
    pub avg_operation_duration_ms: f64,
    pub slowest_operation: Option<String>,
    pub slowest_duration_ms: Option<f64>,
    pub self_time_ms: Option<f64>,
    pub self_time: SelfTimeSource,
    pub self_time_note: String,
    /// Waiting for descendants on other threads, summed over operations (`None` without
    /// parent links).
    pub waiting_ms: Option<f64>,
    pub share_basis: ShareBasis,
    /// The component's own work (or total time): its share of the run's basis.
    pub basis_ms: f64,
    pub run_started_at: Option<String>,
    pub run_ended_at: Option<String>,
    /// From the first call's start to the last call's end on the component's timeline.
    pub span_s: f64,
    pub operations: Vec<OperationReport>,
    pub phases: Vec<PhaseReport>,
    pub threads: Vec<ThreadLoad>,
    pub events: Vec<EventReport>,
    /// Operations a summary lists with no call.
    pub never_called: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bottleneck {
    pub component: String,
    pub operation: String,
    pub phase: String,
    pub avg_duration_ms: f64,
    pub severity: Severity,
    pub description: String,
    pub threshold_severity: Option<Severity>,
    pub share_severity: Option<Severity>,
    /// Own work over the run's own work.
    pub share: f64,
    /// Own work over the component's own work (shown, not used for severity).
    pub component_share: f64,
    pub self_ms: Option<f64>,
    pub waiting_ms: Option<f64>,
    pub own_work_ms: f64,
    pub total_ms: f64,
    pub count: u64,
    pub estimated_saving_ms: f64,
    pub saving_rule: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recommendation {
    pub priority: Severity,
    pub component: String,
    pub operation: Option<String>,
    pub category: String,
    pub recommendation: String,
    pub impact: String,
    pub estimated_saving_ms: Option<f64>,
    pub evidence: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trend {
    pub component: String,
    pub operation: String,
    pub phase: String,
    pub samples: usize,
    pub sample_stride: u64,
    pub slope_ms_per_s: f64,
    pub intercept_ms: f64,
    pub r_squared: f64,
    pub t_statistic: f64,
    /// Fitted duration at the component's first and last call.
    pub fitted_start_ms: f64,
    pub fitted_end_ms: f64,
    /// Fitted duration at twice the run's length.
    pub projected_at_twice_run_ms: f64,
    /// Fitted change over the run relative to the mean.
    pub change_over_run: f64,
    pub span_s: f64,
    pub slowing: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModeLabel {
    Main,
    WarmUp,
    PeriodicStall,
    SporadicSlow,
    Fast,
    Secondary,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mode {
    pub label: ModeLabel,
    pub calls_in_sample: usize,
    pub share_of_sample: f64,
    /// Geometric mean of the mode's durations (its k-means centroid in log space).
    pub typical_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    pub first_at_s: f64,
    pub last_at_s: f64,
    /// For periodic stalls: the time between bursts, and the sampled calls per burst.
    pub period_s: Option<f64>,
    pub burst_calls: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OperationModes {
    pub component: String,
    pub operation: String,
    pub phase: String,
    pub samples: usize,
    pub sample_stride: u64,
    pub modes: Vec<Mode>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ThreadBusy {
    pub thread: u32,
    pub name: Option<String>,
    pub busy_ms: f64,
    pub calls: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChildTotal {
    pub component: String,
    pub operation: String,
    pub count: u64,
    pub total_ms: f64,
}

/// How a coordinating operation's time splits against another component it calls into,
/// directly or through intermediate calls, on any thread (figures over the analysed calls).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CoordinationLink {
    pub parent_component: String,
    pub parent_operation: String,
    pub parent_phase: String,
    pub child_component: String,
    /// Coordinating calls analysed (calls with a descendant in `child_component`).
    pub calls: u64,
    /// Calls of the parent operation in the whole run (with or without such descendants).
    pub operation_calls: u64,
    /// The threads the coordinating calls ran on: their number of calls, and the time the
    /// other component's descendants ran on them.
    pub coordinator_threads: Vec<ThreadBusy>,
    /// Duration of the analysed calls.
    pub parent_total_ms: f64,
    /// The part of that duration the sample covers (all of it unless calls cross blocks).
    pub analysed_ms: f64,
    /// At least one descendant in `child_component` ran (on any thread).
    pub inside_ms: f64,
    /// None ran.
    pub overhead_ms: f64,
    /// The coordinator's own thread was blocked on descendants on other threads.
    pub waiting_ms: f64,
    /// Per call, the busiest worker thread minus the workers' mean, summed.
    pub imbalance_ms: f64,
    pub inside_fraction: f64,
    pub overhead_fraction: f64,
    pub waiting_fraction: f64,
    pub imbalance_fraction: f64,
    /// Busy time of every thread other than the coordinator's running its descendants in
    /// `child_component` (`calls`: coordinating calls it worked in).
    pub worker_threads: Vec<ThreadBusy>,
    /// The descendant operations with the most time (nested ones count in each).
    pub top_descendants: Vec<ChildTotal>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CrossComponentReport {
    pub available: bool,
    pub note: String,
    /// Fraction of time blocks in the bounded call-graph sample.
    pub sampled_fraction: f64,
    /// Length of a sampling block.
    pub block_ms: f64,
    pub calls_in_sample: u64,
    pub links: Vec<CoordinationLink>,
    /// Calls whose parent id matches no logged call.
    pub children_without_parent: u64,
}

/// An operation whose calls have children on other threads: how long its thread waits.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OperationWaiting {
    pub component: String,
    pub operation: String,
    pub phase: String,
    /// Calls with children on other threads (in the sample).
    pub calls: u64,
    /// Waiting over all calls (estimated from the sample when it is one).
    pub waiting_ms: f64,
    /// Per call, the busiest worker thread minus the workers' mean, summed (estimated).
    pub imbalance_ms: f64,
    /// The operation's time the sample covers, over its total time.
    pub analysed_fraction: f64,
    /// Busy time of each worker thread running the calls' descendants (estimated).
    pub worker_threads: Vec<ThreadBusy>,
    /// The children that run on other threads.
    pub worker_operations: Vec<ChildTotal>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ThreadImbalance {
    pub component: String,
    pub operation: String,
    pub phase: String,
    pub threads: Vec<ThreadShare>,
    pub max_over_mean: f64,
    pub share: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FileReport {
    pub path: PathBuf,
    pub stem: String,
    pub format: LogFormat,
    pub bytes: u64,
    pub lines: u64,
    pub rows: u64,
    pub header_lines: u64,
    pub problems_total: u64,
    pub problem_counts: BTreeMap<String, u64>,
    pub first_problems: Vec<Problem>,
    pub components: Vec<String>,
    pub nesting: Option<NestingReport>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SummaryReport {
    pub path: PathBuf,
    pub shape: SummaryShape,
    pub component: Option<String>,
    pub matched_component: Option<String>,
    pub operations: usize,
    pub rows_written: Option<u64>,
    pub rows_lost: Option<u64>,
    pub write_errors: Option<u64>,
    pub checks: Vec<String>,
    pub problems_total: u64,
    pub first_problems: Vec<Problem>,
}

/// Data behind the charts that the report does not otherwise hold.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartData {
    /// Per top operation: (label, [(bin's duration in ms, share of calls per decade)]).
    pub distributions: Vec<(String, Vec<(f64, f64)>)>,
    /// Per top operation: (label, [(seconds since the component's first call, ms)]).
    pub timelines: Vec<(String, Vec<(f64, f64)>)>,
}
