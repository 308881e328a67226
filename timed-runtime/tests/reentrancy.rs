//! User code that runs while a call is being recorded, because the runtime runs it or makes it
//! run: a detail's conversion, the drop of a cancelled call's future, work under an entered
//! context. It may call timed functions and attach details itself; each such call is recorded
//! exactly where it ran, with its parent and its time charged to it.

mod common;

use common::*;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use timed_runtime::{Config, DetailValue, Mode};

/// Converted into a detail by code that is itself timed and attaches a detail.
struct Probe(u32);

impl From<Probe> for DetailValue {
    fn from(probe: Probe) -> DetailValue {
        let doubled = double(probe.0);
        timed_runtime::detail("converted", true);
        DetailValue::Text(format!("probe-{doubled}").into())
    }
}

/// Converted by attaching a `Probe`: a conversion inside a conversion.
struct Wrapper(Probe);

impl From<Wrapper> for DetailValue {
    fn from(wrapper: Wrapper) -> DetailValue {
        timed_runtime::detail("wrapped", wrapper.0);
        DetailValue::from("wrapper")
    }
}

#[timed(phase = "convert", component = "reentrancy")]
fn double(x: u32) -> u32 {
    timed_runtime::detail("inner", x);
    x * 2
}

#[timed(phase = "convert", component = "reentrancy")]
fn attach_probe() {
    timed_runtime::detail("probe", Probe(21));
    timed_runtime::detail("after", 1);
}

#[timed(phase = "convert", component = "reentrancy")]
fn attach_wrapper() {
    timed_runtime::details!(first = 0, w = Wrapper(Probe(5)));
}

fn full_session(dir: &std::path::Path) -> timed_runtime::Session {
    Config::new()
        .mode(Mode::Full)
        .dir(dir)
        .ignore_env()
        .init()
        .unwrap()
}

/// (operation, details, parent's operation) of each row, in log order.
fn shape(rows: &[LogRow]) -> Vec<(String, String, Option<String>)> {
    let by_id: HashMap<u64, &LogRow> = rows.iter().map(|row| (row.call_id, row)).collect();
    rows.iter()
        .map(|row| {
            (
                row.operation.clone(),
                row.details.clone(),
                row.parent_id.map(|id| by_id[&id].operation.clone()),
            )
        })
        .collect()
}

fn owned(rows: &[(&str, &str, Option<&str>)]) -> Vec<(String, String, Option<String>)> {
    rows.iter()
        .map(|(operation, details, parent)| {
            (
                operation.to_string(),
                details.to_string(),
                parent.map(str::to_owned),
            )
        })
        .collect()
}

/// A parent's duration is its self time plus its children's durations, to the nanosecond.
fn assert_exact_self_times(rows: &[LogRow]) {
    for row in rows {
        let children: u64 = rows
            .iter()
            .filter(|child| child.parent_id == Some(row.call_id))
            .map(|child| child.duration_ns)
            .sum();
        assert_eq!(row.self_ns + children, row.duration_ns, "{row:?}");
    }
}

#[test]
fn a_conversion_that_calls_timed_functions_and_attaches_details_is_recorded_where_it_ran() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let session = full_session(dir.path());
    attach_probe();
    attach_wrapper();
    // Outside any call: the conversion still runs (its timed call is a root), its detail and
    // the converted value go nowhere.
    timed_runtime::detail("orphan", Probe(1));
    session.finish().unwrap();

    let rows = read_log(&log_path(dir.path(), "reentrancy"));
    assert_eq!(
        shape(&rows),
        owned(&[
            ("double", "inner=21", Some("attach_probe")),
            (
                "attach_probe",
                "converted=true, probe=probe-42, after=1",
                None
            ),
            ("double", "inner=5", Some("attach_wrapper")),
            (
                "attach_wrapper",
                "first=0, converted=true, wrapped=probe-10, w=wrapper",
                None
            ),
            ("double", "inner=1", None),
        ])
    );
    assert!(rows.iter().all(|row| row.status == "ok"));
    assert_exact_self_times(&rows);
}

