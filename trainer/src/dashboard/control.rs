//! Starting and stopping runs from the dashboard: settings from JSON over the server's base
//! settings, checked before anything starts (each refusal names the field), one run at a
//! time on a thread of its own, running exactly what the command line runs
//! ([`run_training`]), and a stop that is Ctrl-C's.

use super::error::StartError;
use super::files::{LATEST, link};
use super::hub::Hub;
use super::observer::DashboardObserver;
use super::protocol::{EndReason, FinishedBody};
use super::state::RunStatus;
use crate::checkpoint::{CheckpointErrorKind, load_checkpoint};
use crate::error::{Chain, RunError};
use crate::manager::run::refuse_one_directory_for_both;
use crate::manager::{ManagerSettings, Resume, StopReason, TrainSettings, run_training};
use analyzer::export::compare_html::COMPARISON_HTML;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

/// What a run's thread ends with: the run's result, or the panic that ended it.
pub type RunOutcome = thread::Result<Result<StopReason, RunError>>;

/// A run started from the dashboard, for whoever started it to wait on.
#[derive(Debug)]
pub struct RunHandle {
    outcome: mpsc::Receiver<RunOutcome>,
}

impl RunHandle {
    /// Blocks until the run ends; a panic in the run goes on in the caller.
    pub fn wait(self) -> Result<StopReason, RunError> {
        match self.outcome.recv() {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(mpsc::RecvError) => unreachable!("a run's thread always reports its end"),
        }
    }

    /// The outcome if the run ends within `timeout`.
    pub fn wait_timeout(&self, timeout: Duration) -> Option<RunOutcome> {
        self.outcome.recv_timeout(timeout).ok()
    }
}

fn refuse(field: Option<&str>, message: String) -> StartError {
    StartError::Settings {
        field: field.map(str::to_string),
        message,
    }
}

/// The settings a request asks for: the JSON object's fields over `base` (a field left out
/// keeps `base`'s value; `null` clears an optional one). Refuses, naming the field, what is
/// not a setting, not of its type, or a value no run can use.
pub fn settings_from_json(base: &TrainSettings, body: &[u8]) -> Result<TrainSettings, StartError> {
    let request: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| refuse(None, format!("the request body is not JSON: {e}")))?;
    let serde_json::Value::Object(fields) = request else {
        return Err(refuse(
            None,
            "the request body must be a JSON object of settings, e.g. {\"updates\": 50}".into(),
        ));
    };
    let serde_json::Value::Object(mut merged) =
        serde_json::to_value(base).expect("settings serialise to a JSON object")
    else {
        unreachable!("settings serialise to a JSON object");
    };
    for (name, value) in fields {
        if !merged.contains_key(&name) {
            let known: Vec<&str> = merged.keys().map(String::as_str).collect();
            return Err(refuse(
                Some(&name),
                format!(
                    "unknown setting `{name}`: expected one of {}",
                    known.join(", ")
                ),
            ));
        }
        merged.insert(name, value);
    }
    let settings: TrainSettings =
        serde_path_to_error::deserialize(serde_json::Value::Object(merged)).map_err(|e| {
            let field = e.path().to_string();
            refuse(
                Some(&field),
                format!("invalid setting `{field}`: {}", e.inner()),
            )
        })?;
    settings
        .validate()
        .map_err(|e| refuse(Some(e.field), e.to_string()))?;
    Ok(settings)
}

/// Checks that the settings resolve into a run (the fields together, and against the
/// checkpoint to resume), as the run will, before anything starts.
pub fn check_resolves(settings: &TrainSettings) -> Result<(), StartError> {
    refuse_one_directory_for_both(settings).map_err(|e| refuse(Some(e.field), e.to_string()))?;
    let resume = match &settings.resume {
        Some(path) => Some(Resume {
            path: path.clone(),
            checkpoint: load_checkpoint(path)
                .map_err(|e| refuse(Some("resume"), Chain(&e).to_string()))?,
        }),
        None => None,
    };
    ManagerSettings::resolve(settings, resume.as_ref()).map_err(|e| {
        let field = match &e {
            RunError::Settings(s) => Some(s.field),
            RunError::Checkpoint(c)
                if matches!(c.kind, CheckpointErrorKind::HiddenMismatch { .. }) =>
            {
                Some("hidden")
            }
            RunError::Checkpoint(_) => Some("resume"),
            // The PPO configuration's message names the fields that do not fit together.
            _ => None,
        };
        refuse(field, Chain(&e).to_string())
    })?;
    Ok(())
}

