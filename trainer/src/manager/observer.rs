//! The seam for whoever follows a training run as it goes (the live dashboard): `run_training`
//! tells an observer each iteration's metrics, right after `metrics.jsonl` has them, and the
//! greedy evaluation when it is done. Calls come from the training thread, between iterations:
//! an observer that must not slow training hands the data on and returns.

use super::metrics::IterationMetrics;
use crate::evaluation::EvaluationReport;

pub trait RunObserver {
    /// One iteration's metrics; `progress` is the share of the budget used, in [0, 1].
    fn iteration(&mut self, metrics: &IterationMetrics, progress: f64) {
        let _ = (metrics, progress);
    }

    /// The greedy evaluation after training (not called when it is skipped).
    fn evaluation(&mut self, report: &EvaluationReport) {
        let _ = report;
    }
}

/// No observer: the command line's run, whose only audience is stdout and the files.
impl RunObserver for () {}
