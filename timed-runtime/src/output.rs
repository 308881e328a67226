//! One component's log file: rows buffered and handed to the OS in large writes, and every row
//! that a failing disk did not take counted, never fatal.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;

use crate::error::Error;
use crate::row;

/// Rows are written to the file in chunks of about this size.
pub(crate) const WRITE_CHUNK: usize = 1 << 20;

/// One component's log file and where its summary goes.
pub(crate) struct Output {
    pub component: String,
    pub log_path: PathBuf,
    pub summary_path: PathBuf,
    file: Option<File>,
    /// Formatted rows not yet handed to the OS.
    pub buffer: Vec<u8>,
    /// How many rows `buffer` holds.
    pub pending_rows: u64,
    pub rows_written: u64,
    pub rows_lost: u64,
    pub write_errors: u64,
    pub last_error: Option<String>,
    /// The last failed write stopped inside a row.
    torn: bool,
}

impl Output {
    /// Creates the log, or opens it for appending, and writes the header to a new or empty
    /// one. Unless appending, the log must not exist: the session moved the earlier run's log
    /// away first, and a log is never truncated (a reader may have it mapped into memory).
    pub(crate) fn open(
        component: &str,
        log_path: PathBuf,
        summary_path: PathBuf,
        append: bool,
    ) -> Result<Output, Error> {
        let mut options = OpenOptions::new();
        if append {
            options.create(true).append(true);
        } else {
            options.create_new(true).write(true);
        }
        let file = options.open(&log_path).map_err(|source| Error::Open {
            path: log_path.clone(),
            source,
        })?;
        let empty = file.metadata().map(|m| m.len() == 0).unwrap_or(true);
        let mut output = Output {
            component: component.to_owned(),
            log_path,
            summary_path,
            file: Some(file),
            buffer: Vec::with_capacity(WRITE_CHUNK + 4096),
            pending_rows: 0,
            rows_written: 0,
            rows_lost: 0,
            write_errors: 0,
            last_error: None,
            torn: false,
        };
        if empty || !append {
            output.buffer.extend_from_slice(row::HEADER.as_bytes());
        }
        output.write_pending().map_err(|source| Error::Write {
            path: output.log_path.clone(),
            source,
        })?;
        Ok(output)
    }

    /// The output of a component whose log could not be opened while recording: its rows are
    /// counted as lost, and the error reported with them.
    pub(crate) fn failed(component: &str, dir: &std::path::Path, error: &Error) -> Output {
        let path = |suffix: &str| match error {
            Error::Open { path, .. } | Error::Write { path, .. } => path.clone(),
            _ => dir.join(format!("{component}{suffix}")),
        };
        Output {
            component: component.to_owned(),
            log_path: path("_timing.log"),
            summary_path: dir.join(format!("{component}_timing_summary.json")),
            file: None,
            buffer: Vec::new(),
            pending_rows: 0,
            rows_written: 0,
            rows_lost: 0,
            write_errors: 1,
            last_error: Some(crate::error::ErrorChain(error).to_string()),
            torn: false,
        }
    }

    /// Hands the buffered rows to the OS. A failed write loses the rows it did not complete
    /// (counted), never the program: the buffer is cleared either way so memory stays bounded on
    /// a failing disk. A row torn by a failure is closed with a newline at the next successful
    /// write, so it cannot swallow the row after it.
    pub(crate) fn write_pending(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let Some(file) = &mut self.file else {
            self.rows_lost += self.pending_rows;
            self.buffer.clear();
            self.pending_rows = 0;
            return Err(io::Error::other("the log file is closed"));
        };
        if self.torn {
            if let Err(error) = file.write_all(b"\n") {
                return Err(self.lose_pending(0, error));
            }
            self.torn = false;
        }
        let mut written = 0;
        while written < self.buffer.len() {
            match file.write(&self.buffer[written..]) {
                Ok(0) => {
                    let error = io::Error::new(io::ErrorKind::WriteZero, "the disk took no bytes");
                    return Err(self.lose_pending(written, error));
                }
                Ok(n) => written += n,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(self.lose_pending(written, error)),
            }
        }
        self.rows_written += self.pending_rows;
        self.buffer.clear();
        self.pending_rows = 0;
        Ok(())
    }

    /// Accounts for a write that stopped after `written` bytes of the buffer.
    fn lose_pending(&mut self, written: usize, error: io::Error) -> io::Error {
        let complete = self.buffer[..written]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        // The header, when still in the buffer, is not a row.
        let header = u64::from(self.buffer.starts_with(row::HEADER.as_bytes()));
        let complete_rows = complete.saturating_sub(header).min(self.pending_rows);
        self.rows_written += complete_rows;
        self.rows_lost += self.pending_rows - complete_rows;
        self.torn = written > 0 && self.buffer[written - 1] != b'\n';
        self.write_errors += 1;
        self.last_error = Some(error.to_string());
        self.buffer.clear();
        self.pending_rows = 0;
        error
    }

    /// Closes the file: rows arriving later are counted as lost.
    pub(crate) fn close(&mut self) {
        self.file = None;
    }
}
