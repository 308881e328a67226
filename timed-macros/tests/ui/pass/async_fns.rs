//! `async fn`s: `?` and `return` still infer (including conversions and coercions to the
//! declared type), `impl Trait` returns, methods, trait impls and trait default bodies.
//! Dropped futures count as cancelled, panicking ones as panicked (`async_across_threads.rs`
//! moves calls between threads).
#![deny(warnings)]

#[path = "../support.rs"]
mod support;

use std::error::Error;
use std::fmt::Display;
use std::num::ParseIntError;
use std::panic::{AssertUnwindSafe, catch_unwind};

use support::{block_on, poll_once, yield_now};
use timed_runtime::timed;

#[timed]
async fn double(value: u32) -> u32 {
    yield_now().await;
    value * 2
}

#[timed]
async fn parse(text: &str) -> Result<u32, ParseIntError> {
    let value = text.trim().parse::<u32>()?;
    if value == 0 {
        return Ok(100);
    }
    Ok(value)
}

/// `?` converts into the declared error, and `.into()` finds its target, only if the body
/// knows the declared return type.
#[timed]
async fn parse_boxed(text: &str) -> Result<u32, Box<dyn Error + Send + Sync>> {
    if text.is_empty() {
        return Err("empty".into());
    }
    yield_now().await;
    let value: u32 = text.parse()?;
    Ok(value)
}

/// Both returns coerce to the declared trait object.
#[timed]
async fn shown(value: u32) -> Box<dyn Display + Send> {
    if value == 0 {
        return Box::new("zero");
    }
    Box::new(value)
}

#[timed]
async fn bracketed(value: u32) -> impl Display {
    yield_now().await;
    format!("<{value}>")
}

#[timed]
async fn checked(value: u32) -> Result<impl Display, String> {
    if value == 0 {
        return Err(String::from("zero"));
    }
    let halved = u32::try_from(u64::from(value) / 2).map_err(|error| error.to_string())?;
    Ok(halved)
}

#[timed]
async fn echo<T: Send>(value: T) -> T {
    yield_now().await;
    value
}

#[timed]
async fn total(values: impl IntoIterator<Item = u32> + Send) -> u32 {
    yield_now().await;
    values.into_iter().sum()
}

#[timed]
async fn longest<'a>(left: &'a str, right: &'a str) -> &'a str {
    if right.len() > left.len() {
        return right;
    }
    left
}

#[timed]
async fn explode(value: u32) -> u32 {
    yield_now().await;
    if value > 0 {
        panic!("explode({value})");
    }
    value
}

struct Account {
    balance: i64,
}

impl Account {
    #[timed]
    async fn open(balance: i64) -> Self {
        Self { balance }
    }

    #[timed]
    async fn deposit(&mut self, amount: i64) -> Result<i64, String> {
        if amount <= 0 {
            return Err(format!("cannot deposit {amount}"));
        }
        yield_now().await;
        self.balance += amount;
        Ok(self.balance)
    }

    #[timed]
    async fn balance(&self) -> i64 {
        self.balance
    }

    #[timed]
    async fn label(&self, named: bool) -> &str {
        if named {
            return "named";
        }
        yield_now().await;
        "anonymous"
    }

    #[timed]
    async fn close(self: Box<Self>) -> i64 {
        self.balance
    }
}

trait Greeter {
    fn who(&self) -> String;

    async fn greet(&self) -> String;

    #[timed]
    async fn greet_twice(&self) -> String {
        let once = self.greet().await;
        format!("{once} {once}")
    }
}

impl Greeter for Account {
    fn who(&self) -> String {
        format!("holder of {}", self.balance)
    }

    #[timed]
    async fn greet(&self) -> String {
        yield_now().await;
        format!("hello {}", self.who())
    }
}

#[timed]
async fn account_total(accounts: i64) -> i64 {
    let mut total = 0;
    for _ in 0..accounts {
        let account = Account::open(10).await;
        yield_now().await;
        total += account.balance().await;
    }
    total
}

