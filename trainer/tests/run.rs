//! A whole training run through the library, as the dashboard will start one: settings in, an
//! observer told each iteration and the evaluation, a stop flag that ends the run gracefully.
//! `run_training` starts the process's timing session, so one test here trains at a time.

use std::sync::atomic::{AtomicBool, Ordering};
use trainer::checkpoint::load_checkpoint;
use trainer::evaluation::EvaluationReport;
use trainer::manager::{
    IterationMetrics, ManagerSettings, RunObserver, StopReason, TrainSettings, run_training,
};
use trainer::timing::TimingMode;

/// Records what it is told; sets `stop` once it has seen `stop_after` iterations.
struct Recorder<'a> {
    /// The resolved settings it was started with, as JSON.
    started: Vec<serde_json::Value>,
    /// Each iteration's metrics as JSON text, and the progress told with them.
    iterations: Vec<(String, f64)>,
    evaluations: Vec<EvaluationReport>,
    stop: &'a AtomicBool,
    stop_after: usize,
}

impl RunObserver for Recorder<'_> {
    fn started(&mut self, settings: &ManagerSettings) {
        self.started.push(serde_json::to_value(settings).unwrap());
    }

    fn iteration(&mut self, metrics: &IterationMetrics, progress: f64) {
        self.iterations
            .push((serde_json::to_string(metrics).unwrap(), progress));
        if self.iterations.len() == self.stop_after {
            self.stop.store(true, Ordering::SeqCst);
        }
    }

    fn evaluation(&mut self, report: &EvaluationReport) {
        self.evaluations.push(report.clone());
    }
}

fn metrics_lines(settings: &TrainSettings) -> Vec<String> {
    std::fs::read_to_string(settings.log_dir.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn the_observer_sees_each_iteration_as_metrics_jsonl_has_it_and_the_stop_flag_ends_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let settings = TrainSettings {
        updates: Some(3),
        envs: Some(4),
        steps: Some(8),
        threads: Some(2),
        hidden: Some(vec![8, 8]),
        log_dir: dir.path().join("logs"),
        checkpoint_dir: dir.path().join("checkpoints"),
        timing_mode: TimingMode::Off,
        eval_games: 5,
        report: false,
        ..TrainSettings::default()
    };
    let stop = AtomicBool::new(false);
    let mut recorder = Recorder {
        started: Vec::new(),
        iterations: Vec::new(),
        evaluations: Vec::new(),
        stop: &stop,
        stop_after: usize::MAX,
    };
    let reason = run_training(&settings, &stop, &mut recorder).unwrap();
    assert_eq!(reason, StopReason::BudgetSpent);
    assert_eq!(recorder.started.len(), 1);
    let started = &recorder.started[0];
    assert_eq!(started["config"]["num_envs"], 4);
    assert_eq!(started["config"]["hidden"], serde_json::json!([8, 8]));
    assert_eq!(started["config"]["epochs"], 4);
    assert_eq!(
        started["schedule"]["budget"],
        serde_json::json!({"updates": 3})
    );
    assert_eq!(
        started["metrics_path"],
        settings.log_dir.join("metrics.jsonl").to_str().unwrap()
    );
    let lines = metrics_lines(&settings);
    let told: Vec<_> = recorder.iterations.iter().map(|(m, _)| m.clone()).collect();
    assert_eq!(told, lines);
    let progress: Vec<f64> = recorder.iterations.iter().map(|&(_, p)| p).collect();
    assert_eq!(progress, [1.0 / 3.0, 2.0 / 3.0, 1.0]);
    assert_eq!(recorder.evaluations.len(), 1);
    assert_eq!(recorder.evaluations[0].games, 5);
    assert_eq!(recorder.evaluations[0].policy, "greedy policy");

    // Stopped from the observer after the second of 5 updates: the run ends there, writes its
    // final checkpoint and skips the evaluation, as Ctrl-C does.
    let stopped = TrainSettings {
        updates: Some(5),
        log_dir: dir.path().join("stopped-logs"),
        checkpoint_dir: dir.path().join("stopped-checkpoints"),
        ..settings.clone()
    };
    let stop = AtomicBool::new(false);
    let mut recorder = Recorder {
        started: Vec::new(),
        iterations: Vec::new(),
        evaluations: Vec::new(),
        stop: &stop,
        stop_after: 2,
    };
    let reason = run_training(&stopped, &stop, &mut recorder).unwrap();
    assert_eq!(reason, StopReason::Interrupted);
    assert_eq!(recorder.iterations.len(), 2);
    assert_eq!(metrics_lines(&stopped).len(), 2);
    assert!(recorder.evaluations.is_empty());
    let saved = load_checkpoint(&stopped.checkpoint_dir.join("final.ckpt")).unwrap();
    assert_eq!(saved.metadata.counters.updates, 2);
}

#[test]
fn settings_no_run_can_use_fail_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let settings = TrainSettings {
        updates: Some(0),
        log_dir: dir.path().join("logs"),
        checkpoint_dir: dir.path().join("checkpoints"),
        ..TrainSettings::default()
    };
    let error = run_training(&settings, &AtomicBool::new(false), &mut ()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid setting `updates`: must be at least 1"
    );
    assert_eq!(error.exit_code(), 2);
    assert!(!dir.path().join("logs").exists());
    assert!(!dir.path().join("checkpoints").exists());
}
