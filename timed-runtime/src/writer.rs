//! The writer: takes every thread's published records, formats them as rows of their
//! component's log, and keeps the per-site statistics of full mode. It runs on the background
//! thread and, for an explicit flush, on the flushing thread (one at a time, under a lock).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use crate::clock::Epoch;
use crate::config::Config;
use crate::details::Detail;
use crate::error::Error;
use crate::record::Record;
use crate::ring::Ring;
use crate::row::{self, Row, SiteText};
use crate::session::SessionShared;
use crate::site::Site;
use crate::stats::Stats;
use crate::thread::ThreadShared;
use crate::timestamp::TimestampFormatter;

/// Rows are written to the file in chunks of about this size.
const WRITE_CHUNK: usize = 1 << 20;

/// One component's log file and summary.
pub(crate) struct Output {
    pub component: String,
    pub log_path: PathBuf,
    pub summary_path: PathBuf,
    file: Option<File>,
    buffer: Vec<u8>,
    pending_rows: u64,
    pub rows_written: u64,
    pub rows_lost: u64,
    pub write_errors: u64,
    pub last_error: Option<String>,
    /// The last failed write stopped inside a row.
    torn: bool,
}

impl Output {
    fn open(config: &Config, component: &str) -> Result<Output, Error> {
        let stems = config.stems_for(component)?;
        let log_path = config.dir.join(format!("{}_timing.log", stems.log));
        let summary_path = config
            .dir
            .join(format!("{}_timing_summary.json", stems.summary));
        let mut options = OpenOptions::new();
        options.create(true);
        if config.append {
            options.append(true);
        } else {
            options.write(true).truncate(true);
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
        if empty || !config.append {
            output.buffer.extend_from_slice(row::HEADER.as_bytes());
        }
        output.write_pending().map_err(|source| Error::Write {
            path: output.log_path.clone(),
            source,
        })?;
        Ok(output)
    }

    /// Hands the buffered rows to the OS. A failed write loses the rows it did not complete
    /// (counted), never the program: the buffer is cleared either way so memory stays bounded on
    /// a failing disk. A row torn by a failure is closed with a newline at the next successful
    /// write, so it cannot swallow the row after it.
    fn write_pending(&mut self) -> io::Result<()> {
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
}

pub(crate) struct WriterState {
    pub outputs: Vec<Output>,
    site_output: Vec<usize>,
    site_text: Vec<SiteText>,
    /// Full mode's statistics, by site index.
    pub stats: Vec<Stats>,
    /// Summary mode's statistics of threads that have exited, by site index.
    pub retired: Vec<Stats>,
    pub thread_names: BTreeMap<u32, Option<String>>,
    timestamps: TimestampFormatter,
    details_text: String,
    details_field: Vec<u8>,
    /// Something was recorded since the summaries were last written.
    pub changed: bool,
}

impl WriterState {
    /// Opens (and truncates, unless appending) one log per component: every component that has
    /// a site, and every component the configuration names.
    pub(crate) fn open(config: &Config, sites: &[&'static Site]) -> Result<WriterState, Error> {
        let components: BTreeSet<&str> = sites
            .iter()
            .map(|site| site.component())
            .chain(config.stems.keys().map(String::as_str))
            .collect();
        let outputs = components
            .iter()
            .map(|component| Output::open(config, component))
            .collect::<Result<Vec<_>, _>>()?;
        let site_output = sites
            .iter()
            .map(|site| {
                outputs
                    .iter()
                    .position(|output| output.component == site.component())
                    .unwrap_or(0)
            })
            .collect();
        Ok(WriterState {
            outputs,
            site_output,
            site_text: sites
                .iter()
                .map(|site| SiteText::new(site.name(), site.phase(), site.component()))
                .collect(),
            stats: vec![Stats::default(); sites.len()],
            retired: vec![Stats::default(); sites.len()],
            thread_names: BTreeMap::new(),
            timestamps: TimestampFormatter::new(),
            details_text: String::new(),
            details_field: Vec::new(),
            changed: false,
        })
    }

    /// A state with no files, for sessions in `off` mode.
    pub(crate) fn empty() -> WriterState {
        WriterState {
            outputs: Vec::new(),
            site_output: Vec::new(),
            site_text: Vec::new(),
            stats: Vec::new(),
            retired: Vec::new(),
            thread_names: BTreeMap::new(),
            timestamps: TimestampFormatter::new(),
            details_text: String::new(),
            details_field: Vec::new(),
            changed: false,
        }
    }

    /// Takes everything every thread has published, and retires threads that have exited.
    pub(crate) fn drain(&mut self, session: &SessionShared) {
        for thread in session.threads_snapshot() {
            // Read before draining: whatever an exited thread pushed is then visible.
            let exited = thread.exited.load(Ordering::Acquire);
            self.thread_names
                .entry(thread.index)
                .or_insert_with(|| thread.name.clone());
            self.drain_rings(&thread, &session.epoch);
            if exited {
                self.retire(&thread);
                session.forget_thread(&thread);
            }
        }
    }

    fn drain_rings(&mut self, thread: &ThreadShared, epoch: &Epoch) {
        let (Some(records), Some(details)) = (&thread.records, &thread.details) else {
            return;
        };
        const BATCH: usize = 1024;
        loop {
            // SAFETY: the writer lock makes this the only consumer.
            let taken = unsafe {
                records.consume(BATCH, |record| {
                    self.write_record(thread.index, record, details, epoch);
                })
            };
            thread.wake_if_room();
            if taken < BATCH {
                break;
            }
        }
    }

    fn write_record(&mut self, thread: u32, record: Record, details: &Ring<Detail>, epoch: &Epoch) {
        self.details_field.clear();
        if record.details > 0 {
            self.format_details(record.details, details);
        }
        let Some(site) = record.site.index() else {
            return;
        };
        self.changed = true;
        self.stats[site].record(record.duration_ns, record.self_ns, record.status);
        let start_ns = epoch.since(record.start_ticks);
        let status_line = row::status_line(record.status);
        let row = Row {
            end_unix_ns: epoch.unix_ns + start_ns + record.duration_ns,
            site: &self.site_text[site],
            duration_ns: record.duration_ns,
            details: &self.details_field,
            thread,
            call_id: record.call_id,
            parent_id: record.parent_id,
            self_ns: record.self_ns,
            start_ns,
            status_line: status_line.0,
            status_len: status_line.1,
        };
        let output = &mut self.outputs[self.site_output[site]];
        row.write(&mut self.timestamps, &mut output.buffer);
        output.pending_rows += 1;
        if output.buffer.len() >= WRITE_CHUNK {
            let _ = output.write_pending();
        }
    }

    fn format_details(&mut self, count: u16, details: &Ring<Detail>) {
        let text = &mut self.details_text;
        text.clear();
        // SAFETY: the writer lock makes this the only consumer; a record's details were
        // published before the record.
        unsafe {
            details.consume(usize::from(count), |detail| {
                if !text.is_empty() {
                    text.push_str(", ");
                }
                let _ = write!(text, "{}={}", detail.key, detail.value);
            })
        };
        row::push_field(&mut self.details_field, text);
    }

    fn retire(&mut self, thread: &ThreadShared) {
        for (site, retired) in self.retired.iter_mut().enumerate() {
            if let Some(table) = thread.table(site) {
                retired.merge_atomic(table);
            }
        }
    }

    /// Writes buffered rows to every log; the first failure is returned (all are counted).
    pub(crate) fn write_files(&mut self) -> Result<(), Error> {
        let mut first_error = None;
        for output in &mut self.outputs {
            if let Err(source) = output.write_pending() {
                first_error.get_or_insert(Error::Write {
                    path: output.log_path.clone(),
                    source,
                });
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    pub(crate) fn close_files(&mut self) {
        for output in &mut self.outputs {
            output.file = None;
        }
    }
}
