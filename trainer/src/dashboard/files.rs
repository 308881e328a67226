//! The runs a log directory holds (the latest at its top, kept ones under `runs/<id>/`, each
//! described by its `run.json` manifest), and the few files of a run the server hands out:
//! its report, the comparison with the run before it, its manifest and metrics.

use super::observer::{MANIFEST_FILE, manifest_run_id};
use crate::manager::broadcast::METRICS_FILE;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Where kept runs are, under the log directory.
pub const RUNS_DIR: &str = "runs";
/// What `analyzer compare` writes into the newer run's directory.
pub const COMPARISON_HTML: &str = "comparison.html";
pub const COMPARISON_JSON: &str = "comparison.json";
/// The id of the top of the log directory when it has no manifest.
pub const LATEST: &str = "latest";

/// The files of a run the server serves, by the name in the URL: where each is in the run's
/// directory, and its content type.
const SERVED: [(&str, &str, &str); 6] = [
    (
        analyzer::export::html::REPORT_HTML,
        "visualizations/report.html",
        "text/html; charset=utf-8",
    ),
    (COMPARISON_HTML, COMPARISON_HTML, "text/html; charset=utf-8"),
    (COMPARISON_JSON, COMPARISON_JSON, "application/json"),
    (MANIFEST_FILE, MANIFEST_FILE, "application/json"),
    (METRICS_FILE, METRICS_FILE, "application/x-ndjson"),
    (
        analyzer::REPORT_FILE,
        analyzer::REPORT_FILE,
        "application/json",
    ),
];

/// One run in `GET /api/runs`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunEntry {
    pub id: String,
    /// The run at the top of the log directory.
    pub latest: bool,
    pub dir: PathBuf,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub duration_s: Option<f64>,
    /// The manifest's `metadata.settings` and `metadata.results`.
    pub settings: Option<serde_json::Value>,
    pub results: Option<serde_json::Value>,
    /// Paths on this server of the run's report and comparison, where they exist.
    pub report: Option<String>,
    pub comparison: Option<String>,
    /// Why the manifest could not be read, when it could not.
    pub problem: Option<String>,
}

/// Whether `id` can name a run directory: letters, digits, `-`, `_` and `.`, not starting
/// with a dot (so no path can be made of it).
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The URL path of `name` in run `id`, when the file exists in `dir`.
pub fn link(dir: &Path, id: &str, name: &str) -> Option<String> {
    let (_, relative, _) = SERVED.iter().find(|(served, _, _)| *served == name)?;
    dir.join(relative)
        .is_file()
        .then(|| format!("/runs/{id}/{name}"))
}

fn has_run_files(dir: &Path) -> bool {
    dir.join(MANIFEST_FILE).is_file()
        || dir.join(METRICS_FILE).is_file()
        || std::fs::read_dir(dir).is_ok_and(|entries| {
            entries.flatten().any(|entry| {
                entry
                    .file_name()
                    .to_str()
                    .is_some_and(|name| name.ends_with("_timing.log"))
            })
        })
}

fn entry(dir: &Path, id: String, latest: bool) -> RunEntry {
    let mut entry = RunEntry {
        report: link(dir, &id, analyzer::export::html::REPORT_HTML),
        comparison: link(dir, &id, COMPARISON_HTML),
        id,
        latest,
        dir: dir.to_path_buf(),
        started_at: None,
        ended_at: None,
        duration_s: None,
        settings: None,
        results: None,
        problem: None,
    };
    let path = dir.join(MANIFEST_FILE);
    let manifest = match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str::<serde_json::Value>(&text)
            .map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return entry,
        Err(e) => Err(format!("{}: {e}", path.display())),
    };
    match manifest {
        Ok(manifest) => {
            let text = |key: &str| manifest.get(key).and_then(|v| v.as_str()).map(String::from);
            entry.started_at = text("started_at");
            entry.ended_at = text("ended_at");
            entry.duration_s = manifest.get("duration_s").and_then(|v| v.as_f64());
            let metadata = manifest.get("metadata");
            entry.settings = metadata.and_then(|m| m.get("settings")).cloned();
            entry.results = metadata.and_then(|m| m.get("results")).cloned();
        }
        Err(problem) => entry.problem = Some(problem),
    }
    entry
}

/// The runs in `log_dir`, newest first: the top of the directory (when it holds a run), then
/// `runs/<id>/` by id, descending (ids are UTC start times: they sort in time).
pub fn list_runs(log_dir: &Path) -> Vec<RunEntry> {
    let mut runs = Vec::new();
    if has_run_files(log_dir) {
        let id = manifest_run_id(log_dir)
            .filter(|id| valid_id(id))
            .unwrap_or_else(|| LATEST.to_string());
        runs.push(entry(log_dir, id, true));
    }
    let mut kept: Vec<(String, PathBuf)> = std::fs::read_dir(log_dir.join(RUNS_DIR))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
        .filter(|(id, _)| valid_id(id))
        .collect();
    kept.sort_by(|a, b| b.0.cmp(&a.0));
    runs.extend(kept.into_iter().map(|(id, dir)| entry(&dir, id, false)));
    runs
}

