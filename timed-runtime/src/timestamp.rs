//! UTC ISO-8601 timestamps to the microsecond (`2026-11-25T03:15:32.123456Z`), formatted by hand
//! because the writer prints one per row: the date and time of day are reformatted only when the
//! second changes.

use crate::digits::put_six_digits;

/// The bytes `TimestampFormatter::put` may write (it writes 27, with one fixed-size copy of 32).
pub(crate) const TIMESTAMP_SPACE: usize = 32;

/// `YYYY-MM-DDTHH:MM:SS` for a Unix second.
fn format_second(unix_second: u64, out: &mut [u8; 19]) {
    let days = (unix_second / 86_400) as i64;
    let second_of_day = unix_second % 86_400;
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
    );
    let text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
    out.copy_from_slice(&text.as_bytes()[..19]);
}

/// `YYYYMMDDTHHMMSSZ` for a Unix second: the form of a run's id.
pub(crate) fn compact_second(unix_second: u64) -> String {
    let mut text = [0; 19];
    format_second(unix_second, &mut text);
    let digits: String = text
        .iter()
        .filter(|&&byte| byte != b'-' && byte != b':')
        .map(|&byte| char::from(byte))
        .collect();
    format!("{digits}Z")
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Formats timestamps, reusing the last second's text.
pub(crate) struct TimestampFormatter {
    second: u64,
    /// `YYYY-MM-DDTHH:MM:SS.` and padding, for one fixed-size copy.
    text: [u8; TIMESTAMP_SPACE],
}

impl TimestampFormatter {
    pub(crate) fn new() -> TimestampFormatter {
        let mut formatter = TimestampFormatter {
            second: 0,
            text: [0; TIMESTAMP_SPACE],
        };
        formatter.set_second(0);
        formatter
    }

    fn set_second(&mut self, second: u64) {
        let mut text = [0; 19];
        format_second(second, &mut text);
        self.text[..19].copy_from_slice(&text);
        self.text[19] = b'.';
        self.second = second;
    }

    /// Writes the 27-byte timestamp; returns its end.
    ///
    /// # Safety
    /// `out` must be valid for writes of `TIMESTAMP_SPACE` bytes.
    #[inline(always)]
    pub(crate) unsafe fn put(&mut self, out: *mut u8, unix_ns: u64) -> *mut u8 {
        let second = unix_ns / 1_000_000_000;
        if second != self.second {
            self.set_second(second);
        }
        // SAFETY: the copy writes TIMESTAMP_SPACE bytes from `text` (its exact size, a separate
        // allocation from `out`); the microseconds and `Z` then overwrite bytes 20..27 of them.
        // All within the caller's range.
        unsafe {
            std::ptr::copy_nonoverlapping(self.text.as_ptr(), out, TIMESTAMP_SPACE);
            let micros = (unix_ns / 1_000 % 1_000_000) as u32;
            let end = put_six_digits(out.add(20), micros);
            end.write(b'Z');
            end.add(1)
        }
    }

    pub(crate) fn format(&mut self, unix_ns: u64) -> String {
        let mut out = vec![0u8; TIMESTAMP_SPACE];
        // SAFETY: `out` has TIMESTAMP_SPACE writable bytes; `put` returns a pointer into it.
        let len = unsafe {
            let end = self.put(out.as_mut_ptr(), unix_ns);
            end.offset_from(out.as_ptr()) as usize
        };
        out.truncate(len);
        String::from_utf8(out).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        let mut formatter = TimestampFormatter::new();
        assert_eq!(formatter.format(0), "1970-01-01T00:00:00.000000Z");
        // 2024-01-15T10:30:45.123456Z, the seed's example row.
        assert_eq!(
            formatter.format(1_705_314_645_123_456_789),
            "2024-01-15T10:30:45.123456Z"
        );
        // Leap day, and the cache must notice the change of second.
        assert_eq!(
            formatter.format(1_709_208_000_000_001_000),
            "2024-02-29T12:00:00.000001Z"
        );
        assert_eq!(
            formatter.format(1_709_208_001_999_999_999),
            "2024-02-29T12:00:01.999999Z"
        );
        assert_eq!(
            formatter.format(4_102_444_799_000_000_000),
            "2099-12-31T23:59:59.000000Z"
        );
    }

    #[test]
    fn run_ids_are_the_compact_utc_second() {
        assert_eq!(compact_second(0), "19700101T000000Z");
        assert_eq!(compact_second(1_705_314_645), "20240115T103045Z");
        assert_eq!(compact_second(4_102_444_799), "20991231T235959Z");
    }

    #[test]
    fn civil_dates_round_trip_across_four_centuries() {
        let mut previous = civil_from_days(-1);
        for days in 0..146_097 * 2 {
            let date = civil_from_days(days);
            assert!(date > previous, "{date:?} after {previous:?}");
            previous = date;
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
