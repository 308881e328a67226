//! `visualizations/report.html`: one self-contained page (inline SVG, inline CSS, no
//! scripts or external files) with the charts and the tables a person reads first. It is
//! written as polyglot markup (valid HTML5 and well-formed XML), so it can be checked with
//! an XML parser.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::chart::{Chart, write_chart};
use super::output::{create_dir, write_file};
use super::svg::charts;
use crate::error::Error;
use crate::report::{PathValue, Report};
use crate::units::{format_ms, format_ns, format_share};

/// The folder the charts and the page go to, under the output directory.
pub const VISUALIZATIONS_DIR: &str = "visualizations";
pub const REPORT_HTML: &str = "report.html";

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// The SVG document ready to inline: without its XML declaration and document type, and
/// without scripts (the page runs none; the flame graph's file keeps its own).
pub fn inline_svg(svg: &str) -> String {
    let mut rest = match svg.find("<svg") {
        Some(start) => &svg[start..],
        None => svg,
    };
    let mut out = String::with_capacity(rest.len());
    while let Some(start) = rest.find("<script") {
        out.push_str(&rest[..start]);
        rest = match rest[start..].find("</script>") {
            Some(end) => &rest[start + end + "</script>".len()..],
            None => "",
        };
    }
    out.push_str(rest);
    out.replace(" onload=\"init(evt)\"", "")
}

/// Call-tree paths shown at most; the folded stacks hold every one.
pub const CALL_TREE_ROWS: usize = 300;

