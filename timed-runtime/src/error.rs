//! Errors of `init` and `flush`. Recording itself never fails the instrumented program: write
//! failures are counted per log and reported here and in the summaries.
//!
//! `Display` says what failed and where; the cause (the OS error) is the `source()`, printed
//! once by whoever prints the chain (`anyhow`, `{:#}`-style reporters, or `ErrorChain`).

use std::fmt;
use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `init` was called while a session is live (drop its `Session` first).
    #[error("timing is already initialised: drop the live Session first")]
    AlreadyInitialized,
    /// The log directory could not be created.
    #[error("cannot create log directory {}", path.display())]
    CreateDir { path: PathBuf, source: io::Error },
    /// A log or summary file could not be opened for writing.
    #[error("cannot open {} for writing", path.display())]
    Open { path: PathBuf, source: io::Error },
    /// A write to a log or summary file failed; the rows concerned are counted as lost.
    #[error("cannot write to {}", path.display())]
    Write { path: PathBuf, source: io::Error },
    /// An environment variable holds a value the runtime does not understand.
    #[error("{var}={value:?} is not valid: expected {expected}")]
    InvalidEnv {
        var: &'static str,
        value: String,
        expected: &'static str,
    },
    /// A file stem would escape the log directory or is empty.
    #[error(
        "file stem {stem:?} for component {component:?} must be a non-empty file name without \
         path separators"
    )]
    InvalidStem { component: String, stem: String },
    /// A directory could not be listed while looking for an earlier run's files.
    #[error("cannot list {}", path.display())]
    ListDir { path: PathBuf, source: io::Error },
    /// The directory an earlier run is kept in could not be created.
    #[error("cannot create {} to keep the earlier run in", path.display())]
    CreateRunDir { path: PathBuf, source: io::Error },
    /// A file of an earlier run could not be moved into the directory it is kept in; it is
    /// still where it was.
    #[error("cannot move {} to {}", from.display(), to.display())]
    KeepRun {
        from: PathBuf,
        to: PathBuf,
        source: io::Error,
    },
    /// A file declared with `Config::run_file` is not a plain name in the log directory.
    #[error(
        "run file {name:?} must be a file or directory name without path separators, other \
         than run.json and runs"
    )]
    InvalidRunFile { name: String },
    /// A metadata value cannot be written as JSON.
    #[error("metadata {key:?} cannot be written as JSON: {problem}")]
    Metadata { key: String, problem: String },
    /// The background writer thread could not be started.
    #[error("cannot start the timing writer thread")]
    SpawnWriter(#[source] io::Error),
    /// The OTLP endpoint is not an `http://host:port` address.
    #[error("OTLP endpoint {endpoint:?} is not valid: expected http://host:port")]
    InvalidOtlpEndpoint { endpoint: String },
    /// The OTLP exporter's thread could not be started.
    #[error("cannot start the OTLP exporter thread")]
    SpawnExporter(#[source] io::Error),
}

/// An error and its causes, joined by `: `: how the runtime prints an error itself.
pub(crate) struct ErrorChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(error) = cause {
            write!(f, ": {error}")?;
            cause = error.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    fn disk_full() -> io::Error {
        io::Error::from_raw_os_error(libc::ENOSPC)
    }

    #[test]
    fn every_cause_is_printed_once_in_the_chain() {
        let cause = disk_full().to_string();
        let cases = [
            (
                Error::CreateDir {
                    path: "/l/logs".into(),
                    source: disk_full(),
                },
                "cannot create log directory /l/logs",
            ),
            (
                Error::Open {
                    path: "/l/a_timing.log".into(),
                    source: disk_full(),
                },
                "cannot open /l/a_timing.log for writing",
            ),
            (
                Error::Write {
                    path: "/l/a_timing.log".into(),
                    source: disk_full(),
                },
                "cannot write to /l/a_timing.log",
            ),
            (
                Error::ListDir {
                    path: "/l".into(),
                    source: disk_full(),
                },
                "cannot list /l",
            ),
            (
                Error::CreateRunDir {
                    path: "/l/runs/20261201T201809Z".into(),
                    source: disk_full(),
                },
                "cannot create /l/runs/20261201T201809Z to keep the earlier run in",
            ),
            (
                Error::KeepRun {
                    from: "/l/a_timing.log".into(),
                    to: "/l/runs/20261201T201809Z/a_timing.log".into(),
                    source: disk_full(),
                },
                "cannot move /l/a_timing.log to /l/runs/20261201T201809Z/a_timing.log",
            ),
            (
                Error::SpawnWriter(disk_full()),
                "cannot start the timing writer thread",
            ),
        ];
        for (error, message) in cases {
            assert_eq!(error.to_string(), message);
            assert_eq!(error.source().map(ToString::to_string), Some(cause.clone()));
            assert_eq!(
                ErrorChain(&error).to_string(),
                format!("{message}: {cause}")
            );
        }
    }

    #[test]
    fn errors_without_a_cause_print_alone() {
        let error = Error::InvalidEnv {
            var: "TIMED_MODE",
            value: "loud".into(),
            expected: "off, summary or full",
        };
        assert!(error.source().is_none());
        assert_eq!(
            ErrorChain(&error).to_string(),
            "TIMED_MODE=\"loud\" is not valid: expected off, summary or full"
        );
        assert_eq!(
            Error::InvalidRunFile {
                name: "../report.json".into()
            }
            .to_string(),
            "run file \"../report.json\" must be a file or directory name without path \
             separators, other than run.json and runs"
        );
        assert_eq!(
            ErrorChain(&Error::AlreadyInitialized).to_string(),
            "timing is already initialised: drop the live Session first"
        );
    }
}
