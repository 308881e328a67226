//! Per-iteration training metrics: statistics of the episodes finished in the iteration, moving
//! averages and reach rates over the most recent episodes, throughput, losses.

use crate::checkpoint::EpisodeRecord;
use crate::evaluation::REACH_TILES;
use crate::ppo::{Episode, RolloutStats, UpdateStats};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

/// Episodes in the short moving average.
pub const SHORT_WINDOW: usize = 100;
/// Episodes in the long moving average and the reach rates (the most kept).
pub const LONG_WINDOW: usize = 1000;

/// The most recent episodes (up to a capacity) and records over all episodes.
#[derive(Clone, Debug, PartialEq)]
pub struct EpisodeWindow {
    capacity: usize,
    recent: VecDeque<Episode>,
    total: u64,
    best_score: Option<f64>,
    best_tile: Option<u32>,
}

impl EpisodeWindow {
    pub fn new(capacity: usize) -> Self {
        EpisodeWindow {
            capacity: capacity.max(1),
            recent: VecDeque::with_capacity(capacity.max(1)),
            total: 0,
            best_score: None,
            best_tile: None,
        }
    }

    /// A window that continues from saved state (`recent` oldest first).
    pub fn restore(
        capacity: usize,
        recent: &[EpisodeRecord],
        total: u64,
        best_score: Option<f64>,
        best_tile: Option<u32>,
    ) -> Self {
        let mut window = EpisodeWindow::new(capacity);
        let skip = recent.len().saturating_sub(window.capacity);
        window
            .recent
            .extend(recent[skip..].iter().map(|&r| Episode::from(r)));
        window.total = total;
        window.best_score = best_score;
        window.best_tile = best_tile;
        window
    }

    pub fn push_all(&mut self, episodes: &[Episode]) {
        for &episode in episodes {
            if self.recent.len() == self.capacity {
                self.recent.pop_front();
            }
            self.recent.push_back(episode);
            self.best_score = Some(
                self.best_score
                    .map_or(episode.score, |b| b.max(episode.score)),
            );
            self.best_tile = Some(
                self.best_tile
                    .map_or(episode.max_tile, |b| b.max(episode.max_tile)),
            );
        }
        self.total += episodes.len() as u64;
    }

    /// Episodes ever pushed (counting those restored).
    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn len(&self) -> usize {
        self.recent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recent.is_empty()
    }

    pub fn best_score(&self) -> Option<f64> {
        self.best_score
    }

    pub fn best_tile(&self) -> Option<u32> {
        self.best_tile
    }

    /// Oldest first.
    pub fn records(&self) -> Vec<EpisodeRecord> {
        self.recent
            .iter()
            .map(|&e| EpisodeRecord::from(e))
            .collect()
    }

    fn last(&self, n: usize) -> impl Iterator<Item = &Episode> {
        self.recent.iter().skip(self.recent.len().saturating_sub(n))
    }

    /// Mean score of the last `n` episodes (of all kept, while fewer); `None` before any.
    pub fn mean_score(&self, n: usize) -> Option<f64> {
        mean(self.last(n).map(|e| e.score))
    }

    /// Mean length of the last `n` episodes (of all kept, while fewer); `None` before any.
    pub fn mean_length(&self, n: usize) -> Option<f64> {
        mean(self.last(n).map(|e| f64::from(e.length)))
    }

    /// For each tile of [`REACH_TILES`], the share of kept episodes whose largest tile is at
    /// least that tile. Empty before any episode.
    pub fn reach_rates(&self) -> BTreeMap<u32, f64> {
        if self.recent.is_empty() {
            return BTreeMap::new();
        }
        let n = self.recent.len() as f64;
        REACH_TILES
            .iter()
            .map(|&tile| {
                let reached = self.recent.iter().filter(|e| e.max_tile >= tile).count();
                (tile, reached as f64 / n)
            })
            .collect()
    }
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, count) = values.fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    (count > 0).then(|| sum / count as f64)
}

/// Statistics of one batch of episodes (those finished in one iteration).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchStats {
    pub episodes: usize,
    pub mean_score: f64,
    pub median_score: f64,
    pub max_score: f64,
    pub max_tile: u32,
    pub mean_length: f64,
}

impl BatchStats {
    /// `None` for no episodes. The median of an even count is the mean of the middle two.
    pub fn of(episodes: &[Episode]) -> Option<Self> {
        if episodes.is_empty() {
            return None;
        }
        let mut scores: Vec<f64> = episodes.iter().map(|e| e.score).collect();
        scores.sort_by(f64::total_cmp);
        let middle = scores.len() / 2;
        let median_score = if scores.len() % 2 == 1 {
            scores[middle]
        } else {
            (scores[middle - 1] + scores[middle]) / 2.0
        };
        let n = episodes.len() as f64;
        Some(BatchStats {
            episodes: episodes.len(),
            mean_score: scores.iter().sum::<f64>() / n,
            median_score,
            max_score: scores[scores.len() - 1],
            max_tile: episodes.iter().map(|e| e.max_tile).max().unwrap_or(0),
            mean_length: episodes.iter().map(|e| f64::from(e.length)).sum::<f64>() / n,
        })
    }
}

