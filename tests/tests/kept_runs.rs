//! End to end: two training runs into one log directory and one checkpoint directory leave
//! both whole. The first run's logs, summaries, metrics, report, manifest and checkpoints are,
//! byte for byte, what they were when it ended, under `runs/<its id>/`; the second run is at
//! the top under the original file names; and the analyzer reads the kept run as it read it
//! before it was moved.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use serde_json::Value;
use trainer::manager::{TrainSettings, run_training};
use trainer::timing::TimingMode;

/// Every file under `dir`, by path relative to it, with its bytes.
fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The files of the run at the top of `dir` (everything but `runs/`).
fn top_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = files_under(dir);
    files.retain(|name, _| !name.starts_with("runs/"));
    files
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// What an analysis of `dir` says each operation did (counts and times from the logs).
fn operation_breakdown(dir: &Path, out: &Path) -> Value {
    let analysis = analyzer::analyze_dir(dir, &analyzer::Options::default()).unwrap();
    std::fs::create_dir_all(out).unwrap();
    let report = analyzer::export::json::write(&analysis, out).unwrap();
    json(&report)["operation_breakdown"].clone()
}

#[test]
fn two_trainer_runs_into_one_directory_leave_both_whole() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let checkpoints = dir.path().join("checkpoints");
    let settings = TrainSettings {
        updates: Some(2),
        envs: Some(8),
        steps: Some(8),
        threads: Some(2),
        hidden: Some(vec![16, 16]),
        eval_games: 5,
        timing_mode: TimingMode::Full,
        log_dir: logs.clone(),
        checkpoint_dir: checkpoints.clone(),
        ..TrainSettings::default()
    };
    let stop = AtomicBool::new(false);

    run_training(&settings, &stop, &mut ()).unwrap();
    let first_logs = top_files(&logs);
    let first_checkpoints = top_files(&checkpoints);
    let first_id = json(&logs.join("run.json"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let first_analysis = operation_breakdown(&logs, &dir.path().join("analysis-1"));
    for file in [
        "ppo_training_timing.log",
        "training_manager_timing.log",
        "ppo_timing_summary.json",
        "training_manager_timing_summary.json",
        "metrics.jsonl",
        "performance_analysis_report.json",
        "visualizations/report.html",
        "run.json",
    ] {
        assert!(first_logs.contains_key(file), "{file} was not written");
    }
    assert_eq!(
        first_checkpoints
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["final.ckpt", "latest.ckpt", "run.json"]
    );

    run_training(&settings, &stop, &mut ()).unwrap();
    let second = json(&logs.join("run.json"));
    let second_id = second["id"].as_str().unwrap();
    assert_ne!(second_id, first_id);

    // The first run, whole, under its id, in both directories.
    let kept_logs = logs.join("runs").join(&first_id);
    let kept_checkpoints = checkpoints.join("runs").join(&first_id);
    assert_eq!(files_under(&kept_logs), first_logs);
    assert_eq!(files_under(&kept_checkpoints), first_checkpoints);
    assert_eq!(
        std::fs::read_dir(logs.join("runs")).unwrap().count(),
        1,
        "only the first run is kept"
    );

    // The second at the top, under the same names, its own from its first line.
    let second_logs = top_files(&logs);
    assert_eq!(
        second_logs.keys().collect::<Vec<_>>(),
        first_logs.keys().collect::<Vec<_>>()
    );
    assert_eq!(
        top_files(&checkpoints).keys().collect::<Vec<_>>(),
        first_checkpoints.keys().collect::<Vec<_>>()
    );
    for summary in [
        "ppo_timing_summary.json",
        "training_manager_timing_summary.json",
    ] {
        assert_eq!(json(&logs.join(summary))["run_id"], second_id, "{summary}");
        assert_eq!(json(&kept_logs.join(summary))["run_id"], first_id.as_str());
    }
    assert_eq!(json(&checkpoints.join("run.json"))["id"], second_id);
    let iterations: Vec<u64> = std::str::from_utf8(&second_logs["metrics.jsonl"])
        .unwrap()
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["iteration"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(iterations, [1, 2]);

    // The kept run reads as it did at the top.
    assert_eq!(
        operation_breakdown(&kept_logs, &dir.path().join("analysis-kept")),
        first_analysis
    );
}
