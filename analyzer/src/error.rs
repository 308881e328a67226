//! Errors that stop an analysis. Bad rows never do (they are input problems in the report);
//! only an unusable directory or a failed write does. `Display` says what failed and where;
//! the cause (an `io::Error`) is returned by `source()` and printed once by [`Chain`].

use std::fmt;
use std::io;
use std::path::PathBuf;

#[derive(Debug)]
pub enum Error {
    /// The log directory does not exist.
    MissingDirectory(PathBuf),
    /// The path exists but is not a directory.
    NotADirectory(PathBuf),
    /// The directory holds no `*_timing.log` file.
    NoLogs(PathBuf),
    /// The directory could not be listed.
    ListDirectory { path: PathBuf, source: io::Error },
    /// An output file or directory could not be written.
    Write { path: PathBuf, source: io::Error },
    /// A chart could not be drawn.
    Chart { path: PathBuf, message: String },
    /// The worker threads could not be started.
    ThreadPool {
        threads: usize,
        source: rayon::ThreadPoolBuildError,
    },
    /// A reader thread panicked on bytes `start..end` of a log: the report would lack them.
    ReaderPanicked {
        path: PathBuf,
        start: u64,
        end: u64,
        message: String,
    },
    /// The analysis of one operation panicked (`stage`: what it was computing).
    AnalysisPanicked {
        stage: &'static str,
        component: String,
        operation: String,
        phase: String,
        message: String,
    },
    /// An input file could not be read.
    Read { path: PathBuf, source: io::Error },
    /// A run manifest (`run.json`) is not valid JSON of the expected shape.
    BadManifest {
        path: PathBuf,
        source: serde_json::Error,
    },
    /// A run name that is neither `latest`, nor a kept run's id, nor a directory.
    NoSuchRun {
        name: String,
        logs: PathBuf,
        known: Vec<String>,
    },
    /// `compare` without runs named, and no kept run to compare the latest with.
    NoPreviousRun(PathBuf),
    /// Two runs compared without a single operation in common.
    NoCommonOperations { base: PathBuf, new: PathBuf },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::MissingDirectory(path) => {
                write!(f, "log directory {} does not exist", path.display())
            }
            Error::NotADirectory(path) => write!(f, "{} is not a directory", path.display()),
            Error::NoLogs(path) => write!(f, "no *_timing.log files in {}", path.display()),
            Error::ListDirectory { path, .. } => write!(f, "cannot list {}", path.display()),
            Error::Write { path, .. } => write!(f, "cannot write {}", path.display()),
            Error::Chart { path, message } => {
                write!(f, "cannot draw {}: {message}", path.display())
            }
            Error::ThreadPool { threads, .. } => {
                write!(f, "cannot start {threads} worker threads")
            }
            Error::ReaderPanicked {
                path,
                start,
                end,
                message,
            } => write!(
                f,
                "a reader thread panicked on bytes {start}..{end} of {}: {message}",
                path.display()
            ),
            Error::AnalysisPanicked {
                stage,
                component,
                operation,
                phase,
                message,
            } => write!(
                f,
                "the {stage} of {component}/{operation} ({phase}) panicked: {message}"
            ),
            Error::Read { path, .. } => write!(f, "cannot read {}", path.display()),
            Error::BadManifest { path, .. } => {
                write!(f, "cannot read the run manifest {}", path.display())
            }
            Error::NoSuchRun { name, logs, known } => {
                write!(
                    f,
                    "no run {name}: neither a directory nor a run id under {}",
                    logs.join("runs").display()
                )?;
                if known.is_empty() {
                    write!(f, " (no kept runs)")
                } else {
                    write!(f, " (kept runs: {})", known.join(", "))
                }
            }
            Error::NoPreviousRun(logs) => write!(
                f,
                "no earlier run under {} to compare the latest with",
                logs.join("runs").display()
            ),
            Error::NoCommonOperations { base, new } => write!(
                f,
                "{} and {} have no operation in common: nothing to compare",
                base.display(),
                new.display()
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::ListDirectory { source, .. }
            | Error::Write { source, .. }
            | Error::Read { source, .. } => Some(source),
            Error::BadManifest { source, .. } => Some(source),
            Error::ThreadPool { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// An error and its causes, each printed once: `cannot write out/x.json: Permission denied`.
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
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

    #[test]
    fn messages_name_the_path() {
        assert_eq!(
            Error::MissingDirectory("logs".into()).to_string(),
            "log directory logs does not exist"
        );
        assert_eq!(
            Error::NoLogs("/tmp/x".into()).to_string(),
            "no *_timing.log files in /tmp/x"
        );
        let write = Error::Write {
            path: "out/report.json".into(),
            source: io::Error::new(io::ErrorKind::PermissionDenied, "denied"),
        };
        assert_eq!(write.to_string(), "cannot write out/report.json");
        assert_eq!(
            Chain(&write).to_string(),
            "cannot write out/report.json: denied"
        );
    }

    #[test]
    fn a_chain_prints_every_cause_once() {
        #[derive(Debug)]
        struct Outer(io::Error);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("report failed")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let list = Error::ListDirectory {
            path: "logs".into(),
            source: io::Error::new(io::ErrorKind::PermissionDenied, "denied"),
        };
        assert_eq!(list.to_string(), "cannot list logs");
        assert_eq!(Chain(&list).to_string(), "cannot list logs: denied");
        let nested = Outer(io::Error::other(Error::Write {
            path: "out".into(),
            source: io::Error::new(io::ErrorKind::StorageFull, "disk full"),
        }));
        // io::Error shows its inner error and hands on the inner error's source.
        assert_eq!(
            Chain(&nested).to_string(),
            "report failed: cannot write out: disk full"
        );
        assert_eq!(
            Chain(&Error::NoLogs("logs".into())).to_string(),
            "no *_timing.log files in logs"
        );
    }
}