/// One line of `metrics.jsonl`: the state of training after one iteration (one rollout and
/// one PPO update). Counts and times include the runs this one resumed from. Fields that need
/// episodes are `null` until there are some.
///
/// - `iteration`: updates done in total (1 for the first iteration of a fresh run).
/// - `elapsed_s`: seconds of training (setup, evaluation and reports not counted).
/// - `env_steps`: environment steps collected in total.
/// - `episodes`: episodes finished in total; `iteration_episodes`: in this iteration.
/// - `score_mean`, `score_median`, `score_max`, `max_tile`, `length_mean`: over the episodes
///   finished in this iteration (score = sum of merged tiles; length = moves).
/// - `score_avg_100`, `score_avg_1000`, `length_avg_100`: means over the last 100 / 1000
///   episodes (over all so far while fewer have finished).
/// - `best_score`, `best_tile`: the highest ever, in training.
/// - `reach_rates`: `{"128": share, ..., "4096": share}`: the share of the last
///   `reach_window` episodes (at most 1000) whose largest tile is at least that tile.
/// - `steps_per_s`: this iteration's env steps over its wall time (rollout + update);
///   `steps_per_s_overall`: `env_steps / elapsed_s`.
/// - `rollout_s`, `update_s`: the iteration's rollout and update times.
/// - `learning_rate`: the (annealed) rate of this update; `policy_loss`, `value_loss`,
///   `entropy`, `approx_kl`, `clip_fraction`: means over the update's minibatches;
///   `grad_norm`: mean global gradient norm before clipping; `explained_variance`: of the
///   rollout's value estimates for its returns.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IterationMetrics {
    pub iteration: u64,
    pub elapsed_s: f64,
    pub env_steps: u64,
    pub episodes: u64,
    pub iteration_episodes: usize,
    pub score_mean: Option<f64>,
    pub score_median: Option<f64>,
    pub score_max: Option<f64>,
    pub score_avg_100: Option<f64>,
    pub score_avg_1000: Option<f64>,
    pub best_score: Option<f64>,
    pub max_tile: Option<u32>,
    pub best_tile: Option<u32>,
    pub length_mean: Option<f64>,
    pub length_avg_100: Option<f64>,
    pub reach_window: usize,
    pub reach_rates: BTreeMap<u32, f64>,
    pub steps_per_s: f64,
    pub steps_per_s_overall: f64,
    pub rollout_s: f64,
    pub update_s: f64,
    pub learning_rate: f64,
    pub policy_loss: f64,
    pub value_loss: f64,
    pub entropy: f64,
    pub approx_kl: f64,
    pub clip_fraction: f64,
    pub grad_norm: f64,
    pub explained_variance: f64,
}

/// What the manager knows after an iteration, before the metrics are derived.
#[derive(Clone, Copy, Debug)]
pub struct IterationInputs<'a> {
    pub iteration: u64,
    pub elapsed_s: f64,
    pub env_steps: u64,
    /// The iteration's wall time (rollout and update).
    pub iteration_s: f64,
    pub finished: &'a [Episode],
    pub rollout: RolloutStats,
    pub update: UpdateStats,
}

impl IterationMetrics {
    /// The metrics of an iteration whose `finished` episodes are already in `window`.
    pub fn compute(inputs: &IterationInputs<'_>, window: &EpisodeWindow) -> Self {
        let batch = BatchStats::of(inputs.finished);
        let per_second = |steps: f64, seconds: f64| {
            if seconds > 0.0 { steps / seconds } else { 0.0 }
        };
        let u = &inputs.update;
        IterationMetrics {
            iteration: inputs.iteration,
            elapsed_s: inputs.elapsed_s,
            env_steps: inputs.env_steps,
            episodes: window.total(),
            iteration_episodes: inputs.finished.len(),
            score_mean: batch.map(|b| b.mean_score),
            score_median: batch.map(|b| b.median_score),
            score_max: batch.map(|b| b.max_score),
            score_avg_100: window.mean_score(SHORT_WINDOW),
            score_avg_1000: window.mean_score(LONG_WINDOW),
            best_score: window.best_score(),
            max_tile: batch.map(|b| b.max_tile),
            best_tile: window.best_tile(),
            length_mean: batch.map(|b| b.mean_length),
            length_avg_100: window.mean_length(SHORT_WINDOW),
            reach_window: window.len(),
            reach_rates: window.reach_rates(),
            steps_per_s: per_second(inputs.rollout.env_steps as f64, inputs.iteration_s),
            steps_per_s_overall: per_second(inputs.env_steps as f64, inputs.elapsed_s),
            rollout_s: inputs.rollout.seconds,
            update_s: u.seconds,
            learning_rate: u.learning_rate,
            policy_loss: u.policy_loss,
            value_loss: u.value_loss,
            entropy: u.entropy,
            approx_kl: u.approx_kl,
            clip_fraction: u.clip_fraction,
            grad_norm: u.grad_norm,
            explained_variance: u.explained_variance,
        }
    }
}
