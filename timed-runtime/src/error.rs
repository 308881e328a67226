//! Errors of `init` and `flush`. Recording itself never fails the instrumented program: write
//! failures are counted per log and reported here and in the summaries.

use std::fmt;
use std::io;
use std::path::PathBuf;

#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// `init` was called while a session is live (drop its `Session` first).
    AlreadyInitialized,
    /// The log directory could not be created.
    CreateDir { path: PathBuf, source: io::Error },
    /// A log or summary file could not be opened for writing.
    Open { path: PathBuf, source: io::Error },
    /// A write to a log or summary file failed; the rows concerned are counted as lost.
    Write { path: PathBuf, source: io::Error },
    /// An environment variable holds a value the runtime does not understand.
    InvalidEnv {
        var: &'static str,
        value: String,
        expected: &'static str,
    },
    /// A file stem would escape the log directory or is empty.
    InvalidStem { component: String, stem: String },
    /// The background writer thread could not be started.
    SpawnWriter(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::AlreadyInitialized => {
                f.write_str("timing is already initialised: drop the live Session first")
            }
            Error::CreateDir { path, source } => {
                write!(
                    f,
                    "cannot create log directory {}: {source}",
                    path.display()
                )
            }
            Error::Open { path, source } => {
                write!(f, "cannot open {} for writing: {source}", path.display())
            }
            Error::Write { path, source } => {
                write!(f, "cannot write to {}: {source}", path.display())
            }
            Error::InvalidEnv {
                var,
                value,
                expected,
            } => write!(f, "{var}={value:?} is not valid: expected {expected}"),
            Error::InvalidStem { component, stem } => write!(
                f,
                "file stem {stem:?} for component {component:?} must be a non-empty file name \
                 without path separators"
            ),
            Error::SpawnWriter(source) => {
                write!(f, "cannot start the timing writer thread: {source}")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::CreateDir { source, .. }
            | Error::Open { source, .. }
            | Error::Write { source, .. }
            | Error::SpawnWriter(source) => Some(source),
            _ => None,
        }
    }
}
