//! The run's side of the dashboard: a [`RunObserver`] that publishes what the training thread
//! tells it. `iteration` is called from `broadcast_metrics` (timed): it serialises the metrics
//! once and hands the text to every client's queue, never waiting for one.

use super::hub::Hub;
use super::protocol::{EvaluationBody, IterationBody, Kind, RunState};
use super::state::RunStatus;
use crate::evaluation::EvaluationReport;
use crate::manager::{IterationMetrics, ManagerSettings, RunObserver, StopReason};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The id in `<log_dir>/run.json`, when there is one.
pub fn manifest_run_id(log_dir: &Path) -> Option<String> {
    analyzer::runs::read_manifest(log_dir).ok()??.id
}

pub struct DashboardObserver {
    hub: Arc<Hub>,
    status: Arc<RunStatus>,
    log_dir: PathBuf,
    run_id: Option<String>,
}

impl DashboardObserver {
    pub fn new(hub: Arc<Hub>, status: Arc<RunStatus>, log_dir: PathBuf) -> Self {
        DashboardObserver {
            hub,
            status,
            log_dir,
            run_id: None,
        }
    }

    /// The run's id, once it has started and written its manifest.
    pub fn run_id(&self) -> Option<&str> {
        self.run_id.as_deref()
    }

    /// Where the run writes its logs: the settings' directory, or where the timing session
    /// put it (`TIMED_DIR`), once the run has started.
    pub fn log_dir(&self) -> &Path {
        &self.log_dir
    }
}

impl RunObserver for DashboardObserver {
    fn started(&mut self, settings: &ManagerSettings) {
        // `metrics.jsonl` goes with the run's other files, wherever the session put them.
        if let Some(dir) = settings.metrics_path.parent() {
            self.log_dir = dir.to_path_buf();
        }
        // The timing session (and with it the manifest) is started before the observer hears.
        self.run_id = manifest_run_id(&self.log_dir);
        let settings = serde_json::to_value(settings).ok();
        let run_id = self.run_id.clone();
        self.status.update(&self.hub, |status| {
            if status.state == RunState::Starting {
                status.state = RunState::Training;
            }
            status.run_id = run_id;
            status.settings = settings;
        });
    }

    fn iteration(&mut self, metrics: &IterationMetrics, progress: f64) {
        self.hub
            .publish_value(Kind::Iteration, &IterationBody { progress, metrics });
    }

    fn training_stopped(&mut self, _reason: StopReason) {
        self.status
            .update(&self.hub, |status| status.state = RunState::Finishing);
    }

    fn evaluation(&mut self, report: &EvaluationReport) {
        self.hub
            .publish_value(Kind::Evaluation, &EvaluationBody::from(report));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use analyzer::runs::MANIFEST_FILE;

    #[test]
    fn the_run_id_is_the_manifests() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(manifest_run_id(dir.path()), None);
        std::fs::write(
            dir.path().join(MANIFEST_FILE),
            "{\"id\": \"20261201T201809Z-2\"}",
        )
        .unwrap();
        assert_eq!(
            manifest_run_id(dir.path()).as_deref(),
            Some("20261201T201809Z-2")
        );
        std::fs::write(dir.path().join(MANIFEST_FILE), "{\"id\": 3").unwrap();
        assert_eq!(manifest_run_id(dir.path()), None);
    }
}
