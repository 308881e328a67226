//! `comparison.json`: the comparison as its model serializes (README "analyzer compare").

use std::path::{Path, PathBuf};

use super::output::{create_dir, write_file};
use crate::compare::Comparison;
use crate::error::Error;

pub const COMPARISON_JSON: &str = "comparison.json";

/// The JSON text, pretty-printed. Infinite ratios (a median of 0 on the base side) are
/// `null`.
pub fn render(comparison: &Comparison) -> serde_json::Result<String> {
    serde_json::to_string_pretty(comparison)
}

/// Writes `comparison.json` into `out_dir` (created if needed) and returns its path.
pub fn write(comparison: &Comparison, out_dir: &Path) -> Result<PathBuf, Error> {
    create_dir(out_dir)?;
    let path = out_dir.join(COMPARISON_JSON);
    let text = render(comparison).map_err(|error| Error::Write {
        path: path.clone(),
        source: std::io::Error::other(error),
    })?;
    write_file(&path, text)?;
    Ok(path)
}
