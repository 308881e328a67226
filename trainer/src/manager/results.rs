//! What a training run achieved, as its manifest's `results` (`logs/run.json`): the figures a
//! comparison of two runs starts from.

use super::{StopReason, TrainingOutcome};
use crate::checkpoint::Counters;
use crate::evaluation::EvaluationReport;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunResults {
    /// `budget spent` or `interrupted`.
    pub stopped: &'static str,
    /// This run's share: updates, env steps, episodes and training seconds.
    pub updates: u64,
    pub env_steps: u64,
    pub episodes: u64,
    pub training_seconds: f64,
    /// This run's env steps per second of training.
    pub env_steps_per_s: f64,
    /// The totals, counting the runs this one resumed from.
    pub totals: Counters,
    /// From the last iteration's metrics: the moving averages of the training episodes' scores.
    pub score_avg_100: Option<f64>,
    pub score_avg_1000: Option<f64>,
    pub best_score: Option<f64>,
    pub best_tile: Option<u32>,
    /// The greedy evaluation after training (`null` when it was skipped).
    pub evaluation: Option<EvaluationResults>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EvaluationResults {
    pub games: usize,
    pub mean_score: f64,
    pub median_score: f64,
    pub max_score: u32,
    pub mean_moves: f64,
    /// Share of games whose largest tile reached each tile.
    pub reach_rates: BTreeMap<u32, f64>,
}

impl From<&EvaluationReport> for EvaluationResults {
    fn from(report: &EvaluationReport) -> Self {
        EvaluationResults {
            games: report.games,
            mean_score: report.mean_score,
            median_score: report.median_score,
            max_score: report.max_score,
            mean_moves: report.mean_moves,
            reach_rates: report.reached.iter().copied().collect(),
        }
    }
}

impl RunResults {
    pub fn new(outcome: &TrainingOutcome, evaluation: Option<&EvaluationReport>) -> Self {
        let run = outcome.run;
        let metrics = outcome.last_metrics.as_ref();
        RunResults {
            stopped: match outcome.reason {
                StopReason::BudgetSpent => "budget spent",
                StopReason::Interrupted => "interrupted",
            },
            updates: run.updates,
            env_steps: run.env_steps,
            episodes: run.episodes,
            training_seconds: run.training_seconds,
            env_steps_per_s: if run.training_seconds > 0.0 {
                run.env_steps as f64 / run.training_seconds
            } else {
                0.0
            },
            totals: outcome.counters,
            score_avg_100: metrics.and_then(|m| m.score_avg_100),
            score_avg_1000: metrics.and_then(|m| m.score_avg_1000),
            best_score: metrics.and_then(|m| m.best_score),
            best_tile: metrics.and_then(|m| m.best_tile),
            evaluation: evaluation.map(EvaluationResults::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::PathBuf;

    #[test]
    fn results_say_this_runs_share_the_totals_and_the_evaluation() {
        let outcome = TrainingOutcome {
            reason: StopReason::BudgetSpent,
            counters: Counters {
                updates: 7,
                env_steps: 700,
                episodes: 9,
                training_seconds: 3.5,
            },
            run: Counters {
                updates: 3,
                env_steps: 300,
                episodes: 4,
                training_seconds: 1.5,
            },
            final_checkpoint: PathBuf::from("checkpoints/final.ckpt"),
            last_metrics: None,
        };
        let report = EvaluationReport {
            policy: "greedy policy".into(),
            games: 4,
            seconds: 0.5,
            mean_score: 1500.0,
            median_score: 1200.0,
            max_score: 3000,
            mean_moves: 150.25,
            max_tiles: BTreeMap::from([(128, 2), (256, 2)]),
            reached: vec![(128, 1.0), (256, 0.5), (1024, 0.0)],
        };
        assert_eq!(
            serde_json::to_value(RunResults::new(&outcome, Some(&report))).unwrap(),
            json!({
                "stopped": "budget spent",
                "updates": 3, "env_steps": 300, "episodes": 4, "training_seconds": 1.5,
                "env_steps_per_s": 200.0,
                "totals": {"updates": 7, "env_steps": 700, "episodes": 9, "training_seconds": 3.5},
                "score_avg_100": null, "score_avg_1000": null, "best_score": null,
                "best_tile": null,
                "evaluation": {
                    "games": 4, "mean_score": 1500.0, "median_score": 1200.0, "max_score": 3000,
                    "mean_moves": 150.25, "reach_rates": {"128": 1.0, "256": 0.5, "1024": 0.0}
                }
            })
        );
        let interrupted = TrainingOutcome {
            reason: StopReason::Interrupted,
            run: Counters::default(),
            ..outcome
        };
        let results = serde_json::to_value(RunResults::new(&interrupted, None)).unwrap();
        assert_eq!(results["stopped"], "interrupted");
        assert_eq!(results["env_steps_per_s"], 0.0);
        assert_eq!(results["evaluation"], serde_json::Value::Null);
    }
}
