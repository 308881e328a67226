//! Operations that keep one thread much busier than the others with the same work per call.

use super::common::RuleInputs;
use crate::analysis::bottlenecks::share_severity;
use crate::report::{Evidence, Recommendation, RecommendationKind, Severity, ThreadShare};
use crate::units::format_ms;

fn busy(thread: &ThreadShare) -> f64 {
    thread.self_ms.unwrap_or(thread.total_ms)
}

pub fn rules(inputs: &RuleInputs, out: &mut Vec<Recommendation>) {
    for imbalance in inputs.imbalances {
        let Some(busiest) = imbalance
            .threads
            .iter()
            .max_by(|a, b| busy(a).total_cmp(&busy(b)))
        else {
            continue;
        };
        let mean = imbalance.threads.iter().map(busy).sum::<f64>() / imbalance.threads.len() as f64;
        let name = busiest
            .name
            .as_deref()
            .map(|name| format!(" ({name})"))
            .unwrap_or_default();
        out.push(Recommendation {
            priority: share_severity(imbalance.share, inputs.thresholds).unwrap_or(Severity::Low),
            component: imbalance.component.clone(),
            operation: Some(imbalance.operation.clone()),
            kind: RecommendationKind::ThreadImbalance,
            recommendation: format!(
                "{} keeps thread {}{name} busy {} against {} on average over {} threads ({:.1}x). Spread the work evenly (smaller work units, work stealing).",
                imbalance.operation,
                busiest.thread,
                format_ms(busy(busiest)),
                format_ms(mean),
                imbalance.threads.len(),
                imbalance.max_over_mean
            ),
            impact: format!(
                "balanced, the slowest thread would finish ~{} sooner",
                format_ms(busy(busiest) - mean)
            ),
            estimated_saving_ms: Some(busy(busiest) - mean),
            evidence: Evidence::ThreadImbalance(imbalance.clone()),
        });
    }
}
