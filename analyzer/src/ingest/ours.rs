//! Our own log format (`timed-runtime`): 12 RFC 4180 fields per row, any text field may be
//! quoted, a quoted field may hold line breaks. Only the fields the analysis needs are
//! converted; `details` is skipped.
//!
//! Written by hand rather than with the `csv` crate because it is faster here: no record is
//! copied (fields are byte ranges of the window read), only eight of twelve fields are
//! converted, and the operation key is interned where it lies. The benchmark is
//! `cargo bench -p analyzer` (benches/report_vs_anchors.rs), whose rows per second of the whole report this
//! parser dominates (README "Speed").

use super::callgraph::CallRecord;
use super::chunk::{
    ChunkContext, ChunkOutput, RowFault, RowFormat, RowRead, RowReader, next_line, walk_rows,
};
use super::digits::{parse_ms_as_ns_at, parse_u64_at};
use super::numbers::{PlausibleTimestamps, parse_timestamp_us};
use super::problems::{ProblemKind, excerpt};
use super::scan::Structurals;
use super::source::LogSource;
use crate::stats::accumulator::{Call, Status};

pub const HEADER: &str = "timestamp,operation,phase,duration_ms,details,component,thread,call_id,parent_id,self_ms,start_ns,status";
const FIELDS: usize = 12;

/// A field's bytes in the buffer; `escaped` when it was quoted and holds doubled quotes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Field {
    start: usize,
    end: usize,
    escaped: bool,
}

/// A text field: raw bytes, plus whether doubled quotes still need collapsing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Text<'a> {
    pub raw: &'a [u8],
    pub escaped: bool,
}

impl<'a> Text<'a> {
    /// The field's text, collapsing `""` into `"` through `scratch` when needed.
    #[inline(always)]
    pub fn bytes<'s>(&self, scratch: &'s mut Vec<u8>) -> &'s [u8]
    where
        'a: 's,
    {
        if !self.escaped {
            return self.raw;
        }
        self.unescaped(scratch)
    }

    #[cold]
    fn unescaped<'s>(&self, scratch: &'s mut Vec<u8>) -> &'s [u8] {
        scratch.clear();
        let mut previous_quote = false;
        for &byte in self.raw {
            if byte == b'"' && previous_quote {
                previous_quote = false;
                continue;
            }
            previous_quote = byte == b'"';
            scratch.push(byte);
        }
        scratch
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OurRow<'a> {
    /// Checked for shape; converted only where needed (see [`super::numbers::is_plausible_timestamp`]).
    pub timestamp: &'a [u8],
    pub operation: Text<'a>,
    pub phase: Text<'a>,
    /// Not read by the analysis; the trace export shows it.
    pub details: Text<'a>,
    pub component: Text<'a>,
    pub duration_ns: u64,
    pub thread: u32,
    pub call_id: u64,
    pub parent_id: u64,
    pub self_ns: i64,
    pub start_ns: u64,
    pub status: Status,
}

