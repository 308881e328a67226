//! A training run's settings resolved into what the manager runs with: the request's PPO
//! overrides applied to the default configuration or, when resuming, to the checkpoint's (a
//! field given overrides the checkpoint, a field left out keeps its value), and the budget
//! turned into a learning-rate schedule.

use super::broadcast::METRICS_FILE;
use super::interval::CheckpointInterval;
use super::progress::ProgressMode;
use super::schedule::Schedule;
use super::settings::TrainSettings;
use crate::checkpoint::Checkpoint;
use crate::error::RunError;
use crate::ppo::{Budget, PpoConfig};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

/// Training time of a run without `--minutes`/`--updates`: with startup, the 1,000-game greedy
/// evaluation and the timing report, the default run takes about 5 minutes on the 2-core
/// development machine (see the report of `cargo run -p trainer`).
pub const DEFAULT_TRAINING_TIME: Duration = Duration::from_secs(285);

/// A checkpoint and the file it came from.
#[derive(Clone, Debug)]
pub struct Resume {
    pub path: PathBuf,
    pub checkpoint: Checkpoint,
}

/// Everything the training manager runs with; serialises every PPO and manager setting.
#[derive(Clone, Debug, Serialize)]
pub struct ManagerSettings {
    pub config: PpoConfig,
    pub schedule: Schedule,
    pub checkpoint_dir: PathBuf,
    pub checkpoint_every: CheckpointInterval,
    pub keep_checkpoints: usize,
    pub metrics_path: PathBuf,
    /// Whether `metrics.jsonl` keeps its lines (a resumed run continues the stream).
    pub append_metrics: bool,
    /// How progress is shown depends on where stdout goes, not on the run.
    #[serde(skip)]
    pub progress: ProgressMode,
}

impl ManagerSettings {
    pub fn resolve(settings: &TrainSettings, resume: Option<&Resume>) -> Result<Self, RunError> {
        let mut config = match resume {
            Some(r) => r.checkpoint.config(&r.path)?,
            None => PpoConfig::default(),
        };
        if let Some(hidden) = &settings.hidden {
            if let Some(r) = resume {
                r.checkpoint.check_hidden(&r.path, hidden)?;
            }
            config.hidden = hidden.clone();
        }
        if let Some(envs) = settings.envs {
            config.num_envs = envs;
        }
        if let Some(steps) = settings.steps {
            config.num_steps = steps;
        }
        if let Some(threads) = settings.threads {
            config.threads = threads;
        }
        if let Some(seed) = settings.seed {
            config.seed = seed;
        }
        if let Some(lr) = settings.lr {
            config.learning_rate = lr;
        }
        if let Some(reward) = settings.reward {
            config.reward = reward;
        }
        config.validate()?;

        let explicit_budget = match (settings.updates, settings.minutes) {
            (Some(updates), _) => Some(Budget::Updates(updates)),
            (None, Some(minutes)) => {
                Some(Budget::WallTime(Duration::from_secs_f64(minutes * 60.0)))
            }
            (None, None) => None,
        };
        let unfinished = resume
            .map(|r| Schedule::from_state(&r.checkpoint.metadata.schedule))
            .filter(|s| !s.is_finished());
        let schedule = match (explicit_budget, unfinished) {
            (Some(budget), _) => Schedule::new(budget, config.learning_rate),
            (None, Some(schedule)) if settings.lr.is_some() => {
                schedule.with_initial_learning_rate(config.learning_rate)
            }
            (None, Some(schedule)) => schedule,
            (None, None) => Schedule::new(
                Budget::WallTime(DEFAULT_TRAINING_TIME),
                config.learning_rate,
            ),
        };
        Ok(ManagerSettings {
            config,
            schedule,
            checkpoint_dir: settings.checkpoint_dir.clone(),
            checkpoint_every: settings.checkpoint_every,
            keep_checkpoints: settings.keep_checkpoints,
            metrics_path: settings.log_dir.join(METRICS_FILE),
            append_metrics: resume.is_some(),
            progress: ProgressMode::for_stdout(Duration::from_secs_f64(settings.status_every)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_fresh_run_resolves_to_the_defaults_and_serialises_every_setting() {
        let settings = TrainSettings {
            updates: Some(50),
            envs: Some(64),
            ..TrainSettings::default()
        };
        let resolved = ManagerSettings::resolve(&settings, None).unwrap();
        assert_eq!(
            resolved.config,
            PpoConfig {
                num_envs: 64,
                ..PpoConfig::default()
            }
        );
        assert_eq!(
            serde_json::to_value(&resolved).unwrap(),
            json!({
                "config": {
                    "num_envs": 64, "num_steps": 32, "epochs": 4, "minibatches": 4,
                    "hidden": [256, 256], "learning_rate": 1e-3, "gamma": 0.99,
                    "gae_lambda": 0.95, "clip_coef": 0.2, "vf_coef": 0.5, "ent_coef": 0.01,
                    "max_grad_norm": 0.5, "adam_eps": 1e-5, "normalize_advantages": true,
                    "threads": 2, "seed": 0, "reward": "scaled"
                },
                "schedule": {
                    "budget": {"updates": 50}, "initial_learning_rate": 1e-3,
                    "done_updates": 0, "done_seconds": 0.0
                },
                "checkpoint_dir": "checkpoints",
                "checkpoint_every": "120s",
                "keep_checkpoints": 3,
                "metrics_path": "logs/metrics.jsonl",
                "append_metrics": false
            })
        );
        let default_budget = ManagerSettings::resolve(&TrainSettings::default(), None).unwrap();
        assert_eq!(
            default_budget.schedule.budget(),
            Budget::WallTime(DEFAULT_TRAINING_TIME)
        );
    }

    #[test]
    fn fields_that_do_not_fit_together_are_refused_by_the_ppo_configuration() {
        let settings = TrainSettings {
            envs: Some(3),
            threads: Some(2),
            ..TrainSettings::default()
        };
        let error = ManagerSettings::resolve(&settings, None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid PPO configuration: num_envs 3 must be a multiple of threads 2 (each \
             thread steps an equal shard)"
        );
        assert_eq!(error.exit_code(), 2);
    }
}
