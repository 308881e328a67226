//! One CSV row of the timing log (the format is documented in the README):
//! `timestamp,operation,phase,duration_ms,details,component,thread,call_id,parent_id,self_ms,start_ns,status`.
//!
//! The writer formats one row per call, so this is its hot path: a row is written with
//! unchecked stores into capacity reserved once, text fields are copied in fixed 16-byte blocks
//! from zero-padded copies (no `memcpy` call per field), integers two digits at a time.

use crate::timestamp::TimestampFormatter;

pub(crate) const HEADER: &str = "timestamp,operation,phase,duration_ms,details,component,thread,call_id,parent_id,self_ms,start_ns,status\n";

const BLOCK: usize = 16;

/// Text stored with zero padding up to a whole number of 16-byte blocks, so it can be copied
/// with fixed-size moves that may overrun the destination's reserved slack, never the source.
pub(crate) struct PaddedText {
    bytes: Vec<u8>,
    len: usize,
}

impl PaddedText {
    pub(crate) fn new(text: &[u8]) -> PaddedText {
        let mut bytes = text.to_vec();
        bytes.resize(text.len().div_ceil(BLOCK).max(1) * BLOCK, 0);
        PaddedText {
            bytes,
            len: text.len(),
        }
    }

    /// # Safety
    /// `out` must have `self.bytes.len()` writable bytes.
    #[inline(always)]
    unsafe fn copy_to(&self, out: *mut u8) -> *mut u8 {
        let mut offset = 0;
        while offset < self.bytes.len() {
            // SAFETY: both ranges are in bounds (source padded, destination reserved).
            unsafe {
                std::ptr::copy_nonoverlapping(
                    self.bytes.as_ptr().add(offset),
                    out.add(offset),
                    BLOCK,
                )
            };
            offset += BLOCK;
        }
        // SAFETY: within the reserved range.
        unsafe { out.add(self.len) }
    }
}

/// A site's text fields, escaped once per session rather than once per row.
pub(crate) struct SiteText {
    /// `,operation,phase,`
    pub operation_phase: PaddedText,
    /// `,component,`
    pub component: PaddedText,
}

impl SiteText {
    pub(crate) fn new(operation: &str, phase: &str, component: &str) -> SiteText {
        let mut operation_phase = vec![b','];
        push_field(&mut operation_phase, operation);
        operation_phase.push(b',');
        push_field(&mut operation_phase, phase);
        operation_phase.push(b',');
        let mut text = vec![b','];
        push_field(&mut text, component);
        text.push(b',');
        SiteText {
            operation_phase: PaddedText::new(&operation_phase),
            component: PaddedText::new(&text),
        }
    }
}

