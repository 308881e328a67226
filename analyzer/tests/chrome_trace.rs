//! `analyzer export --format chrome`, event by event on the fixed logs: metadata, one complete
//! event per call with its exact times, children inside their parents on each thread, a flow
//! for each child on another thread, windows by time and by count, the original's format,
//! and memory that does not grow with the log.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn analyzer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_analyzer"))
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Copies a fixture into a fresh directory (the trace is written beside the logs).
fn fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(Path::new("tests/fixtures").join(name)).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    dir
}

/// Runs the export, checks its exit, and returns the trace and the line on stderr.
fn export(dir: &Path, extra: &[&str]) -> (Value, String, String) {
    let mut args = vec![
        "export",
        "--format",
        "chrome",
        "--logs",
        dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let output = analyzer(&args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let raw = std::fs::read_to_string(dir.join("trace.json")).unwrap();
    (
        serde_json::from_str(&raw).unwrap(),
        raw,
        text(&output.stderr),
    )
}

fn events<'a>(trace: &'a Value, phase: &str) -> Vec<&'a Value> {
    trace["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["ph"] == phase)
        .collect()
}

/// Microseconds with three decimals as nanoseconds.
fn ns(value: &Value) -> i64 {
    (value.as_f64().unwrap() * 1000.0).round() as i64
}

#[test]
fn every_call_is_a_span_nested_on_its_thread_with_flows_to_other_threads() {
    let dir = fixture("ours");
    let (trace, raw, stderr) = export(dir.path(), &[]);
    assert_eq!(trace["displayTimeUnit"], "ns");
    // Metadata: the process, and each thread named from the summary.
    let process = events(&trace, "M")
        .into_iter()
        .filter(|event| event["name"] == "process_name")
        .collect::<Vec<_>>();
    assert_eq!(process.len(), 1);
    let threads: BTreeMap<u64, String> = events(&trace, "M")
        .into_iter()
        .filter(|event| event["name"] == "thread_name")
        .map(|event| {
            (
                event["tid"].as_u64().unwrap(),
                event["args"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        threads,
        BTreeMap::from([
            (1, "main".to_string()),
            (2, "rollout-0".to_string()),
            (3, "rollout-1".to_string())
        ])
    );
    // One complete event per good row (88; the bad row is not a call), per operation as the
    // report counts them.
    let spans = events(&trace, "X");
    assert_eq!(spans.len(), 88);
    let mut per_name: BTreeMap<&str, usize> = BTreeMap::new();
    for span in &spans {
        *per_name.entry(span["name"].as_str().unwrap()).or_default() += 1;
        assert_eq!(span["pid"], 1);
        assert!(span["args"]["call_id"].is_u64());
        assert!(["ok", "panicked"].contains(&span["args"]["status"].as_str().unwrap()));
    }
    assert_eq!(
        per_name,
        BTreeMap::from([
            ("broadcast_metrics", 4),
            ("buffer_add", 40),
            ("collect_rollout", 8),
            ("env_step", 24),
            ("parallel_training", 4),
            ("training_iteration", 4),
            ("update_policy", 4),
        ])
    );
    // A row as logged: start_ns 313500000, 0.05 ms, a quoted two-line details field.
    let broadcast = spans
        .iter()
        .find(|span| span["args"]["call_id"] == 4_294_967_338u64)
        .unwrap();
    assert_eq!(broadcast["cat"], "ui");
    assert_eq!(
        (ns(&broadcast["ts"]), ns(&broadcast["dur"])),
        (313_500_000, 50_000)
    );
    assert_eq!(broadcast["args"]["details"], "clients=1\nbytes=512");
    assert_eq!(broadcast["args"]["parent_id"], 4_294_967_325u64);
    assert_eq!(broadcast["args"]["component"], "training_manager");
    assert!(raw.contains("\"ts\":313500.000,\"dur\":50.000"));
    let root = spans
        .iter()
        .find(|span| span["args"]["call_id"] == 4_294_967_297u64)
        .unwrap();
    assert!(root["args"]["parent_id"].is_null());
    let panicked = spans
        .iter()
        .filter(|span| span["args"]["status"] == "panicked")
        .count();
    assert_eq!(panicked, 1);

    // Children lie inside their parents on the same thread: on each thread, spans sorted by
    // start (longest first) form a proper tree, and a child's enclosing span there is its
    // parent whenever the parent ran on that thread.
    let by_id: HashMap<u64, &Value> = spans
        .iter()
        .map(|span| (span["args"]["call_id"].as_u64().unwrap(), *span))
        .collect();
    let tid = |span: &Value| span["tid"].as_u64().unwrap();
    for thread in threads.keys() {
        let mut on_thread: Vec<&Value> = spans
            .iter()
            .copied()
            .filter(|s| tid(s) == *thread)
            .collect();
        on_thread.sort_by_key(|span| (ns(&span["ts"]), -ns(&span["dur"])));
        let mut open: Vec<&Value> = Vec::new();
        for span in on_thread {
            let (start, end) = (ns(&span["ts"]), ns(&span["ts"]) + ns(&span["dur"]));
            while open
                .last()
                .is_some_and(|top| ns(&top["ts"]) + ns(&top["dur"]) <= start && ns(&top["dur"]) > 0)
            {
                open.pop();
            }
            if let Some(top) = open.last() {
                assert!(
                    end <= ns(&top["ts"]) + ns(&top["dur"]),
                    "{span} overlaps {top}"
                );
            }
            let parent = span["args"]["parent_id"]
                .as_u64()
                .and_then(|id| by_id.get(&id));
            if let Some(parent) = parent.filter(|parent| tid(parent) == *thread) {
                assert_eq!(
                    open.last().map(|top| &top["args"]["call_id"]),
                    Some(&parent["args"]["call_id"]),
                    "{span}"
                );
            }
            open.push(span);
        }
    }

    // A flow from each parent to its first child on each other thread, and nothing else.
    let mut expected: BTreeSet<(u64, u64)> = BTreeSet::new();
    for span in &spans {
        let Some(parent) = span["args"]["parent_id"]
            .as_u64()
            .and_then(|id| by_id.get(&id))
        else {
            continue;
        };
        if tid(parent) != tid(span) {
            expected.insert((parent["args"]["call_id"].as_u64().unwrap(), tid(span)));
        }
    }
    let starts = events(&trace, "s");
    let finishes = events(&trace, "f");
    assert_eq!((starts.len(), finishes.len()), (8, 8));
    let mut linked: BTreeSet<(u64, u64)> = BTreeSet::new();
    for (start, finish) in starts.iter().zip(&finishes) {
        assert_eq!(start["id"], finish["id"]);
        assert_eq!(
            (&start["cat"], &finish["cat"]),
            (&start["cat"], &start["cat"])
        );
        assert_eq!(finish["bp"], "e");
        let child = by_id[&finish["id"].as_u64().unwrap()];
        let parent = by_id[&child["args"]["parent_id"].as_u64().unwrap()];
        // Leaves the parent where it starts, on its thread; arrives where the child starts.
        assert_eq!(
            (tid(start), ns(&start["ts"])),
            (tid(parent), ns(&parent["ts"]))
        );
        assert_eq!(
            (tid(finish), ns(&finish["ts"])),
            (tid(child), ns(&child["ts"]))
        );
        let first_on_thread = spans
            .iter()
            .filter(|span| {
                span["args"]["parent_id"] == parent["args"]["call_id"] && tid(span) == tid(child)
            })
            .map(|span| ns(&span["ts"]))
            .min()
            .unwrap();
        assert_eq!(ns(&child["ts"]), first_on_thread);
        linked.insert((parent["args"]["call_id"].as_u64().unwrap(), tid(child)));
    }
    assert_eq!(linked, expected);

    let other = &trace["otherData"];
    assert_eq!(other["calls"], 88);
    assert_eq!(other["flows"], 8);
    assert_eq!(other["threads"], 3);
    assert_eq!(other["rows_read"], 88);
    assert_eq!(other["problems"], 1);
    assert_eq!(other["outside_window"], 0);
    assert_eq!(other["stopped_at_max_events"], false);
    assert_eq!(other["unlinked_children"], 0);
    assert_eq!(other["clock"], "since the session started");
    assert!(other["window"]["from_s"].is_null() && other["window"]["max_events"].is_null());
    assert_eq!(
        stderr,
        format!(
            "trace: {} (88 calls, 0 instants on 3 threads, 8 links to other threads)\n",
            dir.path().join("trace.json").display()
        )
    );
}

#[test]
fn windows_cut_by_time_and_by_count_and_say_so() {
    let dir = fixture("ours");
    let (whole, _, _) = export(dir.path(), &[]);
    let overlapping = |from: i64, to: i64| {
        events(&whole, "X")
            .into_iter()
            .filter(|span| {
                let start = ns(&span["ts"]);
                start < to && start + ns(&span["dur"]) > from
            })
            .count()
    };
    let (trace, _, stderr) = export(dir.path(), &["--from", "0.1", "--to", "0.2"]);
    let spans = events(&trace, "X");
    let expected = overlapping(100_000_000, 200_000_000);
    assert!(expected > 0 && expected < 88);
    assert_eq!(spans.len(), expected);
    for span in &spans {
        let start = ns(&span["ts"]);
        assert!(
            start < 200_000_000 && start + ns(&span["dur"]) > 100_000_000,
            "{span}"
        );
    }
    let other = &trace["otherData"];
    assert_eq!(other["window"]["from_s"], 0.1);
    assert_eq!(other["window"]["to_s"], 0.2);
    assert_eq!(other["outside_window"], 88 - expected as u64);
    assert!(
        stderr.contains(&format!(
            "; window 0.1s to 0.2s ({} left out)",
            88 - expected
        )),
        "{stderr}"
    );

    let (trace, _, stderr) = export(dir.path(), &["--max-events", "10"]);
    assert_eq!(events(&trace, "X").len(), 10);
    assert_eq!(trace["otherData"]["stopped_at_max_events"], true);
    assert_eq!(trace["otherData"]["window"]["max_events"], 10);
    assert!(
        stderr.contains("; stopped at --max-events 10 (at "),
        "{stderr}"
    );
    // The first ten calls to end, whichever log they are in.
    let mut ends: Vec<i64> = events(&whole, "X")
        .iter()
        .map(|span| ns(&span["ts"]) + ns(&span["dur"]))
        .collect();
    ends.sort_unstable();
    let written_last = events(&trace, "X")
        .iter()
        .map(|span| ns(&span["ts"]) + ns(&span["dur"]))
        .max()
        .unwrap();
    assert_eq!(written_last, ends[9]);
}

#[test]
fn the_originals_format_gives_a_lane_per_log_and_instants() {
    let dir = fixture("original");
    let (trace, _, _) = export(dir.path(), &[]);
    let spans = events(&trace, "X");
    let names: Vec<(&str, i64, i64)> = spans
        .iter()
        .map(|span| {
            (
                span["name"].as_str().unwrap(),
                ns(&span["ts"]),
                ns(&span["dur"]),
            )
        })
        .collect();
    // Seconds since the banner's 10:30:00; each END row's time minus its duration.
    assert_eq!(
        names,
        [
            ("batch_forward", 45_010_000_000, 20_000_000),
            ("batch_forward", 45_040_000_000, 30_000_000),
            ("update_policy", 45_000_000_000, 100_000_000),
            ("update_policy", 47_000_000_000, 200_000_000),
        ]
    );
    assert!(
        spans
            .iter()
            .all(|span| span["tid"] == 1000 && span["args"]["call_id"].is_null())
    );
    let instants = events(&trace, "i");
    assert_eq!(instants.len(), 1);
    assert_eq!(instants[0]["name"], "checkpoint_saved");
    assert_eq!(instants[0]["s"], "t");
    assert_eq!(ns(&instants[0]["ts"]), 46_000_000_000);
    assert_eq!(instants[0]["args"]["details"], "path=model.pt, step=1");
    let lane = events(&trace, "M")
        .into_iter()
        .find(|event| event["name"] == "thread_name")
        .unwrap();
    assert_eq!(
        (lane["tid"].as_u64(), lane["args"]["name"].as_str()),
        (Some(1000), Some("ppo_training"))
    );
    let other = &trace["otherData"];
    assert_eq!(other["clock"], "since 2024-01-15T10:30:00.000000Z");
    assert_eq!(
        (other["rows_read"].as_u64(), other["problems"].as_u64()),
        (Some(10), Some(7))
    );
}

#[test]
fn errors_name_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let output = analyzer(&[
        "export",
        "--format",
        "chrome",
        "--logs",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr),
        format!(
            "error: log directory {} does not exist\n",
            missing.display()
        )
    );
}

/// The child's exit code and its peak resident memory (KiB): `VmHWM` of
/// `/proc/<pid>/status`, read until it exits. (`wait4`'s `ru_maxrss` would count the test
/// process's own memory too: a spawned child starts as a copy of it.)
fn peak_rss_kib(mut command: Command) -> (Option<i32>, u64) {
    let mut child = command.spawn().unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_path) {
            let high_water = status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok());
            peak = peak.max(high_water.unwrap_or(0));
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code(), peak);
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

#[test]
fn memory_does_not_grow_with_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let spec = support::synthetic::Spec::for_rows(1_500_000);
    support::synthetic::write_ours(dir.path(), spec).unwrap();
    let log_bytes: u64 = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().metadata().unwrap().len())
        .sum();
    assert!(log_bytes > 150 << 20, "{log_bytes}");
    let mut command = Command::new(env!("CARGO_BIN_EXE_analyzer"));
    command
        .args(["export", "--format", "chrome", "--logs"])
        .arg(dir.path())
        .stderr(std::process::Stdio::null());
    let (code, peak_kib) = peak_rss_kib(command);
    assert_eq!(code, Some(0));
    assert!(peak_kib > 0);
    // The logs are read through a 1 MiB window and the events written as they come.
    assert!(
        peak_kib < 48 * 1024,
        "peak RSS {peak_kib} KiB for {log_bytes} bytes of logs"
    );
    let trace_bytes = std::fs::metadata(dir.path().join("trace.json"))
        .unwrap()
        .len();
    assert!(trace_bytes > log_bytes, "{trace_bytes}");
}
