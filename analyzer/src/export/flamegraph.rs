//! The flame graph: the folded stacks drawn by `inferno` (the Rust port of `flamegraph.pl`).
//! The file `visualizations/flamegraph.svg` keeps inferno's script (click to zoom, search);
//! the report page inlines the same drawing without it (every frame keeps its tooltip).

use std::path::PathBuf;

use inferno::flamegraph::{self, Options};

use super::chart::Chart;
use super::folded::stacks;
use crate::error::Error;
use crate::report::Report;

pub const FLAMEGRAPH_SVG: &str = "flamegraph.svg";
pub const FLAMEGRAPH_TITLE: &str = "Flame graph: self time by call path";
const WIDTH: usize = 1000;

/// The flame graph, or `None` for a run without any time to draw.
pub fn chart(report: &Report) -> Result<Option<Chart>, Error> {
    let lines: Vec<String> = stacks(report)
        .into_iter()
        .map(|(stack, value)| format!("{stack} {value}"))
        .collect();
    if lines.is_empty() {
        return Ok(None);
    }
    let mut options = Options::default();
    options.title = FLAMEGRAPH_TITLE.to_string();
    options.subtitle = Some(subtitle(report));
    options.count_name = "ns".to_string();
    options.name_type = "Path:".to_string();
    // Colours from a hash of each name, so the same run draws the same picture.
    options.deterministic = true;
    options.image_width = Some(WIDTH);
    let mut svg = Vec::new();
    flamegraph::from_lines(&mut options, lines.iter().map(String::as_str), &mut svg).map_err(
        |error| Error::Chart {
            path: PathBuf::from(FLAMEGRAPH_SVG),
            message: error.to_string(),
        },
    )?;
    Ok(Some(Chart {
        file_name: FLAMEGRAPH_SVG,
        title: FLAMEGRAPH_TITLE,
        svg: String::from_utf8_lossy(&svg).into_owned(),
    }))
}

fn subtitle(report: &Report) -> String {
    let tree = &report.call_tree;
    if tree.sampled_fraction < 1.0 {
        format!(
            "paths from a sample of {:.1}% of the run's time blocks; each operation's exact self time shared out over its paths",
            tree.sampled_fraction * 100.0
        )
    } else {
        "every call; the widths add up to the run's self time".to_string()
    }
}
