//! Splits a file into one chunk per reader thread on line boundaries and parses the chunks in
//! parallel, each read a window at a time. A quoted field may hold a line break, so a boundary could in theory fall inside
//! a row: each chunk reports where its last row ended, and a chunk that started anywhere else
//! is parsed again from there, so the result is the same as one sequential pass. The chunks
//! are parsed on rayon's pool; a reader that panics fails the file with its byte range, since
//! a report without that chunk's rows would be wrong.

use rayon::prelude::*;

use super::chunk::{ChunkContext, ChunkOutput};
use super::detect::LogFormat;
use super::source::LogSource;
use super::{legacy, ours};
use crate::options::INJECTED_PANIC;
use crate::workers::catch_panic;

/// A reader that panicked on bytes `start..end` of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkPanicked {
    pub start: u64,
    pub end: u64,
    pub message: String,
}

/// Below this size a file is parsed as one chunk: splitting costs more than it saves.
pub const PARALLEL_MIN_BYTES: u64 = 4 << 20;

/// Lines skipped at most while looking for a boundary that starts like a row.
const BOUNDARY_SEARCH_LINES: usize = 64;
/// Bytes read at a target to find a boundary there.
const BOUNDARY_PROBE: usize = 1 << 20;

fn parse(
    format: LogFormat,
    source: &LogSource,
    start: u64,
    end: u64,
    context: &ChunkContext,
) -> ChunkOutput {
    match format {
        LogFormat::Legacy => legacy::parse_chunk(source, start, end, context),
        // OTLP files are read whole by `otlp_json`, never split.
        LogFormat::Ours | LogFormat::Otlp | LogFormat::Empty => {
            ours::parse_chunk(source, start, end, context)
        }
    }
}

/// Parses `start..end`, returning a panic as a value. `chunk` is the chunk's index for
/// [`ChunkContext::inject_panic`] (`None` when a chunk is parsed again from a repaired start).
fn parse_caught(
    format: LogFormat,
    source: &LogSource,
    (start, end): (u64, u64),
    chunk: Option<usize>,
    context: &ChunkContext,
) -> Result<ChunkOutput, ChunkPanicked> {
    catch_panic(|| {
        if chunk.is_some() && chunk == context.inject_panic {
            panic!("{INJECTED_PANIC}");
        }
        parse(format, source, start, end, context)
    })
    .map_err(|message| ChunkPanicked {
        start,
        end,
        message,
    })
}

/// `YYYY-MM-DDT` or `YYYY-MM-DD `: the start of a row in both formats.
fn starts_like_a_row(bytes: &[u8]) -> bool {
    bytes.len() >= 11
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && (bytes[10] == b'T' || bytes[10] == b' ')
}

/// The first line start after `target` in `probe` that looks like a row (or the first line
/// start at all if none does within a few lines); `None` without a line end in `probe`.
fn boundary_in(probe: &[u8]) -> Option<usize> {
    let first = memchr::memchr(b'\n', probe)? + 1;
    let mut candidate = first;
    for _ in 0..BOUNDARY_SEARCH_LINES {
        if candidate >= probe.len() || starts_like_a_row(&probe[candidate..]) {
            return Some(candidate);
        }
        candidate = match memchr::memchr(b'\n', &probe[candidate..]) {
            Some(offset) => candidate + offset + 1,
            None => return Some(first),
        };
    }
    Some(first)
}

/// The boundary after `target` in the file, read from a probe there.
fn boundary_after(source: &LogSource, target: u64) -> Option<u64> {
    let mut probe = Vec::new();
    source.read_at(target, BOUNDARY_PROBE, &mut probe).ok()?;
    boundary_in(&probe).map(|offset| target + offset as u64)
}

/// Parses the whole file in up to `threads` chunks; the outputs are in file order and
/// cover every byte exactly once.
pub fn parse_parallel(
    format: LogFormat,
    source: &LogSource,
    threads: usize,
    context: &ChunkContext,
) -> Result<Vec<ChunkOutput>, ChunkPanicked> {
    let chunks = if source.len() < PARALLEL_MIN_BYTES {
        1
    } else {
        threads.max(1) as u64
    };
    let targets: Vec<u64> = (1..chunks)
        .map(|index| source.len() * index / chunks)
        .collect();
    parse_split(format, source, &targets, context)
}