fn assert_send<T: Send>(value: T) -> T {
    value
}

fn main() {
    let _recording = support::record("async_fns");

    assert_eq!(block_on(double(4)), 8);
    assert_eq!(block_on(parse(" 7 ")), Ok(7));
    assert_eq!(block_on(parse("0")), Ok(100));
    assert_eq!(
        block_on(parse("x")).unwrap_err().to_string(),
        "invalid digit found in string"
    );
    assert_eq!(block_on(parse_boxed("12")).ok(), Some(12));
    assert_eq!(block_on(parse_boxed("")).unwrap_err().to_string(), "empty");
    assert_eq!(
        block_on(parse_boxed("1x")).unwrap_err().to_string(),
        "invalid digit found in string"
    );
    assert_eq!(block_on(shown(0)).to_string(), "zero");
    assert_eq!(block_on(shown(5)).to_string(), "5");
    assert_eq!(block_on(bracketed(3)).to_string(), "<3>");
    assert_eq!(
        block_on(checked(9)).map(|v| v.to_string()),
        Ok(String::from("4"))
    );
    assert_eq!(
        block_on(checked(0)).map(|v| v.to_string()),
        Err(String::from("zero"))
    );
    assert_eq!(block_on(echo("text")), "text");
    assert_eq!(block_on(echo(1.5_f64)), 1.5);
    assert_eq!(block_on(total(vec![1, 2, 3])), 6);
    assert_eq!(block_on(longest("ab", "c")), "ab");
    assert_eq!(block_on(longest("a", "bc")), "bc");

    let mut account = block_on(Account::open(10));
    assert_eq!(block_on(account.deposit(5)), Ok(15));
    assert_eq!(
        block_on(account.deposit(-1)),
        Err(String::from("cannot deposit -1"))
    );
    assert_eq!(block_on(account.balance()), 15);
    assert_eq!(block_on(account.label(true)), "named");
    assert_eq!(block_on(account.label(false)), "anonymous");
    assert_eq!(
        block_on(account.greet_twice()),
        "hello holder of 15 hello holder of 15"
    );
    assert_eq!(block_on(Box::new(account).close()), 15);

    // The futures are `Send` when the bodies are.
    assert_eq!(block_on(assert_send(account_total(3))), 30);

    // Dropped after its first poll: cancelled. Never polled: not a call at all.
    let mut abandoned = Box::pin(double(1));
    assert!(poll_once(abandoned.as_mut()).is_pending());
    drop(abandoned);
    drop(double(2));

    let panicked = catch_unwind(AssertUnwindSafe(|| block_on(explode(1))));
    assert_eq!(
        panicked
            .unwrap_err()
            .downcast_ref::<String>()
            .map(String::as_str),
        Some("explode(1)")
    );
    assert_eq!(block_on(explode(0)), 0);

    support::assert_calls("double", 1, 0, 1);
    support::assert_calls("parse", 3, 0, 0);
    support::assert_calls("parse_boxed", 3, 0, 0);
    support::assert_calls("shown", 2, 0, 0);
    support::assert_calls("bracketed", 1, 0, 0);
    support::assert_calls("checked", 2, 0, 0);
    support::assert_calls("echo", 2, 0, 0);
    support::assert_calls("total", 1, 0, 0);
    support::assert_calls("longest", 2, 0, 0);
    support::assert_calls("label", 2, 0, 0);
    support::assert_calls("explode", 1, 1, 0);
    support::assert_calls("open", 4, 0, 0);
    support::assert_calls("deposit", 2, 0, 0);
    support::assert_calls("balance", 4, 0, 0);
    support::assert_calls("account_total", 1, 0, 0);
    support::assert_calls("greet", 1, 0, 0);
    support::assert_calls("greet_twice", 1, 0, 0);
    support::assert_calls("close", 1, 0, 0);
    assert_eq!(support::site_names().len(), 18);
}
