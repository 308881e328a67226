//! Operations whose thread mostly waits for their children on other threads: the work to
//! optimise is in those children, and what waiting itself costs is the workers' imbalance.

use super::common::{RuleInputs, thread_list};
use crate::report::{Evidence, OperationFigures, Recommendation, RecommendationKind};
use crate::units::{format_ms, format_share};

/// Waiting dominates an operation's self time from this fraction on.
pub const WAITING_DOMINATES: f64 = 0.5;

pub fn rules(inputs: &RuleInputs, out: &mut Vec<Recommendation>) {
    for waiting in inputs.waiting {
        let Some((component, operation)) =
            inputs.find_operation(&waiting.component, &waiting.operation, &waiting.phase)
        else {
            continue;
        };
        let Some(self_ms) = operation.self_ms else {
            continue;
        };
        if self_ms <= 0.0
            || waiting.waiting_ms < WAITING_DOMINATES * self_ms
            || inputs.run_share(self_ms) < inputs.thresholds.low_share
        {
            continue;
        }
        let children: Vec<&str> = waiting
            .worker_operations
            .iter()
            .take(3)
            .map(|child| child.operation.as_str())
            .collect();
        let saving = waiting.imbalance_ms;
        out.push(Recommendation {
            priority: inputs.saving_priority(saving),
            component: component.name.clone(),
            operation: Some(operation.operation.clone()),
            kind: RecommendationKind::WaitingForWorkers,
            recommendation: format!(
                "{}'s thread waits for its workers {} of its self time ({}): the work is in its children on {} ({}). Optimise those; see the worker imbalance, which is what the waiting itself costs.",
                operation.operation,
                format_share(waiting.waiting_ms / self_ms),
                format_ms(waiting.waiting_ms),
                thread_list(&waiting.worker_threads),
                children.join(", ")
            ),
            impact: format!(
                "its own work is {} of {} self time; balanced workers would shorten the wait by ~{}",
                format_ms(operation.own_work_ms),
                format_ms(self_ms),
                format_ms(saving)
            ),
            estimated_saving_ms: Some(saving),
            evidence: Evidence::Waiting {
                operation: OperationFigures::of(operation),
                waiting: waiting.clone(),
            },
        });
    }
}
