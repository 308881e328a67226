//! What a recording thread shares with the writer for one session: its rings (full mode) or
//! its per-site statistics (summary mode), and whether it has exited.

use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering, fence};
use std::thread::Thread;
use std::time::Duration;

use crate::record::{Detail, Record};
use crate::ring::Ring;
use crate::state::Mode;
use crate::stats::AtomicStats;

/// 8192 records of 56 bytes: 448 KiB per recording thread, a few milliseconds of the busiest
/// thread's calls; the producer wakes the writer at every quarter.
pub(crate) const RECORD_RING_CAPACITY: usize = 8192;
const DETAIL_RING_CAPACITY: usize = 4096;

pub(crate) struct ThreadShared {
    /// 1-based, per session; the `thread` column.
    pub index: u32,
    pub name: Option<String>,
    pub records: Option<Ring<Record>>,
    pub details: Option<Ring<Detail>>,
    /// One slot per site, allocated on the site's first call on this thread.
    pub tables: Box<[AtomicPtr<AtomicStats>]>,
    pub exited: AtomicBool,
    /// The recording thread is parked until its rings are half empty.
    waiting: AtomicBool,
    owner: Thread,
}

impl ThreadShared {
    pub(crate) fn new(index: u32, name: Option<String>, mode: Mode, sites: usize) -> ThreadShared {
        let full = mode == Mode::Full;
        let summary = mode == Mode::Summary;
        ThreadShared {
            index,
            name,
            records: full.then(|| Ring::with_capacity(RECORD_RING_CAPACITY)),
            details: full.then(|| Ring::with_capacity(DETAIL_RING_CAPACITY)),
            tables: (0..if summary { sites } else { 0 })
                .map(|_| AtomicPtr::new(std::ptr::null_mut()))
                .collect(),
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

    /// The statistics this thread keeps for `site`, if it has called it: the writer's view.
    pub(crate) fn table(&self, site: usize) -> Option<&AtomicStats> {
        let pointer = self.tables.get(site)?.load(Ordering::Acquire);
        // SAFETY: a non-null slot holds a pointer from `Box::into_raw` (`insert_table`),
        // published with a release store that this acquire load pairs with, so the statistics
        // are initialised; they are freed only by `drop`, which `&self` rules out meanwhile.
        unsafe { pointer.as_ref() }
    }

    /// The owning thread's view: `None` until `insert_table` for the site (or if the site has no
    /// slot). Only the owning thread stores into its slots, so a relaxed load sees its own store.
    #[inline(always)]
    pub(crate) fn own_table(&self, site: usize) -> Option<&AtomicStats> {
        let pointer = self.tables.get(site)?.load(Ordering::Relaxed);
        // SAFETY: a non-null slot holds a pointer from `Box::into_raw` that this very thread
        // stored after initialising the statistics (program order makes them visible to it);
        // they are freed only by `drop`, which `&self` rules out meanwhile.
        unsafe { pointer.as_ref() }
    }

    /// Allocates the statistics of the site's first call on this thread. Only the owning thread
    /// may call this (it is the only writer of its slots).
    #[cold]
    pub(crate) fn insert_table(&self, site: usize) -> Option<&AtomicStats> {
        let slot = self.tables.get(site)?;
        if slot.load(Ordering::Relaxed).is_null() {
            slot.store(
                Box::into_raw(Box::new(AtomicStats::new())),
                Ordering::Release,
            );
        }
        self.own_table(site)
    }
}

impl Drop for ThreadShared {
    fn drop(&mut self) {
        for slot in self.tables.iter_mut() {
            let pointer = *slot.get_mut();
            if !pointer.is_null() {
                // SAFETY: a non-null slot holds a pointer from `Box::into_raw` in `insert_table`,
                // stored once; `&mut self` means no `&AtomicStats` from `table` is still alive,
                // and this is the only place that frees it.
                drop(unsafe { Box::from_raw(pointer) });
            }
        }
    }
}
