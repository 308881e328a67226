//! Why a command failed, and the exit code that says so: 2 for a request that cannot be
//! carried out as given (bad configuration, a checkpoint that does not match the request),
//! 1 for a failure while carrying it out (I/O, a corrupt checkpoint).

use crate::checkpoint::{CheckpointError, CheckpointErrorKind};
use crate::ppo::ConfigError;
use std::fmt;
use std::io;
use std::path::PathBuf;

#[derive(Debug)]
pub enum RunError {
    Config(ConfigError),
    Checkpoint(CheckpointError),
    Timing(timed_runtime::Error),
    /// Writing the metrics stream failed.
    Metrics {
        path: PathBuf,
        source: io::Error,
    },
    Analysis(analyzer::Error),
}

impl RunError {
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Config(_) => 2,
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
            RunError::Config(e) => write!(f, "{e}"),
            RunError::Checkpoint(e) => write!(f, "{e}"),
            RunError::Timing(e) => write!(f, "timing: {e}"),
            RunError::Metrics { path, source } => {
                write!(f, "cannot write metrics to {}: {source}", path.display())
            }
            RunError::Analysis(e) => write!(f, "timing analysis: {e}"),
        }
    }
}

impl std::error::Error for RunError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RunError::Config(e) => Some(e),
            RunError::Checkpoint(e) => Some(e),
            RunError::Timing(e) => Some(e),
            RunError::Metrics { source, .. } => Some(source),
            RunError::Analysis(e) => Some(e),
        }
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
