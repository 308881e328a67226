//! However a call ends, it is recorded once, with how it ended.

mod common;

use common::*;
use timed_runtime::{Config, Mode, Status};

#[timed(phase = "checks", component = "outcomes")]
fn parse_positive(text: &str) -> Result<u32, String> {
    let value: u32 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    if value == 0 {
        return Err("zero".into());
    }
    Ok(value)
}

#[timed(phase = "checks", component = "outcomes")]
fn explode(really: bool) -> u8 {
    if really {
        panic!("asked to explode");
    }
    7
}

fn statuses(rows: &[LogRow], operation: &str) -> Vec<String> {
    rows.iter()
        .filter(|row| row.operation == operation)
        .map(|row| row.status.clone())
        .collect()
}

#[test]
fn early_returns_question_marks_and_panics_are_all_recorded() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let session = Config::new()
        .mode(Mode::Full)
        .dir(dir.path())
        .ignore_env()
        .init()
        .unwrap();

    assert_eq!(parse_positive("12"), Ok(12));
    assert_eq!(parse_positive("x"), Err("\"x\" is not a number".into()));
    assert_eq!(parse_positive("0"), Err("zero".into()));
    assert_eq!(explode(false), 7);
    let silence = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let caught = std::panic::catch_unwind(|| explode(true));
    std::panic::set_hook(silence);
    assert!(caught.is_err());

    let parse = stats_of("parse_positive");
    assert_eq!((parse.count, parse.panicked), (3, 0));
    let exploded = stats_of("explode");
    assert_eq!((exploded.count, exploded.panicked), (2, 1));
    session.finish().unwrap();

    let rows = read_log(&log_path(dir.path(), "outcomes"));
    assert_eq!(statuses(&rows, "parse_positive"), ["ok", "ok", "ok"]);
    assert_eq!(statuses(&rows, "explode"), ["ok", "panicked"]);
    assert_eq!(Status::Panicked.as_str(), "panicked");
}
