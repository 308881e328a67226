//! The console summary, the JSON report and the HTML page of two fixed logs, pinned as insta
//! snapshots (`tests/snapshots/`): one run in our format (two components, worker threads, a
//! slowing operation, a warm-up, a panicked call, a bad row, a summary), one in the original's
//! (with every fault it has in the wild). The generation time is fixed before rendering; the
//! log paths are relative to the crate, as `cargo test` runs the tests from there.
//!
//! After an intended change of the output: `INSTA_UPDATE=always cargo test -p analyzer --test
//! snapshots`, then read the diff of the `.snap` files before committing them.

use std::path::Path;

use analyzer::export::svg::{Chart, charts};
use analyzer::export::{console, html, json};
use analyzer::{Options, Report, analyze_dir};

const GENERATED_AT: &str = "2026-11-25T04:00:00.000000Z";
const REPORT_FILE: &str = "out/performance_analysis_report.json";

fn report(fixture: &str) -> Report {
    let dir = Path::new("tests/fixtures").join(fixture);
    let mut report = analyze_dir(&dir, &Options::default()).unwrap();
    report.generated_at = GENERATED_AT.to_string();
    report
}

/// The page with each chart's drawing replaced by a marker naming it: the drawings are
/// checked for well-formedness in report_outputs.rs, and the page around them is pinned here.
/// Returns the page with the real drawings too, and the page with the markers.
fn html_page(report: &Report) -> (String, String) {
    let drawn = charts(report).unwrap();
    let markers: Vec<Chart> = drawn
        .iter()
        .map(|chart| Chart {
            file_name: chart.file_name,
            title: chart.title,
            svg: format!("<svg id=\"{}\"/>", chart.file_name),
        })
        .collect();
    (html::render(report, &drawn), html::render(report, &markers))
}

fn assert_page_is_markers_plus_drawings(report: &Report, page: &str, with_markers: &str) {
    let mut expected = with_markers.to_string();
    for chart in charts(report).unwrap() {
        let marker = format!("<svg id=\"{}\"/>", chart.file_name);
        let drawing = html::inline_svg(&chart.svg);
        assert_eq!(expected.matches(&marker).count(), 1, "{marker}");
        expected = expected.replace(&marker, &drawing);
    }
    assert_eq!(page, expected);
}

#[test]
fn our_format_console() {
    insta::assert_snapshot!(console::render(
        &report("ours"),
        Some(Path::new(REPORT_FILE))
    ));
}

#[test]
fn our_format_json() {
    insta::assert_snapshot!(json::render(&report("ours"), Some(Path::new(REPORT_FILE))).unwrap());
}

#[test]
fn our_format_html() {
    let report = report("ours");
    let (page, with_markers) = html_page(&report);
    assert_page_is_markers_plus_drawings(&report, &page, &with_markers);
    insta::assert_snapshot!(with_markers);
}

#[test]
fn original_format_console() {
    insta::assert_snapshot!(console::render(&report("original"), None));
}

#[test]
fn original_format_json() {
    insta::assert_snapshot!(json::render(&report("original"), None).unwrap());
}

#[test]
fn original_format_html() {
    let report = report("original");
    let (page, with_markers) = html_page(&report);
    assert_page_is_markers_plus_drawings(&report, &page, &with_markers);
    insta::assert_snapshot!(with_markers);
}
