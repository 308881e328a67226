//! Tells our format from the original's by the first lines of a file.

use serde::Serialize;

use super::{legacy, ours};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// `timed-runtime`'s 12-column CSV.
    Ours,
    /// The original Python system's START/END/EVENT log.
    Legacy,
    /// OpenTelemetry spans as OTLP JSON (the collector's file exporter).
    Otlp,
    /// No bytes at all.
    Empty,
}

impl LogFormat {
    /// The calls carry their parent and their self time (ours, and OTLP spans).
    pub fn has_call_tree(self) -> bool {
        matches!(self, LogFormat::Ours | LogFormat::Otlp)
    }
}

/// Lines sampled when there is no header to go by.
const SNIFF_LINES: usize = 20;

/// The format, and whether the file lacked the header line that names it.
pub fn detect(buf: &[u8]) -> (LogFormat, bool) {
    let mut lines = buf
        .split(|&byte| byte == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !line.is_empty());
    let Some(first) = lines.next() else {
        return (LogFormat::Empty, false);
    };
    if first.starts_with(b"===") || first == legacy::HEADER.as_bytes() {
        return (LogFormat::Legacy, false);
    }
    if first == ours::HEADER.as_bytes() {
        return (LogFormat::Ours, false);
    }
    let sample: Vec<&[u8]> = std::iter::once(first)
        .chain(lines)
        .take(SNIFF_LINES)
        .collect();
    let ours_rows = sample.iter().filter(|line| ours::is_row(line)).count();
    let legacy_rows = sample.iter().filter(|line| legacy::is_row(line)).count();
    let format = if ours_rows > 0 && ours_rows >= legacy_rows {
        LogFormat::Ours
    } else if legacy_rows > 0 {
        LogFormat::Legacy
    } else if first.iter().filter(|&&byte| byte == b',').count() >= 11 {
        LogFormat::Ours
    } else {
        LogFormat::Legacy
    };
    (format, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_header_or_banner() {
        assert_eq!(
            detect(format!("{}\n", ours::HEADER).as_bytes()),
            (LogFormat::Ours, false)
        );
        assert_eq!(
            detect(b"=== Training Timing Log - Started at 2024-01-15T10:30:00.000000 ===\n"),
            (LogFormat::Legacy, false)
        );
        assert_eq!(
            detect(b"\n\ntimestamp,operation,phase,duration_ms,details\r\n"),
            (LogFormat::Legacy, false)
        );
        assert_eq!(detect(b""), (LogFormat::Empty, false));
        assert_eq!(detect(b"\n\n"), (LogFormat::Empty, false));
    }

    #[test]
    fn by_rows_when_the_header_is_missing() {
        let ours_row = b"2026-11-25T03:15:32.123456Z,op,p,0.4,,c,2,5,,0.3,12,ok\n";
        assert_eq!(detect(ours_row), (LogFormat::Ours, true));
        assert_eq!(
            detect(b"2024-01-15T10:30:45,END_x,p,1.5,a=1, b=2\n"),
            (LogFormat::Legacy, true)
        );
        assert_eq!(detect(b"garbage\n"), (LogFormat::Legacy, true));
        assert_eq!(
            detect(b"a,b,c,d,e,f,g,h,i,j,k,l\n"),
            (LogFormat::Ours, true)
        );
    }
}
