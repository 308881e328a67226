//! Numeric fields of our format converted where they lie in the window read: the sixteen
//! bytes that end with the field are loaded as one vector, the bytes before the field are
//! ignored, and all its digits are checked and combined at once (SSE2: subtract `'0'`, then
//! multiply-add pairs, quads and octets). A field of another shape, or too close to the
//! window's start, takes the general parsers of `numbers`, which give the same results.
//!
//! Written by hand for the per-row cost: a row in our format holds six numbers, four of
//! them of eight to eleven digits. `analyzer report --quiet --threads 1` on 1M rows in our
//! format (callgrind; logs from `cargo run --release -p analyzer --example synthetic_logs`)
//! ran 3,520 M instructions with these against 3,807 M with the general parsers alone (a
//! digit at a time, then eight at a time in a 64-bit word). The wall-clock benchmark is
//! `cargo bench -p analyzer` (benches/report_vs_anchors.rs).

use super::numbers::{parse_ms_as_ns, parse_u64};

/// Digits converted at once.
const VECTOR: usize = 16;

/// Where our writer puts the decimal point of a millisecond field: before six decimals.
const DECIMALS: usize = 6;

/// [`parse_u64`] of the field `buf[start..end]`.
#[inline(always)]
pub fn parse_u64_at(buf: &[u8], (start, end): (usize, usize)) -> Option<u64> {
    let count = end - start;
    if (1..=VECTOR).contains(&count)
        && let Some(value) = vector_ending_at(buf, end).and_then(|v| digits(v, count, false))
    {
        return Some(value);
    }
    parse_u64(&buf[start..end])
}

/// [`parse_ms_as_ns`] of the field `buf[start..end]`. Our writer's form, up to nine digits,
/// a dot and six decimals, is converted as the number its digits spell with the dot read as
/// a zero; anything else takes the general path.
#[inline(always)]
pub fn parse_ms_as_ns_at(buf: &[u8], (start, end): (usize, usize)) -> Option<i64> {
    let count = end - start;
    if (DECIMALS + 1..=VECTOR).contains(&count)
        && buf[end - DECIMALS - 1] == b'.'
        && let Some(spelled) = vector_ending_at(buf, end).and_then(|v| digits(v, count, true))
    {
        // spelled = ms * 10^7 + 0 * 10^6 + decimals, with decimals < 10^6.
        let ms = spelled / 10_000_000;
        return Some((spelled - ms * 9_000_000) as i64);
    }
    parse_ms_as_ns(&buf[start..end])
}

/// The sixteen bytes of `buf` that end at `end`, if there are that many before it.
#[inline(always)]
fn vector_ending_at(buf: &[u8], end: usize) -> Option<&[u8; VECTOR]> {
    buf.get(end.checked_sub(VECTOR)?..end)?
        .first_chunk::<VECTOR>()
}

/// Per field length: 0xFF on the bytes of the vector before the field.
#[cfg(target_arch = "x86_64")]
static BEFORE_FIELD: [[u8; VECTOR]; VECTOR + 1] = {
    let mut masks = [[0u8; VECTOR]; VECTOR + 1];
    let mut count = 0;
    while count <= VECTOR {
        let mut index = 0;
        while index < VECTOR - count {
            masks[count][index] = 0xFF;
            index += 1;
        }
        count += 1;
    }
    masks
};

/// 0xFF on the decimal point of a millisecond field.
#[cfg(target_arch = "x86_64")]
static POINT: [u8; VECTOR] = {
    let mut mask = [0u8; VECTOR];
    mask[VECTOR - DECIMALS - 1] = 0xFF;
    mask
};

