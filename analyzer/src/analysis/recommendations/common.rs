//! What every rule family reads, and the figures and phrases they share.

use crate::analysis::bottlenecks::share_severity;
use crate::analysis::cross_component::ChildBreakdown;
use crate::ingest::interner::OpKey;
use crate::options::SeverityThresholds;
use crate::report::{
    ComponentReport, CrossComponentReport, FileReport, OperationModes, OperationReport,
    OperationWaiting, Severity, SummaryReport, ThreadBusy, ThreadImbalance, Trend,
};
use crate::units::{format_ms, format_share};

/// Everything the rules look at.
pub struct RuleInputs<'a> {
    pub components: &'a [ComponentReport],
    /// The run's own work: shares for priorities are of this.
    pub run_basis_ms: f64,
    pub waiting: &'a [OperationWaiting],
    pub trends: &'a [Trend],
    pub modes: &'a [OperationModes],
    pub imbalances: &'a [ThreadImbalance],
    pub cross: &'a CrossComponentReport,
    pub breakdown: &'a ChildBreakdown,
    pub keys: &'a [OpKey],
    pub files: &'a [FileReport],
    pub summaries: &'a [SummaryReport],
    pub thresholds: &'a SeverityThresholds,
}

impl RuleInputs<'_> {
    /// `ms` as a share of the run's own work.
    pub fn run_share(&self, ms: f64) -> f64 {
        if self.run_basis_ms > 0.0 {
            ms / self.run_basis_ms
        } else {
            0.0
        }
    }

    /// The priority of a saving: its share of the run's own work, at least low.
    pub fn saving_priority(&self, saving_ms: f64) -> Severity {
        share_severity(self.run_share(saving_ms), self.thresholds).unwrap_or(Severity::Low)
    }

    /// Every operation with its component.
    pub fn operations(&self) -> impl Iterator<Item = (&ComponentReport, &OperationReport)> {
        self.components.iter().flat_map(|component| {
            component
                .operations
                .iter()
                .map(move |operation| (component, operation))
        })
    }

    /// The operation `component`/`operation` logged under `phase`, with its component.
    pub fn find_operation(
        &self,
        component: &str,
        operation: &str,
        phase: &str,
    ) -> Option<(&ComponentReport, &OperationReport)> {
        self.operations()
            .find(|(_, op)| op.is(component, operation, phase))
    }
}

/// The impact line of a rule about one operation's own work.
pub fn impact(operation: &OperationReport, component: &ComponentReport, saving_ms: f64) -> String {
    format!(
        "{} of the run's own work ({} of {}'s; {} over {} calls); a fix could save ~{}",
        format_share(operation.share),
        format_share(operation.component_share),
        component.name,
        format_ms(operation.own_ms()),
        operation.stats.count,
        format_ms(saving_ms)
    )
}

/// `ppo-worker-0, ppo-worker-1` (thread numbers where a thread has no name).
pub fn thread_list(threads: &[ThreadBusy]) -> String {
    threads
        .iter()
        .map(|thread| {
            thread
                .name
                .clone()
                .unwrap_or_else(|| format!("thread {}", thread.thread))
        })
        .collect::<Vec<_>>()
        .join(", ")
}
