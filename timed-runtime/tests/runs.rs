//! Every run kept: the manifest (`run.json`) a session writes, and what happens to an earlier
//! run's files when a later one starts in the same directory (moved into `runs/<id>/`, whole,
//! never overwritten), whether it had a manifest, ended, was killed, or came from before
//! manifests existed.
//!
//! The killed run is a child process: this test binary, re-run on its ignored `child` entry
//! point.

mod common;

use common::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use timed_runtime::{Config, Mode, Session};

#[timed(phase = "work", component = "kept")]
fn step(i: u64) -> u64 {
    std::hint::black_box(i)
}

const LOG: &str = "kept_timing.log";
const SUMMARY: &str = "kept_timing_summary.json";

fn config(dir: &Path) -> Config {
    Config::new().mode(Mode::Full).dir(dir).ignore_env()
}

fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Every file under `dir` (recursively), by path relative to it, with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let relative = entry.path().strip_prefix(dir).unwrap();
            let bytes = std::fs::read(entry.path()).unwrap();
            (relative.to_string_lossy().into_owned(), bytes)
        })
        .collect()
}

/// The entries directly in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    found.sort();
    found
}

/// `2026-12-01T20:18:09.123456Z` to `20261201T201809Z`, checking the form on the way.
fn id_of_timestamp(timestamp: &str) -> String {
    let bytes = timestamp.as_bytes();
    assert_eq!(bytes.len(), 27, "{timestamp}");
    for (i, &byte) in bytes.iter().enumerate() {
        let expected_separator = match i {
            4 | 7 => Some(b'-'),
            10 => Some(b'T'),
            13 | 16 => Some(b':'),
            19 => Some(b'.'),
            26 => Some(b'Z'),
            _ => None,
        };
        match expected_separator {
            Some(separator) => assert_eq!(byte, separator, "{timestamp}"),
            None => assert!(byte.is_ascii_digit(), "{timestamp}"),
        }
    }
    let digits: String = timestamp[..19]
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect();
    format!("{digits}Z")
}

#[cfg(target_os = "linux")]
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim_end()
        .to_owned()
}

/// The manifest's text with the fields no test can know in advance replaced by their names,
/// after checking each against what it must be.
fn redacted_manifest(session_id: &str, path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    let started_at = json["started_at"].as_str().unwrap();
    let id_base = id_of_timestamp(started_at);
    assert!(
        session_id == id_base || session_id.starts_with(&format!("{id_base}-")),
        "{session_id} is not the start {started_at}"
    );
    assert_eq!(json["id"], session_id);
    assert_eq!(json["pid"], std::process::id());
    #[cfg(target_os = "linux")]
    assert_eq!(json["host"], host_name());
    let arguments: Vec<String> = std::env::args().collect();
    assert_eq!(json["command_line"], json!(arguments));
    let mut text = text;
    let mut redact = |key: &str, value: &Value| {
        let pretty = serde_json::to_string_pretty(value)
            .unwrap()
            .replace('\n', "\n  ");
        let field = format!("\"{key}\": {pretty}");
        assert!(text.contains(&field), "{field} in {text}");
        text = text.replacen(&field, &format!("\"{key}\": \"<{key}>\""), 1);
    };
    for key in ["id", "started_at", "command_line", "host", "pid"] {
        redact(key, &json[key]);
    }
    if let Some(ended_at) = json["ended_at"].as_str() {
        assert!(ended_at >= started_at, "{ended_at} before {started_at}");
        id_of_timestamp(ended_at);
        let duration = json["duration_s"].as_f64().unwrap();
        assert!(duration >= 0.0, "{duration}");
        assert_eq!(
            (duration * 1e6).round() / 1e6,
            duration,
            "microseconds: {duration}"
        );
        redact("ended_at", &json["ended_at"]);
        redact("duration_s", &json["duration_s"]);
    }
    text
}

