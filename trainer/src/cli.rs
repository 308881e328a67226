//! The command line: `trainer [train] [flags]`, `trainer eval`, `trainer random`, `trainer sites`.
//!
//! Training flags that a checkpoint also records are `Option`s: on `--resume`, a flag given on
//! the command line overrides the checkpoint, and one left out keeps the checkpoint's value.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::ppo::RewardShaping;

/// The most games one evaluation plays (each live game holds its board and inputs in memory).
pub const MAX_GAMES: u64 = 10_000_000;

#[derive(Debug, Parser)]
#[command(
    name = "trainer",
    version,
    about = "Trains a 2048 agent with PPO, evaluates it and tells where the time went",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Flags of `train`, the default command.
    #[command(flatten)]
    pub train: TrainArgs,
}

impl Cli {
    /// The command to run: `train` with the top-level flags when no subcommand is given.
    pub fn into_command(self) -> Command {
        self.command
            .unwrap_or_else(|| Command::Train(Box::new(self.train)))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train (the default): PPO until the budget is spent, then evaluate and report.
    Train(Box<TrainArgs>),
    /// Evaluate a checkpoint's greedy policy.
    Eval(EvalArgs),
    /// Play the uniformly random legal policy: the baseline, in the evaluation's format.
    Random(RandomArgs),
    /// List every `#[timed]` site: component, name, phase, file:line.
    Sites,
}

#[derive(Clone, Debug, Args)]
pub struct TrainArgs {
    /// Training budget in minutes (default: what makes training, evaluation and the report
    /// take about 5 minutes in all).
    #[arg(long, conflicts_with = "updates", value_parser = positive_minutes)]
    pub minutes: Option<f64>,
    /// Training budget in updates (one rollout plus one PPO update each).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub updates: Option<u64>,
    /// Parallel environments [default: 256].
    #[arg(long)]
    pub envs: Option<usize>,
    /// Steps per environment per rollout [default: 32].
    #[arg(long)]
    pub steps: Option<usize>,
    /// Worker threads [default: 2].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Seed of every random stream [default: 0].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Initial learning rate, annealed linearly to 0 over the budget [default: 1e-3].
    #[arg(long)]
    pub lr: Option<f64>,
    /// Hidden layer widths, comma-separated [default: 256,256].
    #[arg(long, value_parser = parse_hidden)]
    pub hidden: Option<HiddenSizes>,
    /// Reward shaping of the merge score [default: scaled].
    #[arg(long, value_enum)]
    pub reward: Option<RewardArg>,
    /// Where timing logs, summaries, metrics.jsonl and the analysis report go.
    #[arg(long, default_value = "logs")]
    pub log_dir: PathBuf,
    /// What the timing runtime records.
    #[arg(long, value_enum, default_value_t = TimingMode::Full)]
    pub timing_mode: TimingMode,
    /// Where checkpoints go.
    #[arg(long, default_value = "checkpoints")]
    pub checkpoint_dir: PathBuf,
    /// Periodic checkpoints: `2m` (minutes), `90s` (seconds), `50u` (updates), a bare number
    /// of minutes, or `0` for the final checkpoint only.
    #[arg(long, default_value = "2m")]
    pub checkpoint_every: CheckpointInterval,
    /// Periodic checkpoints kept (besides latest.ckpt and final.ckpt).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    pub keep_checkpoints: u64,
    /// Continue the run saved in this checkpoint. PPO flags left out keep the checkpoint's
    /// values; without --minutes/--updates, an unfinished budget is continued.
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Games of the greedy evaluation after training (0 to skip).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(0..=MAX_GAMES))]
    pub eval_games: u64,
    /// Skip the timing analysis report at the end.
    #[arg(long)]
    pub no_report: bool,
    /// Seconds between status lines when stdout is not a terminal (no progress bar).
    #[arg(long, default_value_t = 10.0, value_parser = positive_seconds)]
    pub status_every: f64,
}

#[derive(Clone, Debug, Args)]
pub struct EvalArgs {
    /// The checkpoint whose policy plays.
    #[arg(long)]
    pub checkpoint: PathBuf,
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=MAX_GAMES))]
    pub games: u64,
    /// Seed of the games (the training run's evaluation uses the default).
    #[arg(long, default_value_t = crate::evaluation::EVALUATION_SEED)]
    pub seed: u64,
    /// Worker threads for the batched forward passes.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub threads: u64,
}

#[derive(Clone, Debug, Args)]
pub struct RandomArgs {
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=MAX_GAMES))]
    pub games: u64,
    #[arg(long, default_value_t = crate::evaluation::EVALUATION_SEED)]
    pub seed: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TimingMode {
    Off,
    Summary,
    Full,
}

