//! Nested calls know their parent, and self time is exact: a parent's duration is its self
//! time plus its direct children's durations, to the nanosecond.

mod common;

use common::*;
use std::collections::HashMap;
use timed_runtime::{Config, Mode};

#[timed(phase = "leaf", component = "nesting")]
fn leaf(n: u64) -> u64 {
    (0..n).map(std::hint::black_box).sum()
}

#[timed(phase = "middle", component = "nesting")]
fn middle(n: u64) -> u64 {
    leaf(n) + leaf(2 * n)
}

#[timed(phase = "root", component = "nesting")]
fn root() -> u64 {
    let mut total = middle(1_000);
    total += leaf(500);
    total + middle(2_000)
}

#[timed(phase = "root", component = "nesting")]
fn countdown(n: u32) -> u32 {
    if n == 0 { 0 } else { 1 + countdown(n - 1) }
}

#[test]
fn parents_and_self_times_are_exact() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let session = Config::new()
        .mode(Mode::Full)
        .dir(dir.path())
        .ignore_env()
        .init()
        .unwrap();
    for _ in 0..50 {
        root();
    }
    assert_eq!(countdown(20), 20);
    session.finish().unwrap();

    let rows = read_log(&log_path(dir.path(), "nesting"));
    assert_eq!(rows.len(), 50 * (1 + 2 * 3 + 1) + 21);
    let by_id: HashMap<u64, &LogRow> = rows.iter().map(|row| (row.call_id, row)).collect();
    assert_eq!(by_id.len(), rows.len(), "call ids are unique");

    let mut children_ns: HashMap<u64, u64> = HashMap::new();
    for row in &rows {
        match row.parent_id {
            Some(parent) => {
                let parent_row = by_id[&parent];
                let expected_parent = match row.operation.as_str() {
                    "leaf" => ["middle", "root"].as_slice(),
                    "middle" => &["root"],
                    "countdown" => &["countdown"],
                    other => panic!("{other} should be a root"),
                };
                assert!(expected_parent.contains(&parent_row.operation.as_str()));
                assert!(parent_row.start_ns <= row.start_ns);
                *children_ns.entry(parent).or_default() += row.duration_ns;
            }
            None => assert!(["root", "countdown"].contains(&row.operation.as_str())),
        }
    }
    for row in &rows {
        let children = children_ns.get(&row.call_id).copied().unwrap_or(0);
        assert_eq!(row.self_ns + children, row.duration_ns, "{row:?}");
    }
    let roots = rows.iter().filter(|row| row.operation == "root").count();
    assert_eq!(roots, 50);
    // Recursion: each level's only child is the next level.
    let deepest = rows
        .iter()
        .filter(|row| row.operation == "countdown")
        .count();
    assert_eq!(deepest, 21);
}

#[test]
fn summary_mode_keeps_exact_self_time_too() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let session = Config::new()
        .mode(Mode::Summary)
        .dir(dir.path())
        .ignore_env()
        .init()
        .unwrap();
    for _ in 0..10 {
        root();
    }
    let root_stats = stats_of("root");
    let middle_stats = stats_of("middle");
    let leaf_stats = stats_of("leaf");
    assert_eq!(
        (root_stats.count, middle_stats.count, leaf_stats.count),
        (10, 20, 50)
    );
    // Leaves have no timed children; the rest of the tree's time is accounted for exactly.
    assert_eq!(leaf_stats.self_time, leaf_stats.total);
    assert_eq!(
        root_stats.total,
        root_stats.self_time
            + middle_stats.total
            + (leaf_stats.total - (middle_stats.total - middle_stats.self_time))
    );
    session.finish().unwrap();
}

#[timed(phase = "root", component = "nesting")]
fn fan_out() -> u64 {
    let parent = timed_runtime::current_call();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..3)
            .map(|i| {
                scope.spawn(move || {
                    let _in_parent = parent.map(timed_runtime::CallContext::enter);
                    leaf(1_000 * (i + 1))
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    })
}

#[test]
fn a_call_context_carries_the_parent_into_other_threads() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let session = Config::new()
        .mode(Mode::Full)
        .dir(dir.path())
        .ignore_env()
        .init()
        .unwrap();
    assert!(timed_runtime::current_call().is_none());
    fan_out();
    session.finish().unwrap();

    let rows = read_log(&log_path(dir.path(), "nesting"));
    let parent = rows.iter().find(|r| r.operation == "fan_out").unwrap();
    let leaves: Vec<_> = rows.iter().filter(|r| r.operation == "leaf").collect();
    assert_eq!(leaves.len(), 3);
    for leaf in &leaves {
        assert_eq!(leaf.parent_id, Some(parent.call_id));
        assert_ne!(leaf.thread, parent.thread);
    }
    // Work done elsewhere runs beside the parent, not inside its thread: its self time keeps it.
    assert_eq!(parent.self_ns, parent.duration_ns);
}
