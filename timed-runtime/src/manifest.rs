//! `run.json`, a run's manifest: which run it is (id, program, start and end, command line,
//! host, process, timing mode, what the program attached as metadata) and which files of the
//! directory are the run's. Written when the session starts, rewritten atomically with the
//! summaries and at the end; read back when a later run keeps this one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::atomic::write_atomically;
use crate::clock::ClockKind;
use crate::error::Error;
use crate::runs::{MANIFEST_FILE, is_plain_name};
use crate::state::Mode;
use crate::timestamp::TimestampFormatter;

/// What a run's manifest says that does not change during the run.
#[derive(Clone, Debug)]
pub(crate) struct RunFacts {
    pub id: String,
    /// `<dir>/run.json`.
    pub path: PathBuf,
    pub program: String,
    pub version: Option<String>,
    pub started_at: String,
    /// This session's start, for the duration.
    pub started: Instant,
    /// Seconds recorded by the earlier sessions of a run continued with `Config::append`.
    pub earlier_seconds: f64,
    pub command_line: Vec<String>,
    pub host: String,
    pub pid: u32,
    pub timing_mode: Mode,
    pub clock: ClockKind,
    /// Names relative to the directory.
    pub files: Vec<String>,
}

/// How the run ended: written by the last rewrite only.
pub(crate) struct Ending {
    pub ended_at: String,
    pub duration_s: f64,
}

impl Ending {
    /// The run ends now.
    pub(crate) fn now(facts: &RunFacts, now_unix_ns: u64) -> Ending {
        Ending {
            ended_at: TimestampFormatter::new().format(now_unix_ns),
            duration_s: facts.earlier_seconds + microseconds(facts.started.elapsed()),
        }
    }
}

/// Seconds, rounded to the microsecond like the timestamps.
fn microseconds(duration: Duration) -> f64 {
    duration.as_micros() as f64 / 1e6
}

/// `run.json` as written; the field order is the file's.
#[derive(Serialize)]
struct ManifestJson<'a> {
    id: &'a str,
    program: &'a str,
    version: Option<&'a str>,
    started_at: &'a str,
    ended_at: Option<&'a str>,
    duration_s: Option<f64>,
    command_line: &'a [String],
    host: &'a str,
    pid: u32,
    timing_mode: &'static str,
    clock: &'static str,
    metadata: &'a BTreeMap<String, Value>,
    files: &'a [String],
}

impl RunFacts {
    /// The manifest's text: pretty JSON, a newline at the end.
    /// `opened_later`: files of the run created after it started (the log and summary of a
    /// component first met while recording, a `tracing` span's crate), listed after the others.
    pub(crate) fn render(
        &self,
        metadata: &BTreeMap<String, Value>,
        ending: Option<&Ending>,
        opened_later: &[String],
    ) -> Result<Vec<u8>, serde_json::Error> {
        let mut files = self.files.clone();
        for name in opened_later {
            if !files.contains(name) {
                files.push(name.clone());
            }
        }
        let json = ManifestJson {
            id: &self.id,
            program: &self.program,
            version: self.version.as_deref(),
            started_at: &self.started_at,
            ended_at: ending.map(|ending| ending.ended_at.as_str()),
            duration_s: ending.map(|ending| ending.duration_s),
            command_line: &self.command_line,
            host: &self.host,
            pid: self.pid,
            timing_mode: self.timing_mode.as_str(),
            clock: self.clock.as_str(),
            metadata,
            files: &files,
        };
        let mut text = serde_json::to_vec_pretty(&json)?;
        text.push(b'\n');
        Ok(text)
    }

    /// Replaces the manifest (atomically: a reader sees the old one or the new one).
    pub(crate) fn write(
        &self,
        metadata: &BTreeMap<String, Value>,
        ending: Option<&Ending>,
        opened_later: &[String],
    ) -> Result<(), Error> {
        self.render(metadata, ending, opened_later)
            .map_err(std::io::Error::from)
            .and_then(|text| write_atomically(&self.path, &text))
            .map_err(|source| Error::Write {
                path: self.path.clone(),
                source,
            })
    }
}

/// What is used of an earlier run's manifest; anything else in it is ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct EarlierManifest {
    pub id: Option<String>,
    pub started_at: Option<String>,
    pub duration_s: Option<f64>,
    pub metadata: BTreeMap<String, Value>,
    pub files: Vec<String>,
}

impl EarlierManifest {
    /// The id, if it can name a directory.
    pub(crate) fn id(&self) -> Option<&str> {
        self.id.as_deref().filter(|id| is_plain_name(id))
    }

