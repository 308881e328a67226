//! Significant operations outside the original's categories: is their time in the operations
//! they call (optimise those), or in their own code (profile inside)?

use super::categories::Category;
use super::common::{RuleInputs, impact};
use crate::analysis::bottlenecks::{estimated_saving_ms, share_severity, threshold_severity};
use crate::report::{
    Evidence, OperationFigures, OperationReport, Recommendation, RecommendationKind, Severity,
};
use crate::units::{format_ms, format_share};

/// Own work under this fraction of an operation's total time means its children dominate.
pub const CHILDREN_DOMINATE_BELOW: f64 = 0.2;

/// The operations `operation` calls directly that take most time in the sample (up to three).
fn top_children(inputs: &RuleInputs, operation: &OperationReport) -> Vec<String> {
    let Some(parent) = inputs
        .keys
        .iter()
        .position(|key| operation.is(&key.component, &key.operation, &key.phase))
    else {
        return Vec::new();
    };
    let Some(children) = inputs.breakdown.get(&(parent as u32)) else {
        return Vec::new();
    };
    let mut children: Vec<(&str, u128)> = children
        .iter()
        .map(|(&key, &(_, total))| (inputs.keys[key as usize].operation.as_str(), total))
        .collect();
    children.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    children
        .iter()
        .take(3)
        .map(|(name, _)| name.to_string())
        .collect()
}

pub fn rules(inputs: &RuleInputs, out: &mut Vec<Recommendation>) {
    for (component, operation) in inputs.operations() {
        if Category::of(&operation.operation, &operation.phase).is_some()
            || operation.self_ms.is_none()
        {
            continue;
        }
        let fraction = operation.own_fraction();
        if fraction < CHILDREN_DOMINATE_BELOW
            && operation.inclusive_share >= inputs.thresholds.medium_share
        {
            let children = top_children(inputs, operation);
            let waits = operation.waiting_ms.is_some_and(|waiting| waiting > 0.0);
            out.push(Recommendation {
                priority: Severity::Low,
                component: component.name.clone(),
                operation: Some(operation.operation.clone()),
                kind: RecommendationKind::DominatedByChildren,
                recommendation: format!(
                    "{} spends {} of its time in the operations it calls{}{}: optimise those, not {} itself.",
                    operation.operation,
                    format_share(1.0 - fraction),
                    if waits {
                        " or waiting for them on other threads"
                    } else {
                        ""
                    },
                    if children.is_empty() {
                        String::new()
                    } else {
                        format!(" (mostly {})", children.join(", "))
                    },
                    operation.operation
                ),
                impact: format!(
                    "its own work is only {} of its {}",
                    format_ms(operation.own_ms()),
                    format_ms(operation.stats.total_ms)
                ),
                estimated_saving_ms: None,
                evidence: Evidence::Children {
                    operation: OperationFigures::of(operation),
                    top_children: children,
                },
            });
            continue;
        }
        let Some(by_share) = share_severity(operation.share, inputs.thresholds) else {
            continue;
        };
        let priority = by_share.max(
            threshold_severity(operation.mean_own_ms(), inputs.thresholds).unwrap_or(Severity::Low),
        );
        let (saving, rule) = estimated_saving_ms(operation);
        out.push(Recommendation {
            priority,
            component: component.name.clone(),
            operation: Some(operation.operation.clone()),
            kind: RecommendationKind::HotOperation,
            recommendation: format!(
                "{} takes {} of the run's own work ({} of {}'s), {} of its time in its own code ({} calls, {} avg): profile inside {}, no timed child explains it.",
                operation.operation,
                format_share(operation.share),
                format_share(operation.component_share),
                component.name,
                format_share(fraction),
                operation.stats.count,
                format_ms(operation.stats.mean_ms),
                operation.operation
            ),
            impact: format!("{} (if you {rule})", impact(operation, component, saving)),
            estimated_saving_ms: Some(saving),
            evidence: Evidence::Operation(OperationFigures::of(operation)),
        });
    }
}
