//! Recommendations: what to change, of which kind, with the typed evidence behind it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::components::OperationReport;
use super::coordination::{CoordinationLink, OperationWaiting, ThreadImbalance};
use super::findings::Severity;
use super::inputs::SummaryReport;
use super::timeline::{OperationModes, Trend};
use crate::ingest::problems::Problem;
use crate::ingest::summary_json::Site;

/// The rule that made a recommendation; serialized as the report's `category`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecommendationKind {
    // The original's six rules, keyed on the operation's name.
    PolicyUpdate,
    PpoEpochs,
    ForwardPass,
    ParallelTraining,
    Broadcast,
    Buffer,
    // Slow modes and heavy tails.
    WarmUp,
    PeriodicStall,
    SporadicSlowCalls,
    TwoKindsOfCalls,
    HighVariance,
    SlowingTrend,
    ThreadImbalance,
    WaitingForWorkers,
    // Cross-component coordination.
    WorkerImbalance,
    CoordinationOverhead,
    // Where an operation's time goes.
    DominatedByChildren,
    HotOperation,
    BatchTinyCalls,
    // Failed calls.
    PanickedCalls,
    CancelledCalls,
    // The input.
    InputProblems,
    SummaryCheck,
}

impl RecommendationKind {
    pub const ALL: [RecommendationKind; 23] = [
        RecommendationKind::PolicyUpdate,
        RecommendationKind::PpoEpochs,
        RecommendationKind::ForwardPass,
        RecommendationKind::ParallelTraining,
        RecommendationKind::Broadcast,
        RecommendationKind::Buffer,
        RecommendationKind::WarmUp,
        RecommendationKind::PeriodicStall,
        RecommendationKind::SporadicSlowCalls,
        RecommendationKind::TwoKindsOfCalls,
        RecommendationKind::HighVariance,
        RecommendationKind::SlowingTrend,
        RecommendationKind::ThreadImbalance,
        RecommendationKind::WaitingForWorkers,
        RecommendationKind::WorkerImbalance,
        RecommendationKind::CoordinationOverhead,
        RecommendationKind::DominatedByChildren,
        RecommendationKind::HotOperation,
        RecommendationKind::BatchTinyCalls,
        RecommendationKind::PanickedCalls,
        RecommendationKind::CancelledCalls,
        RecommendationKind::InputProblems,
        RecommendationKind::SummaryCheck,
    ];

    /// The report's `category` string.
    pub fn as_str(self) -> &'static str {
        match self {
            RecommendationKind::PolicyUpdate => "policy_update",
            RecommendationKind::PpoEpochs => "ppo_epochs",
            RecommendationKind::ForwardPass => "forward_pass",
            RecommendationKind::ParallelTraining => "parallel_training",
            RecommendationKind::Broadcast => "broadcast",
            RecommendationKind::Buffer => "buffer",
            RecommendationKind::WarmUp => "warm_up",
            RecommendationKind::PeriodicStall => "periodic_stall",
            RecommendationKind::SporadicSlowCalls => "sporadic_slow_calls",
            RecommendationKind::TwoKindsOfCalls => "two_kinds_of_calls",
            RecommendationKind::HighVariance => "high_variance",
            RecommendationKind::SlowingTrend => "slowing_trend",
            RecommendationKind::ThreadImbalance => "thread_imbalance",
            RecommendationKind::WaitingForWorkers => "waiting_for_workers",
            RecommendationKind::WorkerImbalance => "worker_imbalance",
            RecommendationKind::CoordinationOverhead => "coordination_overhead",
            RecommendationKind::DominatedByChildren => "dominated_by_children",
            RecommendationKind::HotOperation => "hot_operation",
            RecommendationKind::BatchTinyCalls => "batch_tiny_calls",
            RecommendationKind::PanickedCalls => "panicked_calls",
            RecommendationKind::CancelledCalls => "cancelled_calls",
            RecommendationKind::InputProblems => "input_problems",
            RecommendationKind::SummaryCheck => "summary_check",
        }
    }
}

/// An operation's figures, as a recommendation cites them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OperationFigures {
    pub count: u64,
    pub avg_ms: f64,
    pub median_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub total_ms: f64,
    pub self_ms: Option<f64>,
    pub waiting_ms: Option<f64>,
    pub own_work_ms: f64,
    pub share: f64,
    pub component_share: f64,
    pub sites: Vec<Site>,
}

impl OperationFigures {
    pub fn of(operation: &OperationReport) -> Self {
        OperationFigures {
            count: operation.stats.count,
            avg_ms: operation.stats.mean_ms,
            median_ms: operation.stats.median_ms,
            p95_ms: operation.stats.p95_ms,
            p99_ms: operation.stats.p99_ms,
            total_ms: operation.stats.total_ms,
            self_ms: operation.self_ms,
            waiting_ms: operation.waiting_ms,
            own_work_ms: operation.own_work_ms,
            share: operation.share,
            component_share: operation.component_share,
            sites: operation.sites.clone(),
        }
    }
}

/// What a recommendation rests on; serialized as its `evidence` object (no tag: the
/// `category` says which rule it is).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Evidence {
    /// The operation's figures (the original's six rules, hot operations, tiny calls).
    Operation(OperationFigures),
    /// The operation's figures and its modes (slow modes, heavy tails).
    Modes {
        operation: OperationFigures,
        modes: Option<OperationModes>,
    },
    /// The fitted trend of a slowing operation.
    Trend(Trend),
    /// The threads of an unevenly spread operation.
    ThreadImbalance(ThreadImbalance),
    /// A coordinating operation and how long its thread waits for its workers.
    Waiting {
        operation: OperationFigures,
        waiting: OperationWaiting,
    },
    /// A coordinating operation against a component it reaches.
    Coordination(CoordinationLink),
    /// An operation whose time is in its children, and its costliest children.
    Children {
        operation: OperationFigures,
        top_children: Vec<String>,
    },
    Panicked {
        panicked: u64,
        count: u64,
    },
    Cancelled {
        cancelled: u64,
        count: u64,
    },
    /// A log's problems: counts per kind and the first ones.
    InputProblems {
        problem_counts: BTreeMap<String, u64>,
        first_problems: Vec<Problem>,
    },
    /// A summary whose checks against the logs failed.
    Summary(SummaryReport),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recommendation {
    pub priority: Severity,
    pub component: String,
    pub operation: Option<String>,
    #[serde(rename = "category")]
    pub kind: RecommendationKind,
    pub recommendation: String,
    pub impact: String,
    pub estimated_saving_ms: Option<f64>,
    pub evidence: Evidence,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialize_as_their_category_names() {
        for kind in RecommendationKind::ALL {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::from(kind.as_str())
            );
        }
        let mut names: Vec<&str> = RecommendationKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RecommendationKind::ALL.len());
    }

    #[test]
    fn evidence_serializes_without_a_tag() {
        let evidence = Evidence::Panicked {
            panicked: 2,
            count: 9,
        };
        assert_eq!(
            serde_json::to_value(&evidence).unwrap(),
            serde_json::json!({ "panicked": 2, "count": 9 })
        );
    }
}
