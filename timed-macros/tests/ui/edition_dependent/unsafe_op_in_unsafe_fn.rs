//! An unsafe operation directly in an `unsafe fn`'s body, outside an `unsafe {}` block: edition
//! 2024 warns (`unsafe_op_in_unsafe_fn`), 2021 does not. A timed body gets exactly the warnings
//! the same body gets without the attribute, whatever its layout, sync or async: `tests/ui.rs`
//! expects the five 2024 errors (one per function, the untimed twins' among them),
//! `tests/edition2021` expects this file to build cleanly and run.
#![deny(warnings)]

#[path = "../support.rs"]
mod support;

use timed_runtime::timed;

/// # Safety
///
/// `pointer` must be valid for reads.
#[rustfmt::skip]
unsafe fn untimed_read(pointer: *const u8) -> u8 { *pointer }

/// # Safety
///
/// `pointer` must be valid for reads.
#[rustfmt::skip]
#[timed]
unsafe fn timed_read(pointer: *const u8) -> u8 { *pointer }

/// # Safety
///
/// `pointer` must be valid for reads.
#[timed]
unsafe fn timed_read_over_lines(pointer: *const u8) -> u8 {
    let value = *pointer;
    value
}

/// # Safety
///
/// `pointer` must be valid for reads.
#[rustfmt::skip]
async unsafe fn untimed_async_read(pointer: *const u8) -> u8 { *pointer }

/// # Safety
///
/// `pointer` must be valid for reads.
#[rustfmt::skip]
#[timed]
async unsafe fn timed_async_read(pointer: *const u8) -> u8 { *pointer }

fn main() {
    let _recording = support::record("unsafe_op_in_unsafe_fn");

    let byte = 3_u8;
    // SAFETY: a reference is valid for reads.
    let read = unsafe { [untimed_read(&byte), timed_read(&byte), timed_read_over_lines(&byte)] };
    assert_eq!(read, [3, 3, 3]);
    // SAFETY: as above.
    let (untimed, timed) = unsafe { (untimed_async_read(&byte), timed_async_read(&byte)) };
    assert_eq!([support::block_on(untimed), support::block_on(timed)], [3, 3]);
    support::assert_calls("timed_read", 1, 0, 0);
    support::assert_calls("timed_read_over_lines", 1, 0, 0);
    support::assert_calls("timed_async_read", 1, 0, 0);
    assert_eq!(
        support::site_names(),
        ["timed_async_read", "timed_read", "timed_read_over_lines"]
    );
}
