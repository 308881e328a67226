//! Traces from any program: OTLP JSON (the OpenTelemetry collector's file exporter output, and
//! the specification's example shape) becomes the same report as our logs; and several runs
//! (`--logs A --logs B`) merge into one report, each call keeping its process.
//!
//! `tests/fixtures/otlp/` is written by hand in the shape of the OTLP specification's JSON
//! example (`examples/trace.json` of opentelemetry-proto: upper-case hex ids, times as strings,
//! attributes as AnyValue): a `checkout` service printed as the example is (two requests, one
//! of them with times as numbers and an ERROR status), and a `payments` service as the file
//! exporter writes it (one request per line, lower-case ids), whose span is the child of a
//! checkout span through the trace context. The times, in ms from the first span:
//! - trace A: `GET /checkout` 0-1000 with children `charge card` 100-700 and `render` 750-950;
//!   `authorize` (payments) 150-650 under `charge card`;
//! - trace B: `GET /checkout` 2000-2400, failed.

use std::path::{Path, PathBuf};

use analyzer::export::console;
use analyzer::ingest::problems::ProblemKind;
use analyzer::ingest::sources::ingest_sources;
use analyzer::report::OperationReport;
use analyzer::{Options, Report, Sources, analyze_dir, analyze_sources};

const GENERATED_AT: &str = "2026-11-25T04:00:00.000000Z";

fn fixture(name: &str) -> PathBuf {
    Path::new("tests/fixtures/otlp").join(name)
}

fn operation<'a>(report: &'a Report, component: &str, name: &str) -> &'a OperationReport {
    report
        .components
        .iter()
        .filter(|c| c.name == component)
        .flat_map(|c| &c.operations)
        .find(|op| op.operation == name)
        .unwrap_or_else(|| panic!("no {component}/{name}"))
}

fn otlp_report() -> Report {
    let sources = Sources {
        log_dirs: Vec::new(),
        otlp_files: vec![fixture("checkout.otlp.json"), fixture("payments.otlp.json")],
    };
    let mut report = analyze_sources(&sources, &Options::default()).unwrap();
    report.generated_at = GENERATED_AT.to_string();
    report
}

#[test]
fn spans_in_the_specifications_shape_give_the_exact_report() {
    let report = otlp_report();
    assert_eq!(report.rows_read, 5);
    assert_eq!(report.problems_total, 0);
    let names: Vec<&str> = report.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["checkout", "payments"]);

    // (count, total ms, self ms, waiting ms, panicked)
    let figures = |op: &OperationReport| {
        (
            op.stats.count,
            op.stats.total_ms,
            op.self_ms,
            op.waiting_ms,
            op.panicked,
        )
    };
    let checkout = operation(&report, "checkout", "GET /checkout");
    // Its children on its own thread are subtracted: 1000 - 600 - 200, plus trace B's 400.
    assert_eq!(figures(checkout), (2, 1400.0, Some(600.0), Some(0.0), 1));
    assert_eq!(checkout.phase, "default");
    // The call into payments runs on payments' thread: charge card's thread waits for it.
    assert_eq!(
        figures(operation(&report, "checkout", "charge card")),
        (1, 600.0, Some(600.0), Some(500.0), 0)
    );
    assert_eq!(
        figures(operation(&report, "checkout", "render")),
        (1, 200.0, Some(200.0), Some(0.0), 0)
    );
    let authorize = operation(&report, "payments", "authorize");
    assert_eq!(figures(authorize), (1, 500.0, Some(500.0), Some(0.0), 0));
    assert_eq!(authorize.threads.len(), 1);
    assert_eq!(authorize.threads[0].thread, 2);
    assert_eq!(
        authorize.threads[0].name.as_deref(),
        Some("payments (host pay-1, pid 4242)")
    );
    assert_eq!(
        operation(&report, "checkout", "render").threads[0]
            .name
            .as_deref(),
        Some("checkout (host web-1)")
    );

    // Cross-component analysis follows the parent link across the two services.
    let links: Vec<(&str, &str, u64, u64)> = report
        .cross_component
        .links
        .iter()
        .map(|link| {
            (
                link.parent_operation.as_str(),
                link.child_component.as_str(),
                link.calls,
                link.operation_calls,
            )
        })
        .collect();
    assert_eq!(
        links,
        [
            ("GET /checkout", "payments", 1, 2),
            ("charge card", "payments", 1, 1)
        ]
    );
    let waiting: Vec<(&str, f64)> = report
        .waiting
        .iter()
        .map(|w| (w.operation.as_str(), w.waiting_ms))
        .collect();
    assert_eq!(waiting, [("charge card", 500.0)]);

    // Found in a log directory too, with the same figures.
    let mut from_dir = analyze_dir(Path::new("tests/fixtures/otlp"), &Options::default()).unwrap();
    from_dir.generated_at = GENERATED_AT.to_string();
    assert_eq!(
        console::render(&from_dir, None),
        console::render(&report, None)
    );
    insta::assert_snapshot!(console::render(&report, None));
}