#[test]
fn the_manifest_says_which_run_it_is_from_start_to_end() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let session = config(dir.path())
        .program("kept-test", "1.2.3")
        .metadata("settings", json!({"envs": 64, "hidden": [8, 8]}))
        .metadata("label", "baseline")
        .run_file("metrics.jsonl")
        .run_file("visualizations")
        .init()
        .unwrap();
    let manifest = dir.path().join("run.json");
    assert_eq!(session.manifest_path(), Some(manifest.as_path()));
    assert_eq!(session.previous_run(), None);
    let expected_start = r#"{
  "id": "<id>",
  "program": "kept-test",
  "version": "1.2.3",
  "started_at": "<started_at>",
  "ended_at": null,
  "duration_s": null,
  "command_line": "<command_line>",
  "host": "<host>",
  "pid": "<pid>",
  "timing_mode": "full",
  "clock": "CLOCK",
  "metadata": {
    "label": "baseline",
    "settings": {
      "envs": 64,
      "hidden": [
        8,
        8
      ]
    }
  },
  "files": [
    "kept_timing.log",
    "kept_timing_summary.json",
    "metrics.jsonl",
    "visualizations"
  ]
}
"#
    .replace("CLOCK", session.clock().as_str());
    assert_eq!(
        redacted_manifest(session.run_id(), &manifest),
        expected_start
    );

    for i in 0..3 {
        step(i);
    }
    session
        .metadata("results", json!({"env_steps_per_s": 1234.5}))
        .unwrap();
    session.finish().unwrap();
    let expected_end = expected_start
        .replace(
            "\"ended_at\": null,\n  \"duration_s\": null",
            "\"ended_at\": \"<ended_at>\",\n  \"duration_s\": \"<duration_s>\"",
        )
        .replace(
            "  \"metadata\": {\n    \"label\": \"baseline\",\n",
            "  \"metadata\": {\n    \"label\": \"baseline\",\n    \"results\": {\n      \
             \"env_steps_per_s\": 1234.5\n    },\n",
        );
    let id = read_json(&manifest)["id"].as_str().unwrap().to_owned();
    assert_eq!(redacted_manifest(&id, &manifest), expected_end);

    // The summaries carry the run's id and metadata.
    let summary = read_json(&dir.path().join(SUMMARY));
    assert_eq!(summary["run_id"], id.as_str());
    assert_eq!(
        summary["metadata"],
        json!({
            "label": "baseline",
            "results": {"env_steps_per_s": 1234.5},
            "settings": {"envs": 64, "hidden": [8, 8]}
        })
    );
    assert_eq!(summary["operations"]["step"]["count"], 3);
    let text = std::fs::read_to_string(dir.path().join(SUMMARY)).unwrap();
    assert!(
        text.starts_with(&format!(
            "{{\n  \"component\": \"kept\",\n  \"run_id\": \"{id}\",\n"
        )),
        "{text}"
    );
}

#[test]
fn metadata_set_during_the_run_is_written_at_the_next_flush_and_at_the_end() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    // Without a live session it goes nowhere, and only a value that is not JSON is an error.
    timed_runtime::set_metadata("nobody", 1).unwrap();
    let not_json = BTreeMap::from([((1, 2), 3)]);
    assert_eq!(
        timed_runtime::set_metadata("bad", &not_json)
            .unwrap_err()
            .to_string(),
        "metadata \"bad\" cannot be written as JSON: key must be a string"
    );
    let session = config(dir.path())
        .flush_interval(Duration::from_secs(3600))
        .init()
        .unwrap();
    let manifest = dir.path().join("run.json");
    assert_eq!(read_json(&manifest)["metadata"], json!({}));
    session.metadata("phase", "warm-up").unwrap();
    // Code without the handle sets metadata of the same run.
    timed_runtime::set_metadata("epoch", 1).unwrap();
    assert_eq!(read_json(&manifest)["metadata"], json!({}));
    timed_runtime::flush().unwrap();
    assert_eq!(
        read_json(&manifest)["metadata"],
        json!({"epoch": 1, "phase": "warm-up"})
    );
    assert_eq!(
        read_json(&dir.path().join(SUMMARY))["metadata"],
        json!({"epoch": 1, "phase": "warm-up"})
    );
    session.metadata("phase", "done").unwrap();
    assert_eq!(
        session.metadata("bad", &not_json).unwrap_err().to_string(),
        "metadata \"bad\" cannot be written as JSON: key must be a string"
    );
    session.finish().unwrap();
    let ended = read_json(&manifest);
    assert_eq!(ended["metadata"], json!({"epoch": 1, "phase": "done"}));
    assert!(ended["ended_at"].is_string());
    timed_runtime::set_metadata("after", 1).unwrap();
    assert_eq!(read_json(&manifest), ended);
}

#[test]
fn a_run_file_named_like_a_log_is_listed_once() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let session = config(dir.path())
        .run_file(LOG)
        .run_file("report.json")
        .run_file("report.json")
        .init()
        .unwrap();
    drop(session);
    assert_eq!(
        read_json(&dir.path().join("run.json"))["files"],
        json!([LOG, SUMMARY, "report.json"])
    );
}

