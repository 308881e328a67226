//! How an operation's calls change over the run: its trend, and its modes (warm-up, stalls,
//! two kinds of calls).

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trend {
    pub component: String,
    pub operation: String,
    pub phase: String,
    pub samples: usize,
    pub sample_stride: u64,
    pub slope_ms_per_s: f64,
    pub intercept_ms: f64,
    pub r_squared: f64,
    pub t_statistic: f64,
    /// Fitted duration at the component's first and last call.
    pub fitted_start_ms: f64,
    pub fitted_end_ms: f64,
    /// Fitted duration at twice the run's length.
    pub projected_at_twice_run_ms: f64,
    /// Fitted change over the run relative to the mean.
    pub change_over_run: f64,
    pub span_s: f64,
    pub slowing: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModeLabel {
    Main,
    WarmUp,
    PeriodicStall,
    SporadicSlow,
    Fast,
    Secondary,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mode {
    pub label: ModeLabel,
    pub calls_in_sample: usize,
    pub share_of_sample: f64,
    /// Geometric mean of the mode's durations (its k-means centroid in log space).
    pub typical_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    pub first_at_s: f64,
    pub last_at_s: f64,
    /// For periodic stalls: the time between bursts, and the sampled calls per burst.
    pub period_s: Option<f64>,
    pub burst_calls: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OperationModes {
    pub component: String,
    pub operation: String,
    pub phase: String,
    pub samples: usize,
    pub sample_stride: u64,
    pub modes: Vec<Mode>,
}
