//! The calling thread's side of the recorder: a stack of open calls (for parents and exact self
//! time), a stack of details, and the producer end of this thread's rings.
//!
//! Nothing here locks, allocates or does I/O in steady state: a thread joins the live session
//! once (its first recorded call), then every call is a push and a pop on preallocated stacks
//! plus a ring push (the writer turns records into rows in full mode, statistics in both).
//!
//! # Coming back in
//!
//! The state is reached as `&mut State` through an `UnsafeCell`, and two such references must
//! never be alive at once. The only way to make a second one is to come back into this module on
//! the same thread while the first is held, from code that runs meanwhile. So:
//! - the steady-state paths hold the reference only across code that cannot come back: no
//!   allocation, no deallocation, no user code (a detail is converted before it gets here);
//! - the paths that allocate or free (joining a session, growing a stack, dropping details that
//!   will not be recorded, waiting for ring space) mark the state
//!   `BUSY` first, since a `#[global_allocator]` may itself call timed functions;
//! - every entry point reads the thread's `generation`, a `Cell` beside the `UnsafeCell`,
//!   before taking the reference, and leaves the state alone when it is `BUSY`: a call made
//!   while the state is busy is not recorded.
//!
//! Signal handlers are outside this scheme: a timed function called from one is not supported.
//!
//! # No destructor on the hot thread-local
//!
//! `LOCAL` has no destructor, so reaching it is an address computation: no check that it is
//! alive, no registration on first use (and `try_with` never fails). The thread's exit is
//! `DEPARTURE`'s destructor instead, registered when the thread first joins a session: it tells
//! the writer, frees the state, and leaves the generation `BUSY` for good, so nothing touches the
//! state again (a timed call made by a later destructor is not recorded, as before, when `LOCAL`
//! itself was gone).

use std::cell::{Cell, UnsafeCell};
use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::clock::{self, Tsc};
use crate::detail_value::DetailValue;
use crate::record::{Detail, Record, Status};
use crate::ring::Producer;
use crate::root::RootId;
use crate::shared::{self, SessionShared};
use crate::site::Site;
use crate::state::{self, FULL, OFF, SUMMARY};
use crate::thread::{RECORD_RING_CAPACITY, ThreadShared};

/// `Local::generation` of a thread that has not joined a session (generations count from 1).
const NOT_JOINED: u64 = 0;
/// `Local::generation` while a path that may run other code holds the state. No session gets
/// this generation: there are not that many sessions in a process.
const BUSY: u64 = u64::MAX;

struct Local {
    /// The generation of the session this thread has joined, `NOT_JOINED`, or `BUSY`.
    generation: Cell<u64>,
    /// Not dropped with the thread-local, which then needs no destructor: `depart` empties it.
    state: UnsafeCell<ManuallyDrop<State>>,
}

// Reaching `LOCAL` must stay free of liveness checks.
const _: () = assert!(!std::mem::needs_drop::<Local>());

/// An open call: a sync call's whole extent, one poll of an async call, or a call running on
/// another thread entered through its `CallContext`.
struct Frame {
    call_id: u64,
    start_ticks: u64,
    /// Sum of the converted durations of direct children, so self time is exact.
    child_ns: u64,
    /// Where this call's details start in `State::details`.
    detail_base: u32,
    /// Low bits of the generation of the session the frame was opened in.
    generation: u32,
    root: RootId,
}

struct State {
    frames: Vec<Frame>,
    details: Vec<Detail>,
    /// This thread's block of call ids, `next_call_id..call_id_end`, taken from the session.
    next_call_id: u64,
    call_id_end: u64,
    sink: Sink,
}

impl State {
    /// A thread's state before it joins a session, and after it departs: owns nothing.
    const EMPTY: State = State {
        frames: Vec::new(),
        details: Vec::new(),
        next_call_id: 0,
        call_id_end: 0,
        sink: Sink::EMPTY,
    };
}

thread_local! {
    static LOCAL: Local = const {
        Local {
            generation: Cell::new(NOT_JOINED),
            state: UnsafeCell::new(ManuallyDrop::new(State::EMPTY)),
        }
    };

    /// Touched by a thread's first join, which registers its destructor: the thread's exit.
    static DEPARTURE: Departure = const { Departure };
}

