//! Modes of an operation's durations: k-means (linfa's, as [`super::kmeans`] runs it) on
//! log-durations of the bounded timeline sample (plus the first and slowest calls), then each
//! slower mode is named by when it happened: warm-up (only at the start), periodic stalls
//! (evenly spaced) or sporadic slow calls.

use super::kmeans;
use crate::report::{Mode, ModeLabel, OperationModes};
use crate::stats::sampler::TimedCall;

/// Fewer samples than this make no modes.
pub const MIN_MODE_SAMPLES: usize = 30;
/// Adjacent modes must differ at least this much (as a ratio of typical durations) ...
pub const MIN_MODE_RATIO: f64 = 2.0;
/// ... and by this many times the sum of their spreads (in log space).
pub const MIN_SEPARATION_IN_SPREADS: f64 = 2.0;
/// A slow mode is warm-up when all of it lies in this first fraction of the operation's run.
pub const WARM_UP_FRACTION: f64 = 0.10;
/// A slow mode is periodic when the gaps between its bursts vary less than this (CV).
pub const PERIODIC_MAX_GAP_CV: f64 = 0.5;
/// A slow mode holding more than this fraction of the sample is a second kind of call, not
/// an outlier.
pub const OUTLIER_MAX_SHARE: f64 = 0.10;
/// Gaps this many times shorter than the next larger gap separate calls within a burst.
const BURST_BREAK_RATIO: f64 = 10.0;

pub struct ModeInput<'a> {
    pub component: &'a str,
    pub operation: &'a str,
    pub phase: &'a str,
    pub samples: &'a [TimedCall],
    pub sample_stride: u64,
    pub origin_ns: i64,
    pub first_start_ns: i64,
    pub last_end_ns: i64,
    /// The log's duration resolution (1 ns for ours; 10 us for the original's two decimals):
    /// durations within a few steps of it are not told apart.
    pub resolution_ns: u64,
}

struct Cluster {
    members: Vec<usize>,
    centroid: f64,
    spread: f64,
}

fn kmeans(log_durations: &[f64], k: usize) -> Option<Vec<Cluster>> {
    let memberships = kmeans::cluster(log_durations, k, 2, 42)?;
    let mut clusters: Vec<Cluster> = (0..k)
        .map(|_| Cluster {
            members: Vec::new(),
            centroid: 0.0,
            spread: 0.0,
        })
        .collect();
    for (index, &cluster) in memberships.iter().enumerate() {
        clusters.get_mut(cluster)?.members.push(index);
    }
    clusters.retain(|cluster| !cluster.members.is_empty());
    for cluster in &mut clusters {
        let n = cluster.members.len() as f64;
        cluster.centroid = cluster
            .members
            .iter()
            .map(|&i| log_durations[i])
            .sum::<f64>()
            / n;
        let variance = cluster
            .members
            .iter()
            .map(|&i| (log_durations[i] - cluster.centroid).powi(2))
            .sum::<f64>()
            / n;
        cluster.spread = variance.sqrt();
    }
    clusters.sort_by(|a, b| a.centroid.total_cmp(&b.centroid));
    Some(clusters)
}

/// Every adjacent pair is far apart compared with its spreads, and at least 2x apart.
fn well_separated(clusters: &[Cluster]) -> bool {
    clusters.len() >= 2
        && clusters.windows(2).all(|pair| {
            let gap = pair[1].centroid - pair[0].centroid;
            gap >= MIN_MODE_RATIO.ln()
                && gap >= MIN_SEPARATION_IN_SPREADS * (pair[0].spread + pair[1].spread)
        })
}

pub fn find_modes(input: &ModeInput) -> Option<OperationModes> {
    let samples = input.samples;
    if samples.len() < MIN_MODE_SAMPLES {
        return None;
    }
    let offset = 2.0 * input.resolution_ns.max(1) as f64;
    let log_durations: Vec<f64> = samples
        .iter()
        .map(|call| (call.duration_ns as f64 + offset).ln())
        .collect();
    let clusters = [3, 2]
        .into_iter()
        .filter_map(|k| kmeans(&log_durations, k))
        .find(|clusters| well_separated(clusters))?;
    let main = clusters
        .iter()
        .enumerate()
        .max_by_key(|(_, cluster)| cluster.members.len())
        .map(|(index, _)| index)?;
    let modes = clusters
        .iter()
        .enumerate()
        .map(|(index, cluster)| {
            describe(
                input,
                cluster,
                index == main,
                clusters[main].centroid,
                offset,
            )
        })
        .collect();
    Some(OperationModes {
        component: input.component.to_string(),
        operation: input.operation.to_string(),
        phase: input.phase.to_string(),
        samples: samples.len(),
        sample_stride: input.sample_stride,
        modes,
    })
}

