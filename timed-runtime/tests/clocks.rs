//! Both clocks record the same things: the time-stamp counter (where the machine has a
//! trustworthy one) and `Instant` (`TIMED_CLOCK=instant`, or any other machine), which the guards
//! reach by their slow paths. The clock is chosen once per process, so each runs in a child.

mod common;

use common::*;
use timed_runtime::{Config, Mode};

#[timed(phase = "p", component = "clocks")]
fn inner(x: u64) -> u64 {
    std::hint::black_box(x) * 2
}

#[timed(phase = "p", component = "clocks")]
fn outer() -> u64 {
    (0..3).map(inner).sum()
}

#[test]
#[ignore = "entry point of the child processes the other tests start"]
fn child() {
    let dir = std::env::var("TIMED_TEST_DIR").unwrap();
    let mode = std::env::var("TIMED_TEST_MODE").unwrap().parse().unwrap();
    let session = Config::new().mode(mode).dir(dir).init().unwrap();
    for _ in 0..2 {
        std::hint::black_box(outer());
    }
    println!("clock {}", session.clock().as_str());
    session.finish().unwrap();
}

fn run_child(clock: &str, mode: Mode, dir: &std::path::Path) -> String {
    let output = common::child_test_process()
        .env("TIMED_TEST_DIR", dir)
        .env("TIMED_TEST_MODE", mode.as_str())
        .env("TIMED_CLOCK", clock)
        .env_remove("TIMED_MODE")
        .env_remove("TIMED_DIR")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_instant_clock_records_every_call_with_its_parent_and_exact_self_time() {
    let dir = temp_dir();
    let out = run_child("instant", Mode::Full, dir.path());
    assert!(out.contains("clock instant"), "{out}");
    assert_eq!(summary(dir.path(), "clocks")["clock"], "instant");
    let rows = read_log(&log_path(dir.path(), "clocks"));
    let names: Vec<&str> = rows.iter().map(|row| row.operation.as_str()).collect();
    assert_eq!(
        names,
        [
            "inner", "inner", "inner", "outer", "inner", "inner", "inner", "outer"
        ]
    );
    for row in &rows {
        let children: Vec<&LogRow> = rows
            .iter()
            .filter(|child| child.parent_id == Some(row.call_id))
            .collect();
        let expected = if row.operation == "outer" { 3 } else { 0 };
        assert_eq!(children.len(), expected, "{row:?}");
        let children_ns: u64 = children.iter().map(|child| child.duration_ns).sum();
        assert_eq!(row.self_ns + children_ns, row.duration_ns, "{row:?}");
        assert_eq!(row.status, "ok");
    }
}

#[test]
fn summary_mode_counts_every_call_on_either_clock() {
    for clock in ["instant", "tsc"] {
        let dir = temp_dir();
        let out = run_child(clock, Mode::Summary, dir.path());
        let summary = summary(dir.path(), "clocks");
        // Where the machine has no trustworthy counter, `tsc` falls back to `Instant`.
        assert!(out.contains("clock "), "{out}");
        if clock == "instant" {
            assert_eq!(summary["clock"], "instant");
        }
        assert_eq!(summary["operations"]["inner"]["count"], 6, "{clock}");
        assert_eq!(summary["operations"]["outer"]["count"], 2, "{clock}");
        assert_eq!(count_rows(&log_path(dir.path(), "clocks")), 0);
    }
}
