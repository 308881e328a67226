//! `cargo bench -p analyzer`: `analyzer report` against the peers a user who cares about speed
//! would reach for, on the same >= 10 million row logs (ours, then the original's format),
//! measured in the same run: DuckDB (`read_csv` with the columns' types, one `GROUP BY
//! operation` with count, min, max, avg, median, sum), polars (`scan_csv`, the same group-by,
//! streaming engine) and pandas (what the original analyzer did). Rows per second and peak
//! memory (max RSS of the child process, from wait4), medians over repeats; the load average is
//! printed because the machine is shared. Beside them, the machine's limit for reading these
//! bytes: a plain parallel scan of the same mapped files counting newlines.
//!
//! Environment: ANCHOR_VENV (default /tmp/pandasvenv; PANDAS_VENV is read too), BENCH_ROWS
//! (default 10_050_000), BENCH_REPEATS (default 5 for ours; each anchor gets max(repeats / 2, 1)).

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

/// A peer run by a Python script in the benchmark's virtualenv.
struct Anchor {
    name: &'static str,
    module: &'static str,
    script: &'static str,
    source: &'static str,
    /// The speed-up over it the issue asks for, our format then the original's.
    targets: Option<(f64, f64)>,
}

const ANCHORS: &[Anchor] = &[
    Anchor {
        name: "duckdb",
        module: "duckdb",
        script: "duckdb_groupby.py",
        source: include_str!("duckdb_groupby.py"),
        targets: Some((2.0, 3.0)),
    },
    Anchor {
        name: "polars",
        module: "polars",
        script: "polars_groupby.py",
        source: include_str!("polars_groupby.py"),
        targets: None,
    },
    Anchor {
        name: "pandas",
        module: "pandas",
        script: "pandas_groupby.py",
        source: include_str!("pandas_groupby.py"),
        targets: Some((10.0, 10.0)),
    },
];

fn anchor_python() -> PathBuf {
    let venv = std::env::var("ANCHOR_VENV")
        .or_else(|_| std::env::var("PANDAS_VENV"))
        .unwrap_or_else(|_| "/tmp/pandasvenv".to_string());
    Path::new(&venv).join("bin/python")
}

