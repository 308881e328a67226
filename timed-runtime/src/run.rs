//! A session's run: the earlier run of its directory moved out of the way, the new run's id,
//! and what its manifest starts with. Runs before the session creates any file.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::clock::ClockKind;
use crate::config::Config;
use crate::error::Error;
use crate::manifest::{self, EarlierManifest, RunFacts};
use crate::runs::{
    self, KeptRun, MANIFEST_FILE, id_from_modification_times, run_id_at, unique_run_id,
};
use crate::state::Mode;
use crate::timestamp::TimestampFormatter;

/// Files of a directory without a manifest that are taken for a run's: the runtime's logs and
/// summaries, and what the original system wrote beside them.
const LEGACY_SUFFIXES: [&str; 2] = ["_timing.log", "_timing_summary.json"];
const LEGACY_NAMES: [&str; 3] = [
    "metrics.jsonl",
    "performance_analysis_report.json",
    "visualizations",
];

/// How the session's run begins.
pub(crate) struct RunStart {
    pub id: String,
    /// `None` when the session writes no file at all (mode `off`, no run files declared).
    pub manifest: Option<RunFacts>,
    pub metadata: BTreeMap<String, Value>,
    /// The earlier run, moved into `runs/<id>/`.
    pub kept: Option<KeptRun>,
}

/// Begins the run `config` asks for, whose session is about to create `own_files` (its logs
/// and summaries) in the directory: checks the declared run files and metadata, then, unless
/// the session writes nothing, creates the directory and keeps the earlier run (or, when
/// appending, continues it).
pub(crate) fn begin(
    config: &Config,
    clock: ClockKind,
    own_files: Vec<String>,
) -> Result<RunStart, Error> {
    let mut metadata = config.metadata_values()?;
    let run_files = config.checked_run_files()?;
    let started_wall = SystemTime::now();
    let started = Instant::now();
    if config.mode == Mode::Off && run_files.is_empty() {
        return Ok(RunStart {
            id: run_id_at(started_wall),
            manifest: None,
            metadata,
            kept: None,
        });
    }
    let dir = &config.dir;
    std::fs::create_dir_all(dir).map_err(|source| Error::CreateDir {
        path: dir.clone(),
        source,
    })?;
    let mut files = own_files;
    push_new(&mut files, run_files);
    let (kept, continued) = if config.append {
        (
            None,
            manifest::read_earlier(dir).filter(|m| m.id().is_some()),
        )
    } else {
        (keep_earlier_run(dir, &files)?, None)
    };
    let now_unix_ns = started_wall
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as u64);
    let mut started_at = TimestampFormatter::new().format(now_unix_ns);
    let mut earlier_seconds = 0.0;
    let id = match &continued {
        Some(earlier) => {
            files = merged_files(earlier, files);
            let mut merged = earlier.metadata.clone();
            merged.append(&mut metadata);
            metadata = merged;
            if let Some(at) = &earlier.started_at {
                started_at = at.clone();
            }
            earlier_seconds = earlier.duration_s.unwrap_or(0.0);
            earlier.id().unwrap_or_default().to_owned()
        }
        None => unique_run_id(dir, &run_id_at(started_wall), &[]),
    };
    let (program, version) = config
        .program
        .clone()
        .unwrap_or_else(|| (manifest::default_program(), None));
    let facts = RunFacts {
        id: id.clone(),
        path: dir.join(MANIFEST_FILE),
        program,
        version,
        started_at,
        started,
        earlier_seconds,
        command_line: manifest::command_line(),
        host: manifest::host_name(),
        pid: std::process::id(),
        timing_mode: config.mode,
        clock,
        files,
    };
    Ok(RunStart {
        id,
        manifest: Some(facts),
        metadata,
        kept,
    })
}

/// A continued run's files: the earlier ones, then this session's new ones.
fn merged_files(earlier: &EarlierManifest, own: Vec<String>) -> Vec<String> {
    let mut files: Vec<String> = earlier.files().cloned().collect();
    push_new(&mut files, own);
    files
}

/// Appends those of `names` that `files` does not hold yet.
fn push_new(files: &mut Vec<String>, names: Vec<String>) {
    for name in names {
        if !files.contains(&name) {
            files.push(name);
        }
    }
}

/// Moves the earlier run at the top of `dir` into `runs/<its id>/`: the files its manifest
/// lists, or without a manifest the files that look like a run's, and in both cases any file
/// the new run is about to create (`own_files`), so that none is overwritten.
fn keep_earlier_run(dir: &Path, own_files: &[String]) -> Result<Option<KeptRun>, Error> {
    let earlier = manifest::read_earlier(dir);
    let mut names: Vec<String> = match &earlier {
        Some(manifest) => manifest.files().cloned().collect(),
        None => legacy_files(dir)?,
    };
    names.extend(own_files.iter().cloned());
    names.push(MANIFEST_FILE.to_owned());
    names.retain(|name| std::fs::symlink_metadata(dir.join(name)).is_ok());
    if names.is_empty() {
        return Ok(None);
    }
    let id = earlier
        .as_ref()
        .and_then(|manifest| manifest.id().map(str::to_owned))
        .or_else(|| id_from_modification_times(dir, &names))
        .unwrap_or_else(|| run_id_at(SystemTime::now()));
    runs::keep_run(dir, &id, &names)
}

/// The entries of `dir` that look like a run's files, by name.
fn legacy_files(dir: &Path) -> Result<Vec<String>, Error> {
    let list_error = |source| Error::ListDir {
        path: dir.to_path_buf(),
        source,
    };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(list_error)? {
        let name = entry.map_err(list_error)?.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        let looks_like_a_run = LEGACY_NAMES.contains(&name)
            || LEGACY_SUFFIXES
                .iter()
                .any(|suffix| name.len() > suffix.len() && name.ends_with(suffix));
        if looks_like_a_run {
            names.push(name.to_owned());
        }
    }
    names.sort();
    Ok(names)
}
