//! The original's six rules, keyed on the operation's name (and phase), each firing on its own
//! threshold on mean duration or on the share severity of the run's own work (so that they
//! also fire on microsecond hot paths), whichever gives the higher priority.

use super::common::{RuleInputs, impact};
use crate::analysis::bottlenecks::{estimated_saving_ms, share_severity};
use crate::report::{
    ComponentReport, Evidence, OperationFigures, OperationReport, Recommendation,
    RecommendationKind, Severity,
};
use crate::units::{format_ms, format_share};

/// The original's categories, in the order a name is matched against them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    ParallelTraining,
    Broadcast,
    PolicyUpdate,
    Epochs,
    ForwardPass,
    Buffer,
}

impl Category {
    pub fn of(operation: &str, phase: &str) -> Option<Category> {
        let name = operation.to_ascii_lowercase();
        let has = |needle: &str| name.contains(needle);
        if has("parallel_training") {
            Some(Category::ParallelTraining)
        } else if has("broadcast") || has("websocket") {
            Some(Category::Broadcast)
        } else if has("update_policy") || (has("update") && phase.contains("train")) {
            Some(Category::PolicyUpdate)
        } else if has("epoch") {
            Some(Category::Epochs)
        } else if has("forward") || has("inference") || phase == "inference" {
            Some(Category::ForwardPass)
        } else if has("buffer") {
            Some(Category::Buffer)
        } else {
            None
        }
    }

    pub fn kind(self) -> RecommendationKind {
        match self {
            Category::ParallelTraining => RecommendationKind::ParallelTraining,
            Category::Broadcast => RecommendationKind::Broadcast,
            Category::PolicyUpdate => RecommendationKind::PolicyUpdate,
            Category::Epochs => RecommendationKind::PpoEpochs,
            Category::ForwardPass => RecommendationKind::ForwardPass,
            Category::Buffer => RecommendationKind::Buffer,
        }
    }

    /// Mean durations (ms) above which the rule fires at high and at medium priority.
    pub fn mean_thresholds_ms(self) -> (f64, f64) {
        match self {
            Category::ParallelTraining => (1000.0, 500.0),
            Category::Broadcast => (100.0, 20.0),
            Category::PolicyUpdate => (100.0, 50.0),
            Category::Epochs => (500.0, 100.0),
            Category::ForwardPass => (100.0, 10.0),
            Category::Buffer => (50.0, 10.0),
        }
    }

    fn subject(self) -> &'static str {
        match self {
            Category::ParallelTraining => "Parallel training",
            Category::Broadcast => "WebSocket broadcasts",
            Category::PolicyUpdate => "Policy updates",
            Category::Epochs => "PPO epochs",
            Category::ForwardPass => "Model forward pass",
            Category::Buffer => "Buffer operations",
        }
    }

    fn slow_phrase(self) -> &'static str {
        match self {
            Category::ParallelTraining => "is very slow",
            Category::ForwardPass => "is slow",
            _ => "are slow",
        }
    }

    fn advice(self) -> &'static str {
        match self {
            Category::ParallelTraining => "Consider reducing number of environments.",
            Category::Broadcast => "Consider broadcasting less often or sending smaller messages.",
            Category::PolicyUpdate => "Consider reducing batch size or PPO epochs.",
            Category::Epochs => "Consider fewer PPO epochs.",
            Category::ForwardPass => "Consider model optimization.",
            Category::Buffer => {
                "Consider better memory management (preallocate and reuse buffers)."
            }
        }
    }
}

fn mean_priority(category: Category, mean_ms: f64) -> Option<Severity> {
    let (high, medium) = category.mean_thresholds_ms();
    if mean_ms > high {
        Some(Severity::High)
    } else if mean_ms > medium {
        Some(Severity::Medium)
    } else {
        None
    }
}