#[test]
fn a_conversion_runs_only_when_details_are_recorded() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let session = Config::new()
        .mode(Mode::Summary)
        .dir(dir.path())
        .ignore_env()
        .init()
        .unwrap();
    attach_probe();
    assert_eq!(stats_of("attach_probe").count, 1);
    // Summary mode keeps no details, so the value is never converted.
    assert_eq!(stats_of("double").count, 0);
    session.finish().unwrap();
}

struct NoopWaker;
impl Wake for NoopWaker {
    fn wake(self: Arc<Self>) {}
}

fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    let waker = Waker::from(Arc::new(NoopWaker));
    Pin::new(future).poll(&mut Context::from_waker(&waker))
}

/// Never ready: the call stays open until its future is dropped.
struct Forever;
impl Future for Forever {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

/// A local of the async body whose drop calls a timed function and attaches a detail.
struct Cleanup(&'static str);
impl Drop for Cleanup {
    fn drop(&mut self) {
        tidy(self.0);
        timed_runtime::detail("dropped", self.0);
    }
}

#[timed(phase = "drop", component = "reentrancy")]
fn tidy(what: &'static str) -> usize {
    timed_runtime::detail("what", what);
    what.len()
}

#[timed(phase = "drop", component = "reentrancy")]
fn step() {}

#[timed(phase = "io", component = "reentrancy")]
async fn fetch_forever() {
    let _cleanup = Cleanup("connection");
    step();
    Forever.await;
}

#[timed(phase = "io", component = "reentrancy")]
async fn fetch_once() {
    let _cleanup = Cleanup("buffer");
    step();
}

#[test]
fn what_a_cancelled_call_drops_is_part_of_that_call() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let session = full_session(dir.path());
    let mut cancelled = Box::pin(fetch_forever());
    assert!(poll_once(&mut cancelled).is_pending());
    // The runtime drops the body's locals: `Cleanup` runs with the cancelled call current.
    drop(cancelled);
    // Completed: the locals drop inside the last poll, also under the call.
    let mut completed = Box::pin(fetch_once());
    assert!(poll_once(&mut completed).is_ready());
    drop(completed);
    session.finish().unwrap();

    let rows = read_log(&log_path(dir.path(), "reentrancy"));
    assert_eq!(
        shape(&rows),
        owned(&[
            ("step", "", Some("fetch_forever")),
            ("tidy", "what=connection", Some("fetch_forever")),
            ("fetch_forever", "dropped=connection", None),
            ("step", "", Some("fetch_once")),
            ("tidy", "what=buffer", Some("fetch_once")),
            ("fetch_once", "dropped=buffer", None),
        ])
    );
    let statuses: Vec<&str> = rows.iter().map(|row| row.status.as_str()).collect();
    assert_eq!(statuses, ["ok", "ok", "cancelled", "ok", "ok", "ok"]);
    assert_exact_self_times(&rows);
}

#[timed(phase = "context", component = "reentrancy")]
fn hand_off() {
    let parent = timed_runtime::current_call();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let guard = parent.map(timed_runtime::CallContext::enter);
            // Attached under the context itself, not under a call: dropped with the guard.
            timed_runtime::detail("under_context", String::from("dropped"));
            step();
            drop(guard);
            // After the guard: a root again.
            step();
        });
    });
}

#[test]
fn details_under_a_context_are_dropped_with_it_and_calls_keep_their_parents() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let session = full_session(dir.path());
    hand_off();
    session.finish().unwrap();

    let rows = read_log(&log_path(dir.path(), "reentrancy"));
    let mut shapes = shape(&rows);
    // The worker's rows and the parent's are on different threads: compare as a set.
    shapes.sort();
    assert_eq!(
        shapes,
        owned(&[
            ("hand_off", "", None),
            ("step", "", None),
            ("step", "", Some("hand_off")),
        ])
    );
}
