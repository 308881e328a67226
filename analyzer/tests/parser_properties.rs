//! Random bytes and random mutations of valid logs: the readers never panic, and every row
//! that survived intact still counts.

use analyzer::ingest::chunk::{ChunkContext, ChunkOutput, WINDOW};
use analyzer::ingest::detect::LogFormat;
use analyzer::ingest::source::LogSource;
use analyzer::ingest::split::parse_split;
use analyzer::ingest::{legacy, ours};
use analyzer::stats::accumulator::Limits;
use proptest::prelude::*;

const CONTEXT: ChunkContext = ChunkContext {
    stem: b"stem",
    limits: Limits {
        exact_cap: 64,
        timeline_cap: 16,
    },
    callgraph_budget: 64,
    window: WINDOW,
    inject_panic: None,
};

fn source(bytes: &[u8]) -> LogSource {
    LogSource::from_bytes(bytes.to_vec())
}

fn our_row(index: usize, details: &str) -> String {
    let quoted = if details.contains([',', '"', '\n']) {
        format!("\"{}\"", details.replace('"', "\"\""))
    } else {
        details.to_string()
    };
    format!(
        "2026-11-25T03:15:32.{:06}Z,op{},phase,{}.{:06},{quoted},comp,{},{},{},0.000100,{},ok\n",
        index % 1_000_000,
        index % 5,
        index % 7,
        index % 1000,
        1 + index % 3,
        index + 1,
        if index.is_multiple_of(2) {
            String::new()
        } else {
            index.to_string()
        },
        index * 10
    )
}

fn legacy_row(index: usize, details: &str) -> String {
    let details = details.replace('\n', " ");
    match index % 3 {
        0 => format!(
            "2024-01-15T10:30:45.{:06},START_op{},p,,\n",
            index % 1_000_000,
            index % 4
        ),
        1 => format!(
            "2024-01-15T10:30:45.{:06},END_op{},p,{}.{:02},{details}\n",
            index % 1_000_000,
            index % 4,
            index % 9,
            index % 100
        ),
        _ => format!(
            "2024-01-15T10:30:45.{:06},EVENT_e{},p,,{details}\n",
            index % 1_000_000,
            index % 2
        ),
    }
}

fn good_rows(outputs: &[ChunkOutput]) -> u64 {
    outputs.iter().map(|output| output.rows).sum()
}

/// Garbage that stays on one line.
fn garbage_line() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![Just(b','), Just(b'"'), Just(b'\r'), any::<u8>()],
        0..60,
    )
    .prop_map(|bytes| bytes.into_iter().filter(|&byte| byte != b'\n').collect())
}

