//! Everything in a checkpoint besides the tensors: the configuration needed to continue, the
//! counters, the learning-rate schedule's position and the recent episodes behind the moving
//! averages. Stored as JSON inside the checksummed payload, so it stays readable by hand.

use crate::ppo::{Episode, PpoConfig, RewardShaping};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub config: SavedConfig,
    pub counters: Counters,
    pub schedule: ScheduleState,
    /// Adam's step count (its bias correction depends on it).
    pub adam_steps: u64,
    /// The last episodes of training (at most the metrics window), oldest first.
    pub recent_episodes: Vec<EpisodeRecord>,
    pub best_score: Option<f64>,
    pub best_tile: Option<u32>,
    /// The id of the run that wrote the checkpoint (its `run.json`'s): a run resumed from it,
    /// wherever the file has been moved or copied, says which run it continues. Absent in
    /// checkpoints of runs without an id, which read as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
}

/// Totals since the first run of this training, across resumes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    pub updates: u64,
    pub env_steps: u64,
    pub episodes: u64,
    /// Seconds spent in training iterations (setup, evaluation and reports excluded).
    pub training_seconds: f64,
}

/// Where the learning-rate schedule stood: `learning_rate = initial * (1 - done / total)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduleState {
    pub budget: SavedBudget,
    pub initial_learning_rate: f64,
    /// Updates done and seconds spent within this budget.
    pub done_updates: u64,
    pub done_seconds: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SavedBudget {
    Updates(u64),
    Seconds(f64),
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpisodeRecord {
    pub score: f64,
    pub length: u32,
    pub max_tile: u32,
}

impl From<Episode> for EpisodeRecord {
    fn from(e: Episode) -> Self {
        EpisodeRecord {
            score: e.score,
            length: e.length,
            max_tile: e.max_tile,
        }
    }
}

impl From<EpisodeRecord> for Episode {
    fn from(e: EpisodeRecord) -> Self {
        Episode {
            score: e.score,
            length: e.length,
            max_tile: e.max_tile,
        }
    }
}

/// `PpoConfig` as stored. Converting is written field by field without `..`, so a field added
/// to `PpoConfig` fails to compile here instead of silently not being saved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedConfig {
    pub num_envs: usize,
    pub num_steps: usize,
    pub epochs: usize,
    pub minibatches: usize,
    pub hidden: Vec<usize>,
    pub learning_rate: f64,
    pub gamma: f64,
    pub gae_lambda: f64,
    pub clip_coef: f64,
    pub vf_coef: f64,
    pub ent_coef: f64,
    pub max_grad_norm: f64,
    pub adam_eps: f64,
    pub normalize_advantages: bool,
    pub threads: usize,
    pub seed: u64,
    /// `raw`, `scaled` or `log2`.
    pub reward: String,
}

impl From<&PpoConfig> for SavedConfig {
    fn from(c: &PpoConfig) -> Self {
        let PpoConfig {
            num_envs,
            num_steps,
            epochs,
            minibatches,
            hidden,
            learning_rate,
            gamma,
            gae_lambda,
            clip_coef,
            vf_coef,
            ent_coef,
            max_grad_norm,
            adam_eps,
            normalize_advantages,
            threads,
            seed,
            reward,
        } = c.clone();
        SavedConfig {
            num_envs,
            num_steps,
            epochs,
            minibatches,
            hidden,
            learning_rate,
            gamma,
            gae_lambda,
            clip_coef,
            vf_coef,
            ent_coef,
            max_grad_norm,
            adam_eps,
            normalize_advantages,
            threads,
            seed,
            reward: reward.name().to_string(),
        }
    }
}

impl SavedConfig {
    /// The configuration, or why it cannot be one (an unknown reward shaping).
    pub fn to_config(&self) -> Result<PpoConfig, String> {
        let reward: RewardShaping = self.reward.parse()?;
        let s = self.clone();
        Ok(PpoConfig {
            num_envs: s.num_envs,
            num_steps: s.num_steps,
            epochs: s.epochs,
            minibatches: s.minibatches,
            hidden: s.hidden,
            learning_rate: s.learning_rate,
            gamma: s.gamma,
            gae_lambda: s.gae_lambda,
            clip_coef: s.clip_coef,
            vf_coef: s.vf_coef,
            ent_coef: s.ent_coef,
            max_grad_norm: s.max_grad_norm,
            adam_eps: s.adam_eps,
            normalize_advantages: s.normalize_advantages,
            threads: s.threads,
            seed: s.seed,
            reward,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_id_is_written_when_known_and_optional_when_read() {
        let metadata = Metadata {
            config: SavedConfig::from(&PpoConfig::default()),
            counters: Counters::default(),
            schedule: ScheduleState {
                budget: SavedBudget::Updates(1),
                initial_learning_rate: 1e-3,
                done_updates: 0,
                done_seconds: 0.0,
            },
            adam_steps: 0,
            recent_episodes: Vec::new(),
            best_score: None,
            best_tile: None,
            run_id: None,
        };
        let without = serde_json::to_value(&metadata).unwrap();
        assert!(without.get("run_id").is_none(), "{without}");
        let read: Metadata = serde_json::from_value(without).unwrap();
        assert_eq!(read, metadata);
        let with = Metadata {
            run_id: Some("20261201T201809Z".into()),
            ..metadata
        };
        let written = serde_json::to_value(&with).unwrap();
        assert_eq!(written["run_id"], "20261201T201809Z");
        assert_eq!(serde_json::from_value::<Metadata>(written).unwrap(), with);
    }
}
