//! Inherent and trait-impl methods with every receiver, associated functions, and a trait's
//! default method.
#![deny(warnings)]

#[path = "../support.rs"]
mod support;

use timed_runtime::timed;

#[derive(Debug, Clone, PartialEq)]
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
    fn boxed_hits(self: Box<Self>) -> u32 {
        self.hits * 10
    }
}

trait Describe {
    fn describe(&self) -> String;

    /// A default body is timed where the trait is declared.
    #[timed]
    fn shout(&self) -> String {
        self.describe().to_uppercase()
    }
}

impl Describe for Counter {
    #[timed(name = "describe_counter")]
    fn describe(&self) -> String {
        format!("counter at {}", self.hits)
    }
}

trait Reset: Sized {
    fn reset(self) -> Self;
}

impl Reset for Counter {
    #[timed]
    fn reset(mut self) -> Self {
        self.hits = 0;
        self
    }
}

fn main() {
    let _recording = support::record("methods");

    let mut counter = Counter::new();
    counter.hit().hit().hit();
    assert_eq!(counter.hits(), 3);
    assert_eq!(counter.describe(), "counter at 3");
    assert_eq!(counter.shout(), "COUNTER AT 3");
    assert_eq!(Box::new(counter.clone()).boxed_hits(), 30);
    assert_eq!(counter.clone().reset(), Counter { hits: 0 });
    assert_eq!(counter.into_hits(), 3);

    support::assert_calls("new", 1, 0, 0);
    support::assert_calls("hit", 3, 0, 0);
    support::assert_calls("hits", 1, 0, 0);
    support::assert_calls("describe_counter", 2, 0, 0);
    support::assert_calls("shout", 1, 0, 0);
    support::assert_calls("boxed_hits", 1, 0, 0);
    support::assert_calls("reset", 1, 0, 0);
    support::assert_calls("into_hits", 1, 0, 0);
    assert_eq!(
        support::site_names(),
        [
            "boxed_hits",
            "describe_counter",
            "hit",
            "hits",
            "into_hits",
            "new",
            "reset",
            "shout"
        ]
    );
}
