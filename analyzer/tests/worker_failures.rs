//! A worker thread that fails makes the report fail, naming what it was working on: the
//! bytes of the log it was reading, or the operation it was analysing. The failure is
//! injected through a hidden option, so nothing depends on timing.

use analyzer::error::Chain;
use analyzer::options::{INJECTED_PANIC, InjectedPanic};
use analyzer::{Options, analyze_dir};

const HEADER: &str = "timestamp,operation,phase,duration_ms,details\n";

fn options(inject_panic: InjectedPanic) -> Options {
    Options {
        threads: 2,
        inject_panic: Some(inject_panic),
        ..Options::default()
    }
}

#[test]
fn a_failed_reader_names_the_file_and_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    // More than the 4 MiB from which a file is read in one chunk per worker thread.
    let mut log = String::from(HEADER);
    let mut index = 0u64;
    while log.len() < 5 << 20 {
        log.push_str(&format!(
            "2024-01-15T10:30:45.{:06},END_update_policy,training,{}.00,step={index}\n",
            index % 1_000_000,
            10 + index % 7
        ));
        index += 1;
    }
    let path = dir.path().join("ppo_training_timing.log");
    std::fs::write(&path, &log).unwrap();
    // Two threads: the second chunk starts at the first row after the middle of the file.
    let boundary = log.len() / 2 + log[log.len() / 2..].find('\n').unwrap() + 1;
    for (chunk, start, end) in [(0, 0, boundary), (1, boundary, log.len())] {
        let error = analyze_dir(dir.path(), &options(InjectedPanic::ReaderChunk(chunk)))
            .expect_err("a failed reader fails the report");
        assert_eq!(
            Chain(&error).to_string(),
            format!(
                "a reader thread panicked on bytes {start}..{end} of {}: {INJECTED_PANIC}",
                path.display()
            )
        );
    }
    let whole = analyze_dir(
        dir.path(),
        &Options {
            threads: 2,
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(whole.components[0].total_operations, index);
}

fn small_run() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let log = format!(
        "{HEADER}\
        2024-01-15T10:30:45.100000,END_batch_forward,inference,20.00,\n\
        2024-01-15T10:30:45.300000,END_update_policy,training,200.00,\n\
        2024-01-15T10:30:45.400000,END_batch_forward,inference,30.00,\n"
    );
    std::fs::write(dir.path().join("ppo_training_timing.log"), log).unwrap();
    dir
}

#[test]
fn a_failed_statistics_worker_names_the_operation() {
    let dir = small_run();
    let error = analyze_dir(
        dir.path(),
        &options(InjectedPanic::Statistics("update_policy".into())),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "the statistics of ppo_training/update_policy (training) panicked: {INJECTED_PANIC}"
        )
    );
}

#[test]
fn a_failed_trend_worker_names_the_operation() {
    let dir = small_run();
    let error = analyze_dir(
        dir.path(),
        &options(InjectedPanic::Timeline("batch_forward".into())),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "the trend and mode fit of ppo_training/batch_forward (inference) panicked: {INJECTED_PANIC}"
        )
    );
    // Without the injected panic, the same run is analysed.
    let analysis = analyze_dir(dir.path(), &Options::default()).unwrap();
    assert_eq!(analysis.components[0].total_operations, 3);
}
