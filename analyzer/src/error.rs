//! Errors that stop an analysis. Bad rows never do (they are input problems in the report);
//! only an unusable directory or a failed write does.

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
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::MissingDirectory(path) => {
                write!(f, "log directory {} does not exist", path.display())
            }
            Error::NotADirectory(path) => write!(f, "{} is not a directory", path.display()),
            Error::NoLogs(path) => write!(f, "no *_timing.log files in {}", path.display()),
            Error::ListDirectory { path, source } => {
                write!(f, "cannot list {}: {source}", path.display())
            }
            Error::Write { path, source } => write!(f, "cannot write {}: {source}", path.display()),
            Error::Chart { path, message } => {
                write!(f, "cannot draw {}: {message}", path.display())
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::ListDirectory { source, .. } | Error::Write { source, .. } => Some(source),
            _ => None,
        }
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
        assert_eq!(write.to_string(), "cannot write out/report.json: denied");
    }
}
