//! Every form `#[timed]` accepts, under clippy's pedantic lints: the workspace's
//! `cargo clippy --all-targets -- -D warnings` fails if the expansion gives user code a lint
//! that the same code without the attribute does not have. The test itself checks that the
//! functions still return what they did.
#![warn(clippy::pedantic)]

use std::error::Error;
use std::fmt::Display;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

// The recording attribute itself, not `timed_runtime::timed`, which the runtime's `compile-off`
// feature (on under `--all-features`) makes leave functions as written: these are about what the
// expansion adds.
use timed_macros::timed;

#[timed]
fn add(a: u32, b: u32) -> u32 {
    a + b
}

#[timed(phase = "parsing", name = "parse_pair", component = "clippy")]
fn parse(a: &str, b: &str) -> Result<i64, std::num::ParseIntError> {
    if a.is_empty() {
        return Ok(0);
    }
    Ok(a.parse::<i64>()? + b.parse::<i64>()?)
}

#[timed]
fn unit(out: &mut Vec<u8>) {
    out.push(1);
}

/// Items first in the body, as clippy's `items_after_statements` wants them.
#[timed]
fn with_items(value: u32) -> u32 {
    const OFFSET: u32 = 1;
    fn helper(value: u32) -> u32 {
        value * 2
    }
    helper(value) + OFFSET
}

#[timed]
fn longest<'a>(left: &'a str, right: &'a str) -> &'a str {
    if right.len() > left.len() {
        right
    } else {
        left
    }
}

#[timed]
fn repeat<const N: usize, T>(value: T) -> [T; N]
where
    T: Copy,
{
    [value; N]
}

#[timed]
fn joined(parts: impl IntoIterator<Item = impl AsRef<str>>) -> impl Display {
    parts
        .into_iter()
        .map(|part| part.as_ref().to_owned())
        .collect::<Vec<_>>()
        .join("+")
}

#[timed]
fn never(message: &str) -> ! {
    panic!("{message}")
}

/// # Safety
///
/// `pointer` must be valid for reads.
#[timed]
unsafe fn read(pointer: *const u64) -> u64 {
    // SAFETY: guaranteed by the caller.
    unsafe { *pointer }
}

#[timed]
extern "C" fn c_add(a: i32, b: i32) -> i32 {
    a.wrapping_add(b)
}

#[must_use]
#[inline]
#[timed]
fn doubled(value: u64) -> u64 {
    value * 2
}

#[cfg(not(any()))]
#[timed]
fn configured() -> u8 {
    1
}

#[timed]
async fn async_parse(text: &str) -> Result<u32, Box<dyn Error + Send + Sync>> {
    if text.is_empty() {
        return Err("empty".into());
    }
    Ok(text.parse::<u32>()?)
}

#[timed]
async fn async_display(value: u32) -> impl Display {
    format!("<{value}>")
}

#[timed]
async fn async_unit(out: &mut Vec<u8>) {
    out.push(2);
}

struct Counter {
    hits: u32,
}

impl Counter {
    #[timed]
    fn new() -> Self {
        Self { hits: 0 }
    }

    #[timed]
    fn hits(&self) -> u32 {
        self.hits
    }

    #[timed]
    fn hit(&mut self) -> &mut Self {
        self.hits += 1;
        self
    }

    #[timed]
    fn into_hits(self) -> u32 {
        self.hits
    }

    #[timed]
    async fn async_hits(&self) -> u32 {
        self.hits
    }
}

trait Describe {
    fn describe(&self) -> String;

    #[timed]
    fn shout(&self) -> String {
        self.describe().to_uppercase()
    }

    #[timed]
    async fn async_shout(&self) -> String {
        self.shout()
    }
}

trait Consume {
    fn consume(self: Box<Self>) -> u32;
}

impl Consume for Counter {
    #[timed]
    fn consume(self: Box<Self>) -> u32 {
        self.hits
    }
}

impl Describe for Counter {
    #[timed]
    fn describe(&self) -> String {
        format!("counter at {}", self.hits)
    }
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
fn every_form_returns_what_it_did_without_the_attribute() {
    assert_eq!(add(1, 2), 3);
    assert_eq!(parse("40", "2"), Ok(42));
    assert_eq!(parse("", "x"), Ok(0));
    let mut out = Vec::new();
    unit(&mut out);
    block_on(async_unit(&mut out));
    assert_eq!(out, [1, 2]);
    assert_eq!(with_items(4), 9);
    assert_eq!(longest("a", "bb"), "bb");
    assert_eq!(repeat::<2, u8>(7), [7, 7]);
    assert_eq!(joined(["x", "y"]).to_string(), "x+y");
    assert_eq!(
        std::panic::catch_unwind(|| never("stop"))
            .unwrap_err()
            .downcast_ref::<String>()
            .map(String::as_str),
        Some("stop")
    );
    let value = 5_u64;
    // SAFETY: a reference is valid for reads.
    assert_eq!(unsafe { read(&raw const value) }, 5);
    assert_eq!(c_add(i32::MAX, 1), i32::MIN);
    assert_eq!(doubled(4), 8);
    assert_eq!(configured(), 1);
    assert_eq!(block_on(async_parse("12")).ok(), Some(12));
    assert_eq!(block_on(async_parse("")).unwrap_err().to_string(), "empty");
    assert_eq!(block_on(async_display(3)).to_string(), "<3>");

    let mut counter = Counter::new();
    counter.hit().hit();
    assert_eq!(counter.hits(), 2);
    assert_eq!(block_on(counter.async_hits()), 2);
    assert_eq!(counter.shout(), "COUNTER AT 2");
    assert_eq!(block_on(counter.async_shout()), "COUNTER AT 2");
    let boxed: Box<dyn Consume> = Box::new(Counter { hits: 3 });
    assert_eq!(boxed.consume(), 3);
    assert_eq!(counter.into_hits(), 2);
}