/// Appends a text field, quoted per RFC 4180 when it holds a comma, quote, CR or LF.
pub(crate) fn push_field(out: &mut Vec<u8>, text: &str) {
    if !text
        .bytes()
        .any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'))
    {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    out.push(b'"');
    for byte in text.bytes() {
        if byte == b'"' {
            out.push(b'"');
        }
        out.push(byte);
    }
    out.push(b'"');
}

const DIGIT_PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// The number of decimal digits of `value`: from its bit length, corrected by one comparison.
#[inline(always)]
fn decimal_digits(value: u64) -> usize {
    const POWERS: [u64; 20] = {
        let mut powers = [0u64; 20];
        let mut i = 1;
        powers[0] = 1;
        while i < 20 {
            powers[i] = powers[i - 1] * 10;
            i += 1;
        }
        powers
    };
    let bits = 64 - (value | 1).leading_zeros() as usize;
    // 1233/4096 approximates log10(2); the guess is the exact count or one less.
    let guess = (bits * 1233) >> 12;
    (guess + usize::from(value >= POWERS[guess])).max(1)
}

/// Writes `value` in decimal; returns the end. At most 20 bytes.
///
/// # Safety
/// `out` must have 20 writable bytes.
#[inline(always)]
pub(crate) unsafe fn put_u64(out: *mut u8, mut value: u64) -> *mut u8 {
    let digits = decimal_digits(value);
    // SAFETY: every write below is inside out..out+digits.
    unsafe {
        let mut end = out.add(digits);
        while value >= 100 {
            let pair = (value % 100) as usize * 2;
            value /= 100;
            end = end.sub(2);
            std::ptr::copy_nonoverlapping(DIGIT_PAIRS.as_ptr().add(pair), end, 2);
        }
        if value >= 10 {
            std::ptr::copy_nonoverlapping(DIGIT_PAIRS.as_ptr().add(value as usize * 2), out, 2);
        } else {
            *out = b'0' + value as u8;
        }
        out.add(digits)
    }
}

/// Writes `value` (below 1,000,000) as exactly six digits.
///
/// # Safety
/// `out` must have 6 writable bytes.
#[inline(always)]
pub(crate) unsafe fn put_six_digits(out: *mut u8, value: u32) -> *mut u8 {
    let pairs = [value / 10_000, value / 100 % 100, value % 100];
    for (i, pair) in pairs.into_iter().enumerate() {
        // SAFETY: within out..out+6.
        unsafe {
            std::ptr::copy_nonoverlapping(
                DIGIT_PAIRS.as_ptr().add(pair as usize * 2),
                out.add(2 * i),
                2,
            )
        };
    }
    // SAFETY: as above.
    unsafe { out.add(6) }
}

/// Milliseconds with exactly six decimals: the nanoseconds, exactly, with no float rounding.
///
/// # Safety
/// `out` must have 27 writable bytes.
#[inline(always)]
unsafe fn put_ms(out: *mut u8, ns: u64) -> *mut u8 {
    // SAFETY: 20 + 1 + 6 bytes at most.
    unsafe {
        let out = put_u64(out, ns / 1_000_000);
        *out = b'.';
        put_six_digits(out.add(1), (ns % 1_000_000) as u32)
    }
}

#[inline(always)]
unsafe fn put_byte(out: *mut u8, byte: u8) -> *mut u8 {
    // SAFETY: the caller reserved it.
    unsafe {
        *out = byte;
        out.add(1)
    }
}

pub(crate) struct Row<'a> {
    pub end_unix_ns: u64,
    pub site: &'a SiteText,
    pub duration_ns: u64,
    /// Already escaped.
    pub details: &'a [u8],
    pub thread: u32,
    pub call_id: u64,
    pub parent_id: u64,
    pub self_ns: u64,
    pub start_ns: u64,
    /// The status followed by the row's newline, padded to 16 bytes.
    pub status_line: &'static [u8; BLOCK],
    pub status_len: usize,
}

/// `ok\n`, `panicked\n`, `cancelled\n`, each padded for a fixed-size copy.
pub(crate) fn status_line(status: crate::record::Status) -> (&'static [u8; BLOCK], usize) {
    use crate::record::Status;
    match status {
        Status::Ok => (b"ok\n\0\0\0\0\0\0\0\0\0\0\0\0\0", 3),
        Status::Panicked => (b"panicked\n\0\0\0\0\0\0\0", 9),
        Status::Cancelled => (b"cancelled\n\0\0\0\0\0\0", 10),
    }
}

