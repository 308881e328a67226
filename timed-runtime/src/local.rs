//! The calling thread's side of the recorder: a stack of open calls (for parents and exact self
//! time), a stack of details, and the producer end of this thread's rings.
//!
//! Nothing here locks, allocates or does I/O in steady state: a thread registers with the session
//! once (its first recorded call), then every call is a push and a pop on preallocated stacks plus
//! either a ring push (full) or a few single-writer counter updates (summary).

use std::cell::UnsafeCell;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::clock;
use crate::details::{Detail, DetailValue};
use crate::record::{Record, Status};
use crate::ring::{Producer, Ring};
use crate::session::{self, SessionShared};
use crate::site::Site;
use crate::state::{self, FULL, SUMMARY};
use crate::thread::{RECORD_RING_CAPACITY, ThreadShared};

/// An open call: a sync call's whole extent, or one poll of an async call.
struct Frame {
    call_id: u64,
    start_ticks: u64,
    /// Sum of the converted durations of direct children, so self time is exact.
    child_ns: u64,
    detail_base: u32,
    /// Low bits of the session generation the frame was opened in.
    generation: u32,
}

struct Local {
    frames: Vec<Frame>,
    details: Vec<Detail>,
    generation: u64,
    /// This thread's block of call ids, `next_call_id..call_id_end`, taken from the session.
    next_call_id: u64,
    call_id_end: u64,
    sink: Sink,
}

thread_local! {
    static LOCAL: UnsafeCell<Local> = const {
        UnsafeCell::new(Local {
            frames: Vec::new(),
            details: Vec::new(),
            generation: 0,
            next_call_id: 0,
            call_id_end: 0,
            sink: Sink {
                panicked: false,
                mode: 0,
                session: None,
                thread: None,
                record_cursor: Producer::new(),
                detail_cursor: Producer::new(),
            },
        })
    };
}

/// Runs `f` on this thread's state; `None` once the thread's locals are being destroyed.
#[inline(always)]
fn with_local<R>(f: impl FnOnce(&mut Local) -> R) -> Option<R> {
    // SAFETY: the state is only reached through this function, and no function below calls back
    // into user code while holding the reference, so it is never aliased.
    LOCAL.try_with(|cell| f(unsafe { &mut *cell.get() })).ok()
}

/// Opens a sync call. `state` is the mode word the guard already loaded (not off).
/// Returns whether a frame was pushed, i.e. whether `exit` must be called.
#[inline(never)]
pub(crate) fn enter(state: u64) -> bool {
    with_local(|local| {
        if local.generation != state::generation(state) && !local.register(state) {
            return false;
        }
        let call_id = local.take_call_id();
        local.frames.push(Frame {
            call_id,
            start_ticks: 0,
            child_ns: 0,
            detail_base: local.details.len() as u32,
            generation: local.generation as u32,
        });
        // Read the clock last so the bookkeeping above is not part of the call.
        if let Some(frame) = local.frames.last_mut() {
            frame.start_ticks = clock::now();
        }
        true
    })
    .unwrap_or(false)
}

/// Closes the innermost sync call.
#[inline(never)]
pub(crate) fn exit(site: &'static Site) {
    let end = clock::now();
    let status = if std::thread::panicking() {
        Status::Panicked
    } else {
        Status::Ok
    };
    with_local(|local| {
        let Some(frame) = local.frames.pop() else {
            return;
        };
        let duration_ns = clock::ticks_to_ns(end.saturating_sub(frame.start_ticks));
        local.finish(site, frame, duration_ns, status);
    });
}

pub(crate) fn attach_detail<V: Into<DetailValue>>(key: &'static str, value: V) {
    with_local(|local| {
        if local.sink.mode == FULL && !local.frames.is_empty() {
            local.details.push(Detail {
                key,
                value: value.into(),
            });
        }
    });
}

/// The innermost open call on this thread, as a context other threads can enter.
pub(crate) fn current_call() -> Option<crate::context::CallContext> {
    let state = state::load();
    if state::mode_bits(state) == state::OFF {
        return None;
    }
    with_local(|local| {
        let frame = local.frames.last()?;
        (frame.generation == local.generation as u32).then_some(crate::context::CallContext {
            call_id: frame.call_id,
            generation: local.generation,
        })
    })
    .flatten()
}

/// Opens a frame standing for a call running on another thread: calls made under it name it as
/// their parent; their time is not passed on to it (the frame is dropped, not recorded).
pub(crate) fn enter_context(context: crate::context::CallContext) -> bool {
    with_local(|local| {
        if local.generation != context.generation {
            let state = state::load();
            if state::generation(state) != context.generation
                || state::mode_bits(state) == state::OFF
                || !local.register(state)
            {
                return false;
            }
        }
        local.frames.push(Frame {
            call_id: context.call_id,
            start_ticks: 0,
            child_ns: 0,
            detail_base: local.details.len() as u32,
            generation: context.generation as u32,
        });
        true
    })
    .unwrap_or(false)
}