#[test]
fn a_bad_run_file_or_metadata_value_fails_init_before_anything_is_written() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let logs = dir.path().join("logs");
    let error = config(&logs).run_file("../escape").init().unwrap_err();
    assert_eq!(
        error.to_string(),
        "run file \"../escape\" must be a file or directory name without path separators, \
         other than run.json and runs"
    );
    let error = config(&logs)
        .metadata("bad", BTreeMap::from([((1, 2), 3)]))
        .init()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "metadata \"bad\" cannot be written as JSON: key must be a string"
    );
    assert!(!logs.exists());
}

/// One run into `dir`: `calls` calls, and a `metrics.jsonl` of its own written by "the
/// program". Returns the run's id.
fn one_run(dir: &Path, calls: u64, label: &str) -> String {
    let session: Session = config(dir)
        .run_file("metrics.jsonl")
        .metadata("label", label)
        .init()
        .unwrap();
    for i in 0..calls {
        step(i);
    }
    std::fs::write(
        dir.join("metrics.jsonl"),
        format!("{{\"run\": \"{label}\"}}\n"),
    )
    .unwrap();
    let id = session.run_id().to_owned();
    session.finish().unwrap();
    id
}

#[test]
fn several_runs_into_one_directory_leave_every_one_whole() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    std::fs::write(dir.path().join("notes.txt"), "not a run's file").unwrap();
    let mut runs: Vec<(String, BTreeMap<String, Vec<u8>>)> = Vec::new();
    for (n, label) in ["first", "second", "third", "fourth"]
        .into_iter()
        .enumerate()
    {
        let id = one_run(dir.path(), 5 * (n as u64 + 1), label);
        let mut files = tree(dir.path());
        files.retain(|name, _| !name.starts_with("runs/"));
        assert_eq!(
            files.keys().map(String::as_str).collect::<Vec<_>>(),
            [LOG, SUMMARY, "metrics.jsonl", "notes.txt", "run.json"]
        );
        files.remove("notes.txt");
        runs.push((id, files));
    }
    let ids: Vec<&str> = runs.iter().map(|(id, _)| id.as_str()).collect();
    let mut distinct = ids.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), ids.len(), "{ids:?}");
    // Ids sort as the runs started.
    let mut sorted = ids.clone();
    sorted.sort_by_key(|id| {
        let (base, suffix) = id.split_once('-').unwrap_or((id, "1"));
        (base.to_owned(), suffix.parse::<u32>().unwrap())
    });
    assert_eq!(sorted, ids);

    // The earlier runs, byte for byte as they were at their end, each in runs/<id>/; the
    // latest at the top; the stranger untouched.
    let (latest_id, latest) = runs.last().unwrap();
    let mut expected: BTreeMap<String, Vec<u8>> = latest.clone();
    for (id, files) in &runs[..runs.len() - 1] {
        for (name, bytes) in files {
            expected.insert(format!("runs/{id}/{name}"), bytes.clone());
        }
    }
    expected.insert("notes.txt".into(), b"not a run's file".to_vec());
    assert_eq!(tree(dir.path()), expected);
    assert_eq!(
        read_json(&dir.path().join("run.json"))["id"],
        latest_id.as_str()
    );
    assert_eq!(
        names(&dir.path().join("runs")),
        runs[..3]
            .iter()
            .map(|(id, _)| id.clone())
            .collect::<Vec<_>>()
    );
    // Each kept run is the run it says it is.
    for (n, (id, _)) in runs[..3].iter().enumerate() {
        let kept = dir.path().join("runs").join(id);
        assert_eq!(read_json(&kept.join("run.json"))["id"], id.as_str());
        assert_eq!(read_json(&kept.join(SUMMARY))["run_id"], id.as_str());
        assert_eq!(read_log(&kept.join(LOG)).len(), 5 * (n + 1));
    }
}

#[test]
fn a_reader_of_the_earlier_log_keeps_reading_it_whole() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let first = one_run(dir.path(), 50, "first");
    let before = std::fs::read(dir.path().join(LOG)).unwrap();
    // A reader (the analyzer maps logs into memory) has the log open when the next run starts.
    let mut reader = std::fs::File::open(dir.path().join(LOG)).unwrap();
    let second = config(dir.path()).init().unwrap();
    assert_eq!(
        second.previous_run().map(|kept| kept.id.as_str()),
        Some(first.as_str())
    );
    let mut seen = Vec::new();
    std::io::Read::read_to_end(&mut reader, &mut seen).unwrap();
    assert_eq!(seen, before);
    assert_eq!(
        std::fs::read(dir.path().join("runs").join(&first).join(LOG)).unwrap(),
        before
    );
    drop(second);
}

