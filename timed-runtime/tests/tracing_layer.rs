//! `TimedLayer`: every closed `tracing` span is a row of the timing log, nested with `#[timed]`
//! calls both ways, across threads as `tracing` links them, one row per async span.

mod common;

use common::*;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use timed_runtime::{Config, Mode, Session, TimedLayer};
use tracing::{Dispatch, Instrument, info_span};
use tracing_subscriber::layer::SubscriberExt;

fn dispatch() -> Dispatch {
    Dispatch::new(tracing_subscriber::registry().with(TimedLayer::new()))
}

fn session(dir: &std::path::Path, mode: Mode) -> Session {
    Config::new()
        .mode(mode)
        .dir(dir)
        .ignore_env()
        .init()
        .unwrap()
}

#[timed(phase = "compute", component = "layer_app")]
fn timed_step() -> u64 {
    // A span created inside a #[timed] call is its child.
    let _inner = info_span!("inner_span", component = "layer_app").entered();
    std::thread::sleep(Duration::from_millis(2));
    7
}

fn by_operation<'a>(rows: &'a [LogRow], operation: &str) -> &'a LogRow {
    let found: Vec<&LogRow> = rows
        .iter()
        .filter(|row| row.operation == operation)
        .collect();
    assert_eq!(found.len(), 1, "one {operation} row in {rows:#?}");
    found[0]
}

#[test]
fn nested_spans_and_timed_calls_are_each_others_children() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let session = session(dir.path(), Mode::Full);
    tracing::dispatcher::with_default(&dispatch(), || {
        let outer = info_span!(
            "outer_span",
            component = "layer_app",
            phase = "training",
            epoch = 3u64,
            rate = 0.5f64,
            label = "warm",
            done = tracing::field::Empty,
        );
        outer.in_scope(|| {
            assert_eq!(timed_step(), 7);
            timed_runtime::detail("from_detail", 11u32);
            // No component field: the crate of the target; no phase: `default`.
            let _child =
                info_span!(target: "other_crate::module", "plain_span", ok = true).entered();
        });
        outer.record("done", true);
        outer.record("epoch", 4u64);
    });
    session.finish().unwrap();

    let app = read_log(&log_path(dir.path(), "layer_app"));
    assert_eq!(app.len(), 3, "{app:#?}");
    let outer = by_operation(&app, "outer_span");
    let step = by_operation(&app, "timed_step");
    let inner = by_operation(&app, "inner_span");
    assert_eq!(
        (
            outer.phase.as_str(),
            outer.component.as_str(),
            outer.status.as_str()
        ),
        ("training", "layer_app", "ok")
    );
    // Fields in declaration order, a later value replacing an earlier one, then details
    // attached while the span was the current call, then fields recorded later.
    assert_eq!(
        outer.details,
        "epoch=4, rate=0.5, label=warm, from_detail=11, done=true"
    );
    assert_eq!(outer.parent_id, None);
    assert_eq!(step.parent_id, Some(outer.call_id));
    assert_eq!(inner.parent_id, Some(step.call_id));
    assert_eq!(
        (inner.phase.as_str(), inner.details.as_str()),
        ("default", "")
    );
    let other = read_log(&log_path(dir.path(), "other_crate"));
    assert_eq!(other.len(), 1);
    let plain = &other[0];
    assert_eq!(
        (
            plain.operation.as_str(),
            plain.phase.as_str(),
            plain.component.as_str(),
            plain.details.as_str(),
            plain.parent_id
        ),
        (
            "plain_span",
            "default",
            "other_crate",
            "ok=true",
            Some(outer.call_id)
        )
    );
    // Self time as for #[timed] calls: the duration less the direct children's.
    assert_eq!(
        outer.self_ns,
        outer.duration_ns - step.duration_ns - plain.duration_ns
    );
    assert_eq!(step.self_ns, step.duration_ns - inner.duration_ns);
    assert_eq!(inner.self_ns, inner.duration_ns);
    assert!(inner.duration_ns >= 2_000_000, "{inner:?}");
    assert!(step.start_ns <= inner.start_ns);
    assert!(inner.start_ns + inner.duration_ns <= step.start_ns + step.duration_ns);
    for row in app.iter().chain(&other) {
        assert_eq!(row.thread, 1);
    }

    // The layer's sites are listed and summarised like #[timed] ones.
    let sites = timed_runtime::sites();
    let outer_site = sites
        .iter()
        .find(|site| site.name() == "outer_span")
        .expect("the span's site is listed");
    assert_eq!(
        (
            outer_site.phase(),
            outer_site.component(),
            outer_site.file()
        ),
        (
            "training",
            "layer_app",
            "timed-runtime/tests/tracing_layer.rs"
        )
    );
    let app_summary = summary(dir.path(), "layer_app");
    assert_eq!(app_summary["operations"]["outer_span"]["count"], 1);
    assert_eq!(app_summary["operations"]["inner_span"]["count"], 1);
    assert_eq!(app_summary["operations"]["timed_step"]["count"], 1);
    assert_eq!(
        summary(dir.path(), "other_crate")["operations"]["plain_span"]["count"],
        1
    );
}