fn describe(
    input: &ModeInput,
    cluster: &Cluster,
    is_main: bool,
    main_centroid: f64,
    offset: f64,
) -> Mode {
    let calls: Vec<&TimedCall> = cluster.members.iter().map(|&i| &input.samples[i]).collect();
    let starts: Vec<i64> = calls.iter().map(|call| call.start_ns).collect();
    let seconds = |ns: i64| (ns - input.origin_ns) as f64 / 1e9;
    let first = starts.iter().copied().min().unwrap_or(0);
    let last = starts.iter().copied().max().unwrap_or(0);
    let ratio = (cluster.centroid - main_centroid).exp();
    let op_span = (input.last_end_ns - input.first_start_ns).max(1) as f64;
    let share = calls.len() as f64 / input.samples.len() as f64;
    let (label, period_s, burst_calls) = if is_main {
        (ModeLabel::Main, None, 1.0)
    } else if ratio >= MIN_MODE_RATIO && share <= OUTLIER_MAX_SHARE {
        if (last - input.first_start_ns) as f64 <= WARM_UP_FRACTION * op_span {
            (ModeLabel::WarmUp, None, 1.0)
        } else {
            match periodic_bursts(&starts) {
                Some((period, burst)) => (ModeLabel::PeriodicStall, Some(period / 1e9), burst),
                None => (ModeLabel::SporadicSlow, None, 1.0),
            }
        }
    } else if ratio <= 1.0 / MIN_MODE_RATIO {
        (ModeLabel::Fast, None, 1.0)
    } else {
        (ModeLabel::Secondary, None, 1.0)
    };
    let durations = calls.iter().map(|call| call.duration_ns as f64 / 1e6);
    Mode {
        label,
        calls_in_sample: calls.len(),
        share_of_sample: share,
        typical_ms: (cluster.centroid.exp() - offset).max(0.0) / 1e6,
        min_ms: durations.clone().fold(f64::INFINITY, f64::min),
        max_ms: durations.fold(0.0, f64::max),
        first_at_s: seconds(first),
        last_at_s: seconds(last),
        period_s,
        burst_calls,
    }
}

