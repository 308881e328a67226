//! Renderings of a report, each a function of the [`crate::report::Report`] alone: the
//! console summary, the JSON report, the SVG charts and the HTML page. A new rendering (a
//! comparison of two runs, a trace export) is a module beside these.

pub mod chart;
pub mod chrome;
pub mod compare_console;
pub mod compare_html;
pub mod compare_json;
pub mod console;
pub mod flamegraph;
pub mod folded;
pub mod html;
pub mod json;
pub mod output;
pub mod runs_console;
pub mod svg;
