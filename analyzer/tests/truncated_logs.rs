//! A log cut short while the analyzer reads it (a new run starting in the same directory, in
//! the days before runs were kept): the reader never faults; the report is of what could be
//! read, or an error naming the file.

mod support;

use std::time::Duration;

use analyzer::{Options, analyze_dir};
use support::synthetic::{Spec, write_ours};

#[test]
fn a_log_truncated_while_read_gives_a_clean_result() {
    let dir = tempfile::tempdir().unwrap();
    let rows = write_ours(dir.path(), Spec::for_rows(600_000)).unwrap();
    let log = dir.path().join("ppo_training_timing.log");
    let pristine = dir.path().join("pristine.bak");
    std::fs::copy(&log, &pristine).unwrap();
    let full = std::fs::metadata(&log).unwrap().len();
    let mut cut_while_read = 0;
    for delay_ms in [0, 1, 2, 5, 10, 20, 40, 80, 160] {
        std::fs::copy(&pristine, &log).unwrap();
        let target = log.clone();
        let cutter = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(delay_ms));
            std::fs::OpenOptions::new()
                .write(true)
                .open(&target)
                .unwrap()
                .set_len(full / 3)
                .unwrap();
        });
        let options = Options {
            threads: 2,
            ..Options::default()
        };
        let result = analyze_dir(dir.path(), &options);
        cutter.join().unwrap();
        match result {
            Ok(report) => {
                assert!(report.rows_read <= rows, "{} > {rows}", report.rows_read);
                let file = report.files.iter().find(|file| file.path == log).unwrap();
                if file.rows > 0 && report.rows_read < rows {
                    cut_while_read += 1;
                }
            }
            Err(error) => {
                let message = analyzer::error::Chain(&error).to_string();
                assert!(message.contains(&log.display().to_string()), "{message}");
            }
        }
    }
    // At least one cut landed while the file was being read, not before or after.
    assert!(cut_while_read > 0);
}
