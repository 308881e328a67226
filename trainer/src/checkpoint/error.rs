//! What can go wrong with a checkpoint file. Every error names the file, and says what is wrong
//! in words a user can act on.

use crate::model::TensorError;
use crate::ppo::ConfigError;
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
    Read(io::Error),
    Write(io::Error),
    /// The file does not start with [`super::format::MAGIC`].
    BadMagic,
    /// The file ends before the header, or before the payload the header announces.
    Truncated {
        expected: u64,
        found: u64,
    },
    /// Bytes follow the payload the header announces.
    TrailingBytes {
        expected: u64,
        found: u64,
    },
    /// Written by a newer trainer.
    FutureVersion {
        found: u32,
        supported: u32,
    },
    /// A version number no trainer ever wrote (0).
    UnknownVersion(u32),
    ChecksumMismatch {
        stored: u32,
        computed: u32,
    },
    /// The payload passed its checksum but does not parse: a bug or a hand-made file.
    Malformed {
        offset: usize,
        what: String,
    },
    /// The checkpoint's network has other hidden sizes than the ones asked for.
    HiddenMismatch {
        stored: Vec<usize>,
        requested: Vec<usize>,
    },
    /// The stored tensors do not fit the network the stored configuration describes.
    Tensors(TensorError),
    /// The stored configuration is not one the trainer accepts.
    Config(ConfigError),
}

impl CheckpointError {
    pub fn new(path: &Path, kind: CheckpointErrorKind) -> Self {
        CheckpointError {
            path: path.to_path_buf(),
            kind,
        }
    }
}

pub(crate) fn join_sizes(sizes: &[usize]) -> String {
    sizes
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

impl fmt::Display for CheckpointErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use CheckpointErrorKind::*;
        match self {
            Read(e) => write!(f, "cannot read: {e}"),
            Write(e) => write!(f, "cannot write: {e}"),
            BadMagic => write!(
                f,
                "not a trainer checkpoint (it does not start with the magic bytes {:?})",
                String::from_utf8_lossy(super::format::MAGIC)
            ),
            Truncated { expected, found } => write!(
                f,
                "truncated: {found} bytes, but the checkpoint needs {expected}"
            ),
            TrailingBytes { expected, found } => write!(
                f,
                "corrupt: {found} bytes, but the header announces {expected}"
            ),
            FutureVersion { found, supported } => write!(
                f,
                "format version {found} is newer than this trainer reads (version {supported}); \
                 use a newer trainer"
            ),
            UnknownVersion(version) => write!(f, "unknown format version {version}"),
            ChecksumMismatch { stored, computed } => write!(
                f,
                "checksum mismatch (stored {stored:08x}, computed {computed:08x}): the file is \
                 corrupt"
            ),
            Malformed { offset, what } => write!(f, "malformed payload at byte {offset}: {what}"),
            HiddenMismatch { stored, requested } => write!(
                f,
                "holds a network with hidden sizes {}, but hidden sizes {} were requested",
                join_sizes(stored),
                join_sizes(requested)
            ),
            Tensors(e) => write!(f, "does not fit its network: {e}"),
            Config(e) => write!(f, "holds an {e}"),
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
            CheckpointErrorKind::Config(e) => Some(e),
            _ => None,
        }
    }
}
