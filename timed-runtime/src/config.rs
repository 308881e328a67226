//! The init builder, and the environment variables that override it. `Config::init`, which
//! starts a session from it, is in `session.rs`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::clock::ClockKind;
use crate::error::Error;
use crate::runs::{MANIFEST_FILE, RUNS_DIR, is_plain_name};
use crate::state::Mode;

/// File names of one component's outputs: `<dir>/<log>_timing.log` and
/// `<dir>/<summary>_timing_summary.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stems {
    pub log: String,
    pub summary: String,
}

/// How to record. Every setting can be overridden at run time by an environment variable
/// (`TIMED_MODE`, `TIMED_DIR`, `TIMED_FLUSH_MS`, `TIMED_CLOCK`, and `TIMED_OTLP_ENDPOINT` with the
/// `otlp` feature) unless `ignore_env` is set.
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) mode: Mode,
    pub(crate) dir: PathBuf,
    pub(crate) stems: BTreeMap<String, Stems>,
    pub(crate) flush_interval: Duration,
    pub(crate) clock: Option<ClockKind>,
    pub(crate) append: bool,
    /// The program's name and version, for the manifest (default: the executable's stem).
    pub(crate) program: Option<(String, Option<String>)>,
    /// Values for the manifest's and the summaries' `metadata`, or why one cannot be JSON.
    pub(crate) metadata: BTreeMap<String, Result<Value, String>>,
    /// Files of the run the program writes into the directory itself.
    pub(crate) run_files: Vec<String>,
    #[cfg(feature = "otlp")]
    pub(crate) otlp: Option<crate::otlp::OtlpSettings>,
    #[cfg(feature = "otlp")]
    pub(crate) service_name: Option<String>,
    use_env: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mode: Mode::Full,
            dir: PathBuf::from("logs"),
            stems: BTreeMap::new(),
            flush_interval: Duration::from_secs(1),
            clock: None,
            append: false,
            program: None,
            metadata: BTreeMap::new(),
            run_files: Vec::new(),
            #[cfg(feature = "otlp")]
            otlp: None,
            #[cfg(feature = "otlp")]
            service_name: None,
            use_env: true,
        }
    }
}

impl Config {
    /// Full mode, into `logs/`, flushed every second, on the TSC where it is trustworthy.
    pub fn new() -> Config {
        Config::default()
    }

    pub fn mode(mut self, mode: Mode) -> Config {
        self.mode = mode;
        self
    }

    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Config {
        self.dir = dir.into();
        self
    }

    /// Names a component's files. Without this a component's stems are its name.
    pub fn component(
        mut self,
        component: impl Into<String>,
        log_stem: impl Into<String>,
        summary_stem: impl Into<String>,
    ) -> Config {
        self.stems.insert(
            component.into(),
            Stems {
                log: log_stem.into(),
                summary: summary_stem.into(),
            },
        );
        self
    }

    /// The longest rows wait before reaching the file (and a SIGKILL can lose). Default 1 s.
    pub fn flush_interval(mut self, interval: Duration) -> Config {
        self.flush_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// Forces a clock; by default the TSC is used where it is invariant and the kernel trusts it.
    pub fn clock(mut self, clock: ClockKind) -> Config {
        self.clock = Some(clock);
        self
    }

    /// Continues the run at the top of the directory instead of starting a new one: its files
    /// stay where they are, the logs are appended to (the header is written only to an empty
    /// file), and the manifest keeps the run's id, start, files and metadata. By default
    /// (`false`) a session starts a new run and moves the earlier one into `runs/<id>/` first:
    /// no log is ever truncated.
    pub fn append(mut self, append: bool) -> Config {
        self.append = append;
        self
    }

    /// Names the program and its version in the run's manifest (`run.json`). Without this, the
    /// program is the executable's file stem and the version `null`.
    pub fn program(mut self, name: impl Into<String>, version: impl Into<String>) -> Config {
        self.program = Some((name.into(), Some(version.into())));
        self
    }

    /// Attaches `value`, as JSON, under `key` in the `metadata` of the run's manifest and of
    /// the summaries (the same key again replaces it). A value that cannot be JSON (a map with
    /// keys that are not strings) makes `init` fail naming the key. During the run,
    /// `Session::metadata` and `timed_runtime::set_metadata` do the same.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Serialize) -> Config {
        let value = serde_json::to_value(value).map_err(|error| error.to_string());
        self.metadata.insert(key.into(), value);
        self
    }

