//! A log's rows one at a time, in file order, in bounded memory, with every field (the
//! details too): for the trace export, which writes each call as it reads it. The file is
//! read through a window with `read` (never mapped: a file truncated meanwhile ends the
//! stream early, it cannot fault the reader); rows are cut with the analysis's own parsers,
//! so the rows accepted and rejected are the report's.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::chunk::{blank_line_length, is_header_or_banner, next_line};
use super::detect::{LogFormat, detect};
use super::discover::stem;
use super::legacy::{self, RowKind};
use super::numbers::{TimestampCache, parse_timestamp_us};
use super::ours::{RowParser, Text};
use super::scan::Structurals;
use crate::stats::accumulator::Status;

/// Bytes ahead of the current row kept in the window; a longer row widens it.
pub const LOOKAHEAD: usize = 1 << 20;
/// A row longer than this is taken as it parses within this many bytes (a problem row): the
/// window never grows past it, whatever the file holds.
pub const MAX_ROW: usize = 64 << 20;
/// Bytes read at once.
const READ_BLOCK: usize = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowType {
    /// A completed call.
    Call,
    /// A point in time (the original's `EVENT_x` rows).
    Event,
}

/// One row, its text fields unescaped. Reused from row to row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRow {
    pub kind: RowType,
    pub component: String,
    pub operation: String,
    pub phase: String,
    pub details: String,
    /// 0 where the log does not say (the original's format).
    pub thread: u32,
    /// 0 where the log has no call ids (the original's format).
    pub call_id: u64,
    /// 0 for a root call, or without parent links.
    pub parent_id: u64,
    /// Our format: nanoseconds since the session started. The original's: nanoseconds since
    /// the epoch (its END row's time minus the duration).
    pub start_ns: i64,
    pub duration_ns: u64,
    pub status: Status,
}

impl LogRow {
    fn empty() -> LogRow {
        LogRow {
            kind: RowType::Call,
            component: String::new(),
            operation: String::new(),
            phase: String::new(),
            details: String::new(),
            thread: 0,
            call_id: 0,
            parent_id: 0,
            start_ns: 0,
            duration_ns: 0,
            status: Status::Ok,
        }
    }

    pub fn end_ns(&self) -> i64 {
        self.start_ns
            .saturating_add(i64::try_from(self.duration_ns).unwrap_or(i64::MAX))
    }
}

fn set_text(target: &mut String, text: Text, scratch: &mut Vec<u8>) {
    target.clear();
    target.push_str(&String::from_utf8_lossy(text.bytes(scratch)));
}

fn set_bytes(target: &mut String, bytes: &[u8]) {
    target.clear();
    target.push_str(&String::from_utf8_lossy(bytes));
}

pub struct RowStream {
    path: PathBuf,
    file: File,
    format: LogFormat,
    stem: String,
    buf: Vec<u8>,
    /// Where the unread part of `buf` starts.
    start: usize,
    eof: bool,
    ahead: usize,
    clock: TimestampCache,
    scratch: Vec<u8>,
    /// The row [`RowStream::next_row`] read last.
    pub row: LogRow,
    /// Rows read (of every kind, the original's START rows too).
    pub rows: u64,
    /// Lines that are not rows: bad rows, blank lines, torn last lines.
    pub problems: u64,
    /// The original's banner time (`Started at ...`), microseconds since the epoch.
    pub banner_us: Option<i64>,
}