#[test]
fn a_span_entered_on_another_thread_keeps_its_parent() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let session = session(dir.path(), Mode::Full);
    let dispatch = dispatch();
    tracing::dispatcher::with_default(&dispatch, || {
        let root = info_span!("fan_out", component = "layer_threads");
        let _root = root.enter();
        std::thread::scope(|scope| {
            let worker_dispatch = dispatch.clone();
            let parent = root.clone();
            scope
                .spawn(move || {
                    tracing::dispatcher::with_default(&worker_dispatch, || {
                        let _work =
                            info_span!(parent: &parent, "shard", component = "layer_threads")
                                .entered();
                        std::thread::sleep(Duration::from_millis(3));
                    })
                })
                .join()
                .unwrap();
        });
    });
    session.finish().unwrap();

    let rows = read_log(&log_path(dir.path(), "layer_threads"));
    let root = by_operation(&rows, "fan_out");
    let shard = by_operation(&rows, "shard");
    assert_eq!(shard.parent_id, Some(root.call_id));
    assert_eq!((root.thread, shard.thread), (1, 2));
    // Work on another thread runs in parallel: it is not taken from the parent's own time.
    assert_eq!(root.self_ns, root.duration_ns);
    assert!(root.duration_ns >= shard.duration_ns);
}

struct NoopWaker;
impl Wake for NoopWaker {
    fn wake(self: Arc<Self>) {}
}

fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    let waker = Waker::from(Arc::new(NoopWaker));
    Pin::new(future).poll(&mut Context::from_waker(&waker))
}

/// Pending until the instant has passed.
struct Until(Instant);
impl Future for Until {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

#[timed(phase = "sync", component = "layer_async")]
fn poll_work() -> u32 {
    1
}

#[test]
fn an_async_span_is_one_call_from_first_poll_to_close_across_threads() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let session = session(dir.path(), Mode::Full);
    let dispatch = dispatch();
    let created = Instant::now();
    let mut future = tracing::dispatcher::with_default(&dispatch, || {
        let span = info_span!("request", component = "layer_async", phase = "io");
        Box::pin(
            async {
                let first = poll_work();
                Until(Instant::now() + Duration::from_millis(10)).await;
                first + poll_work()
            }
            .instrument(span),
        )
    });
    // Created long before its first poll: the call starts at the first enter.
    std::thread::sleep(Duration::from_millis(200));
    let mut polls = 1;
    tracing::dispatcher::with_default(&dispatch, || {
        assert!(poll_once(&mut future).is_pending());
    });
    let worker_dispatch = dispatch.clone();
    let value = std::thread::spawn(move || {
        tracing::dispatcher::with_default(&worker_dispatch, || {
            loop {
                polls += 1;
                if let Poll::Ready(value) = poll_once(&mut future) {
                    drop(future);
                    return (value, polls);
                }
                std::thread::yield_now();
            }
        })
    })
    .join()
    .unwrap();
    assert_eq!(value.0, 2);
    assert!(value.1 > 2, "polled across several polls");
    assert!(created.elapsed() >= Duration::from_millis(210));
    session.finish().unwrap();