struct Departure;

impl Drop for Departure {
    fn drop(&mut self) {
        let _ = LOCAL.try_with(depart);
    }
}

/// The thread is exiting: tell the writer, free the state, and record nothing more.
#[cold]
fn depart(local: &Local) {
    // Thread-local destructors run after the thread's code has returned, so no entry point is
    // on the stack and the state cannot be BUSY; were it so, leaking beats aliasing.
    if local.generation.get() == BUSY {
        return;
    }
    // For good: no entry point touches the state from now on, and `join` refuses.
    local.generation.set(BUSY);
    // SAFETY: the generation was not BUSY, and is now; the reference ends with the `replace`,
    // before anything is freed.
    let state = std::mem::replace(unsafe { local.state() }, State::EMPTY);
    if let (Some(thread), Some(session)) = (&state.sink.thread, &state.sink.session) {
        thread.exited.store(true, Ordering::Release);
        if state.sink.panicked {
            // The process may well end as soon as this thread is joined.
            session.flush_patiently(std::time::Duration::from_secs(1), false);
        } else {
            session.wake_writer();
        }
    }
}

impl Local {
    /// The thread's state.
    ///
    /// # Safety
    /// The caller read `self.generation` and found it was not `BUSY`, and holds the reference
    /// only across code that cannot call back into this module, or marks the state `Busy`
    /// before running any code that could.
    #[inline(always)]
    #[allow(clippy::mut_from_ref)]
    unsafe fn state(&self) -> &mut State {
        // SAFETY: `Local` is a thread-local, so only this thread ever reaches the cell, through
        // the entry points of this module. Any other reference to the state was made by an entry
        // point further up this thread's stack, and the code running now was called while it was
        // held; by the rules above the holder marked the state `BUSY` before running such code,
        // and the caller found it was not. So no other reference is alive.
        unsafe { &mut *self.state.get() }
    }
}

/// Marks the state busy for its lifetime, then gives the thread back its generation: the one it
/// had, or the one it joined meanwhile.
struct Busy<'a> {
    generation: &'a Cell<u64>,
    restore: u64,
}

impl<'a> Busy<'a> {
    fn mark(generation: &'a Cell<u64>) -> Busy<'a> {
        Busy {
            restore: generation.replace(BUSY),
            generation,
        }
    }
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.generation.set(self.restore);
    }
}

/// A sync call `enter` opened: the thread's state, so that `exit` need not look for it again,
/// and the generation of the session the call belongs to. Held by a guard, which is not `Send`:
/// `exit` runs on the thread that opened the call.
#[derive(Clone, Copy)]
pub(crate) struct Opened {
    local: NonNull<Local>,
    generation: u64,
}

impl Opened {
    #[inline(always)]
    fn new(local: &Local, generation: u64) -> Opened {
        Opened {
            local: NonNull::from(local),
            generation,
        }
    }

    /// The state of the thread the call was opened on.
    #[inline(always)]
    fn local<'a>(self) -> &'a Local {
        // SAFETY: `local` is this thread's `LOCAL` (an `Opened` stays on the thread that made
        // it, in a guard that is not `Send`), which lives at that address, initialised, for as
        // long as the thread runs code (see `local`).
        unsafe { self.local.as_ref() }
    }
}

/// Opens a sync call. `word` is the mode word the guard loaded (not off). `None` when nothing
/// was opened.
#[inline(never)]
pub(crate) fn enter(word: u64) -> Option<Opened> {
    let local = local();
    let generation = state::generation(word);
    if local.generation.get() == generation
        && let Some(tsc) = Tsc::get()
    {
        // SAFETY: the thread's generation is a session's, not BUSY; nothing below allocates
        // (the push is within capacity).
        let state = unsafe { local.state() };
        if state.frames.len() < state.frames.capacity() && state.next_call_id != state.call_id_end {
            open_frame(state, generation, || tsc.now());
            return Some(Opened::new(local, generation));
        }
    }
    enter_slow(word)
}

