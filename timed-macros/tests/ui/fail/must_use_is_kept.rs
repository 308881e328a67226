// `#[must_use]` keeps its effect on a timed function.
#![deny(unused_must_use)]

use timed_runtime::timed;

#[must_use = "the sum is the point"]
#[timed]
fn sum(values: &[u64]) -> u64 {
    values.iter().sum()
}

fn main() {
    sum(&[1, 2]);
}
