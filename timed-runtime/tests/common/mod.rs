//! Shared by the runtime's integration tests: sessions are process-global, so tests in one
//! binary take turns; logs are read back with an independent RFC 4180 reader.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// The attribute that records, also in a build with the runtime's `compile-off` feature (which
/// `--all-features` turns on, and under which `timed_runtime::timed` records nothing): these
/// tests are about what is recorded. It is the attribute `timed_runtime::timed` is otherwise.
#[allow(unused_imports)]
pub use timed_macros::timed;

static TURN: Mutex<()> = Mutex::new(());

/// Holds the process's one session slot for the duration of a test.
pub fn one_at_a_time() -> MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogRow {
    pub timestamp: String,
    pub operation: String,
    pub phase: String,
    pub duration_ns: u64,
    pub details: String,
    pub component: String,
    pub thread: u32,
    pub call_id: u64,
    pub parent_id: Option<u64>,
    pub self_ns: u64,
    pub start_ns: u64,
    pub status: String,
}

pub const HEADER: &str = "timestamp,operation,phase,duration_ms,details,component,thread,call_id,parent_id,self_ms,start_ns,status";

/// Splits CSV text into records of fields (quoted fields may hold commas, quotes, newlines).
pub fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && record.is_empty(),
        "the log ends in a torn row"
    );
    records
}

/// "245.670001" -> 245_670_001 ns, insisting on exactly six decimals.
pub fn ms_to_ns(text: &str) -> u64 {
    let (whole, fraction) = text.split_once('.').expect("a decimal point");
    assert_eq!(fraction.len(), 6, "six decimals in {text:?}");
    whole.parse::<u64>().unwrap() * 1_000_000 + fraction.parse::<u64>().unwrap()
}

pub fn read_log(path: &Path) -> Vec<LogRow> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut records = csv_records(&text).into_iter();
    assert_eq!(
        records.next().map(|header| header.join(",")).as_deref(),
        Some(HEADER)
    );
    records
        .map(|fields| {
            assert_eq!(fields.len(), 12, "row {fields:?}");
            LogRow {
                timestamp: fields[0].clone(),
                operation: fields[1].clone(),
                phase: fields[2].clone(),
                duration_ns: ms_to_ns(&fields[3]),
                details: fields[4].clone(),
                component: fields[5].clone(),
                thread: fields[6].parse().unwrap(),
                call_id: fields[7].parse().unwrap(),
                parent_id: (!fields[8].is_empty()).then(|| fields[8].parse().unwrap()),
                self_ns: ms_to_ns(&fields[9]),
                start_ns: fields[10].parse().unwrap(),
                status: fields[11].clone(),
            }
        })
        .collect()
}

/// Counts rows without holding them: for the multi-million-row tests.
pub fn count_rows(path: &Path) -> usize {
    use std::io::{BufRead, BufReader};
    let file = std::fs::File::open(path).unwrap();
    BufReader::with_capacity(1 << 20, file).split(b'\n').count() - 1
}

pub fn log_path(dir: &Path, stem: &str) -> PathBuf {
    dir.join(format!("{stem}_timing.log"))
}

pub fn summary(dir: &Path, stem: &str) -> serde_json::Value {
    let path = dir.join(format!("{stem}_timing_summary.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// An error and its causes joined by ": ", as `anyhow` prints `{:#}`.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        text.push_str(": ");
        text.push_str(&next.to_string());
        cause = next.source();
    }
    text
}

pub fn stats_of(name: &str) -> timed_runtime::OperationStats {
    timed_runtime::snapshot()
        .into_iter()
        .find(|stats| stats.site.name() == name)
        .unwrap_or_else(|| panic!("no site named {name}"))
}

/// This test binary run again as a child process that runs only the ignored test `child`
/// (which reads its scenario from the environment the caller adds): for what must happen in a
/// fresh process (a session per process, a process killed mid-run, settings read at start).
pub fn child_test_process() -> std::process::Command {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command.args([
        "--ignored",
        "--exact",
        "child",
        "--nocapture",
        "--test-threads=1",
    ]);
    command
}
