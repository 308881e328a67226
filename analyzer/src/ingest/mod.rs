//! Reading a log directory: both log formats, the JSON summaries, and every input problem.

pub mod callgraph;
pub mod chunk;
pub mod dataset;
pub mod detect;
pub mod digits;
pub mod discover;
pub mod interner;
pub mod legacy;
pub mod manifest;
pub mod nesting;
pub mod numbers;
pub mod otlp_calls;
pub mod otlp_json;
pub mod ours;
pub mod problems;
pub mod process;
pub mod rows;
pub mod scan;
pub mod source;
pub mod sources;
pub mod split;
pub mod summary_json;

use std::path::Path;

use crate::error::Error;
use crate::options::Options;
use dataset::Dataset;

/// Reads every `*_timing.log` and `*_timing_summary.json` in `dir`. Fails only when the
/// directory is missing, unreadable or holds no log, or a reader thread fails; bad content
/// becomes input problems.
pub fn ingest_dir(dir: &Path, options: &Options) -> Result<Dataset, Error> {
    let inputs = discover::discover(dir)?;
    let mut dataset = Dataset::new(dir, options);
    for log in &inputs.logs {
        dataset.add_log(log, options)?;
    }
    otlp_calls::add_otlp_files(&mut dataset, &inputs.otlp, options);
    dataset.summaries = inputs
        .summaries
        .iter()
        .map(|path| summary_json::read_summary(path))
        .collect();
    Ok(dataset)
}
