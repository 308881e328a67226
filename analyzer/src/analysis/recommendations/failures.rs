//! Calls that panicked or were cancelled: their timings are not of completed work.

use super::common::RuleInputs;
use crate::report::{Evidence, Recommendation, RecommendationKind, Severity};

pub fn rules(inputs: &RuleInputs, out: &mut Vec<Recommendation>) {
    for (component, operation) in inputs.operations() {
        if operation.panicked > 0 {
            out.push(Recommendation {
                priority: Severity::High,
                component: component.name.clone(),
                operation: Some(operation.operation.clone()),
                kind: RecommendationKind::PanickedCalls,
                recommendation: format!(
                    "{} panicked in {} of {} calls: fix the failure before tuning its speed.",
                    operation.operation, operation.panicked, operation.stats.count
                ),
                impact: "work of the panicked calls was lost".to_string(),
                estimated_saving_ms: None,
                evidence: Evidence::Panicked {
                    panicked: operation.panicked,
                    count: operation.stats.count,
                },
            });
        }
        if operation.cancelled > 0 {
            out.push(Recommendation {
                priority: Severity::Medium,
                component: component.name.clone(),
                operation: Some(operation.operation.clone()),
                kind: RecommendationKind::CancelledCalls,
                recommendation: format!(
                    "{} was cancelled in {} of {} calls (async calls dropped before completing): check timeouts and shutdown order.",
                    operation.operation, operation.cancelled, operation.stats.count
                ),
                impact: "work of the cancelled calls was thrown away".to_string(),
                estimated_saving_ms: None,
                evidence: Evidence::Cancelled {
                    cancelled: operation.cancelled,
                    count: operation.stats.count,
                },
            });
        }
    }
}
