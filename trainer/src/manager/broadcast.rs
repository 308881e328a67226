//! The metrics stream: one JSON object per line in `<log-dir>/metrics.jsonl`, for a live view
//! to tail (the dashboard gets the same fields from the run's observer, right after the line is
//! written). Each line goes to the file in one write, so a reader never sees half a line unless
//! the process dies mid-write.

use super::metrics::IterationMetrics;
use crate::error::RunError;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const METRICS_FILE: &str = "metrics.jsonl";

#[derive(Debug)]
pub struct MetricsStream {
    path: PathBuf,
    file: File,
    line: Vec<u8>,
}

impl MetricsStream {
    /// Creates `path` (its directory too); `append` keeps existing lines (a resumed run
    /// continues its stream), otherwise the file starts empty.
    pub fn open(path: &Path, append: bool) -> Result<Self, RunError> {
        let fail = |source| RunError::Metrics {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        let mut options = OpenOptions::new();
        options.create(true);
        if append {
            options.append(true);
        } else {
            options.write(true).truncate(true);
        }
        let file = options.open(path).map_err(fail)?;
        Ok(MetricsStream {
            path: path.to_path_buf(),
            file,
            line: Vec::with_capacity(1024),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line and hands it to the OS. Returns the line's length in bytes.
    pub fn send(&mut self, metrics: &IterationMetrics) -> Result<usize, RunError> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, metrics)
            .expect("metrics serialise to JSON: only numbers, strings and maps with number keys");
        self.line.push(b'\n');
        self.file
            .write_all(&self.line)
            .and_then(|()| self.file.flush())
            .map_err(|source| RunError::Metrics {
                path: self.path.clone(),
                source,
            })?;
        Ok(self.line.len())
    }
}