/// This thread's `Local`, reached without a closure (so the hot paths can end in tail calls).
#[inline(always)]
fn local<'a>() -> &'a Local {
    let local = LOCAL.with(std::ptr::from_ref);
    // SAFETY: `LOCAL` has no destructor: it stays where it is, initialised, until the thread's
    // thread-locals are deallocated, after the last code of the thread has run. `Local` is not
    // `Sync`, so the reference cannot leave the thread; the callers keep it for one call.
    unsafe { &*local }
}

/// `enter` when the thread has not joined the session yet, its stack is full, its block of
/// call ids is used up, or the clock is `Instant`.
#[cold]
#[inline(never)]
fn enter_slow(word: u64) -> Option<Opened> {
    let local = local();
    let generation = state::generation(word);
    if local.generation.get() != generation && !join(local, word) {
        return None;
    }
    // SAFETY: the thread is in the session, so its generation is not BUSY; only `grow`
    // allocates below, and it marks the state busy.
    let state = unsafe { local.state() };
    if state.frames.len() == state.frames.capacity() {
        grow(&local.generation, &mut state.frames);
    }
    if state.next_call_id == state.call_id_end {
        state.refill_call_ids();
    }
    open_frame(state, generation, clock::now);
    Some(Opened::new(local, generation))
}

/// Pushes a call's frame (the stack has room, and the block of ids an id), with `start`'s
/// reading as its start: the clock is read last, so the bookkeeping is not part of the call.
#[inline(always)]
fn open_frame(state: &mut State, generation: u64, start: impl FnOnce() -> u64) {
    let call_id = state.next_call_id;
    state.next_call_id += 1;
    let detail_base = state.details.len() as u32;
    let root = RootId::of(call_id, state.frames.last().map(|parent| parent.root));
    let frames = &mut state.frames;
    let len = frames.len();
    debug_assert!(len < frames.capacity());
    // SAFETY: the caller made sure that `len < capacity`: the slot at `len` is allocated and
    // unused. Each field is written (the start last) before the length covers it.
    unsafe {
        let frame = frames.as_mut_ptr().add(len);
        (&raw mut (*frame).call_id).write(call_id);
        (&raw mut (*frame).child_ns).write(0);
        (&raw mut (*frame).detail_base).write(detail_base);
        (&raw mut (*frame).generation).write(generation as u32);
        (&raw mut (*frame).root).write(root);
        (&raw mut (*frame).start_ticks).write(start());
        frames.set_len(len + 1);
    }
}

/// Closes the innermost sync call, which `enter` opened.
#[inline(never)]
pub(crate) fn exit(site: &'static Site, opened: Opened) {
    match Tsc::get() {
        Some(tsc) => close(site, opened, tsc.now()),
        None => exit_at_instant(site, opened),
    }
}

/// `exit` when the clock is `Instant`.
#[cold]
#[inline(never)]
fn exit_at_instant(site: &'static Site, opened: Opened) {
    close(site, opened, clock::now());
}

/// Pops the innermost frame, which ended at `end`, and records its call.
#[inline(always)]
fn close(site: &'static Site, opened: Opened, end: u64) {
    let local = opened.local();
    if local.generation.get() != opened.generation {
        return exit_stale(local);
    }
    if std::thread::panicking() {
        return close_any(local, site, end, Status::Panicked);
    }
    // SAFETY: the thread's generation is a session's, not BUSY. The fast paths below neither
    // allocate nor free; `close_any` takes the state again (this reference is not used after).
    let state = unsafe { local.state() };
    // Everything the fast path needs is checked before the frame is popped: no details, and room
    // in the record ring. Otherwise `close_any`.
    let Some(frame) = state.frames.last() else {
        return;
    };
    if state.details.len() > frame.detail_base as usize {
        return close_any(local, site, end, Status::Ok);
    }
    if state.sink.records.is_connected() {
        if !state.sink.records.has_room() {
            return close_any(local, site, end, Status::Ok);
        }
        let Some((closed, parent_id, _)) = pop_frame(state, end) else {
            return;
        };
        let record = closed.record(site, parent_id, Status::Ok);
        // SAFETY: `has_room` just found room.
        let head = unsafe { state.sink.records.push(record) };
        if head % (RECORD_RING_CAPACITY / 4) == 0 {
            state.sink.wake_writer();
        }
    } else {
        pop_frame(state, end);
    }
}

