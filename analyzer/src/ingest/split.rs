//! Splits a file into one chunk per reader thread on line boundaries and parses the chunks in
//! parallel. A quoted field may hold a line break, so a boundary could in theory fall inside
//! a row: each chunk reports where its last row ended, and a chunk that started anywhere else
//! is parsed again from there, so the result is the same as one sequential pass. The chunks
//! are parsed on rayon's pool; a reader that panics fails the file with its byte range, since
//! a report without that chunk's rows would be wrong.

use rayon::prelude::*;

use super::chunk::{ChunkContext, ChunkOutput};
use super::detect::LogFormat;
use super::{legacy, ours};
use crate::options::INJECTED_PANIC;
use crate::workers::catch_panic;

/// A reader that panicked on bytes `start..end` of the buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkPanicked {
    pub start: usize,
    pub end: usize,
    pub message: String,
}

/// Below this size a file is parsed as one chunk: splitting costs more than it saves.
pub const PARALLEL_MIN_BYTES: usize = 4 << 20;

/// Lines skipped at most while looking for a boundary that starts like a row.
const BOUNDARY_SEARCH_LINES: usize = 64;

fn parse(
    format: LogFormat,
    buf: &[u8],
    start: usize,
    end: usize,
    context: &ChunkContext,
) -> ChunkOutput {
    match format {
        LogFormat::Legacy => legacy::parse_chunk(buf, start, end, context),
        // OTLP files are read whole by `otlp_json`, never split.
        LogFormat::Ours | LogFormat::Otlp | LogFormat::Empty => {
            ours::parse_chunk(buf, start, end, context)
        }
    }
}

