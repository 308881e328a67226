//! The checkpoint directory keeps its runs as the log directory does: before a run writes
//! anything there, the earlier run's files (its checkpoints, temporaries a killed save left,
//! and the directory's `run.json`) are moved, by renaming, into `<dir>/runs/<id>/`; then a
//! small `run.json` names the new run. A run's id is its timing run's (`logs/run.json`), so
//! `logs/runs/<id>/` and `checkpoints/runs/<id>/` hold the same run.

use super::error::{CheckpointError, CheckpointErrorKind};
use super::store::EXTENSION;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use timed_runtime::runs::{self, KeptRun, MANIFEST_FILE};

/// What the checkpoint directory's `run.json` says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointRun {
    /// The run's id, as in its timing manifest.
    pub id: String,
    pub program: String,
    pub version: String,
    /// Where the run's timing logs, metrics and report went.
    pub log_dir: PathBuf,
}

/// The file names of `dir` that belong to the run whose checkpoints are there: `*.ckpt`, the
/// temporaries of an interrupted save (`.<name>.ckpt.<random>.tmp`) and `run.json`.
fn run_files(dir: &Path) -> Result<Vec<String>, CheckpointError> {
    let fail = |e| CheckpointError::new(dir, CheckpointErrorKind::Read(e));
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(fail(e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let name = entry.map_err(fail)?.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        let temporary = name.starts_with('.')
            && name.ends_with(".tmp")
            && name.contains(&format!("{EXTENSION}."));
        if name.ends_with(EXTENSION) || temporary || name == MANIFEST_FILE {
            names.push(name.to_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// The id in `run.json` of `dir`, if it has one that reads.
fn recorded_id(dir: &Path) -> Option<String> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let text = std::fs::read(dir.join(MANIFEST_FILE)).ok()?;
    let Id { id } = serde_json::from_slice(&text).ok()?;
    runs::is_plain_name(&id).then_some(id)
}

/// Moves the earlier run's files at the top of `dir` into `runs/<id>/`: the id its `run.json`
/// records or, for checkpoints written before there was one, `fallback_id` (the id the log
/// directory's earlier run was kept under), else the oldest file's modification time. `None`
/// when there is nothing to keep.
pub fn keep_earlier_run(
    dir: &Path,
    fallback_id: Option<&str>,
) -> Result<Option<KeptRun>, CheckpointError> {
    let names = run_files(dir)?;
    if names.is_empty() {
        return Ok(None);
    }
    let id = recorded_id(dir)
        .or_else(|| fallback_id.map(str::to_owned))
        .or_else(|| runs::id_from_modification_times(dir, &names))
        .unwrap_or_else(|| runs::run_id_at(std::time::SystemTime::now()));
    runs::keep_run(dir, &id, &names)
        .map_err(|e| CheckpointError::new(dir, CheckpointErrorKind::KeepRun(e)))
}

/// Creates `dir` if needed and records in its `run.json` which run the checkpoints there
/// belong to.
pub fn record_run(dir: &Path, run: &CheckpointRun) -> Result<(), CheckpointError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| CheckpointError::new(dir, CheckpointErrorKind::Write(e)))?;
    let path = dir.join(MANIFEST_FILE);
    let mut text = serde_json::to_vec_pretty(run).expect("a run record serialises to JSON");
    text.push(b'\n');
    super::atomic::write_atomically(&path, |file| std::io::Write::write_all(file, &text))
        .map_err(|e| CheckpointError::new(&path, CheckpointErrorKind::Write(e)))
}

/// The id of the run a checkpoint file came from, as recorded beside it (its directory's
/// `run.json`, which moves with it into `runs/<id>/`).
pub fn run_id_beside(checkpoint: &Path) -> Option<String> {
    let dir = match checkpoint.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    recorded_id(dir)
}

/// Where `path` is now if it was one of the files `kept` moved out of `dir`.
pub fn moved_to(path: &Path, dir: &Path, kept: &KeptRun) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let same_dir = match (parent.canonicalize(), dir.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => parent == dir,
    };
    (same_dir && kept.files.iter().any(|f| f == name)).then(|| kept.dir.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut found: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        found.sort();
        found
    }

    fn record(id: &str) -> CheckpointRun {
        CheckpointRun {
            id: id.into(),
            program: "trainer".into(),
            version: "0.1.0".into(),
            log_dir: PathBuf::from("logs"),
        }
    }

    #[test]
    fn the_earlier_runs_checkpoints_move_under_its_recorded_id() {
        let dir = tempfile::tempdir().unwrap();
        let ckpt = dir.path();
        assert_eq!(
            keep_earlier_run(&ckpt.join("missing"), Some("X")).unwrap(),
            None
        );
        record_run(ckpt, &record("20261201T201809Z")).unwrap();
        assert_eq!(
            std::fs::read_to_string(ckpt.join("run.json")).unwrap(),
            "{\n  \"id\": \"20261201T201809Z\",\n  \"program\": \"trainer\",\n  \"version\": \
             \"0.1.0\",\n  \"log_dir\": \"logs\"\n}\n"
        );
        for name in [
            "final.ckpt",
            "latest.ckpt",
            "checkpoint-00000002.ckpt",
            ".final.ckpt.a1b2c3.tmp",
            "notes.txt",
        ] {
            std::fs::write(ckpt.join(name), name).unwrap();
        }
        let kept = keep_earlier_run(ckpt, Some("ignored")).unwrap().unwrap();
        assert_eq!(kept.id, "20261201T201809Z");
        assert_eq!(
            kept.files,
            [
                ".final.ckpt.a1b2c3.tmp",
                "checkpoint-00000002.ckpt",
                "final.ckpt",
                "latest.ckpt",
                "run.json"
            ]
        );
        assert_eq!(entries(ckpt), ["notes.txt", "runs"]);
        assert_eq!(
            std::fs::read_to_string(kept.dir.join("final.ckpt")).unwrap(),
            "final.ckpt"
        );
        assert_eq!(
            run_id_beside(&kept.dir.join("final.ckpt")).as_deref(),
            Some("20261201T201809Z")
        );
        assert_eq!(
            moved_to(&ckpt.join("final.ckpt"), ckpt, &kept),
            Some(kept.dir.join("final.ckpt"))
        );
        assert_eq!(moved_to(&ckpt.join("notes.txt"), ckpt, &kept), None);
        assert_eq!(
            moved_to(Path::new("elsewhere/final.ckpt"), ckpt, &kept),
            None
        );
    }

    #[test]
    fn checkpoints_without_a_record_take_the_fallback_id_and_never_replace_a_kept_run() {
        let dir = tempfile::tempdir().unwrap();
        let ckpt = dir.path();
        let taken = ckpt.join("runs/20240115T103045Z");
        std::fs::create_dir_all(&taken).unwrap();
        std::fs::write(taken.join("final.ckpt"), "kept before").unwrap();
        std::fs::write(ckpt.join("final.ckpt"), "legacy").unwrap();
        let kept = keep_earlier_run(ckpt, Some("20240115T103045Z"))
            .unwrap()
            .unwrap();
        assert_eq!(kept.id, "20240115T103045Z-2");
        assert_eq!(
            std::fs::read_to_string(taken.join("final.ckpt")).unwrap(),
            "kept before"
        );
        assert_eq!(
            std::fs::read_to_string(kept.dir.join("final.ckpt")).unwrap(),
            "legacy"
        );
        assert_eq!(run_id_beside(&kept.dir.join("final.ckpt")), None);
    }
}