/// `close` on every path: with details, when the ring is full, while unwinding (`status`).
#[cold]
#[inline(never)]
fn close_any(local: &Local, site: &'static Site, end: u64, status: Status) {
    // SAFETY: the thread's generation is a session's, not BUSY (`close` checked); the paths
    // with details and the sink's cold paths may allocate or free, and they mark the state busy.
    let state = unsafe { local.state() };
    let Some((closed, parent_id, details)) = pop_frame(state, end) else {
        return;
    };
    let record = closed.record(site, parent_id, status);
    if state.details.len() > details {
        store_with_details(&local.generation, state, record, details);
    } else {
        state.sink.store(&local.generation, record);
    }
}

/// A frame popped: its call's duration is known, and passed on to its parent.
struct Closed {
    call_id: u64,
    root: RootId,
    start_ticks: u64,
    duration_ns: u64,
    child_ns: u64,
}

impl Closed {
    #[inline(always)]
    fn self_ns(&self) -> u64 {
        self.duration_ns.saturating_sub(self.child_ns)
    }

    #[inline(always)]
    fn record(&self, site: &'static Site, parent_id: u64, status: Status) -> Record {
        Record {
            site,
            call_id: self.call_id,
            parent_id,
            root: self.root,
            start_ticks: self.start_ticks,
            duration_ns: self.duration_ns,
            self_ns: self.self_ns(),
            status,
            details: 0,
        }
    }
}

/// Pops the innermost frame, which ended at `end`, charging its duration to its parent's
/// children. Returns it, its parent's call id (0 for none) and where its details start.
#[inline(always)]
fn pop_frame(state: &mut State, end: u64) -> Option<(Closed, u64, usize)> {
    let frame = state.frames.pop()?;
    let duration_ns = clock::ticks_to_ns(end.saturating_sub(frame.start_ticks));
    let parent_id = match state.frames.last_mut() {
        Some(parent) => {
            parent.child_ns += duration_ns;
            parent.call_id
        }
        None => 0,
    };
    let closed = Closed {
        call_id: frame.call_id,
        root: frame.root,
        start_ticks: frame.start_ticks,
        duration_ns,
        child_ns: frame.child_ns,
    };
    Some((closed, parent_id, frame.detail_base as usize))
}

/// `exit` for a call whose session this thread has since left: nothing of it is recorded.
#[cold]
#[inline(never)]
fn exit_stale(local: &Local) {
    if local.generation.get() == BUSY {
        return;
    }
    let _busy = Busy::mark(&local.generation);
    // SAFETY: the generation was not BUSY, and is now: the details dropped here free memory.
    let state = unsafe { local.state() };
    if let Some(frame) = state.frames.pop() {
        state.details.truncate(frame.detail_base as usize);
    }
}

/// Hands a call and its details (the end of `state.details` from `base`) to the sink.
#[inline(never)]
fn store_with_details(generation: &Cell<u64>, state: &mut State, record: Record, base: usize) {
    // Details the session no longer takes are dropped, freeing memory.
    let _busy = Busy::mark(generation);
    let State { details, sink, .. } = state;
    sink.store_with_details(generation, record, details.drain(base..));
}

pub(crate) fn attach_detail(key: &'static str, value: DetailValue) {
    // A value that is not attached comes back out, to be dropped once the state is let go.
    let _unattached = LOCAL.try_with(|local| {
        let generation = local.generation.get();
        if generation == BUSY || generation == NOT_JOINED {
            return Some(value);
        }
        // SAFETY: the generation is a session's, not BUSY; only `grow` allocates below, and it
        // marks the state busy.
        let state = unsafe { local.state() };
        if state.sink.mode != FULL || state.frames.is_empty() {
            return Some(value);
        }
        if state.details.len() == state.details.capacity() {
            grow(&local.generation, &mut state.details);
        }
        state.details.push(Detail { key, value });
        None
    });
}

/// A call that is open on this thread, as other threads may enter it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OpenCall {
    pub call_id: u64,
    pub generation: u64,
    pub root: RootId,
}

