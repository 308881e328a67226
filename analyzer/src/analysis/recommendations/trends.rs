//! Operations that slow down as the run goes on: what the slowdown has cost so far.

use super::common::RuleInputs;
use crate::report::{Evidence, Recommendation, RecommendationKind, Severity};
use crate::units::{format_ms, format_share};

pub fn rules(inputs: &RuleInputs, out: &mut Vec<Recommendation>) {
    for trend in inputs.trends.iter().filter(|trend| trend.slowing) {
        let Some((component, operation)) =
            inputs.find_operation(&trend.component, &trend.operation, &trend.phase)
        else {
            continue;
        };
        let extra_ms = (operation.stats.mean_ms - trend.fitted_start_ms).max(0.0)
            * operation.stats.count as f64
            * operation.own_fraction();
        let priority = if trend.change_over_run >= 0.5 && operation.share >= 0.05 {
            Severity::High
        } else if operation.share >= 0.01 {
            Severity::Medium
        } else {
            Severity::Low
        };
        out.push(Recommendation {
            priority,
            component: component.name.clone(),
            operation: Some(operation.operation.clone()),
            kind: RecommendationKind::SlowingTrend,
            recommendation: format!(
                "{} slows down as training goes on: from ~{} to ~{} over {:.1}s (+{}); at twice the run's length it would take ~{}. Look for growing buffers, caches or leaks on that path.",
                operation.operation,
                format_ms(trend.fitted_start_ms),
                format_ms(trend.fitted_end_ms),
                trend.span_s,
                format_share(trend.change_over_run),
                format_ms(trend.projected_at_twice_run_ms)
            ),
            impact: format!(
                "the slowdown has cost ~{} so far and grows with run length",
                format_ms(extra_ms)
            ),
            estimated_saving_ms: Some(extra_ms),
            evidence: Evidence::Trend(trend.clone()),
        });
    }
}
