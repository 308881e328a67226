//! `phase`, `name` and `component` as written reach the registry; raw identifiers and raw
//! strings are read as the names they spell.
#![deny(warnings)]

#[path = "../support.rs"]
mod support;

use timed_runtime::timed;

#[timed(phase = "training")]
fn update() -> u32 {
    1
}

#[timed(name = "rollout_step", phase = "rollout", component = "game")]
fn step() -> u32 {
    2
}

#[timed(component = r#"physics, "rigid""#)]
fn r#move() -> u32 {
    3
}

#[timed(name = "shared", phase = "a")]
fn first_shared() -> u32 {
    4
}

#[timed(name = "shared", phase = "b")]
fn second_shared() -> u32 {
    5
}

fn main() {
    let _recording = support::record("arguments");

    assert_eq!(
        update() + step() + r#move() + first_shared() + second_shared(),
        15
    );

    let update = support::site("update");
    assert_eq!(
        (update.phase(), update.component()),
        ("training", "timed-macros-tests")
    );
    let step = support::site("rollout_step");
    assert_eq!((step.phase(), step.component()), ("rollout", "game"));
    let moved = support::site("move");
    assert_eq!(
        (moved.phase(), moved.component()),
        ("default", "physics, \"rigid\"")
    );
    support::assert_calls("rollout_step", 1, 0, 0);
    support::assert_calls("move", 1, 0, 0);

    // Two functions may share a name: they stay two sites, told apart by line.
    let shared: Vec<(&str, u32)> = timed_runtime::sites()
        .iter()
        .filter(|site| site.name() == "shared")
        .map(|site| (site.phase(), site.line()))
        .collect();
    assert_eq!(shared, [("a", 26), ("b", 31)]);
    assert_eq!(
        support::site_names(),
        ["move", "rollout_step", "shared", "shared", "update"]
    );
}