fn details() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-z=, ]{0,20}", "[a-z\"\n,]{0,12}"]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000), cut in 0usize..2000) {
        for format in [LogFormat::Ours, LogFormat::Legacy] {
            let outputs = parse_split(format, &source(&bytes), &[cut as u64], &CONTEXT).unwrap();
            let len = bytes.len() as u64;
            prop_assert_eq!(outputs.last().map_or(len, |o| o.ended_at), len);
        }
        let _ = ours::is_row(&bytes);
        let _ = legacy::is_row(&bytes);
    }

    #[test]
    fn every_valid_row_between_garbage_lines_counts(
        lines in proptest::collection::vec((any::<bool>(), details(), garbage_line()), 1..40),
        cut in 0usize..4000,
        legacy_format in any::<bool>(),
    ) {
        let mut text = Vec::new();
        let mut valid = 0u64;
        for (index, (is_row, details, garbage)) in lines.iter().enumerate() {
            if *is_row {
                let row = if legacy_format { legacy_row(index, details) } else { our_row(index, details) };
                text.extend_from_slice(row.as_bytes());
                valid += 1;
            } else {
                text.extend_from_slice(garbage);
                text.push(b'\n');
            }
        }
        let format = if legacy_format { LogFormat::Legacy } else { LogFormat::Ours };
        let whole = parse_split(format, &source(&text), &[], &CONTEXT).unwrap();
        prop_assert_eq!(good_rows(&whole), valid);
        // Split anywhere, and read through windows of a few bytes: the same rows, lines and
        // problems.
        let small_windows = ChunkContext { window: 1 + cut % 50, ..CONTEXT };
        let split = parse_split(format, &source(&text), &[cut as u64], &small_windows).unwrap();
        prop_assert_eq!(good_rows(&split), valid);
        let lines_whole: u64 = whole.iter().map(|o| o.lines).sum();
        let lines_split: u64 = split.iter().map(|o| o.lines).sum();
        prop_assert_eq!(lines_whole, lines_split);
        let problems_whole: u64 = whole.iter().map(|o| o.problems.total()).sum();
        let problems_split: u64 = split.iter().map(|o| o.problems.total()).sum();
        prop_assert_eq!(problems_whole, problems_split);
    }

    #[test]
    fn mutated_rows_never_take_intact_rows_with_them(
        count in 2usize..30,
        mutations in proptest::collection::vec((any::<usize>(), any::<usize>(), any::<u8>()), 1..6),
        legacy_format in any::<bool>(),
    ) {
        let mut rows: Vec<Vec<u8>> = (0..count)
            .map(|index| if legacy_format { legacy_row(index, "a=1, b=2") } else { our_row(index, "a=1, b=2") }.into_bytes())
            .collect();
        let mut mutated = vec![false; count];
        for (row, position, byte) in mutations {
            let row = row % count;
            // Keep the line break: a mutation changes one row, it does not join two.
            let position = position % (rows[row].len() - 1);
            if byte != b'\n' {
                rows[row][position] = byte;
                mutated[row] = true;
            }
        }
        let text: Vec<u8> = rows.concat();
        let intact = mutated.iter().filter(|&&m| !m).count() as u64;
        let format = if legacy_format { LogFormat::Legacy } else { LogFormat::Ours };
        let good = good_rows(&parse_split(format, &source(&text), &[], &CONTEXT).unwrap());
        prop_assert!(good >= intact, "{good} < {intact}");
        prop_assert!(good <= count as u64);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// A log read through windows of a few bytes reads exactly as through one window: the
    /// same rows, lines, problems (with their lines and messages), operations and extent.
    #[test]
    fn small_windows_read_like_one_window(
        lines in proptest::collection::vec((0u8..4, details(), garbage_line()), 1..30),
        window in 1usize..64,
        legacy_format in any::<bool>(),
    ) {
        let mut text = Vec::new();
        for (index, (kind, details, garbage)) in lines.iter().enumerate() {
            match kind {
                0 => text.extend_from_slice(garbage),
                1 => text.extend_from_slice(b"timestamp,operation,phase,duration_ms,details"),
                _ => {
                    let row = if legacy_format { legacy_row(index, details) } else { our_row(index, details) };
                    text.extend_from_slice(row.trim_end_matches('\n').as_bytes());
                }
            }
            if index + 1 < lines.len() || *kind == 3 {
                text.push(b'\n');
            }
        }
        let format = if legacy_format { LogFormat::Legacy } else { LogFormat::Ours };
        let one = &parse_split(format, &source(&text), &[], &CONTEXT).unwrap()[0];
        let small = ChunkContext { window, ..CONTEXT };
        let many = &parse_split(format, &source(&text), &[], &small).unwrap()[0];
        prop_assert_eq!(
            (many.rows, many.lines, many.header_lines, many.ended_at),
            (one.rows, one.lines, one.header_lines, one.ended_at)
        );
        prop_assert_eq!(&many.problems, &one.problems);
        prop_assert_eq!(many.interner.keys(), one.interner.keys());
        prop_assert_eq!(
            (many.first_start_us, many.last_end_us),
            (one.first_start_us, one.last_end_us)
        );
    }
}
