//! End to end: train briefly in a temporary directory with full timing, run the analysis on
//! what the run wrote, and check the files and the numbers against each other and against the
//! call counts the configuration implies.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use std::sync::atomic::AtomicBool;
use trainer::manager::TrainSettings;
use trainer::timing::TimingMode;

/// 8 environments on 2 threads (4 per shard), 8 steps: 64 samples per rollout, 4 epochs of 4
/// minibatches of 16, each minibatch split over the 2 workers.
const UPDATES: usize = 3;

/// How often each PPO operation runs per update with that configuration.
fn expected_ppo_calls_per_update() -> BTreeMap<&'static str, usize> {
    let shards = 2;
    let steps = 8;
    let minibatches = 4 * 4;
    let workers = 2;
    BTreeMap::from([
        ("collect_rollout", 1),
        // One per step, plus the bootstrap observation after the last step.
        ("encode_observations", shards * (steps + 1)),
        ("select_actions", shards * steps),
        ("step_environments", shards * steps),
        ("compute_advantages", shards),
        ("update_policy", 1),
        ("gather_minibatch", minibatches * workers),
        ("backward_pass", minibatches * workers),
        ("optimizer_step", minibatches),
        (
            "batch_forward",
            shards * (steps + 1) + minibatches * workers,
        ),
    ])
}

#[derive(Debug)]
struct Row {
    operation: String,
    component: String,
    thread: u32,
    call_id: u64,
    parent_id: Option<u64>,
    duration_ns: u64,
    self_ns: u64,
    status: String,
}

fn ns(ms: &str) -> u64 {
    let (whole, fraction) = ms.split_once('.').expect("a decimal point");
    assert_eq!(fraction.len(), 6, "{ms} has nanosecond precision");
    whole.parse::<u64>().unwrap() * 1_000_000 + fraction.parse::<u64>().unwrap()
}

fn read_log(path: &Path) -> Vec<Row> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header.join(","),
        "timestamp,operation,phase,duration_ms,details,component,thread,call_id,parent_id,\
         self_ms,start_ns,status"
    );
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            Row {
                operation: record[1].to_owned(),
                component: record[5].to_owned(),
                thread: record[6].parse().unwrap(),
                call_id: record[7].parse().unwrap(),
                parent_id: (!record[8].is_empty()).then(|| record[8].parse().unwrap()),
                duration_ns: ns(&record[3]),
                self_ns: ns(&record[9]),
                status: record[11].to_owned(),
            }
        })
        .collect()
}

