//! The original Python system's log: a banner, a 5-column header, then
//! `timestamp,START_x|END_x|EVENT_x,phase,duration_ms,details` where details runs to the end of
//! the line with unquoted commas. Only END rows carry a duration (two decimals).
//!
//! Written by hand for the reasons and with the benchmark given in `ours.rs`
//! (`cargo bench -p analyzer` (benches/report_vs_anchors.rs), the original's format).

use super::chunk::{ChunkContext, ChunkOutput, RowFault, RowFormat, RowRead, RowReader, walk_rows};
use super::nesting::LegacyNesting;
use super::numbers::{TimestampCache, parse_ms_as_ns};
use super::problems::{ProblemKind, excerpt};
use super::scan::Structurals;
use super::source::LogSource;
use crate::stats::accumulator::{Call, Status};

pub const HEADER: &str = "timestamp,operation,phase,duration_ms,details";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKind {
    Start,
    End,
    Event,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LegacyRow<'a> {
    pub timestamp_us: i64,
    pub kind: RowKind,
    pub name: &'a [u8],
    pub phase: &'a [u8],
    /// Present on END rows.
    pub duration_ns: Option<u64>,
    /// The rest of the line after the duration (not read by the analysis; the trace export
    /// shows it).
    pub details: &'a [u8],
}

type Fault = (ProblemKind, String);

/// Where the row at `row_start` has its first four commas (how many it has, up to four) and
/// its line end. The common row (four commas, no quote, then the line end) is cut with one
/// batch of five positions; any other row is read again from its start, one position at a
/// time. `analyzer report --quiet --threads 1` on 2M lines of the benchmark's original format
/// (`cargo run --release -p analyzer --example synthetic_logs -- DIR 2000000 legacy`, under
/// callgrind): 1,865 M instructions against 1,895 M popping one position at a time.
#[inline(always)]
fn cut_row(buf: &[u8], scan: &mut Structurals, row_start: usize) -> ([usize; 4], usize, usize) {
    let mut ends = [0usize; 5];
    if scan.next_positions(&mut ends) {
        let [a, b, c, d, line_end] = ends;
        if buf[a] == b','
            && buf[b] == b','
            && buf[c] == b','
            && buf[d] == b','
            && buf[line_end] == b'\n'
        {
            return ([a, b, c, d], 4, line_end);
        }
    }
    scan.seek(row_start);
    cut_row_in_general(buf, scan)
}

/// [`cut_row`] for any row: details with commas, quotes, fewer fields, the end of the buffer.
#[inline(never)]
fn cut_row_in_general(buf: &[u8], scan: &mut Structurals) -> ([usize; 4], usize, usize) {
    let mut commas = [0usize; 4];
    let mut found = 0;
    let line_end = loop {
        match scan.next_position() {
            None => break buf.len(),
            Some(at) if buf[at] == b'\n' => break at,
            Some(at) if buf[at] == b',' && found < 4 => {
                commas[found] = at;
                found += 1;
            }
            Some(_) => {}
        }
    };
    (commas, found, line_end)
}

