//! What one chunk of a log yields, whichever the format: interned operations with their
//! accumulators, problems with chunk-relative line numbers, and where parsing stopped.

use super::callgraph::{CallGraphSample, CallRecord};
use super::interner::Interner;
use super::nesting::LegacyNesting;
use super::problems::{ProblemKind, ProblemLog};
use super::source::LogSource;
use crate::stats::accumulator::{Call, Limits, OpAccumulator};

/// Settings shared by every chunk of a run.
#[derive(Clone, Copy, Debug)]
pub struct ChunkContext<'a> {
    /// The component of rows that do not name one: the log's stem.
    pub stem: &'a [u8],
    pub limits: Limits,
    pub callgraph_budget: usize,
    /// Bytes read at once ([`WINDOW`]); a row longer than that widens the window for it.
    pub window: usize,
    /// The chunk whose reader panics ([`crate::options::InjectedPanic::ReaderChunk`]).
    #[doc(hidden)]
    pub inject_panic: Option<usize>,
}

/// Bytes of a log read at once by each reader thread: the memory a reader holds, whatever
/// the log's length.
pub const WINDOW: usize = 8 << 20;

/// Counts of one legacy event (`EVENT_x` rows) on a chunk's timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventTally {
    pub count: u64,
    pub first_us: i64,
    pub last_us: i64,
}

pub struct ChunkOutput {
    pub interner: Interner,
    pub ops: Vec<OpAccumulator>,
    pub events: Interner,
    pub event_tallies: Vec<EventTally>,
    pub problems: ProblemLog,
    pub rows: u64,
    pub header_lines: u64,
    /// Physical lines consumed, so the next chunk's line numbers can be shifted.
    pub lines: u64,
    /// The file offset where the last row parsed here ended (the next chunk must start here).
    pub ended_at: u64,
    pub callgraph: CallGraphSample,
    /// Wall-clock extent of the calls, microseconds since the epoch.
    pub first_start_us: i64,
    pub last_end_us: i64,
    pub legacy: Option<LegacyNesting>,
}

impl ChunkOutput {
    pub fn new(context: &ChunkContext) -> Self {
        ChunkOutput {
            interner: Interner::default(),
            ops: Vec::new(),
            events: Interner::default(),
            event_tallies: Vec::new(),
            problems: ProblemLog::default(),
            rows: 0,
            header_lines: 0,
            lines: 0,
            ended_at: 0,
            callgraph: CallGraphSample::new(context.callgraph_budget),
            first_start_us: i64::MAX,
            last_end_us: i64::MIN,
            legacy: None,
        }
    }

    /// The accumulator of an operation, created on first sight.
    #[inline]
    pub fn op_id(
        &mut self,
        component: &[u8],
        operation: &[u8],
        phase: &[u8],
        limits: Limits,
    ) -> u32 {
        let (id, new) = self.interner.intern(component, operation, phase);
        if new {
            self.ops.push(OpAccumulator::new(limits));
        }
        id
    }

    #[inline]
    pub fn record_call(&mut self, id: u32, call: Call, limits: Limits) {
        self.ops[id as usize].record(call, limits);
    }

    #[inline]
    pub fn record_graph(&mut self, record: CallRecord) {
        self.callgraph.record(record);
    }

    #[inline]
    pub fn note_wall_clock(&mut self, start_us: i64, end_us: i64) {
        self.first_start_us = self.first_start_us.min(start_us);
        self.last_end_us = self.last_end_us.max(end_us);
    }

    pub fn record_event(&mut self, component: &[u8], name: &[u8], phase: &[u8], at_us: i64) {
        let (id, new) = self.events.intern(component, name, phase);
        if new {
            self.event_tallies.push(EventTally {
                count: 0,
                first_us: at_us,
                last_us: at_us,
            });
        }
        let tally = &mut self.event_tallies[id as usize];
        tally.count += 1;
        tally.first_us = tally.first_us.min(at_us);
        tally.last_us = tally.last_us.max(at_us);
    }

