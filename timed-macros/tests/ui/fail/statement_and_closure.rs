// Attribute macros on statements and expressions are unstable: rustc refuses them, and
// #[timed] adds which kind of item it expected.
use timed_runtime::timed;

#[rustfmt::skip]
fn main() {
    #[timed]
    let total = 1 + 1;
    let closure = #[timed] || total;
    closure();
}
