//! What one chunk of a log yields, whichever the format: interned operations with their
//! accumulators, problems with chunk-relative line numbers, and where parsing stopped.

use super::callgraph::{CallGraphSample, CallRecord};
use super::interner::Interner;
use super::nesting::LegacyNesting;
use super::problems::{ProblemKind, ProblemLog};
use crate::stats::accumulator::{Call, Limits, OpAccumulator};

/// Settings shared by every chunk of a run.
#[derive(Clone, Copy, Debug)]
pub struct ChunkContext<'a> {
    /// The component of rows that do not name one: the log's stem.
    pub stem: &'a [u8],
    pub limits: Limits,
    pub callgraph_budget: usize,
    /// The buffer is a read-only file mapping whose parsed pages may be handed back to the
    /// kernel (never set for heap buffers: dropping their pages would zero them).
    pub release_pages: bool,
    /// The chunk whose reader panics ([`crate::options::InjectedPanic::ReaderChunk`]).
    #[doc(hidden)]
    pub inject_panic: Option<usize>,
}

/// Bytes parsed between two hand-backs of mapped pages.
const RELEASE_STEP: usize = 64 << 20;

/// Hands parsed pages of a memory-mapped log back to the kernel as a chunk advances, so the
/// resident set stays small on logs larger than RAM. Reading a dropped page again is still
/// correct: it is reloaded from the file.
pub struct PageRelease {
    enabled: bool,
    released: usize,
}

impl PageRelease {
    pub fn new(context: &ChunkContext, start: usize) -> Self {
        PageRelease {
            enabled: context.release_pages,
            released: start,
        }
    }

    #[inline]
    pub fn advance(&mut self, buf: &[u8], position: usize) {
        if !self.enabled || position < self.released + RELEASE_STEP {
            return;
        }
        const PAGE: usize = 4096;
        let base = buf.as_ptr() as usize;
        let from = (base + self.released).next_multiple_of(PAGE);
        let to = (base + position) / PAGE * PAGE;
        if to > from {
            // SAFETY: `from..to` is whole pages inside `buf`: `released <= position <=
            // buf.len()` (the walk only advances within its chunk), and both ends are rounded
            // inwards to page boundaries. `release_pages` is set only for a read-only shared
            // mapping of a file (`dataset::map_file`), never for heap memory, so MADV_DONTNEED
            // loses no data: a later read of those bytes faults the file's pages back in, the
            // same bytes as long as the file is not rewritten, which mapping it already
            // assumes. The call writes no memory Rust can see; if it fails, the pages stay.
            unsafe {
                libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_DONTNEED);
            }
        }
        self.released = position;
    }
}

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
    /// The byte position where the last row parsed here ended (the next chunk must start here).
    pub ended_at: usize,
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

/// One log format's rows, as `walk_rows` hands them over.
pub trait RowReader {
    type Fault: RowFault;
    /// Restarts scanning at a line start, after a line the walk skipped.
    fn seek(&mut self, position: usize);
    /// Parses the row at `position` (line `line` of the chunk) and records it into `out`.
    /// Returns where the next row starts and how many line breaks the row holds in quotes.
    fn read_row(
        &mut self,
        out: &mut ChunkOutput,
        position: usize,
        line: u64,
    ) -> Result<(usize, u64), Self::Fault>;
}

/// Walks the rows that start in `[start, end)`, whichever the format: blank lines and rows
/// that do not parse are problems (a bad last line without a line end is a torn one), headers
/// and banners are counted, and every other line goes to `reader`. Sets `out.lines` and
/// `out.ended_at`.
pub fn walk_rows<R: RowReader>(
    buf: &[u8],
    start: usize,
    end: usize,
    context: &ChunkContext,
    out: &mut ChunkOutput,
    reader: &mut R,
) {
    let mut position = start;
    let mut line = 1u64;
    let mut pages = PageRelease::new(context, start);
    while position < end {
        pages.advance(buf, position);
        let rest = &buf[position..];
        if let Some(length) = blank_line_length(rest) {
            out.problem(line, ProblemKind::BlankLine, || "blank line".to_string());
            line += 1;
            position += length;
            reader.seek(position);
            continue;
        }
        if is_header_or_banner(rest) {
            out.header_lines += 1;
            line += 1;
            position = next_line(buf, position);
            reader.seek(position);
            continue;
        }
        match reader.read_row(out, position, line) {
            Ok((next, inner_newlines)) => {
                line += 1 + inner_newlines;
                position = next;
            }
            Err(fault) => {
                let next = next_line(buf, position);
                if next == buf.len() && buf.last() != Some(&b'\n') {
                    out.problem(line, ProblemKind::TornLastLine, || {
                        format!("no line end, and {}", fault.message(buf))
                    });
                } else {
                    let kind = fault.kind();
                    out.problem(line, kind, || fault.message(buf));
                }
                line += 1;
                position = next;
                reader.seek(position);
            }
        }
    }
    out.lines = line - 1;
    out.ended_at = position;
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
