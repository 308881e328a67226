//! The `analyzer report` command as a user runs it.

use std::path::Path;
use std::process::{Command, Output};

fn report(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_analyzer"))
        .arg("report")
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_missing_directory_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no_such_logs");
    let output = report(&["--logs", missing.to_str().unwrap()]);
    assert!(!output.status.success());
    assert_eq!(
        text(&output.stderr),
        format!(
            "error: log directory {} does not exist\n",
            missing.display()
        )
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn an_empty_directory_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a log").unwrap();
    let output = report(&["--logs", dir.path().to_str().unwrap()]);
    assert!(!output.status.success());
    assert_eq!(
        text(&output.stderr),
        format!("error: no *_timing.log files in {}\n", dir.path().display())
    );
}

#[test]
fn a_log_directory_gets_its_report_and_charts() {
    let dir = tempfile::tempdir().unwrap();
    let log = "=== Training Timing Log - Started at 2024-01-15T10:30:00.000000 ===\n\
        timestamp,operation,phase,duration_ms,details\n\
        2024-01-15T10:30:45.000000,START_update_policy,training,,\n\
        2024-01-15T10:30:45.600000,END_update_policy,training,600.00,updates=8, policy_loss=0.1\n\
        torn";
    std::fs::write(dir.path().join("ppo_training_timing.log"), log).unwrap();
    let out = dir.path().join("out");
    let output = report(&[
        "--logs",
        dir.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.starts_with(
        "================================================================================\nPERFORMANCE ANALYSIS SUMMARY\n"
    ));
    assert!(stdout.contains(&format!(
        "Report generated: {}",
        out.join("performance_analysis_report.json").display()
    )));
    assert!(
        stdout.contains("1. PPO Training: update_policy takes 600.00ms on average (high severity)")
    );
    assert!(stdout.contains(
        "[HIGH] Policy updates are slow (600.00ms avg). Consider reducing batch size or PPO epochs."
    ));
    assert!(stdout.contains("PPO TRAINING METRICS:\n  Total operations: 1\n  Average duration: 600.00ms\n  Total time: 600.00ms\n"));
    assert!(stdout.contains("line 5: no line end, and expected at least 4 fields, found 1"));
    for file in [
        "performance_analysis_report.json",
        "visualizations/report.html",
        "visualizations/time_share.svg",
    ] {
        assert!(Path::new(&out.join(file)).is_file(), "{file}");
    }
}

#[test]
fn thresholds_are_flags() {
    let dir = tempfile::tempdir().unwrap();
    let log = "timestamp,operation,phase,duration_ms,details\n\
        2024-01-15T10:30:45.600000,END_step,training,60.00,\n\
        2024-01-15T10:30:45.700000,END_other,training,60.00,\n";
    std::fs::write(dir.path().join("x_timing.log"), log).unwrap();
    let args = |extra: &[&str]| {
        let mut all = vec![
            "--logs",
            dir.path().to_str().unwrap(),
            "--no-charts",
            "--high-share",
            "90",
            "--medium-share",
            "80",
            "--low-share",
            "70",
        ];
        all.extend_from_slice(extra);
        text(&report(&all).stdout)
    };
    assert!(args(&[]).contains("step takes 60.00ms on average (low severity)"));
    assert!(args(&["--low-ms", "70"]).contains("TOP BOTTLENECKS:\n  none"));
    assert!(args(&["--high-ms", "55"]).contains("step takes 60.00ms on average (high severity)"));
    assert!(!dir.path().join("visualizations").exists());
}

#[test]
fn a_failed_write_prints_its_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = "timestamp,operation,phase,duration_ms,details\n\
        2024-01-15T10:30:45.600000,END_step,training,60.00,\n";
    std::fs::write(dir.path().join("x_timing.log"), log).unwrap();
    // A file where the output directory should be: no directory can be made there.
    let out = dir.path().join("taken");
    std::fs::write(&out, "a file").unwrap();
    let output = report(&[
        "--logs",
        dir.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr),
        format!(
            "error: cannot write {}: File exists (os error 17)\n",
            out.display()
        )
    );
    assert!(output.stdout.is_empty());
}