fn has_module(python: &Path, module: &str) -> bool {
    Command::new(python)
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Set in the child that runs `newline_scan`: the directory to scan.
const SCAN_DIR_VARIABLE: &str = "REPORT_BENCH_SCAN_DIR";

/// `newline_scan` in a child process (this same binary). Mapping the files here would raise this
/// process's peak RSS by their size, and Linux hands a parent's peak on to every child it spawns
/// afterwards (`ru_maxrss` survives fork and exec), which would hide every later peak.
fn newline_scan_in_child(dir: &Path) -> (f64, u64) {
    let output = Command::new(std::env::current_exe().unwrap())
        .env(SCAN_DIR_VARIABLE, dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "the newline scan failed");
    let text = String::from_utf8(output.stdout).unwrap();
    let (seconds, lines) = text.trim().split_once(' ').unwrap();
    (seconds.parse().unwrap(), lines.parse().unwrap())
}

/// This process's own peak RSS (VmHWM): a floor under every child's `ru_maxrss`.
fn own_peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|value| {
                    value
                        .trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<f64>()
                        .ok()
                })
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// The ceiling for reading these files: the same mapped bytes, split over the cores, with
/// nothing done but counting newlines (page cache warm, as for every other run here).
fn newline_scan(dir: &Path) -> (f64, u64) {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.to_string_lossy().ends_with("_timing.log"))
        .collect();
    let maps: Vec<memmap2::Mmap> = files
        .iter()
        .map(|path| {
            let file = std::fs::File::open(path).unwrap();
            // SAFETY: the benchmark's own temporary files, which nothing writes while mapped.
            unsafe { memmap2::Mmap::map(&file) }.unwrap()
        })
        .collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started = Instant::now();
    let lines: u64 = std::thread::scope(|scope| {
        let handles: Vec<_> = maps
            .iter()
            .flat_map(|map| {
                let piece = map.len().div_ceil(cores).max(1);
                map.chunks(piece)
            })
            .map(|chunk| scope.spawn(move || memchr::memchr_iter(b'\n', chunk).count() as u64))
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("a scanning thread panicked"))
            .sum()
    });
    (started.elapsed().as_secs_f64(), lines)
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// Compares an anchor's per-operation count/mean/median/sum with our report.
fn agreement(report: &Value, anchor: &Value, components: &[(&str, &str)]) -> (usize, f64) {
    let mut compared = 0;
    let mut worst: f64 = 0.0;
    for &(stem, component) in components {
        let Some(operations) = anchor["operations"][stem].as_object() else {
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

fn summarize(runs: &[Run]) -> (f64, f64, String) {
    let seconds = median(runs.iter().map(|run| run.seconds).collect());
    let rss = median(runs.iter().map(|run| run.max_rss_mib).collect());
    let times: Vec<String> = runs
        .iter()
        .map(|run| format!("{:.3}", run.seconds))
        .collect();
    (seconds, rss, times.join(" "))
}

fn bench_format(label: &str, dir: &Path, rows: u64, legacy: bool, repeats: usize, python: &Path) {
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
    let (our_seconds, our_rss, times) = summarize(&ours);
    println!(
        "analyzer report : median {our_seconds:.3}s  ({} runs: {times})  {:.2} M rows/s  {:.2} GB/s  max RSS {our_rss:.0} MiB",
        ours.len(),
        rows as f64 / our_seconds / 1e6,
        bytes as f64 / our_seconds / 1e9,
    );
    let scans: Vec<(f64, u64)> = (0..repeats).map(|_| newline_scan_in_child(dir)).collect();
    let scan_seconds = median(scans.iter().map(|scan| scan.0).collect());
    println!(
        "newline scan    : median {scan_seconds:.3}s  {:.2} GB/s ({} lines): report reads at {:.0}% of the scan's rate",
        bytes as f64 / scan_seconds / 1e9,
        scans[0].1,
        100.0 * scan_seconds / our_seconds,
    );
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
    let mut peak_rss: Vec<(&str, f64)> = Vec::new();
    for anchor in ANCHORS {
        if !has_module(python, anchor.module) {
            println!(
                "{:<16}: SKIPPED (no {} in {}). Install: python3 -m venv /tmp/pandasvenv && /tmp/pandasvenv/bin/pip install pandas duckdb polars  (or set ANCHOR_VENV)",
                anchor.name,
                anchor.module,
                python.display()
            );
            continue;
        }
        let script = dir.join(anchor.script);
        std::fs::write(&script, anchor.source).unwrap();
        let theirs: Vec<Run> = (0..(repeats / 2).max(1))
            .map(|_| {
                measure(Command::new(python).arg(&script).arg(dir).arg(if legacy {
                    "legacy"
                } else {
                    "ours"
                }))
            })
            .collect();
        let (their_seconds, their_rss, times) = summarize(&theirs);
        peak_rss.push((anchor.name, their_rss));
        let target = anchor
            .targets
            .map(|(ours_format, original)| {
                format!(
                    " (target: >= {}x)",
                    if legacy { original } else { ours_format }
                )
            })
            .unwrap_or_default();
        let parsed: Value =
            serde_json::from_str(theirs[0].stdout.trim()).expect("the anchor's JSON line");
        let (compared, worst) = agreement(&report, &parsed, components);
        println!(
            "{:<16}: median {their_seconds:.3}s  ({} runs: {times})  {:.2} M rows/s  max RSS {their_rss:.0} MiB\n{:<16}  ours is {:.2}x faster{target}; {compared} operations agree (equal counts, worst relative difference of mean/median/sum {worst:.2e}; it read {} rows)",
            anchor.name,
            theirs.len(),
            rows as f64 / their_seconds / 1e6,
            "",
            their_seconds / our_seconds,
            parsed["rows"],
        );
    }
    if !peak_rss.is_empty() {
        let lowest = peak_rss
            .iter()
            .map(|&(_, rss)| rss)
            .fold(f64::INFINITY, f64::min);
        let below = peak_rss.iter().all(|&(_, rss)| our_rss < rss);
        println!(
            "peak RSS        : ours {our_rss:.0} MiB against the anchors' lowest {lowest:.0} MiB ({}; the benchmark's own peak, a floor under each: {:.0} MiB)",
            if below {
                "lower than every anchor"
            } else {
                "NOT lower than every anchor"
            },
            own_peak_rss_mib(),
        );
    }
    let histogram = report["statistics_method"]["operations_histogram"]
        .as_u64()
        .unwrap_or(0);
    println!(
        "statistics      : {histogram} operations over the exact cap use histogram medians, within 1/256"
    );
}

fn main() {
    if let Some(dir) = std::env::var_os(SCAN_DIR_VARIABLE) {
        let (seconds, lines) = newline_scan(Path::new(&dir));
        println!("{seconds} {lines}");
        return;
    }
    // `cargo bench` passes --bench; `cargo test --benches` runs this too: keep that quick.
    if std::env::args().any(|arg| arg == "--test") || std::env::var("BENCH_SMOKE").is_ok() {
        println!("report_vs_anchors: skipped under cargo test (run cargo bench -p analyzer)");
        return;
    }
    let rows = env_number("BENCH_ROWS", 10_050_000);
    let repeats = env_number("BENCH_REPEATS", 5).max(1) as usize;
    let python = anchor_python();
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
    bench_format("our format", &ours_dir, written, false, repeats, &python);
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
        &python,
    );
    println!("\nload average after: {}", load_average());
}