#[test]
fn malformed_otlp_files_are_counted_and_located_never_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(fixture("payments.otlp.json")).unwrap();
    let bad_id = good.replace("eee19b7ec3c1b176", "eee19b7ec3c1b1");
    let backwards = good.replace("1544712660650000000", "1544712660050000000");
    std::fs::write(
        dir.path().join("mixed.otlp.json"),
        format!(
            "{good}{{\"resourceSpans\": [{{\"scopeSpans\": 7}}]}}\n\nnot json\n{bad_id}{backwards}"
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("empty.otlp.json"), "").unwrap();
    let report = analyze_dir(dir.path(), &Options::default()).unwrap();
    assert_eq!(report.rows_read, 1);
    let mixed = report
        .files
        .iter()
        .find(|file| file.path.ends_with("mixed.otlp.json"))
        .unwrap();
    let problems: Vec<(u64, &str)> = mixed
        .first_problems
        .iter()
        .map(|problem| (problem.line, problem.message.as_str()))
        .collect();
    assert_eq!(problems.len(), 4, "{problems:#?}");
    assert_eq!(
        problems.iter().map(|(line, _)| *line).collect::<Vec<_>>(),
        [2, 4, 5, 6]
    );
    assert!(
        problems[0]
            .1
            .starts_with("not an ExportTraceServiceRequest: "),
        "{problems:?}"
    );
    assert!(
        problems[1]
            .1
            .starts_with("not an ExportTraceServiceRequest: "),
        "{problems:?}"
    );
    assert_eq!(
        problems[2].1,
        "span \"authorize\": spanId has 7 bytes, not 8"
    );
    assert_eq!(
        problems[3].1,
        "span \"authorize\" ends (1544712660050000000) before it starts (1544712660150000000)"
    );
    assert_eq!(mixed.problems_total, 4);
    assert_eq!(
        mixed.problem_counts.get(ProblemKind::OtlpJson.label()),
        Some(&2)
    );
    assert_eq!(report.problems_total, 4);
}

/// A run of our format with two threads; call 2 on thread 2 is the child of call 1.
fn our_run(dir: &Path, component: &str, start: &str) {
    let log = format!(
        "timestamp,operation,phase,duration_ms,details,component,thread,call_id,parent_id,self_ms,start_ns,status\n\
         {start}.100000Z,work,train,40.000000,,{component},2,2,1,40.000000,10000000,ok\n\
         {start}.150000Z,step,train,100.000000,,{component},1,1,,100.000000,50000000,ok\n"
    );
    std::fs::write(dir.join(format!("{component}_timing.log")), log).unwrap();
    std::fs::write(
        dir.join(format!("{component}_timing_summary.json")),
        format!(
            r#"{{"component": "{component}", "threads": {{"1": "main", "2": "worker"}}, "operations": {{}}}}"#
        ),
    )
    .unwrap();
}

#[test]
fn several_runs_merge_each_call_keeping_its_process() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    our_run(a.path(), "trainer", "2026-11-25T03:00:00");
    our_run(b.path(), "trainer", "2026-11-25T03:10:00");
    std::fs::write(
        b.path().join("run.json"),
        r#"{"pid": 77, "host": "node-b"}"#,
    )
    .unwrap();
    let sources = Sources {
        log_dirs: vec![a.path().to_path_buf(), b.path().to_path_buf()],
        otlp_files: Vec::new(),
    };
    let dataset = ingest_sources(&sources, &Options::default()).unwrap();
    type ProcessFigures<'a> = (usize, u32, u32, Option<u64>, Option<&'a str>);
    let processes: Vec<ProcessFigures> = dataset
        .processes
        .iter()
        .map(|p| (p.index, p.thread_base, p.threads, p.pid, p.host.as_deref()))
        .collect();
    assert_eq!(
        processes,
        [(0, 0, 2, None, None), (1, 2, 2, Some(77), Some("node-b"))]
    );
    // Thread ids do not collide, call ids neither, and each call's parent stays in its process.
    let mut calls: Vec<(u64, u64, u32)> = dataset
        .callgraph
        .calls
        .iter()
        .map(|call| (call.call_id, call.parent_id, call.thread))
        .collect();
    calls.sort_unstable();
    assert_eq!(
        calls,
        [
            (1, 0, 1),
            (2, 1, 2),
            (1 << 48 | 1, 0, 3),
            (1 << 48 | 2, 1 << 48 | 1, 4)
        ]
    );
    assert_eq!(dataset.process_of_thread(4).map(|p| p.index), Some(1));
    assert_eq!(dataset.process_of_thread(1).map(|p| p.index), Some(0));
    let names: Vec<(u32, String)> = dataset
        .summaries
        .iter()
        .flat_map(|summary| summary.threads.clone())
        .collect();
    let label = |dir: &tempfile::TempDir, name: &str| format!("{}: {name}", dir.path().display());
    assert_eq!(
        names,
        [
            (1, label(&a, "main")),
            (2, label(&a, "worker")),
            (3, label(&b, "main")),
            (4, label(&b, "worker")),
        ]
    );

    let report = analyze_sources(&sources, &Options::default()).unwrap();
    let step = operation(&report, "trainer", "step");
    assert_eq!((step.stats.count, step.stats.total_ms), (2, 200.0));
    let threads: Vec<u32> = operation(&report, "trainer", "work")
        .threads
        .iter()
        .map(|thread| thread.thread)
        .collect();
    assert_eq!(threads, [2, 4]);
    assert_eq!(report.files.len(), 2);
    assert_eq!(report.problems_total, 0);
}

#[test]
fn the_command_line_takes_several_logs_and_otlp_files() {
    let out = tempfile::tempdir().unwrap();
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    our_run(a.path(), "trainer", "2026-11-25T03:00:00");
    our_run(b.path(), "trainer", "2026-11-25T03:10:00");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_analyzer"))
        .args(["report", "--quiet", "--no-charts", "--out"])
        .arg(out.path())
        .arg("--logs")
        .arg(a.path())
        .arg("--logs")
        .arg(b.path())
        .arg("--otlp")
        .arg(fixture("checkout.otlp.json"))
        .arg(fixture("payments.otlp.json"))
        .status()
        .unwrap();
    assert!(status.success());
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join(analyzer::REPORT_FILE)).unwrap())
            .unwrap();
    assert_eq!(written["rows_read"], 4 + 5);
}
