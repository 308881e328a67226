//! An async call is timed from its first poll to its completion, carried by its future across
//! threads; during its polls it is the parent of the timed calls it makes.

mod common;

use common::*;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};
use timed_runtime::{Config, Mode};

struct NoopWaker;
impl Wake for NoopWaker {
    fn wake(self: Arc<Self>) {}
}

fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    let waker = Waker::from(Arc::new(NoopWaker));
    Pin::new(future).poll(&mut Context::from_waker(&waker))
}

/// Pending until the instant has passed: forces the call across polls.
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

#[timed(phase = "sync", component = "async_calls")]
fn inner_step(x: u32) -> u32 {
    x + 1
}

#[timed(phase = "io", component = "async_calls")]
async fn fetch(delay: Duration) -> u32 {
    let first = inner_step(1);
    Until(Instant::now() + delay).await;
    first + inner_step(10)
}

#[timed(phase = "io", component = "async_calls")]
async fn fetch_twice() -> u32 {
    fetch(Duration::from_millis(5)).await + fetch(Duration::from_millis(5)).await
}

#[test]
fn async_calls_cross_threads_and_parent_their_children() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let session = Config::new()
        .mode(Mode::Full)
        .dir(dir.path())
        .ignore_env()
        .init()
        .unwrap();

    let mut future = Box::pin(fetch_twice());
    assert!(poll_once(&mut future).is_pending());
    // Finish it on another thread.
    let started_elsewhere = std::thread::spawn(move || {
        loop {
            if let Poll::Ready(value) = poll_once(&mut future) {
                return value;
            }
            std::thread::yield_now();
        }
    });
    assert_eq!(started_elsewhere.join().unwrap(), 26);

    // Dropped after its first poll: cancelled.
    let mut abandoned = Box::pin(fetch(Duration::from_secs(60)));
    assert!(poll_once(&mut abandoned).is_pending());
    drop(abandoned);
    // Never polled: never called.
    drop(fetch(Duration::ZERO));
    session.finish().unwrap();

    let rows = read_log(&log_path(dir.path(), "async_calls"));
    let outer: Vec<_> = rows
        .iter()
        .filter(|r| r.operation == "fetch_twice")
        .collect();
    assert_eq!(outer.len(), 1);
    let outer = outer[0];
    assert_eq!(outer.status, "ok");
    assert_eq!(outer.parent_id, None);
    assert!(outer.duration_ns >= 10_000_000, "{outer:?}");

    let fetches: Vec<_> = rows.iter().filter(|r| r.operation == "fetch").collect();
    assert_eq!(fetches.len(), 3);
    let completed: Vec<_> = fetches.iter().filter(|r| r.status == "ok").collect();
    assert_eq!(completed.len(), 2);
    for fetch in &completed {
        assert_eq!(fetch.parent_id, Some(outer.call_id));
        assert!(fetch.duration_ns >= 5_000_000);
    }
    // The outer call's self time excludes its two awaited children exactly.
    let children: u64 = completed.iter().map(|r| r.duration_ns).sum();
    assert_eq!(outer.self_ns + children, outer.duration_ns);
    // The call began on the test thread (its first child ran there) and ended on the other.
    let first_step = rows
        .iter()
        .filter(|r| r.operation == "inner_step")
        .min_by_key(|r| r.start_ns)
        .unwrap();
    assert_ne!(first_step.thread, outer.thread);
    let cancelled: Vec<_> = fetches.iter().filter(|r| r.status == "cancelled").collect();
    assert_eq!(cancelled.len(), 1);

    let steps: Vec<_> = rows
        .iter()
        .filter(|r| r.operation == "inner_step")
        .collect();
    assert_eq!(steps.len(), 2 * 2 + 1);
    for step in &steps {
        let parent = step.parent_id.expect("inner_step runs inside fetch");
        assert!(fetches.iter().any(|f| f.call_id == parent), "{step:?}");
    }
    for fetch in &completed {
        let inside: u64 = steps
            .iter()
            .filter(|s| s.parent_id == Some(fetch.call_id))
            .map(|s| s.duration_ns)
            .sum();
        assert_eq!(fetch.self_ns + inside, fetch.duration_ns);
    }
}

#[timed(phase = "io", component = "async_calls")]
async fn quiet(delay: Duration) -> u32 {
    Until(Instant::now() + delay).await;
    3
}

#[test]
fn calls_finished_or_dropped_on_a_thread_that_never_recorded_are_kept() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let session = Config::new()
        .mode(Mode::Summary)
        .dir(dir.path())
        .ignore_env()
        .init()
        .unwrap();
    let mut finished = Box::pin(quiet(Duration::from_millis(2)));
    assert!(poll_once(&mut finished).is_pending());
    let value = std::thread::spawn(move || {
        loop {
            if let Poll::Ready(value) = poll_once(&mut finished) {
                return value;
            }
        }
    })
    .join()
    .unwrap();
    assert_eq!(value, 3);
    let mut dropped = Box::pin(quiet(Duration::from_secs(60)));
    assert!(poll_once(&mut dropped).is_pending());
    std::thread::spawn(move || drop(dropped)).join().unwrap();

    let stats = stats_of("quiet");
    assert_eq!((stats.count, stats.cancelled), (2, 1));
    assert!(stats.max.unwrap() >= Duration::from_millis(2));
    session.finish().unwrap();
}
