//! Field parsers for the hot path: integers, millisecond decimals into integer nanoseconds
//! (exact, no float rounding for up to 6 decimals), and ISO-8601 timestamps.
//!
//! Written by hand rather than with `str::parse` and a date crate: they take the log's bytes
//! without a UTF-8 check, convert eight digits at a time, and skip re-parsing a timestamp's
//! date while the minute does not change. Part of the row parser whose speed
//! `cargo bench -p analyzer` (benches/report_vs_anchors.rs) measures.

/// Parses an unsigned decimal integer; `None` on anything else, an empty field or overflow.
pub fn parse_u64(field: &[u8]) -> Option<u64> {
    match field.len() {
        0 => None,
        // Up to 19 digits cannot overflow: eight at a time, without checks.
        1..=19 => {
            let head = field.len() % 8;
            let mut value = parse_digits_scalar(&field[..head])?;
            for chunk in field[head..].chunks_exact(8) {
                value = value * 100_000_000
                    + parse_eight_digits(chunk.try_into().expect("chunks of 8"))?;
            }
            Some(value)
        }
        20 => {
            let high = parse_u64(&field[..19])?;
            let digit = field[19].wrapping_sub(b'0');
            if digit > 9 {
                return None;
            }
            high.checked_mul(10)?.checked_add(u64::from(digit))
        }
        _ => None,
    }
}

fn parse_digits_scalar(digits: &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for &byte in digits {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value * 10 + u64::from(digit);
    }
    Some(value)
}

/// Eight ASCII digits at once (SWAR): check them all, then combine pairs, quads, octets.
#[inline]
fn parse_eight_digits(bytes: [u8; 8]) -> Option<u64> {
    let chunk = u64::from_le_bytes(bytes);
    let is_digit = (chunk & 0xF0F0_F0F0_F0F0_F0F0) == 0x3030_3030_3030_3030
        && (chunk.wrapping_add(0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0)
            == 0x3030_3030_3030_3030;
    if !is_digit {
        return None;
    }
    let mut value = chunk & 0x0F0F_0F0F_0F0F_0F0F;
    value = (value.wrapping_mul(10) + (value >> 8)) & 0x00FF_00FF_00FF_00FF;
    value = (value.wrapping_mul(100) + (value >> 16)) & 0x0000_FFFF_0000_FFFF;
    value = (value.wrapping_mul(10_000) + (value >> 32)) & 0x0000_0000_FFFF_FFFF;
    Some(value)
}

/// The shape our writer always uses, `YYYY-MM-DDTHH:MM:SS.ffffffZ`, checked byte by byte with
/// the fields' ranges (day against 31 only): a cheap test for every row, where converting
/// the timestamp is only needed for the first and last call.
pub fn is_plausible_timestamp(field: &[u8]) -> bool {
    if !standard_shape(field) {
        return parse_timestamp_us(field).is_some();
    }
    let two = |at: usize| (field[at] - b'0') * 10 + (field[at + 1] - b'0');
    (1..=12).contains(&two(5))
        && (1..=31).contains(&two(8))
        && two(11) < 24
        && two(14) < 60
        && two(17) <= 60
}

/// `dddd-dd-ddTdd:dd:dd.ddddddZ`, eight bytes at a time: separators compared exactly,
/// digits checked with the same SWAR test as [`parse_eight_digits`].
#[inline]
fn standard_shape(field: &[u8]) -> bool {
    field.len() == 27
        && [0, 8, 16, 19]
            .into_iter()
            .all(|at| standard_word(field, at))
}

/// Bytes `at..at + 8` of a 27-byte field have the standard shape's separators and digits.
#[inline]
fn standard_word(field: &[u8], at: usize) -> bool {
    const PATTERN: &[u8; 27] = b"0000-00-00T00:00:00.000000Z";
    /// 0xFF where `PATTERN` has a separator, 0 where it has a digit.
    const LITERALS: [u8; 27] = {
        let mut mask = [0u8; 27];
        let mut index = 0;
        while index < 27 {
            mask[index] = if PATTERN[index] == b'0' { 0 } else { 0xFF };
            index += 1;
        }
        mask
    };
    let value = word_at(field, at);
    let literal = word_at(&LITERALS, at);
    let digits = !literal;
    let expected = word_at(PATTERN, at);
    (value ^ expected) & literal == 0
        && (value & digits & 0xF0F0_F0F0_F0F0_F0F0) == (0x3030_3030_3030_3030 & digits)
        && (value.wrapping_add(0x0606_0606_0606_0606) & digits & 0xF0F0_F0F0_F0F0_F0F0)
            == (0x3030_3030_3030_3030 & digits)
}

#[inline]
fn word_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"))
}