/// The dashboard's runs.
#[derive(Debug)]
pub struct Control {
    hub: Arc<Hub>,
    status: Arc<RunStatus>,
    base: TrainSettings,
    /// Log directories of the runs started here (the base's first): where run ids resolve.
    log_dirs: Arc<Mutex<Vec<PathBuf>>>,
}

impl Control {
    pub fn new(hub: Arc<Hub>, status: Arc<RunStatus>, base: TrainSettings) -> Self {
        Control {
            log_dirs: Arc::new(Mutex::new(vec![base.log_dir.clone()])),
            hub,
            status,
            base,
        }
    }

    pub fn base(&self) -> &TrainSettings {
        &self.base
    }

    pub fn status(&self) -> &RunStatus {
        &self.status
    }

    pub fn log_dirs(&self) -> Vec<PathBuf> {
        self.log_dirs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Starts `settings`' run on a thread of its own, after checking that it resolves;
    /// [`StartError::Busy`] while a run is going.
    pub fn start(&self, settings: TrainSettings) -> Result<RunHandle, StartError> {
        settings
            .validate()
            .map_err(|e| refuse(Some(e.field), e.to_string()))?;
        check_resolves(&settings)?;
        let stop = self.status.begin(&self.hub).ok_or(StartError::Busy)?;
        remember(&self.log_dirs, &settings.log_dir);
        let log_dirs = Arc::clone(&self.log_dirs);
        let (report, outcome) = mpsc::channel();
        let hub = Arc::clone(&self.hub);
        let status = Arc::clone(&self.status);
        let spawned = thread::Builder::new()
            .name("trainer-run".into())
            .spawn(move || {
                let started = Instant::now();
                let mut observer = DashboardObserver::new(
                    Arc::clone(&hub),
                    Arc::clone(&status),
                    settings.log_dir.clone(),
                );
                let result = catch_unwind(AssertUnwindSafe(|| {
                    run_training(&settings, &stop, &mut observer)
                }));
                let finished = finished_body(
                    observer.log_dir(),
                    observer.run_id(),
                    &result,
                    started.elapsed(),
                );
                // Where the timing session put the logs (`TIMED_DIR` may move them).
                remember(&log_dirs, observer.log_dir());
                status.finish(&hub, &finished);
                // Nobody waits for a run started from the page.
                let _ = report.send(result);
            });
        match spawned {
            Ok(_) => Ok(RunHandle { outcome }),
            Err(e) => {
                let finished = FinishedBody {
                    reason: EndReason::Failed,
                    error: Some(format!("cannot start the run's thread: {e}")),
                    run_id: None,
                    duration_s: 0.0,
                    report: None,
                    comparison: None,
                };
                self.status.finish(&self.hub, &finished);
                Err(StartError::Spawn(e.to_string()))
            }
        }
    }

    /// Asks the running run to stop after its current iteration; `false` when none is going.
    pub fn request_stop(&self) -> bool {
        self.status.request_stop(&self.hub)
    }

    /// Waits until no run is going, at most `timeout`; whether none is.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while self.status.is_running() {
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(20));
        }
        true
    }
}

fn remember(log_dirs: &Mutex<Vec<PathBuf>>, dir: &std::path::Path) {
    let mut dirs = log_dirs.lock().unwrap_or_else(PoisonError::into_inner);
    if !dirs.iter().any(|known| known == dir) {
        dirs.push(dir.to_path_buf());
    }
}

