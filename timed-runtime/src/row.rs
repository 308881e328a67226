//! One CSV row of the timing log (the format is documented in the README):
//! `timestamp,operation,phase,duration_ms,details,component,thread,call_id,parent_id,self_ms,start_ns,status`.

use crate::timestamp::{TimestampFormatter, push_padded};

pub(crate) const HEADER: &str = "timestamp,operation,phase,duration_ms,details,component,thread,call_id,parent_id,self_ms,start_ns,status\n";

/// A site's text fields, escaped once per session rather than once per row.
pub(crate) struct SiteText {
    /// `,operation,phase,`
    pub operation_phase: Vec<u8>,
    /// `,component,`
    pub component: Vec<u8>,
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
            operation_phase,
            component: text,
        }
    }
}

/// Appends a text field, quoted per RFC 4180 when it holds a comma, quote, CR or LF.
pub(crate) fn push_field(out: &mut Vec<u8>, text: &str) {
    if !text.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
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

/// Milliseconds with exactly six decimals: the nanoseconds, exactly, with no float rounding.
pub(crate) fn push_ms(out: &mut Vec<u8>, ns: u64) {
    let mut digits = itoa::Buffer::new();
    out.extend_from_slice(digits.format(ns / 1_000_000).as_bytes());
    out.push(b'.');
    push_padded(out, (ns % 1_000_000) as u32, 6);
}

pub(crate) fn push_u64(out: &mut Vec<u8>, value: u64) {
    let mut digits = itoa::Buffer::new();
    out.extend_from_slice(digits.format(value).as_bytes());
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
    pub status: &'static str,
}

impl Row<'_> {
    pub(crate) fn write(&self, timestamps: &mut TimestampFormatter, out: &mut Vec<u8>) {
        timestamps.write(self.end_unix_ns, out);
        out.extend_from_slice(&self.site.operation_phase);
        push_ms(out, self.duration_ns);
        out.push(b',');
        out.extend_from_slice(self.details);
        out.extend_from_slice(&self.site.component);
        push_u64(out, u64::from(self.thread));
        out.push(b',');
        push_u64(out, self.call_id);
        out.push(b',');
        if self.parent_id != 0 {
            push_u64(out, self.parent_id);
        }
        out.push(b',');
        push_ms(out, self.self_ns);
        out.push(b',');
        push_u64(out, self.start_ns);
        out.push(b',');
        out.extend_from_slice(self.status.as_bytes());
        out.push(b'\n');
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
        assert_eq!(field("updates=8, policy_loss=0.1234"), "\"updates=8, policy_loss=0.1234\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field(""), "");
    }

    #[test]
    fn milliseconds_keep_every_nanosecond() {
        let ms = |ns| {
            let mut out = Vec::new();
            push_ms(&mut out, ns);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(ms(0), "0.000000");
        assert_eq!(ms(42), "0.000042");
        assert_eq!(ms(245_670_001), "245.670001");
        assert_eq!(ms(u64::MAX), "18446744073709.551615");
    }

    #[test]
    fn writes_a_complete_row() {
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
            status: "ok",
        };
        let mut out = Vec::new();
        row.write(&mut TimestampFormatter::new(), &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "2024-01-15T10:30:45.123456Z,update_policy,training,245.670001,\
             \"updates=8, policy_loss=0.1234\",ppo_trainer,1,1099511627783,,241.000000,1300000000,ok\n"
        );
        assert_eq!(HEADER.split(',').count(), 12);
    }
}
