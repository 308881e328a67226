//! Why a command failed, and the exit code that says so: 2 for a request that cannot be
//! carried out as given (bad configuration, a checkpoint that does not match the request),
//! 1 for a failure while carrying it out (I/O, a corrupt checkpoint).
//!
//! Errors follow the convention of `thiserror` and `anyhow`: a message never repeats its
//! `source()`. [`Chain`] prints an error with its causes, each once.

use crate::checkpoint::{CheckpointError, CheckpointErrorKind};
use crate::ppo::ConfigError;
use std::error::Error;
use std::fmt;
use std::io;
use std::path::PathBuf;

/// A setting no run can use, named as the settings' JSON and the command line name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingsError {
    pub field: &'static str,
    pub problem: String,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid setting `{}`: {}", self.field, self.problem)
    }
}

impl Error for SettingsError {}

#[derive(Debug)]
pub enum RunError {
    /// A setting is refused (its message is this error's).
    Settings(SettingsError),
    /// The PPO configuration is refused (its message is this error's).
    Config(ConfigError),
    /// A checkpoint cannot be read, written or used (its message and causes are this error's).
    Checkpoint(CheckpointError),
    /// The timing runtime failed; it is the source.
    Timing(timed_runtime::Error),
    /// Writing the metrics stream failed; the I/O error is the source.
    Metrics { path: PathBuf, source: io::Error },
    /// The timing analysis failed; it is the source.
    Analysis(analyzer::Error),
}

impl RunError {
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Settings(_) | RunError::Config(_) => 2,
            RunError::Checkpoint(e)
                if matches!(e.kind, CheckpointErrorKind::HiddenMismatch { .. }) =>
            {
                2
            }
            _ => 1,
        }
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Settings(e) => write!(f, "{e}"),
            RunError::Config(e) => write!(f, "{e}"),
            RunError::Checkpoint(e) => write!(f, "{e}"),
            RunError::Timing(_) => write!(f, "timing"),
            RunError::Metrics { path, .. } => {
                write!(f, "cannot write metrics to {}", path.display())
            }
            RunError::Analysis(_) => write!(f, "timing analysis"),
        }
    }
}

impl Error for RunError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            // Transparent: their messages are this one, so their causes come next.
            RunError::Settings(e) => e.source(),
            RunError::Config(e) => e.source(),
            RunError::Checkpoint(e) => e.source(),
            RunError::Timing(e) => Some(e),
            RunError::Metrics { source, .. } => Some(source),
            RunError::Analysis(e) => Some(e),
        }
    }
}

impl From<SettingsError> for RunError {
    fn from(e: SettingsError) -> Self {
        RunError::Settings(e)
    }
}

impl From<ConfigError> for RunError {
    fn from(e: ConfigError) -> Self {
        RunError::Config(e)
    }
}

impl From<CheckpointError> for RunError {
    fn from(e: CheckpointError) -> Self {
        RunError::Checkpoint(e)
    }
}

impl From<timed_runtime::Error> for RunError {
    fn from(e: timed_runtime::Error) -> Self {
        RunError::Timing(e)
    }
}

impl From<analyzer::Error> for RunError {
    fn from(e: analyzer::Error) -> Self {
        RunError::Analysis(e)
    }
}

/// An error followed by each of its causes, joined by `": "` (as `anyhow`'s `{:#}`):
/// `checkpoint a.ckpt: cannot read: No such file or directory (os error 2)`. The analyzer's, so
/// that the trainer and the analyzer render a chain one way.
pub use analyzer::error::Chain;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::DecodeError;
    use crate::model::TensorError;
    use std::path::Path;

    fn not_found() -> io::Error {
        io::Error::from_raw_os_error(2)
    }

    /// Each message of the chain, from the error down to the last cause.
    fn messages(error: &(dyn Error + 'static)) -> Vec<String> {
        std::iter::successors(Some(error), |&e| e.source())
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn a_checkpoint_read_error_prints_its_cause_once() {
        let error = RunError::from(CheckpointError::new(
            Path::new("a.ckpt"),
            CheckpointErrorKind::Read(not_found()),
        ));
        assert_eq!(
            messages(&error),
            [
                "checkpoint a.ckpt: cannot read",
                "No such file or directory (os error 2)"
            ]
        );
        assert_eq!(
            Chain(&error).to_string(),
            "checkpoint a.ckpt: cannot read: No such file or directory (os error 2)"
        );
        assert_eq!(error.exit_code(), 1);
    }

    #[test]
    fn an_earlier_run_that_cannot_be_kept_names_the_directory_then_the_paths() {
        let error = RunError::from(CheckpointError::new(
            Path::new("checkpoints"),
            CheckpointErrorKind::KeepRun(timed_runtime::Error::KeepRun {
                from: PathBuf::from("checkpoints/final.ckpt"),
                to: PathBuf::from("checkpoints/runs/20261201T201809Z/final.ckpt"),
                source: io::Error::from_raw_os_error(18),
            }),
        ));
        assert_eq!(
            Chain(&error).to_string(),
            "checkpoint checkpoints: cannot keep the earlier run's checkpoints: cannot move \
             checkpoints/final.ckpt to checkpoints/runs/20261201T201809Z/final.ckpt: Invalid \
             cross-device link (os error 18)"
        );
        assert_eq!(error.exit_code(), 1);
    }

    #[test]
    fn a_tensor_mismatch_is_the_checkpoints_cause() {
        let error = RunError::from(CheckpointError::new(
            Path::new("b.ckpt"),
            CheckpointErrorKind::Tensors(TensorError::Missing("value.bias".into())),
        ));
        assert_eq!(
            Chain(&error).to_string(),
            "checkpoint b.ckpt: does not fit its network: tensor `value.bias` is missing"
        );
        assert_eq!(messages(&error).len(), 2);
    }

    #[test]
    fn messages_without_a_cause_are_the_whole_chain() {
        let corrupt = RunError::from(CheckpointError::new(
            Path::new("c.ckpt"),
            CheckpointErrorKind::Decode(DecodeError::UnknownVersion(0)),
        ));
        assert_eq!(
            messages(&corrupt),
            ["checkpoint c.ckpt: unknown format version 0"]
        );
        let config = RunError::from(ConfigError("threads must be at least 1".into()));
        assert_eq!(
            Chain(&config).to_string(),
            "invalid PPO configuration: threads must be at least 1"
        );
        assert_eq!(config.exit_code(), 2);
        let stored = CheckpointError::new(
            Path::new("d.ckpt"),
            CheckpointErrorKind::Config(ConfigError("epochs must be at least 1".into())),
        );
        assert_eq!(
            messages(&stored),
            ["checkpoint d.ckpt: holds an invalid PPO configuration: epochs must be at least 1"]
        );
    }

    #[test]
    fn metrics_and_timing_errors_name_what_failed_before_the_cause() {
        let metrics = RunError::Metrics {
            path: PathBuf::from("logs/metrics.jsonl"),
            source: io::Error::from_raw_os_error(28),
        };
        assert_eq!(
            messages(&metrics),
            [
                "cannot write metrics to logs/metrics.jsonl",
                "No space left on device (os error 28)"
            ]
        );
        // The runtime's own error (and its causes) follow the word `timing`, once.
        let timing = RunError::from(timed_runtime::Error::AlreadyInitialized);
        let runtime = messages(&timed_runtime::Error::AlreadyInitialized);
        assert_eq!(messages(&timing)[0], "timing");
        assert_eq!(messages(&timing)[1..], runtime);
        assert_eq!(
            Chain(&timing).to_string(),
            format!("timing: {}", runtime.join(": "))
        );
    }
}
