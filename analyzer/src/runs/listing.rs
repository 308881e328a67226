//! `analyzer runs`: every run of a log directory with its start, duration, rows and
//! components, and the settings that differ between them.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::locate::{RunDir, list_runs};
use super::settings::{differing_keys, flatten};
use crate::error::{Chain, Error};
use crate::ingest::chunk::next_line;
use crate::ingest::detect::{LogFormat, detect};
use crate::ingest::discover::{LOG_SUFFIX, SUMMARY_SUFFIX};
use crate::ingest::ours::RowParser;
use crate::ingest::summary_json::read_summary;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunSummary {
    pub id: String,
    pub dir: PathBuf,
    pub latest: bool,
    /// From the manifest, else from an id shaped like one (`20261201T201809Z`).
    pub started_at: Option<String>,
    /// From the manifest, else the longest session of the run's summaries.
    pub duration_s: Option<f64>,
    /// The manifest says the run started but not that it ended: still going, or killed.
    pub unfinished: bool,
    /// Lines of the run's logs that start like a row (a digit: the timestamp).
    pub rows: u64,
    /// From the summaries and each log's first row (the log's name in the original's format).
    pub components: Vec<String>,
    pub settings: BTreeMap<String, Value>,
    /// Why the run's manifest or logs could not be read, if they could not.
    pub problem: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunListing {
    pub logs: PathBuf,
    /// Oldest first, the latest last.
    pub runs: Vec<RunSummary>,
    /// The settings whose values are not the same in every run.
    pub differing_settings: Vec<String>,
}

/// Lists the runs of `logs`. Fails only when `logs` is not a directory that can be listed;
/// a run whose files cannot be read is listed with its problem.
pub fn list(logs: &Path) -> Result<RunListing, Error> {
    let runs: Vec<RunSummary> = list_runs(logs)?
        .into_iter()
        .map(|found| match found.run {
            Ok(run) => summarize(&run),
            Err(error) => {
                let mut summary = summarize(&RunDir::with_manifest(&found.dir, found.latest, None));
                summary.problem = Some(Chain(&error).to_string());
                summary
            }
        })
        .collect();
    let settings: Vec<&BTreeMap<String, Value>> = runs.iter().map(|run| &run.settings).collect();
    let differing_settings = if runs.len() > 1 {
        differing_keys(&settings)
    } else {
        Vec::new()
    };
    Ok(RunListing {
        logs: logs.to_path_buf(),
        runs,
        differing_settings,
    })
}

fn summarize(run: &RunDir) -> RunSummary {
    let manifest = run.manifest.as_ref();
    let mut summary = RunSummary {
        id: run.id.clone(),
        dir: run.dir.clone(),
        latest: run.latest,
        started_at: manifest
            .and_then(|manifest| manifest.started_at.clone())
            .or_else(|| start_from_id(&run.id)),
        duration_s: manifest.and_then(|manifest| manifest.duration_s),
        unfinished: manifest
            .is_some_and(|manifest| manifest.started_at.is_some() && manifest.ended_at.is_none()),
        rows: 0,
        components: Vec::new(),
        settings: manifest.map(flatten).unwrap_or_default(),
        problem: None,
    };
    let mut logs = Vec::new();
    let mut components = BTreeSet::new();
    let mut longest_session_ms: Option<f64> = None;
    if let Ok(entries) = std::fs::read_dir(&run.dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(LOG_SUFFIX) && name.len() > LOG_SUFFIX.len() {
                logs.push(entry.path());
            } else if name.ends_with(SUMMARY_SUFFIX) {
                let read = read_summary(&entry.path());
                components.extend(read.component);
                if let Some(session) = read.session_ms {
                    longest_session_ms = Some(longest_session_ms.unwrap_or(0.0).max(session));
                }
            }
        }
    }
    logs.sort();
    components.extend(logs.iter().filter_map(|log| log_component(log)));
    summary.components = components.into_iter().collect();
    if summary.duration_s.is_none() && !summary.unfinished {
        summary.duration_s = longest_session_ms.map(|ms| ms / 1000.0);
    }
    for log in &logs {
        match count_rows(log) {
            Ok(rows) => summary.rows += rows,
            Err(source) => {
                let error = Error::Read {
                    path: log.clone(),
                    source,
                };
                summary.problem = Some(Chain(&error).to_string());
            }
        }
    }
    summary
}

/// Bytes read from the head of a log to find its component.
const HEAD_BYTES: u64 = 64 << 10;

