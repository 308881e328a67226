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
    /// Time in the operation's own code (duration minus direct children); `None` where
    /// the log has no nesting and none could be derived.
    pub self_ms: Option<f64>,
    /// Fraction of the component's time (self time where known, else total time).
    pub share: f64,
    /// Total time over the same basis (can exceed 1 for parents and across threads).
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
    /// Self time if known, else total: the time that is this operation's to save.
    pub fn own_ms(&self) -> f64 {
        self.self_ms.unwrap_or(self.stats.total_ms)
    }

    /// Self time over total time (1 when self time is unknown).
    pub fn self_fraction(&self) -> f64 {
        match self.self_ms {
            Some(self_ms) if self.stats.total_ms > 0.0 => {
                (self_ms / self.stats.total_ms).clamp(0.0, 1.0)
            }
            _ => 1.0,
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
    pub share: f64,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareBasis {
    SelfTime,
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
    pub share_basis: ShareBasis,
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
    pub share: f64,
    pub self_ms: Option<f64>,
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

/// How a coordinating operation's time splits between another component's work, its own
/// overhead, and waiting for the slowest worker thread (figures over the sampled calls).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CoordinationLink {
    pub parent_component: String,
    pub parent_operation: String,
    pub parent_phase: String,
    pub child_component: String,
    pub calls: u64,
    pub parent_total_ms: f64,
    pub inside_children_ms: f64,
    pub children_total_ms: f64,
    pub overhead_ms: f64,
    pub imbalance_ms: f64,
    pub inside_fraction: f64,
    pub overhead_fraction: f64,
    pub imbalance_fraction: f64,
    pub threads: Vec<ThreadBusy>,
    pub top_children: Vec<ChildTotal>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CrossComponentReport {
    pub available: bool,
    pub note: String,
    /// Fraction of parent calls in the bounded call-graph sample.
    pub sampled_fraction: f64,
    pub links: Vec<CoordinationLink>,
    /// Children whose parent id matches no logged call.
    pub children_without_parent: u64,
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
