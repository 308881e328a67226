//! The forms of `clippy_clean.rs` with their bodies written on one line, as rustfmt would never
//! leave them (hence `#[rustfmt::skip]`): rustc's `unused_braces` looks at how a block is laid
//! out, so a layout can give lints that another does not. Under `#![deny(warnings)]` a plain
//! `cargo test` fails on any rustc warning the expansion adds, and `cargo clippy --all-targets`
//! on any pedantic one. `tests/edition2021` builds this file again in edition 2021.
#![deny(warnings)]
#![warn(clippy::pedantic)]

use std::fmt::Display;
use std::future::Future;
use std::iter::Sum;
use std::num::ParseIntError;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

// The recording attribute itself, not `timed_runtime::timed`, which the runtime's `compile-off`
// feature (on under `--all-features`) makes leave functions as written: these are about what the
// expansion adds.
use timed_macros::timed;

#[rustfmt::skip]
#[timed]
fn add(a: u32, b: u32) -> u32 { a + b }

#[rustfmt::skip]
#[timed]
fn noop() {}

#[rustfmt::skip]
#[timed]
fn push(out: &mut Vec<u32>) { out.push(1); }

#[rustfmt::skip]
#[timed]
fn never(message: &str) -> ! { panic!("{message}") }

#[rustfmt::skip]
#[timed]
fn it(n: u32) -> impl Iterator<Item = u32> { 0..n }

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
fn total<T>(values: &[T]) -> T where T: Copy + Sum<T> { values.iter().copied().sum() }

#[rustfmt::skip]
#[timed]
fn parse(text: &str) -> Result<u32, ParseIntError> { Ok(text.parse::<u32>()? + 1) }

#[rustfmt::skip]
#[timed]
fn sign(value: i32) -> &'static str { match value { 0 => "zero", v if v < 0 => "negative", _ => "positive" } }

/// Items first in the body, as clippy's `items_after_statements` wants them.
#[rustfmt::skip]
#[timed]
fn with_items(value: u32) -> u32 { const OFFSET: u32 = 1; fn twice(v: u32) -> u32 { v * 2 } twice(value) + OFFSET }

