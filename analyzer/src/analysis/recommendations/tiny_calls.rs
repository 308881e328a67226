//! Very frequent, very short calls: per-call overhead dominates, batching helps.

use super::common::RuleInputs;
use crate::report::{Evidence, OperationFigures, Recommendation, RecommendationKind, Severity};
use crate::units::{format_ms, format_share};

/// Calls at least this many ...
pub const TINY_CALL_MIN_COUNT: u64 = 10_000;
/// ... shorter than this on average (ms) ...
pub const TINY_CALL_MAX_MS: f64 = 0.01;
/// ... at this rate or more (calls per second of the component's run) suggest batching.
pub const TINY_CALL_MIN_RATE: f64 = 1000.0;

pub fn rules(inputs: &RuleInputs, out: &mut Vec<Recommendation>) {
    for (component, operation) in inputs.operations() {
        let rate = operation.calls_per_second.unwrap_or(0.0);
        if operation.stats.count < TINY_CALL_MIN_COUNT
            || operation.stats.mean_ms >= TINY_CALL_MAX_MS
            || rate < TINY_CALL_MIN_RATE
        {
            continue;
        }
        out.push(Recommendation {
            priority: if operation.share >= inputs.thresholds.medium_share {
                Severity::Medium
            } else {
                Severity::Low
            },
            component: component.name.clone(),
            operation: Some(operation.operation.clone()),
            kind: RecommendationKind::BatchTinyCalls,
            recommendation: format!(
                "{} is called {} times ({:.0}/s) at {} each: batch the work (many items per call) to cut per-call overhead, including the ~20-50ns the timing itself adds per call.",
                operation.operation,
                operation.stats.count,
                rate,
                format_ms(operation.stats.mean_ms)
            ),
            impact: format!(
                "{} of {}'s time",
                format_share(operation.share),
                component.name
            ),
            estimated_saving_ms: None,
            evidence: Evidence::Operation(OperationFigures::of(operation)),
        });
    }
}
