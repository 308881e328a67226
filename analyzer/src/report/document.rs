//! The whole report, and its serialized form: `performance_analysis_report.json` (README
//! "Report schema"). The model keeps each component with its phases and operations; the
//! document spreads them over the original's three maps (`performance_metrics`,
//! `phase_breakdown`, `operation_breakdown`) keyed by name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Serialize, Serializer};

use super::call_paths::CallTreeReport;
use super::charts::ChartData;
use super::components::{ComponentReport, OperationReport, PhaseReport};
use super::coordination::{CrossComponentReport, OperationWaiting, ThreadImbalance};
use super::findings::Bottleneck;
use super::inputs::{FileReport, SummaryReport};
use super::recommendation::Recommendation;
use super::timeline::{OperationModes, Trend};
use crate::options::{Options, SeverityThresholds};

/// Everything the analysis found. Built once by [`crate::analysis::analyze`]; every exporter
/// renders it, and nothing else.
#[derive(Clone, Debug)]
pub struct Report {
    /// When the analysis ran (UTC, `...Z`): the document's `timestamp`. A public field, so
    /// that a caller (a snapshot test) can fix it before rendering.
    pub generated_at: String,
    pub analyzer: AnalyzerVersion,
    pub log_dir: PathBuf,
    /// What the analysis ran with: the document shows its thresholds and caps, the console
    /// and HTML list the first `top` bottlenecks and recommendations.
    pub options: Options,
    /// Rows read from all logs.
    pub rows_read: u64,
    /// The run's own work (self time minus waiting, all components): the basis of shares.
    pub run_basis_ms: f64,
    /// By estimated saving, then severity.
    pub bottlenecks: Vec<Bottleneck>,
    /// Failed calls first, then by estimated saving (README "Order").
    pub recommendations: Vec<Recommendation>,
    /// By name.
    pub components: Vec<ComponentReport>,
    pub cross_component: CrossComponentReport,
    /// The call tree by path: the flame graph, the folded stacks and the call-tree table.
    pub call_tree: CallTreeReport,
    /// Operations whose children run on other threads: how long their thread waits.
    pub waiting: Vec<OperationWaiting>,
    pub trends: Vec<Trend>,
    /// Serialized as `outliers`.
    pub modes: Vec<OperationModes>,
    pub thread_imbalances: Vec<ThreadImbalance>,
    /// Input problems found in the logs and the summaries.
    pub problems_total: u64,
    pub files: Vec<FileReport>,
    pub summaries: Vec<SummaryReport>,
    pub statistics_method: StatisticsMethod,
    /// Points of the charts; not part of the document.
    pub chart_data: ChartData,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AnalyzerVersion {
    pub name: &'static str,
    pub version: &'static str,
}

impl AnalyzerVersion {
    /// This build of the analyzer.
    pub const CURRENT: AnalyzerVersion = AnalyzerVersion {
        name: env!("CARGO_PKG_NAME"),
        version: env!("CARGO_PKG_VERSION"),
    };
}

/// How the percentiles were computed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatisticsMethod {
    pub exact_sample_cap: usize,
    /// Operations whose percentiles are exact ...
    pub operations_exact: usize,
    /// ... and read from a histogram.
    pub operations_histogram: usize,
    pub histogram_relative_error: f64,
    pub timeline_sample_cap: usize,
}

const SHARE_BASIS_MEANING: &str = "every share used for severity and priority is of the run's own work: self time minus waiting for other threads, summed over all components (total time for a component without self time)";
const EXACT_MEANS: &str =
    "count, total, min, max, mean, standard deviation and self time are exact for every operation";
const PERCENTILES: &str = "median/p95/p99 are exact (linear interpolation between order statistics, as numpy and pandas) while an operation has at most exact_sample_cap calls, else read from a log-linear histogram within histogram_relative_error";
const TRENDS_AND_MODES: &str = "fitted on an evenly strided sample of at most timeline_sample_cap calls per operation (plus its first and slowest calls for modes)";

