//! One CSV row of the timing log (the format is documented in the README):
//! `timestamp,operation,phase,duration_ms,details,component,thread,call_id,parent_id,self_ms,start_ns,status`.
//!
//! The writer formats one row per call, so this is its hot path: a row is written with
//! unchecked stores into capacity reserved once, text fields are copied in fixed 16-byte blocks
//! from zero-padded copies (no `memcpy` call per field), integers two digits at a time.
//!
//! Written by hand because it is the writer's main cost per call: `benches/rows.rs` writes the
//! same rows (identical bytes, checked) with this writer, with `write!` and with the `csv` crate.
//! Under callgrind, on 100,000 rows: 589 instructions per row here, 3,604 with `write!`, 4,879
//! with `csv` (its `--bench` run prints the times).

use crate::digits::{MS_MAX_LEN, U64_MAX_LEN, put_ms, put_u64};
use crate::timestamp::{TIMESTAMP_SPACE, TimestampFormatter};

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

    /// The bytes `copy_to` writes, padding included.
    fn padded_len(&self) -> usize {
        self.bytes.len()
    }

    /// Copies the text and its padding; returns the end of the text (not of the padding).
    ///
    /// # Safety
    /// `out` must be valid for writes of `self.padded_len()` bytes.
    #[inline(always)]
    unsafe fn copy_to(&self, out: *mut u8) -> *mut u8 {
        let mut offset = 0;
        while offset < self.bytes.len() {
            // SAFETY: `bytes.len()` is a multiple of BLOCK, so offset..offset+BLOCK is inside the
            // source; the destination has `padded_len()` writable bytes by the caller's promise.
            // The two do not overlap: `bytes` is this value's own allocation.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    self.bytes.as_ptr().add(offset),
                    out.add(offset),
                    BLOCK,
                )
            };
            offset += BLOCK;
        }
        // SAFETY: `len <= padded_len()`: within the caller's range.
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

/// The status column and the row's newline, padded for one fixed-size copy.
pub(crate) struct StatusText {
    padded: [u8; BLOCK],
    len: usize,
}

impl StatusText {
    const fn new(text: &str) -> StatusText {
        let mut padded = [0u8; BLOCK];
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            padded[i] = bytes[i];
            i += 1;
        }
        padded[i] = b'\n';
        StatusText {
            padded,
            len: bytes.len() + 1,
        }
    }
}

pub(crate) const OK: StatusText = StatusText::new("ok");
pub(crate) const PANICKED: StatusText = StatusText::new("panicked");
pub(crate) const CANCELLED: StatusText = StatusText::new("cancelled");

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
    pub status: &'static StatusText,
}

/// Writes one byte; returns the next position.
///
/// # Safety
/// `out` must be valid for a write of one byte.
#[inline(always)]
unsafe fn put_byte(out: *mut u8, byte: u8) -> *mut u8 {
    // SAFETY: the caller guarantees the byte is writable.
    unsafe {
        out.write(byte);
        out.add(1)
    }
}

impl Row<'_> {
    pub(crate) fn write(&self, timestamps: &mut TimestampFormatter, out: &mut Vec<u8>) {
        // Every store below, fixed-size overruns included, fits in this reservation.
        let reserve = TIMESTAMP_SPACE
            + self.site.operation_phase.padded_len()
            + 2 * MS_MAX_LEN
            + self.details.len()
            + self.site.component.padded_len()
            + 4 * U64_MAX_LEN
            + 6
            + BLOCK;
        out.reserve(reserve);
        // SAFETY: `reserve` made `reserve` bytes of spare capacity after `out.len()`; the writes
        // below, in order, take at most the amounts summed above (the timestamp, the padded site
        // text, two milliseconds, the details, the padded component, four integers, six commas
        // and the padded status), so they stay inside the allocation. Only the bytes up to `p`
        // are exposed by `set_len`, and all of them were written.
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
            std::ptr::copy_nonoverlapping(self.status.padded.as_ptr(), p, BLOCK);
            p = p.add(self.status.len);
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

    #[test]
    fn writes_complete_rows_back_to_back() {
        let site = SiteText::new("update_policy", "training", "ppo_trainer");
        let mut details = Vec::new();
        push_field(&mut details, "updates=8, policy_loss=0.1234");
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
            status: &OK,
        };
        let nested = Row {
            details: b"",
            parent_id: 1 << 40 | 7,
            status: &PANICKED,
            ..row
        };
        let cancelled = Row {
            thread: u32::MAX,
            call_id: u64::MAX,
            parent_id: u64::MAX,
            duration_ns: u64::MAX,
            self_ns: u64::MAX,
            start_ns: u64::MAX,
            status: &CANCELLED,
            ..row
        };
        let mut out = Vec::new();
        let mut timestamps = TimestampFormatter::new();
        row.write(&mut timestamps, &mut out);
        nested.write(&mut timestamps, &mut out);
        cancelled.write(&mut timestamps, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "2024-01-15T10:30:45.123456Z,update_policy,training,245.670001,\
             \"updates=8, policy_loss=0.1234\",ppo_trainer,1,1099511627783,,241.000000,1300000000,ok\n\
             2024-01-15T10:30:45.123456Z,update_policy,training,245.670001,\
             ,ppo_trainer,1,1099511627783,1099511627783,241.000000,1300000000,panicked\n\
             2024-01-15T10:30:45.123456Z,update_policy,training,18446744073709.551615,\
             \"updates=8, policy_loss=0.1234\",ppo_trainer,4294967295,18446744073709551615,\
             18446744073709551615,18446744073709.551615,18446744073709551615,cancelled\n"
        );
        assert_eq!(HEADER.split(',').count(), 12);
    }

    #[test]
    fn long_site_names_are_copied_whole() {
        let name = "a_rather_long_operation_name_that_spans_several_blocks";
        let site = SiteText::new(name, "phase, with comma", "c");
        let mut out = vec![0u8; 128];
        // SAFETY: 128 bytes are writable, more than the padded text (80 bytes).
        let end = unsafe { site.operation_phase.copy_to(out.as_mut_ptr()) };
        // SAFETY: `copy_to` returns a pointer into `out`, after its start.
        let len = unsafe { end.offset_from(out.as_ptr()) } as usize;
        assert_eq!(
            std::str::from_utf8(&out[..len]).unwrap(),
            format!(",{name},\"phase, with comma\",")
        );
    }
}
