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

/// Statistics slots come in blocks of this many sites: the first block lives in the thread's
/// shared state (the linked-in sites of most programs: one load per call, as a flat table), the
/// others are allocated on their first call, so sites created at run time get slots without
/// resizing anything the writer may be reading.
const BLOCK: usize = 256;
type Block = [AtomicPtr<AtomicStats>; BLOCK];

pub(crate) struct ThreadShared {
    /// 1-based, per session; the `thread` column.
    pub index: u32,
    pub name: Option<String>,
    pub records: Option<Ring<Record>>,
    pub details: Option<Ring<Detail>>,
    /// The slots of sites `0..BLOCK`, each's statistics allocated on first use (used in summary
    /// mode only).
    first: Block,
    /// The blocks of the sites from `BLOCK` on, allocated on first use (summary mode only; empty
    /// otherwise).
    more: Box<[AtomicPtr<Block>]>,
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
            first: std::array::from_fn(|_| AtomicPtr::new(std::ptr::null_mut())),
            more: (0..if summary { MAX_SITES / BLOCK - 1 } else { 0 })
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

    /// The slot of `site`: in `first`, or in its block of `more` if that block exists (loaded
    /// with `order`). `None` past `MAX_SITES` or before the block's first call.
    #[inline(always)]
    fn slot(&self, site: usize, order: Ordering) -> Option<&AtomicPtr<AtomicStats>> {
        if site < BLOCK {
            return Some(&self.first[site]);
        }
        let block = self.more.get(site / BLOCK - 1)?.load(order);
        // SAFETY: a non-null block pointer comes from `Box::into_raw` (`insert_table`), stored
        // once, after the block was initialised: by this thread (program order) when the caller
        // is the owner, or published with a release store that an acquire `order` pairs with
        // when it is the writer. Blocks are freed only by `drop`, which `&self` rules out.
        let block = unsafe { block.as_ref() }?;
        Some(&block[site % BLOCK])
    }

    /// The statistics this thread keeps for `site`, if it has called it: the writer's view.
    pub(crate) fn table(&self, site: usize) -> Option<&AtomicStats> {
        let pointer = self.slot(site, Ordering::Acquire)?.load(Ordering::Acquire);
        // SAFETY: a non-null slot holds a pointer from `Box::into_raw` (`insert_table`),
        // published with a release store that this acquire load pairs with, so the statistics
        // are initialised; they are freed only by `drop`, which `&self` rules out meanwhile.
        unsafe { pointer.as_ref() }
    }

    /// The owning thread's view: `None` until `insert_table` for the site (or past `MAX_SITES`).
    /// Only the owning thread stores into its blocks and slots, so relaxed loads see its own
    /// stores.
    #[inline(always)]
    pub(crate) fn own_table(&self, site: usize) -> Option<&AtomicStats> {
        let pointer = self.slot(site, Ordering::Relaxed)?.load(Ordering::Relaxed);
        // SAFETY: a non-null slot holds a pointer from `Box::into_raw` that this very thread
        // stored after initialising the statistics (program order makes them visible to it);
        // they are freed only by `drop`, which `&self` rules out meanwhile.
        unsafe { pointer.as_ref() }
    }

    /// Allocates the statistics of the site's first call on this thread (and their block on the
    /// block's first call). Only the owning thread may call this (it is the only writer of its
    /// blocks and slots).
    #[cold]
    pub(crate) fn insert_table(&self, site: usize) -> Option<&AtomicStats> {
        if site >= BLOCK {
            let block_slot = self.more.get(site / BLOCK - 1)?;
            if block_slot.load(Ordering::Relaxed).is_null() {
                let block: Box<Block> =
                    Box::new(std::array::from_fn(
                        |_| AtomicPtr::new(std::ptr::null_mut()),
                    ));
                block_slot.store(Box::into_raw(block), Ordering::Release);
            }
        }
        let slot = self.slot(site, Ordering::Relaxed)?;
        if slot.load(Ordering::Relaxed).is_null() {
            slot.store(Box::into_raw(AtomicStats::boxed()), Ordering::Release);
        }
        self.own_table(site)
    }
}

/// Frees the statistics in a block's slots.
fn free_block(block: &mut Block) {
    for slot in block.iter_mut() {
        let pointer = *slot.get_mut();
        if !pointer.is_null() {
            // SAFETY: a non-null slot holds a pointer from `Box::into_raw` in `insert_table`,
            // stored once; the caller has the block by `&mut`, so no reference from `table` or
            // `own_table` is still alive, and this is the only place that frees it.
            drop(unsafe { Box::from_raw(pointer) });
        }
    }
}

impl Drop for ThreadShared {
    fn drop(&mut self) {
        free_block(&mut self.first);
        for block_slot in self.more.iter_mut() {
            let block = *block_slot.get_mut();
            if block.is_null() {
                continue;
            }
            // SAFETY: a non-null block slot holds a pointer from `Box::into_raw` in
            // `insert_table`, stored once; `&mut self` means no reference from `table` or
            // `own_table` is still alive, and this is the only place that frees it.
            let mut block = unsafe { Box::from_raw(block) };
            free_block(&mut block);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Status;

    #[test]
    fn statistics_slots_cover_every_site_index_in_blocks() {
        let thread = ThreadShared::new(1, None, Mode::Summary);
        for site in [0, BLOCK - 1, BLOCK, 3 * BLOCK + 7, MAX_SITES - 1] {
            assert!(thread.own_table(site).is_none(), "{site}");
            assert!(thread.table(site).is_none(), "{site}");
            thread
                .insert_table(site)
                .expect("a slot for every index below MAX_SITES")
                .record(site as u64 + 1, 1, Status::Ok);
            let mut seen = crate::stats::Stats::default();
            seen.merge_atomic(thread.table(site).expect("the writer sees it"));
            assert_eq!((seen.count, seen.total_ns), (1, site as u64 + 1), "{site}");
        }
        // A neighbour in an allocated block is still empty.
        assert!(thread.table(3 * BLOCK + 8).is_none());
        assert!(thread.insert_table(MAX_SITES).is_none());
        // What `Site::table_index` gives a site without an index.
        assert!(thread.insert_table(u32::MAX as usize).is_none());
        assert!(thread.own_table(u32::MAX as usize).is_none());
        assert!(thread.table(MAX_SITES).is_none());
    }
}