impl From<TimingMode> for timed_runtime::Mode {
    fn from(mode: TimingMode) -> Self {
        match mode {
            TimingMode::Off => timed_runtime::Mode::Off,
            TimingMode::Summary => timed_runtime::Mode::Summary,
            TimingMode::Full => timed_runtime::Mode::Full,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RewardArg {
    /// The merge score divided by 100.
    Scaled,
    /// The merge score itself.
    Raw,
    /// log2(1 + merge score).
    #[value(alias = "log2")]
    Log,
}

impl From<RewardArg> for RewardShaping {
    fn from(reward: RewardArg) -> Self {
        match reward {
            RewardArg::Scaled => RewardShaping::Scaled,
            RewardArg::Raw => RewardShaping::Raw,
            RewardArg::Log => RewardShaping::Log2,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HiddenSizes(pub Vec<usize>);

pub fn parse_hidden(text: &str) -> Result<HiddenSizes, String> {
    let sizes = text
        .split(',')
        .map(|part| match part.trim().parse::<usize>() {
            Ok(0) | Err(_) => Err(format!(
                "`{part}` is not a layer width: expected positive integers separated by commas, \
                 e.g. 256,256"
            )),
            Ok(width) => Ok(width),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HiddenSizes(sizes))
}

/// When periodic checkpoints are written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CheckpointInterval {
    /// Only the final checkpoint.
    Never,
    Every(Duration),
    EveryUpdates(u64),
}

impl FromStr for CheckpointInterval {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let invalid = || {
            format!(
                "`{text}` is not a checkpoint interval: expected e.g. 2m, 90s, 50u, or 0 for none"
            )
        };
        let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
            Some(split) => text.split_at(split),
            None => (text, "m"),
        };
        if unit == "u" {
            let updates: u64 = number.parse().map_err(|_| invalid())?;
            return Ok(if updates == 0 {
                CheckpointInterval::Never
            } else {
                CheckpointInterval::EveryUpdates(updates)
            });
        }
        let value: f64 = number.parse().map_err(|_| invalid())?;
        let seconds = match unit {
            "m" => value * 60.0,
            "s" => value,
            _ => return Err(invalid()),
        };
        if !seconds.is_finite() || seconds < 0.0 {
            return Err(invalid());
        }
        Ok(if seconds == 0.0 {
            CheckpointInterval::Never
        } else {
            CheckpointInterval::Every(Duration::from_secs_f64(seconds))
        })
    }
}

fn positive_minutes(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(minutes) if minutes.is_finite() && minutes > 0.0 && minutes < 1e6 => Ok(minutes),
        _ => Err(format!("`{text}` is not a positive number of minutes")),
    }
}

fn positive_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds > 0.0 => Ok(seconds),
        _ => Err(format!("`{text}` is not a positive number of seconds")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// The defaults written in the help are `PpoConfig`'s, which the run actually uses.
    #[test]
    fn help_states_the_ppo_defaults() {
        let defaults = crate::ppo::PpoConfig::default();
        let command = Cli::command();
        let help = |id: &str| {
            command
                .get_arguments()
                .find(|a| a.get_id() == id)
                .and_then(|a| a.get_help())
                .map(|h| h.to_string())
                .unwrap()
        };
        let hidden = crate::ppo::config::join_sizes(&defaults.hidden);
        for (id, value) in [
            ("envs", defaults.num_envs.to_string()),
            ("steps", defaults.num_steps.to_string()),
            ("threads", defaults.threads.to_string()),
            ("seed", defaults.seed.to_string()),
            ("lr", format!("{:e}", defaults.learning_rate)),
            ("hidden", hidden),
            ("reward", defaults.reward.name().to_string()),
        ] {
            assert!(
                help(id).ends_with(&format!("[default: {value}]")),
                "--{id}: {}",
                help(id)
            );
        }
    }

    #[test]
    fn checkpoint_intervals() {
        let parse = |s: &str| s.parse::<CheckpointInterval>();
        assert_eq!(
            parse("2m"),
            Ok(CheckpointInterval::Every(Duration::from_secs(120)))
        );
        assert_eq!(
            parse("1.5"),
            Ok(CheckpointInterval::Every(Duration::from_secs(90)))
        );
        assert_eq!(
            parse("45s"),
            Ok(CheckpointInterval::Every(Duration::from_secs(45)))
        );
        assert_eq!(parse("50u"), Ok(CheckpointInterval::EveryUpdates(50)));
        assert_eq!(parse("0"), Ok(CheckpointInterval::Never));
        assert_eq!(parse("0u"), Ok(CheckpointInterval::Never));
        assert_eq!(
            parse("5h"),
            Err(
                "`5h` is not a checkpoint interval: expected e.g. 2m, 90s, 50u, or 0 for none"
                    .into()
            )
        );
        assert!(parse("-1m").is_err());
        assert!(parse("xu").is_err());
    }

    #[test]
    fn hidden_sizes() {
        assert_eq!(parse_hidden("256,256"), Ok(HiddenSizes(vec![256, 256])));
        assert_eq!(parse_hidden("64"), Ok(HiddenSizes(vec![64])));
        assert_eq!(
            parse_hidden("16,0"),
            Err("`0` is not a layer width: expected positive integers separated by commas, e.g. 256,256".into())
        );
    }

    #[test]
    fn bare_flags_mean_train() {
        let cli = Cli::try_parse_from(["trainer", "--updates", "3", "--hidden", "8,8"]).unwrap();
        let Command::Train(args) = cli.into_command() else {
            panic!("expected train");
        };
        assert_eq!(args.updates, Some(3));
        assert_eq!(args.hidden, Some(HiddenSizes(vec![8, 8])));
        assert_eq!(args.eval_games, 1000);
        assert_eq!(args.timing_mode, TimingMode::Full);
        let cli = Cli::try_parse_from(["trainer", "eval", "--checkpoint", "a.ckpt"]).unwrap();
        assert!(matches!(cli.into_command(), Command::Eval(e) if e.games == 1000));
        assert!(Cli::try_parse_from(["trainer", "--minutes", "1", "--updates", "2"]).is_err());
    }
}