/// The innermost open call on this thread, if it belongs to the session the thread is in.
pub(crate) fn current_call() -> Option<OpenCall> {
    if state::mode_bits(state::load()) == OFF {
        return None;
    }
    LOCAL
        .try_with(|local| {
            let generation = local.generation.get();
            if generation == BUSY {
                return None;
            }
            // SAFETY: not BUSY; only reads follow.
            let state = unsafe { local.state() };
            let frame = state.frames.last()?;
            (frame.generation == generation as u32).then_some(OpenCall {
                call_id: frame.call_id,
                generation,
                root: frame.root,
            })
        })
        .ok()
        .flatten()
}

/// Joins `generation`'s session if this thread is not in it yet and it is the live one.
fn join_generation(local: &Local, generation: u64) -> bool {
    if local.generation.get() == generation {
        return true;
    }
    let word = state::load();
    state::generation(word) == generation && state::mode_bits(word) != OFF && join(local, word)
}

/// Opens a frame standing for `call`, running elsewhere: calls made under it name it as their
/// parent; their time is not passed on to it (the frame is dropped, not recorded).
pub(crate) fn enter_context(call: OpenCall) -> bool {
    LOCAL
        .try_with(|local| push_frame(local, call))
        .unwrap_or(false)
}

/// Opens a frame that is not recorded when it closes (a context, or one poll of an async call).
fn push_frame(local: &Local, call: OpenCall) -> bool {
    let OpenCall {
        call_id,
        generation,
        root,
    } = call;
    if !join_generation(local, generation) {
        return false;
    }
    // SAFETY: the thread is in `generation`'s session, so its generation is not BUSY; only
    // `grow` allocates below, and it marks the state busy.
    let state = unsafe { local.state() };
    if state.frames.len() == state.frames.capacity() {
        grow(&local.generation, &mut state.frames);
    }
    let detail_base = state.details.len() as u32;
    state.frames.push(Frame {
        call_id,
        start_ticks: 0,
        child_ns: 0,
        detail_base,
        generation: generation as u32,
        root,
    });
    true
}

/// Closes the frame `enter_context` opened.
pub(crate) fn leave_context() {
    let _ = LOCAL.try_with(|local| {
        if local.generation.get() == BUSY {
            return;
        }
        // SAFETY: not BUSY; the only freeing below is done busy.
        let state = unsafe { local.state() };
        let Some(frame) = state.frames.pop() else {
            return;
        };
        if state.details.len() > frame.detail_base as usize {
            // Details attached under the context itself belong to no recorded call.
            let _busy = Busy::mark(&local.generation);
            state.details.truncate(frame.detail_base as usize);
        }
    });
}

/// An async call between its first poll and its completion. It lives in the future, so it moves
/// across threads with it.
pub(crate) struct AsyncCall {
    call_id: u64,
    parent_id: u64,
    root: RootId,
    start_ticks: u64,
    child_ns: u64,
    generation: u64,
    panicked: bool,
    details: Vec<Detail>,
}

/// Starts an async call at its first poll; `None` when recording is off.
pub(crate) fn begin_async() -> Option<AsyncCall> {
    begin_call(CallParent::Current)
}

/// Whose child a call started with `begin_call` is.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))]
pub(crate) enum CallParent {
    /// The innermost call open on this thread, if any.
    Current,
    /// This call if it belongs to the live session, else none: a parent named explicitly
    /// (a `tracing` span's parent span).
    Explicit(Option<OpenCall>),
}

/// Starts a call that is not a sync call's guard (an async call, a `tracing` span): its id and
/// clock are taken now. `None` when recording is off.
pub(crate) fn begin_call(parent: CallParent) -> Option<AsyncCall> {
    let word = state::load();
    if state::mode_bits(word) == OFF {
        return None;
    }
    LOCAL
        .try_with(|local| {
            let generation = state::generation(word);
            if local.generation.get() != generation && !join(local, word) {
                return None;
            }
            // SAFETY: the generation is a session's, not BUSY; nothing below allocates.
            let state = unsafe { local.state() };
            let call_id = state.take_call_id();
            let parent = match parent {
                CallParent::Current => state.frames.last().map(|parent| OpenCall {
                    call_id: parent.call_id,
                    generation,
                    root: parent.root,
                }),
                CallParent::Explicit(parent) => {
                    parent.filter(|parent| parent.generation == generation)
                }
            };
            Some(AsyncCall {
                call_id,
                parent_id: parent.map_or(0, |parent| parent.call_id),
                root: RootId::of(call_id, parent.map(|parent| parent.root)),
                start_ticks: clock::now(),
                child_ns: 0,
                generation,
                panicked: false,
                details: Vec::new(),
            })
        })
        .ok()
        .flatten()
}

