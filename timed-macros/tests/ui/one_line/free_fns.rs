//! Free functions whose body is written on one line, as rustfmt would never leave it: the
//! expansion must not give them a warning that the same code without the attribute lacks
//! (rustc's `unused_braces` looks at how a block is laid out). Run in edition 2024 by
//! `tests/ui.rs` and in edition 2021 by `tests/edition2021`.
#![deny(warnings)]

#[path = "../support.rs"]
mod support;

use std::fmt::Display;

use timed_runtime::timed;

#[rustfmt::skip]
#[timed]
fn add(a: u32, b: u32) -> u32 { a + b }

#[rustfmt::skip]
#[timed]
fn noop() {}

#[rustfmt::skip]
#[timed]
fn push(out: &mut Vec<u32>) { out.push(1) }

#[rustfmt::skip]
#[timed]
fn never(message: &str) -> ! { panic!("{message}") }

#[rustfmt::skip]
#[timed]
fn it(n: u32) -> impl Iterator<Item = u32> { 0..n }

#[rustfmt::skip]
#[timed]
fn evens(values: &[u32]) -> impl Iterator<Item = u32> + '_ { values.iter().copied().filter(|v| v % 2 == 0) }

#[rustfmt::skip]
#[timed]
fn shown(value: u32) -> impl Display { value }

#[rustfmt::skip]
#[timed]
fn identity<T>(value: T) -> T { value }

#[rustfmt::skip]
#[timed]
fn longest<'a>(left: &'a str, right: &'a str) -> &'a str { if right.len() > left.len() { right } else { left } }

#[rustfmt::skip]
#[timed]
fn repeat<const N: usize, T: Copy>(value: T) -> [T; N] { [value; N] }

#[rustfmt::skip]
#[timed]
fn sum_where<T>(values: &[T]) -> T where T: Copy + std::iter::Sum<T> { values.iter().copied().sum() }

#[rustfmt::skip]
#[timed]
fn parse(text: &str) -> Result<u32, std::num::ParseIntError> { Ok(text.parse::<u32>()? + 1) }

#[rustfmt::skip]
#[timed]
fn early(value: u32) -> u32 { return value * 3; }

#[rustfmt::skip]
#[timed]
fn sign(value: i32) -> &'static str { match value { 0 => "zero", v if v < 0 => "negative", _ => "positive" } }

#[rustfmt::skip]
#[timed]
fn first_over(values: &[u32], limit: u32) -> Option<u32> { for v in values { if *v > limit { return Some(*v); } } None }

#[rustfmt::skip]
#[timed]
fn counted() -> u32 { let mut n = 0; loop { n += 1; if n == 4 { break n; } } }

#[rustfmt::skip]
#[timed]
fn labelled(value: u32) -> u32 { 'done: { if value > 5 { break 'done 5; } value } }

#[rustfmt::skip]
#[timed]
fn with_items(value: u32) -> u32 { const OFFSET: u32 = 1; fn twice(v: u32) -> u32 { v * 2 } twice(value) + OFFSET }

