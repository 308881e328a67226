//! Per-site statistics in constant memory: exact count, total, self time, min, max and outcome
//! counts, and a histogram for the percentiles.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::histogram::{AtomicHistogram, Histogram};
use crate::record::Status;

/// Statistics owned by one thread at a time (the writer's per-site table, or a merge).
#[derive(Clone, Default)]
pub(crate) struct Stats {
    pub count: u64,
    pub total_ns: u64,
    pub self_ns: u64,
    pub min_ns: u64,
    pub max_ns: u64,
    pub panicked: u64,
    pub cancelled: u64,
    /// Allocated on the first call, so never-called sites cost nothing.
    histogram: Option<Histogram>,
}

impl Stats {
    #[inline]
    pub(crate) fn record(&mut self, duration_ns: u64, self_ns: u64, status: Status) {
        if self.count == 0 || duration_ns < self.min_ns {
            self.min_ns = duration_ns;
        }
        self.max_ns = self.max_ns.max(duration_ns);
        self.count += 1;
        self.total_ns += duration_ns;
        self.self_ns += self_ns;
        match status {
            Status::Ok => {}
            Status::Panicked => self.panicked += 1,
            Status::Cancelled => self.cancelled += 1,
        }
        self.histogram
            .get_or_insert_with(Histogram::new)
            .record(duration_ns);
    }

    pub(crate) fn merge(&mut self, other: &Stats) {
        if other.count == 0 {
            return;
        }
        self.merge_scalars(
            other.count,
            other.total_ns,
            other.self_ns,
            other.min_ns,
            other.max_ns,
            other.panicked,
            other.cancelled,
        );
        if let Some(theirs) = &other.histogram {
            self.histogram
                .get_or_insert_with(Histogram::new)
                .merge(theirs);
        }
    }

    pub(crate) fn merge_atomic(&mut self, other: &AtomicStats) {
        let count = other.count.load(Ordering::Relaxed);
        if count == 0 {
            return;
        }
        self.merge_scalars(
            count,
            other.total_ns.load(Ordering::Relaxed),
            other.self_ns.load(Ordering::Relaxed),
            other.min_ns.load(Ordering::Relaxed),
            other.max_ns.load(Ordering::Relaxed),
            other.panicked.load(Ordering::Relaxed),
            other.cancelled.load(Ordering::Relaxed),
        );
        self.histogram
            .get_or_insert_with(Histogram::new)
            .merge_atomic(&other.histogram);
    }

    #[allow(clippy::too_many_arguments)]
    fn merge_scalars(
        &mut self,
        count: u64,
        total_ns: u64,
        self_ns: u64,
        min_ns: u64,
        max_ns: u64,
        panicked: u64,
        cancelled: u64,
    ) {
        self.min_ns = if self.count == 0 {
            min_ns
        } else {
            self.min_ns.min(min_ns)
        };
        self.max_ns = self.max_ns.max(max_ns);
        self.count += count;
        self.total_ns += total_ns;
        self.self_ns += self_ns;
        self.panicked += panicked;
        self.cancelled += cancelled;
    }

    /// Nearest-rank percentile, `q` in 0..=1; `None` when nothing was recorded.
    pub(crate) fn percentile(&self, q: f64) -> Option<u64> {
        self.histogram
            .as_ref()?
            .percentile(q, self.count, self.min_ns, self.max_ns)
    }
}

/// Statistics updated by one recording thread and read by the writer while that thread runs.
/// Single-writer relaxed load-then-store keeps every update exact without a locked instruction.
/// Made of `AtomicU64`s only: `boxed` makes them from zeroed memory.
pub(crate) struct AtomicStats {
    count: AtomicU64,
    total_ns: AtomicU64,
    self_ns: AtomicU64,
    min_ns: AtomicU64,
    max_ns: AtomicU64,
    panicked: AtomicU64,
    cancelled: AtomicU64,
    histogram: AtomicHistogram,
}

#[inline(always)]
fn add(cell: &AtomicU64, value: u64) {
    cell.store(cell.load(Ordering::Relaxed) + value, Ordering::Relaxed);
}

impl AtomicStats {
    /// Fresh statistics, made in place on the heap (the histogram's counts take 22 KB).
    pub(crate) fn boxed() -> Box<AtomicStats> {
        // SAFETY: `AtomicStats` is made of `AtomicU64`s only (its histogram too), for which
        // all-zero bytes are the value 0.
        let stats = unsafe { Box::<AtomicStats>::new_zeroed().assume_init() };
        stats.min_ns.store(u64::MAX, Ordering::Relaxed);
        stats
    }

    /// Only the owning thread may call this.
    #[inline(always)]
    pub(crate) fn record(&self, duration_ns: u64, self_ns: u64, status: Status) {
        if duration_ns < self.min_ns.load(Ordering::Relaxed) {
            self.min_ns.store(duration_ns, Ordering::Relaxed);
        }
        if duration_ns > self.max_ns.load(Ordering::Relaxed) {
            self.max_ns.store(duration_ns, Ordering::Relaxed);
        }
        add(&self.total_ns, duration_ns);
        add(&self.self_ns, self_ns);
        match status {
            Status::Ok => {}
            Status::Panicked => add(&self.panicked, 1),
            Status::Cancelled => add(&self.cancelled, 1),
        }
        self.histogram.record(duration_ns);
        // Count last: a reader that sees the count sees a consistent-enough record.
        add(&self.count, 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_merges_exact_scalars() {
        let mut a = Stats::default();
        a.record(30, 10, Status::Ok);
        a.record(10, 10, Status::Panicked);
        let b = AtomicStats::boxed();
        b.record(50, 5, Status::Cancelled);
        b.record(20, 20, Status::Ok);
        let mut merged = Stats::default();
        merged.merge(&a);
        merged.merge_atomic(&b);
        assert_eq!(merged.count, 4);
        assert_eq!(merged.total_ns, 110);
        assert_eq!(merged.self_ns, 45);
        assert_eq!((merged.min_ns, merged.max_ns), (10, 50));
        assert_eq!((merged.panicked, merged.cancelled), (1, 1));
        assert_eq!(merged.percentile(0.5), Some(20));
        assert_eq!(merged.percentile(1.0), Some(50));
    }

    #[test]
    fn merging_nothing_keeps_nothing() {
        let mut merged = Stats::default();
        merged.merge(&Stats::default());
        merged.merge_atomic(&AtomicStats::boxed());
        assert_eq!(merged.count, 0);
        assert_eq!(merged.percentile(0.5), None);
    }
}
