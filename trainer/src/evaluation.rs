//! Evaluation reports: the greedy policy of a trainer or a checkpoint, and the uniformly random
//! legal policy as the baseline, in one format.

use crate::checkpoint::load_checkpoint;
use crate::error::{RunError, SettingsError};
use crate::game::{Episode, EpisodeSummary, play_random_games};
use crate::ppo::{GameEnv, Trainer, evaluate_greedy};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Instant;
use timed_runtime::timed;

/// Seed of the evaluation games by default, so that every evaluation (after training, of a
/// checkpoint, of the random policy) plays the same games and the numbers compare.
pub const EVALUATION_SEED: u64 = 2048;

/// The most games one evaluation plays (each live game holds its board and inputs in memory).
pub const MAX_GAMES: usize = 10_000_000;

/// The most worker threads an evaluation of a checkpoint starts.
pub const MAX_EVAL_THREADS: usize = 256;

/// The evaluation of a checkpoint's greedy policy (`trainer eval`, or the same as JSON:
/// `{"checkpoint": "checkpoints/final.ckpt", "games": 1000}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvalSettings {
    /// The checkpoint whose policy plays.
    pub checkpoint: PathBuf,
    #[serde(default = "default_games")]
    pub games: usize,
    /// Seed of the games (the training run's evaluation uses [`EVALUATION_SEED`]).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Worker threads for the batched forward passes.
    #[serde(default = "default_threads")]
    pub threads: usize,
}

fn default_games() -> usize {
    1000
}

fn default_seed() -> u64 {
    EVALUATION_SEED
}

fn default_threads() -> usize {
    2
}

impl EvalSettings {
    /// The evaluation of `checkpoint` with the default games, seed and threads.
    pub fn new(checkpoint: PathBuf) -> Self {
        EvalSettings {
            checkpoint,
            games: default_games(),
            seed: default_seed(),
            threads: default_threads(),
        }
    }

    /// The first field whose value cannot be used.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if !(1..=MAX_GAMES).contains(&self.games) {
            return Err(SettingsError {
                field: "games",
                problem: format!("{} is not between 1 and {MAX_GAMES}", self.games),
            });
        }
        if !(1..=MAX_EVAL_THREADS).contains(&self.threads) {
            return Err(SettingsError {
                field: "threads",
                problem: format!("{} is not between 1 and {MAX_EVAL_THREADS}", self.threads),
            });
        }
        Ok(())
    }
}

/// The tiles whose reach rate is reported, in training metrics and evaluations.
pub const REACH_TILES: [u32; 6] = [128, 256, 512, 1024, 2048, 4096];

#[derive(Clone, Debug, PartialEq)]
pub struct EvaluationReport {
    /// Which policy played, e.g. `greedy policy` or `random legal policy`.
    pub policy: String,
    pub games: usize,
    pub seconds: f64,
    pub mean_score: f64,
    pub median_score: f64,
    pub max_score: u32,
    pub mean_moves: f64,
    /// How many games ended with each largest tile.
    pub max_tiles: BTreeMap<u32, usize>,
    /// `(tile, share of games whose largest tile is at least tile)` for [`REACH_TILES`].
    pub reached: Vec<(u32, f64)>,
}

impl EvaluationReport {
    /// `None` for no games.
    pub fn from_episodes(policy: &str, episodes: &[Episode], seconds: f64) -> Option<Self> {
        let summary = EpisodeSummary::from_episodes(episodes)?;
        let mut max_tiles = BTreeMap::new();
        for episode in episodes {
            *max_tiles.entry(episode.max_tile).or_insert(0) += 1;
        }
        Some(EvaluationReport {
            policy: policy.to_string(),
            games: summary.games,
            seconds,
            mean_score: summary.mean_score,
            median_score: summary.median_score,
            max_score: episodes.iter().map(|e| e.score).max().unwrap_or(0),
            mean_moves: summary.mean_moves,
            max_tiles,
            reached: REACH_TILES
                .iter()
                .map(|&tile| (tile, summary.fraction_reaching(tile)))
                .collect(),
        })
    }
}

