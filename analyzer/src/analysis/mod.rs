//! From the dataset to the report: statistics, waiting versus own work, bottlenecks, trends,
//! modes, cross-component coordination, thread imbalance and recommendations.

pub mod bottlenecks;
pub mod call_paths;
pub mod call_tree;
pub mod chart_data;
pub mod clusters;
pub mod components;
pub mod cross_component;
pub mod inputs;
pub mod intervals;
pub mod kmeans;
pub mod live;
pub mod recommendations;
pub mod threads;
pub mod timelines;
pub mod trends;
pub mod waiting;

use std::collections::BTreeMap;

use crate::error::Error;
use crate::ingest::dataset::Dataset;
use crate::ingest::numbers::format_timestamp_us;
use crate::options::Options;
use crate::report::{AnalyzerVersion, Report, StatisticsMethod};
use crate::stats::distribution::Method;
use crate::stats::histogram::RELATIVE_ERROR;

/// The current time, UTC, `...Z` (the reports' `timestamp`).
pub fn now_utc() -> String {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_micros() as i64);
    format_timestamp_us(micros)
}

/// Runs every analysis on what was read and builds the report. Fails only when a worker
/// thread fails.
pub fn analyze(dataset: Dataset, options: &Options) -> Result<Report, Error> {
    let inject_panic = options.inject_panic.as_ref();
    let stats = components::summarize_all(&dataset.table.keys, &dataset.table.ops, inject_panic)?;
    let thread_names: BTreeMap<u32, String> = dataset
        .processes
        .iter()
        .flat_map(|process| process.thread_names())
        .chain(
            dataset
                .summaries
                .iter()
                .flat_map(|summary| summary.threads.clone()),
        )
        .collect();
    let tree = call_tree::CallTree::new(&dataset.callgraph.calls);
    let total_ns: Vec<u128> = dataset.table.ops.iter().map(|op| op.total_ns).collect();
    let counts: Vec<u64> = dataset.table.ops.iter().map(|op| op.count).collect();
    let waiting = waiting::analyze(
        &tree,
        &dataset.callgraph,
        &dataset.table.keys,
        &total_ns,
        &thread_names,
    );
    let call_tree = call_paths::call_paths(&call_paths::PathInputs {
        tree: &tree,
        sampled_fraction: dataset.callgraph.fraction(),
        waiting_by_call: &waiting.by_call,
        keys: &dataset.table.keys,
        ops: &dataset.table.ops,
    });
    let components =
        components::build_components(&dataset, &stats, options.exact_sample_cap, &waiting.by_key);
    let run_basis_ms = components::run_basis_ms(&components);
    let component_names: Vec<String> = components
        .iter()
        .map(|component| component.name.clone())
        .collect();
    let bottlenecks = bottlenecks::find_bottlenecks(&components, &options.thresholds);
    let (trends, modes) = timelines::trends_and_modes(&dataset, &components, inject_panic)?;
    let thread_imbalances = threads::find_imbalances(&components);
    let any_ours = dataset.files.iter().any(|file| file.format.has_call_tree());
    let (cross_component, breakdown) = cross_component::analyze(
        &tree,
        &dataset.callgraph,
        &cross_component::Inputs {
            keys: &dataset.table.keys,
            counts: &counts,
            thread_names: &thread_names,
            waiting_by_call: &waiting.by_call,
            any_our_format: any_ours,
        },
    );
    let files = inputs::file_reports(&dataset);
    let summaries = inputs::summary_reports(&dataset, &component_names);
    let recommendations = recommendations::recommend(&recommendations::RuleInputs {
        components: &components,
        run_basis_ms,
        waiting: &waiting.operations,
        trends: &trends,
        modes: &modes,
        imbalances: &thread_imbalances,
        cross: &cross_component,
        breakdown: &breakdown,
        keys: &dataset.table.keys,
        files: &files,
        summaries: &summaries,
        thresholds: &options.thresholds,
    });
    let chart_data = chart_data::collect(&dataset, &components);
    let methods = || {
        components
            .iter()
            .flat_map(|component| &component.operations)
            .map(|operation| operation.stats.statistics)
    };
    let statistics_method = StatisticsMethod {
        exact_sample_cap: options.exact_sample_cap,
        operations_exact: methods().filter(|&m| m == Method::Exact).count(),
        operations_histogram: methods().filter(|&m| m == Method::Histogram).count(),
        histogram_relative_error: RELATIVE_ERROR,
        timeline_sample_cap: options.timeline_sample_cap,
    };
    let log_dir = dataset.dir.clone();
    drop(tree);
    // Freeing what was read (the exact samples alone are up to 8 MB per operation, unmapped
    // page by page) need not hold up writing the report: a thread of its own does it (or,
    // if no thread can be started, this one, as the closure is dropped).
    let _ = std::thread::Builder::new()
        .name("analyzer-free".to_string())
        .spawn(move || drop(dataset));
    let problems_total = files.iter().map(|file| file.problems_total).sum::<u64>()
        + summaries
            .iter()
            .map(|summary| summary.problems_total)
            .sum::<u64>();
    Ok(Report {
        generated_at: now_utc(),
        analyzer: AnalyzerVersion::CURRENT,
        log_dir,
        options: options.clone(),
        rows_read: files.iter().map(|file| file.rows).sum(),
        run_basis_ms,
        bottlenecks,
        recommendations,
        components,
        cross_component,
        call_tree,
        waiting: waiting.operations,
        trends,
        modes,
        thread_imbalances,
        problems_total,
        files,
        summaries,
        statistics_method,
        chart_data,
    })
}