    pub fn problem(&mut self, line: u64, kind: ProblemKind, message: impl FnOnce() -> String) {
        self.problems.record(line, kind, message);
    }
}

/// A row that could not be parsed: its kind, and its message, built only if it is recorded.
pub trait RowFault {
    fn kind(&self) -> ProblemKind;
    fn message(self, buf: &[u8]) -> String;
}

/// What a reader made of the row at a position.
pub enum RowRead<F> {
    /// A row, recorded: where the next row starts, and the line breaks it holds in quotes.
    Row { next: usize, inner_newlines: u64 },
    /// Not a row; nothing recorded.
    Fault(F),
    /// The row runs into the end of the window, and the file goes on: read it again from a
    /// window that starts with it. Nothing recorded.
    More,
}

/// One log format's rows in one window of the file, as `walk_rows` hands them over.
pub trait RowReader {
    type Fault: RowFault;
    /// Restarts scanning at a line start, after a line the walk skipped.
    fn seek(&mut self, position: usize);
    /// Parses the row at `position` of the window (line `line` of the chunk) and records it
    /// into `out`.
    fn read_row(
        &mut self,
        out: &mut ChunkOutput,
        position: usize,
        line: u64,
    ) -> RowRead<Self::Fault>;
    /// The window is done with: keeps what must outlive it.
    fn finish(self);
}

/// A log format: a reader per window, and what outlives the windows (the original's nesting,
/// a timestamp cache).
pub trait RowFormat {
    type Fault: RowFault;
    type Reader<'w>: RowReader<Fault = Self::Fault>
    where
        Self: 'w;
    /// A reader of `window` from `position`; `at_eof` when the window ends where the file
    /// does (a row cut there is torn, not continued).
    fn reader<'w>(
        &'w mut self,
        window: &'w [u8],
        position: usize,
        at_eof: bool,
    ) -> Self::Reader<'w>;
}

/// Bytes read past a chunk's end at most with its last window, for the row that runs past
/// the end (a longer one is read again from its start).
const PAST_END: usize = 64 << 10;

/// Walks the rows that start in `[start, end)` of `source` (a row may run past `end`), a
/// window at a time, whichever the format: blank lines and rows that do not parse are
/// problems (a bad last line without a line end is a torn one), headers and banners are
/// counted, and every other line goes to the format's reader. A row cut by a window's end
/// is read again at the start of the next window (a row longer than the window doubles it).
/// Sets `out.lines` and `out.ended_at`. A file cut short meanwhile ends the walk where it now
/// ends; a read that fails is a problem at the line it stopped.
pub fn walk_rows<F: RowFormat>(
    source: &LogSource,
    start: u64,
    end: u64,
    context: &ChunkContext,
    out: &mut ChunkOutput,
    format: &mut F,
) {
    let mut window = Vec::new();
    let mut offset = start;
    let mut size = context.window.max(1);
    let mut line = 1u64;
    while offset < end {
        // A chunk's last window stops a little past the chunk's end: a whole window would
        // copy (and first zero) up to 8 MiB that the next chunk reads anyway. Callgrind,
        // `analyzer report --logs DIR --out OUT --quiet --threads 2` on 2 M rows in the
        // original's format (`cargo run --release -p analyzer --example synthetic_logs`):
        // 1,742 M -> 1,730 M instructions (the zeroing; the kernel's copy is not counted).
        let wanted = if size == context.window.max(1) {
            usize::try_from(end - offset)
                .map_or(size, |rest| rest.saturating_add(PAST_END).min(size))
        } else {
            size
        };
        if let Err(error) = source.read_at(offset, wanted, &mut window) {
            out.problem(line, ProblemKind::UnreadableFile, || {
                format!("cannot read from byte {offset}: {error}")
            });
            break;
        }
        if window.is_empty() {
            break;
        }
        let at_eof = window.len() < wanted;
        let limit =
            usize::try_from(end - offset).map_or(window.len(), |rest| rest.min(window.len()));
        let reader = format.reader(&window, 0, at_eof);
        let (position, more) = walk_window(&window, limit, at_eof, out, &mut line, reader);
        offset += position as u64;
        size = if more && position == 0 {
            size.saturating_mul(2)
        } else {
            context.window.max(1)
        };
        if !more && at_eof {
            break;
        }
    }
    out.lines = line - 1;
    out.ended_at = offset;
}

