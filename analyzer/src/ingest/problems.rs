//! Input problems: what was wrong with a file, where, and how often. Bad input never stops
//! the report; it is counted here and reported with the first few line numbers.

use std::collections::BTreeMap;

use serde::Serialize;

/// How many examples (with line numbers) are kept per file.
pub const EXAMPLES_PER_FILE: usize = 10;

/// The longest excerpt of offending text quoted in a message.
const EXCERPT_CHARS: usize = 40;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    BlankLine,
    TornLastLine,
    WrongFieldCount,
    BadTimestamp,
    EmptyOperation,
    BadDuration,
    NegativeDuration,
    BadNumber,
    BadStatus,
    UnterminatedQuote,
    StrayQuote,
    UnknownRowKind,
    MissingDuration,
    NeverEndedStart,
    MissingHeader,
    UnreadableFile,
    SummaryJson,
    OtlpJson,
    OtlpSpan,
}

impl ProblemKind {
    pub fn label(self) -> &'static str {
        match self {
            ProblemKind::BlankLine => "blank line",
            ProblemKind::TornLastLine => "torn last line",
            ProblemKind::WrongFieldCount => "wrong number of fields",
            ProblemKind::BadTimestamp => "bad timestamp",
            ProblemKind::EmptyOperation => "empty operation name",
            ProblemKind::BadDuration => "non-numeric duration",
            ProblemKind::NegativeDuration => "negative duration",
            ProblemKind::BadNumber => "bad number",
            ProblemKind::BadStatus => "unknown status",
            ProblemKind::UnterminatedQuote => "unterminated quoted field",
            ProblemKind::StrayQuote => "misplaced double quote",
            ProblemKind::UnknownRowKind => "operation without START_/END_/EVENT_ prefix",
            ProblemKind::MissingDuration => "END row without a duration",
            ProblemKind::NeverEndedStart => "START that never ended",
            ProblemKind::MissingHeader => "missing header line",
            ProblemKind::UnreadableFile => "unreadable file",
            ProblemKind::SummaryJson => "unrecognised summary content",
            ProblemKind::OtlpJson => "malformed OTLP JSON",
            ProblemKind::OtlpSpan => "unusable OTLP span",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Problem {
    /// 1-based physical line number (0 when the problem concerns the whole file).
    pub line: u64,
    pub kind: ProblemKind,
    pub message: String,
}

/// Counts per kind and the first [`EXAMPLES_PER_FILE`] problems by line number.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProblemLog {
    counts: BTreeMap<ProblemKind, u64>,
    examples: Vec<Problem>,
}

impl ProblemLog {
    pub fn record(&mut self, line: u64, kind: ProblemKind, message: impl FnOnce() -> String) {
        *self.counts.entry(kind).or_insert(0) += 1;
        // Lines arrive in increasing order within a chunk, so the first ones kept are the first.
        if self.examples.len() < EXAMPLES_PER_FILE {
            self.examples.push(Problem {
                line,
                kind,
                message: message(),
            });
        }
    }

    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    pub fn count(&self, kind: ProblemKind) -> u64 {
        self.counts.get(&kind).copied().unwrap_or(0)
    }

    pub fn counts(&self) -> &BTreeMap<ProblemKind, u64> {
        &self.counts
    }

    pub fn examples(&self) -> &[Problem] {
        &self.examples
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Turns chunk-relative line numbers into file line numbers.
    pub fn shift_lines(&mut self, offset: u64) {
        for problem in &mut self.examples {
            if problem.line != 0 {
                problem.line += offset;
            }
        }
    }

    pub fn merge(&mut self, other: ProblemLog) {
        for (kind, count) in other.counts {
            *self.counts.entry(kind).or_insert(0) += count;
        }
        self.examples.extend(other.examples);
        self.examples.sort_by_key(|problem| problem.line);
        self.examples.truncate(EXAMPLES_PER_FILE);
    }
}

/// Quotes a field for a message: lossy UTF-8, control characters escaped, long text cut.
pub fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::from("\"");
    for (index, ch) in text.chars().enumerate() {
        if index == EXCERPT_CHARS {
            out.push_str("...");
            break;
        }
        out.extend(ch.escape_debug());
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_counts_and_the_first_examples_in_line_order() {
        let mut first = ProblemLog::default();
        for line in [3, 5] {
            first.record(line, ProblemKind::BlankLine, || "blank".into());
        }
        let mut second = ProblemLog::default();
        for line in 1..=12 {
            second.record(line, ProblemKind::BadDuration, || format!("d{line}"));
        }
        second.shift_lines(100);
        first.merge(second);
        assert_eq!(first.total(), 14);
        assert_eq!(first.count(ProblemKind::BlankLine), 2);
        assert_eq!(first.count(ProblemKind::BadDuration), 12);
        let lines: Vec<u64> = first.examples().iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 5, 101, 102, 103, 104, 105, 106, 107, 108]);
    }

    #[test]
    fn excerpts_are_escaped_and_cut() {
        assert_eq!(excerpt(b"abc"), "\"abc\"");
        assert_eq!(excerpt(b"a\"b\n\xff"), "\"a\\\"b\\n\u{fffd}\"");
        let long = [b'x'; 50];
        assert_eq!(excerpt(&long), format!("\"{}...\"", "x".repeat(40)));
    }
}
