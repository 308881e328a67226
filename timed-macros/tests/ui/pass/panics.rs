//! Panics: a call that unwinds is recorded as panicked, in every timed frame it unwinds
//! through; a panic caught inside the function leaves its call ok; `-> !` functions compile.
#![deny(warnings)]

#[path = "../support.rs"]
mod support;

use std::panic::{AssertUnwindSafe, catch_unwind};

use timed_runtime::timed;

#[timed]
fn checked_divide(numerator: i32, denominator: i32) -> i32 {
    if denominator == 0 {
        panic!("division of {numerator} by zero");
    }
    numerator / denominator
}

#[timed]
fn average(values: &[i32]) -> i32 {
    let count = i32::try_from(values.len()).unwrap_or(i32::MAX);
    checked_divide(values.iter().sum(), count)
}

#[timed]
fn fail(message: &str) -> ! {
    panic!("{message}")
}

#[timed]
fn contained() -> &'static str {
    match catch_unwind(|| fail("contained")) {
        Ok(never) => never,
        Err(_) => "caught",
    }
}

fn message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("?")
}

fn main() {
    let _recording = support::record("panics");

    assert_eq!(average(&[2, 4, 6]), 4);
    let empty = catch_unwind(|| average(&[])).unwrap_err();
    assert_eq!(message(&*empty), "division of 0 by zero");
    let failed = catch_unwind(AssertUnwindSafe(|| fail("always"))).unwrap_err();
    assert_eq!(message(&*failed), "always");
    assert_eq!(contained(), "caught");

    support::assert_calls("checked_divide", 1, 1, 0);
    support::assert_calls("average", 1, 1, 0);
    support::assert_calls("fail", 0, 2, 0);
    support::assert_calls("contained", 1, 0, 0);
    assert_eq!(
        support::site_names(),
        ["average", "checked_divide", "contained", "fail"]
    );
}