/// Parses the row at `row_start` (the scanner must not have passed it); returns the row and
/// the start of the next line.
#[inline(always)]
pub fn parse_row<'a>(
    buf: &'a [u8],
    scan: &mut Structurals,
    clock: &mut TimestampCache,
    row_start: usize,
) -> Result<(LegacyRow<'a>, usize), Fault> {
    let (commas, found, line_end) = cut_row(buf, scan, row_start);
    let next = (line_end + 1).min(buf.len());
    let line_end = if line_end > row_start && buf[line_end - 1] == b'\r' {
        line_end - 1
    } else {
        line_end
    };
    if found < 3 {
        return Err((
            ProblemKind::WrongFieldCount,
            format!("expected at least 4 fields, found {}", found + 1),
        ));
    }
    let duration_end = if found == 4 { commas[3] } else { line_end };
    let details = if found == 4 {
        &buf[commas[3] + 1..line_end.max(commas[3] + 1)]
    } else {
        &[][..]
    };
    let timestamp = &buf[row_start..commas[0]];
    let operation = &buf[commas[0] + 1..commas[1]];
    let phase = &buf[commas[1] + 1..commas[2]];
    let duration = &buf[commas[2] + 1..duration_end];
    let timestamp_us = clock.parse(timestamp).ok_or_else(|| {
        (
            ProblemKind::BadTimestamp,
            format!("bad timestamp {}", excerpt(timestamp)),
        )
    })?;
    let (kind, name) = if let Some(name) = operation.strip_prefix(b"START_") {
        (RowKind::Start, name)
    } else if let Some(name) = operation.strip_prefix(b"END_") {
        (RowKind::End, name)
    } else if let Some(name) = operation.strip_prefix(b"EVENT_") {
        (RowKind::Event, name)
    } else if operation.is_empty() {
        return Err((
            ProblemKind::EmptyOperation,
            "empty operation name".to_string(),
        ));
    } else {
        return Err((
            ProblemKind::UnknownRowKind,
            format!(
                "operation {} has no START_/END_/EVENT_ prefix",
                excerpt(operation)
            ),
        ));
    };
    if name.is_empty() {
        return Err((
            ProblemKind::EmptyOperation,
            format!("empty operation name after {}", excerpt(operation)),
        ));
    }
    let duration_ns = match kind {
        RowKind::End if duration.is_empty() => {
            return Err((
                ProblemKind::MissingDuration,
                format!("END_{} has no duration", String::from_utf8_lossy(name)),
            ));
        }
        RowKind::End => match parse_ms_as_ns(duration) {
            None => {
                return Err((
                    ProblemKind::BadDuration,
                    format!("non-numeric duration_ms {}", excerpt(duration)),
                ));
            }
            Some(ns) if ns < 0 => {
                return Err((
                    ProblemKind::NegativeDuration,
                    format!("negative duration_ms {}", excerpt(duration)),
                ));
            }
            Some(ns) => Some(ns as u64),
        },
        RowKind::Start | RowKind::Event => None,
    };
    Ok((
        LegacyRow {
            timestamp_us,
            kind,
            name,
            phase,
            duration_ns,
            details,
        },
        next,
    ))
}

/// Parses every line that starts in `[start, end)` of `source`.
pub fn parse_chunk(
    source: &LogSource,
    start: u64,
    end: u64,
    context: &ChunkContext,
) -> ChunkOutput {
    let mut out = ChunkOutput::new(context);
    let mut format = LegacyFormat {
        clock: TimestampCache::default(),
        nesting: LegacyNesting::default(),
        context,
    };
    walk_rows(source, start, end, context, &mut out, &mut format);
    out.legacy = Some(format.nesting);
    out
}

/// What outlives a window: the calls still open (nesting) and the timestamp cache.
struct LegacyFormat<'c> {
    clock: TimestampCache,
    nesting: LegacyNesting,
    context: &'c ChunkContext<'c>,
}

impl RowFormat for LegacyFormat<'_> {
    type Fault = Fault;
    type Reader<'w>
        = LegacyReader<'w>
    where
        Self: 'w;

    fn reader<'w>(
        &'w mut self,
        window: &'w [u8],
        position: usize,
        at_eof: bool,
    ) -> LegacyReader<'w> {
        LegacyReader {
            buf: window,
            scan: Structurals::new(window, position),
            clock: &mut self.clock,
            nesting: &mut self.nesting,
            context: self.context,
            at_eof,
        }
    }
}

struct LegacyReader<'w> {
    buf: &'w [u8],
    scan: Structurals<'w>,
    clock: &'w mut TimestampCache,
    nesting: &'w mut LegacyNesting,
    context: &'w ChunkContext<'w>,
    at_eof: bool,
}

impl RowFault for Fault {
    fn kind(&self) -> ProblemKind {
        self.0
    }

    fn message(self, _buf: &[u8]) -> String {
        self.1
    }
}

