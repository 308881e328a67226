//! Reads the timing logs of `timed-runtime` (and of the original Python system) and tells
//! where the time goes and what to change: per-operation statistics, bottlenecks,
//! recommendations, trends, modes, cross-component coordination, charts and an HTML report.
//!
//! ```no_run
//! let analysis = analyzer::analyze_dir("logs".as_ref(), &analyzer::Options::default())?;
//! let report = analysis.write_report("logs".as_ref())?;
//! analysis.write_visualizations("logs".as_ref())?;
//! print!("{}", analysis.console_summary(Some(&report)));
//! # Ok::<(), analyzer::Error>(())
//! ```

pub mod analysis;
pub mod error;
pub mod export;
pub mod ingest;
pub mod options;
pub mod stats;
pub mod units;
pub mod workers;

use std::path::Path;

pub use analysis::Analysis;
pub use error::Error;
pub use options::{Options, SeverityThresholds};

/// The report's file name (the original's).
pub const REPORT_FILE: &str = "performance_analysis_report.json";
/// The folder the charts and `report.html` go to, under the output directory.
pub const VISUALIZATIONS_DIR: &str = "visualizations";

/// Reads and analyses every log in `dir` on `options.threads` worker threads. Fails only on
/// a missing directory, one without `*_timing.log` files, or one that cannot be listed, and
/// when a worker thread fails (the error names the file and bytes, or the operation, it was
/// working on); bad rows are reported, not fatal.
pub fn analyze_dir(dir: &Path, options: &Options) -> Result<Analysis, Error> {
    workers::in_pool(options.threads, || {
        let dataset = ingest::ingest_dir(dir, options)?;
        analysis::analyze(dataset, options)
    })?
}
