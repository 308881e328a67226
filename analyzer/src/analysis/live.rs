//! Bottlenecks and recommendations from a running program's live per-operation figures, with
//! no logs: what a live view (the trainer's dashboard) shows while the run goes on.
//!
//! The figures are laid into the same report model the log analysis builds, and the same
//! rules run on them ([`find_bottlenecks`], [`recommend`]), so a live finding reads like the
//! report's. What live figures cannot tell is left empty, and the rules that need it stay
//! silent: no waiting for workers (a thread blocked on its pool counts as busy), no call graph
//! (children, coordination), no timelines (trends, modes), no threads, no input problems.

use crate::analysis::bottlenecks::find_bottlenecks;
use crate::analysis::components::{apply_run_shares, run_basis_ms};
use crate::analysis::cross_component::ChildBreakdown;
use crate::analysis::recommendations::{RuleInputs, recommend};
use crate::options::SeverityThresholds;
use crate::report::{
    Bottleneck, ComponentReport, CrossComponentReport, OperationReport, Recommendation,
    SelfTimeSource, ShareBasis,
};
use crate::stats::distribution::Method;
use crate::stats::summary::DurationStats;

/// One operation's figures over a window of the run (the last seconds), in milliseconds.
/// Percentiles and extremes may be over a longer span (the runtime's live statistics keep
/// them since the run started); counts and times are the window's.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveOperation {
    pub component: String,
    pub operation: String,
    pub phase: String,
    /// Calls that ended in the window.
    pub calls: u64,
    /// Their summed duration.
    pub total_ms: f64,
    /// Their summed duration minus the timed calls they made on their own thread.
    pub self_ms: f64,
    pub min_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub median_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub panicked: u64,
    pub cancelled: u64,
}

/// What the rules found in one window, ranked as in the report.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveFindings {
    pub bottlenecks: Vec<Bottleneck>,
    pub recommendations: Vec<Recommendation>,
}

fn operation_report(live: &LiveOperation, window_s: f64) -> OperationReport {
    let mean_ms = if live.calls > 0 {
        live.total_ms / live.calls as f64
    } else {
        0.0
    };
    let median_ms = live.median_ms.unwrap_or(mean_ms);
    OperationReport {
        component: live.component.clone(),
        operation: live.operation.clone(),
        phase: live.phase.clone(),
        stats: DurationStats {
            count: live.calls,
            total_ms: live.total_ms,
            min_ms: live.min_ms.unwrap_or(mean_ms),
            max_ms: live.max_ms.unwrap_or(mean_ms),
            mean_ms,
            median_ms,
            p95_ms: live.p95_ms.unwrap_or(median_ms),
            p99_ms: live.p99_ms.or(live.p95_ms).unwrap_or(median_ms),
            std_dev_ms: 0.0,
            // Unknown without the calls' durations: tail savings are not estimated live.
            tail_excess_ms: 0.0,
            statistics: Method::Histogram,
        },
        self_ms: Some(live.self_ms),
        waiting_ms: None,
        own_work_ms: live.self_ms,
        share: 0.0,
        component_share: 0.0,
        inclusive_share: 0.0,
        panicked: live.panicked,
        cancelled: live.cancelled,
        first_call_s: 0.0,
        last_end_s: window_s,
        calls_per_second: (window_s > 0.0).then(|| live.calls as f64 / window_s),
        threads: Vec::new(),
        sites: Vec::new(),
    }
}

fn component_report(name: &str, mut operations: Vec<OperationReport>) -> ComponentReport {
    operations.sort_by(|a, b| {
        b.own_work_ms
            .total_cmp(&a.own_work_ms)
            .then_with(|| a.operation.cmp(&b.operation))
    });
    let basis_ms: f64 = operations.iter().map(|op| op.own_work_ms).sum();
    for operation in &mut operations {
        operation.component_share = if basis_ms > 0.0 {
            operation.own_work_ms / basis_ms
        } else {
            0.0
        };
    }
    let total_operations: u64 = operations.iter().map(|op| op.stats.count).sum();
    let total_time_ms: f64 = operations.iter().map(|op| op.stats.total_ms).sum();
    let slowest = operations
        .iter()
        .max_by(|a, b| a.stats.max_ms.total_cmp(&b.stats.max_ms));
    ComponentReport {
        name: name.to_string(),
        total_operations,
        avg_operation_duration_ms: if total_operations > 0 {
            total_time_ms / total_operations as f64
        } else {
            0.0
        },
        total_time_ms,
        slowest_operation: slowest.map(|op| op.operation.clone()),
        slowest_duration_ms: slowest.map(|op| op.stats.max_ms),
        self_time_ms: Some(basis_ms),
        self_time: SelfTimeSource::Logged,
        self_time_note: "live statistics: waiting for other threads is not separated".into(),
        waiting_ms: None,
        share_basis: ShareBasis::OwnWork,
        basis_ms,
        span_s: 0.0,
        run_started_at: None,
        run_ended_at: None,
        formats: Vec::new(),
        files: Vec::new(),
        threads: Vec::new(),
        events: Vec::new(),
        never_called: Vec::new(),
        phases: Vec::new(),
        operations,
    }
}

