//! The training manager: owns the PPO trainer, runs iterations (rollout + update) until the
//! budget is spent or a stop is requested, derives each iteration's metrics, streams them,
//! shows progress and writes periodic and final checkpoints.
//!
//! Data flows one way: [`settings::TrainSettings`] (the request) is resolved into
//! [`resolve::ManagerSettings`], which the [`TrainingManager`] here runs; [`run::run_training`]
//! drives a whole run around it (timing session, evaluation, report) and tells a
//! [`observer::RunObserver`] what happens.

pub mod broadcast;
pub mod interval;
pub mod metrics;
pub mod observer;
pub mod progress;
pub mod report;
pub mod resolve;
pub mod results;
pub mod run;
pub mod schedule;
pub mod settings;

pub use interval::CheckpointInterval;
pub use metrics::{EpisodeWindow, IterationMetrics};
pub use observer::RunObserver;
pub use resolve::{ManagerSettings, Resume};
pub use results::RunResults;
pub use run::{ResumedFrom, run_training};
pub use schedule::Schedule;
pub use settings::TrainSettings;

use crate::checkpoint::{CheckpointStore, Counters, Metadata, SavedConfig, trainer_tensors};
use crate::error::RunError;
use crate::ppo::seeds::stream_seed;
use crate::ppo::{ConfigError, GameEnv, PpoConfig, RolloutStats, Trainer, UpdateStats};
use broadcast::MetricsStream;
use metrics::{IterationInputs, LONG_WINDOW};
use progress::ProgressDisplay;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use timed_runtime::timed;

/// Seed streams of a resumed run's environments and action sampling (offset by the update
/// count), so that it does not replay the games and draws its original run started with.
const RESUME_STREAM: u64 = 1 << 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    BudgetSpent,
    Interrupted,
}

/// How a training run ended.
#[derive(Clone, Debug)]
pub struct TrainingOutcome {
    pub reason: StopReason,
    /// Totals, counting the runs this one resumed from.
    pub counters: Counters,
    /// This run's share of the totals.
    pub run: Counters,
    pub final_checkpoint: PathBuf,
    pub last_metrics: Option<IterationMetrics>,
}

/// What one iteration did.
#[derive(Clone, Copy, Debug)]
pub struct IterationOutcome {
    pub rollout: RolloutStats,
    pub update: UpdateStats,
    pub seconds: f64,
}

pub struct TrainingManager {
    /// The configuration as saved: the resumed run's trainer runs on other seed streams.
    config: PpoConfig,
    trainer: Trainer<GameEnv>,
    schedule: Schedule,
    /// Counters when this run started, and now.
    base: Counters,
    counters: Counters,
    window: EpisodeWindow,
    stream: MetricsStream,
    progress: ProgressDisplay,
    store: CheckpointStore,
    interval: CheckpointInterval,
    last_checkpoint: (Instant, u64),
    last_metrics: Option<IterationMetrics>,
    /// The run's id, recorded in its checkpoints.
    run_id: Option<String>,
}

/// Builds the trainer: its environment shards, model, optimiser and worker threads.
#[timed(component = "training_manager", phase = "setup")]
pub fn create_environments(config: PpoConfig) -> Result<Trainer<GameEnv>, ConfigError> {
    timed_runtime::details!(
        envs = config.num_envs,
        threads = config.threads,
        steps = config.num_steps
    );
    Trainer::new(config)
}

impl TrainingManager {
    /// Sets up a fresh run, or continues `resume`'s (its network and optimiser state, counters,
    /// recent episodes; the schedule comes with `settings`).
    pub fn new(settings: ManagerSettings, resume: Option<&Resume>) -> Result<Self, RunError> {
        let mut trainer_config = settings.config.clone();
        if let Some(r) = resume {
            let updates = r.checkpoint.metadata.counters.updates;
            trainer_config.seed = stream_seed(settings.config.seed, RESUME_STREAM + updates);
        }
        let mut trainer = create_environments(trainer_config)?;
        let (base, window) = match resume {
            Some(r) => {
                r.checkpoint.restore_into(&mut trainer, &r.path)?;
                let m = &r.checkpoint.metadata;
                trainer.restore_counters(m.counters.env_steps, m.counters.updates);
                let window = EpisodeWindow::restore(
                    LONG_WINDOW,
                    &m.recent_episodes,
                    m.counters.episodes,
                    m.best_score,
                    m.best_tile,
                );
                (m.counters, window)
            }
            None => (Counters::default(), EpisodeWindow::new(LONG_WINDOW)),
        };
        let store = CheckpointStore::open(&settings.checkpoint_dir, settings.keep_checkpoints)?;
        let stream = MetricsStream::open(&settings.metrics_path, settings.append_metrics)?;
        Ok(TrainingManager {
            config: settings.config,
            trainer,
            schedule: settings.schedule,
            base,
            counters: base,
            window,
            stream,
            progress: ProgressDisplay::new(settings.progress),
            store,
            interval: settings.checkpoint_every,
            last_checkpoint: (Instant::now(), base.updates),
            last_metrics: None,
            run_id: None,
        })
    }

    /// Names the run in the checkpoints it writes from now on (its timing run's id).
    pub fn set_run_id(&mut self, id: impl Into<String>) {
        self.run_id = Some(id.into());
    }

    pub fn config(&self) -> &PpoConfig {
        &self.config
    }

    pub fn trainer_mut(&mut self) -> &mut Trainer<GameEnv> {
        &mut self.trainer
    }

    pub fn counters(&self) -> Counters {
        self.counters
    }

    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    pub fn window(&self) -> &EpisodeWindow {
        &self.window
    }

