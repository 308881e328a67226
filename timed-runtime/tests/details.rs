//! Details attached inside a call land in that call's row, quoted per RFC 4180.

mod common;

use common::*;
use timed_runtime::{Config, Mode};

#[timed(phase = "training", component = "details")]
fn update_policy(updates: u32) -> f64 {
    timed_runtime::details!(updates = updates, policy_loss = 0.1234);
    let loss = nested_step();
    timed_runtime::detail("note", String::from("said \"done\""));
    loss
}

#[timed(phase = "training", component = "details")]
fn nested_step() -> f64 {
    timed_runtime::detail("inner", true);
    0.1234
}

#[timed(phase = "training", component = "details")]
fn plain() {}

#[test]
fn details_belong_to_the_call_that_attached_them() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let session = Config::new()
        .mode(Mode::Full)
        .dir(dir.path())
        .ignore_env()
        .init()
        .unwrap();
    update_policy(8);
    plain();
    // Outside any timed call: ignored.
    timed_runtime::detail("orphan", 1);
    session.finish().unwrap();

    let rows = read_log(&log_path(dir.path(), "details"));
    let details: Vec<(&str, &str)> = rows
        .iter()
        .map(|row| (row.operation.as_str(), row.details.as_str()))
        .collect();
    assert_eq!(
        details,
        [
            ("nested_step", "inner=true"),
            (
                "update_policy",
                "updates=8, policy_loss=0.1234, note=said \"done\""
            ),
            ("plain", ""),
        ]
    );
    let raw = std::fs::read_to_string(log_path(dir.path(), "details")).unwrap();
    assert!(raw.contains(",\"updates=8, policy_loss=0.1234, note=said \"\"done\"\"\",details,"));
}
