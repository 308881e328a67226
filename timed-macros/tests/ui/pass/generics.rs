//! Generic functions: lifetimes, type and const parameters, `where` clauses, `impl Trait` in
//! both positions. Every instantiation shares the function's one site.
#![deny(warnings)]

#[path = "../support.rs"]
mod support;

use std::fmt::Display;

use timed_runtime::timed;

#[timed]
fn describe<T: Display>(value: T) -> String {
    format!("[{value}]")
}

#[timed]
fn longest<'a, 'b: 'a>(left: &'a str, right: &'b str) -> &'a str {
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
fn evens<'a>(values: &'a [u32]) -> impl Iterator<Item = u32> + 'a {
    values.iter().copied().filter(|value| value % 2 == 0)
}

struct Wrapper<T>(T);

impl<T: Clone + Default + PartialEq> Wrapper<T> {
    #[timed]
    fn or_default(&self, use_default: bool) -> T {
        if use_default {
            T::default()
        } else {
            self.0.clone()
        }
    }
}

fn main() {
    let _recording = support::record("generics");

    assert_eq!(describe(7_u8), "[7]");
    assert_eq!(describe("seven"), "[seven]");
    let owned = String::from("longer");
    assert_eq!(longest("short", &owned), "longer");
    assert_eq!(repeat::<3, char>('x'), ['x', 'x', 'x']);
    assert_eq!(repeat::<2, u8>(1), [1, 1]);
    assert_eq!(joined(["a", "b"]).to_string(), "a+b");
    assert_eq!(joined(vec![String::from("c")]).to_string(), "c");
    assert_eq!(evens(&[1, 2, 3, 4]).collect::<Vec<_>>(), [2, 4]);
    assert_eq!(Wrapper(5_i32).or_default(false), 5);
    assert_eq!(Wrapper(String::from("w")).or_default(true), "");

    support::assert_calls("describe", 2, 0, 0);
    support::assert_calls("longest", 1, 0, 0);
    support::assert_calls("repeat", 2, 0, 0);
    support::assert_calls("joined", 2, 0, 0);
    support::assert_calls("evens", 1, 0, 0);
    support::assert_calls("or_default", 2, 0, 0);
    // One site per function, however many instantiations.
    assert_eq!(
        support::site_names(),
        [
            "describe",
            "evens",
            "joined",
            "longest",
            "or_default",
            "repeat"
        ]
    );
}