/// Why a row was rejected. Small and `Copy` so the hot path returns it cheaply; the message
/// (with an excerpt of the offending field) is only built when a report needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    pub kind: ProblemKind,
    what: FaultText,
    /// The offending field's bytes, for the excerpt.
    field: (usize, usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FaultText {
    FieldCount(usize),
    Timestamp,
    EmptyOperation,
    Duration,
    NegativeDuration,
    Number(&'static str),
    CallIdZero,
    Status,
    QuoteInsideField,
    TextAfterQuote,
    Unterminated,
}

impl Fault {
    fn new(kind: ProblemKind, what: FaultText, field: (usize, usize)) -> Fault {
        Fault { kind, what, field }
    }

    /// The report's wording, quoting the field from `buf` (the buffer that was parsed).
    pub fn message(&self, buf: &[u8]) -> String {
        let quoted = || excerpt(buf.get(self.field.0..self.field.1).unwrap_or_default());
        match self.what {
            FaultText::FieldCount(count) => format!("expected 12 fields, found {count}"),
            FaultText::Timestamp => format!("bad timestamp {}", quoted()),
            FaultText::EmptyOperation => "empty operation name".to_string(),
            FaultText::Duration => format!("non-numeric duration_ms {}", quoted()),
            FaultText::NegativeDuration => format!("negative duration_ms {}", quoted()),
            FaultText::Number(column) => format!("bad {column} {}", quoted()),
            FaultText::CallIdZero => "bad call_id \"0\" (ids are never 0)".to_string(),
            FaultText::Status => format!("unknown status {}", quoted()),
            FaultText::QuoteInsideField => "double quote inside an unquoted field".to_string(),
            FaultText::TextAfterQuote => "text after a closing quote".to_string(),
            FaultText::Unterminated => "quoted field never closed".to_string(),
        }
    }
}

enum Terminator {
    Comma(usize),
    Newline(usize),
    End,
}

/// Cuts rows out of a buffer; keeps the structural scanner positioned after the last row.
pub struct RowParser<'a> {
    buf: &'a [u8],
    scan: Structurals<'a>,
    /// Reused for every row rather than initialised per row.
    fields: [Field; FIELDS],
    /// The plain row's twelve field ends (a comma, the last a line end) and its start.
    ends: [usize; FIELDS],
    row_start: usize,
    /// A row ran into the end of the buffer: read through a window of a file, it may go on
    /// past it.
    touched_end: bool,
    timestamps: PlausibleTimestamps,
}

impl<'a> RowParser<'a> {
    pub fn new(buf: &'a [u8], position: usize) -> Self {
        RowParser {
            buf,
            scan: Structurals::new(buf, position),
            fields: [Field::default(); FIELDS],
            ends: [0; FIELDS],
            row_start: 0,
            touched_end: false,
            timestamps: PlausibleTimestamps::default(),
        }
    }

    /// Whether a row parsed so far ran into the end of the buffer (its last field, or a
    /// quoted field never closed, ends there).
    pub fn touched_end(&self) -> bool {
        self.touched_end
    }

    pub fn seek(&mut self, position: usize) {
        self.scan.seek(position);
    }

    /// Parses the row at `row_start`: the row, where the next row starts, and the line breaks
    /// inside quoted fields. The scanner must not have passed `row_start`.
    #[inline(always)]
    pub fn parse_row(&mut self, row_start: usize) -> Result<(OurRow<'a>, usize, u64), Fault> {
        if self.split_plain_row(row_start) {
            let next = self.ends[FIELDS - 1] + 1;
            return Ok((self.convert_plain()?, next, 0));
        }
        self.parse_row_in_general(row_start)
    }

    /// The plain row cut by [`Self::split_plain_row`], converted.
    #[inline(always)]
    fn convert_plain(&mut self) -> Result<OurRow<'a>, Fault> {
        let (ends, row_start) = (self.ends, self.row_start);
        let field = |index: usize| Field {
            start: if index == 0 {
                row_start
            } else {
                ends[index - 1] + 1
            },
            end: ends[index],
            escaped: false,
        };
        convert(self.buf, field, &mut self.timestamps)
    }

    /// [`Self::parse_row`] for any row (quoted fields, a wrong field count, the end of the
    /// buffer), from its start.
    #[inline(never)]
    fn parse_row_in_general(
        &mut self,
        row_start: usize,
    ) -> Result<(OurRow<'a>, usize, u64), Fault> {
        self.scan.seek(row_start);
        let mut count = 0;
        let mut field_start = row_start;
        let mut inner_newlines = 0;
        loop {
            // The common case inline: an unquoted field ends at the next structural byte.
            let (field, terminator) = if self.buf.get(field_start) != Some(&b'"') {
                match self.scan.next_position() {
                    Some(at) => {
                        let terminator = match self.buf[at] {
                            b',' => Terminator::Comma(at),
                            b'\n' => Terminator::Newline(at),
                            _ => {
                                return Err(Fault::new(
                                    ProblemKind::StrayQuote,
                                    FaultText::QuoteInsideField,
                                    (0, 0),
                                ));
                            }
                        };
                        (field(field_start, at), terminator)
                    }
                    None => {
                        self.touched_end = true;
                        (field(field_start, self.buf.len()), Terminator::End)
                    }
                }
            } else {
                self.quoted_field(field_start, &mut inner_newlines)?
            };
            if count < FIELDS {
                self.fields[count] = field;
            }
            count += 1;
            let next = match terminator {
                Terminator::Comma(at) => {
                    field_start = at + 1;
                    continue;
                }
                Terminator::Newline(at) => at + 1,
                Terminator::End => self.buf.len(),
            };
            if count != FIELDS {
                return Err(Fault::new(
                    ProblemKind::WrongFieldCount,
                    FaultText::FieldCount(count),
                    (0, 0),
                ));
            }
            let fields = self.fields;
            return Ok((
                convert(self.buf, |index| fields[index], &mut self.timestamps)?,
                next,
                inner_newlines,
            ));
        }
    }

    /// The common row: twelve unquoted fields, then a line end. Notes where its fields end
    /// and returns true; returns false at anything else (a quote, fewer or more fields, the
    /// end of the buffer), for the general path to read the row again from its start.
    #[inline(always)]
    fn split_plain_row(&mut self, row_start: usize) -> bool {
        self.row_start = row_start;
        if !self.scan.next_positions(&mut self.ends) {
            return false;
        }
        let [commas @ .., line_end] = &self.ends;
        commas.iter().all(|&at| self.buf.get(at) == Some(&b','))
            && self.buf.get(*line_end) == Some(&b'\n')
    }

    fn quoted_field(
        &mut self,
        start: usize,
        inner_newlines: &mut u64,
    ) -> Result<(Field, Terminator), Fault> {
        let unterminated = || {
            Fault::new(
                ProblemKind::UnterminatedQuote,
                FaultText::Unterminated,
                (0, 0),
            )
        };
        let mut escaped = false;
        loop {
            let Some(at) = self.scan.next_position() else {
                self.touched_end = true;
                return Err(unterminated());
            };
            if at == start {
                continue;
            }
            match self.buf[at] {
                b'"' if self.buf.get(at + 1) == Some(&b'"') => {
                    self.scan.next_position();
                    escaped = true;
                }
                b'"' => {
                    let content = Field {
                        start: start + 1,
                        end: at,
                        escaped,
                    };
                    return self.after_closing_quote(content, at + 1);
                }
                b'\n' => {
                    // A writer never produces a complete row inside a quoted field; seeing one
                    // means this quote was never closed and the row below is real.
                    if looks_like_complete_row(self.buf, at + 1) {
                        return Err(unterminated());
                    }
                    *inner_newlines += 1;
                }
                _ => {}
            }
        }
    }

    fn after_closing_quote(
        &mut self,
        content: Field,
        after: usize,
    ) -> Result<(Field, Terminator), Fault> {
        match self.buf.get(after) {
            None => {
                self.touched_end = true;
                Ok((content, Terminator::End))
            }
            Some(b',') => {
                self.scan.next_position();
                Ok((content, Terminator::Comma(after)))
            }
            Some(b'\n') => {
                self.scan.next_position();
                Ok((content, Terminator::Newline(after)))
            }
            Some(b'\r') if self.buf.get(after + 1) == Some(&b'\n') => {
                self.scan.next_position();
                Ok((content, Terminator::Newline(after + 1)))
            }
            Some(byte) => {
                // A `\r` last in the buffer may be half of a line end.
                if *byte == b'\r' && after + 1 == self.buf.len() {
                    self.touched_end = true;
                }
                Err(Fault::new(
                    ProblemKind::StrayQuote,
                    FaultText::TextAfterQuote,
                    (0, 0),
                ))
            }
        }
    }
}