    /// The files it lists that are names in its directory.
    pub(crate) fn files(&self) -> impl Iterator<Item = &String> {
        self.files.iter().filter(|name| is_plain_name(name))
    }
}

/// The manifest in `dir`, if there is one that reads as a manifest (a file that does not is
/// kept like files of a run without a manifest).
pub(crate) fn read_earlier(dir: &Path) -> Option<EarlierManifest> {
    let text = std::fs::read(dir.join(MANIFEST_FILE)).ok()?;
    serde_json::from_slice(&text).ok()
}

/// This process's command line, each argument as UTF-8 (lossily).
pub(crate) fn command_line() -> Vec<String> {
    std::env::args_os()
        .map(|argument| argument.to_string_lossy().into_owned())
        .collect()
}

/// The program's name when it does not give one: its executable's file stem.
pub(crate) fn default_program() -> String {
    std::env::current_exe()
        .ok()
        .or_else(|| std::env::args_os().next().map(PathBuf::from))
        .and_then(|path| {
            path.file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The machine's host name (empty if the system does not say).
#[cfg(unix)]
pub(crate) fn host_name() -> String {
    let mut buffer = [0u8; 256];
    // SAFETY: `gethostname` writes at most `buffer.len()` bytes into `buffer`, which is valid
    // for writes of that many bytes for the duration of the call.
    let status = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    if status != 0 {
        return String::new();
    }
    // A name that fills the buffer may come without its terminating NUL.
    let end = buffer
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(buffer.len());
    String::from_utf8_lossy(&buffer[..end]).into_owned()
}

#[cfg(not(unix))]
pub(crate) fn host_name() -> String {
    std::env::var("COMPUTERNAME").unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn facts() -> RunFacts {
        RunFacts {
            id: "20261201T201809Z".into(),
            path: PathBuf::from("logs/run.json"),
            program: "trainer".into(),
            version: Some("0.1.0".into()),
            started_at: "2026-12-01T20:18:09.123456Z".into(),
            started: Instant::now(),
            earlier_seconds: 0.0,
            command_line: vec![
                "target/debug/trainer".into(),
                "--minutes".into(),
                "5".into(),
            ],
            host: "buildbox".into(),
            pid: 12345,
            timing_mode: Mode::Full,
            clock: ClockKind::Tsc,
            files: vec!["ppo_training_timing.log".into(), "metrics.jsonl".into()],
        }
    }

    #[test]
    fn the_manifest_lists_its_fields_in_order_and_ends_when_told() {
        let metadata = BTreeMap::from([("settings".to_owned(), json!({"envs": 256}))]);
        let going = String::from_utf8(facts().render(&metadata, None, &[]).unwrap()).unwrap();
        assert_eq!(
            going,
            r#"{
  "id": "20261201T201809Z",
  "program": "trainer",
  "version": "0.1.0",
  "started_at": "2026-12-01T20:18:09.123456Z",
  "ended_at": null,
  "duration_s": null,
  "command_line": [
    "target/debug/trainer",
    "--minutes",
    "5"
  ],
  "host": "buildbox",
  "pid": 12345,
  "timing_mode": "full",
  "clock": "tsc",
  "metadata": {
    "settings": {
      "envs": 256
    }
  },
  "files": [
    "ppo_training_timing.log",
    "metrics.jsonl"
  ]
}
"#
        );
        let ending = Ending {
            ended_at: "2026-12-01T20:23:01.654321Z".into(),
            duration_s: 292.530865,
        };
        let ended: Value =
            serde_json::from_slice(&facts().render(&metadata, Some(&ending), &[]).unwrap())
                .unwrap();
        assert_eq!(ended["ended_at"], "2026-12-01T20:23:01.654321Z");
        assert_eq!(ended["duration_s"], 292.530865);
    }

    #[test]
    fn an_earlier_manifest_gives_only_names_and_ids_that_stay_in_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_earlier(dir.path()).is_none());
        std::fs::write(dir.path().join("run.json"), "not json").unwrap();
        assert!(read_earlier(dir.path()).is_none());
        std::fs::write(
            dir.path().join("run.json"),
            r#"{"id": "../up", "files": ["a_timing.log", "../escape", "", "sub/x"], "extra": 1}"#,
        )
        .unwrap();
        let earlier = read_earlier(dir.path()).unwrap();
        assert_eq!(earlier.id(), None);
        assert_eq!(earlier.files().collect::<Vec<_>>(), ["a_timing.log"]);
        assert_eq!(earlier.metadata, BTreeMap::new());
    }

    #[test]
    fn durations_are_rounded_to_the_microsecond() {
        assert_eq!(
            microseconds(Duration::from_nanos(292_530_865_999)),
            292.530865
        );
    }
}