impl RowStream {
    pub fn open(path: &Path) -> io::Result<RowStream> {
        let mut stream = RowStream {
            path: path.to_path_buf(),
            file: File::open(path)?,
            format: LogFormat::Empty,
            stem: stem(path),
            buf: Vec::new(),
            start: 0,
            eof: false,
            ahead: LOOKAHEAD,
            clock: TimestampCache::default(),
            scratch: Vec::new(),
            row: LogRow::empty(),
            rows: 0,
            problems: 0,
            banner_us: None,
        };
        stream.fill()?;
        stream.format = detect(&stream.buf).0;
        stream.banner_us = banner_time_us(&stream.buf);
        Ok(stream)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn format(&self) -> LogFormat {
        self.format
    }

    /// Reads until `ahead` bytes are unread or the file ends, dropping what was read.
    fn fill(&mut self) -> io::Result<()> {
        if self.buf.len() - self.start >= self.ahead || self.eof {
            return Ok(());
        }
        self.buf.drain(..self.start);
        self.start = 0;
        while self.buf.len() < self.ahead && !self.eof {
            let filled = self.buf.len();
            self.buf
                .resize(filled + READ_BLOCK.max(self.ahead - filled), 0);
            let read = loop {
                match self.file.read(&mut self.buf[filled..]) {
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                    other => break other,
                }
            };
            self.buf.truncate(filled + *read.as_ref().unwrap_or(&0));
            match read {
                Ok(0) => self.eof = true,
                Ok(_) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// Widens the window past a row that ran into its end; false when it may not grow.
    fn widen(&mut self) -> bool {
        let unread = self.buf.len() - self.start;
        if self.eof || unread >= MAX_ROW {
            return false;
        }
        self.ahead = (unread * 2).min(MAX_ROW);
        true
    }

    fn consume(&mut self, bytes: usize) {
        self.start += bytes;
        self.ahead = LOOKAHEAD;
    }

    /// Reads the next call or event into [`RowStream::row`]; false at the end of the file.
    /// Lines that are not rows are counted in [`RowStream::problems`] and skipped.
    pub fn next_row(&mut self) -> io::Result<bool> {
        loop {
            self.fill()?;
            let rest = &self.buf[self.start..];
            if rest.is_empty() {
                return Ok(false);
            }
            if let Some(length) = blank_line_length(rest) {
                self.problems += 1;
                self.consume(length);
                continue;
            }
            let whole_line = memchr::memchr(b'\n', rest).is_some();
            let header = is_header_or_banner(rest);
            if !whole_line && self.widen() {
                continue;
            }
            if header {
                let next = next_line(&self.buf[self.start..], 0);
                self.consume(next);
                continue;
            }
            let read = match self.format {
                LogFormat::Legacy => self.legacy_row(),
                // `detect` never takes a `*_timing.log` for OTLP JSON (those files are found by
                // name and read whole by `otlp_json`).
                LogFormat::Ours | LogFormat::Otlp | LogFormat::Empty => self.our_row(),
            };
            match read {
                Outcome::Row => return Ok(true),
                Outcome::Skipped => {}
                Outcome::NeedsMore => {
                    if !self.widen() {
                        // Cannot happen: a row that may grow was taken as it parsed.
                        return Ok(false);
                    }
                }
            }
        }
    }

    fn our_row(&mut self) -> Outcome {
        let rest = &self.buf[self.start..];
        let mut parser = RowParser::new(rest, 0);
        let parsed = parser.parse_row(0);
        if parser.touched_end() && !self.eof && rest.len() < MAX_ROW {
            return Outcome::NeedsMore;
        }
        match parsed {
            Ok((parsed, next, _)) => {
                let row = &mut self.row;
                row.kind = RowType::Call;
                set_text(&mut row.component, parsed.component, &mut self.scratch);
                if row.component.is_empty() {
                    row.component.push_str(&self.stem);
                }
                set_text(&mut row.operation, parsed.operation, &mut self.scratch);
                set_text(&mut row.phase, parsed.phase, &mut self.scratch);
                set_text(&mut row.details, parsed.details, &mut self.scratch);
                row.thread = parsed.thread;
                row.call_id = parsed.call_id;
                row.parent_id = parsed.parent_id;
                row.start_ns = i64::try_from(parsed.start_ns).unwrap_or(i64::MAX);
                row.duration_ns = parsed.duration_ns;
                row.status = parsed.status;
                self.rows += 1;
                self.consume(next);
                Outcome::Row
            }
            Err(_) => {
                self.problems += 1;
                let next = next_line(rest, 0);
                self.consume(next);
                Outcome::Skipped
            }
        }
    }

    fn legacy_row(&mut self) -> Outcome {
        let rest = &self.buf[self.start..];
        let next = next_line(rest, 0);
        let line = &rest[..next];
        let mut scan = Structurals::new(line, 0);
        let parsed = legacy::parse_row(line, &mut scan, &mut self.clock, 0);
        let Ok((parsed, _)) = parsed else {
            self.problems += 1;
            self.consume(next);
            return Outcome::Skipped;
        };
        self.rows += 1;
        let at_ns = parsed.timestamp_us.saturating_mul(1000);
        let (kind, start_ns, duration_ns) = match (parsed.kind, parsed.duration_ns) {
            (RowKind::End, Some(duration)) => (
                RowType::Call,
                at_ns.saturating_sub(i64::try_from(duration).unwrap_or(i64::MAX)),
                duration,
            ),
            (RowKind::Event, _) => (RowType::Event, at_ns, 0),
            // A START row: its END row carries the call.
            _ => {
                self.consume(next);
                return Outcome::Skipped;
            }
        };
        let row = &mut self.row;
        row.kind = kind;
        set_bytes(&mut row.component, self.stem.as_bytes());
        set_bytes(&mut row.operation, parsed.name);
        set_bytes(&mut row.phase, parsed.phase);
        set_bytes(&mut row.details, parsed.details);
        row.thread = 0;
        row.call_id = 0;
        row.parent_id = 0;
        row.start_ns = start_ns;
        row.duration_ns = duration_ns;
        row.status = Status::Ok;
        self.consume(next);
        Outcome::Row
    }
}

enum Outcome {
    Row,
    Skipped,
    NeedsMore,
}

/// `=== Training Timing Log - Started at 2024-01-15T10:30:00.000000 ===`: the time after
/// `Started at`, in the first lines.
fn banner_time_us(head: &[u8]) -> Option<i64> {
    const MARK: &[u8] = b"Started at ";
    let line = head
        .split(|&byte| byte == b'\n')
        .take(3)
        .find(|line| line.starts_with(b"==="))?;
    let at = line.windows(MARK.len()).position(|window| window == MARK)? + MARK.len();
    let stamp = line[at..].split(|&byte| byte == b' ').next()?;
    parse_timestamp_us(stamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows_of(text: &str) -> (Vec<LogRow>, u64, u64) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x_timing.log");
        std::fs::write(&path, text).unwrap();
        let mut stream = RowStream::open(&path).unwrap();
        let mut rows = Vec::new();
        while stream.next_row().unwrap() {
            rows.push(stream.row.clone());
        }
        (rows, stream.rows, stream.problems)
    }

    #[test]
    fn our_rows_with_quoted_details_across_the_window() {
        let header = crate::ingest::ours::HEADER;
        let row = "2026-11-25T03:15:33.000001Z,update_policy,training,245.670001,\"a=1, b=\"\"x\"\"\nc=2\",ppo_trainer,1,4294967297,7,241.000000,1300000000,panicked\n";
        // A details field longer than the lookahead: the window widens for it.
        let long = format!(
            "2026-11-25T03:15:34Z,big,p,1.0,\"{}\",,2,9,,1.0,5,ok\n",
            "y".repeat(LOOKAHEAD + 10)
        );
        let text = format!("{header}\n{row}bad row\n\n{long}{row}");
        let (rows, read, problems) = rows_of(&text);
        assert_eq!((read, problems), (3, 2));
        assert_eq!(rows[0].operation, "update_policy");
        assert_eq!(rows[0].details, "a=1, b=\"x\"\nc=2");
        assert_eq!(
            (rows[0].thread, rows[0].call_id, rows[0].parent_id),
            (1, 4_294_967_297, 7)
        );
        assert_eq!(
            (rows[0].start_ns, rows[0].duration_ns),
            (1_300_000_000, 245_670_001)
        );
        assert_eq!(rows[0].end_ns(), 1_545_670_001);
        assert_eq!(rows[0].status, Status::Panicked);
        assert_eq!(rows[1].operation, "big");
        assert_eq!(rows[1].details.len(), LOOKAHEAD + 10);
        // An empty component is the log's stem.
        assert_eq!(rows[1].component, "x");
        assert_eq!(rows[2], rows[0]);
    }

    #[test]
    fn the_originals_end_and_event_rows() {
        let text = "=== Training Timing Log - Started at 2024-01-15T10:30:00.000000 ===\n\
            timestamp,operation,phase,duration_ms,details\n\
            2024-01-15T10:30:45.000000,START_update_policy,training,,\n\
            2024-01-15T10:30:45.600000,END_update_policy,training,600.00,updates=8, loss=0.1\n\
            2024-01-15T10:30:46,EVENT_checkpoint_saved,checkpoint,,path=a\n\
            torn";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ppo_training_timing.log");
        std::fs::write(&path, text).unwrap();
        let mut stream = RowStream::open(&path).unwrap();
        assert_eq!(stream.format(), LogFormat::Legacy);
        assert_eq!(stream.banner_us, Some(1_705_314_600_000_000));
        assert!(stream.next_row().unwrap());
        let end = stream.row.clone();
        assert_eq!(end.kind, RowType::Call);
        assert_eq!(end.component, "ppo_training");
        assert_eq!(end.operation, "update_policy");
        assert_eq!(end.details, "updates=8, loss=0.1");
        assert_eq!(end.start_ns, 1_705_314_645_000_000_000);
        assert_eq!(end.duration_ns, 600_000_000);
        assert!(stream.next_row().unwrap());
        assert_eq!(stream.row.kind, RowType::Event);
        assert_eq!(stream.row.operation, "checkpoint_saved");
        assert_eq!(stream.row.start_ns, 1_705_314_646_000_000_000);
        assert!(!stream.next_row().unwrap());
        assert_eq!((stream.rows, stream.problems), (3, 1));
    }

    #[test]
    fn a_file_cut_short_while_read_just_ends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x_timing.log");
        let row = "2026-11-25T03:15:32.123456Z,op,p,1.0,,c,1,7,,1.0,5,ok\n";
        std::fs::write(&path, row.repeat(100_000)).unwrap();
        let mut stream = RowStream::open(&path).unwrap();
        assert!(stream.next_row().unwrap());
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(0)
            .unwrap();
        let mut more = 0;
        while stream.next_row().unwrap() {
            more += 1;
        }
        // What the first read brought in is still read; nothing after the cut.
        assert!(more < 100_000 - 1, "{more}");
        assert_eq!(stream.rows, more + 1);
    }
}