fn epochs_per_update(component: &ComponentReport, epochs: &OperationReport) -> Option<f64> {
    let updates: u64 = component
        .operations
        .iter()
        .filter(|op| Category::of(&op.operation, &op.phase) == Some(Category::PolicyUpdate))
        .map(|op| op.stats.count)
        .sum();
    (updates > 0).then(|| epochs.stats.count as f64 / updates as f64)
}

pub fn rules(inputs: &RuleInputs, out: &mut Vec<Recommendation>) {
    for (component, operation) in inputs.operations() {
        let Some(category) = Category::of(&operation.operation, &operation.phase) else {
            continue;
        };
        let mean = operation.stats.mean_ms;
        let by_mean = mean_priority(category, mean);
        let by_share = share_severity(operation.share, inputs.thresholds);
        let Some(priority) = by_mean.max(by_share) else {
            continue;
        };
        let mut text = if by_mean.is_some() {
            format!(
                "{} {} ({} avg).",
                category.subject(),
                category.slow_phrase(),
                format_ms(mean)
            )
        } else {
            format!(
                "{} takes {} of the run's own work ({} calls, {} avg).",
                operation.operation,
                format_share(operation.share),
                operation.stats.count,
                format_ms(mean)
            )
        };
        if category == Category::Epochs
            && let Some(per_update) = epochs_per_update(component, operation)
        {
            text.push_str(&format!(" {per_update:.1} epochs run per policy update."));
        }
        text.push(' ');
        text.push_str(category.advice());
        let (saving, _) = estimated_saving_ms(operation);
        out.push(Recommendation {
            priority,
            component: component.name.clone(),
            operation: Some(operation.operation.clone()),
            kind: category.kind(),
            recommendation: text,
            impact: impact(operation, component, saving),
            estimated_saving_ms: Some(saving),
            evidence: Evidence::Operation(OperationFigures::of(operation)),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_the_originals_categories() {
        assert_eq!(
            Category::of("update_policy", "training"),
            Some(Category::PolicyUpdate)
        );
        assert_eq!(
            Category::of("update_weights", "training"),
            Some(Category::PolicyUpdate)
        );
        assert_eq!(Category::of("update_metrics", "metrics"), None);
        assert_eq!(
            Category::of("ppo_epoch", "training"),
            Some(Category::Epochs)
        );
        assert_eq!(
            Category::of("batch_forward", "inference"),
            Some(Category::ForwardPass)
        );
        assert_eq!(
            Category::of("select_action", "inference"),
            Some(Category::ForwardPass)
        );
        assert_eq!(
            Category::of("parallel_training", "training"),
            Some(Category::ParallelTraining)
        );
        assert_eq!(
            Category::of("broadcast_metrics", "ui"),
            Some(Category::Broadcast)
        );
        assert_eq!(
            Category::of("WebSocket_send", "ui"),
            Some(Category::Broadcast)
        );
        assert_eq!(
            Category::of("buffer_add", "rollout"),
            Some(Category::Buffer)
        );
        assert_eq!(Category::of("save_checkpoint", "checkpoint"), None);
    }

    #[test]
    fn the_originals_categories_keep_their_names() {
        let names: Vec<&str> = [
            Category::PolicyUpdate,
            Category::Epochs,
            Category::ForwardPass,
            Category::ParallelTraining,
            Category::Broadcast,
            Category::Buffer,
        ]
        .map(|category| category.kind().as_str())
        .to_vec();
        assert_eq!(
            names,
            [
                "policy_update",
                "ppo_epochs",
                "forward_pass",
                "parallel_training",
                "broadcast",
                "buffer"
            ]
        );
    }

    #[test]
    fn the_originals_example_priorities() {
        assert_eq!(
            mean_priority(Category::PolicyUpdate, 245.67),
            Some(Severity::High)
        );
        assert_eq!(
            mean_priority(Category::ParallelTraining, 1200.45),
            Some(Severity::High)
        );
        assert_eq!(
            mean_priority(Category::ForwardPass, 45.23),
            Some(Severity::Medium)
        );
        assert_eq!(mean_priority(Category::ForwardPass, 0.4), None);
    }
}
