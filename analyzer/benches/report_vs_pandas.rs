//! `cargo bench -p analyzer`: `analyzer report` against a pandas script doing what the
//! original analyzer did, on the same >= 10 million row logs (ours, then the original's
//! format), measured in the same run: rows per second and peak memory (max RSS of the child
//! process, from wait4). Medians over repeats; the load average is printed because the
//! machine is shared.
//!
//! Environment: PANDAS_VENV (default /tmp/pandasvenv), BENCH_ROWS (default 10_050_000),
//! BENCH_REPEATS (default 5 for ours, pandas gets max(repeats / 2, 1)).

#[path = "../tests/support/synthetic.rs"]
mod synthetic;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::Value;
use synthetic::{Spec, write_legacy, write_ours};

struct Run {
    seconds: f64,
    max_rss_mib: f64,
    stdout: String,
}

/// Runs a command, waiting with wait4 to read its peak resident memory.
// The child is reaped by wait4 below, not by Child::wait (which cannot return rusage).
#[allow(clippy::zombie_processes)]
fn measure(command: &mut Command) -> Run {
    let started = Instant::now();
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).ok();
        text
    });
    let mut status = 0;
    // SAFETY: `rusage` is a plain C struct of integers and `timeval`s, for which all-zero
    // bits are a valid value; wait4 overwrites it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 writes through two pointers to live, writable locals of the types it
    // expects (`c_int`, `rusage`). `pid` is our child and nothing else waits for it
    // (`Child::wait` is never called), so wait4 reaps exactly that process.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(reaped, pid, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child failed: status {status}"
    );
    Run {
        seconds,
        max_rss_mib: usage.ru_maxrss as f64 / 1024.0,
        stdout: reader
            .join()
            .expect("the thread reading the child's output panicked"),
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

fn pandas_python() -> Option<PathBuf> {
    let venv = std::env::var("PANDAS_VENV").unwrap_or_else(|_| "/tmp/pandasvenv".to_string());
    let python = Path::new(&venv).join("bin/python");
    let works = Command::new(&python)
        .args(["-c", "import pandas"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    works.is_ok_and(|status| status.success()).then_some(python)
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// Compares pandas' per-operation count/mean/median with our report.
fn agreement(report: &Value, pandas: &Value, components: &[(&str, &str)]) -> (usize, f64) {
    let mut compared = 0;
    let mut worst: f64 = 0.0;
    for &(stem, component) in components {
        let Some(operations) = pandas["operations"][stem].as_object() else {
            continue;
        };
        for (operation, theirs) in operations {
            let ours = &report["operation_breakdown"][component][operation];
            if ours.is_null() {
                continue;
            }
            assert_eq!(
                ours["count"].as_f64(),
                theirs["count"].as_f64(),
                "{component}/{operation} count"
            );
            for (our_key, their_key) in [
                ("avg_ms", "mean"),
                ("median_ms", "median"),
                ("total_ms", "sum"),
            ] {
                let (a, b) = (
                    ours[our_key].as_f64().unwrap_or(f64::NAN),
                    theirs[their_key].as_f64().unwrap_or(f64::NAN),
                );
                if b.abs() > 0.0 {
                    worst = worst.max((a - b).abs() / b.abs());
                }
            }
            compared += 1;
        }
    }
    (compared, worst)
}

fn bench_format(
    label: &str,
    dir: &Path,
    rows: u64,
    legacy: bool,
    repeats: usize,
    python: Option<&Path>,
) {
    let bytes: u64 = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "\n== {label}: {rows} rows, {:.0} MiB in {} ==",
        bytes as f64 / (1 << 20) as f64,
        dir.display()
    );
    let out = dir.join("out");
    let ours: Vec<Run> = (0..repeats)
        .map(|_| {
            measure(
                Command::new(env!("CARGO_BIN_EXE_analyzer"))
                    .arg("report")
                    .arg("--logs")
                    .arg(dir)
                    .arg("--out")
                    .arg(&out)
                    .arg("--quiet"),
            )
        })
        .collect();
    let our_seconds = median(ours.iter().map(|run| run.seconds).collect());
    let our_rss = median(ours.iter().map(|run| run.max_rss_mib).collect());
    let times: Vec<String> = ours
        .iter()
        .map(|run| format!("{:.3}", run.seconds))
        .collect();
    println!(
        "analyzer report : median {our_seconds:.3}s  ({} runs: {})  {:.2} M rows/s  max RSS {our_rss:.0} MiB",
        ours.len(),
        times.join(" "),
        rows as f64 / our_seconds / 1e6
    );
    let Some(python) = python else {
        println!(
            "pandas: SKIPPED (no pandas). Install it with: python3 -m venv /tmp/pandasvenv && /tmp/pandasvenv/bin/pip install pandas  (or set PANDAS_VENV)"
        );
        return;
    };
    let script = dir.join("pandas_groupby.py");
    std::fs::write(&script, include_str!("pandas_groupby.py")).unwrap();
    let pandas_repeats = (repeats / 2).max(1);
    let theirs: Vec<Run> = (0..pandas_repeats)
        .map(|_| {
            measure(Command::new(python).arg(&script).arg(dir).arg(if legacy {
                "legacy"
            } else {
                "ours"
            }))
        })
        .collect();
    let their_seconds = median(theirs.iter().map(|run| run.seconds).collect());
    let their_rss = median(theirs.iter().map(|run| run.max_rss_mib).collect());
    let times: Vec<String> = theirs
        .iter()
        .map(|run| format!("{:.3}", run.seconds))
        .collect();
    println!(
        "pandas          : median {their_seconds:.3}s  ({} runs: {})  {:.2} M rows/s  max RSS {their_rss:.0} MiB",
        theirs.len(),
        times.join(" "),
        rows as f64 / their_seconds / 1e6
    );
    println!(
        "speed-up        : {:.1}x rows per second (requirement: >= 10x)",
        their_seconds / our_seconds
    );
    let pandas: Value = serde_json::from_str(theirs[0].stdout.trim()).expect("pandas output");
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("performance_analysis_report.json")).unwrap(),
    )
    .unwrap();
    let components: &[(&str, &str)] = if legacy {
        &[
            ("ppo_training", "ppo_training"),
            ("training_manager", "training_manager"),
        ]
    } else {
        &[
            ("ppo_training", "ppo_trainer"),
            ("training_manager", "training_manager"),
        ]
    };
    let (compared, worst) = agreement(&report, &pandas, components);
    let histogram = report["statistics_method"]["operations_histogram"]
        .as_u64()
        .unwrap_or(0);
    println!(
        "agreement       : {compared} operations, equal counts, worst relative difference of mean/median/sum {worst:.2e} (pandas read {} rows; {histogram} operations over the exact cap use histogram medians, within 1/256)",
        pandas["rows"]
    );
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs this too: keep that quick.
    if std::env::args().any(|arg| arg == "--test") || std::env::var("BENCH_SMOKE").is_ok() {
        println!("report_vs_pandas: skipped under cargo test (run cargo bench -p analyzer)");
        return;
    }
    let rows = env_number("BENCH_ROWS", 10_050_000);
    let repeats = env_number("BENCH_REPEATS", 5).max(1) as usize;
    let python = pandas_python();
    let root = tempfile::Builder::new()
        .prefix("analyzer-bench-")
        .tempdir()
        .unwrap();
    println!(
        "cores: {}  load average before: {}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        load_average()
    );

    let ours_dir = root.path().join("ours");
    std::fs::create_dir_all(&ours_dir).unwrap();
    let spec = Spec::for_rows(rows);
    let spec = Spec {
        iterations: (rows.div_ceil(spec.rows_per_iteration())) as usize,
        ..spec
    };
    let started = Instant::now();
    let written = write_ours(&ours_dir, spec).unwrap();
    println!(
        "wrote our format: {written} rows in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    bench_format(
        "our format",
        &ours_dir,
        written,
        false,
        repeats,
        python.as_deref(),
    );
    std::fs::remove_dir_all(&ours_dir).ok();

    let legacy_dir = root.path().join("legacy");
    std::fs::create_dir_all(&legacy_dir).unwrap();
    // Two lines (START and END) per call: half the iterations give the same row count.
    let legacy_spec = Spec {
        iterations: spec.iterations.div_ceil(2),
        ..spec
    };
    let started = Instant::now();
    let written = write_legacy(&legacy_dir, legacy_spec).unwrap();
    println!(
        "\nwrote the original's format: {written} rows in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    bench_format(
        "original's format",
        &legacy_dir,
        written,
        true,
        repeats,
        python.as_deref(),
    );
    println!("\nload average after: {}", load_average());
}