    pub fn metrics_path(&self) -> &std::path::Path {
        self.stream.path()
    }

    /// Trains until the budget is spent or `stop` is set (checked between iterations), then
    /// writes the final checkpoint. `observer` is told each iteration's metrics.
    pub fn run(
        &mut self,
        stop: &AtomicBool,
        observer: &mut dyn RunObserver,
    ) -> Result<TrainingOutcome, RunError> {
        let start = Instant::now();
        let schedule_seconds = self.schedule.done_seconds();
        self.last_checkpoint = (start, self.counters.updates);
        let reason = loop {
            self.schedule
                .set_seconds(schedule_seconds + start.elapsed().as_secs_f64());
            if self.schedule.is_finished() {
                break StopReason::BudgetSpent;
            }
            if stop.load(Ordering::SeqCst) {
                break StopReason::Interrupted;
            }
            let outcome = self.parallel_training(self.schedule.learning_rate());
            self.schedule.record_update();
            self.counters.training_seconds =
                self.base.training_seconds + start.elapsed().as_secs_f64();
            let metrics = self.process_metrics(&outcome);
            self.broadcast_metrics(&metrics, observer)?;
            self.last_metrics = Some(metrics);
            self.manage_checkpoints(false)?;
        };
        self.schedule
            .set_seconds(schedule_seconds + start.elapsed().as_secs_f64());
        self.progress.finish();
        let final_checkpoint = self
            .manage_checkpoints(true)?
            .expect("the final checkpoint is always written");
        Ok(TrainingOutcome {
            reason,
            counters: self.counters,
            run: Counters {
                updates: self.counters.updates - self.base.updates,
                env_steps: self.counters.env_steps - self.base.env_steps,
                episodes: self.counters.episodes - self.base.episodes,
                training_seconds: self.counters.training_seconds - self.base.training_seconds,
            },
            final_checkpoint,
            last_metrics: self.last_metrics.clone(),
        })
    }

    /// One iteration: a rollout over every environment, then a PPO update at `learning_rate`.
    #[timed(component = "training_manager", phase = "training")]
    pub fn parallel_training(&mut self, learning_rate: f64) -> IterationOutcome {
        let start = Instant::now();
        let rollout = self.trainer.collect_rollout();
        let update = self.trainer.update(learning_rate);
        self.counters.updates = self.trainer.updates();
        self.counters.env_steps = self.trainer.env_steps();
        timed_runtime::details!(
            iteration = self.counters.updates,
            env_steps = rollout.env_steps,
            episodes = rollout.episodes_finished
        );
        IterationOutcome {
            rollout,
            update,
            seconds: start.elapsed().as_secs_f64(),
        }
    }

    /// Takes in the iteration's finished episodes and derives its metrics.
    #[timed(component = "training_manager", phase = "metrics")]
    pub fn process_metrics(&mut self, outcome: &IterationOutcome) -> IterationMetrics {
        let finished = self.trainer.finished_episodes();
        timed_runtime::details!(episodes = finished.len());
        self.window.push_all(finished);
        self.counters.episodes = self.window.total();
        let inputs = IterationInputs {
            iteration: self.counters.updates,
            elapsed_s: self.counters.training_seconds,
            env_steps: self.counters.env_steps,
            iteration_s: outcome.seconds,
            finished,
            rollout: outcome.rollout,
            update: outcome.update,
        };
        IterationMetrics::compute(&inputs, &self.window)
    }

    /// Appends the metrics to the stream, shows them and tells `observer`: with the dashboard,
    /// that is the broadcast to its clients (serialised once, handed to each client's bounded
    /// queue without waiting), timed here with the rest.
    #[timed(component = "training_manager", phase = "communication")]
    pub fn broadcast_metrics(
        &mut self,
        metrics: &IterationMetrics,
        observer: &mut dyn RunObserver,
    ) -> Result<(), RunError> {
        let bytes = self.stream.send(metrics)?;
        timed_runtime::details!(bytes = bytes);
        let progress = self.schedule.progress();
        self.progress.update(progress, metrics);
        observer.iteration(metrics, progress);
        Ok(())
    }

    /// Writes a periodic checkpoint when one is due, or the final one when `last`. Returns the
    /// path written, if any.
    #[timed(component = "training_manager", phase = "checkpoint")]
    pub fn manage_checkpoints(&mut self, last: bool) -> Result<Option<PathBuf>, RunError> {
        let (since, at_updates) = self.last_checkpoint;
        let due = match self.interval {
            CheckpointInterval::Never => false,
            CheckpointInterval::Every(every) => since.elapsed() >= every,
            CheckpointInterval::EveryUpdates(every) => self.counters.updates >= at_updates + every,
        };
        if !last && !due {
            return Ok(None);
        }
        let metadata = self.metadata();
        let names = self.trainer.adam().tensor_names();
        let tensors = trainer_tensors(&self.trainer, &names);
        let path = if last {
            self.store.save_final(&metadata, &tensors)?
        } else {
            self.store.save_periodic(&metadata, &tensors)?
        };
        timed_runtime::details!(final_checkpoint = last, updates = self.counters.updates);
        self.last_checkpoint = (Instant::now(), self.counters.updates);
        Ok(Some(path))
    }

    /// What a checkpoint of the current state records besides the tensors.
    pub fn metadata(&self) -> Metadata {
        Metadata {
            config: SavedConfig::from(&self.config),
            counters: self.counters,
            schedule: self.schedule.state(),
            adam_steps: self.trainer.adam().steps(),
            recent_episodes: self.window.records(),
            best_score: self.window.best_score(),
            best_tile: self.window.best_tile(),
            run_id: self.run_id.clone(),
        }
    }
}
