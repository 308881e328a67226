//! What can go wrong with a checkpoint file. Every error names the file and says what is wrong
//! in words a user can act on; an underlying I/O or tensor error is its `source()`, printed
//! after it by whoever reports the chain, never inside its own message.

use super::format::DecodeError;
use crate::model::TensorError;
use crate::ppo::ConfigError;
use crate::ppo::config::join_sizes;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct CheckpointError {
    pub path: PathBuf,
    pub kind: CheckpointErrorKind,
}

#[derive(Debug)]
pub enum CheckpointErrorKind {
    /// Reading failed; the I/O error is the source.
    Read(io::Error),
    /// Writing failed; the I/O error is the source.
    Write(io::Error),
    /// The bytes are not a checkpoint this trainer reads.
    Decode(DecodeError),
    /// The checkpoint's network has other hidden sizes than the ones asked for.
    HiddenMismatch {
        stored: Vec<usize>,
        requested: Vec<usize>,
    },
    /// The stored tensors do not fit the network the stored configuration describes; the
    /// tensor error is the source.
    Tensors(TensorError),
    /// The stored configuration is not one the trainer accepts.
    Config(ConfigError),
    /// The earlier run's files in the checkpoint directory (the error's path) could not be
    /// moved into `runs/<id>/`; the runtime's error, naming the paths, is the source.
    KeepRun(timed_runtime::Error),
}

impl CheckpointError {
    pub fn new(path: &Path, kind: CheckpointErrorKind) -> Self {
        CheckpointError {
            path: path.to_path_buf(),
            kind,
        }
    }
}

impl fmt::Display for CheckpointErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use CheckpointErrorKind::*;
        match self {
            Read(_) => write!(f, "cannot read"),
            Write(_) => write!(f, "cannot write"),
            Decode(e) => write!(f, "{e}"),
            HiddenMismatch { stored, requested } => write!(
                f,
                "holds a network with hidden sizes {}, but hidden sizes {} were requested",
                join_sizes(stored),
                join_sizes(requested)
            ),
            Tensors(_) => write!(f, "does not fit its network"),
            Config(e) => write!(f, "holds an {e}"),
            KeepRun(_) => write!(f, "cannot keep the earlier run's checkpoints"),
        }
    }
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "checkpoint {}: {}", self.path.display(), self.kind)
    }
}

impl std::error::Error for CheckpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            CheckpointErrorKind::Read(e) | CheckpointErrorKind::Write(e) => Some(e),
            CheckpointErrorKind::Tensors(e) => Some(e),
            CheckpointErrorKind::KeepRun(e) => Some(e),
            CheckpointErrorKind::Decode(_)
            | CheckpointErrorKind::HiddenMismatch { .. }
            | CheckpointErrorKind::Config(_) => None,
        }
    }
}