fn finished_body(
    log_dir: &std::path::Path,
    run_id: Option<&str>,
    result: &RunOutcome,
    duration: Duration,
) -> FinishedBody {
    let (reason, error) = match result {
        Ok(Ok(StopReason::BudgetSpent)) => (EndReason::BudgetSpent, None),
        Ok(Ok(StopReason::Interrupted)) => (EndReason::Interrupted, None),
        Ok(Err(e)) => (EndReason::Failed, Some(Chain(e).to_string())),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".into());
            (
                EndReason::Failed,
                Some(format!("the run panicked: {message}")),
            )
        }
    };
    let id = run_id.unwrap_or(LATEST);
    FinishedBody {
        reason,
        error,
        run_id: run_id.map(str::to_string),
        duration_s: duration.as_secs_f64(),
        report: link(log_dir, id, analyzer::export::html::REPORT_HTML),
        comparison: link(log_dir, id, COMPARISON_HTML),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn refused(body: &str) -> (Option<String>, String) {
        match settings_from_json(&TrainSettings::default(), body.as_bytes()) {
            Err(StartError::Settings { field, message }) => (field, message),
            other => panic!("{body}: expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn fields_override_the_base_and_the_rest_keep_it() {
        let base = TrainSettings {
            log_dir: PathBuf::from("served/logs"),
            eval_games: 10,
            ..TrainSettings::default()
        };
        let settings = settings_from_json(
            &base,
            br#"{"updates": 5, "envs": 8, "hidden": [16, 16], "reward": "log2", "timing_mode": "summary"}"#,
        )
        .unwrap();
        assert_eq!(
            settings,
            TrainSettings {
                updates: Some(5),
                envs: Some(8),
                hidden: Some(vec![16, 16]),
                reward: Some(crate::ppo::RewardShaping::Log2),
                timing_mode: crate::timing::TimingMode::Summary,
                ..base.clone()
            }
        );
        assert_eq!(settings_from_json(&base, b"{}").unwrap(), base);
    }

    #[test]
    fn each_refusal_names_the_field() {
        assert_eq!(
            refused(r#"{"envs": -4}"#),
            (
                Some("envs".into()),
                "invalid setting `envs`: invalid value: integer `-4`, expected usize".into()
            )
        );
        assert_eq!(
            refused(r#"{"hidden": [64, "wide"]}"#).0.as_deref(),
            Some("hidden[1]")
        );
        assert_eq!(
            refused(r#"{"updates": 0}"#),
            (
                Some("updates".into()),
                "invalid setting `updates`: must be at least 1".into()
            )
        );
        let (field, message) = refused(r#"{"update": 5}"#);
        assert_eq!(field.as_deref(), Some("update"));
        assert!(
            message.starts_with(
                "unknown setting `update`: expected one of checkpoint_dir, checkpoint_every, envs,"
            ),
            "{message}"
        );
        assert_eq!(
            refused(r#"{"reward": "cubic"}"#).0.as_deref(),
            Some("reward")
        );
        assert_eq!(
            refused("[1, 2]"),
            (
                None,
                "the request body must be a JSON object of settings, e.g. {\"updates\": 50}".into()
            )
        );
        assert!(
            refused("{\"updates\": ")
                .1
                .starts_with("the request body is not JSON: EOF while parsing")
        );
    }

    #[test]
    fn settings_are_checked_together_before_a_run_starts() {
        let settings = TrainSettings {
            envs: Some(3),
            threads: Some(2),
            ..TrainSettings::default()
        };
        assert_eq!(
            check_resolves(&settings),
            Err(StartError::Settings {
                field: None,
                message: "invalid PPO configuration: num_envs 3 must be a multiple of threads 2 \
                          (each thread steps an equal shard)"
                    .into()
            })
        );
        let shared = TrainSettings {
            log_dir: PathBuf::from("runs"),
            checkpoint_dir: PathBuf::from("runs"),
            ..TrainSettings::default()
        };
        assert_eq!(
            check_resolves(&shared),
            Err(StartError::Settings {
                field: Some("checkpoint_dir".into()),
                message: "invalid setting `checkpoint_dir`: runs is also the log directory: each \
                          keeps its earlier runs under its own runs/, so they must differ"
                    .into()
            })
        );
        let missing = TrainSettings {
            resume: Some(Path::new("/nonexistent/final.ckpt").to_path_buf()),
            ..TrainSettings::default()
        };
        assert_eq!(
            check_resolves(&missing),
            Err(StartError::Settings {
                field: Some("resume".into()),
                message: "checkpoint /nonexistent/final.ckpt: cannot read: No such file or \
                          directory (os error 2)"
                    .into()
            })
        );
    }
}
