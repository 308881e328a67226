//! A bounded, consistent sample of the call tree for the cross-component and waiting analyses.
//!
//! The sampling unit is a block of time: the session's clock is cut into blocks of
//! 2^[`BLOCK_BITS`] ns (about 1.07 s) and a block is in the sample when a hash of its index
//! falls under a threshold. A call that lies inside one block is kept when its block is; a call
//! that crosses a block boundary is always kept. A child runs within its parent's interval, so:
//! - a coordinating call inside a sampled block is kept with its whole subtree, on every thread,
//!   whichever file, chunk or thread logged the rows (the decision needs no other row);
//! - every call that runs during a sampled block is kept, and so is its chain of ancestors,
//!   so a long call (crossing blocks) is analysed exactly on its sampled blocks.
//!
//! When the sample outgrows its budget the threshold halves and the calls of dropped blocks go.
//! Calls crossing a boundary are not dropped: there are at most (concurrently open calls) per
//! boundary, which bounds them by the run's length rather than its number of rows.

/// Blocks are 2^30 ns long: longer than a typical coordinating call (an iteration of a
/// training loop), so most of them fall inside one block and are sampled whole.
pub const BLOCK_BITS: u32 = 30;

/// Blocks scanned at most for one call's sampled parts (2^16 blocks: about 19.5 hours).
pub const MAX_BLOCKS_SCANNED: u64 = 1 << 16;

/// Where a block ends (the clock's end for the last block).
fn block_end(block: u64) -> u64 {
    if block >= u64::MAX >> BLOCK_BITS {
        u64::MAX
    } else {
        (block + 1) << BLOCK_BITS
    }
}

/// One call as the call graph needs it. `key` is the operation id (chunk-local while reading).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallRecord {
    pub call_id: u64,
    pub parent_id: u64,
    pub key: u32,
    pub thread: u32,
    pub start_ns: u64,
    pub duration_ns: u64,
    /// The logged self time (duration minus the direct children on the call's own thread).
    pub self_ns: i64,
}

impl CallRecord {
    #[inline]
    pub fn end_ns(&self) -> u64 {
        self.start_ns.saturating_add(self.duration_ns)
    }

    /// The block that holds the whole call, or `None` when the call crosses a block boundary.
    #[inline]
    pub fn block(&self) -> Option<u64> {
        let first = self.start_ns >> BLOCK_BITS;
        let last = self.end_ns().max(self.start_ns + 1).saturating_sub(1) >> BLOCK_BITS;
        (first == last).then_some(first)
    }
}

#[derive(Clone, Debug)]
pub struct CallGraphSample {
    threshold: u64,
    budget: usize,
    /// Every kept call.
    pub calls: Vec<CallRecord>,
    /// The last block a recorded call fell in and whether it is kept: consecutive rows
    /// nearly always share their block, so its hash is computed once per block.
    last_block: (u64, bool),
}

/// No block: block indices are below 2^34.
const NO_BLOCK: u64 = u64::MAX;

