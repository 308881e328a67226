//! The `compile-off` feature: `#[timed]` leaves every function as written and nothing is
//! recorded, even by a full session.
//!
//! The program using it (`tests/compile_off/`) is built here by Cargo, as a workspace of its own
//! in a target directory of its own, the way trybuild builds its cases: were it a member of this
//! workspace, turning the feature on for it would turn it on for every member of the build
//! (features are unified), and `#[timed]` would record nothing in the other tests either. That
//! the attribute expands to the function's own tokens is checked in `timed-macros`
//! (`switched_off_the_function_is_left_token_for_token_as_written`).

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

/// Runs the program built with the feature (building it first), with `args`; its stdout.
fn run_compile_off(args: &[&str]) -> String {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compile_off/Cargo.toml");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("compile-off");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["run", "--release", "--quiet", "--locked", "--offline"])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target)
        .arg("--")
        .args(args)
        .env_remove("TIMED_MODE")
        .env_remove("TIMED_DIR")
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

#[test]
fn switched_off_at_compile_time_the_functions_run_as_written_and_nothing_is_recorded() {
    let dir = temp_dir();
    let out = run_compile_off(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(
        out,
        "sites 0\n\
         add 5\n\
         counter 3\n\
         later 42\n\
         timed_call 2654435641\n\
         current_call None\n\
         snapshot 0\n"
    );
    // A full session with no site writes no log and no summary: only the run's manifest.
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["run.json"]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("run.json")).unwrap()).unwrap();
    assert_eq!(manifest["timing_mode"], "full");
    assert_eq!(manifest["files"], serde_json::json!([]));
}
