//! Cross-component coordination: a coordinator waiting for its slowest worker, or spending its
//! time outside the component it coordinates. Figures come from the call-graph sample and are
//! scaled to the run.

use super::common::{RuleInputs, thread_list};
use crate::report::{Evidence, Recommendation, RecommendationKind};
use crate::units::{format_ms, format_share};

/// Imbalance from this fraction of the coordinating calls' time is worth a recommendation ...
pub const MIN_IMBALANCE_FRACTION: f64 = 0.10;
/// ... and so is overhead from this fraction.
pub const MIN_OVERHEAD_FRACTION: f64 = 0.30;

pub fn rules(inputs: &RuleInputs, out: &mut Vec<Recommendation>) {
    // The sample keeps this fraction of the run's time: scale sampled figures to the run.
    let scale = 1.0 / inputs.cross.sampled_fraction.max(f64::MIN_POSITIVE);
    for link in &inputs.cross.links {
        if link.imbalance_fraction >= MIN_IMBALANCE_FRACTION {
            let saving = link.imbalance_ms * scale;
            out.push(Recommendation {
                priority: inputs.saving_priority(saving),
                component: link.parent_component.clone(),
                operation: Some(link.parent_operation.clone()),
                kind: RecommendationKind::WorkerImbalance,
                recommendation: format!(
                    "{} waits for its slowest {} worker: {} of its time is imbalance over {} worker threads ({}). Balance the work per thread (equal environments per worker, smaller work units).",
                    link.parent_operation,
                    link.child_component,
                    format_share(link.imbalance_fraction),
                    link.worker_threads.len(),
                    thread_list(&link.worker_threads)
                ),
                impact: format!(
                    "~{} of waiting for the slowest worker in the analysed calls",
                    format_ms(link.imbalance_ms)
                ),
                estimated_saving_ms: Some(saving),
                evidence: Evidence::Coordination(link.clone()),
            });
        }
        if link.overhead_fraction >= MIN_OVERHEAD_FRACTION {
            let saving = link.overhead_ms / 2.0 * scale;
            out.push(Recommendation {
                priority: inputs.saving_priority(saving),
                component: link.parent_component.clone(),
                operation: Some(link.parent_operation.clone()),
                kind: RecommendationKind::CoordinationOverhead,
                recommendation: format!(
                    "{} spends {} of its time outside {}'s operations (its own coordination, with none of them running). Overlap coordination with the workers' work or do less of it per call.",
                    link.parent_operation,
                    format_share(link.overhead_fraction),
                    link.child_component
                ),
                impact: format!(
                    "~{} of overhead in the analysed calls",
                    format_ms(link.overhead_ms)
                ),
                estimated_saving_ms: Some(saving),
                evidence: Evidence::Coordination(link.clone()),
            });
        }
    }
}