impl RowReader for LegacyReader<'_> {
    type Fault = Fault;

    #[inline(always)]
    fn seek(&mut self, position: usize) {
        self.scan.seek(position);
    }

    #[inline(always)]
    fn read_row(&mut self, out: &mut ChunkOutput, position: usize, line: u64) -> RowRead<Fault> {
        match parse_row(self.buf, &mut self.scan, self.clock, position) {
            Ok((row, next)) => {
                // No line end before the window's: the line goes on in the file.
                if !self.at_eof && next == self.buf.len() && self.buf.last() != Some(&b'\n') {
                    return RowRead::More;
                }
                record_row(out, self.nesting, &row, line, self.context);
                RowRead::Row {
                    next,
                    inner_newlines: 0,
                }
            }
            Err(fault) => {
                if !self.at_eof && memchr::memchr(b'\n', &self.buf[position..]).is_none() {
                    return RowRead::More;
                }
                RowRead::Fault(fault)
            }
        }
    }

    fn finish(self) {}
}

fn record_row(
    out: &mut ChunkOutput,
    nesting: &mut LegacyNesting,
    row: &LegacyRow,
    line: u64,
    context: &ChunkContext,
) {
    let at_ns = row.timestamp_us * 1000;
    match (row.kind, row.duration_ns) {
        (RowKind::Start, _) => {
            let id = out.op_id(context.stem, row.name, row.phase, context.limits);
            nesting.start(id, at_ns, line);
        }
        (RowKind::End, Some(duration_ns)) => {
            let id = out.op_id(context.stem, row.name, row.phase, context.limits);
            let (start_ns, self_ns) = nesting.end(id, at_ns, duration_ns);
            let call = Call {
                duration_ns,
                self_ns: Some(self_ns as i64),
                start_ns,
                thread: 0,
                status: Status::Ok,
            };
            out.record_call(id, call, context.limits);
            out.note_wall_clock(start_ns.div_euclid(1000), row.timestamp_us);
            out.rows += 1;
        }
        (RowKind::End, None) => {}
        (RowKind::Event, _) => {
            out.record_event(context.stem, row.name, row.phase, row.timestamp_us);
            out.rows += 1;
        }
    }
    if row.kind == RowKind::Start {
        out.rows += 1;
        out.note_wall_clock(row.timestamp_us, row.timestamp_us);
    }
}