impl AsyncCall {
    /// The call as its children on other threads name it.
    pub(crate) fn open_call(&self) -> OpenCall {
        OpenCall {
            call_id: self.call_id,
            generation: self.generation,
            root: self.root,
        }
    }

    #[cfg(feature = "tracing")]
    /// Starts the call's clock again: a span's call runs from its first enter, not its creation.
    pub(crate) fn restart_clock(&mut self) {
        self.start_ticks = clock::now();
    }

    #[cfg(feature = "tracing")]
    /// The call ran (or ends) while its thread unwound from a panic.
    pub(crate) fn note_unwinding(&mut self) {
        self.panicked |= std::thread::panicking();
    }

    #[cfg(feature = "tracing")]
    /// Sets a detail, replacing an earlier value of the same key.
    pub(crate) fn set_detail(&mut self, key: &'static str, value: DetailValue) {
        match self.details.iter_mut().find(|detail| detail.key == key) {
            Some(detail) => detail.value = value,
            None => self.details.push(Detail { key, value }),
        }
    }
}

/// Makes `call` the current call on this thread until `leave_call`: a `tracing` span entered.
/// Returns whether a frame was opened.
#[cfg(feature = "tracing")]
pub(crate) fn enter_call(call: &AsyncCall) -> bool {
    LOCAL
        .try_with(|local| push_frame(local, call.open_call()))
        .unwrap_or(false)
}

/// Closes `call`'s frame on this thread (the innermost one, or one further down when spans are
/// exited out of order), passing on its children's time and its details.
pub(crate) fn leave_call(call: &mut AsyncCall) {
    call.panicked |= std::thread::panicking();
    let _ = LOCAL.try_with(|local| {
        if local.generation.get() == BUSY {
            return;
        }
        // SAFETY: not BUSY; moving the details may allocate, and is done busy.
        let state = unsafe { local.state() };
        let generation = call.generation as u32;
        let Some(position) = state
            .frames
            .iter()
            .rposition(|frame| frame.call_id == call.call_id && frame.generation == generation)
        else {
            return;
        };
        let frame = state.frames.remove(position);
        call.child_ns += frame.child_ns;
        let base = (frame.detail_base as usize).min(state.details.len());
        let end = state
            .frames
            .get(position)
            .map_or(state.details.len(), |above| above.detail_base as usize)
            .clamp(base, state.details.len());
        if end > base {
            let _busy = Busy::mark(&local.generation);
            call.details.extend(state.details.drain(base..end));
            // The frames above (when exited out of order) keep their own details.
            let moved = (end - base) as u32;
            for above in &mut state.frames[position..] {
                above.detail_base -= moved;
            }
        }
    });
}

/// Makes `call` the current call while it lives (one poll, or the drop of a cancelled call's
/// future), so calls made meanwhile name it as their parent and count towards its children's
/// time.
pub(crate) struct PollScope<'a> {
    call: &'a mut AsyncCall,
    pushed: bool,
}

impl<'a> PollScope<'a> {
    pub(crate) fn enter(call: &'a mut AsyncCall) -> PollScope<'a> {
        // A thread polling the call for the first time joins its session, so calls made in the
        // poll are recorded in it.
        let pushed = LOCAL
            .try_with(|local| push_frame(local, call.open_call()))
            .unwrap_or(false);
        PollScope { call, pushed }
    }
}

impl Drop for PollScope<'_> {
    fn drop(&mut self) {
        if self.pushed {
            leave_call(self.call);
        }
    }
}