/// Parses `start..end`, returning a panic as a value. `chunk` is the chunk's index for
/// [`ChunkContext::inject_panic`] (`None` when a chunk is parsed again from a repaired start).
fn parse_caught(
    format: LogFormat,
    buf: &[u8],
    (start, end): (usize, usize),
    chunk: Option<usize>,
    context: &ChunkContext,
) -> Result<ChunkOutput, ChunkPanicked> {
    catch_panic(|| {
        if chunk.is_some() && chunk == context.inject_panic {
            panic!("{INJECTED_PANIC}");
        }
        parse(format, buf, start, end, context)
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

/// The first line start at or after `target` that looks like a row (or the first line start
/// at all if none does within a few lines).
fn boundary_after(buf: &[u8], target: usize) -> usize {
    let mut candidate = match memchr::memchr(b'\n', &buf[target..]) {
        Some(offset) => target + offset + 1,
        None => return buf.len(),
    };
    let first = candidate;
    for _ in 0..BOUNDARY_SEARCH_LINES {
        if candidate >= buf.len() || starts_like_a_row(&buf[candidate..]) {
            return candidate;
        }
        candidate = match memchr::memchr(b'\n', &buf[candidate..]) {
            Some(offset) => candidate + offset + 1,
            None => buf.len(),
        };
    }
    first
}

/// Parses the whole buffer in up to `threads` chunks; the outputs are in file order and
/// cover every byte exactly once.
pub fn parse_parallel(
    format: LogFormat,
    buf: &[u8],
    threads: usize,
    context: &ChunkContext,
) -> Result<Vec<ChunkOutput>, ChunkPanicked> {
    let chunks = if buf.len() < PARALLEL_MIN_BYTES {
        1
    } else {
        threads.max(1)
    };
    let targets: Vec<usize> = (1..chunks)
        .map(|index| buf.len() * index / chunks)
        .collect();
    parse_split(format, buf, &targets, context)
}

/// Parses the buffer in chunks that start at the first row boundary after each target
/// position, in parallel. Fails with the first chunk (in file order) whose reader panicked.
pub fn parse_split(
    format: LogFormat,
    buf: &[u8],
    targets: &[usize],
    context: &ChunkContext,
) -> Result<Vec<ChunkOutput>, ChunkPanicked> {
    let mut starts = vec![0usize];
    for &target in targets {
        let previous = *starts.last().unwrap_or(&0);
        let boundary = boundary_after(buf, target.clamp(previous, buf.len()));
        if boundary < buf.len() && boundary > previous {
            starts.push(boundary);
        }
    }
    let ends: Vec<usize> = starts.iter().skip(1).copied().chain([buf.len()]).collect();
    let ranges: Vec<(usize, usize)> = starts.iter().copied().zip(ends.iter().copied()).collect();
    let parsed: Vec<Result<ChunkOutput, ChunkPanicked>> = ranges
        .par_iter()
        .enumerate()
        .map(|(index, &range)| parse_caught(format, buf, range, Some(index), context))
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
                parse_caught(format, buf, (resume, ends[index]), None, context)?
            };
        }
    }
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::accumulator::Limits;

    const CONTEXT: ChunkContext = ChunkContext {
        stem: b"stem",
        limits: Limits {
            exact_cap: 1000,
            timeline_cap: 64,
        },
        callgraph_budget: 1000,
        release_pages: false,
        inject_panic: None,
    };

    #[test]
    fn boundaries_prefer_lines_that_start_like_rows() {
        let buf = b"2026-11-25T0,\"x\ny\",\nmore\n2026-11-25T1\n";
        assert_eq!(boundary_after(buf, 3), 25);
        assert_eq!(boundary_after(buf, 17), 25);
        assert_eq!(boundary_after(buf, 30), buf.len());
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
        let buf = text.as_bytes();
        let sequential = parse(LogFormat::Ours, buf, 0, buf.len(), &CONTEXT);
        assert_eq!(sequential.rows, 5);
        assert!(sequential.problems.is_empty());
        // Split exactly at the fake row start inside the quoted field.
        let split = text.find("2026-11-25T9").unwrap();
        let first = parse(LogFormat::Ours, buf, 0, split, &CONTEXT);
        assert_eq!(first.ended_at, text.len() - row.len());
        assert_eq!(first.rows, 4);
    }

    #[test]
    fn parallel_parsing_matches_sequential() {
        let row = "2026-11-25T03:15:32.123456Z,op,p,1.0,\"a,\nb\",c,1,7,,1.0,5,ok\n";
        let text = row.repeat(PARALLEL_MIN_BYTES / row.len() + 100);
        let outputs = parse_parallel(LogFormat::Ours, text.as_bytes(), 3, &CONTEXT).unwrap();
        assert_eq!(outputs.len(), 3);
        let rows: u64 = outputs.iter().map(|o| o.rows).sum();
        let lines: u64 = outputs.iter().map(|o| o.lines).sum();
        assert_eq!(rows as usize, PARALLEL_MIN_BYTES / row.len() + 100);
        assert_eq!(lines, rows * 2);
        assert!(outputs.iter().all(|o| o.problems.is_empty()));
        assert_eq!(outputs.last().unwrap().ended_at, text.len());
    }

    #[test]
    fn a_panicking_reader_fails_with_its_byte_range() {
        let row = "2026-11-25T03:15:32.123456Z,op,p,1.0,,c,1,7,,1.0,5,ok\n";
        let text = row.repeat(10);
        let buf = text.as_bytes();
        for chunk in 0..3 {
            let context = ChunkContext {
                inject_panic: Some(chunk),
                ..CONTEXT
            };
            // Targets inside rows 3 and 6: the chunks start at rows 4 and 7.
            let failure = parse_split(
                LogFormat::Ours,
                buf,
                &[row.len() * 3 + 5, row.len() * 6 + 5],
                &context,
            )
            .err()
            .unwrap();
            let bounds = [0, row.len() * 4, row.len() * 7, buf.len()];
            assert_eq!(
                failure,
                ChunkPanicked {
                    start: bounds[chunk],
                    end: bounds[chunk + 1],
                    message: INJECTED_PANIC.to_string(),
                }
            );
        }
        let whole = parse_split(LogFormat::Ours, buf, &[row.len() * 3 + 5], &CONTEXT).unwrap();
        assert_eq!(whole.iter().map(|output| output.rows).sum::<u64>(), 10);
    }
}
