//! Everything a caller can tune: severity thresholds (the original's defaults), memory bounds
//! and parallelism.

use serde::Serialize;

use crate::stats::accumulator::Limits;

/// When an operation counts as a bottleneck, and how severe (see README "How severity is
/// decided").
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SeverityThresholds {
    /// Own work per call above which severity is high (the original: 500 ms of mean duration).
    pub high_ms: f64,
    /// ... medium (the original: 100 ms).
    pub medium_ms: f64,
    /// ... low (the original: 50 ms).
    pub low_ms: f64,
    /// Share of the run's own work (self time minus waiting, all components) from which
    /// severity is high.
    pub high_share: f64,
    pub medium_share: f64,
    pub low_share: f64,
}

impl Default for SeverityThresholds {
    fn default() -> Self {
        SeverityThresholds {
            high_ms: 500.0,
            medium_ms: 100.0,
            low_ms: 50.0,
            high_share: 0.25,
            medium_share: 0.10,
            low_share: 0.05,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Options {
    pub thresholds: SeverityThresholds,
    /// Durations kept exactly per operation; beyond, percentiles come from a histogram.
    pub exact_sample_cap: usize,
    /// Calls per operation kept for trends, clustering and charts.
    pub timeline_sample_cap: usize,
    /// Calls kept per chunk in the call-graph sample (waiting and cross-component analyses).
    pub call_graph_budget: usize,
    /// Reader threads (0: one per available core).
    pub threads: usize,
    /// Bottlenecks and recommendations shown in the console summary.
    pub top: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            thresholds: SeverityThresholds::default(),
            exact_sample_cap: 1_000_000,
            timeline_sample_cap: 4096,
            call_graph_budget: 400_000,
            threads: 0,
            top: 10,
        }
    }
}

impl Options {
    pub fn limits(&self) -> Limits {
        Limits {
            exact_cap: self.exact_sample_cap,
            timeline_cap: self.timeline_sample_cap,
        }
    }

    pub fn reader_threads(&self) -> usize {
        if self.threads > 0 {
            self.threads
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        }
    }
}
