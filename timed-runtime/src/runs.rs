//! Keeping runs: a run's files stay whole when a later run starts in the same directory. The
//! later session moves them, by renaming (never copying then deleting), into
//! `<dir>/runs/<id>/` before it creates a file of its own; nothing is truncated, overwritten or
//! deleted. A reader that has an earlier run's log open or mapped keeps reading the same file,
//! now under its new name.
//!
//! The session does this for its log directory (see [`crate::Config::init`]); these pieces are
//! public so that a program keeps its other directories the same way (the trainer, its
//! checkpoints).

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::atomic::sync_dir;
use crate::error::Error;
use crate::timestamp::compact_second;

/// The directory, inside a log directory, that holds the earlier runs, one directory each.
pub const RUNS_DIR: &str = "runs";

/// A run's manifest, beside its files.
pub const MANIFEST_FILE: &str = "run.json";

/// An earlier run, moved out of the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptRun {
    /// Its id: the name of its directory under `runs/`.
    pub id: String,
    /// `<dir>/runs/<id>`.
    pub dir: PathBuf,
    /// The names moved there, in the order they were moved.
    pub files: Vec<String>,
}

/// The id of a run started at `time`: its UTC second, `YYYYMMDDTHHMMSSZ`. Ids of one
/// directory sort chronologically as strings.
pub fn run_id_at(time: SystemTime) -> String {
    let second = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    compact_second(second)
}

/// Whether `name` names an entry of a directory itself: not empty, no path separator, not `.`
/// or `..`. Names read from a manifest are used only if they are.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['/', '\\']) && name != "." && name != ".."
}

/// `base`, or the first of `base-2`, `base-3`, ... that is neither in `dir/runs/` nor among
/// `taken`.
pub fn unique_run_id(dir: &Path, base: &str, taken: &[&str]) -> String {
    let runs = dir.join(RUNS_DIR);
    (1..)
        .map(|n| with_suffix(base, n))
        .find(|id| {
            !taken.contains(&id.as_str()) && std::fs::symlink_metadata(runs.join(id)).is_err()
        })
        .unwrap_or_else(|| base.to_owned())
}

fn with_suffix(base: &str, n: u64) -> String {
    if n == 1 {
        base.to_owned()
    } else {
        format!("{base}-{n}")
    }
}

/// The id of files that have no manifest: the UTC second of the oldest modification time among
/// those of `names` that exist in `dir`.
pub fn id_from_modification_times(dir: &Path, names: &[String]) -> Option<String> {
    names
        .iter()
        .filter_map(|name| {
            std::fs::symlink_metadata(dir.join(name))
                .ok()?
                .modified()
                .ok()
        })
        .min()
        .map(run_id_at)
}

/// Moves those of `names` that exist in `dir` into a new directory `dir/runs/<id>/` (`id`, or
/// `id-2`, `id-3`, ... when that is taken: the directory is created afresh, so nothing in it
/// can be replaced). A manifest among them moves last, so that a start interrupted half-way
/// leaves it at the top and the next start keeps the rest. `None` when none of `names` exists:
/// nothing is created then. Errors name the paths; whatever was not moved is where it was.
pub fn keep_run(dir: &Path, id: &str, names: &[String]) -> Result<Option<KeptRun>, Error> {
    let mut seen = BTreeSet::new();
    let mut present: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|name| is_plain_name(name) && name != &RUNS_DIR && seen.insert(*name))
        .filter(|name| std::fs::symlink_metadata(dir.join(name)).is_ok())
        .collect();
    if present.is_empty() {
        return Ok(None);
    }
    present.sort_by_key(|name| *name == MANIFEST_FILE);
    let runs = dir.join(RUNS_DIR);
    std::fs::create_dir_all(&runs).map_err(|source| Error::CreateRunDir {
        path: runs.clone(),
        source,
    })?;
    let base = file_safe_id(id);
    let (id, kept) = create_run_dir(&runs, &base)?;
    for name in &present {
        let (from, to) = (dir.join(name), kept.join(name));
        std::fs::rename(&from, &to).map_err(|source| Error::KeepRun { from, to, source })?;
    }
    // The renames are as durable as the file system makes them without these: best effort.
    let _ = sync_dir(&kept);
    let _ = sync_dir(dir);
    Ok(Some(KeptRun {
        id,
        dir: kept,
        files: present.into_iter().map(str::to_owned).collect(),
    }))
}