    /// Declares a file (or directory) the program writes into the log directory as part of the
    /// run (`metrics.jsonl`, a report): it is listed in the manifest's `files`, and moved with
    /// the run into `runs/<id>/` when a later run starts. A name with a path separator, or
    /// `run.json` or `runs`, makes `init` fail.
    pub fn run_file(mut self, name: impl Into<String>) -> Config {
        self.run_files.push(name.into());
        self
    }

    /// Also exports every recorded call (full mode) as an OTLP span to the OpenTelemetry
    /// collector at `endpoint` (`http://host:port`; `/v1/traces` is added), over OTLP/HTTP with
    /// protobuf. Overridden by `TIMED_OTLP_ENDPOINT`. A collector that is down or slow never
    /// holds up the program: see the README's "OpenTelemetry out".
    #[cfg(feature = "otlp")]
    pub fn otlp_endpoint(mut self, endpoint: impl Into<String>) -> Config {
        self.otlp = Some(crate::otlp::OtlpSettings {
            endpoint: endpoint.into(),
            service_name: None,
        });
        self
    }

    /// The `service.name` the exported spans carry (default: the executable's name).
    #[cfg(feature = "otlp")]
    pub fn service_name(mut self, name: impl Into<String>) -> Config {
        self.service_name = Some(name.into());
        self
    }

    /// The export's settings, checked: `None` when not exporting.
    #[cfg(feature = "otlp")]
    pub(crate) fn otlp_settings(&self) -> Result<Option<crate::otlp::OtlpSettings>, Error> {
        let Some(otlp) = &self.otlp else {
            return Ok(None);
        };
        let endpoint = otlp.endpoint.trim();
        let address = endpoint.strip_prefix("http://").unwrap_or_default();
        if address.is_empty() || address.starts_with('/') {
            return Err(Error::InvalidOtlpEndpoint {
                endpoint: otlp.endpoint.clone(),
            });
        }
        Ok(Some(crate::otlp::OtlpSettings {
            endpoint: endpoint.to_owned(),
            service_name: self.service_name.clone(),
        }))
    }

    /// Makes the configuration final: environment variables no longer override it.
    pub fn ignore_env(mut self) -> Config {
        self.use_env = false;
        self
    }

    /// The configuration with the environment's overrides applied (unless `ignore_env`).
    pub(crate) fn with_env_overrides(mut self) -> Result<Config, Error> {
        if !self.use_env {
            return Ok(self);
        }
        if let Some(value) = env_var("TIMED_MODE") {
            self.mode = value.parse().map_err(|()| Error::InvalidEnv {
                var: "TIMED_MODE",
                value: value.clone(),
                expected: "off, summary or full",
            })?;
        }
        if let Some(value) = env_var("TIMED_DIR") {
            self.dir = PathBuf::from(value);
        }
        if let Some(value) = env_var("TIMED_FLUSH_MS") {
            let ms: u64 = value.trim().parse().map_err(|_| Error::InvalidEnv {
                var: "TIMED_FLUSH_MS",
                value: value.clone(),
                expected: "a whole number of milliseconds",
            })?;
            self = self.flush_interval(Duration::from_millis(ms));
        }
        if let Some(value) = env_var("TIMED_OTLP_ENDPOINT") {
            #[cfg(feature = "otlp")]
            {
                self = self.otlp_endpoint(value.trim());
            }
            #[cfg(not(feature = "otlp"))]
            eprintln!(
                "timed-runtime: TIMED_OTLP_ENDPOINT={value:?} is ignored: this program was built \
                 without the runtime's `otlp` feature"
            );
        }
        if let Some(value) = env_var("TIMED_CLOCK") {
            self.clock = Some(match value.trim() {
                "tsc" => ClockKind::Tsc,
                "instant" => ClockKind::Instant,
                _ => {
                    return Err(Error::InvalidEnv {
                        var: "TIMED_CLOCK",
                        value,
                        expected: "tsc or instant",
                    });
                }
            });
        }
        Ok(self)
    }

