//! What to change, with the evidence: the original's six rules keyed on operation names, and
//! the ones the data supports beyond them, one family per file (outliers and modes, slowing
//! trends, thread imbalance, waiting for workers, cross-component coordination, children vs
//! own work, tiny frequent calls, failed calls, input problems). Priorities come from shares
//! of the run's own work; the list is ranked by estimated saving (README "How severity is
//! decided").

pub mod categories;
pub mod common;
pub mod coordination;
pub mod failures;
pub mod imbalance;
pub mod input_problems;
pub mod own_work;
pub mod tiny_calls;
pub mod trends;
pub mod variance;
pub mod waiting;

pub use categories::Category;
pub use common::RuleInputs;

use std::cmp::Ordering;

use crate::report::{Recommendation, RecommendationKind};

/// Failed calls first (their timings are not of completed work), then by estimated saving
/// (priority breaks ties), then the recommendations without a time estimate by priority.
fn rank(a: &Recommendation, b: &Recommendation) -> Ordering {
    let group = |r: &Recommendation| match (r.kind, r.estimated_saving_ms) {
        (RecommendationKind::PanickedCalls, _) => 0,
        (_, Some(_)) => 1,
        (_, None) => 2,
    };
    group(a)
        .cmp(&group(b))
        .then_with(|| {
            b.estimated_saving_ms
                .unwrap_or(0.0)
                .total_cmp(&a.estimated_saving_ms.unwrap_or(0.0))
        })
        .then_with(|| b.priority.cmp(&a.priority))
        .then_with(|| {
            (&a.component, &a.operation, a.kind.as_str()).cmp(&(
                &b.component,
                &b.operation,
                b.kind.as_str(),
            ))
        })
}

/// Every rule family's recommendations, ranked.
pub fn recommend(inputs: &RuleInputs) -> Vec<Recommendation> {
    let mut out = Vec::new();
    categories::rules(inputs, &mut out);
    variance::rules(inputs, &mut out);
    trends::rules(inputs, &mut out);
    imbalance::rules(inputs, &mut out);
    waiting::rules(inputs, &mut out);
    coordination::rules(inputs, &mut out);
    own_work::rules(inputs, &mut out);
    tiny_calls::rules(inputs, &mut out);
    failures::rules(inputs, &mut out);
    input_problems::rules(inputs, &mut out);
    out.sort_by(rank);
    out
}
