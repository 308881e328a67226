//! The comparison on the console, in the report's layout: what was changed (settings) before
//! what changed (the run's figures, then every operation with a verdict).

use std::fmt::Write as _;
use std::path::Path;

use crate::compare::{Comparison, OperationComparison, RunSide, Verdict};
use crate::runs::settings::display;
use crate::units::{format_ms, format_share};

const RULE: &str =
    "================================================================================";
/// Unchanged operations listed (every other verdict is always listed).
pub const UNCHANGED_SHOWN: usize = 15;

fn side(run: &RunSide) -> String {
    let latest = if run.latest && run.id != "latest" {
        " (latest)"
    } else {
        ""
    };
    format!("{}{latest} in {}", run.id, run.dir.display())
}

/// A figure with up to four significant decimals, without trailing zeros.
pub fn format_number(value: Option<f64>) -> String {
    match value {
        None => "-".to_string(),
        Some(value) if !value.is_finite() => "n/a".to_string(),
        Some(value) if value == value.trunc() && value.abs() < 1e15 => format!("{value:.0}"),
        Some(value) => {
            let text = format!("{value:.4}");
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        }
    }
}

pub fn format_ratio(ratio: Option<f64>) -> String {
    ratio.map_or("-".to_string(), |ratio| format!("{ratio:.3}"))
}

pub fn format_p(p: Option<f64>) -> String {
    match p {
        None => "-".to_string(),
        Some(p) if p < 0.001 => format!("{p:.1e}"),
        Some(p) => format!("{p:.3}"),
    }
}

pub fn format_interval(operation: &OperationComparison) -> String {
    match (operation.ci_low, operation.ci_high) {
        (Some(low), Some(high)) => format!("{low:.3}..{high:.3}"),
        _ => "-".to_string(),
    }
}

fn optional_ms(ms: Option<f64>) -> String {
    ms.map_or("-".to_string(), format_ms)
}

fn optional_share(share: Option<f64>) -> String {
    share.map_or("-".to_string(), format_share)
}

fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let kept: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{kept}~")
    }
}

/// The console text; `written` are the files written (shown under the header).
pub fn render(comparison: &Comparison, written: &[&Path]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{RULE}");
    let _ = writeln!(out, "RUN COMPARISON");
    let _ = writeln!(out, "{RULE}");
    let _ = writeln!(out, "Base: {}", side(&comparison.base));
    let _ = writeln!(out, "New:  {}", side(&comparison.new));
    if !written.is_empty() {
        let files: Vec<String> = written
            .iter()
            .map(|path| path.display().to_string())
            .collect();
        let _ = writeln!(out, "Written: {}", files.join(", "));
    }
    let _ = writeln!(out, "Compared at: {}", comparison.generated_at);
    let _ = writeln!(out);
    let _ = writeln!(out, "SETTINGS CHANGED:");
    if !comparison.base.has_manifest || !comparison.new.has_manifest {
        let _ = writeln!(
            out,
            "  unknown: a run without run.json has no recorded settings"
        );
    } else if comparison.settings_changed.is_empty() {
        let _ = writeln!(out, "  none: both runs have the same settings");
    }
    for change in &comparison.settings_changed {
        let _ = writeln!(
            out,
            "  {}: {} -> {}",
            change.key,
            display(change.base.as_ref()),
            display(change.new.as_ref())
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "RUN:");
    for figure in &comparison.run_figures {
        let ratio = figure
            .ratio
            .map(|ratio| format!("  x{ratio:.3}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<34} {} -> {}{ratio} ({})",
            figure.name,
            format_number(figure.base),
            format_number(figure.new),
            figure.source
        );
    }
    let _ = writeln!(out);
    let summary = &comparison.summary;
    let method = &comparison.method;
    let _ = writeln!(
        out,
        "OPERATIONS: {} regressed, {} improved, {} unchanged, {} added, {} removed",
        summary.regressed, summary.improved, summary.unchanged, summary.added, summary.removed
    );
    let _ = writeln!(
        out,
        "  (median NEW/BASE with its {:.0}% block-bootstrap interval; a change counts when the whole interval is beyond {} and the Mann-Whitney p-value, Benjamini-Hochberg corrected over {} operations, is below {})",
        method.confidence * 100.0,
        format_share(method.threshold),
        method.operations_tested,
        method.significance
    );
    let _ = writeln!(
        out,
        "  {:<10} {:<36} {:>15} {:>21} {:>7} {:>13} {:>8} {:>15}",
        "verdict",
        "operation",
        "calls base/new",
        "median base -> new",
        "ratio",
        "interval",
        "p",
        "share of run"
    );
    let mut unchanged = 0;
    for operation in &comparison.operations {
        if operation.verdict == Verdict::Unchanged {
            unchanged += 1;
            if unchanged > UNCHANGED_SHOWN {
                continue;
            }
        }
        let _ = writeln!(
            out,
            "  {:<10} {:<36} {:>15} {:>21} {:>7} {:>13} {:>8} {:>15}",
            operation.verdict.as_str(),
            cut(&operation.label(), 36),
            format!("{}/{}", operation.base_count, operation.new_count),
            format!(
                "{} -> {}",
                optional_ms(operation.base_median_ms),
                optional_ms(operation.new_median_ms)
            ),
            format_ratio(operation.median_ratio),
            format_interval(operation),
            format_p(operation.p_value),
            format!(
                "{} -> {}",
                optional_share(operation.base_share),
                optional_share(operation.new_share)
            ),
        );
    }
    if unchanged > UNCHANGED_SHOWN {
        let _ = writeln!(
            out,
            "  ... {} more unchanged operations in comparison.json",
            unchanged - UNCHANGED_SHOWN
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(format_number(Some(292.530865)), "292.5309");
        assert_eq!(format_number(Some(87808.0)), "87808");
        assert_eq!(format_number(Some(0.5)), "0.5");
        assert_eq!(format_number(None), "-");
        assert_eq!(format_p(Some(0.0000123)), "1.2e-5");
        assert_eq!(format_p(Some(0.25)), "0.250");
        assert_eq!(format_ratio(Some(1.3)), "1.300");
    }
}
