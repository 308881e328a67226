//! A training run's settings, from the command line and, when resuming, the checkpoint: a flag
//! given overrides the checkpoint, a flag left out keeps the checkpoint's value.

use super::broadcast::METRICS_FILE;
use super::progress::ProgressMode;
use super::schedule::Schedule;
use crate::checkpoint::Checkpoint;
use crate::cli::{CheckpointInterval, TrainArgs};
use crate::error::RunError;
use crate::ppo::{Budget, PpoConfig};
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

#[derive(Clone, Debug)]
pub struct TrainSettings {
    pub config: PpoConfig,
    pub schedule: Schedule,
    pub checkpoint_dir: PathBuf,
    pub checkpoint_every: CheckpointInterval,
    pub keep_checkpoints: usize,
    pub metrics_path: PathBuf,
    /// Whether `metrics.jsonl` keeps its lines (a resumed run continues the stream).
    pub append_metrics: bool,
    pub progress: ProgressMode,
}

impl TrainSettings {
    pub fn resolve(args: &TrainArgs, resume: Option<&Resume>) -> Result<Self, RunError> {
        let mut config = match resume {
            Some(r) => r.checkpoint.config(&r.path)?,
            None => PpoConfig::default(),
        };
        if let Some(hidden) = &args.hidden {
            if let Some(r) = resume {
                r.checkpoint.check_hidden(&r.path, &hidden.0)?;
            }
            config.hidden = hidden.0.clone();
        }
        if let Some(envs) = args.envs {
            config.num_envs = envs;
        }
        if let Some(steps) = args.steps {
            config.num_steps = steps;
        }
        if let Some(threads) = args.threads {
            config.threads = threads;
        }
        if let Some(seed) = args.seed {
            config.seed = seed;
        }
        if let Some(lr) = args.lr {
            config.learning_rate = lr;
        }
        if let Some(reward) = args.reward {
            config.reward = reward.into();
        }
        config.validate()?;

        let explicit_budget = match (args.updates, args.minutes) {
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
            (None, Some(schedule)) if args.lr.is_some() => {
                schedule.with_initial_learning_rate(config.learning_rate)
            }
            (None, Some(schedule)) => schedule,
            (None, None) => Schedule::new(
                Budget::WallTime(DEFAULT_TRAINING_TIME),
                config.learning_rate,
            ),
        };
        Ok(TrainSettings {
            config,
            schedule,
            checkpoint_dir: args.checkpoint_dir.clone(),
            checkpoint_every: args.checkpoint_every,
            keep_checkpoints: usize::try_from(args.keep_checkpoints).unwrap_or(usize::MAX),
            metrics_path: args.log_dir.join(METRICS_FILE),
            append_metrics: resume.is_some(),
            progress: ProgressMode::for_stdout(Duration::from_secs_f64(args.status_every)),
        })
    }
}
