//! Every run kept: training runs into the same log and checkpoint directories leave each
//! earlier run whole under `runs/<id>/` (logs, summaries, metrics, report, manifest,
//! checkpoints), byte for byte; `--keep-checkpoints` prunes only the run's own; a run resumes
//! from a kept checkpoint and its manifest says so. Through the library, as the binary runs.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use trainer::checkpoint::load_checkpoint;
use trainer::manager::{CheckpointInterval, TrainSettings, run_training};

/// Every file under `dir`, by path relative to it, with its bytes; `runs/` left out.
fn top_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut all = files_under(dir);
    all.retain(|name, _| !name.starts_with("runs/"));
    all
}

fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let relative = entry.path().strip_prefix(dir).unwrap();
            let bytes = std::fs::read(entry.path()).unwrap();
            (relative.to_string_lossy().into_owned(), bytes)
        })
        .collect()
}

fn names(files: &BTreeMap<String, Vec<u8>>) -> Vec<&str> {
    files.keys().map(String::as_str).collect()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn kept_runs(dir: &Path) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(dir.join("runs"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    ids.sort();
    ids
}

const LOG_FILES: [&str; 13] = [
    "metrics.jsonl",
    "performance_analysis_report.json",
    "ppo_timing_summary.json",
    "ppo_training_timing.log",
    "run.json",
    "training_manager_timing.log",
    "training_manager_timing_summary.json",
    "visualizations/duration_distribution.svg",
    "visualizations/durations_over_run.svg",
    "visualizations/flamegraph.svg",
    "visualizations/phase_breakdown.svg",
    "visualizations/report.html",
    "visualizations/time_share.svg",
];

#[test]
fn runs_into_the_same_directories_leave_each_earlier_run_whole_and_resume_from_a_kept_one() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let checkpoints = dir.path().join("checkpoints");
    // A periodic checkpoint every update, one kept: each run prunes its first.
    let settings = TrainSettings {
        updates: Some(2),
        envs: Some(4),
        steps: Some(8),
        threads: Some(2),
        hidden: Some(vec![8, 8]),
        log_dir: logs.clone(),
        checkpoint_dir: checkpoints.clone(),
        checkpoint_every: CheckpointInterval::EveryUpdates(1),
        keep_checkpoints: 1,
        eval_games: 5,
        ..TrainSettings::default()
    };
    let stop = AtomicBool::new(false);

    run_training(&settings, &stop, &mut ()).unwrap();
    let first_logs = top_files(&logs);
    let first_checkpoints = top_files(&checkpoints);
    assert_eq!(names(&first_logs), LOG_FILES);
    assert_eq!(
        names(&first_checkpoints),
        [
            "checkpoint-00000002.ckpt",
            "final.ckpt",
            "latest.ckpt",
            "run.json"
        ]
    );
    let first = read_json(&logs.join("run.json"));
    let first_id = first["id"].as_str().unwrap().to_owned();
    assert_eq!(first["program"], "trainer");
    assert_eq!(first["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(first["timing_mode"], "full");
    assert!(first["ended_at"].is_string());
    assert_eq!(
        first["files"],
        json!([
            "ppo_training_timing.log",
            "ppo_timing_summary.json",
            "training_manager_timing.log",
            "training_manager_timing_summary.json",
            "metrics.jsonl",
            "performance_analysis_report.json",
            "visualizations",
            "comparison.json",
            "comparison.html",
            "trace.json",
            "stacks.folded"
        ])
    );
    // Every PPO and manager setting, and what the run achieved.
    let settings_json = &first["metadata"]["settings"];
    assert_eq!(settings_json["config"]["num_envs"], 4);
    assert_eq!(settings_json["config"]["hidden"], json!([8, 8]));
    assert_eq!(settings_json["config"]["epochs"], 4);
    assert_eq!(settings_json["keep_checkpoints"], 1);
    assert_eq!(settings_json["checkpoint_every"], "1u");
    assert_eq!(
        settings_json["metrics_path"],
        logs.join("metrics.jsonl").to_str().unwrap()
    );
    let results = &first["metadata"]["results"];
    assert_eq!(results["stopped"], "budget spent");
    assert_eq!(results["updates"], 2);
    assert_eq!(results["env_steps"], 2 * 4 * 8);
    assert_eq!(results["totals"]["env_steps"], 2 * 4 * 8);
    assert_eq!(results["evaluation"]["games"], 5);
    assert_eq!(
        results["evaluation"]["reach_rates"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["1024", "128", "2048", "256", "4096", "512"]
    );
    assert_eq!(first["metadata"].get("resumed_from"), None);
    // The checkpoint directory names the same run, and so do its checkpoints.
    assert_eq!(
        read_json(&checkpoints.join("run.json")),
        json!({
            "id": first_id,
            "program": "trainer",
            "version": env!("CARGO_PKG_VERSION"),
            "log_dir": logs.to_str().unwrap()
        })
    );
    let saved = load_checkpoint(&checkpoints.join("final.ckpt")).unwrap();
    assert_eq!(saved.metadata.run_id.as_deref(), Some(first_id.as_str()));
    // The summaries say which run they belong to.
    assert_eq!(
        read_json(&logs.join("ppo_timing_summary.json"))["run_id"],
        first_id.as_str()
    );

    // The same run again: the first is kept whole, the second is at the top.
    run_training(&settings, &stop, &mut ()).unwrap();
    let second_id = read_json(&logs.join("run.json"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(second_id, first_id);
    assert_eq!(kept_runs(&logs), [first_id.as_str()]);
    assert_eq!(kept_runs(&checkpoints), [first_id.as_str()]);
    assert_eq!(files_under(&logs.join("runs").join(&first_id)), first_logs);
    assert_eq!(
        files_under(&checkpoints.join("runs").join(&first_id)),
        first_checkpoints
    );
    let second_logs = top_files(&logs);
    let second_checkpoints = top_files(&checkpoints);
    // A later run also has its comparison with the run before it.
    let mut with_comparison = vec!["comparison.html", "comparison.json"];
    with_comparison.extend(LOG_FILES);
    assert_eq!(names(&second_logs), with_comparison);
    assert_eq!(names(&second_checkpoints), names(&first_checkpoints));
    assert_eq!(
        read_json(&checkpoints.join("run.json"))["id"],
        second_id.as_str()
    );

    // A third run resumes from the first run's final checkpoint, where it is kept.
    let kept_final = checkpoints.join("runs").join(&first_id).join("final.ckpt");
    let resumed = TrainSettings {
        updates: Some(1),
        resume: Some(kept_final.clone()),
        eval_games: 0,
        report: false,
        ..settings.clone()
    };
    run_training(&resumed, &stop, &mut ()).unwrap();
    let third = read_json(&logs.join("run.json"));
    let third_id = third["id"].as_str().unwrap().to_owned();
    assert_eq!(
        third["metadata"]["resumed_from"],
        json!({"path": kept_final.to_str().unwrap(), "run_id": first_id})
    );
    assert_eq!(third["metadata"]["results"]["updates"], 1);
    assert_eq!(third["metadata"]["results"]["totals"]["updates"], 3);
    assert_eq!(third["metadata"]["results"]["evaluation"], Value::Null);
    let continued = load_checkpoint(&checkpoints.join("final.ckpt")).unwrap();
    assert_eq!(continued.metadata.counters.updates, 3);
    assert_eq!(
        continued.metadata.run_id.as_deref(),
        Some(third_id.as_str())
    );
    // Neither earlier run was touched, the one resumed from included.
    assert_eq!(kept_runs(&logs), [first_id.clone(), second_id.clone()]);
    assert_eq!(files_under(&logs.join("runs").join(&first_id)), first_logs);
    assert_eq!(
        files_under(&logs.join("runs").join(&second_id)),
        second_logs
    );
    assert_eq!(
        files_under(&checkpoints.join("runs").join(&first_id)),
        first_checkpoints
    );
    assert_eq!(
        files_under(&checkpoints.join("runs").join(&second_id)),
        second_checkpoints
    );
    // Without the report, the run has no report: nothing of the second run's was left behind.
    assert_eq!(
        names(&top_files(&logs)),
        [
            "metrics.jsonl",
            "ppo_timing_summary.json",
            "ppo_training_timing.log",
            "run.json",
            "training_manager_timing.log",
            "training_manager_timing_summary.json",
        ]
    );

    // A fourth run resumes from the top of the checkpoint directory, as `--resume
    // checkpoints/final.ckpt` does: the file moves with its run before training starts.
    let from_top = TrainSettings {
        resume: Some(checkpoints.join("final.ckpt")),
        ..resumed.clone()
    };
    let third_final = std::fs::read(checkpoints.join("final.ckpt")).unwrap();
    run_training(&from_top, &stop, &mut ()).unwrap();
    let fourth = read_json(&logs.join("run.json"));
    let moved: PathBuf = checkpoints.join("runs").join(&third_id).join("final.ckpt");
    assert_eq!(
        fourth["metadata"]["resumed_from"],
        json!({"path": moved.to_str().unwrap(), "run_id": third_id})
    );
    assert_eq!(std::fs::read(&moved).unwrap(), third_final);
    assert_eq!(
        load_checkpoint(&checkpoints.join("final.ckpt"))
            .unwrap()
            .metadata
            .counters
            .updates,
        4
    );
}

#[test]
fn one_directory_for_logs_and_checkpoints_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let both = dir.path().join("out");
    let settings = TrainSettings {
        updates: Some(1),
        log_dir: both.clone(),
        checkpoint_dir: dir.path().join("out/./"),
        ..TrainSettings::default()
    };
    let error = run_training(&settings, &AtomicBool::new(false), &mut ()).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "invalid setting `checkpoint_dir`: {} is also the log directory: each keeps its \
             earlier runs under its own runs/, so they must differ",
            dir.path().join("out/./").display()
        )
    );
    assert_eq!(error.exit_code(), 2);
    assert!(!both.exists());
}
