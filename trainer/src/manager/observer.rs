//! The seam for whoever follows a training run as it goes (the live dashboard, a run manifest):
//! `run_training` tells an observer the settings the run resolved to, each iteration's metrics
//! right after `metrics.jsonl` has them, and the greedy evaluation when it is done. Calls come
//! from the training thread, between iterations: an observer that must not slow training hands
//! the data on and returns.

use super::StopReason;
use super::metrics::IterationMetrics;
use super::resolve::ManagerSettings;
use crate::evaluation::EvaluationReport;

pub trait RunObserver {
    /// What the run is about to train with: every PPO and manager setting, after a resumed
    /// checkpoint's values are merged in.
    fn started(&mut self, settings: &ManagerSettings) {
        let _ = settings;
    }

    /// One iteration's metrics; `progress` is the share of the budget used, in [0, 1].
    fn iteration(&mut self, metrics: &IterationMetrics, progress: f64) {
        let _ = (metrics, progress);
    }

    /// Training is over (the final checkpoint is written); the evaluation, the logs and the
    /// report follow.
    fn training_stopped(&mut self, reason: StopReason) {
        let _ = reason;
    }

    /// The greedy evaluation after training (not called when it is skipped).
    fn evaluation(&mut self, report: &EvaluationReport) {
        let _ = report;
    }
}

/// No observer: the command line's run, whose only audience is stdout and the files.
impl RunObserver for () {}
