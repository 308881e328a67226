//! Slow modes (warm-up, periodic stalls, sporadic slow calls, two kinds of calls) and heavy
//! tails: what bringing the calls slower than p95 down to the median would save.

use super::common::RuleInputs;
use crate::report::{Evidence, ModeLabel, OperationFigures, Recommendation, RecommendationKind};
use crate::units::{format_ms, format_share};

/// Operations with fewer calls ...
pub const MIN_CALLS: u64 = 20;
/// ... or a smaller share of the run's own work are not examined.
pub const MIN_SHARE: f64 = 0.01;

pub fn rules(inputs: &RuleInputs, out: &mut Vec<Recommendation>) {
    for (component, operation) in inputs.operations() {
        if operation.stats.count < MIN_CALLS || operation.share < MIN_SHARE {
            continue;
        }
        let tail_saving = operation.stats.tail_excess_ms * operation.own_fraction();
        let tail_share = inputs.run_share(tail_saving);
        let priority = inputs.saving_priority(tail_saving);
        let modes = inputs
            .modes
            .iter()
            .find(|modes| operation.is(&modes.component, &modes.operation, &modes.phase));
        let main = modes.and_then(|modes| {
            modes
                .modes
                .iter()
                .find(|mode| mode.label == ModeLabel::Main)
        });
        let slow_mode = modes.and_then(|modes| {
            modes.modes.iter().find(|mode| {
                matches!(
                    mode.label,
                    ModeLabel::WarmUp
                        | ModeLabel::PeriodicStall
                        | ModeLabel::SporadicSlow
                        | ModeLabel::Secondary
                )
            })
        });
        let (kind, text) = match (slow_mode, main) {
            (Some(mode), Some(main)) => {
                let what = match mode.label {
                    ModeLabel::WarmUp => format!(
                        "{}'s first calls are slow (warm-up): {} sampled calls took ~{} against ~{} typically, all within the first {:.1}s. Warm up (preallocate, first call outside the measured loop) before training.",
                        operation.operation,
                        mode.calls_in_sample,
                        format_ms(mode.typical_ms),
                        format_ms(main.typical_ms),
                        mode.last_at_s
                    ),
                    ModeLabel::PeriodicStall => format!(
                        "{} stalls periodically: about every {:.1}s {} ~{} instead of ~{} ({} sampled slow calls from {:.1}s to {:.1}s). Look for periodic work on that path (checkpointing, evaluation, log flushes, allocation bursts).",
                        operation.operation,
                        mode.period_s.unwrap_or(0.0),
                        if mode.burst_calls > 1.5 {
                            format!("a burst of ~{:.0} calls takes", mode.burst_calls)
                        } else {
                            "a call takes".to_string()
                        },
                        format_ms(mode.typical_ms),
                        format_ms(main.typical_ms),
                        mode.calls_in_sample,
                        mode.first_at_s,
                        mode.last_at_s
                    ),
                    ModeLabel::Secondary => format!(
                        "{} has two kinds of calls: {} of the sampled calls take ~{}, the rest ~{}, all through the run. Time them as separate operations to see which one costs.",
                        operation.operation,
                        format_share(mode.share_of_sample),
                        format_ms(mode.typical_ms),
                        format_ms(main.typical_ms)
                    ),
                    _ => format!(
                        "{} has sporadic slow calls: {} sampled calls took ~{} instead of ~{}, from {:.1}s to {:.1}s. Look for contention or blocking I/O on that path.",
                        operation.operation,
                        mode.calls_in_sample,
                        format_ms(mode.typical_ms),
                        format_ms(main.typical_ms),
                        mode.first_at_s,
                        mode.last_at_s
                    ),
                };
                let kind = match mode.label {
                    ModeLabel::WarmUp => RecommendationKind::WarmUp,
                    ModeLabel::PeriodicStall => RecommendationKind::PeriodicStall,
                    ModeLabel::Secondary => RecommendationKind::TwoKindsOfCalls,
                    _ => RecommendationKind::SporadicSlowCalls,
                };
                (kind, what)
            }
            _ if operation.stats.median_ms > 0.0
                && operation.stats.p99_ms >= 10.0 * operation.stats.median_ms =>
            {
                (
                    RecommendationKind::HighVariance,
                    format!(
                        "{} varies a lot: p99 {} against a median of {}. Find what makes the slow calls slow (stalls, contention, cold caches).",
                        operation.operation,
                        format_ms(operation.stats.p99_ms),
                        format_ms(operation.stats.median_ms)
                    ),
                )
            }
            _ => continue,
        };
        out.push(Recommendation {
            priority,
            component: component.name.clone(),
            operation: Some(operation.operation.clone()),
            kind,
            recommendation: text,
            impact: format!(
                "calls slower than p95 cost {} of own work beyond the median ({} of the run's own work)",
                format_ms(tail_saving),
                format_share(tail_share)
            ),
            estimated_saving_ms: Some(tail_saving),
            evidence: Evidence::Modes {
                operation: OperationFigures::of(operation),
                modes: modes.cloned(),
            },
        });
    }
}
