//! `run.json`, the manifest `timed-runtime` writes beside a run's logs (README "File formats"):
//! who ran what, when, with which settings. Every field is optional here, so that a manifest
//! of another version, or a run without one, is still a run.

use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::Error;

pub const MANIFEST_FILE: &str = "run.json";

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Manifest {
    pub id: Option<String>,
    pub program: Option<String>,
    pub version: Option<String>,
    pub started_at: Option<String>,
    /// `None` while the run is going, or when it was killed.
    pub ended_at: Option<String>,
    pub duration_s: Option<f64>,
    pub command_line: Vec<String>,
    pub host: Option<String>,
    pub pid: Option<u64>,
    pub timing_mode: Option<String>,
    pub clock: Option<String>,
    /// `settings` (every setting of the program) and `results` (its end figures), as the
    /// program attached them.
    pub metadata: Map<String, Value>,
    pub files: Vec<String>,
}

impl Manifest {
    pub fn settings(&self) -> Option<&Value> {
        self.metadata.get("settings")
    }

    pub fn results(&self) -> Option<&Value> {
        self.metadata.get("results")
    }
}

/// The manifest in `dir`, `None` when there is none. A manifest that cannot be read or parsed
/// is an error naming the file (and the line and column, from serde_json).
pub fn read_manifest(dir: &Path) -> Result<Option<Manifest>, Error> {
    let path = dir.join(MANIFEST_FILE);
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(Error::Read { path, source }),
    };
    serde_json::from_slice(&text)
        .map(Some)
        .map_err(|source| Error::BadManifest { path, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_manifest_and_tolerates_missing_fields() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_manifest(dir.path()).unwrap(), None);
        let text = r#"{
          "id": "20261201T201809Z", "program": "trainer", "version": "0.1.0",
          "started_at": "2026-12-01T20:18:09.123456Z", "ended_at": null, "duration_s": null,
          "command_line": ["trainer", "--minutes", "5"], "host": "buildbox", "pid": 12345,
          "timing_mode": "full", "clock": "tsc",
          "metadata": { "settings": { "envs": 256, "hidden": [256, 256] },
                        "results": { "env_steps_per_s": 87808.1 } },
          "files": ["ppo_training_timing.log"], "added_later": true
        }"#;
        std::fs::write(dir.path().join(MANIFEST_FILE), text).unwrap();
        let manifest = read_manifest(dir.path()).unwrap().unwrap();
        assert_eq!(manifest.id.as_deref(), Some("20261201T201809Z"));
        assert_eq!(manifest.ended_at, None);
        assert_eq!(manifest.pid, Some(12345));
        assert_eq!(manifest.settings().unwrap()["envs"], 256);
        assert_eq!(manifest.results().unwrap()["env_steps_per_s"], 87808.1);
        std::fs::write(dir.path().join(MANIFEST_FILE), r#"{"id": "x"}"#).unwrap();
        assert_eq!(
            read_manifest(dir.path()).unwrap().unwrap(),
            Manifest {
                id: Some("x".into()),
                ..Manifest::default()
            }
        );
    }

    #[test]
    fn a_broken_manifest_is_an_error_naming_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(MANIFEST_FILE);
        std::fs::write(&path, "{\n  \"id\": \"x\",\n  oops\n}").unwrap();
        let error = read_manifest(dir.path()).unwrap_err();
        assert_eq!(
            crate::error::Chain(&error).to_string(),
            format!(
                "cannot read the run manifest {}: key must be a string at line 3 column 3",
                path.display()
            )
        );
    }
}
