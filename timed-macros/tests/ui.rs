//! Compile-time behaviour of `#[timed]`: what must compile and run unchanged (`ui/pass`, whose
//! `main`s assert what was recorded), and what must be rejected with which message (`ui/fail`).

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
