//! `#[timed]`'s edition-dependent trybuild cases, compiled in edition 2021 (trybuild builds
//! them in the edition of the package that runs it): the one-line bodies must stay free of
//! warnings there too, and an unsafe operation outside an `unsafe {}` block in an `unsafe fn`,
//! which edition 2024 reports (see `timed-macros/tests/ui.rs`), gets no warning in 2021 with the
//! attribute either.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("../ui/one_line/*.rs");
    cases.pass("../ui/edition_dependent/*.rs");
}
