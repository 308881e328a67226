//! What was read: each log with its problems, each summary with its checks.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::ingest::dataset::NestingReport;
use crate::ingest::detect::LogFormat;
use crate::ingest::problems::Problem;
use crate::ingest::summary_json::SummaryShape;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FileReport {
    pub path: PathBuf,
    pub stem: String,
    pub format: LogFormat,
    pub bytes: u64,
    pub lines: u64,
    pub rows: u64,
    pub header_lines: u64,
    pub problems_total: u64,
    /// Per problem kind (its label).
    pub problem_counts: BTreeMap<String, u64>,
    pub first_problems: Vec<Problem>,
    pub components: Vec<String>,
    pub nesting: Option<NestingReport>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SummaryReport {
    pub path: PathBuf,
    pub shape: SummaryShape,
    pub component: Option<String>,
    pub matched_component: Option<String>,
    pub operations: usize,
    pub rows_written: Option<u64>,
    pub rows_lost: Option<u64>,
    pub write_errors: Option<u64>,
    pub checks: Vec<String>,
    pub problems_total: u64,
    pub first_problems: Vec<Problem>,
}
