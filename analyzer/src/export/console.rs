//! The console summary in the original's layout (PERFORMANCE ANALYSIS SUMMARY, TOP
//! BOTTLENECKS, TOP RECOMMENDATIONS, then each component's metrics), followed by the
//! figures the original did not have. Units are chosen per value.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use crate::report::{ComponentReport, ModeLabel, Report, ShareBasis, ThreadBusy};
use crate::units::{format_ms, format_share};

const RULE: &str =
    "================================================================================";
/// Operations listed per component.
const OPERATIONS_SHOWN: usize = 10;

/// `ppo_trainer` -> `PPO Trainer` (the original's display names).
pub fn display_name(component: &str) -> String {
    const ACRONYMS: [&str; 8] = ["ppo", "cpu", "gpu", "io", "ui", "api", "rl", "json"];
    component
        .split(['_', '-', ' '])
        .filter(|word| !word.is_empty())
        .map(|word| {
            if ACRONYMS.contains(&word.to_ascii_lowercase().as_str()) {
                word.to_ascii_uppercase()
            } else {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|first| first.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            }
        })
        .collect::<Vec<String>>()
        .join(" ")
}

fn thread_name(thread: &ThreadBusy) -> String {
    thread
        .name
        .clone()
        .unwrap_or_else(|| format!("thread {}", thread.thread))
}

fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let kept: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{kept}~")
    }
}

fn component_section(out: &mut String, component: &ComponentReport) {
    let _ = writeln!(
        out,
        "{} METRICS:",
        display_name(&component.name).to_uppercase()
    );
    let _ = writeln!(out, "  Total operations: {}", component.total_operations);
    let _ = writeln!(
        out,
        "  Average duration: {}",
        format_ms(component.avg_operation_duration_ms)
    );
    let _ = writeln!(out, "  Total time: {}", format_ms(component.total_time_ms));
    if let Some(self_ms) = component.self_time_ms {
        let _ = writeln!(
            out,
            "  Self time: {} ({})",
            format_ms(self_ms),
            component.self_time_note
        );
        if let Some(waiting) = component.waiting_ms.filter(|&waiting| waiting > 0.0) {
            let _ = writeln!(
                out,
                "  Own work: {} (self time minus {} of waiting for other threads)",
                format_ms(component.basis_ms),
                format_ms(waiting)
            );
        }
    } else {
        let _ = writeln!(
            out,
            "  Self time: unavailable ({})",
            component.self_time_note
        );
    }
    if let (Some(slowest), Some(duration)) =
        (&component.slowest_operation, component.slowest_duration_ms)
    {
        let _ = writeln!(
            out,
            "  Slowest operation: {slowest} ({} avg)",
            format_ms(duration)
        );
    }
    if let Some(started) = &component.run_started_at {
        let _ = writeln!(
            out,
            "  Run: {:.2}s of calls, from {started}",
            component.span_s
        );
    }
    let basis = match component.share_basis {
        ShareBasis::OwnWork => "share of the run's own work",
        ShareBasis::TotalTime => "share of the run's own work; this component's by total time",
    };
    let _ = writeln!(
        out,
        "  {:<28} {:<12} {:>9} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>6} {:>6}",
        "operation",
        "phase",
        "calls",
        "mean",
        "median",
        "p95",
        "p99",
        "total",
        "self",
        "wait",
        "run",
        "comp"
    );
    for operation in component.operations.iter().take(OPERATIONS_SHOWN) {
        let _ = writeln!(
            out,
            "  {:<28} {:<12} {:>9} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>6} {:>6}",
            cut(&operation.operation, 28),
            cut(&operation.phase, 12),
            operation.stats.count,
            format_ms(operation.stats.mean_ms),
            format_ms(operation.stats.median_ms),
            format_ms(operation.stats.p95_ms),
            format_ms(operation.stats.p99_ms),
            format_ms(operation.stats.total_ms),
            operation.self_ms.map_or("n/a".to_string(), format_ms),
            operation.waiting_ms.map_or("n/a".to_string(), format_ms),
            format_share(operation.share),
            format_share(operation.component_share),
        );
    }
    if component.operations.len() > OPERATIONS_SHOWN {
        let _ = writeln!(
            out,
            "  ... {} more operations in the JSON report",
            component.operations.len() - OPERATIONS_SHOWN
        );
    }
    let phases: Vec<String> = component
        .phases
        .iter()
        .map(|phase| {
            format!(
                "{} {} ({} calls, {} avg)",
                phase.phase,
                format_share(phase.share),
                phase.stats.count,
                format_ms(phase.stats.mean_ms)
            )
        })
        .collect();
    if !phases.is_empty() {
        let _ = writeln!(out, "  Phases ({basis}): {}", phases.join("; "));
    }
    let _ = writeln!(out);
}