#[rustfmt::skip]
#[timed]
fn with_inner_attribute() -> u32 { #![allow(unused_mut)] let mut kept = 11; kept }

#[rustfmt::skip]
#[timed]
fn closure_tail(offset: u32) -> impl Fn(u32) -> u32 { move |v| v + offset }

#[rustfmt::skip]
#[must_use]
#[inline]
#[timed]
fn doubled(value: u64) -> u64 { value * 2 }

#[rustfmt::skip]
#[timed]
#[track_caller]
fn caller_line() -> u32 { std::panic::Location::caller().line() }

/// # Safety
///
/// `pointer` must be valid for reads.
#[rustfmt::skip]
#[timed]
unsafe fn read(pointer: *const u8) -> u8 { unsafe { *pointer } }

#[rustfmt::skip]
#[timed]
extern "C" fn c_add(a: i32, b: i32) -> i32 { a.wrapping_add(b) }

/// # Safety
///
/// `values` must be valid for reads.
#[rustfmt::skip]
#[timed]
unsafe extern "C" fn c_first(values: *const i32) -> i32 { unsafe { *values } }

#[rustfmt::skip]
#[cfg(not(any()))]
#[timed]
fn configured() -> u8 { 1 }

mod nested {
    #[rustfmt::skip]
    #[timed_runtime::timed(name = "nested_one", phase = "one_line")]
    pub fn inside() -> &'static str { "inside" }
}

fn main() {
    let _recording = support::record("one_line_free_fns");

    assert_eq!(add(2, 3), 5);
    noop();
    let mut out = Vec::new();
    push(&mut out);
    assert_eq!(out, [1]);
    let failed = std::panic::catch_unwind(|| never("stop")).unwrap_err();
    assert_eq!(failed.downcast_ref::<String>().map(String::as_str), Some("stop"));
    assert_eq!(it(3).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(evens(&[1, 2, 3, 4]).collect::<Vec<_>>(), [2, 4]);
    assert_eq!(shown(7).to_string(), "7");
    assert_eq!(identity("x"), "x");
    assert_eq!(longest("a", "bb"), "bb");
    assert_eq!(repeat::<2, u8>(9), [9, 9]);
    assert_eq!(sum_where(&[1.5_f64, 2.0]), 3.5);
    assert_eq!(parse("41"), Ok(42));
    assert_eq!(parse("x").unwrap_err().to_string(), "invalid digit found in string");
    assert_eq!(early(2), 6);
    assert_eq!([sign(0), sign(-3), sign(8)], ["zero", "negative", "positive"]);
    assert_eq!(first_over(&[1, 5, 9], 4), Some(5));
    assert_eq!(first_over(&[1], 4), None);
    assert_eq!(counted(), 4);
    assert_eq!((labelled(9), labelled(2)), (5, 2));
    assert_eq!(with_items(4), 9);
    assert_eq!(with_inner_attribute(), 11);
    assert_eq!(closure_tail(10)(5), 15);
    assert_eq!(doubled(4), 8);
    assert_eq!(caller_line(), line!());
    let byte = 200_u8;
    // SAFETY: a reference is valid for reads.
    assert_eq!(unsafe { read(&byte) }, 200);
    let as_c_fn: extern "C" fn(i32, i32) -> i32 = c_add;
    assert_eq!(as_c_fn(i32::MAX, 1), i32::MIN);
    let values = [5, 6];
    // SAFETY: as above.
    assert_eq!(unsafe { c_first(values.as_ptr()) }, 5);
    assert_eq!(configured(), 1);
    assert_eq!(nested::inside(), "inside");

    for (name, calls) in [
        ("add", 1),
        ("noop", 1),
        ("push", 1),
        ("it", 1),
        ("evens", 1),
        ("shown", 1),
        ("identity", 1),
        ("longest", 1),
        ("repeat", 1),
        ("sum_where", 1),
        ("parse", 2),
        ("early", 1),
        ("sign", 3),
        ("first_over", 2),
        ("counted", 1),
        ("labelled", 2),
        ("with_items", 1),
        ("with_inner_attribute", 1),
        ("closure_tail", 1),
        ("doubled", 1),
        ("caller_line", 1),
        ("read", 1),
        ("c_add", 1),
        ("c_first", 1),
        ("configured", 1),
        ("nested_one", 1),
    ] {
        support::assert_calls(name, calls, 0, 0);
    }
    support::assert_calls("never", 0, 1, 0);
    assert_eq!(support::site_names().len(), 27);
    let add = support::site("add");
    assert_eq!((add.phase(), add.component(), add.line()), ("default", env!("CARGO_PKG_NAME"), 16));
    let nested = support::site("nested_one");
    assert_eq!(nested.phase(), "one_line");
    assert_eq!(nested.module_path(), concat!(module_path!(), "::nested"));
}
