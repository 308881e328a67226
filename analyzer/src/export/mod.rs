//! Renderings of an analysis: console summary, JSON report, SVG charts and HTML page.

pub mod console;
pub mod html;
pub mod json;
pub mod svg;
