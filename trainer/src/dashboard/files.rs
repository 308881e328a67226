//! The runs a log directory holds (the latest at its top, kept ones under `runs/<id>/`, each
//! described by its `run.json` manifest), and the few files of a run the server hands out:
//! its report, the comparison with the run before it, its manifest and metrics.

use super::observer::manifest_run_id;
use crate::error::Chain;
use crate::manager::broadcast::METRICS_FILE;
use analyzer::export::compare_html::COMPARISON_HTML;
use analyzer::export::compare_json::COMPARISON_JSON;
pub use analyzer::runs::LATEST;
use analyzer::runs::locate::FoundRun;
use analyzer::runs::{MANIFEST_FILE, RUNS_DIR};
use serde::Serialize;
use std::path::{Path, PathBuf};

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

/// A run as the page lists it. Its id is the one its URLs use: a kept run's directory name,
/// the top's manifest id (`latest` without one).
fn entry(found: FoundRun) -> Option<RunEntry> {
    let directory_name = || found.dir.file_name()?.to_str().map(str::to_owned);
    let (manifest, problem) = match found.run {
        Ok(run) => (run.manifest, None),
        Err(error) => (None, Some(Chain(&error).to_string())),
    };
    let id = if found.latest {
        manifest
            .as_ref()
            .and_then(|manifest| manifest.id.clone())
            .filter(|id| valid_id(id))
            .unwrap_or_else(|| LATEST.to_string())
    } else {
        directory_name().filter(|id| valid_id(id))?
    };
    let results = manifest
        .as_ref()
        .and_then(|manifest| manifest.results().cloned());
    Some(RunEntry {
        report: link(&found.dir, &id, analyzer::export::html::REPORT_HTML),
        comparison: link(&found.dir, &id, COMPARISON_HTML),
        id,
        latest: found.latest,
        started_at: manifest.as_ref().and_then(|m| m.started_at.clone()),
        ended_at: manifest.as_ref().and_then(|m| m.ended_at.clone()),
        duration_s: manifest.as_ref().and_then(|m| m.duration_s),
        settings: manifest.as_ref().and_then(|m| m.settings().cloned()),
        results,
        problem,
        dir: found.dir,
    })
}

/// The runs in `log_dir`, newest first: the top of the directory (when it holds a run), then
/// the kept ones, as `analyzer runs` finds them. A log directory not made yet holds none.
pub fn list_runs(log_dir: &Path) -> Vec<RunEntry> {
    analyzer::runs::locate::list_runs(log_dir)
        .map(|found| found.into_iter().rev().filter_map(entry).collect())
        .unwrap_or_default()
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
