//! What a training run is asked to do: the `train` command's flags, or the same settings as
//! JSON (each field is the flag of the same name with `_` for `-`: `{"updates": 50, "envs":
//! 64, "hidden": [128, 128], "reward": "log2", "checkpoint_every": "10u"}`; a field left out
//! takes the flag's default).
//!
//! The PPO fields are overrides: left out, they keep the default configuration or, on
//! `resume`, the checkpoint's. [`TrainSettings::validate`] checks each field on its own and
//! names the one it refuses; whether the fields fit together (`envs` a multiple of `threads`,
//! ...) is checked when they are resolved against the checkpoint, by [`crate::ppo::PpoConfig`].

use super::interval::CheckpointInterval;
use crate::error::SettingsError;
use crate::evaluation::MAX_GAMES;
use crate::ppo::RewardShaping;
use crate::timing::TimingMode;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// The longest training budget accepted, in minutes (about two years).
pub const MAX_MINUTES: f64 = 1e6;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainSettings {
    /// Training budget in minutes; at most one of `minutes` and `updates`. With neither, a
    /// resumed run continues its unfinished budget, and any other run trains for
    /// [`super::resolve::DEFAULT_TRAINING_TIME`].
    pub minutes: Option<f64>,
    /// Training budget in updates (one rollout plus one PPO update each).
    pub updates: Option<u64>,
    /// Parallel environments.
    pub envs: Option<usize>,
    /// Steps per environment per rollout.
    pub steps: Option<usize>,
    /// Worker threads.
    pub threads: Option<usize>,
    /// Seed of every random stream.
    pub seed: Option<u64>,
    /// Initial learning rate, annealed linearly to 0 over the budget.
    pub lr: Option<f64>,
    /// Hidden layer widths.
    pub hidden: Option<Vec<usize>>,
    /// Reward shaping of the merge score.
    pub reward: Option<RewardShaping>,
    /// Where timing logs, summaries, `metrics.jsonl`, the analysis report and `run.json` go (an
    /// earlier run's are moved into `runs/<id>/` first).
    pub log_dir: PathBuf,
    /// What the timing runtime records.
    pub timing_mode: TimingMode,
    /// Where checkpoints go (an earlier run's are moved into `runs/<id>/` first); not the log
    /// directory.
    pub checkpoint_dir: PathBuf,
    /// When periodic checkpoints are written.
    pub checkpoint_every: CheckpointInterval,
    /// Periodic checkpoints of this run kept (besides `latest.ckpt` and `final.ckpt`).
    pub keep_checkpoints: usize,
    /// The checkpoint whose run this one continues, from anywhere (a kept run's included).
    pub resume: Option<PathBuf>,
    /// Games of the greedy evaluation after training (0 to skip).
    pub eval_games: usize,
    /// Whether the timing analysis report is written at the end (`--no-report` turns it off).
    pub report: bool,
    /// Seconds between status lines when stdout is not a terminal.
    pub status_every: f64,
    /// The OpenTelemetry collector (`http://host:port`) every timed call is also sent to.
    pub otlp_endpoint: Option<String>,
}

impl Default for TrainSettings {
    fn default() -> Self {
        TrainSettings {
            minutes: None,
            updates: None,
            envs: None,
            steps: None,
            threads: None,
            seed: None,
            lr: None,
            hidden: None,
            reward: None,
            log_dir: PathBuf::from("logs"),
            timing_mode: TimingMode::Full,
            checkpoint_dir: PathBuf::from("checkpoints"),
            checkpoint_every: CheckpointInterval::Every(Duration::from_secs(120)),
            keep_checkpoints: 3,
            resume: None,
            eval_games: 1000,
            report: true,
            status_every: 10.0,
            otlp_endpoint: None,
        }
    }
}

