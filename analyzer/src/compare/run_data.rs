//! One side of a comparison: the run's report, and per operation the durations its interval
//! and test are computed from (the analysis's evenly strided timeline sample: every call up
//! to `Options::timeline_sample_cap`, else an even spread of 2048 to 4096 of them, in start
//! order), with the run's manifest and last metrics.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::analysis::analyze;
use crate::error::Error;
use crate::ingest::ingest_dir;
use crate::ingest::interner::OpKey;
use crate::options::Options;
use crate::report::Report;
use crate::runs::RunDir;
use crate::runs::metrics::last_metrics;
use crate::workers::in_pool;

pub struct RunData {
    pub run: RunDir,
    pub report: Report,
    /// Durations (ns) in start order, per operation.
    pub samples: HashMap<OpKey, Vec<u64>>,
    /// The last complete line of the run's `metrics.jsonl`.
    pub metrics: Option<Map<String, Value>>,
}

/// Reads and analyses the run on `options.threads` worker threads.
pub fn read_run(run: RunDir, options: &Options) -> Result<RunData, Error> {
    let (report, samples) = in_pool(options.threads, || -> Result<_, Error> {
        let dataset = ingest_dir(&run.dir, options)?;
        let samples = dataset
            .table
            .keys
            .iter()
            .zip(&dataset.table.ops)
            .filter(|(_, op)| op.count > 0)
            .map(|(key, op)| {
                let durations = op
                    .timeline
                    .strided()
                    .iter()
                    .map(|call| call.duration_ns)
                    .collect();
                (key.clone(), durations)
            })
            .collect();
        Ok((analyze(dataset, options)?, samples))
    })??;
    let metrics = last_metrics(&run.dir)?;
    Ok(RunData {
        run,
        report,
        samples,
        metrics,
    })
}
