//! Modes chosen by the builder and overridden by the environment.

mod common;

use common::*;
use timed_runtime::{Config, Error, Mode};

#[timed(phase = "p", component = "modes")]
fn work() -> u32 {
    42
}

#[test]
#[ignore = "entry point of the child processes the other tests start"]
fn child() {
    let dir = std::env::var("TIMED_TEST_DIR").unwrap();
    match Config::new().mode(Mode::Full).dir(dir).init() {
        Ok(session) => {
            work();
            println!("mode {}", session.mode());
        }
        Err(error) => println!("error {error}"),
    }
}

fn child_with_env(vars: &[(&str, &str)], dir: &std::path::Path) -> String {
    let output = common::child_test_process()
        .env("TIMED_TEST_DIR", dir)
        .envs(vars.iter().copied())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn environment_variables_override_the_builder() {
    let dir = temp_dir();
    let out = child_with_env(&[("TIMED_MODE", "summary")], dir.path());
    assert!(out.contains("mode summary"), "{out}");
    assert_eq!(count_rows(&log_path(dir.path(), "modes")), 0);
    assert_eq!(
        summary(dir.path(), "modes")["operations"]["work"]["count"],
        1
    );

    let elsewhere = dir.path().join("elsewhere");
    let out = child_with_env(&[("TIMED_DIR", elsewhere.to_str().unwrap())], dir.path());
    assert!(out.contains("mode full"), "{out}");
    assert_eq!(read_log(&log_path(&elsewhere, "modes")).len(), 1);

    let out = child_with_env(&[("TIMED_MODE", "loud")], dir.path());
    assert!(
        out.contains("error TIMED_MODE=\"loud\" is not valid: expected off, summary or full"),
        "{out}"
    );
}

#[test]
fn off_mode_records_nothing_and_writes_nothing() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let logs = dir.path().join("logs");
    let session = Config::new()
        .mode(Mode::Off)
        .dir(&logs)
        .ignore_env()
        .init()
        .unwrap();
    assert_eq!(work(), 42);
    assert_eq!(timed_runtime::mode(), Mode::Off);
    assert_eq!(stats_of("work").count, 0);
    session.finish().unwrap();
    assert!(!logs.exists());
}

#[test]
fn a_second_init_while_a_session_lives_is_refused() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let first = Config::new().dir(dir.path()).ignore_env().init().unwrap();
    let second = Config::new().dir(dir.path()).ignore_env().init();
    assert!(matches!(second, Err(Error::AlreadyInitialized)));
    drop(first);
    // Sessions can follow one another; calls made between them are not recorded.
    work();
    let again = Config::new().dir(dir.path()).ignore_env().init().unwrap();
    work();
    again.finish().unwrap();
    assert_eq!(read_log(&log_path(dir.path(), "modes")).len(), 1);
}

#[test]
fn every_registered_site_is_listed_called_or_not() {
    let names: Vec<&str> = timed_runtime::sites()
        .iter()
        .map(|site| site.name())
        .collect();
    assert_eq!(names, ["work"]);
    let site = timed_runtime::sites()[0];
    assert_eq!((site.phase(), site.component()), ("p", "modes"));
    assert_eq!(site.module_path(), "modes");
    assert_eq!(site.file(), "timed-runtime/tests/modes.rs");
}
