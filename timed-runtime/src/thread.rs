//! What a recording thread shares with the writer for one session: its rings, and whether it
//! has exited.

use std::sync::atomic::{AtomicBool, Ordering, fence};
use std::thread::Thread;
use std::time::Duration;

use crate::record::{Detail, Record};
use crate::ring::Ring;
use crate::state::Mode;

/// 8192 records of 56 bytes: 448 KiB per recording thread, a few milliseconds of the busiest
/// thread's calls; the producer wakes the writer at every quarter.
pub(crate) const RECORD_RING_CAPACITY: usize = 8192;
const DETAIL_RING_CAPACITY: usize = 4096;

pub(crate) struct ThreadShared {
    /// 1-based, per session; the `thread` column.
    pub index: u32,
    pub name: Option<String>,
    /// Every recorded call, in `summary` mode too: the writer folds the statistics, so the
    /// calling thread only pushes (measured in the overhead benchmark: summary mode's own
    /// per-thread tables cost the caller 21.9 ns a call against 20.0 ns through the ring).
    pub records: Option<Ring<Record>>,
    /// Full mode only: summary mode keeps no details.
    pub details: Option<Ring<Detail>>,
    pub exited: AtomicBool,
    /// The recording thread is parked until its rings are half empty.
    waiting: AtomicBool,
    owner: Thread,
}

impl ThreadShared {
    pub(crate) fn new(index: u32, name: Option<String>, mode: Mode) -> ThreadShared {
        let full = mode == Mode::Full;
        ThreadShared {
            index,
            name,
            records: (mode != Mode::Off).then(|| Ring::with_capacity(RECORD_RING_CAPACITY)),
            details: full.then(|| Ring::with_capacity(DETAIL_RING_CAPACITY)),
            exited: AtomicBool::new(false),
            waiting: AtomicBool::new(false),
            owner: std::thread::current(),
        }
    }

    /// The owner, facing a full ring, parks until the writer has freed half of it (or briefly,
    /// as a safety net). `has_room` re-checks after announcing the wait, so a wake-up between
    /// the check and the park is never lost.
    pub(crate) fn wait_for_room(&self, has_room: impl Fn() -> bool) {
        self.waiting.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        if !has_room() {
            std::thread::park_timeout(Duration::from_millis(10));
        }
        self.waiting.store(false, Ordering::Relaxed);
    }

    /// Called by the writer after consuming: wakes a parked owner once its rings are at most
    /// half full.
    pub(crate) fn wake_if_room(&self) {
        fence(Ordering::SeqCst);
        if !self.waiting.load(Ordering::SeqCst) {
            return;
        }
        let half_empty = |ring_len: usize, capacity: usize| ring_len <= capacity / 2;
        let records = self
            .records
            .as_ref()
            .is_none_or(|ring| half_empty(ring.len(), ring.capacity()));
        let details = self
            .details
            .as_ref()
            .is_none_or(|ring| half_empty(ring.len(), ring.capacity()));
        if records && details && self.waiting.swap(false, Ordering::SeqCst) {
            self.owner.unpark();
        }
    }
}
