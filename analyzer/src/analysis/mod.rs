//! From the dataset to the analysis: statistics, waiting versus own work, bottlenecks, trends,
//! modes, cross-component coordination, thread imbalance and recommendations.

pub mod bottlenecks;
pub mod call_tree;
pub mod chart_data;
pub mod clusters;
pub mod components;
pub mod cross_component;
pub mod inputs;
pub mod intervals;
pub mod model;
pub mod recommendations;
pub mod threads;
pub mod trends;
pub mod waiting;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use rayon::prelude::*;

use crate::error::Error;
use crate::ingest::dataset::Dataset;
use crate::ingest::detect::LogFormat;
use crate::ingest::numbers::format_timestamp_us;
use crate::options::{INJECTED_PANIC, InjectedPanic, Options};
use crate::workers::catch_panic;
use model::{
    Bottleneck, ChartData, ComponentReport, CrossComponentReport, FileReport, OperationModes,
    OperationWaiting, Recommendation, SummaryReport, ThreadImbalance, Trend,
};

/// The original's durations have two decimals of a millisecond.
const LEGACY_RESOLUTION_NS: u64 = 10_000;

/// Everything the analysis found; the exporters render it.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// When the analysis ran (UTC).
    pub generated_at: String,
    pub log_dir: PathBuf,
    pub options: Options,
    pub components: Vec<ComponentReport>,
    /// The run's own work (self time minus waiting, all components): the basis of shares.
    pub run_basis_ms: f64,
    /// Operations whose children run on other threads: how long their thread waits.
    pub waiting: Vec<OperationWaiting>,
    pub bottlenecks: Vec<Bottleneck>,
    pub recommendations: Vec<Recommendation>,
    pub cross_component: CrossComponentReport,
    pub trends: Vec<Trend>,
    pub modes: Vec<OperationModes>,
    pub thread_imbalances: Vec<ThreadImbalance>,
    pub files: Vec<FileReport>,
    pub summaries: Vec<SummaryReport>,
    pub chart_data: ChartData,
}

impl Analysis {
    /// Rows read from all logs, and input problems found in logs and summaries.
    pub fn rows_and_problems(&self) -> (u64, u64) {
        let rows = self.files.iter().map(|file| file.rows).sum();
        let problems = self
            .files
            .iter()
            .map(|file| file.problems_total)
            .sum::<u64>()
            + self
                .summaries
                .iter()
                .map(|summary| summary.problems_total)
                .sum::<u64>();
        (rows, problems)
    }
}

fn now_utc() -> String {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_micros() as i64);
    format_timestamp_us(micros)
}

/// An operation's trend and modes, where it has them.
type Fitted = (Option<Trend>, Option<OperationModes>);

/// Fits trends and finds modes for every operation, in parallel. A panic fails the analysis,
/// naming the operation.
fn trends_and_modes(
    dataset: &Dataset,
    components: &[ComponentReport],
    inject_panic: Option<&InjectedPanic>,
) -> Result<(Vec<Trend>, Vec<OperationModes>), Error> {
    let origins: HashMap<&str, (i64, f64, u64)> = components
        .iter()
        .map(|component| {
            let resolution = if component.formats.contains(&LogFormat::Legacy) {
                LEGACY_RESOLUTION_NS
            } else {
                1
            };
            (
                component.name.as_str(),
                (
                    components::timeline_origin_ns(dataset, &component.name),
                    component.span_s,
                    resolution,
                ),
            )
        })
        .collect();
    let ids: Vec<usize> = (0..dataset.table.ops.len())
        .filter(|&id| dataset.table.ops[id].count > 0)
        .collect();
    let fitted: Vec<Result<Fitted, Error>> = ids
        .par_iter()
        .map(|&id| {
            let key = &dataset.table.keys[id];
            let op = &dataset.table.ops[id];
            let (origin_ns, span_s, resolution_ns) = origins
                .get(key.component.as_str())
                .copied()
                .unwrap_or((0, 0.0, 1));
            catch_panic(|| {
                if matches!(inject_panic, Some(InjectedPanic::Timeline(name)) if *name == key.operation)
                {
                    panic!("{INJECTED_PANIC}");
                }
                let strided = op.timeline.strided();
                let trend = trends::fit_trend(&trends::TrendInput {
                    component: &key.component,
                    operation: &key.operation,
                    phase: &key.phase,
                    samples: &strided,
                    sample_stride: op.timeline.stride(),
                    origin_ns,
                    span_s,
                });
                let with_extremes = op.timeline.with_extremes();
                let modes = clusters::find_modes(&clusters::ModeInput {
                    component: &key.component,
                    operation: &key.operation,
                    phase: &key.phase,
                    samples: &with_extremes,
                    sample_stride: op.timeline.stride(),
                    origin_ns,
                    first_start_ns: op.first_start_ns,
                    last_end_ns: op.last_end_ns,
                    resolution_ns,
                });
                (trend, modes)
            })
            .map_err(|message| components::operation_panicked("trend and mode fit", key, message))
        })
        .collect();
    let fitted = fitted.into_iter().collect::<Result<Vec<_>, _>>()?;
    let mut trends: Vec<Trend> = fitted
        .iter()
        .filter_map(|(trend, _)| trend.clone())
        .collect();
    let mut modes: Vec<OperationModes> =
        fitted.into_iter().filter_map(|(_, modes)| modes).collect();
    trends.sort_by(|a, b| b.change_over_run.total_cmp(&a.change_over_run));
    modes.sort_by(|a, b| (&a.component, &a.operation).cmp(&(&b.component, &b.operation)));
    Ok((trends, modes))
}

/// Runs every analysis on what was read. Fails only when a worker thread fails.
pub fn analyze(mut dataset: Dataset, options: &Options) -> Result<Analysis, Error> {
    let inject_panic = options.inject_panic.as_ref();
    let stats =
        components::summarize_all(&dataset.table.keys, &mut dataset.table.ops, inject_panic)?;
    let thread_names: BTreeMap<u32, String> = dataset
        .summaries
        .iter()
        .flat_map(|summary| summary.threads.clone())
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
    let components =
        components::build_components(&dataset, &stats, options.exact_sample_cap, &waiting.by_key);
    let run_basis_ms = components::run_basis_ms(&components);
    let component_names: Vec<String> = components
        .iter()
        .map(|component| component.name.clone())
        .collect();
    let bottlenecks = bottlenecks::find_bottlenecks(&components, &options.thresholds);
    let (trends, modes) = trends_and_modes(&dataset, &components, inject_panic)?;
    let thread_imbalances = threads::find_imbalances(&components);
    let any_ours = dataset
        .files
        .iter()
        .any(|file| file.format == LogFormat::Ours);
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
    let recommendations = recommendations::recommend(&recommendations::Evidence {
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
    Ok(Analysis {
        generated_at: now_utc(),
        log_dir: dataset.dir.clone(),
        options: options.clone(),
        components,
        run_basis_ms,
        waiting: waiting.operations,
        bottlenecks,
        recommendations,
        cross_component,
        trends,
        modes,
        thread_imbalances,
        files,
        summaries,
        chart_data,
    })
}