pub(crate) fn leave_context() {
    with_local(|local| {
        if let Some(frame) = local.frames.pop() {
            local.details.truncate(frame.detail_base as usize);
        }
    });
}

/// An async call between its first poll and its completion. It lives in the future, so it moves
/// across threads with it.
pub(crate) struct AsyncCall {
    call_id: u64,
    parent_id: u64,
    start_ticks: u64,
    child_ns: u64,
    generation: u64,
    panicked: bool,
    details: Vec<Detail>,
}

/// Starts an async call at its first poll; `None` when recording is off.
pub(crate) fn begin_async() -> Option<AsyncCall> {
    let state = state::load();
    if state::mode_bits(state) == state::OFF {
        return None;
    }
    with_local(|local| {
        if local.generation != state::generation(state) && !local.register(state) {
            return None;
        }
        let call_id = local.take_call_id();
        Some(AsyncCall {
            call_id,
            parent_id: local.frames.last().map_or(0, |parent| parent.call_id),
            start_ticks: clock::now(),
            child_ns: 0,
            generation: local.generation,
            panicked: false,
            details: Vec::new(),
        })
    })
    .flatten()
}

/// Makes `call` the current call for the duration of one poll, so calls made inside it name it
/// as their parent and count towards its children's time.
pub(crate) struct PollScope<'a> {
    call: &'a mut AsyncCall,
    pushed: bool,
}

impl<'a> PollScope<'a> {
    pub(crate) fn enter(call: &'a mut AsyncCall) -> PollScope<'a> {
        let pushed = with_local(|local| {
            local.frames.push(Frame {
                call_id: call.call_id,
                start_ticks: 0,
                child_ns: 0,
                detail_base: local.details.len() as u32,
                generation: call.generation as u32,
            });
        })
        .is_some();
        PollScope { call, pushed }
    }
}

impl Drop for PollScope<'_> {
    fn drop(&mut self) {
        if !self.pushed {
            return;
        }
        let call = &mut *self.call;
        call.panicked |= std::thread::panicking();
        with_local(|local| {
            if let Some(frame) = local.frames.pop() {
                call.child_ns += frame.child_ns;
                let base = (frame.detail_base as usize).min(local.details.len());
                call.details.extend(local.details.drain(base..));
            }
        });
    }
}

/// Records an async call that completed (`completed`) or was dropped before it did.
pub(crate) fn finish_async(site: &'static Site, call: AsyncCall, completed: bool) {
    let end = clock::now();
    let status = if call.panicked || (!completed && std::thread::panicking()) {
        Status::Panicked
    } else if completed {
        Status::Ok
    } else {
        Status::Cancelled
    };
    with_local(|local| {
        if call.generation != local.generation {
            // Finished on a thread that has not recorded in this session yet: join it now,
            // unless the call belongs to a session that has ended.
            let state = state::load();
            if state::generation(state) != call.generation
                || state::mode_bits(state) == state::OFF
                || !local.register(state)
            {
                return;
            }
        }
        let duration_ns = clock::ticks_to_ns(end.saturating_sub(call.start_ticks));
        let parent_id = match local.frames.last_mut() {
            Some(parent) if parent.call_id == call.parent_id => {
                parent.child_ns += duration_ns;
                parent.call_id
            }
            _ => call.parent_id,
        };
        let record = Record {
            site,
            call_id: call.call_id,
            parent_id,
            start_ticks: call.start_ticks,
            duration_ns,
            self_ns: duration_ns.saturating_sub(call.child_ns),
            status,
            details: 0,
        };
        local.sink.store(record, call.details.into_iter());
    });
}

impl Local {
    /// Joins the live session (once per thread per session). Cold: runs on a thread's first
    /// recorded call and after a new session starts.
    #[cold]
    #[inline(never)]
    fn register(&mut self, state: u64) -> bool {
        let Some(session) = session::current() else {
            return false;
        };
        if session.generation != state::generation(state) {
            return false;
        }
        let thread = session.register_thread();
        self.generation = session.generation;
        self.next_call_id = 0;
        self.call_id_end = 0;
        if self.frames.capacity() == 0 {
            self.frames.reserve(64);
            self.details.reserve(64);
        }
        self.sink = Sink {
            panicked: false,
            mode: state::mode_bits(state),
            session: Some(session),
            thread: Some(thread),
            record_cursor: Producer::new(),
            detail_cursor: Producer::new(),
        };
        true
    }

    #[inline(always)]
    fn take_call_id(&mut self) -> u64 {
        if self.next_call_id == self.call_id_end {
            self.refill_call_ids();
        }
        let id = self.next_call_id;
        self.next_call_id += 1;
        id
    }