fn field(start: usize, end: usize) -> Field {
    Field {
        start,
        end,
        escaped: false,
    }
}

/// A physical line that is, on its own, a valid unquoted row.
fn looks_like_complete_row(buf: &[u8], line_start: usize) -> bool {
    let line_end = next_line(buf, line_start);
    let line = &buf[line_start..line_end];
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    if line.contains(&b'"') {
        return false;
    }
    let mut fields = [Field::default(); FIELDS];
    let mut count = 0;
    let mut start = line_start;
    for piece in line.split(|&byte| byte == b',') {
        if count == FIELDS {
            return false;
        }
        fields[count] = field(start, start + piece.len());
        start += piece.len() + 1;
        count += 1;
    }
    count == FIELDS
        && convert(
            buf,
            |index| fields[index],
            &mut PlausibleTimestamps::default(),
        )
        .is_ok()
}

#[inline(always)]
fn convert<'a>(
    buf: &'a [u8],
    field: impl Fn(usize) -> Field,
    timestamps: &mut PlausibleTimestamps,
) -> Result<OurRow<'a>, Fault> {
    // Plain functions, not closures: every step of the common row must inline into the walk.
    #[inline(always)]
    fn bad(kind: ProblemKind, what: FaultText, field: Field) -> Fault {
        Fault::new(kind, what, (field.start, field.end))
    }
    #[inline(always)]
    fn number(buf: &[u8], field: Field, column: &'static str) -> Result<u64, Fault> {
        match parse_u64_at(buf, (field.start, field.end)) {
            Some(value) => Ok(value),
            None => Err(bad(
                ProblemKind::BadNumber,
                FaultText::Number(column),
                field,
            )),
        }
    }
    let [
        timestamp,
        operation,
        phase,
        duration,
        details,
        component,
        thread,
        call_id,
        parent_id,
        self_ms,
        start_ns,
        status,
    ] = std::array::from_fn(field);
    let text = |field: Field| Text {
        raw: &buf[field.start..field.end],
        escaped: field.escaped,
    };
    let timestamp_raw = &buf[timestamp.start..timestamp.end];
    if !timestamps.check(timestamp_raw) {
        return Err(bad(
            ProblemKind::BadTimestamp,
            FaultText::Timestamp,
            timestamp,
        ));
    }
    if operation.start == operation.end {
        return Err(bad(
            ProblemKind::EmptyOperation,
            FaultText::EmptyOperation,
            operation,
        ));
    }
    let duration_ns = match parse_ms_as_ns_at(buf, (duration.start, duration.end)) {
        None => {
            return Err(bad(ProblemKind::BadDuration, FaultText::Duration, duration));
        }
        Some(ns) if ns < 0 => {
            return Err(bad(
                ProblemKind::NegativeDuration,
                FaultText::NegativeDuration,
                duration,
            ));
        }
        Some(ns) => ns as u64,
    };
    let Ok(thread_id) = u32::try_from(number(buf, thread, "thread")?) else {
        return Err(bad(
            ProblemKind::BadNumber,
            FaultText::Number("thread"),
            thread,
        ));
    };
    let call = number(buf, call_id, "call_id")?;
    if call == 0 {
        return Err(bad(ProblemKind::BadNumber, FaultText::CallIdZero, call_id));
    }
    let parent = if parent_id.start == parent_id.end {
        0
    } else {
        number(buf, parent_id, "parent_id")?
    };
    let Some(self_ns) = parse_ms_as_ns_at(buf, (self_ms.start, self_ms.end)) else {
        return Err(bad(
            ProblemKind::BadNumber,
            FaultText::Number("self_ms"),
            self_ms,
        ));
    };
    let start = number(buf, start_ns, "start_ns")?;
    let status_raw = &buf[status.start..status.end];
    let status_text = status_raw.strip_suffix(b"\r").unwrap_or(status_raw);
    let status = match (status_text.len(), status_text.first()) {
        (2, Some(b'o')) if status_text == b"ok" => Status::Ok,
        (8, Some(b'p')) if status_text == b"panicked" => Status::Panicked,
        (9, Some(b'c')) if status_text == b"cancelled" => Status::Cancelled,
        _ => return Err(bad(ProblemKind::BadStatus, FaultText::Status, status)),
    };
    Ok(OurRow {
        timestamp: timestamp_raw,
        operation: text(operation),
        phase: text(phase),
        details: text(details),
        component: text(component),
        duration_ns,
        thread: thread_id,
        call_id: call,
        parent_id: parent,
        self_ns,
        start_ns: start,
        status,
    })
}

