//! Decimal digits written straight into reserved buffer space: the integers and milliseconds of
//! every log row, and the microseconds of every timestamp.
//!
//! Two digits at a time from a table, with the length known before the first store, so each
//! number is written once, front to back, with no intermediate buffer and no bounds checks. The
//! callers reserve the space: each function states how many bytes it may write.

const DIGIT_PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// The most bytes `put_u64` writes.
pub(crate) const U64_MAX_LEN: usize = 20;
/// The most bytes `put_ms` writes.
pub(crate) const MS_MAX_LEN: usize = U64_MAX_LEN + 1 + 6;

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
    // 1233/4096 approximates log10(2); the guess is the exact count or one less, and at most 19.
    let guess = (bits * 1233) >> 12;
    (guess + usize::from(value >= POWERS[guess])).max(1)
}

/// The two ASCII digits of `pair` (below 100).
#[inline(always)]
fn pair_digits(pair: usize) -> [u8; 2] {
    [DIGIT_PAIRS[pair * 2], DIGIT_PAIRS[pair * 2 + 1]]
}

/// Writes `value` in decimal; returns the end.
///
/// # Safety
/// `out` must be valid for writes of `U64_MAX_LEN` bytes.
#[inline(always)]
pub(crate) unsafe fn put_u64(out: *mut u8, mut value: u64) -> *mut u8 {
    let digits = decimal_digits(value);
    // SAFETY: `digits` is at most 20, the writable length the caller guarantees; every store
    // below is inside out..out+digits (pairs are stored from the end towards `out`, and the
    // leading one or two digits at `out`).
    unsafe {
        let mut end = out.add(digits);
        while value >= 100 {
            let pair = (value % 100) as usize;
            value /= 100;
            end = end.sub(2);
            end.cast::<[u8; 2]>().write_unaligned(pair_digits(pair));
        }
        if value >= 10 {
            out.cast::<[u8; 2]>()
                .write_unaligned(pair_digits(value as usize));
        } else {
            out.write(b'0' + value as u8);
        }
        out.add(digits)
    }
}

/// Writes `value` (below 1,000,000) as exactly six digits; returns the end.
///
/// # Safety
/// `out` must be valid for writes of 6 bytes.
#[inline(always)]
pub(crate) unsafe fn put_six_digits(out: *mut u8, value: u32) -> *mut u8 {
    let pairs = [value / 10_000 % 100, value / 100 % 100, value % 100];
    for (i, pair) in pairs.into_iter().enumerate() {
        // SAFETY: bytes 2i and 2i+1, i < 3: within the 6 the caller guarantees.
        unsafe {
            out.add(2 * i)
                .cast::<[u8; 2]>()
                .write_unaligned(pair_digits(pair as usize))
        };
    }
    // SAFETY: one past the 6 bytes written, still within (or one past) the caller's range.
    unsafe { out.add(6) }
}

/// Milliseconds with exactly six decimals: the nanoseconds, exactly, with no float rounding.
///
/// # Safety
/// `out` must be valid for writes of `MS_MAX_LEN` bytes.
#[inline(always)]
pub(crate) unsafe fn put_ms(out: *mut u8, ns: u64) -> *mut u8 {
    // SAFETY: at most 20 digits, a point and 6 decimals: the MS_MAX_LEN the caller guarantees.
    unsafe {
        let point = put_u64(out, ns / 1_000_000);
        point.write(b'.');
        put_six_digits(point.add(1), (ns % 1_000_000) as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `write` puts in a buffer of 64 bytes, more than any of these functions writes.
    fn formatted(write: impl FnOnce(*mut u8) -> *mut u8) -> String {
        let mut buffer = [0u8; 64];
        let start = buffer.as_mut_ptr();
        let end = write(start);
        // SAFETY: the writers return a pointer into `buffer`, at or after its start.
        let len = unsafe { end.offset_from(start) } as usize;
        String::from_utf8(buffer[..len].to_vec()).unwrap()
    }

    fn u64_text(value: u64) -> String {
        // SAFETY: `formatted` hands over 64 writable bytes, more than U64_MAX_LEN.
        formatted(|out| unsafe { put_u64(out, value) })
    }

    fn ms_text(ns: u64) -> String {
        // SAFETY: 64 writable bytes, more than MS_MAX_LEN.
        formatted(|out| unsafe { put_ms(out, ns) })
    }

    fn six_digits_text(value: u32) -> String {
        // SAFETY: 64 writable bytes, more than 6.
        formatted(|out| unsafe { put_six_digits(out, value) })
    }

    #[test]
    fn integers_and_milliseconds_keep_every_digit() {
        for value in [0, 7, 10, 99, 100, 12_345, 1 << 40 | 7, u64::MAX] {
            assert_eq!(u64_text(value), value.to_string());
        }
        for digits in 1..=20u32 {
            let power = 10u64.pow(digits - 1);
            assert_eq!(u64_text(power), power.to_string());
            assert_eq!(u64_text(power - 1), (power - 1).to_string());
        }
        assert_eq!(u64_text(u64::MAX).len(), U64_MAX_LEN);
        assert_eq!(ms_text(0), "0.000000");
        assert_eq!(ms_text(42), "0.000042");
        assert_eq!(ms_text(245_670_001), "245.670001");
        assert_eq!(ms_text(u64::MAX), "18446744073709.551615");
        assert_eq!(six_digits_text(7_080), "007080");
        assert_eq!(six_digits_text(999_999), "999999");
    }
}
