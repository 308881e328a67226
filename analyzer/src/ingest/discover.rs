//! Finds the inputs in a log directory: `*_timing.log`, `*_timing_summary.json`, and OTLP JSON
//! traces (`*.otlp.json`).

use std::path::{Path, PathBuf};

use crate::error::Error;

pub const LOG_SUFFIX: &str = "_timing.log";
pub const SUMMARY_SUFFIX: &str = "_timing_summary.json";
/// What the OpenTelemetry collector's file exporter writes, as named for the analyzer.
pub const OTLP_SUFFIX: &str = ".otlp.json";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Inputs {
    /// Sorted by file name, so reports are reproducible.
    pub logs: Vec<PathBuf>,
    pub summaries: Vec<PathBuf>,
    pub otlp: Vec<PathBuf>,
}

pub fn discover(dir: &Path) -> Result<Inputs, Error> {
    match std::fs::metadata(dir) {
        Err(_) => return Err(Error::MissingDirectory(dir.to_path_buf())),
        Ok(metadata) if !metadata.is_dir() => return Err(Error::NotADirectory(dir.to_path_buf())),
        Ok(_) => {}
    }
    let entries = std::fs::read_dir(dir).map_err(|source| Error::ListDirectory {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut inputs = Inputs::default();
    for entry in entries {
        let entry = entry.map_err(|source| Error::ListDirectory {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        if path.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(LOG_SUFFIX) && name.len() > LOG_SUFFIX.len() {
            inputs.logs.push(path);
        } else if name.ends_with(SUMMARY_SUFFIX) && name.len() > SUMMARY_SUFFIX.len() {
            inputs.summaries.push(path);
        } else if name.ends_with(OTLP_SUFFIX) && name.len() > OTLP_SUFFIX.len() {
            inputs.otlp.push(path);
        }
    }
    if inputs.logs.is_empty() && inputs.otlp.is_empty() {
        return Err(Error::NoLogs(dir.to_path_buf()));
    }
    inputs.logs.sort();
    inputs.summaries.sort();
    inputs.otlp.sort();
    Ok(inputs)
}

/// `ppo_training_timing.log` gives `ppo_training`; `ppo_timing_summary.json` gives `ppo`.
pub fn stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.strip_suffix(LOG_SUFFIX)
        .or_else(|| name.strip_suffix(SUMMARY_SUFFIX))
        .or_else(|| name.strip_suffix(OTLP_SUFFIX))
        .unwrap_or(&name)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_logs_and_summaries_sorted() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "training_manager_timing.log",
            "ppo_training_timing.log",
            "ppo_timing_summary.json",
            "notes.txt",
            "_timing.log",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        std::fs::create_dir(dir.path().join("dir_timing.log")).unwrap();
        let inputs = discover(dir.path()).unwrap();
        let names: Vec<String> = inputs.logs.iter().map(|p| stem(p)).collect();
        assert_eq!(names, ["ppo_training", "training_manager"]);
        assert_eq!(stem(&inputs.summaries[0]), "ppo");
    }

    #[test]
    fn missing_empty_and_non_directories_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        assert_eq!(
            discover(&missing).unwrap_err().to_string(),
            format!("log directory {} does not exist", missing.display())
        );
        assert_eq!(
            discover(dir.path()).unwrap_err().to_string(),
            format!("no *_timing.log files in {}", dir.path().display())
        );
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        assert_eq!(
            discover(&file).unwrap_err().to_string(),
            format!("{} is not a directory", file.display())
        );
    }
}
