//! Where runs are: the latest at the top of the log directory, each earlier one kept under
//! `<logs>/runs/<id>/` (README "Kept runs"). A run is named by a directory, by its id under
//! `runs/`, or `latest`.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::ingest::discover::LOG_SUFFIX;
use crate::ingest::manifest::{MANIFEST_FILE, Manifest, read_manifest};

pub const RUNS_DIR: &str = "runs";
/// The name of the run at the top of the log directory.
pub const LATEST: &str = "latest";

#[derive(Clone, Debug, PartialEq)]
pub struct RunDir {
    /// The manifest's id, else the directory's name (`latest` for a top level without one).
    pub id: String,
    pub dir: PathBuf,
    /// The run at the top of the log directory.
    pub latest: bool,
    pub manifest: Option<Manifest>,
}

impl RunDir {
    /// The run in `dir`; a manifest that cannot be read is an error naming it.
    pub fn open(dir: &Path, latest: bool) -> Result<RunDir, Error> {
        let manifest = read_manifest(dir)?;
        Ok(RunDir::with_manifest(dir, latest, manifest))
    }

    pub fn with_manifest(dir: &Path, latest: bool, manifest: Option<Manifest>) -> RunDir {
        let id = manifest
            .as_ref()
            .and_then(|manifest| manifest.id.clone())
            .unwrap_or_else(|| {
                if latest {
                    LATEST.to_string()
                } else {
                    dir.file_name().map_or_else(
                        || dir.display().to_string(),
                        |name| name.to_string_lossy().into_owned(),
                    )
                }
            });
        RunDir {
            id,
            dir: dir.to_path_buf(),
            latest,
            manifest,
        }
    }
}

/// Orders run ids as the runtime makes them: `20261201T201809Z` before `...Z-2` before
/// `...Z-10`.
pub fn compare_ids(a: &str, b: &str) -> Ordering {
    fn split(id: &str) -> (&str, u64) {
        match id.rsplit_once('-') {
            Some((base, suffix))
                if !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit()) =>
            {
                (base, suffix.parse().unwrap_or(u64::MAX))
            }
            _ => (id, 0),
        }
    }
    let (a_base, a_suffix) = split(a);
    let (b_base, b_suffix) = split(b);
    a_base
        .cmp(b_base)
        .then(a_suffix.cmp(&b_suffix))
        .then(a.cmp(b))
}

/// Whether `dir` holds a run: a manifest or a timing log.
fn holds_a_run(dir: &Path) -> bool {
    if dir.join(MANIFEST_FILE).is_file() {
        return true;
    }
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.ends_with(LOG_SUFFIX) && name.len() > LOG_SUFFIX.len()
        })
    })
}

/// The directories of the kept runs under `<logs>/runs/`, oldest first.
pub fn kept_run_dirs(logs: &Path) -> Result<Vec<PathBuf>, Error> {
    let runs = logs.join(RUNS_DIR);
    let entries = match std::fs::read_dir(&runs) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(Error::ListDirectory { path: runs, source }),
    };
    let mut dirs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::ListDirectory {
            path: runs.clone(),
            source,
        })?;
        if entry.path().is_dir() {
            dirs.push(entry.path());
        }
    }
    dirs.sort_by(|a, b| {
        compare_ids(
            &a.file_name().unwrap_or_default().to_string_lossy(),
            &b.file_name().unwrap_or_default().to_string_lossy(),
        )
    });
    Ok(dirs)
}

/// The log directory itself, checked.
fn checked_logs(logs: &Path) -> Result<(), Error> {
    match std::fs::metadata(logs) {
        Err(_) => Err(Error::MissingDirectory(logs.to_path_buf())),
        Ok(metadata) if !metadata.is_dir() => Err(Error::NotADirectory(logs.to_path_buf())),
        Ok(_) => Ok(()),
    }
}

/// A run found in a log directory, opened or not.
#[derive(Debug)]
pub struct FoundRun {
    pub dir: PathBuf,
    pub latest: bool,
    /// `Err` when its manifest cannot be read.
    pub run: Result<RunDir, Error>,
}

impl FoundRun {
    fn open(dir: PathBuf, latest: bool) -> FoundRun {
        let run = RunDir::open(&dir, latest);
        FoundRun { dir, latest, run }
    }
}

/// The kept runs, oldest first, then the latest when the top level holds one.
pub fn list_runs(logs: &Path) -> Result<Vec<FoundRun>, Error> {
    checked_logs(logs)?;
    let mut runs: Vec<FoundRun> = kept_run_dirs(logs)?
        .into_iter()
        .map(|dir| FoundRun::open(dir, false))
        .collect();
    if holds_a_run(logs) {
        runs.push(FoundRun::open(logs.to_path_buf(), true));
    }
    Ok(runs)
}