/// True when a line parses as a row of this format (format detection).
pub fn is_row(line: &[u8]) -> bool {
    let mut scan = Structurals::new(line, 0);
    parse_row(line, &mut scan, &mut TimestampCache::default(), 0).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<(LegacyRow<'_>, usize), Fault> {
        let mut scan = Structurals::new(text.as_bytes(), 0);
        parse_row(
            text.as_bytes(),
            &mut scan,
            &mut TimestampCache::default(),
            0,
        )
    }

    #[test]
    fn end_rows_keep_unquoted_commas_in_details() {
        let text = "2024-01-15T10:30:45.123456,END_update_policy,training,245.67,updates=8, policy_loss=0.1234\nnext";
        let (row, next) = parse(text).unwrap();
        assert_eq!(row.kind, RowKind::End);
        assert_eq!(row.name, b"update_policy");
        assert_eq!(row.phase, b"training");
        assert_eq!(row.duration_ns, Some(245_670_000));
        assert_eq!(row.details, b"updates=8, policy_loss=0.1234");
        assert_eq!(row.timestamp_us, 1_705_314_645_123_456);
        assert_eq!(next, text.len() - 4);
    }

    #[test]
    fn rows_cut_in_one_batch_and_rows_read_again_follow_each_other() {
        let text = "2024-01-15T10:30:45.000001,START_a,p,,\n\
                    2024-01-15T10:30:45.000002,END_a,p,0.01,x=1, y=2\n\
                    2024-01-15T10:30:45.000003,END_b,q,2.5\n\
                    2024-01-15T10:30:45.000004,START_c,\"p\",,\n\
                    2024-01-15T10:30:45.000005,END_c,r,1.25,\n";
        let buf = text.as_bytes();
        let mut scan = Structurals::new(buf, 0);
        let mut clock = TimestampCache::default();
        let mut position = 0;
        let mut rows = Vec::new();
        while position < buf.len() {
            let (row, next) = parse_row(buf, &mut scan, &mut clock, position).unwrap();
            rows.push((
                row.timestamp_us % 10,
                row.kind,
                String::from_utf8_lossy(row.name).into_owned(),
                String::from_utf8_lossy(row.phase).into_owned(),
                row.duration_ns,
                String::from_utf8_lossy(row.details).into_owned(),
            ));
            position = next;
        }
        let row = |at, kind, name: &str, phase: &str, duration, details: &str| {
            (
                at,
                kind,
                name.to_owned(),
                phase.to_owned(),
                duration,
                details.to_owned(),
            )
        };
        assert_eq!(
            rows,
            [
                row(1, RowKind::Start, "a", "p", None, ""),
                row(2, RowKind::End, "a", "p", Some(10_000), "x=1, y=2"),
                row(3, RowKind::End, "b", "q", Some(2_500_000), ""),
                row(4, RowKind::Start, "c", "\"p\"", None, ""),
                row(5, RowKind::End, "c", "r", Some(1_250_000), ""),
            ]
        );
    }

    #[test]
    fn start_and_event_rows_have_no_duration() {
        let (start, _) =
            parse("2024-01-15T10:30:45.000001,START_update_policy,training,,").unwrap();
        assert_eq!((start.kind, start.duration_ns), (RowKind::Start, None));
        let (event, _) =
            parse("2024-01-15T10:30:46,EVENT_checkpoint_saved,checkpoint,,path=\"model.pt\"")
                .unwrap();
        assert_eq!(
            (event.kind, event.name),
            (RowKind::Event, &b"checkpoint_saved"[..])
        );
        let (four_fields, _) = parse("2024-01-15T10:30:46,END_x,p,1.5\r\n").unwrap();
        assert_eq!(four_fields.duration_ns, Some(1_500_000));
    }

    #[test]
    fn each_fault_is_named() {
        let cases = [
            (
                "garbage",
                ProblemKind::WrongFieldCount,
                "expected at least 4 fields, found 1",
            ),
            (
                "2024-01-15T10:30:4,END_x,p,1,",
                ProblemKind::BadTimestamp,
                "bad timestamp \"2024-01-15T10:30:4\"",
            ),
            (
                "2024-01-15T10:30:45,update,p,1,",
                ProblemKind::UnknownRowKind,
                "operation \"update\" has no START_/END_/EVENT_ prefix",
            ),
            (
                "2024-01-15T10:30:45,,p,1,",
                ProblemKind::EmptyOperation,
                "empty operation name",
            ),
            (
                "2024-01-15T10:30:45,END_,p,1,",
                ProblemKind::EmptyOperation,
                "empty operation name after \"END_\"",
            ),
            (
                "2024-01-15T10:30:45,END_x,p,,",
                ProblemKind::MissingDuration,
                "END_x has no duration",
            ),
            (
                "2024-01-15T10:30:45,END_x,p,fast,",
                ProblemKind::BadDuration,
                "non-numeric duration_ms \"fast\"",
            ),
            (
                "2024-01-15T10:30:45,END_x,p,-2,",
                ProblemKind::NegativeDuration,
                "negative duration_ms \"-2\"",
            ),
        ];
        for (text, kind, message) in cases {
            assert_eq!(
                parse(text).unwrap_err(),
                (kind, message.to_string()),
                "{text}"
            );
        }
    }

    #[test]
    fn detects_rows() {
        assert!(is_row(
            b"2024-01-15T10:30:45.123456,END_update_policy,training,245.67,updates=8, x=1"
        ));
        assert!(!is_row(HEADER.as_bytes()));
    }
}
