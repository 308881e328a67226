//! Every call on every thread is recorded exactly once, including calls of threads that ended
//! long before the flush.

mod common;

use common::*;
use timed_runtime::{Config, Mode};

const THREADS: usize = 8;
const CALLS: u64 = 1_000_000;

#[timed(phase = "work", component = "threads")]
fn unit_of_work(x: u64) -> u64 {
    std::hint::black_box(x).wrapping_mul(3)
}

fn hammer() {
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                let mut acc = 0u64;
                for i in 0..CALLS {
                    acc = acc.wrapping_add(unit_of_work(i));
                }
                std::hint::black_box(acc);
            });
        }
    });
}

#[test]
fn full_mode_writes_one_row_per_call_from_eight_threads() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let session = Config::new()
        .mode(Mode::Full)
        .dir(dir.path())
        .ignore_env()
        .init()
        .unwrap();
    hammer();
    session.finish().unwrap();

    let log = log_path(dir.path(), "threads");
    assert_eq!(count_rows(&log), THREADS * CALLS as usize);
    let summary = summary(dir.path(), "threads");
    assert_eq!(
        summary["operations"]["unit_of_work"]["count"],
        THREADS as u64 * CALLS
    );
    assert_eq!(summary["rows_written"], THREADS as u64 * CALLS);
    assert_eq!(summary["rows_lost"], 0);
    assert_eq!(summary["threads"].as_object().unwrap().len(), THREADS);
}

#[test]
fn summary_mode_counts_every_call_and_writes_no_rows() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let session = Config::new()
        .mode(Mode::Summary)
        .dir(dir.path())
        .ignore_env()
        .init()
        .unwrap();
    hammer();
    // The threads have exited: their statistics must have been kept.
    let stats = stats_of("unit_of_work");
    assert_eq!(stats.count, THREADS as u64 * CALLS);
    assert!(stats.min <= stats.median && stats.median <= stats.max);
    session.finish().unwrap();

    assert_eq!(count_rows(&log_path(dir.path(), "threads")), 0);
    let summary = summary(dir.path(), "threads");
    assert_eq!(summary["mode"], "summary");
    assert_eq!(summary["rows_written"], 0);
    assert_eq!(summary["rows_lost"], 0);
    assert_eq!(
        summary["operations"]["unit_of_work"]["count"],
        THREADS as u64 * CALLS
    );
}
