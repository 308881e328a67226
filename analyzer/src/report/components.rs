//! Per component: its operations and phases with their statistics and shares, its threads and
//! events. A component serializes as its `performance_metrics` entry; its phases and operations
//! as its `phase_breakdown` and `operation_breakdown` entries.

use std::path::PathBuf;

use serde::Serialize;

use crate::ingest::detect::LogFormat;
use crate::ingest::summary_json::Site;
use crate::stats::summary::DurationStats;

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
    /// Named by the `operation_breakdown.<component>` map that holds the operation.
    #[serde(skip_serializing)]
    pub component: String,
    /// Named by the operation's key in that map.
    #[serde(skip_serializing)]
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

    /// Whether this is the operation `component`/`operation` logged under `phase`.
    pub fn is(&self, component: &str, operation: &str, phase: &str) -> bool {
        self.component == component && self.operation == operation && self.phase == phase
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

/// A component; serialized, its `performance_metrics` entry (the original's keys first).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComponentReport {
    /// The key of the component's entries in the report's maps.
    #[serde(skip)]
    pub name: String,
    pub total_operations: u64,
    #[serde(rename = "avg_operation_duration")]
    pub avg_operation_duration_ms: f64,
    /// Sum of every call's duration (the original's figure; nested calls count twice).
    #[serde(rename = "total_time")]
    pub total_time_ms: f64,
    pub slowest_operation: Option<String>,
    #[serde(rename = "slowest_duration")]
    pub slowest_duration_ms: Option<f64>,
    #[serde(rename = "self_time")]
    pub self_time_ms: Option<f64>,
    #[serde(rename = "self_time_source")]
    pub self_time: SelfTimeSource,
    pub self_time_note: String,
    /// Waiting for descendants on other threads, summed over operations (`None` without
    /// parent links).
    #[serde(rename = "waiting_time")]
    pub waiting_ms: Option<f64>,
    pub share_basis: ShareBasis,
    /// The component's own work (or total time): its share of the run's basis.
    #[serde(rename = "share_basis_ms")]
    pub basis_ms: f64,
    /// From the first call's start to the last call's end on the component's timeline.
    pub span_s: f64,
    pub run_started_at: Option<String>,
    pub run_ended_at: Option<String>,
    pub formats: Vec<LogFormat>,
    pub files: Vec<PathBuf>,
    pub threads: Vec<ThreadLoad>,
    pub events: Vec<EventReport>,
    /// Operations a summary lists with no call.
    pub never_called: Vec<String>,
    /// By own work, largest first; serialized as `phase_breakdown.<component>`.
    #[serde(skip)]
    pub phases: Vec<PhaseReport>,
    /// By own work, largest first; serialized as `operation_breakdown.<component>`.
    #[serde(skip)]
    pub operations: Vec<OperationReport>,
}

impl ComponentReport {
    /// The keys of `operation_breakdown.<component>`, one per operation in order: the
    /// operation's name, with its phase added when the same name is logged under several
    /// phases.
    pub fn operation_keys(&self) -> Vec<String> {
        self.operations
            .iter()
            .map(|operation| {
                let repeated = self
                    .operations
                    .iter()
                    .filter(|other| other.operation == operation.operation)
                    .count()
                    > 1;
                if repeated {
                    format!("{} ({})", operation.operation, operation.phase)
                } else {
                    operation.operation.clone()
                }
            })
            .collect()
    }
}
