//! Our own log format (`timed-runtime`): 12 RFC 4180 fields per row, any text field may be
//! quoted, a quoted field may hold line breaks. Only the fields the analysis needs are
//! converted; `details` is skipped.
//!
//! Written by hand rather than with the `csv` crate because it is faster here: no record is
//! copied (fields are byte ranges of the mapped log), only eight of twelve fields are
//! converted, and the operation key is interned where it lies. The benchmark is
//! `cargo bench -p analyzer` (benches/report_vs_anchors.rs), whose rows per second of the whole report this
//! parser dominates (README "Speed").

use super::callgraph::CallRecord;
use super::chunk::{ChunkContext, ChunkOutput, RowFault, RowReader, next_line, walk_rows};
use super::numbers::{is_plausible_timestamp, parse_ms_as_ns, parse_timestamp_us, parse_u64};
use super::problems::{ProblemKind, excerpt};
use super::scan::Structurals;
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
    pub fn bytes<'s>(&self, scratch: &'s mut Vec<u8>) -> &'s [u8]
    where
        'a: 's,
    {
        if !self.escaped {
            return self.raw;
        }
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
    /// Checked for shape; converted only where needed (see [`is_plausible_timestamp`]).
    pub timestamp: &'a [u8],
    pub operation: Text<'a>,
    pub phase: Text<'a>,
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
}

impl<'a> RowParser<'a> {
    pub fn new(buf: &'a [u8], position: usize) -> Self {
        RowParser {
            buf,
            scan: Structurals::new(buf, position),
            fields: [Field::default(); FIELDS],
        }
    }

    pub fn seek(&mut self, position: usize) {
        self.scan.seek(position);
    }

    /// Parses the row at `row_start`: the row, where the next row starts, and the line breaks
    /// inside quoted fields. The scanner must not have passed `row_start`.
    pub fn parse_row(&mut self, row_start: usize) -> Result<(OurRow<'a>, usize, u64), Fault> {
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
                    None => (field(field_start, self.buf.len()), Terminator::End),
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
            return Ok((convert(self.buf, &self.fields)?, next, inner_newlines));
        }
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
            let at = self.scan.next_position().ok_or_else(unterminated)?;
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
            None => Ok((content, Terminator::End)),
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
            Some(_) => Err(Fault::new(
                ProblemKind::StrayQuote,
                FaultText::TextAfterQuote,
                (0, 0),
            )),
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
    count == FIELDS && convert(buf, &fields).is_ok()
}