/// The directory of run `id` in the first of `log_dirs` that has it: the top of a log
/// directory when its manifest has that id (or for `latest`), else `runs/<id>/`.
pub fn run_dir(log_dirs: &[PathBuf], id: &str) -> Option<PathBuf> {
    if !valid_id(id) {
        return None;
    }
    log_dirs.iter().find_map(|log_dir| {
        if id == LATEST || manifest_run_id(log_dir).as_deref() == Some(id) {
            return Some(log_dir.clone());
        }
        let kept = log_dir.join(RUNS_DIR).join(id);
        kept.is_dir().then_some(kept)
    })
}

/// The path and content type of the served file `name` of the run in `dir`.
pub fn served_file(dir: &Path, name: &str) -> Option<(PathBuf, &'static str)> {
    SERVED
        .iter()
        .find(|(served, _, _)| *served == name)
        .map(|(_, relative, content_type)| (dir.join(relative), *content_type))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn ids_cannot_make_paths() {
        for id in ["20261201T201809Z", "20261201T201809Z-2", "latest", "a.b_c"] {
            assert!(valid_id(id), "{id}");
        }
        for id in ["", "..", ".hidden", "a/b", "a\\b", "%2e%2e", "a b"] {
            assert!(!valid_id(id), "{id}");
        }
    }

    #[test]
    fn the_latest_run_and_kept_runs_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path();
        fs::write(
            logs.join(MANIFEST_FILE),
            r#"{"id": "20261201T203000Z", "started_at": "2026-12-01T20:30:00Z", "ended_at": null,
                "duration_s": null, "metadata": {"settings": {"envs": 64}}}"#,
        )
        .unwrap();
        fs::create_dir_all(logs.join("visualizations")).unwrap();
        fs::write(logs.join("visualizations/report.html"), "<html>").unwrap();
        for (id, manifest) in [
            (
                "20261201T201809Z",
                Some(
                    r#"{"id": "20261201T201809Z", "duration_s": 292.5, "metadata": {"results": {"env_steps_per_s": 87808.1}}}"#,
                ),
            ),
            ("20261201T202500Z", Some("{not json")),
            ("20261201T190000Z", None),
            (".hidden", None),
        ] {
            let run = logs.join(RUNS_DIR).join(id);
            fs::create_dir_all(&run).unwrap();
            if let Some(manifest) = manifest {
                fs::write(run.join(MANIFEST_FILE), manifest).unwrap();
            }
        }
        fs::write(
            logs.join(RUNS_DIR)
                .join("20261201T201809Z")
                .join(COMPARISON_HTML),
            "<html>",
        )
        .unwrap();
        let runs = list_runs(logs);
        let ids: Vec<(&str, bool)> = runs.iter().map(|r| (r.id.as_str(), r.latest)).collect();
        assert_eq!(
            ids,
            [
                ("20261201T203000Z", true),
                ("20261201T202500Z", false),
                ("20261201T201809Z", false),
                ("20261201T190000Z", false),
            ]
        );
        assert_eq!(
            runs[0].report.as_deref(),
            Some("/runs/20261201T203000Z/report.html")
        );
        assert_eq!(runs[0].settings, Some(serde_json::json!({"envs": 64})));
        assert_eq!(runs[0].started_at.as_deref(), Some("2026-12-01T20:30:00Z"));
        assert!(
            runs[1]
                .problem
                .as_deref()
                .unwrap()
                .contains("run.json: key must be a string")
        );
        assert_eq!(runs[2].duration_s, Some(292.5));
        assert_eq!(
            runs[2].results,
            Some(serde_json::json!({"env_steps_per_s": 87808.1}))
        );
        assert_eq!(
            runs[2].comparison.as_deref(),
            Some("/runs/20261201T201809Z/comparison.html")
        );
        assert_eq!(runs[2].report, None);
        assert_eq!(runs[3].problem, None);

        let dirs = [logs.to_path_buf()];
        assert_eq!(run_dir(&dirs, "20261201T203000Z"), Some(logs.to_path_buf()));
        assert_eq!(run_dir(&dirs, LATEST), Some(logs.to_path_buf()));
        assert_eq!(
            run_dir(&dirs, "20261201T190000Z"),
            Some(logs.join("runs/20261201T190000Z"))
        );
        assert_eq!(run_dir(&dirs, "20990101T000000Z"), None);
        assert_eq!(run_dir(&dirs, ".."), None);
        assert_eq!(
            served_file(logs, "report.html"),
            Some((
                logs.join("visualizations/report.html"),
                "text/html; charset=utf-8"
            ))
        );
        assert_eq!(served_file(logs, "ppo_training_timing.log"), None);
    }

    #[test]
    fn an_empty_or_missing_log_directory_has_no_runs() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(list_runs(dir.path()), []);
        assert_eq!(list_runs(&dir.path().join("missing")), []);
    }
}