/// SplitMix64's finaliser: block indices are sequential, so they need mixing before sampling.
#[inline]
fn mix(index: u64) -> u64 {
    let mut z = index.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl CallGraphSample {
    pub fn new(budget: usize) -> Self {
        CallGraphSample {
            threshold: u64::MAX,
            budget: budget.max(2),
            calls: Vec::new(),
            last_block: (NO_BLOCK, false),
        }
    }

    #[inline]
    fn block_kept(&self, block: u64) -> bool {
        mix(block) <= self.threshold
    }

    #[cfg(test)]
    fn keeps(&self, call: &CallRecord) -> bool {
        call.block().is_none_or(|block| self.block_kept(block))
    }

    #[inline]
    pub fn record(&mut self, call: CallRecord) {
        let kept = match call.block() {
            None => true,
            Some(block) if block == self.last_block.0 => self.last_block.1,
            Some(block) => {
                let kept = self.block_kept(block);
                self.last_block = (block, kept);
                kept
            }
        };
        if kept {
            self.calls.push(call);
            if self.calls.len() > self.budget && self.threshold > 0 {
                self.lower_threshold(self.threshold / 2);
            }
        }
    }

    fn lower_threshold(&mut self, threshold: u64) {
        self.threshold = self.threshold.min(threshold);
        self.last_block = (NO_BLOCK, false);
        let threshold = self.threshold;
        self.calls
            .retain(|call| call.block().is_none_or(|block| mix(block) <= threshold));
    }

    /// The most calls kept before the sample thins out.
    pub fn budget(&self) -> usize {
        self.budget
    }

    /// The fraction of time blocks the sample keeps (1.0 when nothing was dropped).
    pub fn fraction(&self) -> f64 {
        if self.threshold == u64::MAX {
            1.0
        } else {
            (self.threshold as f64 + 1.0) / 2f64.powi(64)
        }
    }

    pub fn is_complete(&self) -> bool {
        self.threshold == u64::MAX
    }

    /// The parts of `[start, end)` that lie in sampled blocks, in order. A kept call that fits
    /// in one block is wholly sampled. Past [`MAX_BLOCKS_SCANNED`] blocks (a corrupt duration,
    /// or a call of more than 19 hours) the rest of the call counts as not sampled.
    pub fn sampled_parts(&self, start: u64, end: u64) -> Vec<(u64, u64)> {
        if end <= start {
            return Vec::new();
        }
        if self.is_complete() {
            return vec![(start, end)];
        }
        let first = start >> BLOCK_BITS;
        let last = ((end - 1) >> BLOCK_BITS).min(first.saturating_add(MAX_BLOCKS_SCANNED - 1));
        let mut parts: Vec<(u64, u64)> = Vec::new();
        for block in (first..=last).filter(|&block| self.block_kept(block)) {
            let from = (block << BLOCK_BITS).max(start);
            let to = block_end(block).min(end);
            match parts.last_mut() {
                Some(last) if last.1 == from => last.1 = to,
                _ => parts.push((from, to)),
            }
        }
        parts
    }

    /// Renumbers operation keys (chunk-local ids to global ones).
    pub fn remap_keys(&mut self, global_ids: &[u32]) {
        for call in &mut self.calls {
            call.key = global_ids[call.key as usize];
        }
    }

    pub fn merge(&mut self, other: CallGraphSample) {
        self.lower_threshold(other.threshold);
        let threshold = self.threshold;
        self.calls.extend(
            other
                .calls
                .into_iter()
                .filter(|call| call.block().is_none_or(|block| mix(block) <= threshold)),
        );
        while self.calls.len() > self.budget && self.threshold > 0 {
            self.lower_threshold(self.threshold / 2);
        }
    }
}

/// A call from `start_ns` to `end_ns`, for the analyses' tests.
#[cfg(test)]
pub(crate) fn test_call(
    call_id: u64,
    parent_id: u64,
    key: u32,
    thread: u32,
    start_ns: u64,
    end_ns: u64,
) -> CallRecord {
    CallRecord {
        call_id,
        parent_id,
        key,
        thread,
        start_ns,
        duration_ns: end_ns - start_ns,
        self_ns: (end_ns - start_ns) as i64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOCK: u64 = 1 << BLOCK_BITS;

    fn record(
        call_id: u64,
        parent_id: u64,
        thread: u32,
        start_ns: u64,
        duration_ns: u64,
    ) -> CallRecord {
        CallRecord {
            call_id,
            parent_id,
            key: 0,
            thread,
            start_ns,
            duration_ns,
            self_ns: duration_ns as i64,
        }
    }

    #[test]
    fn a_call_has_a_block_only_when_it_fits_in_one() {
        assert_eq!(record(1, 0, 1, 5, 10).block(), Some(0));
        assert_eq!(record(1, 0, 1, BLOCK - 10, 10).block(), Some(0));
        assert_eq!(record(1, 0, 1, BLOCK - 10, 11).block(), None);
        assert_eq!(record(1, 0, 1, 3 * BLOCK, 0).block(), Some(3));
    }

    #[test]
    fn keeps_everything_within_budget() {
        let mut sample = CallGraphSample::new(100);
        sample.record(record(1, 0, 1, 0, 10));
        sample.record(record(2, 1, 2, 2, 5));
        assert_eq!(sample.calls.len(), 2);
        assert_eq!(sample.fraction(), 1.0);
        assert_eq!(sample.sampled_parts(0, 3 * BLOCK), [(0, 3 * BLOCK)]);
    }

    /// One simulated run: `roots` iterations of 300 ms on thread 1, each with two children on
    /// thread 1 and four grandchildren on worker threads 2 and 3, and one call spanning the
    /// whole run. Rows arrive children first, like the runtime writes them.
    fn run(roots: u64) -> Vec<CallRecord> {
        let mut calls = Vec::new();
        let span = roots * 300_000_000;
        let mut id = 1;
        for root in 0..roots {
            let start = root * 300_000_000 + 1_000;
            let root_id = id;
            id += 1;
            let mut rows = Vec::new();
            for half in 0..2u64 {
                let child_id = id;
                id += 1;
                let child_start = start + half * 140_000_000;
                for worker in 0..4u64 {
                    rows.push(record(
                        id,
                        child_id,
                        2 + (worker % 2) as u32,
                        child_start + worker * 30_000_000,
                        25_000_000,
                    ));
                    id += 1;
                }
                rows.push(record(child_id, root_id, 1, child_start, 130_000_000));
            }
            rows.push(record(root_id, 1_000_000_000, 1, start, 290_000_000));
            calls.extend(rows);
        }
        calls.push(record(1_000_000_000, 0, 1, 0, span + 10_000));
        calls
    }

    #[test]
    fn sampling_keeps_whole_subtrees_and_every_ancestor() {
        let all = run(400);
        let mut sample = CallGraphSample::new(1_000);
        for &call in &all {
            sample.record(call);
        }
        let fraction = sample.fraction();
        assert!(fraction < 0.5, "{fraction}");
        assert!(sample.calls.len() <= 1_000);
        let kept: std::collections::HashSet<u64> =
            sample.calls.iter().map(|call| call.call_id).collect();
        // Exactly the calls inside a sampled block, and those crossing a block boundary;
        // so every call that runs during a sampled block.
        let expected: Vec<u64> = all
            .iter()
            .filter(|call| call.block().is_none_or(|block| sample.block_kept(block)))
            .map(|call| call.call_id)
            .collect();
        assert_eq!(kept.len(), expected.len());
        assert!(expected.iter().all(|id| kept.contains(id)));
        assert!(
            all.iter()
                .filter(|call| !sample
                    .sampled_parts(call.start_ns, call.end_ns())
                    .is_empty())
                .all(|call| kept.contains(&call.call_id))
        );
        // The run-long call crosses blocks: always kept.
        assert!(kept.contains(&1_000_000_000));
        let by_id: std::collections::HashMap<u64, &CallRecord> =
            all.iter().map(|call| (call.call_id, call)).collect();
        let mut whole_roots = 0;
        for call in &sample.calls {
            // Every ancestor of a kept call is kept.
            let mut parent = call.parent_id;
            while parent != 0 {
                assert!(kept.contains(&parent), "{call:?}");
                parent = by_id[&parent].parent_id;
            }
            // A kept iteration inside one block keeps all of its six descendants.
            if call.parent_id == 1_000_000_000 && call.block().is_some() {
                whole_roots += 1;
                let children: Vec<u64> = all
                    .iter()
                    .filter(|c| c.parent_id == call.call_id)
                    .map(|c| c.call_id)
                    .collect();
                assert_eq!(children.len(), 2);
                for child in children {
                    assert!(kept.contains(&child));
                    let grandchildren = all.iter().filter(|c| c.parent_id == child);
                    assert_eq!(grandchildren.clone().count(), 4);
                    assert!(grandchildren.into_iter().all(|c| kept.contains(&c.call_id)));
                }
            }
        }
        assert!(whole_roots > 0);
    }

    #[test]
    fn sampled_parts_cut_a_long_call_at_dropped_blocks() {
        let mut sample = CallGraphSample::new(10);
        sample.lower_threshold(u64::MAX / 2);
        let kept: Vec<bool> = (0..8).map(|block| sample.block_kept(block)).collect();
        let mut expected: Vec<(u64, u64)> = Vec::new();
        for (block, &is_kept) in kept.iter().enumerate() {
            if !is_kept {
                continue;
            }
            let from = (block as u64 * BLOCK).max(100);
            let to = ((block as u64 + 1) * BLOCK).min(8 * BLOCK - 100);
            match expected.last_mut() {
                Some(last) if last.1 == from => last.1 = to,
                _ => expected.push((from, to)),
            }
        }
        assert!(kept.contains(&true) && kept.contains(&false), "{kept:?}");
        assert_eq!(sample.sampled_parts(100, 8 * BLOCK - 100), expected);
    }

    #[test]
    fn merging_applies_the_lower_threshold_to_both() {
        let all = run(200);
        let (first, second) = all.split_at(all.len() / 2);
        let mut small = CallGraphSample::new(100_000);
        let mut big = CallGraphSample::new(300);
        first.iter().for_each(|&call| small.record(call));
        second.iter().for_each(|&call| big.record(call));
        assert_eq!(small.fraction(), 1.0);
        let threshold = big.threshold;
        assert!(threshold < u64::MAX);
        small.merge(big);
        assert_eq!(small.threshold, threshold);
        let expected = all.iter().filter(|call| small.keeps(call)).count();
        assert_eq!(small.calls.len(), expected);
    }
}
