//! Which operations slow down as training goes on: an ordinary least squares fit (linfa) of
//! duration over time on each operation's bounded timeline sample.

use linfa::Dataset as LinfaDataset;
use linfa::traits::Fit;
use linfa_linear::LinearRegression;
use ndarray::{Array1, Array2};

use crate::report::Trend;
use crate::stats::sampler::TimedCall;

/// Fewer samples than this make no trend.
pub const MIN_TREND_SAMPLES: usize = 20;
/// A slope this many standard errors from zero is not noise.
pub const MIN_T_STATISTIC: f64 = 3.0;
/// The fitted change over the run must be at least this fraction of the mean.
pub const MIN_CHANGE_OVER_RUN: f64 = 0.10;

pub struct TrendInput<'a> {
    pub component: &'a str,
    pub operation: &'a str,
    pub phase: &'a str,
    pub samples: &'a [TimedCall],
    pub sample_stride: u64,
    /// The component's first call, on the samples' clock.
    pub origin_ns: i64,
    /// The component's run length.
    pub span_s: f64,
}

/// Fits duration (ms) against time since the component's first call (s).
pub fn fit_trend(input: &TrendInput) -> Option<Trend> {
    let n = input.samples.len();
    if n < MIN_TREND_SAMPLES || input.span_s <= 0.0 {
        return None;
    }
    let times: Vec<f64> = input
        .samples
        .iter()
        .map(|call| (call.start_ns - input.origin_ns) as f64 / 1e9)
        .collect();
    let durations: Vec<f64> = input
        .samples
        .iter()
        .map(|call| call.duration_ns as f64 / 1e6)
        .collect();
    let mean_t = times.iter().sum::<f64>() / n as f64;
    let spread_t: f64 = times.iter().map(|t| (t - mean_t).powi(2)).sum();
    if spread_t <= f64::EPSILON {
        return None;
    }
    let records = Array2::from_shape_vec((n, 1), times.clone()).ok()?;
    let targets = Array1::from_vec(durations.clone());
    let model = LinearRegression::new()
        .fit(&LinfaDataset::new(records, targets))
        .ok()?;
    let slope = *model.params().get(0)?;
    let intercept = model.intercept();
    let mean_d = durations.iter().sum::<f64>() / n as f64;
    let residual: f64 = times
        .iter()
        .zip(&durations)
        .map(|(t, d)| (d - (intercept + slope * t)).powi(2))
        .sum();
    let spread_d: f64 = durations.iter().map(|d| (d - mean_d).powi(2)).sum();
    let r_squared = if spread_d > 0.0 {
        1.0 - residual / spread_d
    } else {
        0.0
    };
    let standard_error = (residual / (n as f64 - 2.0) / spread_t).sqrt();
    let t_statistic = if standard_error > 0.0 {
        slope / standard_error
    } else if slope == 0.0 {
        0.0
    } else {
        f64::INFINITY.copysign(slope)
    };
    let fitted_start_ms = intercept;
    let fitted_end_ms = intercept + slope * input.span_s;
    let change_over_run = if mean_d > 0.0 {
        slope * input.span_s / mean_d
    } else {
        0.0
    };
    Some(Trend {
        component: input.component.to_string(),
        operation: input.operation.to_string(),
        phase: input.phase.to_string(),
        samples: n,
        sample_stride: input.sample_stride,
        slope_ms_per_s: slope,
        intercept_ms: intercept,
        r_squared,
        t_statistic,
        fitted_start_ms,
        fitted_end_ms,
        projected_at_twice_run_ms: intercept + slope * 2.0 * input.span_s,
        change_over_run,
        span_s: input.span_s,
        slowing: slope > 0.0
            && t_statistic >= MIN_T_STATISTIC
            && change_over_run >= MIN_CHANGE_OVER_RUN,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(samples: &'a [TimedCall], span_s: f64) -> TrendInput<'a> {
        TrendInput {
            component: "c",
            operation: "op",
            phase: "p",
            samples,
            sample_stride: 1,
            origin_ns: 0,
            span_s,
        }
    }

    #[test]
    fn a_steady_slowdown_is_found_and_projected() {
        // 10 ms + 1 ms per second, one call per second for 100 s, with a little alternation.
        let samples: Vec<TimedCall> = (0..100)
            .map(|second| TimedCall {
                start_ns: second * 1_000_000_000,
                duration_ns: (10_000_000
                    + second * 1_000_000
                    + if second % 2 == 0 { 100_000 } else { 0 })
                    as u64,
            })
            .collect();
        let trend = fit_trend(&input(&samples, 100.0)).unwrap();
        assert!(
            (trend.slope_ms_per_s - 1.0).abs() < 0.01,
            "{}",
            trend.slope_ms_per_s
        );
        assert!((trend.intercept_ms - 10.05).abs() < 0.1);
        assert!((trend.projected_at_twice_run_ms - 210.0).abs() < 1.0);
        assert!(trend.r_squared > 0.99);
        assert!(trend.slowing);
    }

    #[test]
    fn noise_without_a_trend_is_not_slowing() {
        let samples: Vec<TimedCall> = (0..200)
            .map(|index| TimedCall {
                start_ns: index * 1_000_000_000,
                duration_ns: [9_000_000u64, 11_000_000, 10_000_000, 12_000_000, 8_000_000]
                    [index as usize % 5],
            })
            .collect();
        let trend = fit_trend(&input(&samples, 200.0)).unwrap();
        assert!(!trend.slowing);
        assert!(trend.change_over_run.abs() < MIN_CHANGE_OVER_RUN);
    }

    #[test]
    fn too_few_samples_or_no_time_spread_fit_nothing() {
        let few: Vec<TimedCall> = (0..5)
            .map(|i| TimedCall {
                start_ns: i,
                duration_ns: 1,
            })
            .collect();
        assert_eq!(fit_trend(&input(&few, 1.0)), None);
        let same_time: Vec<TimedCall> = (0..50)
            .map(|i| TimedCall {
                start_ns: 7,
                duration_ns: i,
            })
            .collect();
        assert_eq!(fit_trend(&input(&same_time, 1.0)), None);
    }
}
