//! Proximal policy optimisation (CleanRL's `ppo.py`, PureJaxRL's layout), readable top to
//! bottom: `config` -> `environment` -> `rollout` (+ `sampling`, `gae`) -> `update` (+ `loss`,
//! `normalize`) -> `trainer` -> `schedule` (the training loop with learning-rate annealing).

pub mod buffer;
pub mod config;
pub mod environment;
pub mod evaluate;
pub mod gae;
pub mod game_env;
pub mod loss;
pub mod normalize;
pub mod parallel;
pub mod rollout;
pub mod sampling;
pub mod schedule;
pub mod seeds;
pub mod stats;
pub mod trainer;
pub mod update;

pub use config::{ConfigError, PpoConfig, RewardShaping};
pub use environment::{Episode, VecEnvironment};
pub use evaluate::evaluate_greedy;
pub use game_env::GameEnv;
pub use schedule::{Budget, IterationReport, train};
pub use stats::{RolloutStats, UpdateStats};
pub use trainer::Trainer;
