//! The summary's statistics against exact ones computed from the same calls' rows.

mod common;

use common::*;
use timed_runtime::{Config, Mode, histogram_relative_error};

#[timed(phase = "spin", component = "percentiles")]
fn spin(iterations: u64) -> u64 {
    (0..iterations).fold(0u64, |acc, i| acc.wrapping_add(std::hint::black_box(i)))
}

#[expect(dead_code, reason = "its site must be listed with no calls")]
#[timed(phase = "never", component = "percentiles")]
fn never_called() {}

fn nearest_rank(sorted: &[u64], q: f64) -> u64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[test]
fn summary_percentiles_are_within_the_stated_error_of_exact_ones() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let session = Config::new()
        .mode(Mode::Full)
        .dir(dir.path())
        .ignore_env()
        .init()
        .unwrap();
    // A wide spread of durations: from nanoseconds to about a millisecond.
    for i in 0..20_000u64 {
        spin((i * 7919) % 20_000);
    }
    session.finish().unwrap();

    let mut durations: Vec<u64> = read_log(&log_path(dir.path(), "percentiles"))
        .iter()
        .map(|row| row.duration_ns)
        .collect();
    durations.sort_unstable();
    assert_eq!(durations.len(), 20_000);
    let summary = summary(dir.path(), "percentiles");
    let op = &summary["operations"]["spin"];
    assert_eq!(op["count"], 20_000);
    let ms = |ns: u64| ns as f64 / 1e6;
    let close = |reported: &serde_json::Value, exact_ns: u64, bound: f64| {
        let reported = reported.as_f64().unwrap();
        let exact = ms(exact_ns);
        assert!(
            (reported - exact).abs() <= exact * bound + 1e-9,
            "reported {reported} ms vs exact {exact} ms"
        );
    };
    let total: u64 = durations.iter().sum();
    close(&op["total_ms"], total, 1e-12);
    close(&op["min_ms"], durations[0], 1e-12);
    close(&op["max_ms"], *durations.last().unwrap(), 1e-12);
    let avg_ms = op["avg_ms"].as_f64().unwrap();
    assert!((avg_ms - ms(total) / 20_000.0).abs() < 1e-12, "{avg_ms}");
    let bound = histogram_relative_error();
    assert_eq!(summary["histogram_relative_error"], bound);
    close(&op["median_ms"], nearest_rank(&durations, 0.5), bound);
    close(&op["p95_ms"], nearest_rank(&durations, 0.95), bound);
    close(&op["p99_ms"], nearest_rank(&durations, 0.99), bound);

    let never = &summary["operations"]["never_called"];
    assert_eq!(never["count"], 0);
    assert_eq!(never["phase"], "never");
    assert!(never["median_ms"].is_null());
    assert_eq!(
        never["sites"][0]["file"],
        "timed-runtime/tests/percentiles.rs"
    );
}