#[rustfmt::skip]
#[timed]
fn with_inner_attribute() -> u32 { #![allow(clippy::let_and_return)] let kept = 11; kept }

#[rustfmt::skip]
#[must_use]
#[inline]
#[timed]
fn doubled(value: u64) -> u64 { value * 2 }

/// An `unsafe {}` block cannot carry its `// SAFETY:` comment on one line, with or without the
/// attribute; `clippy_clean.rs` has one over several lines.
///
/// # Safety
///
/// The caller must not read more than `length` bytes past its buffer's start.
#[rustfmt::skip]
#[timed]
unsafe fn capped(length: usize) -> usize { length.min(64) }

#[rustfmt::skip]
#[timed]
extern "C" fn c_add(a: i32, b: i32) -> i32 { a.wrapping_add(b) }

#[rustfmt::skip]
#[timed]
async fn async_noop() {}

#[rustfmt::skip]
#[timed]
async fn async_never(message: &str) -> ! { panic!("{message}") }

#[rustfmt::skip]
#[timed]
async fn async_double(value: u32) -> u32 { value * 2 }

#[rustfmt::skip]
#[timed]
async fn async_forward(value: u32) -> u32 { async_double(value).await }

#[rustfmt::skip]
#[timed]
async fn async_awaited(value: u32) -> u32 { async_double(value).await + 1 }

#[rustfmt::skip]
#[timed]
async fn async_parse(text: &str) -> Result<u32, ParseIntError> { text.parse() }

#[rustfmt::skip]
#[timed]
async fn async_display(value: u32) -> impl Display { value }

#[rustfmt::skip]
#[timed]
async fn async_with_items(value: u32) -> u32 { const OFFSET: u32 = 1; fn twice(v: u32) -> u32 { v * 2 } twice(value) + OFFSET }

#[rustfmt::skip]
#[timed]
async fn async_unit(out: &mut Vec<u32>) { out.push(2); }

struct Counter {
    hits: u32,
}

#[rustfmt::skip]
impl Counter {
    #[timed]
    fn new() -> Self { Self { hits: 0 } }

    #[timed]
    fn hits(&self) -> u32 { self.hits }

    #[timed]
    fn hit(&mut self) -> &mut Self { self.hits += 1; self }

    #[timed]
    fn into_hits(self) -> u32 { self.hits }

    #[timed]
    fn pinned(self: Pin<&mut Self>) -> u32 { self.hits * 10 }

    #[timed]
    fn counted(self: Rc<Self>) -> usize { Rc::strong_count(&self) }

    #[timed]
    async fn async_hits(&self) -> u32 { self.hits }
}

#[rustfmt::skip]
trait Describe {
    fn describe(&self) -> String;

    #[timed]
    fn shout(&self) -> String { self.describe().to_uppercase() }

    #[timed]
    async fn async_shout(&self) -> String { self.shout() }
}

#[rustfmt::skip]
trait Consume {
    fn consume(self: Box<Self>) -> u32;
}

#[rustfmt::skip]
impl Consume for Counter {
    #[timed]
    fn consume(self: Box<Self>) -> u32 { self.hits }
}

#[rustfmt::skip]
impl Describe for Counter {
    #[timed]
    fn describe(&self) -> String { format!("counter at {}", self.hits) }
}

fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

#[test]
fn every_one_line_form_returns_what_it_did_without_the_attribute() {
    assert_eq!(add(1, 2), 3);
    noop();
    let mut out = Vec::new();
    push(&mut out);
    block_on(async_unit(&mut out));
    block_on(async_noop());
    assert_eq!(out, [1, 2]);
    assert_eq!(
        std::panic::catch_unwind(|| never("stop"))
            .unwrap_err()
            .downcast_ref::<String>()
            .map(String::as_str),
        Some("stop")
    );
    assert_eq!(
        std::panic::catch_unwind(|| block_on(async_never("stop")))
            .unwrap_err()
            .downcast_ref::<String>()
            .map(String::as_str),
        Some("stop")
    );
    assert_eq!(it(3).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(identity('i'), 'i');
    assert_eq!(longest("a", "bb"), "bb");
    assert_eq!(repeat::<2, u8>(7), [7, 7]);
    assert_eq!(total(&[2_u64, 3]), 5);
    assert_eq!(parse("41"), Ok(42));
    assert_eq!(
        [sign(0), sign(-3), sign(8)],
        ["zero", "negative", "positive"]
    );
    assert_eq!(with_items(4), 9);
    assert_eq!(with_inner_attribute(), 11);
    assert_eq!(doubled(4), 8);
    // SAFETY: `capped` has no unsafe operation to misuse.
    assert_eq!(unsafe { capped(100) }, 64);
    assert_eq!(c_add(i32::MAX, 1), i32::MIN);
    assert_eq!(block_on(async_forward(4)), 8);
    assert_eq!(block_on(async_awaited(4)), 9);
    assert_eq!(block_on(async_parse("12")), Ok(12));
    assert_eq!(block_on(async_display(3)).to_string(), "3");
    assert_eq!(block_on(async_with_items(4)), 9);

    let mut counter = Counter::new();
    counter.hit().hit();
    assert_eq!(counter.hits(), 2);
    assert_eq!(block_on(counter.async_hits()), 2);
    assert_eq!(counter.shout(), "COUNTER AT 2");
    assert_eq!(block_on(counter.async_shout()), "COUNTER AT 2");
    assert_eq!(Pin::new(&mut Counter { hits: 4 }).pinned(), 40);
    assert_eq!(Rc::new(Counter { hits: 0 }).counted(), 1);
    let boxed: Box<dyn Consume> = Box::new(Counter { hits: 3 });
    assert_eq!(boxed.consume(), 3);
    assert_eq!(counter.into_hits(), 2);
}
