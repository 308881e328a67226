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
    /// Worker threads reading and analysing (0: rayon's global pool, one per core).
    pub threads: usize,
    /// Bottlenecks and recommendations shown in the console summary.
    pub top: usize,
    /// Makes one worker panic, for the tests of what a failed worker does to the report.
    #[doc(hidden)]
    #[serde(skip)]
    pub inject_panic: Option<InjectedPanic>,
}

/// Where [`Options::inject_panic`] makes a worker panic.
#[doc(hidden)]
#[derive(Clone, Debug, PartialEq)]
pub enum InjectedPanic {
    /// The reader of this chunk (0-based, in file order) of every log.
    ReaderChunk(usize),
    /// The statistics of the operations of this name.
    Statistics(String),
    /// The trend and mode fit of the operations of this name.
    Timeline(String),
}

/// The message of an injected panic.
pub const INJECTED_PANIC: &str = "injected panic";

impl Default for Options {
    fn default() -> Self {
        Options {
            thresholds: SeverityThresholds::default(),
            exact_sample_cap: 1_000_000,
            timeline_sample_cap: 4096,
            call_graph_budget: 400_000,
            threads: 0,
            top: 10,
            inject_panic: None,
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
}