/// The bottlenecks and recommendations of `operations`' figures over a window of `window_s`
/// seconds. Operations without calls in the window are left out; shares are of the window's
/// self time, all components together.
pub fn live_findings(
    operations: &[LiveOperation],
    window_s: f64,
    thresholds: &SeverityThresholds,
) -> LiveFindings {
    let mut names: Vec<&str> = operations
        .iter()
        .filter(|op| op.calls > 0)
        .map(|op| op.component.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut components: Vec<ComponentReport> = names
        .iter()
        .map(|&name| {
            let reports = operations
                .iter()
                .filter(|op| op.calls > 0 && op.component == name)
                .map(|op| operation_report(op, window_s))
                .collect();
            component_report(name, reports)
        })
        .collect();
    apply_run_shares(&mut components);
    let cross = CrossComponentReport {
        available: false,
        note: "live statistics have no call graph".into(),
        sampled_fraction: 0.0,
        block_ms: 0.0,
        calls_in_sample: 0,
        links: Vec::new(),
        children_without_parent: 0,
    };
    let breakdown = ChildBreakdown::new();
    let recommendations = recommend(&RuleInputs {
        components: &components,
        run_basis_ms: run_basis_ms(&components),
        waiting: &[],
        trends: &[],
        modes: &[],
        imbalances: &[],
        cross: &cross,
        breakdown: &breakdown,
        keys: &[],
        files: &[],
        summaries: &[],
        thresholds,
    });
    LiveFindings {
        bottlenecks: find_bottlenecks(&components, thresholds),
        recommendations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{RecommendationKind, Severity};

    fn live(
        component: &str,
        operation: &str,
        phase: &str,
        calls: u64,
        self_ms: f64,
    ) -> LiveOperation {
        LiveOperation {
            component: component.into(),
            operation: operation.into(),
            phase: phase.into(),
            calls,
            total_ms: self_ms,
            self_ms,
            min_ms: None,
            max_ms: None,
            median_ms: Some(self_ms / calls.max(1) as f64),
            p95_ms: Some(self_ms / calls.max(1) as f64),
            p99_ms: None,
            panicked: 0,
            cancelled: 0,
        }
    }

    #[test]
    fn shares_are_of_the_windows_self_time_and_rank_the_bottlenecks() {
        let operations = [
            live(
                "ppo_trainer",
                "step_environments",
                "environment",
                200,
                600.0,
            ),
            live("ppo_trainer", "backward_pass", "training", 40, 300.0),
            live(
                "training_manager",
                "broadcast_metrics",
                "communication",
                10,
                100.0,
            ),
            live(
                "training_manager",
                "manage_checkpoints",
                "checkpoint",
                0,
                0.0,
            ),
        ];
        let findings = live_findings(&operations, 1.0, &SeverityThresholds::default());
        let ranked: Vec<(&str, Severity, f64)> = findings
            .bottlenecks
            .iter()
            .map(|b| (b.operation.as_str(), b.severity, b.share))
            .collect();
        // 600 / 1000 of the window's self time: high by share; 300: high; 100: medium.
        assert_eq!(
            ranked,
            [
                ("step_environments", Severity::High, 0.6),
                ("backward_pass", Severity::High, 0.3),
                ("broadcast_metrics", Severity::Medium, 0.1),
            ]
        );
        assert_eq!(findings.bottlenecks[0].estimated_saving_ms, 300.0);
        assert_eq!(findings.bottlenecks[2].component_share, 1.0);
    }

    #[test]
    fn the_reports_rule_families_speak_of_live_figures() {
        let mut panicking = live(
            "ppo_trainer",
            "step_environments",
            "environment",
            200,
            600.0,
        );
        panicking.panicked = 2;
        let operations = [
            panicking,
            live(
                "training_manager",
                "broadcast_metrics",
                "communication",
                4,
                400.0,
            ),
        ];
        let findings = live_findings(&operations, 2.0, &SeverityThresholds::default());
        let kinds: Vec<(RecommendationKind, &str, Severity)> = findings
            .recommendations
            .iter()
            .map(|r| (r.kind, r.operation.as_deref().unwrap(), r.priority))
            .collect();
        assert_eq!(
            kinds,
            [
                // Failed calls first, then by estimated saving (half the own work).
                (
                    RecommendationKind::PanickedCalls,
                    "step_environments",
                    Severity::High
                ),
                (
                    RecommendationKind::HotOperation,
                    "step_environments",
                    Severity::High
                ),
                // 100 ms per call is the broadcast rule's high threshold; 40% share.
                (
                    RecommendationKind::Broadcast,
                    "broadcast_metrics",
                    Severity::High
                ),
            ]
        );
        assert!(
            findings.recommendations[2]
                .recommendation
                .starts_with("WebSocket broadcasts are slow (100.00ms avg)."),
            "{}",
            findings.recommendations[2].recommendation
        );
    }

    #[test]
    fn a_window_without_calls_finds_nothing() {
        let operations = [live(
            "ppo_trainer",
            "step_environments",
            "environment",
            0,
            0.0,
        )];
        let findings = live_findings(&operations, 1.0, &SeverityThresholds::default());
        assert_eq!(findings.bottlenecks, []);
        assert_eq!(findings.recommendations, []);
        assert_eq!(
            live_findings(&[], 0.0, &SeverityThresholds::default()).bottlenecks,
            []
        );
    }
}
