//! A drawing, rendered into a string, and writing it to its file.

use std::path::{Path, PathBuf};

use super::output::write_file;
use crate::error::Error;

/// A chart drawn into a string.
pub struct Chart {
    pub file_name: &'static str,
    pub title: &'static str,
    pub svg: String,
}

pub fn write_chart(dir: &Path, chart: &Chart) -> Result<PathBuf, Error> {
    let path = dir.join(chart.file_name);
    write_file(&path, &chart.svg)?;
    Ok(path)
}
