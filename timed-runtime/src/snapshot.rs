//! The live session's statistics, in process: what the summaries say, as values.

use std::time::Duration;

use crate::histogram::RELATIVE_ERROR;
use crate::shared;
use crate::site::{Site, site_table};

/// One instrumented site's statistics so far in the live session.
#[derive(Clone, Debug)]
pub struct OperationStats {
    pub site: &'static Site,
    pub count: u64,
    pub panicked: u64,
    pub cancelled: u64,
    pub total: Duration,
    /// Total minus the time spent in timed calls made directly from these calls.
    pub self_time: Duration,
    pub min: Option<Duration>,
    pub max: Option<Duration>,
    pub mean: Option<Duration>,
    /// Percentiles are within `histogram_relative_error` of the exact nearest-rank values.
    pub median: Option<Duration>,
    pub p95: Option<Duration>,
    pub p99: Option<Duration>,
}

/// Statistics of every registered site, after taking in everything recorded so far (which also
/// writes pending rows). Empty when no session is live.
pub fn snapshot() -> Vec<OperationStats> {
    let Some(session) = shared::current() else {
        return Vec::new();
    };
    let sites = site_table();
    let statistics = session.statistics();
    sites
        .into_iter()
        .zip(statistics)
        .map(|(site, stats)| {
            let nanos = Duration::from_nanos;
            let recorded = |value: u64| (stats.count > 0).then(|| nanos(value));
            OperationStats {
                site,
                count: stats.count,
                panicked: stats.panicked,
                cancelled: stats.cancelled,
                total: nanos(stats.total_ns),
                self_time: nanos(stats.self_ns),
                min: recorded(stats.min_ns),
                max: recorded(stats.max_ns),
                mean: recorded(stats.total_ns / stats.count.max(1)),
                median: stats.percentile(0.5).map(nanos),
                p95: stats.percentile(0.95).map(nanos),
                p99: stats.percentile(0.99).map(nanos),
            }
        })
        .collect()
}

/// The bound on the relative error of reported percentiles.
pub fn histogram_relative_error() -> f64 {
    RELATIVE_ERROR
}
