//! Methods whose body is written on one line: every receiver, associated functions, generic
//! impls, trait impls and a trait's default bodies. No warning the same code without the
//! attribute lacks, in edition 2024 (`tests/ui.rs`) and 2021 (`tests/edition2021`).
#![deny(warnings)]

#[path = "../support.rs"]
mod support;

use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use timed_runtime::timed;

#[derive(Debug, Clone, PartialEq)]
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
    fn reset(mut self) -> Self { self.hits = 0; self }

    #[timed]
    fn boxed(self: Box<Self>) -> u32 { self.hits * 10 }

    #[timed]
    fn counted(self: Rc<Self>) -> usize { Rc::strong_count(&self) }

    #[timed]
    fn shared(self: &Arc<Self>) -> u32 { self.hits + 100 }

    #[timed]
    fn pinned(self: Pin<&mut Self>) -> u32 { self.get_mut().hits * 1000 }

    #[timed]
    fn explicit(self: &Self) -> u32 { self.hits + 1 }
}

struct Wrapper<T>(T);

#[rustfmt::skip]
impl<T: Clone + Default> Wrapper<T> {
    #[timed]
    fn or_default(&self, use_default: bool) -> T { if use_default { T::default() } else { self.0.clone() } }

    #[timed]
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Wrapper<U> { Wrapper(f(self.0)) }
}

#[rustfmt::skip]
trait Describe {
    fn describe(&self) -> String;

    #[timed]
    fn shout(&self) -> String { self.describe().to_uppercase() }

    #[timed]
    fn length(&self) -> usize where Self: Sized { self.describe().len() }

    #[timed]
    fn kind() -> &'static str where Self: Sized { "describable" }
}

#[rustfmt::skip]
impl Describe for Counter {
    #[timed(name = "describe_counter")]
    fn describe(&self) -> String { format!("counter at {}", self.hits) }
}

fn main() {
    let _recording = support::record("one_line_methods");

    let mut counter = Counter::new();
    counter.hit().hit().hit();
    assert_eq!(counter.hits(), 3);
    assert_eq!(counter.explicit(), 4);
    assert_eq!(counter.describe(), "counter at 3");
    assert_eq!(counter.shout(), "COUNTER AT 3");
    assert_eq!(counter.length(), 12);
    assert_eq!(Counter::kind(), "describable");
    assert_eq!(Box::new(counter.clone()).boxed(), 30);
    assert_eq!(Rc::new(counter.clone()).counted(), 1);
    assert_eq!(Arc::new(counter.clone()).shared(), 103);
    let mut pinned = counter.clone();
    assert_eq!(Pin::new(&mut pinned).pinned(), 3000);
    assert_eq!(counter.clone().reset(), Counter { hits: 0 });
    assert_eq!(counter.into_hits(), 3);
    assert_eq!(Wrapper(5_i32).or_default(false), 5);
    assert_eq!(Wrapper(String::from("w")).or_default(true), "");
    assert_eq!(Wrapper(2_u8).map(|v| u32::from(v) * 4).0, 8);

    for (name, calls) in [
        ("new", 1),
        ("hit", 3),
        ("hits", 1),
        ("explicit", 1),
        ("describe_counter", 3),
        ("shout", 1),
        ("length", 1),
        ("kind", 1),
        ("boxed", 1),
        ("counted", 1),
        ("shared", 1),
        ("pinned", 1),
        ("reset", 1),
        ("into_hits", 1),
        ("or_default", 2),
        ("map", 1),
    ] {
        support::assert_calls(name, calls, 0, 0);
    }
    assert_eq!(support::site_names().len(), 16);
}
