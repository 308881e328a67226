//! End to end: two training runs into one log directory and one checkpoint directory leave
//! both whole. The first run's logs, summaries, metrics, report, manifest and checkpoints are,
//! byte for byte, what they were when it ended, under `runs/<its id>/`; the second run is at
//! the top under the original file names; the analyzer reads the kept run as it read it
//! before it was moved; and `analyzer compare` puts the two side by side, the setting that was
//! changed first.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use serde_json::Value;
use trainer::manager::{TrainSettings, run_training};
use trainer::timing::TimingMode;

/// Every file under `dir`, by path relative to it, with its bytes.
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

    // The second run changes one setting, for the comparison below.
    let second_settings = TrainSettings {
        seed: Some(99),
        ..settings.clone()
    };
    run_training(&second_settings, &stop, &mut ()).unwrap();
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
    // The same files, and the comparison with the first run, which the first had nothing for.
    let second_logs = top_files(&logs);
    let mut expected: Vec<&str> = first_logs.keys().map(String::as_str).collect();
    expected.extend(["comparison.html", "comparison.json"]);
    expected.sort_unstable();
    assert_eq!(
        second_logs.keys().map(String::as_str).collect::<Vec<_>>(),
        expected
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

    // Compared as `analyzer compare` does with no arguments: the run before the latest against
    // the latest.
    let (base, new) = analyzer::runs::previous_and_latest(&logs).unwrap();
    assert_eq!(
        (base.id.as_str(), new.id.as_str()),
        (first_id.as_str(), second_id)
    );
    // The second run wrote it as it ended; the same comparison made again agrees with it.
    let written = logs.join("comparison.json");
    let options = analyzer::Options::default();
    let base = analyzer::compare::read_run(base, &options).unwrap();
    let new = analyzer::compare::read_run(new, &options).unwrap();
    let mut again =
        analyzer::compare::compare(&base, &new, &analyzer::compare::CompareOptions::default())
            .unwrap();
    let again_dir = dir.path().join("compared-again");
    again.generated_at = json(&written)["timestamp"].as_str().unwrap().to_owned();
    let again = analyzer::export::compare_json::write(&again, &again_dir).unwrap();
    assert_eq!(json(&again), json(&written));
    let report = json(&written);
    assert_eq!(report["base"]["id"], first_id.as_str());
    assert_eq!(report["new"]["id"], second_id);
    assert_eq!(
        report["settings_changed"],
        serde_json::json!([{"key": "settings.config.seed", "base": 0, "new": 99}])
    );
    // Every timed operation of both runs is compared, with the counts each run logged.
    let operations = report["operations"].as_array().unwrap();
    let first_counts = &first_analysis;
    for operation in operations {
        let component = operation["component"].as_str().unwrap();
        let name = operation["operation"].as_str().unwrap();
        assert_eq!(
            operation["base_count"], first_counts[component][name]["count"],
            "{component}/{name}"
        );
        assert!(
            ["regressed", "improved", "unchanged"]
                .contains(&operation["verdict"].as_str().unwrap()),
            "both runs call {component}/{name}: {operation}"
        );
    }
    let compared: std::collections::BTreeSet<(String, String)> = operations
        .iter()
        .map(|operation| {
            (
                operation["component"].as_str().unwrap().to_owned(),
                operation["operation"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let logged: std::collections::BTreeSet<(String, String)> = first_counts
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(component, operations)| {
            operations
                .as_object()
                .unwrap()
                .keys()
                .map(move |name| (component.clone(), name.clone()))
        })
        .collect();
    assert_eq!(compared, logged);
    assert!(logs.join("comparison.html").is_file());
}