    /// The metadata as JSON, or the first key whose value cannot be.
    pub(crate) fn metadata_values(&self) -> Result<BTreeMap<String, Value>, Error> {
        self.metadata
            .iter()
            .map(|(key, value)| match value {
                Ok(value) => Ok((key.clone(), value.clone())),
                Err(problem) => Err(Error::Metadata {
                    key: key.clone(),
                    problem: problem.clone(),
                }),
            })
            .collect()
    }

    /// The declared run files, each once, or the first that is not a plain name of its own.
    pub(crate) fn checked_run_files(&self) -> Result<Vec<String>, Error> {
        let mut files: Vec<String> = Vec::new();
        for name in &self.run_files {
            if !is_plain_name(name) || name == MANIFEST_FILE || name == RUNS_DIR {
                return Err(Error::InvalidRunFile { name: name.clone() });
            }
            if !files.contains(name) {
                files.push(name.clone());
            }
        }
        Ok(files)
    }

    pub(crate) fn stems_for(&self, component: &str) -> Result<Stems, Error> {
        let stems = self.stems.get(component).cloned().unwrap_or_else(|| {
            let stem = file_safe(component);
            Stems {
                log: stem.clone(),
                summary: stem,
            }
        });
        for stem in [&stems.log, &stems.summary] {
            if stem.is_empty() || stem.contains(['/', '\\']) || stem == "." || stem == ".." {
                return Err(Error::InvalidStem {
                    component: component.to_owned(),
                    stem: stem.clone(),
                });
            }
        }
        Ok(stems)
    }

    /// `component`'s log and summary files.
    pub(crate) fn output_paths(&self, component: &str) -> Result<(PathBuf, PathBuf), Error> {
        let stems = self.stems_for(component)?;
        Ok((
            self.dir.join(format!("{}_timing.log", stems.log)),
            self.dir
                .join(format!("{}_timing_summary.json", stems.summary)),
        ))
    }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// A component name as a file stem: anything but letters, digits, `-`, `_` and `.` becomes `_`.
fn file_safe(component: &str) -> String {
    let stem: String = component
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if stem.is_empty() || stem.chars().all(|c| c == '.') {
        "component".to_owned()
    } else {
        stem
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_stems_are_file_safe_names() {
        let config = Config::new();
        assert_eq!(config.stems_for("trainer").unwrap().log, "trainer");
        assert_eq!(
            config.stems_for("my crate/ui").unwrap().summary,
            "my_crate_ui"
        );
        assert_eq!(config.stems_for("..").unwrap().log, "component");
    }

    #[test]
    fn run_files_and_metadata_are_checked_at_init_naming_the_culprit() {
        let config = Config::new()
            .run_file("metrics.jsonl")
            .run_file("visualizations")
            .run_file("metrics.jsonl");
        assert_eq!(
            config.checked_run_files().unwrap(),
            ["metrics.jsonl", "visualizations"]
        );
        for bad in ["", "..", "a/b", "run.json", "runs"] {
            assert_eq!(
                Config::new()
                    .run_file(bad)
                    .checked_run_files()
                    .unwrap_err()
                    .to_string(),
                format!(
                    "run file {bad:?} must be a file or directory name without path separators, \
                     other than run.json and runs"
                )
            );
        }
        let with_numbers_as_keys = BTreeMap::from([(vec![1u8], 2u8)]);
        let config = Config::new()
            .metadata("settings", serde_json::json!({"envs": 64}))
            .metadata("bad", with_numbers_as_keys);
        assert_eq!(
            config.metadata_values().unwrap_err().to_string(),
            "metadata \"bad\" cannot be written as JSON: key must be a string"
        );
        let config = config.metadata("bad", "replaced");
        assert_eq!(
            config.metadata_values().unwrap(),
            BTreeMap::from([
                ("bad".to_owned(), Value::from("replaced")),
                ("settings".to_owned(), serde_json::json!({"envs": 64})),
            ])
        );
    }

    #[test]
    fn configured_stems_are_validated() {
        let config = Config::new()
            .component("ppo_trainer", "ppo_training", "ppo")
            .component("bad", "../escape", "ok");
        assert_eq!(
            config.stems_for("ppo_trainer").unwrap(),
            Stems {
                log: "ppo_training".into(),
                summary: "ppo".into()
            }
        );
        assert_eq!(
            config.stems_for("bad").unwrap_err().to_string(),
            "file stem \"../escape\" for component \"bad\" must be a non-empty file name without \
             path separators"
        );
    }
}
