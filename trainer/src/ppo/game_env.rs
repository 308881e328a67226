//! 2048's `VecEnv` as a PPO environment batch, and the trainer constructor that uses it.

use super::config::{ConfigError, PpoConfig};
use super::environment::{Episode, VecEnvironment};
use super::trainer::Trainer;
use crate::env::{StepOutcome, VecEnv};
use crate::model::MlpShape;

/// A shard of 2048 games plus the per-step outcome buffer `VecEnv::step` writes into.
pub struct GameEnv {
    env: VecEnv,
    outcomes: Vec<StepOutcome>,
}

impl GameEnv {
    pub fn new(games: usize, seed: u64) -> Self {
        GameEnv {
            env: VecEnv::new(games, seed),
            outcomes: vec![StepOutcome::default(); games],
        }
    }

    pub fn vec_env(&self) -> &VecEnv {
        &self.env
    }
}

impl VecEnvironment for GameEnv {
    fn num_envs(&self) -> usize {
        self.env.len()
    }

    fn write_observations(&self, inputs: &mut [u16]) {
        self.env.write_observations(inputs);
    }

    fn write_legal_masks(&self, masks: &mut [u8]) {
        self.env.write_legal_masks(masks);
    }

    fn step(
        &mut self,
        actions: &[u8],
        rewards: &mut [f32],
        dones: &mut [bool],
        finished: &mut Vec<Episode>,
    ) {
        self.env.step(actions, &mut self.outcomes);
        for ((outcome, reward), done) in self.outcomes.iter().zip(rewards).zip(dones) {
            *reward = outcome.reward as f32;
            *done = outcome.episode.is_some();
            if let Some(episode) = outcome.episode {
                finished.push(Episode {
                    score: episode.score as f64,
                    length: episode.moves,
                    max_tile: episode.max_tile,
                });
            }
        }
    }
}

impl Trainer<GameEnv> {
    /// A 2048 trainer: `config.hidden` sized MLP over the 16 x 16 one-hot board.
    pub fn new(config: PpoConfig) -> Result<Self, ConfigError> {
        let shape = MlpShape::for_2048(config.hidden.clone());
        Trainer::with_envs(config, shape, |_shard, games, seed| {
            GameEnv::new(games, seed)
        })
    }

    /// Illegal actions the environments received (always 0 with a masked policy).
    pub fn illegal_actions(&self) -> u64 {
        self.shards()
            .iter()
            .map(|s| s.env.vec_env().illegal_actions())
            .sum()
    }
}