/// Records an async call that completed (`completed`) or was dropped before it did.
pub(crate) fn finish_async(site: &'static Site, mut call: AsyncCall, completed: bool) {
    let end = clock::now();
    let status = if call.panicked || (!completed && std::thread::panicking()) {
        Status::Panicked
    } else if completed {
        Status::Ok
    } else {
        Status::Cancelled
    };
    let mut details = std::mem::take(&mut call.details);
    let _ = LOCAL.try_with(|local| {
        // Finished on a thread that has not recorded in this session yet: join it now, unless
        // the call belongs to a session that has ended.
        if !join_generation(local, call.generation) {
            return;
        }
        // SAFETY: the thread is in the call's session, so not BUSY; storing the details is done
        // busy.
        let state = unsafe { local.state() };
        let duration_ns = clock::ticks_to_ns(end.saturating_sub(call.start_ticks));
        let parent_id = match state.frames.last_mut() {
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
            root: call.root,
            start_ticks: call.start_ticks,
            duration_ns,
            self_ns: duration_ns.saturating_sub(call.child_ns),
            status,
            details: 0,
        };
        if details.is_empty() {
            state.sink.store(&local.generation, record);
        } else {
            let _busy = Busy::mark(&local.generation);
            state
                .sink
                .store_with_details(&local.generation, record, details.drain(..));
        }
    });
    // Freed here, with the state let go.
    drop(details);
}

/// Joins the live session (once per thread per session) if it is `word`'s. Cold: runs on a
/// thread's first recorded call and after a new session starts.
#[cold]
#[inline(never)]
fn join(local: &Local, word: u64) -> bool {
    // Joining takes the runtime's locks: not while this thread holds one (it is inside the
    // runtime, and the allocator called back).
    if local.generation.get() == BUSY || shared::holds_lock() {
        return false;
    }
    // Registering allocates, and the previous session's buffers may be freed here.
    let mut busy = Busy::mark(&local.generation);
    let Some(session) = shared::current() else {
        return false;
    };
    if session.generation != state::generation(word) {
        return false;
    }
    // The thread's exit is `DEPARTURE`'s destructor, registered here (once per thread); a thread
    // already past it (a later destructor calling a timed function) does not join.
    if DEPARTURE.try_with(|_| ()).is_err() {
        return false;
    }
    // SAFETY: the generation was not BUSY on entry, and is now.
    let state = unsafe { local.state() };
    let thread = session.register_thread();
    let generation = session.generation;
    let previous = std::mem::replace(&mut state.sink, Sink::joined(session, thread));
    drop(previous);
    state.next_call_id = 0;
    state.call_id_end = 0;
    if state.frames.capacity() == 0 {
        state.frames.reserve(64);
        state.details.reserve(64);
    }
    busy.restore = generation;
    true
}

/// Makes room for at least one more entry.
#[cold]
#[inline(never)]
fn grow<T>(generation: &Cell<u64>, stack: &mut Vec<T>) {
    let _busy = Busy::mark(generation);
    stack.reserve(stack.len().max(64));
}

impl State {
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
}

/// Where a finished call goes: this thread's rings.
struct Sink {
    /// The producer of the thread's record ring, owned by `thread` (full and summary modes);
    /// connected to no ring otherwise. It holds all a push needs, so the hot path loads nothing
    /// else.
    records: Producer<Record>,
    /// A panicked call was recorded: the thread's exit must not race the writer.
    panicked: bool,
    mode: u64,
    session: Option<Arc<SessionShared>>,
    /// Keeps the rings alive: the producers point into them.
    thread: Option<Arc<ThreadShared>>,
    details: Producer<Detail>,
}

impl Sink {
    /// A thread's sink before it joins a session.
    const EMPTY: Sink = Sink {
        records: Producer::none(),
        panicked: false,
        mode: OFF,
        session: None,
        thread: None,
        details: Producer::none(),
    };

