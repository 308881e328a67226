//! The comparison of two runs: one typed model, built once by [`super::build::compare`] and
//! rendered by `export::compare_console`, `compare_json` and `compare_html` from it alone.
//! Serialized, it is `comparison.json` (README "analyzer compare").

use std::path::PathBuf;

use serde::Serialize;

use super::mann_whitney::TestMethod;
use crate::report::AnalyzerVersion;
use crate::runs::settings::SettingChange;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The whole interval of the median ratio lies above 1 + threshold, and the corrected
    /// p-value is below the significance level.
    Regressed,
    /// The whole interval lies below 1 - threshold, and the corrected p-value is below the
    /// significance level.
    Improved,
    /// Only in the new run.
    Added,
    /// Only in the base run.
    Removed,
    /// Anything else: the change is within the noise threshold, or not significant.
    Unchanged,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Regressed => "regressed",
            Verdict::Improved => "improved",
            Verdict::Added => "added",
            Verdict::Removed => "removed",
            Verdict::Unchanged => "unchanged",
        }
    }
}

/// One side of the comparison.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunSide {
    pub id: String,
    pub dir: PathBuf,
    pub latest: bool,
    pub program: Option<String>,
    pub version: Option<String>,
    pub started_at: Option<String>,
    pub rows: u64,
    /// The run's own work (self time minus waiting, all components): the basis of `share`.
    pub own_work_ms: f64,
    pub has_manifest: bool,
}

/// A run-level figure on both sides.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunFigure {
    pub name: String,
    pub base: Option<f64>,
    pub new: Option<f64>,
    /// new / base, when both are there and base is not 0.
    pub ratio: Option<f64>,
    /// Where the figure comes from: `manifest`, `metrics.jsonl` or `logs`.
    pub source: &'static str,
}

/// One operation, both sides.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OperationComparison {
    pub component: String,
    pub operation: String,
    pub phase: String,
    pub verdict: Verdict,
    /// NEW median / BASE median (exact medians of every call).
    pub median_ratio: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// The Mann-Whitney p-value, Benjamini-Hochberg corrected over the operations compared.
    pub p_value: Option<f64>,
    pub p_value_uncorrected: Option<f64>,
    pub test: Option<TestMethod>,
    pub base_count: u64,
    pub new_count: u64,
    pub base_median_ms: Option<f64>,
    pub new_median_ms: Option<f64>,
    pub base_p95_ms: Option<f64>,
    pub new_p95_ms: Option<f64>,
    /// Self time over all calls (total time where the log has no self time).
    pub base_self_ms: Option<f64>,
    pub new_self_ms: Option<f64>,
    /// Own work over the run's own work.
    pub base_share: Option<f64>,
    pub new_share: Option<f64>,
    /// new_share - base_share (a difference of fractions: 0.05 is 5 percentage points).
    pub share_change: Option<f64>,
    /// Calls in the samples the interval and the test were computed from.
    pub base_sample: usize,
    pub new_sample: usize,
    /// The sampled durations (ms, in start order), for the distribution charts.
    #[serde(skip)]
    pub base_durations_ms: Vec<f64>,
    #[serde(skip)]
    pub new_durations_ms: Vec<f64>,
}

impl OperationComparison {
    pub fn label(&self) -> String {
        format!("{}/{}", self.component, self.operation)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct VerdictCounts {
    pub regressed: usize,
    pub improved: usize,
    pub unchanged: usize,
    pub added: usize,
    pub removed: usize,
}

/// How the figures were computed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Method {
    /// The noise threshold: a ratio within 1 +- threshold is no change.
    pub threshold: f64,
    pub confidence: f64,
    pub significance: f64,
    pub bootstrap_iterations: usize,
    pub seed: u64,
    /// Operations on both sides: the number of tests corrected for.
    pub operations_tested: usize,
    pub description: &'static str,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// When the comparison ran (UTC, `...Z`); settable before rendering.
    #[serde(rename = "timestamp")]
    pub generated_at: String,
    pub analyzer: AnalyzerVersion,
    pub base: RunSide,
    pub new: RunSide,
    /// First of all: what was changed between the runs' manifests.
    pub settings_changed: Vec<SettingChange>,
    pub run_figures: Vec<RunFigure>,
    pub summary: VerdictCounts,
    /// Regressed (largest ratio first), improved (smallest first), added, removed, then
    /// unchanged (most self time first).
    pub operations: Vec<OperationComparison>,
    pub method: Method,
}

impl Comparison {
    pub fn any_regressed(&self) -> bool {
        self.summary.regressed > 0
    }
}