/// [`is_plausible_timestamp`] for consecutive rows: remembers the date, hour, minute and
/// second of the last standard-shaped timestamp found plausible, so that a row of the same
/// second (nearly every row) only needs its fraction checked.
#[derive(Clone, Debug, Default)]
pub struct PlausibleTimestamps {
    /// Bytes 0..8, 8..16 and 11..19 of that timestamp.
    second: Option<[u64; 3]>,
}

impl PlausibleTimestamps {
    #[inline(always)]
    pub fn check(&mut self, field: &[u8]) -> bool {
        // Same bytes 0..19 as a plausible standard timestamp: only 19..27 are left to check
        // (the full check still accepts other shapes, such as seven decimals).
        if field.len() == 27
            && self.second == Some([word_at(field, 0), word_at(field, 8), word_at(field, 11)])
            && standard_word(field, 19)
        {
            return true;
        }
        self.check_in_full(field)
    }

    #[cold]
    fn check_in_full(&mut self, field: &[u8]) -> bool {
        if field.len() != 27 {
            return is_plausible_timestamp(field);
        }
        let second = [word_at(field, 0), word_at(field, 8), word_at(field, 11)];
        let plausible = is_plausible_timestamp(field);
        if plausible && standard_shape(field) {
            self.second = Some(second);
        }
        plausible
    }
}

/// Parses a millisecond decimal (`245.67`, `0.000042`, `-1.5`, `3`, `1e-05`) into nanoseconds.
/// Up to six decimals are exact; a seventh rounds half up and further digits are ignored.
pub fn parse_ms_as_ns(field: &[u8]) -> Option<i64> {
    let (negative, digits) = match field.first() {
        Some(b'-') => (true, &field[1..]),
        Some(b'+') => (false, &field[1..]),
        _ => (false, field),
    };
    match parse_plain_decimal(digits) {
        Some(ns) => Some(if negative { -ns } else { ns }),
        None => parse_float_fallback(field),
    }
}

fn parse_plain_decimal(digits: &[u8]) -> Option<i64> {
    // One pass: whole milliseconds up to the dot, then up to seven fraction digits.
    let mut index = 0;
    let mut ms: i64 = 0;
    while index < digits.len() {
        let digit = digits[index].wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        // 12 digits of milliseconds is 31 years; more cannot be a duration and could overflow.
        if index == 12 {
            return None;
        }
        ms = ms * 10 + i64::from(digit);
        index += 1;
    }
    let whole_digits = index;
    if index == digits.len() {
        return (whole_digits > 0).then_some(ms * 1_000_000);
    }
    if digits[index] != b'.' {
        return None;
    }
    index += 1;
    let fraction = &digits[index..];
    if whole_digits == 0 && fraction.is_empty() {
        return None;
    }
    let mut sub_ms: i64 = 0;
    let mut round_up = false;
    for (position, &byte) in fraction.iter().enumerate() {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        if position < 6 {
            sub_ms = sub_ms * 10 + i64::from(digit);
        } else if position == 6 {
            round_up = digit >= 5;
        }
    }
    const SCALE: [i64; 7] = [1_000_000, 100_000, 10_000, 1_000, 100, 10, 1];
    Some(ms * 1_000_000 + sub_ms * SCALE[fraction.len().min(6)] + i64::from(round_up))
}

