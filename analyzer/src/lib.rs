//! Reads the timing logs of `timed-runtime` (and of the original Python system) and tells
//! where the time goes and what to change: per-operation statistics, bottlenecks,
//! recommendations, trends, modes, cross-component coordination, charts and an HTML report.
//!
//! The data flows one way: [`ingest`] reads the logs into a dataset, [`analysis`] turns it
//! into one typed [`Report`], and each module of [`export`] renders the report.
//!
//! ```no_run
//! use analyzer::export::{console, html, json};
//!
//! let report = analyzer::analyze_dir("logs".as_ref(), &analyzer::Options::default())?;
//! let written = json::write(&report, "logs".as_ref())?; // performance_analysis_report.json
//! html::write(&report, "logs".as_ref())?; // visualizations/*.svg and report.html
//! print!("{}", console::render(&report, Some(&written)));
//! # Ok::<(), analyzer::Error>(())
//! ```

pub mod analysis;
pub mod error;
pub mod export;
pub mod ingest;
pub mod options;
pub mod report;
pub mod stats;
pub mod units;
pub mod workers;

use std::path::Path;

pub use error::Error;
pub use export::html::VISUALIZATIONS_DIR;
pub use export::json::REPORT_FILE;
pub use ingest::sources::Sources;
pub use options::{Options, SeverityThresholds};
pub use report::Report;

/// Reads and analyses every log in `dir` on `options.threads` worker threads. Fails only on
/// a missing directory, one without `*_timing.log` files, or one that cannot be listed, and
/// when a worker thread fails (the error names the file and bytes, or the operation, it was
/// working on); bad rows are reported, not fatal.
pub fn analyze_dir(dir: &Path, options: &Options) -> Result<Report, Error> {
    workers::in_pool(options.threads, || {
        let dataset = ingest::ingest_dir(dir, options)?;
        analysis::analyze(dataset, options)
    })?
}

/// As [`analyze_dir`], over several inputs merged into one report: log directories (one
/// process each: their threads and call ids kept apart) and OTLP JSON trace files.
pub fn analyze_sources(sources: &Sources, options: &Options) -> Result<Report, Error> {
    workers::in_pool(options.threads, || {
        let dataset = ingest::sources::ingest_sources(sources, options)?;
        analysis::analyze(dataset, options)
    })?
}