/// The component a log holds: its first row's `component` in our format, else (the
/// original's format, which has none) the file's stem.
fn log_component(path: &Path) -> Option<String> {
    let mut head = Vec::new();
    File::open(path)
        .ok()?
        .take(HEAD_BYTES)
        .read_to_end(&mut head)
        .ok()?;
    let stem = || {
        let name = path.file_name()?.to_string_lossy().into_owned();
        Some(name.strip_suffix(LOG_SUFFIX)?.to_string())
    };
    if detect(&head).0 != LogFormat::Ours {
        return stem();
    }
    let mut position = 0;
    while position < head.len() {
        let row = head[position]
            .is_ascii_digit()
            .then(|| RowParser::new(&head, position).parse_row(position).ok())
            .flatten();
        if let Some((row, _, _)) = row {
            let mut scratch = Vec::new();
            let component = row.component.bytes(&mut scratch);
            return if component.is_empty() {
                stem()
            } else {
                Some(String::from_utf8_lossy(component).into_owned())
            };
        }
        position = next_line(&head, position);
    }
    stem()
}

/// `20261201T201809Z` (or `...Z-2`) as `2026-12-01T20:18:09Z`.
fn start_from_id(id: &str) -> Option<String> {
    let stamp = id.get(..16)?;
    let bytes = stamp.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    let shaped = digits(0..8) && bytes[8] == b'T' && digits(9..15) && bytes[15] == b'Z';
    shaped.then(|| {
        format!(
            "{}-{}-{}T{}:{}:{}Z",
            &stamp[0..4],
            &stamp[4..6],
            &stamp[6..8],
            &stamp[9..11],
            &stamp[11..13],
            &stamp[13..15]
        )
    })
}

/// Lines that start with a digit, read in blocks (bounded memory, any file length).
pub fn count_rows(path: &Path) -> std::io::Result<u64> {
    let mut file = File::open(path)?;
    let mut block = vec![0u8; 1 << 20];
    let mut rows = 0;
    let mut at_line_start = true;
    loop {
        let read = match file.read(&mut block) {
            Ok(0) => return Ok(rows),
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        let block = &block[..read];
        if at_line_start && block[0].is_ascii_digit() {
            rows += 1;
        }
        for newline in memchr::memchr_iter(b'\n', block) {
            if block.get(newline + 1).is_some_and(u8::is_ascii_digit) {
                rows += 1;
            }
        }
        at_line_start = block[read - 1] == b'\n';
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_shaped_like_times_give_the_start() {
        assert_eq!(
            start_from_id("20261201T201809Z-2").as_deref(),
            Some("2026-12-01T20:18:09Z")
        );
        assert_eq!(start_from_id("my-run"), None);
        assert_eq!(start_from_id("latest"), None);
    }

    #[test]
    fn rows_are_counted_across_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x_timing.log");
        let row = "2026-11-25T03:15:32Z,op,p,1.0,\"a\n9 not a row start? it is\",c,1,2,,1.0,5,ok\n";
        let mut text = String::from("timestamp,operation\n");
        for _ in 0..30_000 {
            text.push_str(row);
        }
        std::fs::write(&path, &text).unwrap();
        // A quoted line break followed by a digit counts as a row too: the count is of lines.
        assert_eq!(count_rows(&path).unwrap(), 60_000);
    }

    #[test]
    fn lists_runs_with_what_differs() {
        let logs = tempfile::tempdir().unwrap();
        let logs = logs.path();
        let kept = logs.join("runs/20261201T000000Z");
        std::fs::create_dir_all(&kept).unwrap();
        std::fs::write(kept.join("a_timing.log"), "timestamp\n2026,x\n2026,y\n").unwrap();
        std::fs::write(
            kept.join("run.json"),
            json!({"id": "20261201T000000Z", "program": "trainer", "started_at": "2026-12-01T00:00:00.5Z",
                   "ended_at": "2026-12-01T00:01:00.5Z", "duration_s": 60.0,
                   "metadata": {"settings": {"lr": 0.001, "envs": 8}}})
            .to_string(),
        )
        .unwrap();
        std::fs::write(logs.join("b_timing.log"), "2026,x\n").unwrap();
        std::fs::write(
            logs.join("run.json"),
            json!({"id": "20261202T000000Z", "program": "trainer", "started_at": "2026-12-02T00:00:00Z",
                   "ended_at": null, "metadata": {"settings": {"lr": 0.0003, "envs": 8}}})
            .to_string(),
        )
        .unwrap();
        let listing = list(logs).unwrap();
        let rows: Vec<String> = listing
            .runs
            .iter()
            .map(|run| {
                format!(
                    "{} latest={} {:?} unfinished={} rows={} {:?}",
                    run.id, run.latest, run.duration_s, run.unfinished, run.rows, run.components
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                "20261201T000000Z latest=false Some(60.0) unfinished=false rows=2 [\"a\"]",
                "20261202T000000Z latest=true None unfinished=true rows=1 [\"b\"]",
            ]
        );
        assert_eq!(listing.differing_settings, ["settings.lr"]);
        std::fs::write(kept.join("run.json"), "{").unwrap();
        let listing = list(logs).unwrap();
        assert_eq!(listing.runs[0].id, "20261201T000000Z");
        assert!(
            listing.runs[0]
                .problem
                .as_deref()
                .unwrap()
                .starts_with("cannot read the run manifest"),
            "{:?}",
            listing.runs[0].problem
        );
    }
}