fn call_tree_section(out: &mut String, report: &Report) {
    let tree = &report.call_tree;
    out.push_str("<h2>Call tree</h2>\n");
    if tree.paths.is_empty() {
        out.push_str("<p>No calls.</p>\n");
        return;
    }
    let sampled = if tree.sampled_fraction < 1.0 {
        format!(
            " Paths from a sample of {} of the run's time blocks; each operation's exact figures are shared out over its paths.",
            format_share(tree.sampled_fraction)
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "<p>Total, self and waiting time per call path (self time adds up to {} over the run).{}</p>",
        escape(&format_ns(tree.value_total_ns as f64)),
        escape(&sampled)
    );
    out.push_str("<table class=\"tree\"><thead><tr>");
    for header in ["path", "phase", "calls", "total", "self", "waiting"] {
        let _ = write!(out, "<th>{header}</th>");
    }
    out.push_str("</tr></thead><tbody>");
    for path in tree.paths.iter().take(CALL_TREE_ROWS) {
        let _ = write!(
            out,
            "<tr><td title=\"{}\" style=\"padding-left:{}em\">{}</td>",
            escape(&path.frames.join(";")),
            path.depth(),
            escape(path.frames.last().map_or("", String::as_str))
        );
        let cells = [
            path.phase.clone(),
            path.calls.to_string(),
            format_ms(path.total_ms),
            match path.value {
                PathValue::SelfTime => format_ms(path.self_ms),
                PathValue::TotalTime => "n/a".to_string(),
            },
            path.waiting_ms.map_or("n/a".to_string(), format_ms),
        ];
        for cell in cells {
            let _ = write!(out, "<td>{}</td>", escape(&cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n");
    if tree.paths.len() > CALL_TREE_ROWS {
        let _ = writeln!(
            out,
            "<p>{} more paths in the folded stacks (analyzer export --format folded).</p>",
            tree.paths.len() - CALL_TREE_ROWS
        );
    }
}

fn table(out: &mut String, headers: &[&str], rows: Vec<Vec<String>>) {
    out.push_str("<table><thead><tr>");
    for header in headers {
        let _ = write!(out, "<th>{}</th>", escape(header));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", escape(&cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n");
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222;max-width:1100px}\
table{border-collapse:collapse;margin:1em 0;font-size:13px}\
th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#eee}\
td:nth-child(n+3){font-variant-numeric:tabular-nums}.chart{margin:1.5em 0}\
.high{color:#b00}.medium{color:#a60}.low{color:#555}\
.tree td:first-child{white-space:nowrap}";

/// The page, with `charts` inlined.
pub fn render(report: &Report, charts: &[Chart]) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>Performance analysis</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
    );
    let _ = write!(
        out,
        "<h1>Performance analysis</h1>\n<p>Logs: {} &#8212; {} files, {} rows, {} input problems. Generated {}.</p>\n",
        escape(&report.log_dir.display().to_string()),
        report.files.len(),
        report.rows_read,
        report.problems_total,
        escape(&report.generated_at)
    );
    out.push_str("<h2>Top bottlenecks</h2>\n");
    table(
        &mut out,
        &[
            "#",
            "component",
            "operation",
            "severity",
            "avg",
            "share of run",
            "could save",
        ],
        report
            .bottlenecks
            .iter()
            .take(report.options.top)
            .enumerate()
            .map(|(rank, b)| {
                vec![
                    (rank + 1).to_string(),
                    b.component.clone(),
                    b.operation.clone(),
                    b.severity.as_str().to_string(),
                    format_ms(b.avg_duration_ms),
                    format_share(b.share),
                    format_ms(b.estimated_saving_ms),
                ]
            })
            .collect(),
    );
    out.push_str("<h2>Top recommendations</h2>\n<ol>\n");
    for recommendation in report.recommendations.iter().take(report.options.top) {
        let priority = recommendation.priority.as_str();
        let _ = writeln!(
            out,
            "<li><strong class=\"{priority}\">[{}]</strong> {}<br/><small>{}</small></li>",
            priority.to_uppercase(),
            escape(&recommendation.recommendation),
            escape(&recommendation.impact)
        );
    }
    out.push_str("</ol>\n");
    for chart in charts {
        let _ = write!(
            out,
            "<div class=\"chart\"><h2>{}</h2>\n{}\n</div>\n",
            escape(chart.title),
            inline_svg(&chart.svg)
        );
    }
    call_tree_section(&mut out, report);
    for component in &report.components {
        let _ = writeln!(out, "<h2>{}</h2>", escape(&component.name));
        let _ = writeln!(
            out,
            "<p>{} calls, total {}, self time {}.</p>",
            component.total_operations,
            escape(&format_ms(component.total_time_ms)),
            escape(&component.self_time_ms.map_or_else(
                || format!("unavailable ({})", component.self_time_note),
                format_ms
            ))
        );
        table(
            &mut out,
            &[
                "operation",
                "phase",
                "calls",
                "mean",
                "median",
                "p95",
                "p99",
                "total",
                "self",
                "waiting",
                "share of run",
                "share of component",
                "statistics",
            ],
            component
                .operations
                .iter()
                .map(|op| {
                    vec![
                        op.operation.clone(),
                        op.phase.clone(),
                        op.stats.count.to_string(),
                        format_ms(op.stats.mean_ms),
                        format_ms(op.stats.median_ms),
                        format_ms(op.stats.p95_ms),
                        format_ms(op.stats.p99_ms),
                        format_ms(op.stats.total_ms),
                        op.self_ms.map_or("n/a".to_string(), format_ms),
                        op.waiting_ms.map_or("n/a".to_string(), format_ms),
                        format_share(op.share),
                        format_share(op.component_share),
                        format!("{:?}", op.stats.statistics).to_lowercase(),
                    ]
                })
                .collect(),
        );
    }
    if !report.cross_component.links.is_empty() {
        out.push_str("<h2>Cross-component coordination</h2>\n");
        let _ = writeln!(out, "<p>{}</p>", escape(&report.cross_component.note));
        table(
            &mut out,
            &[
                "coordinator",
                "inside",
                "calls analysed",
                "inside share",
                "overhead",
                "waiting",
                "imbalance",
                "worker threads (busy)",
            ],
            report
                .cross_component
                .links
                .iter()
                .map(|link| {
                    vec![
                        format!("{}/{}", link.parent_component, link.parent_operation),
                        link.child_component.clone(),
                        format!("{} of {}", link.calls, link.operation_calls),
                        format_share(link.inside_fraction),
                        format_share(link.overhead_fraction),
                        format_share(link.waiting_fraction),
                        format_share(link.imbalance_fraction),
                        link.worker_threads
                            .iter()
                            .map(|thread| {
                                format!(
                                    "{} ({})",
                                    thread
                                        .name
                                        .clone()
                                        .unwrap_or_else(|| format!("thread {}", thread.thread)),
                                    format_ms(thread.busy_ms)
                                )
                            })
                            .collect::<Vec<_>>()
                            .join(", "),
                    ]
                })
                .collect(),
        );
    }
    let problem_rows: Vec<Vec<String>> = report
        .files
        .iter()
        .flat_map(|file| {
            file.first_problems.iter().map(move |problem| {
                vec![
                    file.path.display().to_string(),
                    problem.line.to_string(),
                    problem.message.clone(),
                ]
            })
        })
        .collect();
    out.push_str("<h2>Input problems</h2>\n");
    if problem_rows.is_empty() {
        out.push_str("<p>None.</p>\n");
    } else {
        table(&mut out, &["file", "line", "problem"], problem_rows);
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// Writes the SVG charts and `report.html` into `<out_dir>/visualizations/`; returns the
/// paths written.
pub fn write(report: &Report, out_dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let dir = out_dir.join(VISUALIZATIONS_DIR);
    create_dir(&dir)?;
    let charts = charts(report)?;
    let mut written = charts
        .iter()
        .map(|chart| write_chart(&dir, chart))
        .collect::<Result<Vec<_>, _>>()?;
    let page = dir.join(REPORT_HTML);
    write_file(&page, render(report, &charts))?;
    written.push(page);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;"
        );
        assert_eq!(inline_svg("<?xml version=\"1.0\"?>\n<svg x>"), "<svg x>");
        assert_eq!(
            inline_svg(
                "<!DOCTYPE svg><svg onload=\"init(evt)\" x><script a><![CDATA[f()]]></script><g/><script>x</script></svg>"
            ),
            "<svg x><g/></svg>"
        );
    }
}
