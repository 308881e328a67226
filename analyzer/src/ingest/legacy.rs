//! The original Python system's log: a banner, a 5-column header, then
//! `timestamp,START_x|END_x|EVENT_x,phase,duration_ms,details` where details runs to the end of
//! the line with unquoted commas. Only END rows carry a duration (two decimals).
//!
//! Written by hand for the reasons and with the benchmark given in `ours.rs`
//! (`cargo bench -p analyzer` (benches/report_vs_anchors.rs), the original's format).

use super::chunk::{ChunkContext, ChunkOutput, RowFault, RowReader, walk_rows};
use super::nesting::LegacyNesting;
use super::numbers::{TimestampCache, parse_ms_as_ns};
use super::problems::{ProblemKind, excerpt};
use super::scan::Structurals;
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
}

type Fault = (ProblemKind, String);

/// Parses the row at `row_start` (the scanner must not have passed it); returns the row and
/// the start of the next line.
#[inline(always)]
fn parse_row<'a>(
    buf: &'a [u8],
    scan: &mut Structurals,
    clock: &mut TimestampCache,
    row_start: usize,
) -> Result<(LegacyRow<'a>, usize), Fault> {
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
        },
        next,
    ))
}

/// Parses every line that starts in `[start, end)`.
pub fn parse_chunk(buf: &[u8], start: usize, end: usize, context: &ChunkContext) -> ChunkOutput {
    let mut out = ChunkOutput::new(context);
    let mut reader = LegacyReader {
        buf,
        scan: Structurals::new(buf, start),
        clock: TimestampCache::default(),
        nesting: LegacyNesting::default(),
        context,
    };
    walk_rows(buf, start, end, context, &mut out, &mut reader);
    out.legacy = Some(reader.nesting);
    out
}

struct LegacyReader<'a, 'c> {
    buf: &'a [u8],
    scan: Structurals<'a>,
    clock: TimestampCache,
    nesting: LegacyNesting,
    context: &'c ChunkContext<'c>,
}

impl RowFault for Fault {
    fn kind(&self) -> ProblemKind {
        self.0
    }

    fn message(self, _buf: &[u8]) -> String {
        self.1
    }
}

impl RowReader for LegacyReader<'_, '_> {
    type Fault = Fault;

    #[inline(always)]
    fn seek(&mut self, position: usize) {
        self.scan.seek(position);
    }

    #[inline(always)]
    fn read_row(
        &mut self,
        out: &mut ChunkOutput,
        position: usize,
        line: u64,
    ) -> Result<(usize, u64), Fault> {
        let (row, next) = parse_row(self.buf, &mut self.scan, &mut self.clock, position)?;
        record_row(out, &mut self.nesting, &row, line, self.context);
        Ok((next, 0))
    }
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
        assert_eq!(row.timestamp_us, 1_705_314_645_123_456);
        assert_eq!(next, text.len() - 4);
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