impl Row<'_> {
    pub(crate) fn write(&self, timestamps: &mut TimestampFormatter, out: &mut Vec<u8>) {
        // Fixed parts, five integers of at most 27 bytes each, padded text and slack.
        let reserve = 64
            + self.site.operation_phase.bytes.len()
            + self.site.component.bytes.len()
            + self.details.len()
            + 6 * 27
            + BLOCK;
        out.reserve(reserve);
        // SAFETY: every write below stays within the `reserve` bytes of spare capacity, and
        // only initialised bytes are exposed by `set_len`.
        unsafe {
            let start = out.as_mut_ptr().add(out.len());
            let mut p = timestamps.put(start, self.end_unix_ns);
            p = self.site.operation_phase.copy_to(p);
            p = put_ms(p, self.duration_ns);
            p = put_byte(p, b',');
            if !self.details.is_empty() {
                std::ptr::copy_nonoverlapping(self.details.as_ptr(), p, self.details.len());
                p = p.add(self.details.len());
            }
            p = self.site.component.copy_to(p);
            p = put_u64(p, u64::from(self.thread));
            p = put_byte(p, b',');
            p = put_u64(p, self.call_id);
            p = put_byte(p, b',');
            if self.parent_id != 0 {
                p = put_u64(p, self.parent_id);
            }
            p = put_byte(p, b',');
            p = put_ms(p, self.self_ns);
            p = put_byte(p, b',');
            p = put_u64(p, self.start_ns);
            p = put_byte(p, b',');
            std::ptr::copy_nonoverlapping(self.status_line.as_ptr(), p, BLOCK);
            p = p.add(self.status_len);
            let written = p.offset_from(start) as usize;
            out.set_len(out.len() + written);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(text: &str) -> String {
        let mut out = Vec::new();
        push_field(&mut out, text);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn quotes_only_what_rfc_4180_requires() {
        assert_eq!(field("update_policy"), "update_policy");
        assert_eq!(
            field("updates=8, policy_loss=0.1234"),
            "\"updates=8, policy_loss=0.1234\""
        );
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field(""), "");
    }

    fn formatted(write: impl FnOnce(*mut u8) -> *mut u8) -> String {
        let mut buffer = vec![0u8; 64];
        let start = buffer.as_mut_ptr();
        let end = write(start);
        let len = unsafe { end.offset_from(start) } as usize;
        String::from_utf8(buffer[..len].to_vec()).unwrap()
    }

    #[test]
    fn integers_and_milliseconds_keep_every_digit() {
        for value in [0, 7, 10, 99, 100, 12_345, 1 << 40 | 7, u64::MAX] {
            assert_eq!(
                formatted(|p| unsafe { put_u64(p, value) }),
                value.to_string()
            );
        }
        let ms = |ns| formatted(|p| unsafe { put_ms(p, ns) });
        assert_eq!(ms(0), "0.000000");
        assert_eq!(ms(42), "0.000042");
        assert_eq!(ms(245_670_001), "245.670001");
        assert_eq!(ms(u64::MAX), "18446744073709.551615");
    }

    #[test]
    fn writes_complete_rows_back_to_back() {
        let site = SiteText::new("update_policy", "training", "ppo_trainer");
        let mut details = Vec::new();
        push_field(&mut details, "updates=8, policy_loss=0.1234");
        let (ok_line, ok_len) = status_line(crate::record::Status::Ok);
        let row = Row {
            end_unix_ns: 1_705_314_645_123_456_789,
            site: &site,
            duration_ns: 245_670_001,
            details: &details,
            thread: 1,
            call_id: 1 << 40 | 7,
            parent_id: 0,
            self_ns: 241_000_000,
            start_ns: 1_300_000_000,
            status_line: ok_line,
            status_len: ok_len,
        };
        let (panicked, panicked_len) = status_line(crate::record::Status::Panicked);
        let nested = Row {
            details: b"",
            parent_id: 1 << 40 | 7,
            status_line: panicked,
            status_len: panicked_len,
            ..row
        };
        let mut out = Vec::new();
        let mut timestamps = TimestampFormatter::new();
        row.write(&mut timestamps, &mut out);
        nested.write(&mut timestamps, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "2024-01-15T10:30:45.123456Z,update_policy,training,245.670001,\
             \"updates=8, policy_loss=0.1234\",ppo_trainer,1,1099511627783,,241.000000,1300000000,ok\n\
             2024-01-15T10:30:45.123456Z,update_policy,training,245.670001,\
             ,ppo_trainer,1,1099511627783,1099511627783,241.000000,1300000000,panicked\n"
        );
        assert_eq!(HEADER.split(',').count(), 12);
    }

    #[test]
    fn long_site_names_are_copied_whole() {
        let name = "a_rather_long_operation_name_that_spans_several_blocks";
        let site = SiteText::new(name, "phase, with comma", "c");
        let mut out = vec![0u8; 128];
        let end = unsafe { site.operation_phase.copy_to(out.as_mut_ptr()) };
        let len = unsafe { end.offset_from(out.as_ptr()) } as usize;
        assert_eq!(
            std::str::from_utf8(&out[..len]).unwrap(),
            format!(",{name},\"phase, with comma\",")
        );
    }
}