/// Parses every row that starts in `[start, end)` of `source`; a row may run past `end`.
pub fn parse_chunk(
    source: &LogSource,
    start: u64,
    end: u64,
    context: &ChunkContext,
) -> ChunkOutput {
    let mut out = ChunkOutput::new(context);
    let mut format = OurFormat {
        scratch: [Vec::new(), Vec::new(), Vec::new()],
        extent: KeptExtent::default(),
        context,
    };
    walk_rows(source, start, end, context, &mut out, &mut format);
    format.extent.apply(&mut out);
    out
}

/// What outlives a window: buffers for unescaping names, the chunk's wall-clock extent.
struct OurFormat<'c> {
    scratch: [Vec<u8>; 3],
    extent: KeptExtent,
    context: &'c ChunkContext<'c>,
}

impl RowFormat for OurFormat<'_> {
    type Fault = Fault;
    type Reader<'w>
        = OurReader<'w>
    where
        Self: 'w;

    fn reader<'w>(&'w mut self, window: &'w [u8], position: usize, at_eof: bool) -> OurReader<'w> {
        OurReader {
            parser: RowParser::new(window, position),
            scratch: &mut self.scratch,
            extent: WallClockExtent::default(),
            kept: &mut self.extent,
            context: self.context,
            at_eof,
        }
    }
}

