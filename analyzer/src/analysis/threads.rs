//! Thread imbalance: an operation that runs on several threads but keeps one of them much
//! busier than the others (the others then wait, or the work is not spread evenly).

use crate::report::{ComponentReport, ThreadImbalance};

/// The busiest thread must carry at least this multiple of the mean busy time ...
pub const MIN_MAX_OVER_MEAN: f64 = 1.25;
/// ... while a call takes about as long on every thread (the same work, unevenly spread;
/// not an operation called from different places on different threads) ...
pub const MAX_MEAN_CALL_RATIO: f64 = 1.5;
/// ... in an operation that is at least this share of its component's time.
pub const MIN_SHARE: f64 = 0.05;

pub fn find_imbalances(components: &[ComponentReport]) -> Vec<ThreadImbalance> {
    let mut found: Vec<ThreadImbalance> = components
        .iter()
        .flat_map(|component| component.operations.iter())
        .filter(|operation| operation.threads.len() >= 2 && operation.share >= MIN_SHARE)
        .filter(|operation| {
            let per_call: Vec<f64> = operation
                .threads
                .iter()
                .map(|thread| thread.total_ms / thread.count.max(1) as f64)
                .collect();
            let fastest = per_call.iter().copied().fold(f64::INFINITY, f64::min);
            let slowest = per_call.iter().copied().fold(0.0, f64::max);
            fastest > 0.0 && slowest / fastest <= MAX_MEAN_CALL_RATIO
        })
        .filter_map(|operation| {
            let busy: Vec<f64> = operation
                .threads
                .iter()
                .map(|thread| thread.self_ms.unwrap_or(thread.total_ms))
                .collect();
            let mean = busy.iter().sum::<f64>() / busy.len() as f64;
            let max = busy.iter().copied().fold(0.0, f64::max);
            let ratio = if mean > 0.0 { max / mean } else { 1.0 };
            (ratio >= MIN_MAX_OVER_MEAN).then(|| ThreadImbalance {
                component: operation.component.clone(),
                operation: operation.operation.clone(),
                phase: operation.phase.clone(),
                threads: operation.threads.clone(),
                max_over_mean: ratio,
                share: operation.share,
            })
        })
        .collect();
    found.sort_by(|a, b| (b.max_over_mean * b.share).total_cmp(&(a.max_over_mean * a.share)));
    found
}
