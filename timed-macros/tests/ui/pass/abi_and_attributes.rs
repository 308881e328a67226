//! `unsafe fn`, `extern "C" fn`, and functions carrying other attributes: `#[must_use]`,
//! `#[inline]`, `#[cfg]`, `#[track_caller]`, doc comments and inner attributes all keep
//! their effect (`missing_docs` fails the build if `c_first` loses its doc comment).
#![deny(warnings, missing_docs)]

#[path = "../support.rs"]
mod support;

use timed_runtime::timed;

/// Reads the value behind a raw pointer.
///
/// # Safety
///
/// `pointer` must be valid for reads.
#[timed]
unsafe fn read(pointer: *const u64) -> u64 {
    // SAFETY: the caller guarantees that `pointer` is valid.
    unsafe { *pointer }
}

#[timed]
extern "C" fn c_add(a: i32, b: i32) -> i32 {
    a.wrapping_add(b)
}

/// The first of `values`.
///
/// # Safety
///
/// `values` must be valid for reads.
#[timed]
pub unsafe extern "C" fn c_first(values: *const i32) -> i32 {
    // SAFETY: as for `read`.
    unsafe { *values }
}

#[must_use = "the sum is the point"]
#[inline]
#[timed]
fn sum(values: &[u64]) -> u64 {
    values.iter().sum()
}

#[timed]
#[inline(never)]
#[track_caller]
fn caller_line() -> u32 {
    std::panic::Location::caller().line()
}

#[cfg(any())]
#[timed]
fn compiled_out() -> u32 {
    unreachable!()
}

#[timed]
#[cfg(any())]
fn compiled_out_after() -> u32 {
    unreachable!()
}

#[cfg(not(any()))]
#[timed]
fn compiled_in() -> u32 {
    7
}

#[timed]
fn with_inner_attribute() -> u32 {
    #![allow(clippy::let_and_return, unused_mut)]
    let mut kept = 11;
    kept
}

fn main() {
    let _recording = support::record("abi_and_attributes");

    let value = 99_u64;
    // SAFETY: a reference is valid for reads.
    assert_eq!(unsafe { read(&value) }, 99);
    let as_c_fn: extern "C" fn(i32, i32) -> i32 = c_add;
    assert_eq!(as_c_fn(i32::MAX, 1), i32::MIN);
    let values = [5, 6];
    // SAFETY: as above.
    assert_eq!(unsafe { c_first(values.as_ptr()) }, 5);
    assert_eq!(sum(&[1, 2, 3]), 6);
    assert_eq!(caller_line(), line!());
    assert_eq!(compiled_in(), 7);
    assert_eq!(with_inner_attribute(), 11);

    support::assert_calls("read", 1, 0, 0);
    support::assert_calls("c_add", 1, 0, 0);
    support::assert_calls("c_first", 1, 0, 0);
    support::assert_calls("sum", 1, 0, 0);
    support::assert_calls("caller_line", 1, 0, 0);
    support::assert_calls("compiled_in", 1, 0, 0);
    support::assert_calls("with_inner_attribute", 1, 0, 0);
    // Functions removed by `#[cfg]` register no site.
    assert_eq!(
        support::site_names(),
        [
            "c_add",
            "c_first",
            "caller_line",
            "compiled_in",
            "read",
            "sum",
            "with_inner_attribute"
        ]
    );
}
