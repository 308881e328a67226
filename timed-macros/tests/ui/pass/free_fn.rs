//! Free functions with every default: tail values, early returns and `?` counted as calls,
//! and statements that keep their meaning.
#![deny(warnings)]

#[path = "../support.rs"]
mod support;

use timed_runtime::timed;

#[timed]
fn add(a: u32, b: u32) -> u32 {
    a + b
}

#[timed]
fn first_even(values: &[u32]) -> Option<u32> {
    for value in values {
        if value % 2 == 0 {
            return Some(*value);
        }
    }
    None
}

#[timed]
fn parse_sum(a: &str, b: &str) -> Result<i64, std::num::ParseIntError> {
    Ok(a.parse::<i64>()? + b.parse::<i64>()?)
}

/// Items after nothing, labels, shadowing, let-else and a tail built from locals.
#[timed]
fn statements(limit: u32) -> String {
    const STEP: u32 = 3;
    fn describe(n: u32) -> String {
        format!("<{n}>")
    }
    let mut found = Vec::new();
    'outer: for i in 0..limit {
        for j in 0..limit {
            if i * j > STEP * 4 {
                break 'outer;
            }
            if (i + j) % STEP == 0 {
                found.push(describe(i * 10 + j));
                continue 'outer;
            }
        }
    }
    let found = found.concat();
    let Some(first) = found.get(0..3) else {
        return String::from("none");
    };
    format!("{first}|{}", found.len())
}

#[timed]
fn unit_with_return(early: bool, out: &mut Vec<&'static str>) {
    if early {
        out.push("early");
        return;
    }
    out.push("late");
}

mod nested {
    #[timed_runtime::timed]
    pub fn inside() -> &'static str {
        "inside"
    }
}

fn main() {
    let _recording = support::record("free_fn");

    assert_eq!(add(2, 3), 5);
    assert_eq!(nested::inside(), "inside");
    assert_eq!(first_even(&[1, 3, 4, 6]), Some(4));
    assert_eq!(first_even(&[1, 3]), None);
    assert_eq!(parse_sum("40", "2"), Ok(42));
    assert_eq!(
        parse_sum("40", "x").unwrap_err().to_string(),
        "invalid digit found in string"
    );
    assert_eq!(statements(5), "<0>|19");
    assert_eq!(statements(0), "none");
    let mut out = Vec::new();
    unit_with_return(true, &mut out);
    unit_with_return(false, &mut out);
    assert_eq!(out, ["early", "late"]);

    support::assert_calls("add", 1, 0, 0);
    support::assert_calls("inside", 1, 0, 0);
    support::assert_calls("first_even", 2, 0, 0);
    support::assert_calls("parse_sum", 2, 0, 0);
    support::assert_calls("statements", 2, 0, 0);
    support::assert_calls("unit_with_return", 2, 0, 0);

    assert_eq!(
        support::site_names(),
        [
            "add",
            "first_even",
            "inside",
            "parse_sum",
            "statements",
            "unit_with_return"
        ]
    );
    let add = support::site("add");
    assert_eq!(add.phase(), "default");
    assert_eq!(add.component(), "timed-macros-tests");
    // trybuild names the binary, so the crate's own module path is the reference.
    assert_eq!(add.module_path(), module_path!());
    assert_eq!(
        support::site("inside").module_path(),
        concat!(module_path!(), "::nested")
    );
    assert_eq!(add.line(), 11);
    assert!(
        add.file().ends_with("tests/ui/pass/free_fn.rs"),
        "{}",
        add.file()
    );
    assert_eq!(support::site("statements").line(), 32);
}