struct OurReader<'w> {
    parser: RowParser<'w>,
    scratch: &'w mut [Vec<u8>; 3],
    extent: WallClockExtent<'w>,
    kept: &'w mut KeptExtent,
    context: &'w ChunkContext<'w>,
    at_eof: bool,
}

impl RowFault for Fault {
    fn kind(&self) -> ProblemKind {
        self.kind
    }

    fn message(self, buf: &[u8]) -> String {
        Fault::message(&self, buf)
    }
}

impl RowReader for OurReader<'_> {
    type Fault = Fault;

    #[inline(always)]
    fn seek(&mut self, position: usize) {
        self.parser.seek(position);
    }

    #[inline(always)]
    fn read_row(&mut self, out: &mut ChunkOutput, position: usize, _line: u64) -> RowRead<Fault> {
        // The common row is converted and recorded where it lies, never moved as a whole.
        if self.parser.split_plain_row(position) {
            let next = self.parser.ends[FIELDS - 1] + 1;
            return match self.parser.convert_plain() {
                Ok(row) => {
                    record_row(out, &row, self.context, self.scratch);
                    self.extent.note(&row);
                    RowRead::Row {
                        next,
                        inner_newlines: 0,
                    }
                }
                Err(fault) => RowRead::Fault(fault),
            };
        }
        let parsed = self.parser.parse_row_in_general(position);
        if !self.at_eof && self.parser.touched_end() {
            return RowRead::More;
        }
        match parsed {
            Ok((row, next, inner_newlines)) => {
                record_row(out, &row, self.context, self.scratch);
                self.extent.note(&row);
                RowRead::Row {
                    next,
                    inner_newlines,
                }
            }
            Err(fault) => RowRead::Fault(fault),
        }
    }

    fn finish(self) {
        self.kept.absorb(&self.extent);
    }
}