    let rows = read_log(&log_path(dir.path(), "layer_async"));
    assert_eq!(rows.len(), 3, "{rows:#?}");
    let request = by_operation(&rows, "request");
    let works: Vec<&LogRow> = rows
        .iter()
        .filter(|row| row.operation == "poll_work")
        .collect();
    assert_eq!(works.len(), 2);
    for work in &works {
        assert_eq!(work.parent_id, Some(request.call_id));
    }
    assert_eq!((works[0].thread, works[1].thread), (1, 2));
    assert_eq!(request.thread, 2, "recorded by the thread that closed it");
    assert_eq!(request.status, "ok");
    assert!(request.duration_ns >= 10_000_000, "{request:?}");
    assert!(
        request.duration_ns < 200_000_000,
        "timed from the first poll, not the creation: {request:?}"
    );
    assert_eq!(
        request.self_ns,
        request.duration_ns - works[0].duration_ns - works[1].duration_ns
    );
}

#[test]
fn a_span_closed_while_unwinding_is_panicked() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let session = session(dir.path(), Mode::Full);
    tracing::dispatcher::with_default(&dispatch(), || {
        let caught = std::panic::catch_unwind(|| {
            let _span = info_span!("fragile", component = "layer_panics").entered();
            panic!("boom");
        });
        assert!(caught.is_err());
        let _fine = info_span!("sturdy", component = "layer_panics").entered();
    });
    session.finish().unwrap();
    let rows = read_log(&log_path(dir.path(), "layer_panics"));
    assert_eq!(by_operation(&rows, "fragile").status, "panicked");
    assert_eq!(by_operation(&rows, "sturdy").status, "ok");
    let summary = summary(dir.path(), "layer_panics");
    assert_eq!(summary["operations"]["fragile"]["panicked"], 1);
}

#[test]
fn summary_mode_counts_spans_and_spans_outside_a_session_are_not_recorded() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let dispatch = dispatch();
    // No session yet: nothing is recorded, even once one starts.
    let early = tracing::dispatcher::with_default(&dispatch, || {
        info_span!("counted", component = "layer_summary")
    });
    let session = session(dir.path(), Mode::Summary);
    tracing::dispatcher::with_default(&dispatch, || {
        drop(early);
        for _ in 0..5 {
            let _span = info_span!("counted", component = "layer_summary", n = 1).entered();
        }
    });
    assert_eq!(stats_of("counted").count, 5);
    session.finish().unwrap();
    let summary = summary(dir.path(), "layer_summary");
    assert_eq!(summary["operations"]["counted"]["count"], 5);
    assert_eq!(read_log(&log_path(dir.path(), "layer_summary")).len(), 0);
}

#[test]
fn a_component_first_met_while_recording_is_listed_in_the_manifest_and_kept_with_its_run() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    for _ in 0..2 {
        let session = session(dir.path(), Mode::Full);
        tracing::dispatcher::with_default(&dispatch(), || {
            let _span = info_span!(target: "late_crate::db", "late_span").entered();
        });
        session.finish().unwrap();
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("run.json")).unwrap()).unwrap();
    let files: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|file| file.as_str().unwrap())
        .collect();
    assert!(
        files.contains(&"late_crate_timing.log")
            && files.contains(&"late_crate_timing_summary.json"),
        "{files:?}"
    );
    // The first run's log of that component moved with it, whole: one row.
    let kept: Vec<std::path::PathBuf> = std::fs::read_dir(dir.path().join("runs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(read_log(&kept[0].join("late_crate_timing.log")).len(), 1);
    assert_eq!(read_log(&dir.path().join("late_crate_timing.log")).len(), 1);
}
