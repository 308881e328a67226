//! Compile-time behaviour of `#[timed]`: what must compile and run unchanged (`ui/pass`, and
//! `ui/one_line` for bodies written on one line, whose `main`s assert what was recorded), and
//! what must be rejected with which message (`ui/fail`). These cases build in the workspace's
//! edition, 2024; `tests/edition2021` builds `ui/one_line` and `ui/edition_dependent` in 2021.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.pass("tests/ui/one_line/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
    // Edition 2024 warns about an unsafe operation outside an `unsafe {}` block in an
    // `unsafe fn`, with or without the attribute.
    cases.compile_fail("tests/ui/edition_dependent/*.rs");
}