/// A new, empty directory `runs/<base>` or `runs/<base>-N`, with its name.
fn create_run_dir(runs: &Path, base: &str) -> Result<(String, PathBuf), Error> {
    let mut n = 1;
    loop {
        let id = with_suffix(base, n);
        let path = runs.join(&id);
        match std::fs::create_dir(&path) {
            Ok(()) => return Ok((id, path)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => n += 1,
            Err(source) => return Err(Error::CreateRunDir { path, source }),
        }
    }
}

/// An id as a directory name: separators and a lone `.`/`..` cannot escape `runs/`.
fn file_safe_id(id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| if matches!(c, '/' | '\\') { '_' } else { c })
        .collect();
    if is_plain_name(&safe) {
        safe
    } else {
        "run".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut found: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        found.sort();
        found
    }

    #[test]
    fn ids_are_the_utc_second_and_taken_ones_get_a_suffix() {
        let at = UNIX_EPOCH + Duration::from_millis(1_705_314_645_999);
        assert_eq!(run_id_at(at), "20240115T103045Z");
        let dir = tempfile::tempdir().unwrap();
        let base = "20240115T103045Z";
        assert_eq!(unique_run_id(dir.path(), base, &[]), base);
        assert_eq!(
            unique_run_id(dir.path(), base, &[base]),
            "20240115T103045Z-2"
        );
        std::fs::create_dir_all(dir.path().join("runs").join(base)).unwrap();
        std::fs::create_dir_all(dir.path().join("runs/20240115T103045Z-2")).unwrap();
        assert_eq!(unique_run_id(dir.path(), base, &[]), "20240115T103045Z-3");
        assert_eq!(
            unique_run_id(dir.path(), base, &["20240115T103045Z-3"]),
            "20240115T103045Z-4"
        );
    }

    #[test]
    fn keeping_moves_what_exists_with_the_manifest_last() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("run.json"), "{}").unwrap();
        std::fs::write(dir.path().join("a_timing.log"), "rows").unwrap();
        std::fs::create_dir(dir.path().join("visualizations")).unwrap();
        std::fs::write(dir.path().join("visualizations/report.html"), "<html>").unwrap();
        std::fs::write(dir.path().join("other.txt"), "not the run's").unwrap();
        let kept = keep_run(
            dir.path(),
            "X",
            &names(&[
                "run.json",
                "a_timing.log",
                "missing.json",
                "visualizations",
                "a_timing.log",
            ]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(kept.id, "X");
        assert_eq!(kept.dir, dir.path().join("runs/X"));
        assert_eq!(kept.files, ["a_timing.log", "visualizations", "run.json"]);
        assert_eq!(entries(dir.path()), ["other.txt", "runs"]);
        assert_eq!(
            entries(&kept.dir),
            ["a_timing.log", "run.json", "visualizations"]
        );
        assert_eq!(
            std::fs::read_to_string(kept.dir.join("visualizations/report.html")).unwrap(),
            "<html>"
        );
    }

    #[test]
    fn a_taken_directory_is_never_written_into() {
        let dir = tempfile::tempdir().unwrap();
        let taken = dir.path().join("runs/X");
        std::fs::create_dir_all(&taken).unwrap();
        std::fs::write(taken.join("a_timing.log"), "first").unwrap();
        std::fs::write(dir.path().join("a_timing.log"), "second").unwrap();
        let kept = keep_run(dir.path(), "X", &names(&["a_timing.log"]))
            .unwrap()
            .unwrap();
        assert_eq!(kept.id, "X-2");
        assert_eq!(
            std::fs::read_to_string(taken.join("a_timing.log")).unwrap(),
            "first"
        );
        assert_eq!(
            std::fs::read_to_string(kept.dir.join("a_timing.log")).unwrap(),
            "second"
        );
    }

    #[test]
    fn nothing_to_keep_creates_nothing_and_bad_names_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("outside"), "x").unwrap();
        let inner = dir.path().join("inner");
        std::fs::create_dir(&inner).unwrap();
        let kept = keep_run(&inner, "X", &names(&["../outside", "..", "", "runs"])).unwrap();
        assert_eq!(kept, None);
        assert_eq!(entries(&inner), Vec::<String>::new());
        assert_eq!(entries(dir.path()), ["inner", "outside"]);
        assert_eq!(file_safe_id("../x"), ".._x");
        assert_eq!(file_safe_id(".."), "run");
    }

    #[test]
    fn a_runs_path_that_is_not_a_directory_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("runs"),
            "a file where the runs directory goes",
        )
        .unwrap();
        std::fs::write(dir.path().join("a_timing.log"), "rows").unwrap();
        let error = keep_run(dir.path(), "X", &names(&["a_timing.log"])).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "cannot create {} to keep the earlier run in",
                dir.path().join("runs").display()
            )
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a_timing.log")).unwrap(),
            "rows"
        );
    }
}
