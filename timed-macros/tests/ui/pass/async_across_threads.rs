//! An async call belongs to its future, not to a thread: polled first on one thread and
//! completed (or dropped) on another, it is still one call, recorded once with its status.
//! Each finishing thread is fresh: it has recorded nothing before.
#![deny(warnings)]

#[path = "../support.rs"]
mod support;

use std::future::Future;
use std::pin::Pin;

use support::{block_on, poll_once, yield_now};
use timed_runtime::timed;

#[timed]
async fn double(value: u32) -> u32 {
    yield_now().await;
    value * 2
}

#[timed]
async fn triple(value: u32) -> u32 {
    yield_now().await;
    value * 3
}

#[timed]
async fn abandoned(value: u32) -> u32 {
    yield_now().await;
    value
}

/// Polls `future` once here: it must stop at its suspension point.
fn started<F: Future>(future: F) -> Pin<Box<F>> {
    let mut future = Box::pin(future);
    assert!(poll_once(future.as_mut()).is_pending());
    future
}

fn main() {
    let _recording = support::record("async_across_threads");

    // Started on the main thread, finished on another.
    let moved = started(double(21));
    let finished = std::thread::spawn(move || block_on(moved));
    assert_eq!(finished.join().unwrap(), 42);

    // Started on another thread, finished on the main one.
    let moved = std::thread::spawn(|| started(triple(5))).join().unwrap();
    assert_eq!(block_on(moved), 15);

    // Started on the main thread, dropped unfinished on another.
    let moved = started(abandoned(1));
    std::thread::spawn(move || drop(moved)).join().unwrap();

    // As (ok, panicked, cancelled).
    assert_eq!(
        [
            support::calls("double"),
            support::calls("triple"),
            support::calls("abandoned")
        ],
        [(1, 0, 0), (1, 0, 0), (0, 0, 1)]
    );
}
