//! A `#[global_allocator]` that is itself instrumented: every allocation and every free is a
//! timed call with a detail. The recorder then comes back into itself from inside its own
//! bookkeeping (joining a session, growing its stacks, dropping details, the writer's buffers,
//! the old session's buffers when a new one starts). None of that may alias the thread's state;
//! what is recorded stays consistent: every parent exists, self time never exceeds the duration
//! and, for calls made on one thread, a parent's duration is its self time plus its children's.

mod common;

use common::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use timed_runtime::{Config, Mode};

struct Instrumented;

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so it keeps
// `System`'s guarantees; the timed calls around them neither touch the memory nor the layout.
unsafe impl GlobalAlloc for Instrumented {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        allocated(layout.size());
        // SAFETY: the caller's layout, as `GlobalAlloc::alloc` requires.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        freed(layout.size());
        // SAFETY: `ptr` was allocated by `System` with `layout` (every allocation here is).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        allocated(new_size);
        // SAFETY: as in `dealloc`, with the caller's new size.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Instrumented = Instrumented;

#[timed(phase = "memory", component = "allocator")]
fn allocated(bytes: usize) {
    timed_runtime::detail("bytes", bytes);
}

#[timed(phase = "memory", component = "allocator")]
fn freed(bytes: usize) {
    timed_runtime::detail("freed", bytes);
}

/// Deep enough to grow the stack of open calls well past its first capacity, with an owned
/// detail per level (the stack of details grows too), and a vector grown at each level.
#[timed(phase = "work", component = "workload")]
fn descend(depth: u32) -> usize {
    timed_runtime::detail("level", format!("level {depth}"));
    let mut values: Vec<u64> = Vec::new();
    for i in 0..u64::from(depth % 7) * 40 {
        values.push(i);
    }
    let below = if depth == 0 { 0 } else { descend(depth - 1) };
    below + values.len()
}

/// Many details on one call, owned and borrowed.
#[timed(phase = "work", component = "workload")]
fn chatty(n: usize) {
    for i in 0..n {
        timed_runtime::detail("i", i);
        timed_runtime::detail("text", format!("detail number {i}"));
    }
}

#[timed(phase = "work", component = "workload")]
fn fan_out() {
    let parent = timed_runtime::current_call();
    std::thread::scope(|scope| {
        for worker in 0..2u32 {
            scope.spawn(move || {
                let _in_parent = parent.map(timed_runtime::CallContext::enter);
                // Under the context itself: freed when the guard drops.
                timed_runtime::detail("worker", format!("worker {worker}"));
                descend(20);
            });
        }
    });
}

struct NoopWaker;
impl Wake for NoopWaker {
    fn wake(self: Arc<Self>) {}
}

struct Pending;
impl Future for Pending {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

#[timed(phase = "io", component = "workload")]
async fn abandoned() {
    let held = vec![String::from("dropped with the call"); 3];
    timed_runtime::detail("held", held.len());
    chatty(3);
    Pending.await;
    drop(held);
}

fn poll_and_cancel() {
    let waker = Waker::from(Arc::new(NoopWaker));
    let mut future = Box::pin(abandoned());
    assert!(
        future
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
    );
}

const ROUNDS: usize = 20;

fn workload() {
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                for _ in 0..ROUNDS {
                    descend(150);
                    chatty(100);
                    fan_out();
                    poll_and_cancel();
                }
            });
        }
    });
}

/// Every log of the session, read back.
fn all_rows(dir: &std::path::Path) -> Vec<LogRow> {
    ["allocator", "workload"]
        .into_iter()
        .flat_map(|stem| read_log(&log_path(dir, stem)))
        .collect()
}

fn assert_consistent(rows: &[LogRow]) {
    let by_id: HashMap<u64, &LogRow> = rows.iter().map(|row| (row.call_id, row)).collect();
    assert_eq!(by_id.len(), rows.len(), "call ids are unique");
    let mut children_ns: HashMap<u64, u64> = HashMap::new();
    for row in rows {
        assert!(row.self_ns <= row.duration_ns, "{row:?}");
        if let Some(parent) = row.parent_id {
            let parent_row = by_id
                .get(&parent)
                .unwrap_or_else(|| panic!("the parent of {row:?} is not in the logs"));
            if parent_row.thread == row.thread {
                *children_ns.entry(parent).or_default() += row.duration_ns;
            }
        }
    }
    for row in rows.iter().filter(|row| row.operation == "descend") {
        let children = children_ns.get(&row.call_id).copied().unwrap_or(0);
        assert_eq!(row.self_ns + children, row.duration_ns, "{row:?}");
    }
}

#[test]
fn an_instrumented_allocator_records_consistently_under_load() {
    let _turn = one_at_a_time();
    let dir = temp_dir();
    let session = Config::new()
        .mode(Mode::Full)
        .dir(dir.path())
        .ignore_env()
        .init()
        .unwrap();
    workload();
    session.finish().unwrap();

    let rows = all_rows(dir.path());
    assert_consistent(&rows);
    let count = |operation: &str| rows.iter().filter(|row| row.operation == operation).count();
    // 3 threads x ROUNDS rounds x (151 levels + 2 workers x 21 levels) calls of descend.
    assert_eq!(count("descend"), 3 * ROUNDS * (151 + 2 * 21));
    assert_eq!(count("chatty"), 3 * ROUNDS * 2);
    assert_eq!(count("fan_out"), 3 * ROUNDS);
    assert_eq!(count("abandoned"), 3 * ROUNDS);
    assert!(
        count("allocated") > 3 * ROUNDS * 151,
        "{}",
        count("allocated")
    );
    assert!(count("freed") > 0);
    for row in rows.iter().filter(|row| row.operation == "abandoned") {
        assert_eq!(row.status, "cancelled");
        assert_eq!(row.details, "held=3");
    }
    let chatty_details = rows
        .iter()
        .find(|row| row.operation == "chatty" && row.parent_id.is_none())
        .map(|row| row.details.clone())
        .unwrap();
    assert!(
        chatty_details.starts_with("i=0, text=detail number 0, i=1, text=detail number 1"),
        "{chatty_details}"
    );
    assert!(chatty_details.ends_with("i=99, text=detail number 99"));

    // A second session, in the other mode: every thread leaves the first one's buffers behind
    // (freed while the recorder is busy) and joins anew.
    let again = Config::new()
        .mode(Mode::Summary)
        .dir(dir.path())
        .ignore_env()
        .init()
        .unwrap();
    workload();
    assert_eq!(
        stats_of("descend").count,
        3 * ROUNDS as u64 * (151 + 2 * 21)
    );
    assert_eq!(stats_of("abandoned").count, 3 * ROUNDS as u64);
    assert!(stats_of("allocated").count > 0);
    again.finish().unwrap();
}