#[test]
fn the_previous_run_is_told_with_the_files_moved() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let first = one_run(dir.path(), 1, "first");
    let session = config(dir.path()).run_file("metrics.jsonl").init().unwrap();
    let kept = session.previous_run().unwrap();
    assert_eq!(kept.id, first);
    assert_eq!(kept.dir, dir.path().join("runs").join(&first));
    assert_eq!(kept.files, [LOG, SUMMARY, "metrics.jsonl", "run.json"]);
    assert_ne!(session.run_id(), first);
}

/// Sets `path`'s modification time.
fn touch(path: &Path, at: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(at)
        .unwrap();
}

#[test]
fn a_directory_from_before_manifests_is_kept_as_a_run_dated_by_its_oldest_file() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let logs = dir.path();
    let legacy: [(&str, &str, u64); 5] = [
        (
            "ppo_training_timing.log",
            "timestamp,operation\n",
            1_705_314_700,
        ),
        ("ppo_timing_summary.json", "{}", 1_705_314_701),
        ("metrics.jsonl", "{\"iteration\": 1}\n", 1_705_314_645),
        (
            "performance_analysis_report.json",
            "{\"report\": 1}",
            1_705_314_702,
        ),
        (SUMMARY, "{\"old\": true}", 1_705_314_703),
    ];
    for (name, contents, mtime) in legacy {
        let path = logs.join(name);
        std::fs::write(&path, contents).unwrap();
        touch(&path, UNIX_EPOCH + Duration::from_secs(mtime));
    }
    std::fs::create_dir(logs.join("visualizations")).unwrap();
    std::fs::write(logs.join("visualizations/report.html"), "<html>").unwrap();
    std::fs::write(logs.join("notes.txt"), "mine").unwrap();
    std::fs::write(logs.join("timing.log"), "not a component's log").unwrap();
    let session = config(logs).init().unwrap();
    // metrics.jsonl is the oldest: 2024-01-15T10:30:45Z.
    let id = "20240115T103045Z";
    assert_eq!(session.previous_run().unwrap().id, id);
    drop(session);
    let kept = logs.join("runs").join(id);
    let mut expected: Vec<String> = legacy.iter().map(|(name, ..)| name.to_string()).collect();
    expected.push("visualizations".into());
    expected.sort();
    assert_eq!(names(&kept), expected);
    for (name, contents, _) in legacy {
        assert_eq!(std::fs::read_to_string(kept.join(name)).unwrap(), contents);
    }
    assert_eq!(
        std::fs::read_to_string(kept.join("visualizations/report.html")).unwrap(),
        "<html>"
    );
    assert_eq!(
        names(logs),
        [LOG, SUMMARY, "notes.txt", "run.json", "runs", "timing.log"]
    );
}

#[test]
fn a_manifest_that_does_not_read_is_kept_with_the_files_that_look_like_a_run() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    std::fs::write(dir.path().join("run.json"), "{ torn").unwrap();
    std::fs::write(dir.path().join(LOG), "old rows").unwrap();
    let at = UNIX_EPOCH + Duration::from_secs(1_705_314_645);
    touch(&dir.path().join("run.json"), at);
    touch(&dir.path().join(LOG), at + Duration::from_secs(60));
    let session = config(dir.path()).init().unwrap();
    assert_eq!(session.previous_run().unwrap().id, "20240115T103045Z");
    drop(session);
    let kept = dir.path().join("runs/20240115T103045Z");
    assert_eq!(
        std::fs::read_to_string(kept.join("run.json")).unwrap(),
        "{ torn"
    );
    assert_eq!(std::fs::read_to_string(kept.join(LOG)).unwrap(), "old rows");
}

#[test]
fn runs_that_start_in_the_same_second_get_distinct_ids() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    // Whatever second the run starts in, a run with that id is already kept.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for second in now - 2..now + 60 {
        let id = timed_runtime::runs::run_id_at(UNIX_EPOCH + Duration::from_secs(second));
        std::fs::create_dir_all(dir.path().join("runs").join(id)).unwrap();
    }
    let session = config(dir.path()).init().unwrap();
    let started_at = read_json(&dir.path().join("run.json"))["started_at"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        session.run_id(),
        format!("{}-2", id_of_timestamp(&started_at))
    );
    let first = session.run_id().to_owned();
    drop(session);
    // And a run in the same second as the run it moves away.
    let again = config(dir.path()).init().unwrap();
    assert_ne!(again.run_id(), first);
    assert!(
        dir.path()
            .join("runs")
            .join(&first)
            .join("run.json")
            .is_file()
    );
    drop(again);
}

