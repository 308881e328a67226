//! Bottlenecks: severity is the higher of the original's mean-duration thresholds and a
//! share-of-time severity (which is what ranks a program whose hot paths take microseconds),
//! the share being of the whole run's own work so that a coordinating component with little
//! self time cannot make a few microseconds severe; the ranking is by the time a plausible
//! fix would save. The rule is documented in README "How severity is decided".

use crate::options::SeverityThresholds;
use crate::report::{Bottleneck, ComponentReport, OperationReport, Severity};
use crate::units::{format_ms, format_share};

/// The original's rule, on own work per call: mean above the high, medium or low threshold.
/// For an operation without children or waiting that is its mean duration (the original's
/// figure); a coordinating operation whose time is in its children or spent waiting for
/// them is not made severe by time that is not its own.
pub fn threshold_severity(mean_ms: f64, thresholds: &SeverityThresholds) -> Option<Severity> {
    if mean_ms > thresholds.high_ms {
        Some(Severity::High)
    } else if mean_ms > thresholds.medium_ms {
        Some(Severity::Medium)
    } else if mean_ms > thresholds.low_ms {
        Some(Severity::Low)
    } else {
        None
    }
}

/// Severity of a share of the run's own work (see README "How severity is decided").
pub fn share_severity(share: f64, thresholds: &SeverityThresholds) -> Option<Severity> {
    if share >= thresholds.high_share {
        Some(Severity::High)
    } else if share >= thresholds.medium_share {
        Some(Severity::Medium)
    } else if share >= thresholds.low_share {
        Some(Severity::Low)
    } else {
        None
    }
}

/// What a plausible fix saves: making the operation's own code twice as fast, or bringing
/// its calls slower than p95 down to the median, whichever is more. The tail is measured on
/// durations, so it is scaled by the own-work fraction to count only the operation's own
/// time (not its children's, not its waiting).
pub fn estimated_saving_ms(operation: &OperationReport) -> (f64, &'static str) {
    let halve_own = operation.own_ms() / 2.0;
    let trim_tail = operation.stats.tail_excess_ms * operation.own_fraction();
    if trim_tail > halve_own {
        (trim_tail, "bring calls slower than p95 down to the median")
    } else {
        (halve_own, "make its own code twice as fast")
    }
}

pub fn find_bottlenecks(
    components: &[ComponentReport],
    thresholds: &SeverityThresholds,
) -> Vec<Bottleneck> {
    let mut bottlenecks: Vec<Bottleneck> = components
        .iter()
        .flat_map(|component| component.operations.iter().map(move |operation| (component, operation)))
        .filter_map(|(component, operation)| {
            let by_threshold = threshold_severity(operation.mean_own_ms(), thresholds);
            let by_share = share_severity(operation.share, thresholds);
            let severity = by_threshold.max(by_share)?;
            let (saving, rule) = estimated_saving_ms(operation);
            let description = format!(
                "{} takes {} on average ({} severity); {} calls, {} of the run's own work ({} of {}'s), a fix could save ~{}",
                operation.operation,
                format_ms(operation.stats.mean_ms),
                severity.as_str(),
                operation.stats.count,
                format_share(operation.share),
                format_share(operation.component_share),
                component.name,
                format_ms(saving),
            );
            Some(Bottleneck {
                component: operation.component.clone(),
                operation: operation.operation.clone(),
                phase: operation.phase.clone(),
                avg_duration_ms: operation.stats.mean_ms,
                severity,
                description,
                threshold_severity: by_threshold,
                share_severity: by_share,
                share: operation.share,
                component_share: operation.component_share,
                self_ms: operation.self_ms,
                waiting_ms: operation.waiting_ms,
                own_work_ms: operation.own_work_ms,
                total_ms: operation.stats.total_ms,
                count: operation.stats.count,
                estimated_saving_ms: saving,
                saving_rule: rule.to_string(),
            })
        })
        .collect();
    bottlenecks.sort_by(|a, b| {
        b.estimated_saving_ms
            .total_cmp(&a.estimated_saving_ms)
            .then(b.severity.cmp(&a.severity))
            .then_with(|| (&a.component, &a.operation).cmp(&(&b.component, &b.operation)))
    });
    bottlenecks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_originals_thresholds_are_strictly_above() {
        let thresholds = SeverityThresholds::default();
        assert_eq!(
            threshold_severity(500.01, &thresholds),
            Some(Severity::High)
        );
        assert_eq!(
            threshold_severity(500.0, &thresholds),
            Some(Severity::Medium)
        );
        assert_eq!(
            threshold_severity(100.5, &thresholds),
            Some(Severity::Medium)
        );
        assert_eq!(threshold_severity(50.5, &thresholds), Some(Severity::Low));
        assert_eq!(threshold_severity(50.0, &thresholds), None);
    }

    #[test]
    fn shares_count_from_their_threshold() {
        let thresholds = SeverityThresholds::default();
        assert_eq!(share_severity(0.25, &thresholds), Some(Severity::High));
        assert_eq!(share_severity(0.10, &thresholds), Some(Severity::Medium));
        assert_eq!(share_severity(0.05, &thresholds), Some(Severity::Low));
        assert_eq!(share_severity(0.049, &thresholds), None);
    }
}