    /// The sink of a thread that joined `session` as `thread`.
    fn joined(session: Arc<SessionShared>, thread: Arc<ThreadShared>) -> Sink {
        let mode = session.mode.bits();
        let records = match &thread.records {
            // SAFETY: the ring is `thread`'s, which the sink holds for as long as the producer
            // lives (they are replaced together, on joining a session), and a `ThreadShared`'s
            // fields are never replaced; this thread, whose sink this is, is the only one that
            // pushes to it.
            Some(ring) if mode == FULL || mode == SUMMARY => unsafe { Producer::new(ring) },
            _ => Producer::none(),
        };
        let details = match &thread.details {
            // SAFETY: as for `records`.
            Some(ring) if mode == FULL => unsafe { Producer::new(ring) },
            _ => Producer::none(),
        };
        Sink {
            records,
            panicked: false,
            mode,
            session: Some(session),
            thread: Some(thread),
            details,
        }
    }

    /// A call without details.
    #[inline(always)]
    fn store(&mut self, generation: &Cell<u64>, record: Record) {
        if self.records.is_connected() {
            self.publish(generation, record);
        }
    }

    /// A call with details. The state is busy: details the sink does not take are dropped.
    #[inline(never)]
    fn store_with_details(
        &mut self,
        generation: &Cell<u64>,
        record: Record,
        details: impl Iterator<Item = Detail>,
    ) {
        if self.details.is_connected() {
            self.publish_with_details(generation, record, details);
        } else {
            self.store(generation, record);
        }
    }

    /// `records` is connected: waits for room if need be.
    #[inline(always)]
    fn publish(&mut self, generation: &Cell<u64>, record: Record) {
        if record.status == Status::Panicked {
            self.note_panicked();
        }
        let Sink {
            records,
            session,
            thread,
            ..
        } = self;
        if !records.has_room()
            && !wait_for_room(session.as_deref(), thread.as_deref(), generation, records)
        {
            return;
        }
        // SAFETY: `has_room` (or the wait) just found room.
        let head = unsafe { records.push(record) };
        if head % (RECORD_RING_CAPACITY / 4) == 0 {
            self.wake_writer();
        }
    }

    fn publish_with_details(
        &mut self,
        generation: &Cell<u64>,
        mut record: Record,
        details: impl Iterator<Item = Detail>,
    ) {
        for detail in details {
            if record.details == u16::MAX {
                break;
            }
            let Sink {
                details: producer,
                session,
                thread,
                ..
            } = &mut *self;
            if !producer.has_room()
                && !wait_for_room(session.as_deref(), thread.as_deref(), generation, producer)
            {
                // The details taken so far stay unclaimed: the record is given up too.
                return;
            }
            // SAFETY: `has_room` (or the wait) just found room.
            let head = unsafe { producer.push(detail) };
            if head % (RECORD_RING_CAPACITY / 4) == 0 {
                self.wake_writer();
            }
            record.details += 1;
        }
        self.publish(generation, record);
    }

    #[cold]
    #[inline(never)]
    fn wake_writer(&self) {
        if let Some(session) = &self.session {
            session.wake_writer();
        }
    }

    /// An unwinding thread may be about to die: get its rows to disk now, and again
    /// synchronously when it exits (the panic hook ran before this row existed).
    #[cold]
    #[inline(never)]
    fn note_panicked(&mut self) {
        self.panicked = true;
        self.wake_writer();
    }
}

/// The producer outran the writer. It must not spin or poll: that would take the core from the
/// writer and charge the wait to the calling thread. It parks until half the ring is free. A
/// thread holding one of the runtime's locks (flushing, say, when the allocator records) never
/// waits: the writer may need that lock to free the room. Whether there is room now.
#[cold]
#[inline(never)]
fn wait_for_room<T>(
    session: Option<&SessionShared>,
    thread: Option<&ThreadShared>,
    generation: &Cell<u64>,
    producer: &mut Producer<T>,
) -> bool {
    let (Some(session), Some(thread)) = (session, thread) else {
        return false;
    };
    // Parking may set up this thread's handle.
    let _busy = Busy::mark(generation);
    loop {
        if !session.accepting.load(Ordering::Acquire) || shared::holds_lock() {
            return false;
        }
        session.wake_writer();
        let Some(ring) = producer.ring() else {
            return false;
        };
        thread.wait_for_room(|| ring.len() < ring.capacity());
        if producer.has_room() {
            return true;
        }
    }
}