/// The rows of one window that start before `limit`; returns where it stopped, and whether
/// it stopped at a row the window cuts.
fn walk_window<R: RowReader>(
    buf: &[u8],
    limit: usize,
    at_eof: bool,
    out: &mut ChunkOutput,
    line: &mut u64,
    mut reader: R,
) -> (usize, bool) {
    let mut position = 0;
    let mut more = false;
    while position < limit {
        let rest = &buf[position..];
        if let Some(length) = blank_line_length(rest) {
            out.problem(*line, ProblemKind::BlankLine, || "blank line".to_string());
            *line += 1;
            position += length;
            reader.seek(position);
            continue;
        }
        if is_header_or_banner(rest) {
            let next = next_line(buf, position);
            if next == buf.len() && !at_eof && buf.last() != Some(&b'\n') {
                more = true;
                break;
            }
            out.header_lines += 1;
            *line += 1;
            position = next;
            reader.seek(position);
            continue;
        }
        match reader.read_row(out, position, *line) {
            RowRead::Row {
                next,
                inner_newlines,
            } => {
                *line += 1 + inner_newlines;
                position = next;
            }
            RowRead::More => {
                more = true;
                break;
            }
            RowRead::Fault(fault) => {
                let next = next_line(buf, position);
                let cut = next == buf.len() && buf.last() != Some(&b'\n');
                if cut && !at_eof {
                    // The line goes on past the window: judge it whole.
                    more = true;
                    break;
                }
                if cut {
                    out.problem(*line, ProblemKind::TornLastLine, || {
                        format!("no line end, and {}", fault.message(buf))
                    });
                } else {
                    let kind = fault.kind();
                    out.problem(*line, kind, || fault.message(buf));
                }
                *line += 1;
                position = next;
                reader.seek(position);
            }
        }
    }
    reader.finish();
    (position, more)
}

/// The position just after the line that starts at `from` (after its `\n`, or the end).
pub fn next_line(buf: &[u8], from: usize) -> usize {
    match memchr::memchr(b'\n', &buf[from..]) {
        Some(offset) => from + offset + 1,
        None => buf.len(),
    }
}

/// True for a line that the format's writer may repeat: a header or a legacy banner.
#[inline]
pub fn is_header_or_banner(line_start: &[u8]) -> bool {
    // Rows start with a digit: only a `t` or `=` line needs the full comparison.
    match line_start.first() {
        Some(b't') => line_start.starts_with(b"timestamp,operation,"),
        Some(b'=') => line_start.starts_with(b"==="),
        _ => false,
    }
}

/// A blank line's length including its terminator (`\n` or `\r\n`), if the line is blank.
pub fn blank_line_length(rest: &[u8]) -> Option<usize> {
    match rest {
        [b'\n', ..] => Some(1),
        [b'\r', b'\n', ..] => Some(2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_helpers() {
        assert_eq!(next_line(b"ab\ncd", 0), 3);
        assert_eq!(next_line(b"ab\ncd", 3), 5);
        assert!(is_header_or_banner(b"timestamp,operation,phase"));
        assert!(is_header_or_banner(b"=== Training Timing Log ==="));
        assert!(!is_header_or_banner(b"2024-01-15T10:30:45,x"));
        assert_eq!(blank_line_length(b"\nx"), Some(1));
        assert_eq!(blank_line_length(b"\r\nx"), Some(2));
        assert_eq!(blank_line_length(b" \n"), None);
    }
}