/// The rows that start first and end last in one window; only their timestamps are
/// converted, and only at the end of the chunk.
#[derive(Default)]
struct WallClockExtent<'a> {
    first: Option<(u64, &'a [u8], u64)>,
    last: Option<(u64, &'a [u8])>,
}

impl<'a> WallClockExtent<'a> {
    #[inline]
    fn note(&mut self, row: &OurRow<'a>) {
        if self.first.is_none_or(|(start, _, _)| row.start_ns < start) {
            self.first = Some((row.start_ns, row.timestamp, row.duration_ns));
        }
        let end = row.start_ns.saturating_add(row.duration_ns);
        if self.last.is_none_or(|(last, _)| end > last) {
            self.last = Some((end, row.timestamp));
        }
    }
}

/// The same over a chunk's windows: each window's candidates, kept (copied) when they beat
/// the earlier windows', so that the chunk's extent is the one a single window would give.
#[derive(Default)]
struct KeptExtent {
    first: Option<(u64, Vec<u8>, u64)>,
    last: Option<(u64, Vec<u8>)>,
}

impl KeptExtent {
    fn absorb(&mut self, window: &WallClockExtent) {
        if let Some((start, stamp, duration)) = window.first
            && self.first.as_ref().is_none_or(|kept| start < kept.0)
        {
            self.first = Some((start, stamp.to_vec(), duration));
        }
        if let Some((end, stamp)) = window.last
            && self.last.as_ref().is_none_or(|kept| end > kept.0)
        {
            self.last = Some((end, stamp.to_vec()));
        }
    }

    fn apply(&self, out: &mut ChunkOutput) {
        let first = self.first.as_ref().and_then(|(_, stamp, duration)| {
            Some(parse_timestamp_us(stamp)? - (duration / 1000) as i64)
        });
        let last = self
            .last
            .as_ref()
            .and_then(|(_, stamp)| parse_timestamp_us(stamp));
        if let (Some(first), Some(last)) = (first, last) {
            out.note_wall_clock(first, last);
        }
    }
}

#[inline(always)]
fn record_row(
    out: &mut ChunkOutput,
    row: &OurRow,
    context: &ChunkContext,
    scratch: &mut [Vec<u8>; 3],
) {
    let [component_buf, operation_buf, phase_buf] = scratch;
    let component = row.component.bytes(component_buf);
    let component = if component.is_empty() {
        context.stem
    } else {
        component
    };
    let id = out.op_id(
        component,
        row.operation.bytes(operation_buf),
        row.phase.bytes(phase_buf),
        context.limits,
    );
    let call = Call {
        duration_ns: row.duration_ns,
        self_ns: Some(row.self_ns),
        start_ns: row.start_ns as i64,
        thread: row.thread,
        status: row.status,
    };
    out.record_call(id, call, context.limits);
    out.record_graph(CallRecord {
        call_id: row.call_id,
        parent_id: row.parent_id,
        key: id,
        thread: row.thread,
        start_ns: row.start_ns,
        duration_ns: row.duration_ns,
        self_ns: row.self_ns,
    });
    out.rows += 1;
}

/// True when a line parses as a row of this format (format detection).
pub fn is_row(line: &[u8]) -> bool {
    let mut parser = RowParser::new(line, 0);
    parser.parse_row(0).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROW: &str = "2026-11-25T03:15:32.123456Z,batch_forward,inference,0.412345,,ppo_trainer,2,8589934593,8589934590,0.398000,1234567890,ok\n";

    fn parse(text: &str) -> Result<(OurRow<'_>, usize, u64), (ProblemKind, String)> {
        RowParser::new(text.as_bytes(), 0)
            .parse_row(0)
            .map_err(|fault| (fault.kind, fault.message(text.as_bytes())))
    }

    #[test]
    fn parses_the_documented_row() {
        let (row, next, inner) = parse(ROW).unwrap();
        assert_eq!(next, ROW.len());
        assert_eq!(inner, 0);
        assert_eq!(
            parse_timestamp_us(row.timestamp),
            Some(1_795_576_532_123_456)
        );
        assert_eq!(row.operation.raw, b"batch_forward");
        assert_eq!(row.phase.raw, b"inference");
        assert_eq!(row.component.raw, b"ppo_trainer");
        assert_eq!(row.duration_ns, 412_345);
        assert_eq!(
            (row.thread, row.call_id, row.parent_id),
            (2, 8_589_934_593, 8_589_934_590)
        );
        assert_eq!(
            (row.self_ns, row.start_ns, row.status),
            (398_000, 1_234_567_890, Status::Ok)
        );
    }

    #[test]
    fn quoted_details_with_commas_quotes_and_newlines() {
        let text = "2026-11-25T03:15:33.000001Z,update_policy,training,245.670001,\"a=1, b=\"\"x\"\"\nc=2\",ppo_trainer,1,4294967297,,241.000000,1300000000,panicked\n";
        let (row, next, inner) = parse(text).unwrap();
        assert_eq!(next, text.len());
        assert_eq!(inner, 1);
        assert_eq!(row.parent_id, 0);
        assert_eq!(row.status, Status::Panicked);
        assert_eq!(row.duration_ns, 245_670_001);
        let mut scratch = Vec::new();
        assert_eq!(row.details.bytes(&mut scratch), b"a=1, b=\"x\"\nc=2");
    }

    #[test]
    fn a_row_cut_by_the_end_of_the_buffer_says_so() {
        let mut whole = RowParser::new(ROW.as_bytes(), 0);
        assert!(whole.parse_row(0).is_ok());
        assert!(!whole.touched_end());
        // Without its line end the last field runs to the end of the buffer.
        let cut = &ROW[..ROW.len() - 1];
        let mut parser = RowParser::new(cut.as_bytes(), 0);
        assert!(parser.parse_row(0).is_ok());
        assert!(parser.touched_end());
        // A quoted field still open at the end: more may follow in the file.
        let open = "2026-11-25T03:15:32Z,op,p,1,\"a\nb";
        let mut parser = RowParser::new(open.as_bytes(), 0);
        assert!(parser.parse_row(0).is_err());
        assert!(parser.touched_end());
        let short = "2026-11-25T03:15:32Z,op,p,1,\"a\"";
        let mut parser = RowParser::new(short.as_bytes(), 0);
        assert!(parser.parse_row(0).is_err());
        assert!(parser.touched_end());
    }

    #[test]
    fn quoted_operation_names_are_unescaped() {
        let text = "2026-11-25T03:15:33Z,\"say \"\"hi\"\"\",p,1,,c,1,5,,1,0,cancelled";
        let (row, next, _) = parse(text).unwrap();
        assert_eq!(next, text.len());
        let mut scratch = Vec::new();
        assert_eq!(row.operation.bytes(&mut scratch), b"say \"hi\"");
        assert_eq!(row.status, Status::Cancelled);
    }

    #[test]
    fn crlf_line_ends_are_tolerated() {
        let text = ROW.replace('\n', "\r\n");
        assert_eq!(parse(&text).unwrap().0.status, Status::Ok);
    }

    #[test]
    fn each_fault_is_named() {
        let cases = [
            (
                "x,y\n",
                ProblemKind::WrongFieldCount,
                "expected 12 fields, found 2",
            ),
            (
                "2026-13-25T03:15:32Z,op,p,1,,c,1,5,,1,0,ok\n",
                ProblemKind::BadTimestamp,
                "bad timestamp \"2026-13-25T03:15:32Z\"",
            ),
            (
                "2026-11-25T03:15:32Z,,p,1,,c,1,5,,1,0,ok\n",
                ProblemKind::EmptyOperation,
                "empty operation name",
            ),
            (
                "2026-11-25T03:15:32Z,op,p,abc,,c,1,5,,1,0,ok\n",
                ProblemKind::BadDuration,
                "non-numeric duration_ms \"abc\"",
            ),
            (
                "2026-11-25T03:15:32Z,op,p,-1.0,,c,1,5,,1,0,ok\n",
                ProblemKind::NegativeDuration,
                "negative duration_ms \"-1.0\"",
            ),
            (
                "2026-11-25T03:15:32Z,op,p,1,,c,x,5,,1,0,ok\n",
                ProblemKind::BadNumber,
                "bad thread \"x\"",
            ),
            (
                "2026-11-25T03:15:32Z,op,p,1,,c,1,0,,1,0,ok\n",
                ProblemKind::BadNumber,
                "bad call_id \"0\" (ids are never 0)",
            ),
            (
                "2026-11-25T03:15:32Z,op,p,1,,c,1,5,q,1,0,ok\n",
                ProblemKind::BadNumber,
                "bad parent_id \"q\"",
            ),
            (
                "2026-11-25T03:15:32Z,op,p,1,,c,1,5,,z,0,ok\n",
                ProblemKind::BadNumber,
                "bad self_ms \"z\"",
            ),
            (
                "2026-11-25T03:15:32Z,op,p,1,,c,1,5,,1,-3,ok\n",
                ProblemKind::BadNumber,
                "bad start_ns \"-3\"",
            ),
            (
                "2026-11-25T03:15:32Z,op,p,1,,c,1,5,,1,0,done\n",
                ProblemKind::BadStatus,
                "unknown status \"done\"",
            ),
            (
                "2026-11-25T03:15:32Z,op,p,1,a\"b,c,1,5,,1,0,ok\n",
                ProblemKind::StrayQuote,
                "double quote inside an unquoted field",
            ),
            (
                "2026-11-25T03:15:32Z,op,p,1,\"a\"b,c,1,5,,1,0,ok\n",
                ProblemKind::StrayQuote,
                "text after a closing quote",
            ),
            (
                "2026-11-25T03:15:32Z,op,p,1,\"open",
                ProblemKind::UnterminatedQuote,
                "quoted field never closed",
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
    fn an_unclosed_quote_does_not_swallow_the_next_row() {
        let text = format!("2026-11-25T03:15:32Z,op,p,1,\"open\n{ROW}");
        assert_eq!(parse(&text).unwrap_err().0, ProblemKind::UnterminatedQuote);
        assert!(looks_like_complete_row(
            text.as_bytes(),
            text.len() - ROW.len()
        ));
    }

    proptest::proptest! {
        /// The common row's path (twelve unquoted fields) reads every row, mutated or not,
        /// as the general path does.
        #[test]
        fn the_plain_row_path_agrees_with_the_general_one(
            edits in proptest::collection::vec(
                (0usize..140, proptest::prop_oneof![
                    proptest::strategy::Just(b','), proptest::strategy::Just(b'"'),
                    proptest::strategy::Just(b'\n'), proptest::strategy::Just(b'\r'),
                    proptest::strategy::Just(b'-'), proptest::strategy::Just(b'.'),
                    b'0'..=b'9', b'a'..=b'z']),
                0..4),
            cut in 0usize..150,
        ) {
            let mut text = format!("{ROW}{ROW}").into_bytes();
            for (at, byte) in edits {
                if at < text.len() {
                    text[at] = byte;
                }
            }
            text.truncate(cut.max(1).min(text.len()));
            let mut fast = RowParser::new(&text, 0);
            let mut general = RowParser::new(&text, 0);
            proptest::prop_assert_eq!(fast.parse_row(0), general.parse_row_in_general(0));
            proptest::prop_assert_eq!(fast.touched_end(), general.touched_end());
        }
    }

    #[test]
    fn detects_rows() {
        assert!(is_row(ROW.as_bytes()));
        assert!(!is_row(HEADER.as_bytes()));
        assert!(!is_row(
            b"2024-01-15T10:30:45.123456,END_update_policy,training,245.67,updates=8"
        ));
    }
}