fn counts(rows: &[Row]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for row in rows {
        *counts.entry(row.operation.clone()).or_default() += 1;
    }
    counts
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn a_short_training_run_is_timed_logged_and_analysed_consistently() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let checkpoints = dir.path().join("checkpoints");
    let settings = TrainSettings {
        updates: Some(UPDATES as u64),
        envs: Some(8),
        steps: Some(8),
        threads: Some(2),
        hidden: Some(vec![16, 16]),
        seed: Some(7),
        eval_games: 0,
        timing_mode: TimingMode::Full,
        log_dir: logs.clone(),
        checkpoint_dir: checkpoints.clone(),
        ..TrainSettings::default()
    };
    trainer::manager::run_training(&settings, &AtomicBool::new(false), &mut ()).unwrap();

    // The original system's file names.
    for file in [
        "ppo_training_timing.log",
        "training_manager_timing.log",
        "ppo_timing_summary.json",
        "training_manager_timing_summary.json",
        "metrics.jsonl",
        "performance_analysis_report.json",
        "visualizations/report.html",
    ] {
        assert!(logs.join(file).is_file(), "{file} was not written");
    }
    assert!(checkpoints.join("final.ckpt").is_file());

    // Every call the configuration implies, exactly once, all completed.
    let ppo = read_log(&logs.join("ppo_training_timing.log"));
    let manager = read_log(&logs.join("training_manager_timing.log"));
    let mut expected: BTreeMap<String, usize> = expected_ppo_calls_per_update()
        .into_iter()
        .map(|(operation, per_update)| (operation.to_owned(), per_update * UPDATES))
        .collect();
    expected.insert("create_model".into(), 1);
    expected.insert("save_checkpoint".into(), 1);
    assert_eq!(counts(&ppo), expected);
    assert!(
        ppo.iter()
            .all(|row| row.component == "ppo_trainer" && row.status == "ok")
    );
    let manager_counts = counts(&manager);
    for operation in ["parallel_training", "process_metrics", "broadcast_metrics"] {
        assert_eq!(manager_counts[operation], UPDATES, "{operation}");
    }
    assert_eq!(manager_counts["create_environments"], 1);

    // The call tree: worker-thread calls hang under the main thread's rollout and update, which
    // hang under the manager's iteration; self time is exact.
    let all: Vec<&Row> = ppo.iter().chain(&manager).collect();
    let by_id: BTreeMap<u64, &Row> = all.iter().map(|row| (row.call_id, *row)).collect();
    assert_eq!(
        by_id.len(),
        all.len(),
        "call ids are unique across components"
    );
    let parent_of = |row: &Row| row.parent_id.map(|id| by_id[&id].operation.as_str());
    for row in &ppo {
        let expected_parent = match row.operation.as_str() {
            "collect_rollout" | "update_policy" => Some("parallel_training"),
            "encode_observations"
            | "select_actions"
            | "step_environments"
            | "compute_advantages" => Some("collect_rollout"),
            "gather_minibatch" | "backward_pass" | "optimizer_step" => Some("update_policy"),
            "batch_forward" => {
                parent_of(row).filter(|p| ["collect_rollout", "update_policy"].contains(p))
            }
            "create_model" => Some("create_environments"),
            "save_checkpoint" => Some("manage_checkpoints"),
            other => panic!("unexpected operation {other}"),
        };
        assert_eq!(parent_of(row), expected_parent, "{row:?}");
    }
    let worker_threads: std::collections::BTreeSet<u32> = ppo
        .iter()
        .filter(|row| row.operation == "backward_pass")
        .map(|row| row.thread)
        .collect();
    assert_eq!(worker_threads.len(), 2, "the update runs on both workers");
    let mut same_thread_children: BTreeMap<u64, u64> = BTreeMap::new();
    for row in &all {
        if let Some(parent) = row.parent_id.map(|id| by_id[&id])
            && parent.thread == row.thread
        {
            *same_thread_children.entry(parent.call_id).or_default() += row.duration_ns;
        }
    }
    for row in &all {
        let children = same_thread_children.get(&row.call_id).copied().unwrap_or(0);
        assert_eq!(row.self_ns + children, row.duration_ns, "{row:?}");
    }

    // The summaries agree with the logs.
    let ppo_summary = json(&logs.join("ppo_timing_summary.json"));
    for (operation, count) in &expected {
        assert_eq!(
            ppo_summary["operations"][operation]["count"], *count as u64,
            "{operation}"
        );
    }
    assert_eq!(ppo_summary["rows_written"], ppo.len() as u64);
    assert_eq!(ppo_summary["rows_lost"], 0);
    assert_eq!(ppo_summary["operations"]["load_checkpoint"]["count"], 0);

    // The metrics stream: one line per update, steps growing by a rollout each.
    let metrics = std::fs::read_to_string(logs.join("metrics.jsonl")).unwrap();
    let steps: Vec<u64> = metrics
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["env_steps"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(steps, [64, 128, 192]);

    // The analysis of those logs, through the library, counts what the logs hold.
    let analysis = analyzer::analyze_dir(&logs, &analyzer::Options::default()).unwrap();
    let report_path = analyzer::export::json::write(&analysis, dir.path()).unwrap();
    let report = json(&report_path);
    let breakdown = &report["operation_breakdown"]["ppo_trainer"];
    for (operation, count) in &expected {
        assert_eq!(breakdown[operation]["count"], *count as u64, "{operation}");
    }
    let total_ms = |rows: &[Row], operation: &str| {
        rows.iter()
            .filter(|row| row.operation == operation)
            .map(|row| row.duration_ns)
            .sum::<u64>() as f64
            / 1e6
    };
    let reported = breakdown["update_policy"]["total_ms"].as_f64().unwrap();
    assert!(
        (reported - total_ms(&ppo, "update_policy")).abs() < 1e-6,
        "{reported}"
    );
    assert_eq!(
        report["performance_metrics"]["training_manager"]["total_operations"],
        manager.len() as u64
    );
    assert_eq!(report["input_problems"]["total"], 0);
    let links = report["cross_component"]["links"].as_array().unwrap();
    let iteration = links
        .iter()
        .find(|link| link["parent_operation"] == "parallel_training")
        .expect("the manager's iteration is analysed against the PPO trainer");
    assert_eq!(iteration["calls"], UPDATES as u64);
    assert_eq!(iteration["child_component"], "ppo_trainer");
    assert!(
        report["bottlenecks"]
            .as_array()
            .is_some_and(|b| !b.is_empty())
    );
    for key in [
        "timestamp",
        "recommendations",
        "performance_metrics",
        "phase_breakdown",
    ] {
        assert!(report.get(key).is_some(), "{key}");
    }
    let charts = analyzer::export::html::write(&analysis, dir.path()).unwrap();
    assert!(
        charts
            .iter()
            .any(|path| path.extension().is_some_and(|e| e == "svg"))
    );
    let html = std::fs::read_to_string(dir.path().join("visualizations/report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("update_policy"));
}
