//! What a recording thread shares with the writer for one session: its rings (full mode) or
//! its per-site statistics (summary mode), and whether it has exited.

use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering, fence};
use std::thread::Thread;
use std::time::Duration;

use crate::record::{Detail, Record};
use crate::ring::Ring;
use crate::site::MAX_SITES;
use crate::state::Mode;
use crate::stats::AtomicStats;

/// 8192 records of 56 bytes: 448 KiB per recording thread, a few milliseconds of the busiest
/// thread's calls; the producer wakes the writer at every quarter.
pub(crate) const RECORD_RING_CAPACITY: usize = 8192;
const DETAIL_RING_CAPACITY: usize = 4096;

/// Statistics slots come in blocks of this many sites, allocated on a block's first call: sites
/// created at run time get slots without resizing anything the writer may be reading.
const BLOCK: usize = 256;
type Block = [AtomicPtr<AtomicStats>; BLOCK];

pub(crate) struct ThreadShared {
    /// 1-based, per session; the `thread` column.
    pub index: u32,
    pub name: Option<String>,
    pub records: Option<Ring<Record>>,
    pub details: Option<Ring<Detail>>,
    /// One slot per site, by site index in blocks of `BLOCK`: both the block and the slot's
    /// statistics are allocated on first use (summary mode only; empty otherwise).
    tables: Box<[AtomicPtr<Block>]>,
    pub exited: AtomicBool,
    /// The recording thread is parked until its rings are half empty.
    waiting: AtomicBool,
    owner: Thread,
}

impl ThreadShared {
    pub(crate) fn new(index: u32, name: Option<String>, mode: Mode) -> ThreadShared {
        let full = mode == Mode::Full;
        let summary = mode == Mode::Summary;
        ThreadShared {
            index,
            name,
            records: full.then(|| Ring::with_capacity(RECORD_RING_CAPACITY)),
            details: full.then(|| Ring::with_capacity(DETAIL_RING_CAPACITY)),
            tables: (0..if summary { MAX_SITES / BLOCK } else { 0 })
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
        let block = self.tables.get(site / BLOCK)?.load(Ordering::Acquire);
        // SAFETY: a non-null block pointer comes from `Box::into_raw` (`insert_table`), published
        // with a release store that this acquire load pairs with, so the block is initialised;
        // blocks are freed only by `drop`, which `&self` rules out meanwhile.
        let block = unsafe { block.as_ref() }?;
        let pointer = block[site % BLOCK].load(Ordering::Acquire);
        // SAFETY: likewise for the statistics in a non-null slot.
        unsafe { pointer.as_ref() }
    }

    /// The owning thread's view: `None` until `insert_table` for the site (or past `MAX_SITES`).
    /// Only the owning thread stores into its blocks and slots, so relaxed loads see its own
    /// stores.
    #[inline(always)]
    pub(crate) fn own_table(&self, site: usize) -> Option<&AtomicStats> {
        let block = self.tables.get(site / BLOCK)?.load(Ordering::Relaxed);
        // SAFETY: a non-null block pointer comes from `Box::into_raw`, stored by this very thread
        // after initialising the block (program order makes it visible to it); blocks are freed
        // only by `drop`, which `&self` rules out meanwhile.
        let block = unsafe { block.as_ref() }?;
        let pointer = block[site % BLOCK].load(Ordering::Relaxed);
        // SAFETY: likewise for the statistics in a non-null slot.
        unsafe { pointer.as_ref() }
    }

    /// Allocates the statistics of the site's first call on this thread (and their block on the
    /// block's first call). Only the owning thread may call this (it is the only writer of its
    /// blocks and slots).
    #[cold]
    pub(crate) fn insert_table(&self, site: usize) -> Option<&AtomicStats> {
        let block_slot = self.tables.get(site / BLOCK)?;
        if block_slot.load(Ordering::Relaxed).is_null() {
            let block: Box<Block> =
                Box::new(std::array::from_fn(
                    |_| AtomicPtr::new(std::ptr::null_mut()),
                ));
            block_slot.store(Box::into_raw(block), Ordering::Release);
        }
        // SAFETY: the block pointer is non-null now, from `Box::into_raw` above or earlier (by
        // this thread), and is freed only by `drop`, which `&self` rules out.
        let block = unsafe { &*block_slot.load(Ordering::Relaxed) };
        let slot = &block[site % BLOCK];
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
        for block_slot in self.tables.iter_mut() {
            let block = *block_slot.get_mut();
            if block.is_null() {
                continue;
            }
            // SAFETY: a non-null block slot holds a pointer from `Box::into_raw` in
            // `insert_table`, stored once; `&mut self` means no reference from `table` or
            // `own_table` is still alive, and this is the only place that frees it.
            let mut block = unsafe { Box::from_raw(block) };
            for slot in block.iter_mut() {
                let pointer = *slot.get_mut();
                if !pointer.is_null() {
                    // SAFETY: as for the block: from `Box::into_raw`, stored once, freed here
                    // only, and no reference to it outlives `&mut self`.
                    drop(unsafe { Box::from_raw(pointer) });
                }
            }
        }
    }
}