/// The run `name` names: `latest` (the top of `logs`), an id under `<logs>/runs/`, or a
/// directory.
pub fn resolve(logs: &Path, name: &str) -> Result<RunDir, Error> {
    if name == LATEST {
        checked_logs(logs)?;
        return RunDir::open(logs, true);
    }
    let kept = logs.join(RUNS_DIR).join(name);
    if !name.is_empty() && !name.contains(['/', '\\']) && kept.is_dir() {
        return RunDir::open(&kept, false);
    }
    let path = Path::new(name);
    if path.is_dir() {
        return RunDir::open(path, same_dir(path, logs));
    }
    let known = kept_run_dirs(logs)
        .unwrap_or_default()
        .iter()
        .filter_map(|dir| {
            dir.file_name()
                .map(|name| name.to_string_lossy().into_owned())
        })
        .collect();
    Err(Error::NoSuchRun {
        name: name.to_string(),
        logs: logs.to_path_buf(),
        known,
    })
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The run before the latest (the greatest id under `runs/`) and the latest.
pub fn previous_and_latest(logs: &Path) -> Result<(RunDir, RunDir), Error> {
    checked_logs(logs)?;
    let previous = kept_run_dirs(logs)?
        .pop()
        .ok_or_else(|| Error::NoPreviousRun(logs.to_path_buf()))?;
    Ok((RunDir::open(&previous, false)?, RunDir::open(logs, true)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_dir(path: &Path, id: Option<&str>) {
        std::fs::create_dir_all(path).unwrap();
        std::fs::write(path.join("x_timing.log"), "").unwrap();
        if let Some(id) = id {
            std::fs::write(path.join(MANIFEST_FILE), format!("{{\"id\": \"{id}\"}}")).unwrap();
        }
    }

    #[test]
    fn ids_sort_by_time_then_suffix() {
        let mut ids = vec![
            "20261201T201809Z-10",
            "20261202T000000Z",
            "20261201T201809Z-2",
            "20261201T201809Z",
        ];
        ids.sort_by(|a, b| compare_ids(a, b));
        assert_eq!(
            ids,
            [
                "20261201T201809Z",
                "20261201T201809Z-2",
                "20261201T201809Z-10",
                "20261202T000000Z"
            ]
        );
    }

    #[test]
    fn names_resolve_to_latest_kept_ids_and_directories() {
        let logs = tempfile::tempdir().unwrap();
        let logs = logs.path();
        run_dir(logs, Some("20261203T000000Z"));
        run_dir(&logs.join("runs/20261201T000000Z"), None);
        run_dir(
            &logs.join("runs/20261202T000000Z"),
            Some("20261202T000000Z"),
        );
        let latest = resolve(logs, "latest").unwrap();
        assert_eq!(
            (latest.id.as_str(), latest.latest),
            ("20261203T000000Z", true)
        );
        let kept = resolve(logs, "20261201T000000Z").unwrap();
        assert_eq!(kept.id, "20261201T000000Z");
        assert_eq!(kept.dir, logs.join("runs/20261201T000000Z"));
        assert!(kept.manifest.is_none());
        let by_path = resolve(logs, logs.join("runs/20261202T000000Z").to_str().unwrap()).unwrap();
        assert_eq!(by_path.id, "20261202T000000Z");
        let (previous, latest) = previous_and_latest(logs).unwrap();
        assert_eq!(previous.id, "20261202T000000Z");
        assert_eq!(latest.id, "20261203T000000Z");
        let error = resolve(logs, "nope").unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "no run nope: neither a directory nor a run id under {} (kept runs: 20261201T000000Z, 20261202T000000Z)",
                logs.join("runs").display()
            )
        );
        let listed: Vec<(String, bool)> = list_runs(logs)
            .unwrap()
            .into_iter()
            .map(|found| (found.run.unwrap().id, found.latest))
            .collect();
        assert_eq!(
            listed,
            [
                ("20261201T000000Z".to_string(), false),
                ("20261202T000000Z".to_string(), false),
                ("20261203T000000Z".to_string(), true)
            ]
        );
    }

    #[test]
    fn without_kept_runs_there_is_no_previous_run() {
        let logs = tempfile::tempdir().unwrap();
        run_dir(logs.path(), None);
        assert_eq!(
            previous_and_latest(logs.path()).unwrap_err().to_string(),
            format!(
                "no earlier run under {} to compare the latest with",
                logs.path().join("runs").display()
            )
        );
        assert_eq!(resolve(logs.path(), "latest").unwrap().id, "latest");
    }
}