impl fmt::Display for EvaluationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: {} games in {:.2} s",
            self.policy, self.games, self.seconds
        )?;
        writeln!(
            f,
            "  score     mean {:.1}  median {:.1}  max {}",
            self.mean_score, self.median_score, self.max_score
        )?;
        writeln!(f, "  moves     mean {:.1}", self.mean_moves)?;
        write!(f, "  max tile ")?;
        for (tile, count) in &self.max_tiles {
            write!(
                f,
                "  {tile}: {:.1}%",
                100.0 * *count as f64 / self.games as f64
            )?;
        }
        writeln!(f)?;
        write!(f, "  reached  ")?;
        for (tile, share) in &self.reached {
            write!(f, "  {tile}: {:.1}%", 100.0 * share)?;
        }
        writeln!(f)
    }
}

/// The uniformly random legal policy over `games` games (`None` for 0 games).
pub fn random_baseline(games: usize, seed: u64) -> Option<EvaluationReport> {
    let start = Instant::now();
    let episodes = play_random_games(games, seed);
    EvaluationReport::from_episodes(
        "random legal policy",
        &episodes,
        start.elapsed().as_secs_f64(),
    )
}

/// The greedy policy of `trainer` over `games` games (`None` for 0 games).
#[timed(component = "training_manager", phase = "evaluation")]
pub fn evaluate_policy(
    trainer: &mut Trainer<GameEnv>,
    games: usize,
    seed: u64,
    policy: &str,
) -> Option<EvaluationReport> {
    timed_runtime::details!(games = games);
    let start = Instant::now();
    let episodes = evaluate_greedy(trainer, games, seed);
    EvaluationReport::from_episodes(policy, &episodes, start.elapsed().as_secs_f64())
}

/// The greedy policy of the checkpoint `settings` name, its forward passes split over its
/// threads (`None` for no games).
pub fn evaluate_checkpoint(settings: &EvalSettings) -> Result<Option<EvaluationReport>, RunError> {
    settings.validate()?;
    let path = settings.checkpoint.as_path();
    let threads = settings.threads;
    let checkpoint = load_checkpoint(path)?;
    let mut config = checkpoint.config(path)?;
    // Only the network matters here: one environment per thread, and a minibatch sized so each
    // worker runs forward passes over blocks of 256 games.
    config.threads = threads;
    config.num_envs = threads;
    config.num_steps = 256;
    config.minibatches = 1;
    let mut trainer = Trainer::new(config)?;
    checkpoint.restore_into(&mut trainer, path)?;
    let policy = format!("greedy policy of {}", path.display());
    Ok(evaluate_policy(
        &mut trainer,
        settings.games,
        settings.seed,
        &policy,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eval_settings_read_from_json_with_the_commands_defaults() {
        let settings: EvalSettings =
            serde_json::from_str(r#"{"checkpoint": "checkpoints/final.ckpt"}"#).unwrap();
        assert_eq!(
            settings,
            EvalSettings::new(PathBuf::from("checkpoints/final.ckpt"))
        );
        assert_eq!(
            (settings.games, settings.seed, settings.threads),
            (1000, 2048, 2)
        );
        assert_eq!(settings.validate(), Ok(()));
        assert_eq!(
            serde_json::from_str::<EvalSettings>(r#"{"games": 5}"#)
                .unwrap_err()
                .to_string(),
            "missing field `checkpoint` at line 1 column 12"
        );
    }

    #[test]
    fn eval_settings_no_evaluation_can_use_are_refused_naming_the_field() {
        let refused = |games, threads| {
            let settings = EvalSettings {
                games,
                threads,
                ..EvalSettings::new(PathBuf::from("a.ckpt"))
            };
            settings.validate().unwrap_err().to_string()
        };
        assert_eq!(
            refused(0, 2),
            "invalid setting `games`: 0 is not between 1 and 10000000"
        );
        assert_eq!(
            refused(10_000_001, 2),
            "invalid setting `games`: 10000001 is not between 1 and 10000000"
        );
        assert_eq!(
            refused(10, 0),
            "invalid setting `threads`: 0 is not between 1 and 256"
        );
        assert_eq!(
            refused(10, 257),
            "invalid setting `threads`: 257 is not between 1 and 256"
        );
    }
}