impl TrainSettings {
    /// The first field whose value cannot be used, whatever the others and the checkpoint.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let refuse = |field, problem: String| Err(SettingsError { field, problem });
        if let Some(minutes) = self.minutes {
            if self.updates.is_some() {
                return refuse(
                    "minutes",
                    "cannot be given with `updates`: the budget is one or the other".into(),
                );
            }
            if !(minutes.is_finite() && minutes > 0.0 && minutes < MAX_MINUTES) {
                return refuse(
                    "minutes",
                    format!("{minutes} is not a positive number of minutes below {MAX_MINUTES}"),
                );
            }
        }
        if self.updates == Some(0) {
            return refuse("updates", "must be at least 1".into());
        }
        if let Some(hidden) = &self.hidden
            && (hidden.is_empty() || hidden.contains(&0))
        {
            return refuse(
                "hidden",
                format!(
                    "{hidden:?} are not layer widths: expected positive integers, e.g. [256, 256]"
                ),
            );
        }
        if self.keep_checkpoints == 0 {
            return refuse("keep_checkpoints", "must be at least 1".into());
        }
        if self.eval_games > MAX_GAMES {
            return refuse(
                "eval_games",
                format!(
                    "{} is more than the {MAX_GAMES} games one evaluation plays",
                    self.eval_games
                ),
            );
        }
        if !(self.status_every.is_finite() && self.status_every > 0.0) {
            return refuse(
                "status_every",
                format!("{} is not a positive number of seconds", self.status_every),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(json: &str) -> String {
        serde_json::from_str::<TrainSettings>(json)
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn an_empty_object_is_the_default_run() {
        let settings: TrainSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(settings, TrainSettings::default());
        assert_eq!(settings.validate(), Ok(()));
    }

    #[test]
    fn every_field_reads_from_json_and_writes_back() {
        let json = r#"{
            "updates": 50, "envs": 64, "steps": 16, "threads": 4, "seed": 9, "lr": 0.0005,
            "hidden": [128, 64], "reward": "log", "log_dir": "runs/a", "timing_mode": "summary",
            "checkpoint_dir": "ckpt/a", "checkpoint_every": "10u", "keep_checkpoints": 5,
            "resume": "old.ckpt", "eval_games": 0, "report": false, "status_every": 2.5
        }"#;
        let settings: TrainSettings = serde_json::from_str(json).unwrap();
        let expected = TrainSettings {
            minutes: None,
            updates: Some(50),
            envs: Some(64),
            steps: Some(16),
            threads: Some(4),
            seed: Some(9),
            lr: Some(5e-4),
            hidden: Some(vec![128, 64]),
            reward: Some(RewardShaping::Log2),
            log_dir: PathBuf::from("runs/a"),
            timing_mode: TimingMode::Summary,
            checkpoint_dir: PathBuf::from("ckpt/a"),
            checkpoint_every: CheckpointInterval::EveryUpdates(10),
            keep_checkpoints: 5,
            resume: Some(PathBuf::from("old.ckpt")),
            eval_games: 0,
            report: false,
            status_every: 2.5,
            otlp_endpoint: None,
        };
        assert_eq!(settings, expected);
        assert_eq!(settings.validate(), Ok(()));
        let written = serde_json::to_value(&settings).unwrap();
        assert_eq!(written["reward"], "log2");
        assert_eq!(written["checkpoint_every"], "10u");
        assert_eq!(written["timing_mode"], "summary");
        assert_eq!(written["minutes"], serde_json::Value::Null);
        let read_back: TrainSettings = serde_json::from_value(written).unwrap();
        assert_eq!(read_back, expected);
    }

    #[test]
    fn json_that_is_not_settings_is_refused_naming_the_field() {
        let error = |json: &str| {
            serde_json::from_str::<TrainSettings>(json)
                .unwrap_err()
                .to_string()
        };
        assert!(
            error(r#"{"update": 5}"#)
                .starts_with("unknown field `update`, expected one of `minutes`, `updates`,"),
            "{}",
            error(r#"{"update": 5}"#)
        );
        assert_eq!(
            error(r#"{"envs": -4}"#),
            "invalid value: integer `-4`, expected usize at line 1 column 11"
        );
        assert_eq!(
            error(r#"{"reward": "cubic"}"#),
            "unknown variant `cubic`, expected one of `raw`, `scaled`, `log`, `log2` at line 1 column 18"
        );
        assert_eq!(
            error(r#"{"checkpoint_every": "5h"}"#),
            "`5h` is not a checkpoint interval: expected e.g. 2m, 90s, 50u, or 0 for none at line 1 column 26"
        );
    }

    #[test]
    fn values_no_run_can_use_are_refused_naming_the_field() {
        assert_eq!(
            problem(r#"{"minutes": 5, "updates": 10}"#),
            "invalid setting `minutes`: cannot be given with `updates`: the budget is one or the other"
        );
        assert_eq!(
            problem(r#"{"minutes": 0}"#),
            "invalid setting `minutes`: 0 is not a positive number of minutes below 1000000"
        );
        assert_eq!(
            problem(r#"{"updates": 0}"#),
            "invalid setting `updates`: must be at least 1"
        );
        assert_eq!(
            problem(r#"{"hidden": [64, 0]}"#),
            "invalid setting `hidden`: [64, 0] are not layer widths: expected positive integers, e.g. [256, 256]"
        );
        assert_eq!(
            problem(r#"{"hidden": []}"#),
            "invalid setting `hidden`: [] are not layer widths: expected positive integers, e.g. [256, 256]"
        );
        assert_eq!(
            problem(r#"{"keep_checkpoints": 0}"#),
            "invalid setting `keep_checkpoints`: must be at least 1"
        );
        assert_eq!(
            problem(r#"{"eval_games": 10000001}"#),
            "invalid setting `eval_games`: 10000001 is more than the 10000000 games one evaluation plays"
        );
        assert_eq!(
            problem(r#"{"status_every": 0}"#),
            "invalid setting `status_every`: 0 is not a positive number of seconds"
        );
    }
}
