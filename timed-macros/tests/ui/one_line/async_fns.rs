//! `async fn`s whose body is written on one line: free, generic, `?`, `impl Trait` and `!`
//! returns, `.await` tails, methods with every receiver, trait impls and default bodies. No
//! warning the same code without the attribute lacks, in edition 2024 (`tests/ui.rs`) and 2021
//! (`tests/edition2021`).
#![deny(warnings)]

#[path = "../support.rs"]
mod support;

use std::error::Error;
use std::fmt::Display;
use std::num::ParseIntError;

use support::{block_on, yield_now};
use timed_runtime::timed;

#[rustfmt::skip]
#[timed]
async fn double(value: u32) -> u32 { value * 2 }

#[rustfmt::skip]
#[timed]
async fn noop() {}

#[rustfmt::skip]
#[timed]
async fn push(out: &mut Vec<u32>) { out.push(1) }

#[rustfmt::skip]
#[timed]
async fn never(message: &str) -> ! { panic!("{message}") }

#[rustfmt::skip]
#[timed]
async fn awaited(value: u32) -> u32 { double(value).await + 1 }

#[rustfmt::skip]
#[timed]
async fn yielding(value: u32) -> u32 { yield_now().await; value }

#[rustfmt::skip]
#[timed]
async fn parse(text: &str) -> Result<u32, ParseIntError> { text.parse() }

#[rustfmt::skip]
#[timed]
async fn parse_boxed(text: &str) -> Result<u32, Box<dyn Error + Send + Sync>> { Ok(text.parse::<u32>()?) }

#[rustfmt::skip]
#[timed]
async fn shown(value: u32) -> impl Display { value }

#[rustfmt::skip]
#[timed]
async fn boxed(value: u32) -> Box<dyn Display + Send> { if value == 0 { return Box::new("zero"); } Box::new(value) }

#[rustfmt::skip]
#[timed]
async fn echo<T: Send>(value: T) -> T { value }

#[rustfmt::skip]
#[timed]
async fn longest<'a>(left: &'a str, right: &'a str) -> &'a str { if right.len() > left.len() { right } else { left } }

#[rustfmt::skip]
#[timed]
async fn with_items(value: u32) -> u32 { const OFFSET: u32 = 1; fn twice(v: u32) -> u32 { v * 2 } twice(value) + OFFSET }

#[rustfmt::skip]
#[timed]
async fn with_inner_attribute() -> u32 { #![allow(unused_mut)] let mut kept = 11; kept }

/// # Safety
///
/// `pointer` must be valid for reads.
#[rustfmt::skip]
#[timed]
async unsafe fn read(pointer: *const u8) -> u8 { unsafe { *pointer } }

struct Account {
    balance: i64,
}

#[rustfmt::skip]
impl Account {
    #[timed]
    async fn open(balance: i64) -> Self { Self { balance } }

    #[timed]
    async fn balance(&self) -> i64 { self.balance }

    #[timed]
    async fn deposit(&mut self, amount: i64) -> i64 { self.balance += amount; self.balance }

    #[timed]
    async fn close(self) -> i64 { self.balance }

    #[timed]
    async fn close_boxed(self: Box<Self>) -> i64 { self.balance * 10 }
}

#[rustfmt::skip]
trait Greeter {
    fn who(&self) -> String;

    #[timed]
    async fn greet(&self) -> String { format!("hello {}", self.who()) }
}

#[rustfmt::skip]
impl Greeter for Account {
    #[timed(name = "who_holds")]
    fn who(&self) -> String { format!("holder of {}", self.balance) }
}

fn main() {
    let _recording = support::record("one_line_async_fns");

    assert_eq!(block_on(double(4)), 8);
    block_on(noop());
    let mut out = Vec::new();
    block_on(push(&mut out));
    assert_eq!(out, [1]);
    let failed = std::panic::catch_unwind(|| block_on(never("stop"))).unwrap_err();
    assert_eq!(failed.downcast_ref::<String>().map(String::as_str), Some("stop"));
    assert_eq!(block_on(awaited(2)), 5);
    assert_eq!(block_on(yielding(6)), 6);
    assert_eq!(block_on(parse("7")), Ok(7));
    assert_eq!(block_on(parse_boxed("8")).ok(), Some(8));
    assert_eq!(
        block_on(parse_boxed("x")).unwrap_err().to_string(),
        "invalid digit found in string"
    );
    assert_eq!(block_on(shown(3)).to_string(), "3");
    assert_eq!(block_on(boxed(0)).to_string(), "zero");
    assert_eq!(block_on(boxed(4)).to_string(), "4");
    assert_eq!(block_on(echo('e')), 'e');
    assert_eq!(block_on(longest("ab", "c")), "ab");
    assert_eq!(block_on(with_items(4)), 9);
    assert_eq!(block_on(with_inner_attribute()), 11);
    let byte = 17_u8;
    // SAFETY: a reference is valid for reads.
    assert_eq!(block_on(unsafe { read(&byte) }), 17);

    let mut account = block_on(Account::open(10));
    assert_eq!(block_on(account.deposit(5)), 15);
    assert_eq!(block_on(account.balance()), 15);
    assert_eq!(block_on(account.greet()), "hello holder of 15");
    assert_eq!(block_on(Box::new(block_on(Account::open(2))).close_boxed()), 20);
    assert_eq!(block_on(account.close()), 15);

    for (name, calls) in [
        ("double", 2),
        ("noop", 1),
        ("push", 1),
        ("awaited", 1),
        ("yielding", 1),
        ("parse", 1),
        ("parse_boxed", 2),
        ("shown", 1),
        ("boxed", 2),
        ("echo", 1),
        ("longest", 1),
        ("with_items", 1),
        ("with_inner_attribute", 1),
        ("read", 1),
        ("open", 2),
        ("deposit", 1),
        ("balance", 1),
        ("greet", 1),
        ("who_holds", 1),
        ("close_boxed", 1),
        ("close", 1),
    ] {
        support::assert_calls(name, calls, 0, 0);
    }
    support::assert_calls("never", 0, 1, 0);
    assert_eq!(support::site_names().len(), 22);
}