fn convert<'a>(buf: &'a [u8], fields: &[Field; FIELDS]) -> Result<OurRow<'a>, Fault> {
    let raw = |index: usize| &buf[fields[index].start..fields[index].end];
    let span = |index: usize| (fields[index].start, fields[index].end);
    let text = |index: usize| Text {
        raw: raw(index),
        escaped: fields[index].escaped,
    };
    let timestamp = raw(0);
    if !is_plausible_timestamp(timestamp) {
        return Err(Fault::new(
            ProblemKind::BadTimestamp,
            FaultText::Timestamp,
            span(0),
        ));
    }
    if raw(1).is_empty() {
        return Err(Fault::new(
            ProblemKind::EmptyOperation,
            FaultText::EmptyOperation,
            span(1),
        ));
    }
    let duration_ns = match parse_ms_as_ns(raw(3)) {
        None => {
            return Err(Fault::new(
                ProblemKind::BadDuration,
                FaultText::Duration,
                span(3),
            ));
        }
        Some(ns) if ns < 0 => {
            return Err(Fault::new(
                ProblemKind::NegativeDuration,
                FaultText::NegativeDuration,
                span(3),
            ));
        }
        Some(ns) => ns as u64,
    };
    let number = |index: usize, column: &'static str| -> Result<u64, Fault> {
        parse_u64(raw(index)).ok_or(Fault::new(
            ProblemKind::BadNumber,
            FaultText::Number(column),
            span(index),
        ))
    };
    let thread = number(6, "thread")?;
    let thread = u32::try_from(thread)
        .map_err(|_| Fault::new(ProblemKind::BadNumber, FaultText::Number("thread"), span(6)))?;
    let call_id = number(7, "call_id")?;
    if call_id == 0 {
        return Err(Fault::new(
            ProblemKind::BadNumber,
            FaultText::CallIdZero,
            span(7),
        ));
    }
    let parent_id = if raw(8).is_empty() {
        0
    } else {
        number(8, "parent_id")?
    };
    let self_ns = parse_ms_as_ns(raw(9)).ok_or(Fault::new(
        ProblemKind::BadNumber,
        FaultText::Number("self_ms"),
        span(9),
    ))?;
    let start_ns = number(10, "start_ns")?;
    let status_raw = raw(11);
    let status_text = status_raw.strip_suffix(b"\r").unwrap_or(status_raw);
    let status = match (status_text.len(), status_text.first()) {
        (2, Some(b'o')) if status_text == b"ok" => Status::Ok,
        (8, Some(b'p')) if status_text == b"panicked" => Status::Panicked,
        (9, Some(b'c')) if status_text == b"cancelled" => Status::Cancelled,
        _ => {
            return Err(Fault::new(
                ProblemKind::BadStatus,
                FaultText::Status,
                span(11),
            ));
        }
    };
    Ok(OurRow {
        timestamp,
        operation: text(1),
        phase: text(2),
        component: text(5),
        duration_ns,
        thread,
        call_id,
        parent_id,
        self_ns,
        start_ns,
        status,
    })
}

/// Parses every row that starts in `[start, end)`; a row may run past `end`.
pub fn parse_chunk(buf: &[u8], start: usize, end: usize, context: &ChunkContext) -> ChunkOutput {
    let mut out = ChunkOutput::new(context);
    let mut reader = OurReader {
        parser: RowParser::new(buf, start),
        scratch: [Vec::new(), Vec::new(), Vec::new()],
        extent: WallClockExtent::default(),
        context,
    };
    walk_rows(buf, start, end, context, &mut out, &mut reader);
    reader.extent.apply(&mut out);
    out
}

struct OurReader<'a, 'c> {
    parser: RowParser<'a>,
    scratch: [Vec<u8>; 3],
    extent: WallClockExtent<'a>,
    context: &'c ChunkContext<'c>,
}

impl RowFault for Fault {
    fn kind(&self) -> ProblemKind {
        self.kind
    }

    fn message(self, buf: &[u8]) -> String {
        Fault::message(&self, buf)
    }
}

impl RowReader for OurReader<'_, '_> {
    type Fault = Fault;

    #[inline(always)]
    fn seek(&mut self, position: usize) {
        self.parser.seek(position);
    }

    #[inline(always)]
    fn read_row(
        &mut self,
        out: &mut ChunkOutput,
        position: usize,
        _line: u64,
    ) -> Result<(usize, u64), Fault> {
        let (row, next, inner_newlines) = self.parser.parse_row(position)?;
        record_row(out, &row, self.context, &mut self.scratch);
        self.extent.note(&row);
        Ok((next, inner_newlines))
    }
}

/// The rows that start first and end last; only their timestamps are converted.
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

    fn apply(&self, out: &mut ChunkOutput) {
        let first = self.first.and_then(|(_, stamp, duration)| {
            Some(parse_timestamp_us(stamp)? - (duration / 1000) as i64)
        });
        let last = self.last.and_then(|(_, stamp)| parse_timestamp_us(stamp));
        if let (Some(first), Some(last)) = (first, last) {
            out.note_wall_clock(first, last);
        }
    }
}

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

    #[test]
    fn detects_rows() {
        assert!(is_row(ROW.as_bytes()));
        assert!(!is_row(HEADER.as_bytes()));
        assert!(!is_row(
            b"2024-01-15T10:30:45.123456,END_update_policy,training,245.67,updates=8"
        ));
    }
}