    /// Ids come in blocks from one session counter: unique without a shared write per call,
    /// and small (dense from 1), which keeps rows short.
    #[cold]
    #[inline(never)]
    fn refill_call_ids(&mut self) {
        const BLOCK: u64 = 4096;
        let start = self.sink.session.as_ref().map_or(1, |session| {
            session.call_ids.fetch_add(BLOCK, Ordering::Relaxed)
        });
        self.next_call_id = start;
        self.call_id_end = start + BLOCK;
    }

    #[inline(always)]
    fn finish(&mut self, site: &'static Site, frame: Frame, duration_ns: u64, status: Status) {
        let parent_id = match self.frames.last_mut() {
            Some(parent) => {
                parent.child_ns += duration_ns;
                parent.call_id
            }
            None => 0,
        };
        let base = (frame.detail_base as usize).min(self.details.len());
        if frame.generation != self.generation as u32 {
            // Opened under a session that has since ended: nothing of it belongs to this one.
            self.details.truncate(base);
            return;
        }
        let record = Record {
            site,
            call_id: frame.call_id,
            parent_id,
            start_ticks: frame.start_ticks,
            duration_ns,
            self_ns: duration_ns.saturating_sub(frame.child_ns),
            status,
            details: 0,
        };
        if self.details.len() > base {
            let Local { details, sink, .. } = self;
            sink.store(record, details.drain(base..));
        } else {
            self.sink.store(record, std::iter::empty());
        }
    }
}

/// Where a finished call goes: this thread's rings (full) or statistics (summary).
struct Sink {
    /// A panicked call was recorded: the thread's exit must not race the writer.
    panicked: bool,
    mode: u64,
    session: Option<Arc<SessionShared>>,
    thread: Option<Arc<ThreadShared>>,
    record_cursor: Producer,
    detail_cursor: Producer,
}

impl Sink {
    #[inline(always)]
    fn store(&mut self, record: Record, details: impl Iterator<Item = Detail>) {
        match self.mode {
            FULL => self.publish(record, details),
            SUMMARY => {
                let (Some(thread), Some(site)) = (&self.thread, record.site.index()) else {
                    return;
                };
                if let Some(stats) = thread.table_or_insert(site) {
                    stats.record(record.duration_ns, record.self_ns, record.status);
                }
            }
            _ => {}
        }
    }

    #[inline(always)]
    fn publish(&mut self, mut record: Record, details: impl Iterator<Item = Detail>) {
        let (Some(thread), Some(session)) = (&self.thread, &self.session) else {
            return;
        };
        let (Some(records), Some(detail_ring)) = (&thread.records, &thread.details) else {
            return;
        };
        for detail in details {
            if record.details == u16::MAX {
                break;
            }
            if !push(
                detail_ring,
                &mut self.detail_cursor,
                detail,
                session,
                thread,
            ) {
                return;
            }
            record.details += 1;
        }
        if record.status == Status::Panicked {
            // An unwinding thread may be about to die: get its rows to disk now, and again
            // synchronously when it exits (the panic hook ran before this row existed).
            self.panicked = true;
            session.wake_writer();
        }
        push(records, &mut self.record_cursor, record, session, thread);
    }
}

/// Pushes, waking the writer at every quarter of the ring, and waiting for room when the ring is
/// full (nothing recorded is dropped while the session accepts rows).
#[inline(always)]
fn push<T>(
    ring: &Ring<T>,
    cursor: &mut Producer,
    value: T,
    session: &SessionShared,
    thread: &ThreadShared,
) -> bool {
    // SAFETY: this thread's `Local` is the only producer of its rings, through `cursor`.
    match unsafe { ring.try_push(cursor, value) } {
        Ok(head) => {
            if head % (RECORD_RING_CAPACITY / 4) == 0 {
                session.wake_writer();
            }
            true
        }
        Err(value) => push_when_room(ring, cursor, value, session, thread),
    }
}

/// The producer outran the writer. It must not spin or poll: that would take the core from the
/// writer and charge the wait to the calling thread. It parks until half the ring is free.
#[cold]
#[inline(never)]
fn push_when_room<T>(
    ring: &Ring<T>,
    cursor: &mut Producer,
    mut value: T,
    session: &SessionShared,
    thread: &ThreadShared,
) -> bool {
    loop {
        if !session.accepting.load(Ordering::Acquire) {
            return false;
        }
        session.wake_writer();
        thread.wait_for_room(|| ring.len() < ring.capacity());
        // SAFETY: as in `push`.
        match unsafe { ring.try_push(cursor, value) } {
            Ok(_) => return true,
            Err(back) => value = back,
        }
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        if let (Some(thread), Some(session)) = (&self.sink.thread, &self.sink.session) {
            thread.exited.store(true, Ordering::Release);
            if self.sink.panicked {
                // The process may well end as soon as this thread is joined.
                session.flush_patiently(std::time::Duration::from_secs(1), false);
            } else {
                session.wake_writer();
            }
        }
    }
}
