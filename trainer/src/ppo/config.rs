//! Every PPO hyperparameter in one place. The defaults are CleanRL's `ppo.py` / the JAX anchor's
//! (`/work/shared/anchors/jax_ppo_2048`) in its 256 envs x 32 steps configuration, except the
//! learning rate (see `DEFAULT_LEARNING_RATE`).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How the raw 2048 merge score of a move becomes the reward PPO learns from. Written as
/// [`RewardShaping::name`] (`log` is read as `log2`, as on the command line).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RewardShaping {
    /// The merge score itself.
    Raw,
    /// The merge score / 100 (the anchor's default: much better than log2 on a 5-minute budget).
    Scaled,
    /// log2(1 + merge score).
    #[serde(alias = "log")]
    Log2,
}

impl RewardShaping {
    #[inline]
    pub fn apply(self, raw: f32) -> f32 {
        match self {
            RewardShaping::Raw => raw,
            RewardShaping::Scaled => raw / 100.0,
            RewardShaping::Log2 => (1.0 + raw).log2(),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            RewardShaping::Raw => "raw",
            RewardShaping::Scaled => "scaled",
            RewardShaping::Log2 => "log2",
        }
    }
}

impl FromStr for RewardShaping {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "raw" => Ok(RewardShaping::Raw),
            "scaled" => Ok(RewardShaping::Scaled),
            "log2" => Ok(RewardShaping::Log2),
            other => Err(format!(
                "unknown reward shaping `{other}`: expected raw, scaled or log2"
            )),
        }
    }
}

/// Initial learning rate, 4x CleanRL's 2.5e-4. Measured on 2048 (seed 0, 2,141 updates =
/// 17.5 M env steps, linear annealing, greedy evaluation over 1,000 games): 2.5e-4 gave mean
/// 8,072 (1024 reached in 24.1% of games, 2048 in 0.3%), 5e-4 gave 10,814 (48.0%, 3.8%),
/// 1e-3 gave 11,814 (56.6%, 3.5%).
pub const DEFAULT_LEARNING_RATE: f64 = 1e-3;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PpoConfig {
    /// Parallel environments (split evenly across `threads`).
    pub num_envs: usize,
    /// Steps per environment per rollout.
    pub num_steps: usize,
    pub epochs: usize,
    pub minibatches: usize,
    pub hidden: Vec<usize>,
    /// Initial learning rate; the training loop anneals it linearly to 0 over the budget.
    pub learning_rate: f64,
    pub gamma: f64,
    pub gae_lambda: f64,
    pub clip_coef: f64,
    pub vf_coef: f64,
    pub ent_coef: f64,
    pub max_grad_norm: f64,
    pub adam_eps: f64,
    /// Per-minibatch advantage normalisation (CleanRL's `norm_adv`).
    pub normalize_advantages: bool,
    /// Worker threads for the rollout (one env shard each) and the update (data parallel).
    pub threads: usize,
    pub seed: u64,
    pub reward: RewardShaping,
}

impl Default for PpoConfig {
    fn default() -> Self {
        PpoConfig {
            num_envs: 256,
            num_steps: 32,
            epochs: 4,
            minibatches: 4,
            hidden: vec![256, 256],
            learning_rate: DEFAULT_LEARNING_RATE,
            gamma: 0.99,
            gae_lambda: 0.95,
            clip_coef: 0.2,
            vf_coef: 0.5,
            ent_coef: 0.01,
            max_grad_norm: 0.5,
            adam_eps: 1e-5,
            normalize_advantages: true,
            threads: 2,
            seed: 0,
            reward: RewardShaping::Scaled,
        }
    }
}

/// Hidden layer widths as the command line takes them: `256,256`.
pub fn join_sizes(sizes: &[usize]) -> String {
    sizes
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid PPO configuration: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

impl PpoConfig {
    pub fn batch_size(&self) -> usize {
        self.num_envs * self.num_steps
    }

    pub fn minibatch_size(&self) -> usize {
        self.batch_size() / self.minibatches
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |msg: String| Err(ConfigError(msg));
        for (name, value) in [
            ("num_envs", self.num_envs),
            ("num_steps", self.num_steps),
            ("epochs", self.epochs),
            ("minibatches", self.minibatches),
            ("threads", self.threads),
        ] {
            if value == 0 {
                return fail(format!("{name} must be at least 1"));
            }
        }
        if !self.num_envs.is_multiple_of(self.threads) {
            return fail(format!(
                "num_envs {} must be a multiple of threads {} (each thread steps an equal shard)",
                self.num_envs, self.threads
            ));
        }
        if !self.batch_size().is_multiple_of(self.minibatches) {
            return fail(format!(
                "the batch of {} samples does not split into {} equal minibatches",
                self.batch_size(),
                self.minibatches
            ));
        }
        if self.batch_size() > u32::MAX as usize {
            return fail(format!(
                "batch of {} samples is too large",
                self.batch_size()
            ));
        }
        for (name, value) in [("gamma", self.gamma), ("gae_lambda", self.gae_lambda)] {
            if !(0.0..=1.0).contains(&value) {
                return fail(format!("{name} = {value} must lie in [0, 1]"));
            }
        }
        for (name, value) in [
            ("learning_rate", self.learning_rate),
            ("clip_coef", self.clip_coef),
            ("vf_coef", self.vf_coef),
            ("ent_coef", self.ent_coef),
            ("max_grad_norm", self.max_grad_norm),
            ("adam_eps", self.adam_eps),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return fail(format!("{name} = {value} must be finite and non-negative"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_anchors_and_valid() {
        let c = PpoConfig::default();
        assert_eq!((c.batch_size(), c.minibatch_size()), (8192, 2048));
        assert_eq!(c.validate(), Ok(()));
    }

    #[test]
    fn inconsistent_sizes_are_explained() {
        let odd_shards = PpoConfig {
            num_envs: 255,
            ..PpoConfig::default()
        };
        assert_eq!(
            odd_shards.validate().unwrap_err().to_string(),
            "invalid PPO configuration: num_envs 255 must be a multiple of threads 2 (each thread steps an equal shard)"
        );
        let bad_split = PpoConfig {
            minibatches: 3,
            ..PpoConfig::default()
        };
        assert_eq!(
            bad_split.validate().unwrap_err().0,
            "the batch of 8192 samples does not split into 3 equal minibatches"
        );
        let negative = PpoConfig {
            ent_coef: -0.1,
            ..PpoConfig::default()
        };
        assert_eq!(
            negative.validate().unwrap_err().0,
            "ent_coef = -0.1 must be finite and non-negative"
        );
    }

    #[test]
    fn reward_shapings_parse_and_apply() {
        assert_eq!("scaled".parse::<RewardShaping>(), Ok(RewardShaping::Scaled));
        assert_eq!(
            "log".parse::<RewardShaping>(),
            Err("unknown reward shaping `log`: expected raw, scaled or log2".to_string())
        );
        assert_eq!(RewardShaping::Raw.apply(12.0), 12.0);
        assert_eq!(RewardShaping::Scaled.apply(12.0), 0.12);
        assert_eq!(RewardShaping::Log2.apply(15.0), 4.0);
    }
}
