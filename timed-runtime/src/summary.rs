//! Each component's JSON summary (`<stem>_timing_summary.json`), rendered from the statistics,
//! the outputs' counters and the session's facts it is handed.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::atomic::write_atomically;
use crate::clock::ClockKind;
use crate::error::Error;
use crate::histogram::RELATIVE_ERROR;
use crate::output::Output;
use crate::site::Site;
use crate::state::Mode;
use crate::stats::Stats;
use crate::timestamp::TimestampFormatter;

/// What the summaries say about the session as a whole.
pub(crate) struct SessionFacts {
    pub mode: Mode,
    pub clock: ClockKind,
    /// Since the session started.
    pub elapsed: Duration,
    /// When the summaries are written.
    pub now_unix_ns: u64,
    /// The OTLP export's counters, when calls are exported.
    pub otlp: Option<OtlpCounts>,
}

/// What became of the spans exported over OTLP, process-wide.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct OtlpCounts {
    /// Taken by the collector.
    pub exported: u64,
    /// Given up: the queue was full, the retries ran out, the collector refused them, or the
    /// session ended before they could be sent.
    pub dropped: u64,
    /// Requests that failed (each failed attempt counts).
    pub errors: u64,
}

/// What the summaries are made of: statistics by site index (as `sites`), and the names of the
/// threads by their `thread` column.
pub(crate) struct SummaryInput<'a> {
    pub facts: SessionFacts,
    /// The run's id, as in its manifest.
    pub run_id: &'a str,
    /// What the program attached to the run (`Config::metadata`, `Session::metadata`).
    pub metadata: &'a BTreeMap<String, serde_json::Value>,
    pub sites: &'a [&'static Site],
    pub stats: &'a [Stats],
    pub outputs: &'a [Output],
    pub thread_names: &'a BTreeMap<u32, Option<String>>,
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

#[derive(Serialize)]
struct ComponentSummary<'a> {
    component: &'a str,
    run_id: &'a str,
    generated_at: String,
    mode: &'static str,
    clock: &'static str,
    session_ms: f64,
    histogram_relative_error: f64,
    rows_written: u64,
    rows_lost: u64,
    write_errors: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    otlp_exported: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    otlp_dropped: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    otlp_errors: Option<u64>,
    threads: BTreeMap<String, Option<&'a str>>,
    metadata: &'a BTreeMap<String, serde_json::Value>,
    operations: BTreeMap<&'static str, OperationSummary>,
}

#[derive(Serialize)]
struct OperationSummary {
    phase: &'static str,
    component: &'static str,
    count: u64,
    panicked: u64,
    cancelled: u64,
    total_ms: f64,
    self_ms: f64,
    min_ms: Option<f64>,
    max_ms: Option<f64>,
    avg_ms: Option<f64>,
    median_ms: Option<f64>,
    p95_ms: Option<f64>,
    p99_ms: Option<f64>,
    sites: Vec<SiteLocation>,
}

#[derive(Serialize)]
struct SiteLocation {
    module_path: &'static str,
    file: &'static str,
    line: u32,
    phase: &'static str,
}

impl OperationSummary {
    fn new(site: &'static Site) -> OperationSummary {
        OperationSummary {
            phase: site.phase(),
            component: site.component(),
            count: 0,
            panicked: 0,
            cancelled: 0,
            total_ms: 0.0,
            self_ms: 0.0,
            min_ms: None,
            max_ms: None,
            avg_ms: None,
            median_ms: None,
            p95_ms: None,
            p99_ms: None,
            sites: Vec::new(),
        }
    }

    fn fill(&mut self, stats: &Stats) {
        self.count = stats.count;
        self.panicked = stats.panicked;
        self.cancelled = stats.cancelled;
        self.total_ms = ms(stats.total_ns);
        self.self_ms = ms(stats.self_ns);
        if stats.count > 0 {
            self.min_ms = Some(ms(stats.min_ns));
            self.max_ms = Some(ms(stats.max_ns));
            self.avg_ms = Some(ms(stats.total_ns) / stats.count as f64);
            self.median_ms = stats.percentile(0.5).map(ms);
            self.p95_ms = stats.percentile(0.95).map(ms);
            self.p99_ms = stats.percentile(0.99).map(ms);
        }
    }
}

/// Writes each output's summary, listing every site of its component (count 0 for those never
/// called); sites sharing a name are merged under it. Every summary is attempted; the first
/// failure is returned.
pub(crate) fn write_summaries(input: &SummaryInput<'_>) -> Result<(), Error> {
    let generated_at = TimestampFormatter::new().format(input.facts.now_unix_ns);
    let threads: BTreeMap<String, Option<&str>> = input
        .thread_names
        .iter()
        .map(|(index, name)| (index.to_string(), name.as_deref()))
        .collect();
    let mut first_error = None;
    for output in input.outputs {
        let mut operations: BTreeMap<&'static str, (OperationSummary, Stats)> = BTreeMap::new();
        for (site, stats) in input.sites.iter().zip(input.stats) {
            if site.component() != output.component {
                continue;
            }
            let (operation, merged) = operations
                .entry(site.name())
                .or_insert_with(|| (OperationSummary::new(site), Stats::default()));
            merged.merge(stats);
            operation.sites.push(SiteLocation {
                module_path: site.module_path(),
                file: site.file(),
                line: site.line(),
                phase: site.phase(),
            });
        }
        let summary = ComponentSummary {
            component: &output.component,
            run_id: input.run_id,
            generated_at: generated_at.clone(),
            mode: input.facts.mode.as_str(),
            clock: input.facts.clock.as_str(),
            session_ms: input.facts.elapsed.as_nanos() as f64 / 1e6,
            histogram_relative_error: RELATIVE_ERROR,
            rows_written: output.rows_written,
            rows_lost: output.rows_lost,
            write_errors: output.write_errors,
            otlp_exported: input.facts.otlp.map(|otlp| otlp.exported),
            otlp_dropped: input.facts.otlp.map(|otlp| otlp.dropped),
            otlp_errors: input.facts.otlp.map(|otlp| otlp.errors),
            threads: threads.clone(),
            metadata: input.metadata,
            operations: operations
                .into_iter()
                .map(|(name, (mut operation, merged))| {
                    operation.fill(&merged);
                    (name, operation)
                })
                .collect(),
        };
        let written = serde_json::to_vec_pretty(&summary)
            .map_err(std::io::Error::from)
            .and_then(|text| write_atomically(&output.summary_path, &text));
        if let Err(source) = written {
            first_error.get_or_insert(Error::Write {
                path: output.summary_path.clone(),
                source,
            });
        }
    }
    first_error.map_or(Ok(()), Err)
}