/// The console summary; `report_path` is shown on the "Report generated" line.
pub fn render(report: &Report, report_path: Option<&Path>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{RULE}");
    let _ = writeln!(out, "PERFORMANCE ANALYSIS SUMMARY");
    let _ = writeln!(out, "{RULE}");
    match report_path {
        Some(path) => {
            let _ = writeln!(out, "Report generated: {}", path.display());
        }
        None => {
            let _ = writeln!(out, "Report generated: (not written)");
        }
    }
    let _ = writeln!(out, "Analysis timestamp: {}", report.generated_at);
    let _ = writeln!(
        out,
        "Logs: {} ({} files, {} rows, {} input problems)",
        report.log_dir.display(),
        report.files.len(),
        report.rows_read,
        report.problems_total
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Shares are of the run's own work: {} of self time minus waiting, all components.",
        format_ms(report.run_basis_ms)
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "TOP BOTTLENECKS:");
    if report.bottlenecks.is_empty() {
        let _ = writeln!(out, "  none: no operation crosses a severity threshold");
    }
    for (rank, bottleneck) in report
        .bottlenecks
        .iter()
        .take(report.options.top)
        .enumerate()
    {
        let _ = writeln!(
            out,
            "{}. {}: {} takes {} on average ({} severity); {} of the run's own work ({} of the component's), a fix could save ~{}",
            rank + 1,
            display_name(&bottleneck.component),
            bottleneck.operation,
            format_ms(bottleneck.avg_duration_ms),
            bottleneck.severity.as_str(),
            format_share(bottleneck.share),
            format_share(bottleneck.component_share),
            format_ms(bottleneck.estimated_saving_ms)
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "TOP RECOMMENDATIONS:");
    if report.recommendations.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for (rank, recommendation) in report
        .recommendations
        .iter()
        .take(report.options.top)
        .enumerate()
    {
        let _ = writeln!(
            out,
            "{}. [{}] {}",
            rank + 1,
            recommendation.priority.as_str().to_uppercase(),
            recommendation.recommendation
        );
        let _ = writeln!(out, "   Impact: {}", recommendation.impact);
    }
    let _ = writeln!(out);
    for component in &report.components {
        component_section(&mut out, component);
    }
    extra_sections(&mut out, report);
    out
}

fn extra_sections(out: &mut String, report: &Report) {
    let cross = &report.cross_component;
    let _ = writeln!(out, "CROSS-COMPONENT:");
    if cross.links.is_empty() {
        let _ = writeln!(out, "  {}", cross.note);
    }
    if !cross.links.is_empty() {
        let _ = writeln!(out, "  ({})", cross.note);
    }
    for link in cross.links.iter().take(report.options.top) {
        if link.analysed_ms <= 0.0 {
            let _ = writeln!(
                out,
                "  {}/{} -> {}: {} of {} calls reach {}, but none of their time fell in the \
                     sampled blocks: no estimate",
                link.parent_component,
                link.parent_operation,
                link.child_component,
                link.calls,
                link.operation_calls,
                link.child_component,
            );
            continue;
        }
        let workers = if link.worker_threads.is_empty() {
            ", no worker threads".to_string()
        } else {
            let busy: Vec<String> = link
                .worker_threads
                .iter()
                .map(|thread| format!("{} busy {}", thread_name(thread), format_ms(thread.busy_ms)))
                .collect();
            format!(
                " over {} worker threads ({})",
                link.worker_threads.len(),
                busy.join(", ")
            )
        };
        let analysed = if cross.sampled_fraction < 1.0 {
            format!(
                " in the sample, {} of their {} analysed",
                format_ms(link.analysed_ms),
                format_ms(link.parent_total_ms)
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {}/{} -> {}{workers}: {} inside, {} overhead, {} waiting, {} imbalance; {} of {} calls reach {}{analysed}",
            link.parent_component,
            link.parent_operation,
            link.child_component,
            format_share(link.inside_fraction),
            format_share(link.overhead_fraction),
            format_share(link.waiting_fraction),
            format_share(link.imbalance_fraction),
            link.calls,
            link.operation_calls,
            link.child_component,
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "WAITING FOR OTHER THREADS:");
    if report.waiting.is_empty() {
        let _ = writeln!(out, "  no operation has children on other threads");
    }
    for waiting in report.waiting.iter().take(report.options.top) {
        if waiting.analysed_fraction <= 0.0 {
            let _ = writeln!(
                out,
                "  {}/{}: has children on other threads, but none of its time fell in the \
                     sampled blocks: no estimate",
                waiting.component, waiting.operation,
            );
            continue;
        }
        let self_ms = report
            .components
            .iter()
            .flat_map(|component| component.operations.iter())
            .find(|op| op.is(&waiting.component, &waiting.operation, &waiting.phase))
            .and_then(|op| op.self_ms);
        let of_self = self_ms
            .filter(|&self_ms| self_ms > 0.0)
            .map(|self_ms| {
                format!(
                    " ({} of its self time)",
                    format_share(waiting.waiting_ms / self_ms)
                )
            })
            .unwrap_or_default();
        let threads: Vec<String> = waiting.worker_threads.iter().map(thread_name).collect();
        let _ = writeln!(
            out,
            "  {}/{}: waits {}{of_self} for {}; imbalance {} ({} calls)",
            waiting.component,
            waiting.operation,
            format_ms(waiting.waiting_ms),
            threads.join(", "),
            format_ms(waiting.imbalance_ms),
            waiting.calls
        );
    }
    let slowing: Vec<_> = report.trends.iter().filter(|trend| trend.slowing).collect();
    let _ = writeln!(out);
    let _ = writeln!(out, "TRENDS:");
    if slowing.is_empty() {
        let _ = writeln!(out, "  no operation slows down over the run");
    }
    for trend in slowing.iter().take(report.options.top) {
        let _ = writeln!(
            out,
            "  {}/{}: {} -> {} over {:.1}s ({}); at twice the run's length ~{}",
            trend.component,
            trend.operation,
            format_ms(trend.fitted_start_ms),
            format_ms(trend.fitted_end_ms),
            trend.span_s,
            format_share(trend.change_over_run),
            format_ms(trend.projected_at_twice_run_ms)
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "OUTLIERS AND MODES:");
    let notable: Vec<_> = report
        .modes
        .iter()
        .flat_map(|modes| modes.modes.iter().map(move |mode| (modes, mode)))
        .filter(|(_, mode)| mode.label != ModeLabel::Main)
        .collect();
    if notable.is_empty() {
        let _ = writeln!(out, "  every operation has a single mode");
    }
    for (modes, mode) in notable.iter().take(report.options.top) {
        let period = mode
            .period_s
            .map(|period| format!(", every ~{period:.1}s"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {}/{}: {:?} ~{} ({} of {} sampled calls, {:.1}s to {:.1}s{period})",
            modes.component,
            modes.operation,
            mode.label,
            format_ms(mode.typical_ms),
            mode.calls_in_sample,
            modes.samples,
            mode.first_at_s,
            mode.last_at_s
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "INPUT PROBLEMS:");
    if report.problems_total == 0 {
        let _ = writeln!(out, "  none");
    }
    for file in report.files.iter().filter(|file| file.problems_total > 0) {
        let kinds: Vec<String> = file
            .problem_counts
            .iter()
            .map(|(kind, count)| format!("{count} {kind}"))
            .collect();
        let _ = writeln!(
            out,
            "  {}: {} ({})",
            file.path.display(),
            file.problems_total,
            kinds.join(", ")
        );
        for problem in &file.first_problems {
            let _ = writeln!(out, "    line {}: {}", problem.line, problem.message);
        }
    }
    for summary in report
        .summaries
        .iter()
        .filter(|summary| summary.problems_total > 0)
    {
        let _ = writeln!(
            out,
            "  {}: {} unrecognised entries",
            summary.path.display(),
            summary.problems_total
        );
        for problem in &summary.first_problems {
            let _ = writeln!(out, "    {}", problem.message);
        }
    }
}

/// Writes the console summary to `out`.
pub fn write(report: &Report, report_path: Option<&Path>, out: &mut impl Write) -> io::Result<()> {
    out.write_all(render(report, report_path).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_match_the_original() {
        assert_eq!(display_name("ppo_trainer"), "PPO Trainer");
        assert_eq!(display_name("training_manager"), "Training Manager");
        assert_eq!(display_name("ppo_training"), "PPO Training");
        assert_eq!(display_name("gpu-io"), "GPU IO");
        assert_eq!(cut("abcdef", 4), "abc~");
        assert_eq!(cut("abc", 4), "abc");
    }
}
