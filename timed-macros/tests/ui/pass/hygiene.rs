//! The expansion's names cannot meet the user's: locals, items and modules named like the
//! expansion's own (`SITE`, `timed_guard`, `inventory`, `core`, `Site`, `Guard`, ...) change
//! nothing, in sync and async functions.
#![deny(warnings)]

#[path = "../support.rs"]
mod support;

use ::timed_runtime::timed;

mod inventory {
    pub fn submit() -> u32 {
        1
    }
}

mod core {
    pub fn line() -> u32 {
        2
    }
}

mod timed_runtime {
    pub mod __private {
        pub struct Site;
    }
}

struct Site;
struct Guard;
struct TimedFuture;

static SITE: u32 = 3;

macro_rules! line {
    () => {
        0
    };
}

#[timed]
fn shadowing(timed_guard: u32, site: u32, declared_return: u32) -> u32 {
    let _unit_structs = (Site, Guard, TimedFuture, timed_runtime::__private::Site);
    let from_macro: u32 = line!();
    SITE + timed_guard + site + declared_return + inventory::submit() + core::line() + from_macro
}

#[timed]
fn items_named_like_the_expansion() -> u32 {
    static SITE: u32 = 40;
    fn timed_guard() -> u32 {
        2
    }
    SITE + timed_guard()
}

#[timed]
async fn async_shadowing(site: u32, declared_return: u32) -> Result<u32, String> {
    let timed_guard = site + declared_return;
    Ok(timed_guard + SITE)
}

fn main() {
    let _recording = support::record("hygiene");

    assert_eq!(shadowing(20, 30, 40), 96);
    assert_eq!(items_named_like_the_expansion(), 42);
    assert_eq!(support::block_on(async_shadowing(1, 2)), Ok(6));

    support::assert_calls("shadowing", 1, 0, 0);
    support::assert_calls("items_named_like_the_expansion", 1, 0, 0);
    support::assert_calls("async_shadowing", 1, 0, 0);
    assert_eq!(support::site_names().len(), 3);
    // The expansion's `line!()` is the built-in one, not the `line!` defined above.
    assert_eq!(support::site("shadowing").line(), 42);
}