/// Parses the file in chunks that start at the first row boundary after each target
/// position, in parallel. Fails with the first chunk (in file order) whose reader panicked.
pub fn parse_split(
    format: LogFormat,
    source: &LogSource,
    targets: &[u64],
    context: &ChunkContext,
) -> Result<Vec<ChunkOutput>, ChunkPanicked> {
    let len = source.len();
    let mut starts = vec![0u64];
    for &target in targets {
        let previous = *starts.last().unwrap_or(&0);
        let boundary = boundary_after(source, target.clamp(previous, len));
        if let Some(boundary) = boundary.filter(|&b| b < len && b > previous) {
            starts.push(boundary);
        }
    }
    let ends: Vec<u64> = starts.iter().skip(1).copied().chain([len]).collect();
    let ranges: Vec<(u64, u64)> = starts.iter().copied().zip(ends.iter().copied()).collect();
    let parsed: Vec<Result<ChunkOutput, ChunkPanicked>> = ranges
        .par_iter()
        .enumerate()
        .map(|(index, &range)| parse_caught(format, source, range, Some(index), context))
        .collect();
    let mut outputs = parsed.into_iter().collect::<Result<Vec<_>, _>>()?;
    for index in 1..outputs.len() {
        let resume = outputs[index - 1].ended_at;
        if resume != starts[index] {
            outputs[index] = if resume >= ends[index] {
                let mut empty = ChunkOutput::new(context);
                empty.ended_at = resume;
                empty.legacy = (format == LogFormat::Legacy).then(Default::default);
                empty
            } else {
                parse_caught(format, source, (resume, ends[index]), None, context)?
            };
        }
    }
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::chunk::WINDOW;
    use crate::stats::accumulator::Limits;

    /// Windows of a few dozen bytes: most rows are cut by one and read again from the next.
    const CONTEXT: ChunkContext = ChunkContext {
        stem: b"stem",
        limits: Limits {
            exact_cap: 1000,
            timeline_cap: 64,
        },
        callgraph_budget: 1000,
        window: 37,
        inject_panic: None,
    };

    fn source(text: &[u8]) -> LogSource {
        LogSource::from_bytes(text.to_vec())
    }

    #[test]
    fn boundaries_prefer_lines_that_start_like_rows() {
        let buf = b"2026-11-25T0,\"x\ny\",\nmore\n2026-11-25T1\n";
        let buf = source(buf);
        assert_eq!(boundary_after(&buf, 3), Some(25));
        assert_eq!(boundary_after(&buf, 17), Some(25));
        assert_eq!(boundary_after(&buf, 30), Some(buf.len()));
        assert_eq!(boundary_after(&source(b"no line end"), 2), None);
    }

    #[test]
    fn a_boundary_inside_a_quoted_field_is_repaired() {
        let row = "2026-11-25T03:15:32.123456Z,op,p,1.0,,c,1,7,,1.0,5,ok\n";
        // The details field holds a line break followed by text that looks like a row start.
        let tricky =
            "2026-11-25T03:15:33.000000Z,op,p,2.0,\"a\n2026-11-25T9 fake\",c,1,8,,2.0,6,ok\n";
        let mut text = String::new();
        for _ in 0..3 {
            text.push_str(row);
        }
        text.push_str(tricky);
        text.push_str(row);
        let buf = source(text.as_bytes());
        let sequential = parse(LogFormat::Ours, &buf, 0, buf.len(), &CONTEXT);
        assert_eq!(sequential.rows, 5);
        assert!(sequential.problems.is_empty());
        // Split exactly at the fake row start inside the quoted field.
        let split = text.find("2026-11-25T9").unwrap() as u64;
        let first = parse(LogFormat::Ours, &buf, 0, split, &CONTEXT);
        assert_eq!(first.ended_at, (text.len() - row.len()) as u64);
        assert_eq!(first.rows, 4);
    }

    /// A chunk's last window stops soon after the chunk's end; a row that runs on far past it
    /// (a quoted field of 200 KB after a boundary inside it) is still read whole, once.
    #[test]
    fn a_row_running_far_past_the_chunk_end_is_read_whole() {
        let row = "2026-11-25T03:15:32.123456Z,op,p,1.0,,c,1,7,,1.0,5,ok\n";
        let long = format!(
            "2026-11-25T03:15:33.000000Z,long,p,2.0,\"a\n2026-11-25T9 {}\",c,1,8,,2.0,6,ok\n",
            "y".repeat(200_000)
        );
        let text = format!("{}{long}{}", row.repeat(3), row.repeat(2));
        let buf = source(text.as_bytes());
        let context = ChunkContext {
            window: WINDOW,
            ..CONTEXT
        };
        let split = text.find("2026-11-25T9").unwrap() as u64;
        let first = parse(LogFormat::Ours, &buf, 0, split, &context);
        assert_eq!(first.ended_at, (text.len() - 2 * row.len()) as u64);
        assert_eq!((first.rows, first.lines), (4, 5));
        assert!(first.problems.is_empty());
        let keys: Vec<&str> = first
            .interner
            .keys()
            .iter()
            .map(|key| key.operation.as_str())
            .collect();
        assert_eq!(keys, ["op", "long"]);
        let whole = parse_split(LogFormat::Ours, &buf, &[split - 5], &context).unwrap();
        assert_eq!(whole.iter().map(|output| output.rows).sum::<u64>(), 6);
        assert!(whole.iter().all(|output| output.problems.is_empty()));
    }

    #[test]
    fn parallel_parsing_matches_sequential() {
        let row = "2026-11-25T03:15:32.123456Z,op,p,1.0,\"a,\nb\",c,1,7,,1.0,5,ok\n";
        let count = PARALLEL_MIN_BYTES as usize / row.len() + 100;
        let text = row.repeat(count);
        let buf = source(text.as_bytes());
        let context = ChunkContext {
            window: WINDOW,
            ..CONTEXT
        };
        let outputs = parse_parallel(LogFormat::Ours, &buf, 3, &context).unwrap();
        assert_eq!(outputs.len(), 3);
        let rows: u64 = outputs.iter().map(|o| o.rows).sum();
        let lines: u64 = outputs.iter().map(|o| o.lines).sum();
        assert_eq!(rows as usize, count);
        assert_eq!(lines, rows * 2);
        assert!(outputs.iter().all(|o| o.problems.is_empty()));
        assert_eq!(outputs.last().unwrap().ended_at, text.len() as u64);
    }

    #[test]
    fn small_windows_read_the_same_as_one_window() {
        let header = crate::ingest::ours::HEADER;
        let text = format!(
            "{header}\n2026-11-25T03:15:32.1Z,op,p,1.0,\"a,\nb\",c,1,7,,1.0,5,ok\n\nbad\r\n{header}\n2026-11-25T03:15:32.2Z,{},p,1.5,,c,2,8,7,1.5,6,panicked\ntorn,",
            "x".repeat(100)
        );
        let buf = source(text.as_bytes());
        let whole = parse(
            LogFormat::Ours,
            &buf,
            0,
            buf.len(),
            &ChunkContext {
                window: WINDOW,
                ..CONTEXT
            },
        );
        for window in [1, 2, 7, 37, 64] {
            let context = ChunkContext { window, ..CONTEXT };
            let small = parse(LogFormat::Ours, &buf, 0, buf.len(), &context);
            assert_eq!(
                (small.rows, small.lines, small.header_lines, small.ended_at),
                (whole.rows, whole.lines, whole.header_lines, whole.ended_at),
                "window {window}"
            );
            assert_eq!(small.problems, whole.problems, "window {window}");
            assert_eq!(small.interner.keys(), whole.interner.keys());
            assert_eq!(
                (small.first_start_us, small.last_end_us),
                (whole.first_start_us, whole.last_end_us)
            );
        }
        assert_eq!((whole.rows, whole.header_lines), (2, 2));
        assert_eq!(whole.problems.total(), 3);
    }

    #[test]
    fn a_panicking_reader_fails_with_its_byte_range() {
        let row = "2026-11-25T03:15:32.123456Z,op,p,1.0,,c,1,7,,1.0,5,ok\n";
        let text = row.repeat(10);
        let buf = source(text.as_bytes());
        let len = row.len() as u64;
        for chunk in 0..3 {
            let context = ChunkContext {
                inject_panic: Some(chunk),
                ..CONTEXT
            };
            // Targets inside rows 3 and 6: the chunks start at rows 4 and 7.
            let failure = parse_split(LogFormat::Ours, &buf, &[len * 3 + 5, len * 6 + 5], &context)
                .err()
                .unwrap();
            let bounds = [0, len * 4, len * 7, buf.len()];
            assert_eq!(
                failure,
                ChunkPanicked {
                    start: bounds[chunk],
                    end: bounds[chunk + 1],
                    message: INJECTED_PANIC.to_string(),
                }
            );
        }
        let whole = parse_split(LogFormat::Ours, &buf, &[len * 3 + 5], &CONTEXT).unwrap();
        assert_eq!(whole.iter().map(|output| output.rows).sum::<u64>(), 10);
    }
}
