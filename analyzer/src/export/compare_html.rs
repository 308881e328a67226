//! `comparison.html`: one self-contained page (inline SVG and CSS, no scripts, nothing
//! fetched) with the settings changed, the run's figures, every operation's verdict, and the
//! duration distributions of the regressed and improved operations, base and new overlaid.
//! Polyglot markup (HTML5 and well-formed XML), like `report.html`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use plotters::prelude::*;

use super::compare_console::{format_interval, format_number, format_p, format_ratio};
use super::html::{escape, inline_svg};
use super::output::{create_dir, write_file};
use crate::compare::{Comparison, OperationComparison, RunSide, Verdict};
use crate::error::Error;
use crate::runs::settings::display;
use crate::units::{format_ms, format_share};

pub const COMPARISON_HTML: &str = "comparison.html";
/// Operations whose distributions are drawn at most.
pub const CHARTS_SHOWN: usize = 12;
const BINS: usize = 30;
const SIZE: (u32, u32) = (900, 300);
const BASE_COLOR: RGBColor = RGBColor(31, 119, 180);
const NEW_COLOR: RGBColor = RGBColor(214, 39, 40);

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222;max-width:1200px}\
table{border-collapse:collapse;margin:1em 0;font-size:13px}\
th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#eee}\
td{font-variant-numeric:tabular-nums}.chart{margin:1em 0}\
.regressed{color:#b00;font-weight:bold}.improved{color:#070;font-weight:bold}\
.added,.removed{color:#a60}";

/// The share of each sample's calls in each of `BINS` logarithmic bins over both samples:
/// (bin centre in ms, base share, new share).
pub fn overlaid_bins(base: &[f64], new: &[f64]) -> Vec<(f64, f64, f64)> {
    let positive = |values: &[f64]| -> Vec<f64> { values.iter().map(|&v| v.max(1e-6)).collect() };
    let (base, new) = (positive(base), positive(new));
    let all = base.iter().chain(&new);
    let low = all.clone().copied().fold(f64::INFINITY, f64::min);
    let high = all.copied().fold(0.0f64, f64::max);
    if !low.is_finite() {
        return Vec::new();
    }
    let (low, high) = if high > low {
        (low, high)
    } else {
        (low / 1.1, low * 1.1)
    };
    let span = (high / low).ln();
    let bin_of = |value: f64| (((value / low).ln() / span * BINS as f64) as usize).min(BINS - 1);
    let shares = |values: &[f64]| {
        let mut counts = vec![0.0; BINS];
        values
            .iter()
            .for_each(|&value| counts[bin_of(value)] += 1.0);
        let total = values.len().max(1) as f64;
        counts.into_iter().map(move |count| count / total)
    };
    (0..BINS)
        .map(|bin| low * (span * (bin as f64 + 0.5) / BINS as f64).exp())
        .zip(shares(&base).zip(shares(&new)))
        .map(|(centre, (base, new))| (centre, base, new))
        .collect()
}

fn chart_error<E: std::fmt::Debug>(operation: &OperationComparison) -> impl Fn(E) -> Error + '_ {
    move |error| Error::Chart {
        path: PathBuf::from(format!("{COMPARISON_HTML} ({})", operation.label())),
        message: format!("{error:?}"),
    }
}

/// The overlaid distributions of one operation, as SVG.
pub fn overlay(operation: &OperationComparison) -> Result<String, Error> {
    let bins = overlaid_bins(&operation.base_durations_ms, &operation.new_durations_ms);
    let fail = chart_error(operation);
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        area.fill(&WHITE).map_err(&fail)?;
        let caption = format!(
            "{} ({}): {}, median x{} [{}]",
            operation.label(),
            operation.phase,
            operation.verdict.as_str(),
            format_ratio(operation.median_ratio),
            format_interval(operation)
        );
        // The axis is log10 of the duration, drawn linear: labelled at any span, even one
        // within a decade, where a log axis finds no round values to label.
        let low = bins.first().map_or(-3.0, |bin| bin.0.log10());
        let high = bins.last().map_or(0.0, |bin| bin.0.log10()).max(low + 0.01);
        let margin = (high - low) * 0.08;
        let top = bins
            .iter()
            .map(|&(_, base, new)| base.max(new))
            .fold(0.0, f64::max)
            .max(1e-3);
        let mut chart = ChartBuilder::on(&area)
            .caption(caption, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(55)
            .build_cartesian_2d(low - margin..high + margin, 0.0..top * 1.1)
            .map_err(&fail)?;
        chart
            .configure_mesh()
            .x_desc("duration (log scale)")
            .y_desc("share of sampled calls")
            .x_labels(8)
            .x_label_formatter(&|log_ms| format_ms(10f64.powf(*log_ms)))
            .draw()
            .map_err(&fail)?;
        for (label, color, median, pick) in [
            (
                "base",
                BASE_COLOR,
                operation.base_median_ms,
                (|bin: &(f64, f64, f64)| bin.1) as fn(&(f64, f64, f64)) -> f64,
            ),
            ("new", NEW_COLOR, operation.new_median_ms, |bin| bin.2),
        ] {
            chart
                .draw_series(LineSeries::new(
                    bins.iter().map(|bin| (bin.0.log10(), pick(bin))),
                    color.stroke_width(2),
                ))
                .map_err(&fail)?
                .label(format!(
                    "{label}: median {}",
                    median.map_or("-".to_string(), format_ms)
                ))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(&fail)?;
        area.present().map_err(&fail)?;
    }
    Ok(svg)
}

fn table(out: &mut String, headers: &[&str], rows: Vec<(Option<&str>, Vec<String>)>) {
    out.push_str("<table><thead><tr>");
    for header in headers {
        let _ = write!(out, "<th>{}</th>", escape(header));
    }
    out.push_str("</tr></thead><tbody>");
    for (class, cells) in rows {
        match class {
            Some(class) => {
                let _ = write!(out, "<tr class=\"{class}\">");
            }
            None => out.push_str("<tr>"),
        }
        for cell in cells {
            let _ = write!(out, "<td>{}</td>", escape(&cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n");
}

fn side(run: &RunSide) -> String {
    let mut text = format!("{} in {}", run.id, run.dir.display());
    if let Some(started) = &run.started_at {
        text.push_str(&format!(", started {started}"));
    }
    text
}

/// The page, with the distribution charts `charts` (label, SVG) inlined.
pub fn render(comparison: &Comparison, charts: &[(String, String)]) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>Run comparison</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>Run comparison</h1>\n"
    );
    let _ = writeln!(
        out,
        "<p>Base: {}<br/>New: {}<br/>Compared {}.</p>",
        escape(&side(&comparison.base)),
        escape(&side(&comparison.new)),
        escape(&comparison.generated_at)
    );
    out.push_str("<h2>Settings changed</h2>\n");
    if !comparison.base.has_manifest || !comparison.new.has_manifest {
        out.push_str("<p>Unknown: a run without run.json has no recorded settings.</p>\n");
    } else if comparison.settings_changed.is_empty() {
        out.push_str("<p>None: both runs have the same settings.</p>\n");
    }
    if !comparison.settings_changed.is_empty() {
        table(
            &mut out,
            &["setting", "base", "new"],
            comparison
                .settings_changed
                .iter()
                .map(|change| {
                    (
                        None,
                        vec![
                            change.key.clone(),
                            display(change.base.as_ref()),
                            display(change.new.as_ref()),
                        ],
                    )
                })
                .collect(),
        );
    }
    out.push_str("<h2>Run</h2>\n");
    table(
        &mut out,
        &["figure", "base", "new", "new/base", "from"],
        comparison
            .run_figures
            .iter()
            .map(|figure| {
                (
                    None,
                    vec![
                        figure.name.clone(),
                        format_number(figure.base),
                        format_number(figure.new),
                        format_ratio(figure.ratio),
                        figure.source.to_string(),
                    ],
                )
            })
            .collect(),
    );
    let summary = &comparison.summary;
    let method = &comparison.method;
    let _ = writeln!(
        out,
        "<h2>Operations</h2>\n<p>{} regressed, {} improved, {} unchanged, {} added, {} removed. A change counts when the whole {:.0}% interval of the median ratio lies beyond {} and the Mann-Whitney p-value, Benjamini-Hochberg corrected over {} operations, is below {}.</p>",
        summary.regressed,
        summary.improved,
        summary.unchanged,
        summary.added,
        summary.removed,
        method.confidence * 100.0,
        escape(&format_share(method.threshold)),
        method.operations_tested,
        method.significance
    );
    let share = |share: Option<f64>| share.map_or("-".to_string(), format_share);
    table(
        &mut out,
        &[
            "verdict",
            "component",
            "operation",
            "phase",
            "calls base",
            "calls new",
            "median base",
            "median new",
            "ratio",
            "95% interval",
            "p (corrected)",
            "p95 base",
            "p95 new",
            "share base",
            "share new",
        ],
        comparison
            .operations
            .iter()
            .map(|op| {
                (
                    Some(op.verdict.as_str()),
                    vec![
                        op.verdict.as_str().to_string(),
                        op.component.clone(),
                        op.operation.clone(),
                        op.phase.clone(),
                        op.base_count.to_string(),
                        op.new_count.to_string(),
                        op.base_median_ms.map_or("-".to_string(), format_ms),
                        op.new_median_ms.map_or("-".to_string(), format_ms),
                        format_ratio(op.median_ratio),
                        format_interval(op),
                        format_p(op.p_value),
                        op.base_p95_ms.map_or("-".to_string(), format_ms),
                        op.new_p95_ms.map_or("-".to_string(), format_ms),
                        share(op.base_share),
                        share(op.new_share),
                    ],
                )
            })
            .collect(),
    );
    out.push_str("<h2>Distributions of the regressed and improved operations</h2>\n");
    if charts.is_empty() {
        out.push_str("<p>None regressed or improved.</p>\n");
    }
    for (label, svg) in charts {
        let _ = writeln!(
            out,
            "<div class=\"chart\" title=\"{}\">\n{}\n</div>",
            escape(label),
            inline_svg(svg)
        );
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// The regressed and improved operations' charts (at most [`CHARTS_SHOWN`]), in the order of
/// the comparison.
pub fn charts(comparison: &Comparison) -> Result<Vec<(String, String)>, Error> {
    comparison
        .operations
        .iter()
        .filter(|op| matches!(op.verdict, Verdict::Regressed | Verdict::Improved))
        .take(CHARTS_SHOWN)
        .map(|op| Ok((op.label(), overlay(op)?)))
        .collect()
}

/// Writes `comparison.html` into `out_dir` (created if needed) and returns its path.
pub fn write(comparison: &Comparison, out_dir: &Path) -> Result<PathBuf, Error> {
    create_dir(out_dir)?;
    let path = out_dir.join(COMPARISON_HTML);
    write_file(&path, render(comparison, &charts(comparison)?))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_both_samples_and_sum_to_one_each() {
        let bins = overlaid_bins(&[1.0, 1.0, 2.0], &[4.0]);
        assert_eq!(bins.len(), BINS);
        let base: f64 = bins.iter().map(|bin| bin.1).sum();
        let new: f64 = bins.iter().map(|bin| bin.2).sum();
        assert!((base - 1.0).abs() < 1e-12 && (new - 1.0).abs() < 1e-12);
        assert_eq!(bins[0].1, 2.0 / 3.0);
        assert_eq!(bins[BINS - 1].2, 1.0);
        assert!(bins[0].0 > 1.0 && bins[BINS - 1].0 < 4.0);
        assert!(overlaid_bins(&[], &[]).is_empty());
        assert_eq!(overlaid_bins(&[3.0], &[3.0]).len(), BINS);
    }
}
