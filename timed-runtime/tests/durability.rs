//! Nothing recorded is lost: rows reach disk within the flush interval, on panics, at exit,
//! and on an explicit flush; a SIGKILL loses at most the last interval; a failing disk is
//! counted, never fatal; an unwritable directory is an error naming the path.
//!
//! Scenarios that end a process run in a child: this test binary, re-run on its ignored
//! `child` entry point with the scenario in `TIMED_TEST_CHILD`.

mod common;

use common::*;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use timed_runtime::{Config, Error, Mode};

#[timed(phase = "io", component = "durability")]
fn tick(i: u64) -> u64 {
    std::hint::black_box(i)
}

/// The child's flush interval; the SIGKILL test allows this much loss plus scheduling slack.
const KILL_TEST_INTERVAL_MS: u64 = 200;
const SCHEDULING_SLACK_MS: u64 = 300;

fn run_child(scenario: &str, dir: &Path) -> std::process::Child {
    common::child_test_process()
        .env("TIMED_TEST_CHILD", scenario)
        .env("TIMED_TEST_DIR", dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
#[ignore = "entry point of the child processes the other tests start"]
fn child() {
    let scenario = std::env::var("TIMED_TEST_CHILD").unwrap();
    let dir = std::env::var("TIMED_TEST_DIR").unwrap();
    let session = Config::new()
        .mode(Mode::Full)
        .dir(&dir)
        .flush_interval(Duration::from_millis(KILL_TEST_INTERVAL_MS))
        .ignore_env()
        .init()
        .unwrap();
    match scenario.as_str() {
        "exit" => {
            for i in 0..1_000 {
                tick(i);
            }
            // Skips every destructor, the session's included.
            std::mem::forget(session);
            std::process::exit(0);
        }
        "panic_on_thread" => {
            let _ = std::thread::spawn(|| {
                for i in 0..500 {
                    tick(i);
                }
                panic_inside();
            })
            .join();
            // The process then dies without unwinding or exit handlers.
            std::mem::forget(session);
            // SAFETY: `_exit` ends the process at once; it has no preconditions, and nothing of
            // this process is used after it.
            unsafe { libc::_exit(3) };
        }
        "killed" => {
            let start = Instant::now();
            let mut i = 0;
            loop {
                tick(i);
                i += 1;
                if i % 1_000 == 0 {
                    // Report progress so the parent knows what was recorded by when.
                    println!("progress {} {}", start.elapsed().as_millis(), i);
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
        "disk_fills" => {
            // The disk "fills" once the log reaches 200 kB: later writes fail with EFBIG.
            drop(session);
            let limit = libc::rlimit {
                rlim_cur: 200_000,
                rlim_max: libc::RLIM_INFINITY,
            };
            // SAFETY: ignoring SIGXFSZ installs no handler (no code runs on the signal), and
            // `setrlimit` reads a valid, initialised `rlimit` that outlives the call.
            unsafe {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                libc::setrlimit(libc::RLIMIT_FSIZE, &limit);
            }
            let session = Config::new()
                .mode(Mode::Full)
                .dir(&dir)
                .ignore_env()
                .init()
                .unwrap();
            for i in 0..20_000 {
                tick(i);
            }
            let _ = timed_runtime::flush();
            println!("lost {}", session.rows_lost());
            drop(session);
        }
        other => panic!("unknown scenario {other}"),
    }
}

#[timed(phase = "io", component = "durability")]
fn panic_inside() {
    panic!("worker failed");
}

#[test]
fn rows_reach_disk_at_process_exit_without_the_session_dropping() {
    let dir = temp_dir();
    let output = run_child("exit", dir.path()).wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let rows = read_log(&log_path(dir.path(), "durability"));
    assert_eq!(rows.len(), 1_000);
    assert_eq!(
        summary(dir.path(), "durability")["operations"]["tick"]["count"],
        1_000
    );
}

#[test]
fn rows_of_a_panicking_thread_reach_disk() {
    let dir = temp_dir();
    let output = run_child("panic_on_thread", dir.path())
        .wait_with_output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let rows = read_log(&log_path(dir.path(), "durability"));
    assert_eq!(rows.iter().filter(|r| r.operation == "tick").count(), 500);
    let panicked: Vec<_> = rows
        .iter()
        .filter(|r| r.operation == "panic_inside")
        .collect();
    assert_eq!(panicked.len(), 1);
    assert_eq!(panicked[0].status, "panicked");
}

#[test]
fn sigkill_loses_at_most_the_last_flush_interval() {
    use std::io::{BufRead, BufReader};
    let dir = temp_dir();
    let mut child = run_child("killed", dir.path());
    let progress = BufReader::new(child.stdout.take().unwrap());
    let mut reports = Vec::new();
    for line in progress.lines() {
        let line = line.unwrap();
        // libtest prints its own prefix on the first line.
        let Some((_, report)) = line.split_once("progress ") else {
            continue;
        };
        let (ms, calls) = report.split_once(' ').unwrap();
        reports.push((ms.parse::<u64>().unwrap(), calls.parse::<usize>().unwrap()));
        if reports.last().unwrap().0 >= 1_500 {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let (killed_at, _) = *reports.last().unwrap();
    // Calls made more than one interval (plus slack for a loaded machine) before the kill are
    // on disk.
    let durable = reports
        .iter()
        .filter(|(ms, _)| *ms + KILL_TEST_INTERVAL_MS + SCHEDULING_SLACK_MS <= killed_at)
        .map(|(_, calls)| *calls)
        .max()
        .unwrap();
    let text = std::fs::read_to_string(log_path(dir.path(), "durability")).unwrap();
    let complete_rows = text.matches('\n').count() - 1;
    assert!(
        complete_rows >= durable,
        "{complete_rows} rows on disk, {durable} calls made {} ms before the kill",
        KILL_TEST_INTERVAL_MS + SCHEDULING_SLACK_MS
    );
}

#[test]
fn rows_reach_disk_within_the_flush_interval_without_a_flush() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let session = Config::new()
        .mode(Mode::Full)
        .dir(dir.path())
        .flush_interval(Duration::from_millis(50))
        .ignore_env()
        .init()
        .unwrap();
    for i in 0..10 {
        tick(i);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    let log = log_path(dir.path(), "durability");
    while count_rows(&log) < 10 {
        assert!(Instant::now() < deadline, "rows did not reach disk");
        std::thread::sleep(Duration::from_millis(10));
    }
    // An explicit flush writes at once.
    tick(10);
    timed_runtime::flush().unwrap();
    assert_eq!(count_rows(&log), 11);
    drop(session);
}

#[test]
fn an_unwritable_directory_is_an_error_naming_the_path() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let blocker = dir.path().join("not-a-directory");
    std::fs::write(&blocker, "a file where the log directory should be").unwrap();
    let target = blocker.join("logs");
    let error = Config::new().dir(&target).ignore_env().init().unwrap_err();
    assert!(matches!(error, Error::CreateDir { .. }), "{error:?}");
    // What failed and where; the OS's reason is the cause, printed once in the chain.
    assert_eq!(
        error.to_string(),
        format!("cannot create log directory {}", target.display())
    );
    let cause = std::error::Error::source(&error).expect("the OS error as the cause");
    assert_eq!(
        chain(&error),
        format!("cannot create log directory {}: {cause}", target.display())
    );
    assert!(cause.to_string().contains("Not a directory"), "{cause}");
    // The failed init left no session behind.
    let session = Config::new().dir(dir.path()).ignore_env().init().unwrap();
    drop(session);
}

#[test]
fn a_disk_that_fills_up_loses_rows_it_counts_and_never_panics_the_program() {
    let dir = temp_dir();
    let output = run_child("disk_fills", dir.path())
        .wait_with_output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let lost: usize = stdout
        .lines()
        .find_map(|line| line.split_once("lost ").map(|(_, count)| count))
        .expect("the child reports its losses")
        .parse()
        .unwrap();
    let log = log_path(dir.path(), "durability");
    let on_disk = std::fs::read_to_string(&log).unwrap();
    let complete_rows = on_disk.matches('\n').count() - 1;
    assert!(
        lost > 0 && complete_rows > 0,
        "{lost} lost, {complete_rows} written"
    );
    // Every call is either a complete row on disk or counted as lost (a failed write may
    // leave one torn row, which is part of the lost chunk).
    assert_eq!(complete_rows + lost, 20_000);
    assert!(stderr.contains("rows could not be written to"), "{stderr}");
    assert!(stderr.contains(&log.display().to_string()), "{stderr}");
    let summary = summary(dir.path(), "durability");
    assert_eq!(summary["rows_lost"], lost);
    assert!(summary["write_errors"].as_u64().unwrap() > 0);
}

#[cfg(target_os = "linux")]
#[test]
fn a_log_that_cannot_take_its_header_fails_init_with_the_path() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    // Writes to /dev/full fail with ENOSPC, like a full disk.
    std::os::unix::fs::symlink("/dev/full", log_path(dir.path(), "durability")).unwrap();
    // Appending continues the files at the top of the directory (a new run would first move
    // the link away, as an earlier run's log).
    let session = Config::new()
        .mode(Mode::Full)
        .dir(dir.path())
        .append(true)
        .ignore_env()
        .init();
    // The header itself cannot be written: init reports it with the path, and the disk's
    // reason once, as the cause.
    let error = session.unwrap_err();
    let log = log_path(dir.path(), "durability");
    assert_eq!(
        error.to_string(),
        format!("cannot write to {}", log.display())
    );
    let rendered = chain(&error);
    assert!(
        rendered.starts_with(&format!("cannot write to {}: ", log.display())),
        "{rendered}"
    );
    assert_eq!(
        rendered.matches("No space left on device").count(),
        1,
        "{rendered}"
    );
}