/// The report as `performance_analysis_report.json` holds it: the original report's keys
/// (`timestamp`, `bottlenecks`, `recommendations`, `performance_metrics`, `phase_breakdown`,
/// `operation_breakdown`) with their meaning kept, then ours.
#[derive(Serialize)]
pub struct Document<'a> {
    timestamp: &'a str,
    analyzer: &'a AnalyzerVersion,
    log_dir: &'a Path,
    report_file: Option<&'a Path>,
    rows_read: u64,
    share_basis: RunShareBasis,
    bottlenecks: &'a [Bottleneck],
    recommendations: &'a [Recommendation],
    performance_metrics: BTreeMap<&'a str, &'a ComponentReport>,
    phase_breakdown: BTreeMap<&'a str, BTreeMap<&'a str, &'a PhaseReport>>,
    operation_breakdown: BTreeMap<&'a str, BTreeMap<String, &'a OperationReport>>,
    cross_component: &'a CrossComponentReport,
    call_tree: &'a CallTreeReport,
    waiting: &'a [OperationWaiting],
    trends: &'a [Trend],
    outliers: &'a [OperationModes],
    thread_imbalances: &'a [ThreadImbalance],
    input_problems: InputProblems<'a>,
    statistics_method: StatisticsDocument<'a>,
    thresholds: &'a SeverityThresholds,
}

#[derive(Serialize)]
struct RunShareBasis {
    run_own_work_ms: f64,
    meaning: &'static str,
}

#[derive(Serialize)]
struct InputProblems<'a> {
    total: u64,
    files: &'a [FileReport],
    summaries: &'a [SummaryReport],
}

#[derive(Serialize)]
struct StatisticsDocument<'a> {
    #[serde(flatten)]
    method: &'a StatisticsMethod,
    exact_means: &'static str,
    percentiles: &'static str,
    trends_and_modes: &'static str,
}

impl Report {
    /// The JSON document; `report_file` is where it is written (its `report_file` key).
    pub fn document<'a>(&'a self, report_file: Option<&'a Path>) -> Document<'a> {
        Document {
            timestamp: &self.generated_at,
            analyzer: &self.analyzer,
            log_dir: &self.log_dir,
            report_file,
            rows_read: self.rows_read,
            share_basis: RunShareBasis {
                run_own_work_ms: self.run_basis_ms,
                meaning: SHARE_BASIS_MEANING,
            },
            bottlenecks: &self.bottlenecks,
            recommendations: &self.recommendations,
            performance_metrics: self
                .components
                .iter()
                .map(|component| (component.name.as_str(), component))
                .collect(),
            phase_breakdown: self
                .components
                .iter()
                .map(|component| {
                    let phases = component
                        .phases
                        .iter()
                        .map(|phase| (phase.phase.as_str(), phase))
                        .collect();
                    (component.name.as_str(), phases)
                })
                .collect(),
            operation_breakdown: self
                .components
                .iter()
                .map(|component| {
                    let operations = component
                        .operation_keys()
                        .into_iter()
                        .zip(&component.operations)
                        .collect();
                    (component.name.as_str(), operations)
                })
                .collect(),
            cross_component: &self.cross_component,
            call_tree: &self.call_tree,
            waiting: &self.waiting,
            trends: &self.trends,
            outliers: &self.modes,
            thread_imbalances: &self.thread_imbalances,
            input_problems: InputProblems {
                total: self.problems_total,
                files: &self.files,
                summaries: &self.summaries,
            },
            statistics_method: StatisticsDocument {
                method: &self.statistics_method,
                exact_means: EXACT_MEANS,
                percentiles: PERCENTILES,
                trends_and_modes: TRENDS_AND_MODES,
            },
            thresholds: &self.options.thresholds,
        }
    }
}

/// The document without a `report_file`.
impl Serialize for Report {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.document(None).serialize(serializer)
    }
}
