// A timed function nothing calls is dead code, as it is without the attribute: the expansion
// uses its site, not the function. Both get the same warning, whatever the body's layout.
#![deny(dead_code)]

use timed_runtime::timed;

#[rustfmt::skip]
fn untimed_unused() -> u32 { 1 }

#[rustfmt::skip]
#[timed]
fn timed_unused() -> u32 { 2 }

async fn untimed_unused_async() -> u32 {
    3
}

#[timed]
async fn timed_unused_async() -> u32 {
    4
}

fn main() {}
