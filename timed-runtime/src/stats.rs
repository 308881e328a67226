//! Per-site statistics in constant memory: exact count, total, self time, min, max and outcome
//! counts, and a histogram for the percentiles.

use crate::histogram::Histogram;
use crate::record::Status;

/// A site's statistics, kept by the writer from the records it drains (or a merge of them).
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
        self.min_ns = if self.count == 0 {
            other.min_ns
        } else {
            self.min_ns.min(other.min_ns)
        };
        self.max_ns = self.max_ns.max(other.max_ns);
        self.count += other.count;
        self.total_ns += other.total_ns;
        self.self_ns += other.self_ns;
        self.panicked += other.panicked;
        self.cancelled += other.cancelled;
        if let Some(theirs) = &other.histogram {
            self.histogram
                .get_or_insert_with(Histogram::new)
                .merge(theirs);
        }
    }

    /// Nearest-rank percentile, `q` in 0..=1; `None` when nothing was recorded.
    pub(crate) fn percentile(&self, q: f64) -> Option<u64> {
        self.histogram
            .as_ref()?
            .percentile(q, self.count, self.min_ns, self.max_ns)
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
        let mut b = Stats::default();
        b.record(50, 5, Status::Cancelled);
        b.record(20, 20, Status::Ok);
        let mut merged = Stats::default();
        merged.merge(&a);
        merged.merge(&b);
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
        assert_eq!(merged.count, 0);
        assert_eq!(merged.percentile(0.5), None);
    }
}