/// The last `count` bytes of `vector` as a decimal number, or `None` when one of them is not
/// a digit. With `point`, the byte before the last six reads as a 0 whatever it holds.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn digits(vector: &[u8; VECTOR], count: usize, point: bool) -> Option<u64> {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi16, _mm_and_si128, _mm_andnot_si128, _mm_cmpeq_epi8, _mm_cvtsi128_si64,
        _mm_loadu_si128, _mm_madd_epi16, _mm_max_epu8, _mm_movemask_epi8, _mm_mullo_epi16,
        _mm_or_si128, _mm_packs_epi32, _mm_set1_epi8, _mm_set1_epi16, _mm_set1_epi32,
        _mm_srli_epi16, _mm_sub_epi8,
    };
    // SAFETY: the intrinsics need the SSE2 target feature, which every x86_64 CPU has (it is
    // part of the target's baseline); a plain function rather than a `#[target_feature]` one
    // so that it inlines into the row loop. The three loads read exactly the 16 bytes of
    // `vector`, of `BEFORE_FIELD[count]` (`count <= 16`: the index is checked) and of `POINT`,
    // with no alignment requirement (`loadu`).
    unsafe {
        let load = |bytes: &[u8; VECTOR]| _mm_loadu_si128(bytes.as_ptr().cast::<__m128i>());
        let mut ignored = load(&BEFORE_FIELD[count]);
        if point {
            ignored = _mm_or_si128(ignored, load(&POINT));
        }
        // Each byte's digit value (ignored bytes read as 0); a non-digit gives more than 9.
        let values = _mm_andnot_si128(
            ignored,
            _mm_sub_epi8(load(vector), _mm_set1_epi8(b'0' as i8)),
        );
        let nine = _mm_set1_epi8(9);
        if _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(values, nine), nine)) != 0xFFFF {
            return None;
        }
        // The first digit is the most significant and sits in the lower byte of each pair.
        let pairs = _mm_add_epi16(
            _mm_mullo_epi16(
                _mm_and_si128(values, _mm_set1_epi16(0xFF)),
                _mm_set1_epi16(10),
            ),
            _mm_srli_epi16(values, 8),
        );
        let quads = _mm_madd_epi16(pairs, _mm_set1_epi32(100 | 1 << 16));
        let octets = _mm_madd_epi16(
            _mm_packs_epi32(quads, quads),
            _mm_set1_epi32(10_000 | 1 << 16),
        );
        let both = _mm_cvtsi128_si64(octets) as u64;
        Some((both & 0xFFFF_FFFF) * 100_000_000 + (both >> 32))
    }
}

/// Elsewhere every field takes the general parsers.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn digits(_vector: &[u8; VECTOR], _count: usize, _point: bool) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `field` placed after `before` filler bytes and followed by a comma, as in a row.
    fn in_row(before: &[u8], field: &[u8]) -> (Vec<u8>, (usize, usize)) {
        let mut buf = before.to_vec();
        buf.extend_from_slice(field);
        buf.push(b',');
        (buf, (before.len(), before.len() + field.len()))
    }

    #[test]
    fn our_writers_numbers() {
        let before = b"2026-11-25T03:15:00.020747Z,";
        for (field, value) in [
            (&b"1"[..], 1),
            (b"4294967300", 4_294_967_300),
            (b"0", 0),
            (b"9999999999999999", 9_999_999_999_999_999),
            (b"0000000000000042", 42),
            (b"18446744073709551615", u64::MAX),
        ] {
            let (buf, span) = in_row(before, field);
            assert_eq!(parse_u64_at(&buf, span), Some(value));
        }
        for (field, ns) in [
            (&b"0.146626"[..], 146_626),
            (b"245.670001", 245_670_001),
            (b".000042", 42),
            (b"123456789.000001", 123_456_789_000_001),
            (b"1234567890.000001", 1_234_567_890_000_001),
            (b"0.5", 500_000),
            (b"-0.000001", -1),
            (b"1e-05", 10),
        ] {
            let (buf, span) = in_row(before, field);
            assert_eq!(parse_ms_as_ns_at(&buf, span), Some(ns));
        }
        for bad in [&b""[..], b"12a4", b"1.2345x7", b"1,234567", b"--1"] {
            let (buf, span) = in_row(before, bad);
            assert_eq!(parse_u64_at(&buf, span), None);
            assert_eq!(parse_ms_as_ns_at(&buf, span), None);
        }
    }

    #[test]
    fn a_field_at_the_start_of_the_window() {
        let (buf, span) = in_row(b"", b"4294967300");
        assert_eq!(parse_u64_at(&buf, span), Some(4_294_967_300));
        let (buf, span) = in_row(b"", b"0.146626");
        assert_eq!(parse_ms_as_ns_at(&buf, span), Some(146_626));
    }

    proptest! {
        #[test]
        fn agree_with_the_general_parsers(
            before in proptest::collection::vec(any::<u8>(), 0..24),
            field in proptest::collection::vec(
                prop_oneof![8 => b'0'..=b'9', 1 => Just(b'.'), 1 => Just(b'-'),
                    1 => Just(b'e'), 1 => any::<u8>()], 0..22),
        ) {
            let (buf, span) = in_row(&before, &field);
            prop_assert_eq!(parse_u64_at(&buf, span), parse_u64(&field));
            prop_assert_eq!(parse_ms_as_ns_at(&buf, span), parse_ms_as_ns(&field));
        }

        #[test]
        fn agree_on_our_writers_shapes(
            before in proptest::collection::vec(any::<u8>(), 0..24),
            whole in 0u64..10_000_000_000,
            decimals in 0u64..1_000_000,
            id in any::<u64>(),
        ) {
            let ms = format!("{whole}.{decimals:06}");
            let (buf, span) = in_row(&before, ms.as_bytes());
            prop_assert_eq!(parse_ms_as_ns_at(&buf, span), parse_ms_as_ns(ms.as_bytes()));
            let id = id.to_string();
            let (buf, span) = in_row(&before, id.as_bytes());
            prop_assert_eq!(parse_u64_at(&buf, span), parse_u64(id.as_bytes()));
        }
    }
}