#[test]
fn off_mode_with_run_files_keeps_runs_and_writes_only_the_manifest() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let first = one_run(dir.path(), 2, "timed");
    let session = config(dir.path())
        .mode(Mode::Off)
        .run_file("metrics.jsonl")
        .init()
        .unwrap();
    step(1);
    assert_eq!(session.previous_run().unwrap().id, first);
    std::fs::write(dir.path().join("metrics.jsonl"), "{}\n").unwrap();
    session.metadata("label", "untimed").unwrap();
    let id = session.run_id().to_owned();
    session.finish().unwrap();
    assert_eq!(names(dir.path()), ["metrics.jsonl", "run.json", "runs"]);
    let manifest = read_json(&dir.path().join("run.json"));
    assert_eq!(manifest["id"], id.as_str());
    assert_eq!(manifest["timing_mode"], "off");
    assert_eq!(manifest["files"], json!(["metrics.jsonl"]));
    assert_eq!(manifest["metadata"], json!({"label": "untimed"}));
    assert!(manifest["ended_at"].is_string());
    assert_eq!(
        names(&dir.path().join("runs").join(&first)),
        [LOG, SUMMARY, "metrics.jsonl", "run.json"]
    );
}

#[test]
fn appending_continues_the_run_at_the_top() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let first = one_run(dir.path(), 3, "first");
    let manifest = read_json(&dir.path().join("run.json"));
    let session = config(dir.path())
        .append(true)
        .metadata("part", 2)
        .init()
        .unwrap();
    assert_eq!(session.run_id(), first);
    assert_eq!(session.previous_run(), None);
    step(9);
    session.finish().unwrap();
    assert!(!dir.path().join("runs").exists());
    assert_eq!(read_log(&dir.path().join(LOG)).len(), 4);
    let continued = read_json(&dir.path().join("run.json"));
    assert_eq!(continued["id"], first.as_str());
    assert_eq!(continued["started_at"], manifest["started_at"]);
    assert_eq!(continued["metadata"], json!({"label": "first", "part": 2}));
    assert_eq!(continued["files"], json!([LOG, SUMMARY, "metrics.jsonl"]));
    assert!(continued["duration_s"].as_f64().unwrap() >= manifest["duration_s"].as_f64().unwrap());
}

#[test]
#[ignore = "entry point of the child processes the other tests start"]
fn child() {
    let dir = PathBuf::from(std::env::var("TIMED_TEST_DIR").unwrap());
    let session = config(&dir).run_file("metrics.jsonl").init().unwrap();
    for i in 0..10 {
        step(i);
    }
    std::fs::write(dir.join("metrics.jsonl"), "{\"iteration\": 1}\n").unwrap();
    session.metadata("label", "killed").unwrap();
    session.flush().unwrap();
    println!("run id: {}", session.run_id());
    // SAFETY: kill(2) with this process's own pid touches no memory; SIGKILL ends the process
    // at once, as an out-of-memory killer or `kill -9` would, without exit handlers.
    unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
    unreachable!("SIGKILL ends the process");
}

#[cfg(unix)]
#[test]
fn a_killed_run_is_kept_as_it_was_left() {
    let dir = temp_dir();
    let output = common::child_test_process()
        .env("TIMED_TEST_DIR", dir.path())
        .output()
        .unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&output.status),
        Some(libc::SIGKILL),
        "{output:?}"
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let id = stdout
        .lines()
        .find_map(|line| line.split_once("run id: ").map(|(_, id)| id))
        .expect("the child says its run id")
        .to_owned();
    let manifest = read_json(&dir.path().join("run.json"));
    assert_eq!(manifest["id"], id.as_str());
    assert_eq!(manifest["ended_at"], Value::Null);
    assert_eq!(manifest["duration_s"], Value::Null);
    assert_eq!(manifest["metadata"], json!({"label": "killed"}));
    let left = tree(dir.path());

    let _turn = one_at_a_time();
    let session = config(dir.path()).init().unwrap();
    assert_eq!(session.previous_run().unwrap().id, id);
    drop(session);
    let kept: BTreeMap<String, Vec<u8>> = tree(dir.path())
        .into_iter()
        .filter_map(|(name, bytes)| {
            let name = name.strip_prefix(&format!("runs/{id}/"))?.to_owned();
            Some((name, bytes))
        })
        .collect();
    assert_eq!(kept, left);
    assert_eq!(
        kept.keys().map(String::as_str).collect::<Vec<_>>(),
        [LOG, SUMMARY, "metrics.jsonl", "run.json"]
    );
    assert_eq!(
        read_log(&dir.path().join("runs").join(&id).join(LOG)).len(),
        10
    );
}
