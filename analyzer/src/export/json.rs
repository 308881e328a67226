//! `performance_analysis_report.json`: the report's document (README "Report schema"),
//! pretty-printed.

use std::path::{Path, PathBuf};

use super::output::{create_dir, write_file};
use crate::error::Error;
use crate::report::Report;

/// The report file's name (the original's).
pub const REPORT_FILE: &str = "performance_analysis_report.json";

/// The JSON text; `report_file` is its `report_file` key (where it is written, if it is).
/// Fails only on a path that is not UTF-8.
pub fn render(report: &Report, report_file: Option<&Path>) -> serde_json::Result<String> {
    serde_json::to_string_pretty(&report.document(report_file))
}

/// Writes `performance_analysis_report.json` into `out_dir` (created if needed) and returns
/// its path.
pub fn write(report: &Report, out_dir: &Path) -> Result<PathBuf, Error> {
    create_dir(out_dir)?;
    let path = out_dir.join(REPORT_FILE);
    let text = render(report, Some(&path)).map_err(|error| Error::Write {
        path: path.clone(),
        source: std::io::Error::other(error),
    })?;
    write_file(&path, text)?;
    Ok(path)
}