/// Exponent forms (`1e-05`, as Python prints tiny floats) take the slow path.
fn parse_float_fallback(field: &[u8]) -> Option<i64> {
    if !field.iter().any(|&b| b == b'e' || b == b'E') {
        return None;
    }
    let text = std::str::from_utf8(field).ok()?;
    let ms: f64 = text.parse().ok()?;
    let ns = (ms * 1e6).round();
    if ns.is_finite() && ns.abs() < 9.0e18 {
        Some(ns as i64)
    } else {
        None
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM|-HH:MM]` (a space may stand for the `T`)
/// into microseconds since the Unix epoch. A naive timestamp (no zone) is taken as UTC.
pub fn parse_timestamp_us(field: &[u8]) -> Option<i64> {
    if field.len() < 19 {
        return None;
    }
    let separators_ok = field[4] == b'-'
        && field[7] == b'-'
        && (field[10] == b'T' || field[10] == b' ')
        && field[13] == b':'
        && field[16] == b':';
    if !separators_ok {
        return None;
    }
    let year = digits_value(&field[0..4])?;
    let month = digits_value(&field[5..7])?;
    let day = digits_value(&field[8..10])?;
    let hour = digits_value(&field[11..13])?;
    let minute = digits_value(&field[14..16])?;
    let second = digits_value(&field[17..19])?;
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let (micros, rest) = fraction_of_second_us(&field[19..])?;
    let offset_seconds = match rest {
        [] | [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hours = digits_value(&[*h1, *h2])?;
            let minutes = digits_value(&[*m1, *m2])?;
            let magnitude = (hours * 3600 + minutes * 60) as i64;
            if *sign == b'+' { magnitude } else { -magnitude }
        }
        _ => return None,
    };
    let days = days_from_civil(year as i64, month, day);
    let seconds = days * 86_400 + (hour * 3600 + minute * 60 + second) as i64 - offset_seconds;
    Some(seconds * 1_000_000 + micros)
}

/// Converts timestamps that share date, hour and minute with the previous one (nearly all
/// consecutive rows) by parsing only seconds and fraction.
#[derive(Clone, Debug, Default)]
pub struct TimestampCache {
    /// `YYYY-MM-DDTHH:MM:` of the last full parse, as bytes 0..8 and 9..17 (two words
    /// compare without a call into memcmp).
    prefix: [u64; 2],
    /// That minute's start, in microseconds since the epoch.
    minute_us: i64,
    valid: bool,
}

impl TimestampCache {
    #[inline]
    pub fn parse(&mut self, field: &[u8]) -> Option<i64> {
        if self.valid
            && field.len() >= 19
            && minute_words(field) == self.prefix
            && let Some(within) =
                six_decimal_seconds_us(field).or_else(|| seconds_in_minute_us(&field[17..]))
        {
            return Some(self.minute_us + within);
        }
        self.parse_in_full(field)
    }

    #[cold]
    fn parse_in_full(&mut self, field: &[u8]) -> Option<i64> {
        let value = parse_timestamp_us(field)?;
        if let Some(within) = seconds_in_minute_us(&field[17..]) {
            self.prefix = minute_words(field);
            self.minute_us = value - within;
            self.valid = true;
        }
        Some(value)
    }
}

/// Bytes 0..8 and 9..17 of a timestamp of at least 17 bytes.
#[inline(always)]
fn minute_words(field: &[u8]) -> [u64; 2] {
    [word_at(field, 0), word_at(field, 9)]
}

/// [`seconds_in_minute_us`] of the shape the original's writer always uses,
/// `...:SS.ffffff` then nothing or `Z`: the eight bytes from the seconds' second digit read
/// as one number with the dot as a zero (SWAR). `None` for any other shape.
#[inline(always)]
fn six_decimal_seconds_us(field: &[u8]) -> Option<i64> {
    let ends_right = match field.len() {
        26 => true,
        27 => field[26] == b'Z',
        _ => false,
    };
    if !ends_right || field[19] != b'.' {
        return None;
    }
    // "S.ffffff" with the dot (byte 1) made a '0': S * 10^7 + ffffff.
    let word = word_at(field, 18) & !0xFF00 | u64::from(b'0') << 8;
    let spelled = parse_eight_digits(word.to_le_bytes())?;
    let tens = field[17].wrapping_sub(b'0');
    if tens > 9 {
        return None;
    }
    let units = spelled / 10_000_000;
    let seconds = u64::from(tens) * 10 + units;
    if seconds > 60 {
        return None;
    }
    Some((seconds * 1_000_000 + spelled - units * 10_000_000) as i64)
}

/// `SS[.fraction][Z]` as microseconds; `None` for anything else (zones take the full path).
fn seconds_in_minute_us(rest: &[u8]) -> Option<i64> {
    let seconds = digits_value(rest.get(..2)?)?;
    if seconds > 60 {
        return None;
    }
    let (micros, tail) = fraction_of_second_us(&rest[2..])?;
    matches!(tail, [] | [b'Z']).then_some(i64::from(seconds) * 1_000_000 + micros)
}

fn digits_value(digits: &[u8]) -> Option<u32> {
    let mut value = 0u32;
    for &byte in digits {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value * 10 + u32::from(digit);
    }
    Some(value)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`]: (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Formats microseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
pub fn format_timestamp_us(micros: i64) -> String {
    let seconds = micros.div_euclid(1_000_000);
    let fraction = micros.rem_euclid(1_000_000);
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let second_of_day = seconds.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{fraction:06}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// An optional `.digits` after the seconds, in microseconds (digits past the sixth are
/// ignored), and what follows it; `None` for a point without digits.
#[inline(always)]
fn fraction_of_second_us(rest: &[u8]) -> Option<(i64, &[u8])> {
    let Some((&b'.', fraction)) = rest.split_first() else {
        return Some((0, rest));
    };
    let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let mut micros = 0;
    let mut scale = 100_000;
    for &byte in &fraction[..digits.min(6)] {
        micros += i64::from(byte - b'0') * scale;
        scale /= 10;
    }
    Some((micros, &fraction[digits..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"8589934593"), Some(8_589_934_593));
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b""), None);
        assert_eq!(parse_u64(b"12a"), None);
        assert_eq!(parse_u64(b"-1"), None);
    }

    #[test]
    fn eight_digits_at_a_time_agree_with_the_scalar_path() {
        for value in [
            0u64,
            7,
            12_345_678,
            123_456_789,
            99_999_999_999,
            1_234_567_890_123_456_789,
            u64::MAX / 10,
        ] {
            assert_eq!(parse_u64(value.to_string().as_bytes()), Some(value));
        }
        assert_eq!(parse_u64(b"00000000012"), Some(12));
        for bad in [
            &b"1234567a"[..],
            b"123456789012345:",
            b"12345678/",
            b"99999999999999999999",
        ] {
            assert_eq!(parse_u64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn plausible_timestamps() {
        assert!(is_plausible_timestamp(b"2026-11-25T03:15:32.123456Z"));
        assert!(is_plausible_timestamp(b"2026-11-25T03:15:32Z"));
        assert!(is_plausible_timestamp(b"2026-11-25 03:15:32.123456Z"));
        for bad in [
            &b"2026-13-25T03:15:32.123456Z"[..],
            b"2026-11-25T24:15:32.123456Z",
            b"2026-11-25T03:15:32.12345xZ",
            b"2026-11-32T03:15:32Z",
        ] {
            assert!(
                !is_plausible_timestamp(bad),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        // Day 31 of a 30-day month passes the cheap check (documented).
        assert!(is_plausible_timestamp(b"2026-11-31T03:15:32.000000Z"));
    }

    #[test]
    fn the_timestamp_check_of_consecutive_rows_agrees_with_the_full_check() {
        let mut timestamps = PlausibleTimestamps::default();
        for text in [
            &b"2026-11-25T03:15:32.123456Z"[..],
            b"2026-11-25T03:15:32.999999Z",
            b"2026-11-25T03:15:32.12345xZ",
            b"2026-11-25T03:15:32.123456X",
            b"2026-11-25T03:15:32,123456Z",
            b"2026-11-25T03:15:33.000000Z",
            b"2026-13-25T03:15:33.000000Z",
            b"2026-11-25T03:15:33.000001Z",
            b"2026-11-25T03:15:33Z",
            b"2026-11-25T03:15:33.000002Z",
            b"2026-11-25T03:15:33.0000021",
            b"2026-11-25 03:15:33.000002Z",
            b"2026-11-25T03:15:61.000002Z",
            b"2026-11-25T03:15:33.000003Z",
        ] {
            assert_eq!(
                timestamps.check(text),
                is_plausible_timestamp(text),
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn milliseconds_become_exact_nanoseconds() {
        assert_eq!(parse_ms_as_ns(b"0.412345"), Some(412_345));
        assert_eq!(parse_ms_as_ns(b"245.67"), Some(245_670_000));
        assert_eq!(parse_ms_as_ns(b"0.000042"), Some(42));
        assert_eq!(parse_ms_as_ns(b"3"), Some(3_000_000));
        assert_eq!(parse_ms_as_ns(b".5"), Some(500_000));
        assert_eq!(parse_ms_as_ns(b"7."), Some(7_000_000));
        assert_eq!(parse_ms_as_ns(b"-1.5"), Some(-1_500_000));
        assert_eq!(parse_ms_as_ns(b"0.0000005"), Some(1));
        assert_eq!(parse_ms_as_ns(b"0.0000004999"), Some(0));
        assert_eq!(parse_ms_as_ns(b"1e-05"), Some(10));
        assert_eq!(parse_ms_as_ns(b"2.5E2"), Some(250_000_000));
    }

    #[test]
    fn non_numbers_are_rejected() {
        for bad in [
            &b""[..],
            b".",
            b"abc",
            b"1.2.3",
            b"12ms",
            b"nan",
            b"inf",
            b"1e999",
            b"-",
            b"1 ",
        ] {
            assert_eq!(
                parse_ms_as_ns(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(parse_ms_as_ns(b"1234567890123.0"), None);
    }

    #[test]
    fn timestamps_in_every_accepted_shape() {
        let base = parse_timestamp_us(b"2024-01-15T10:30:45.123456").unwrap();
        assert_eq!(base, 1_705_314_645_123_456);
        assert_eq!(
            parse_timestamp_us(b"2024-01-15T10:30:45.123456Z"),
            Some(base)
        );
        assert_eq!(
            parse_timestamp_us(b"2024-01-15 10:30:45.123456"),
            Some(base)
        );
        assert_eq!(
            parse_timestamp_us(b"2024-01-15T10:30:45"),
            Some(base - 123_456)
        );
        assert_eq!(
            parse_timestamp_us(b"2024-01-15T10:30:45.1"),
            Some(base - 23_456)
        );
        assert_eq!(
            parse_timestamp_us(b"2024-01-15T10:30:45.123456789"),
            Some(base)
        );
        assert_eq!(
            parse_timestamp_us(b"2024-01-15T11:30:45.123456+01:00"),
            Some(base)
        );
        assert_eq!(
            parse_timestamp_us(b"2024-01-15T09:30:45.123456-01:00"),
            Some(base)
        );
        assert_eq!(parse_timestamp_us(b"1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_timestamp_us(b"2024-02-29T00:00:00"),
            Some(1_709_164_800_000_000)
        );
    }

    #[test]
    fn malformed_timestamps_are_rejected() {
        for bad in [
            &b"2024-01-15"[..],
            b"2024-13-15T10:30:45",
            b"2023-02-29T10:30:45",
            b"2024-01-15T24:00:00",
            b"2024-01-15T10:30:45.",
            b"2024-01-15T10:30:45.12x",
            b"2024-01-15X10:30:45",
            b"20a4-01-15T10:30:45",
            b"2024-01-15T10:30:45+0100",
        ] {
            assert_eq!(
                parse_timestamp_us(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn the_cache_agrees_with_the_full_parse() {
        let mut cache = TimestampCache::default();
        for text in [
            &b"2024-01-15T10:30:45.123456"[..],
            b"2024-01-15T10:30:46.000001",
            b"2024-01-15T10:30:59",
            b"2024-01-15T10:31:00.5Z",
            b"2024-01-15T10:31:01.5+01:00",
            b"2024-01-15T10:31:02.25",
        ] {
            assert_eq!(
                cache.parse(text),
                parse_timestamp_us(text),
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
        for bad in [
            &b"2024-01-15T10:31:61"[..],
            b"2024-01-15T10:31:0x",
            b"2024-01-15T10:31:02.",
            b"2024-01-15T10:31:02.5Q",
        ] {
            assert_eq!(cache.parse(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    proptest::proptest! {
        /// The seconds of the original's shape, read a word at a time, agree with the
        /// general reading on any bytes in those places.
        #[test]
        fn six_decimal_seconds_agree_with_the_general_reading(
            seconds in proptest::collection::vec(proptest::prop_oneof![
                8 => b'0'..=b'9', 1 => proptest::strategy::Just(b'.'),
                1 => proptest::strategy::Just(b'Z'), 1 => proptest::num::u8::ANY], 2..12),
        ) {
            let mut field = b"2024-01-15T10:30:".to_vec();
            field.extend_from_slice(&seconds);
            if let Some(fast) = six_decimal_seconds_us(&field) {
                proptest::prop_assert_eq!(Some(fast), seconds_in_minute_us(&field[17..]));
            }
            let mut cache = TimestampCache::default();
            cache.parse(b"2024-01-15T10:30:00.000000");
            proptest::prop_assert_eq!(cache.parse(&field), parse_timestamp_us(&field));
        }
    }

    #[test]
    fn formats_timestamps_back() {
        assert_eq!(
            format_timestamp_us(1_705_314_645_123_456),
            "2024-01-15T10:30:45.123456Z"
        );
        assert_eq!(format_timestamp_us(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(format_timestamp_us(-1), "1969-12-31T23:59:59.999999Z");
        let leap = parse_timestamp_us(b"2000-02-29T23:59:59.5").unwrap();
        assert_eq!(format_timestamp_us(leap), "2000-02-29T23:59:59.500000Z");
    }
}