/// Groups calls into bursts (gaps much shorter than the others join a burst) and returns the
/// mean time between burst starts and the calls per burst, when at least three bursts are
/// evenly spaced.
fn periodic_bursts(starts: &[i64]) -> Option<(f64, f64)> {
    if starts.len() < 3 {
        return None;
    }
    let mut sorted = starts.to_vec();
    sorted.sort_unstable();
    let gaps: Vec<f64> = sorted
        .windows(2)
        .map(|pair| (pair[1] - pair[0]) as f64)
        .collect();
    let mut ordered = gaps.clone();
    ordered.sort_by(f64::total_cmp);
    // The natural break: the largest jump between consecutive gap sizes, if it is large.
    let within_burst = ordered
        .windows(2)
        .filter(|pair| pair[1] >= BURST_BREAK_RATIO * pair[0].max(1.0))
        .map(|pair| pair[0])
        .next_back()
        .unwrap_or(-1.0);
    let burst_starts: Vec<i64> = std::iter::once(sorted[0])
        .chain(
            sorted
                .windows(2)
                .filter(|pair| (pair[1] - pair[0]) as f64 > within_burst)
                .map(|pair| pair[1]),
        )
        .collect();
    let bursts = burst_starts.len();
    if bursts < 3 {
        return None;
    }
    let between: Vec<f64> = burst_starts
        .windows(2)
        .map(|pair| (pair[1] - pair[0]) as f64)
        .collect();
    let mean = between.iter().sum::<f64>() / between.len() as f64;
    let deviation =
        (between.iter().map(|gap| (gap - mean).powi(2)).sum::<f64>() / between.len() as f64).sqrt();
    (mean > 0.0 && deviation / mean <= PERIODIC_MAX_GAP_CV)
        .then_some((mean, starts.len() as f64 / bursts as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i64 = 1_000_000_000;

    fn input(samples: &[TimedCall]) -> ModeInput<'_> {
        ModeInput {
            component: "c",
            operation: "op",
            phase: "p",
            samples,
            sample_stride: 1,
            origin_ns: 0,
            first_start_ns: samples.first().map_or(0, |c| c.start_ns),
            last_end_ns: samples.last().map_or(0, |c| c.start_ns),
            resolution_ns: 1,
        }
    }

    /// One call per second for 1000 s around 1 ms, with `slow` calls replaced by 50 ms.
    fn calls(slow: impl Fn(i64) -> bool) -> Vec<TimedCall> {
        (0..1000)
            .map(|second| TimedCall {
                start_ns: second * SECOND,
                duration_ns: if slow(second) {
                    50_000_000
                } else {
                    1_000_000 + (second % 7) as u64 * 20_000
                },
            })
            .collect()
    }

    #[test]
    fn warm_up_calls_at_the_start() {
        let samples = calls(|second| second < 5);
        let modes = find_modes(&input(&samples)).unwrap();
        assert_eq!(modes.modes.len(), 2);
        let warm_up = modes
            .modes
            .iter()
            .find(|mode| mode.label == ModeLabel::WarmUp)
            .unwrap();
        assert_eq!(warm_up.calls_in_sample, 5);
        assert_eq!((warm_up.first_at_s, warm_up.last_at_s), (0.0, 4.0));
        assert!(
            (warm_up.typical_ms - 50.0).abs() < 1e-6,
            "{}",
            warm_up.typical_ms
        );
        assert!(
            modes
                .modes
                .iter()
                .any(|mode| mode.label == ModeLabel::Main && mode.calls_in_sample == 995)
        );
    }

    #[test]
    fn periodic_stalls_with_their_period() {
        let samples = calls(|second| second % 100 == 50);
        let modes = find_modes(&input(&samples)).unwrap();
        let stall = modes
            .modes
            .iter()
            .find(|mode| mode.label == ModeLabel::PeriodicStall)
            .unwrap();
        assert_eq!(stall.calls_in_sample, 10);
        assert_eq!(stall.period_s, Some(100.0));
        assert_eq!(stall.first_at_s, 50.0);
    }

    #[test]
    fn periodic_bursts_of_stalls() {
        // Every 100 s, 4 consecutive calls stall.
        let samples = calls(|second| second % 100 >= 50 && second % 100 < 54);
        let modes = find_modes(&input(&samples)).unwrap();
        let stall = modes
            .modes
            .iter()
            .find(|mode| mode.label == ModeLabel::PeriodicStall)
            .unwrap();
        assert_eq!(stall.calls_in_sample, 40);
        assert_eq!(stall.burst_calls, 4.0);
        assert_eq!(stall.period_s, Some(100.0));
    }

    #[test]
    fn a_large_slow_group_is_a_second_kind_of_call() {
        let samples = calls(|second| second % 4 == 0);
        let modes = find_modes(&input(&samples)).unwrap();
        assert!(
            modes
                .modes
                .iter()
                .any(|mode| mode.label == ModeLabel::Secondary && mode.calls_in_sample == 250)
        );
    }

    #[test]
    fn quantised_durations_do_not_make_modes() {
        // Two-decimal milliseconds: 0.00 and 0.01 ms are one step apart, not two modes.
        let samples: Vec<TimedCall> = (0..300)
            .map(|i| TimedCall {
                start_ns: i * SECOND,
                duration_ns: if i % 3 == 0 { 0 } else { 10_000 },
            })
            .collect();
        let modes = find_modes(&ModeInput {
            resolution_ns: 10_000,
            ..input(&samples)
        });
        assert_eq!(modes, None);
    }

    #[test]
    fn sporadic_slow_calls() {
        let samples = calls(|second| [100, 130, 700, 720, 990].contains(&second));
        let modes = find_modes(&input(&samples)).unwrap();
        assert!(
            modes
                .modes
                .iter()
                .any(|mode| mode.label == ModeLabel::SporadicSlow && mode.calls_in_sample == 5)
        );
    }

    #[test]
    fn one_mode_is_no_modes() {
        let samples = calls(|_| false);
        assert_eq!(find_modes(&input(&samples)), None);
        assert_eq!(find_modes(&input(&samples[..10])), None);
    }
}
