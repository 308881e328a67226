//! The command line: `trainer [train] [flags]`, `trainer serve`, `trainer eval`, `trainer random`,
//! `trainer sites`.
//! It only turns arguments into the library's settings ([`TrainSettings`], [`EvalSettings`]);
//! what they mean and how they are checked is the library's.
//!
//! Training flags that a checkpoint also records are `Option`s: on `--resume`, a flag given on
//! the command line overrides the checkpoint, and one left out keeps the checkpoint's value.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use trainer::dashboard::{DEFAULT_ADDR, DashboardOptions};
use trainer::evaluation::{EVALUATION_SEED, EvalSettings, MAX_EVAL_THREADS, MAX_GAMES};
use trainer::manager::settings::MAX_MINUTES;
use trainer::manager::{CheckpointInterval, TrainSettings};
use trainer::ppo::RewardShaping;
use trainer::timing::TimingMode;

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
    /// Serve the live dashboard with no run: the page (or `POST /api/runs`) starts one.
    Serve(ServeArgs),
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
    /// Where timing logs, summaries, metrics.jsonl, the analysis report and run.json go (an
    /// earlier run's are moved into <LOG_DIR>/runs/<id>/ first).
    #[arg(long, default_value = "logs")]
    pub log_dir: PathBuf,
    /// What the timing runtime records.
    #[arg(long, value_enum, default_value_t = TimingModeArg::Full)]
    pub timing_mode: TimingModeArg,
    /// Where checkpoints go (an earlier run's are moved into <CHECKPOINT_DIR>/runs/<id>/
    /// first).
    #[arg(long, default_value = "checkpoints")]
    pub checkpoint_dir: PathBuf,
    /// Periodic checkpoints: `2m` (minutes), `90s` (seconds), `50u` (updates), a bare number
    /// of minutes, or `0` for the final checkpoint only.
    #[arg(long, default_value = "2m")]
    pub checkpoint_every: CheckpointInterval,
    /// Periodic checkpoints of this run kept (besides latest.ckpt and final.ckpt).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    pub keep_checkpoints: u64,
    /// Continue the run saved in this checkpoint (any, a kept run's included:
    /// checkpoints/runs/<id>/final.ckpt). PPO flags left out keep the checkpoint's values;
    /// without --minutes/--updates, an unfinished budget is continued.
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Games of the greedy evaluation after training (0 to skip).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(0..=MAX_GAMES as u64))]
    pub eval_games: u64,
    /// Skip the timing analysis report at the end.
    #[arg(long)]
    pub no_report: bool,
    /// Seconds between status lines when stdout is not a terminal (no progress bar).
    #[arg(long, default_value_t = 10.0, value_parser = positive_seconds)]
    pub status_every: f64,
    /// Serve the live dashboard while training, and after it until Ctrl-C.
    #[arg(long)]
    pub dashboard: bool,
    /// Where the dashboard listens.
    #[arg(long, default_value = DEFAULT_ADDR, requires = "dashboard")]
    pub dashboard_addr: SocketAddr,
    /// Let the dashboard listen on an address other than loopback; every request then needs
    /// the token printed at start.
    #[arg(long, requires = "dashboard")]
    pub dashboard_allow_remote: bool,
    /// Also send every timed call as an OTLP span to this OpenTelemetry collector
    /// (`http://host:port`).
    #[arg(long, value_name = "URL")]
    pub otlp: Option<String>,
}

impl TrainArgs {
    /// The dashboard these flags ask for (with `--dashboard`). Runs started from its page
    /// write where this one does and keep its manager settings; their PPO settings and budget
    /// are their own.
    pub fn dashboard_options(&self) -> DashboardOptions {
        let mut options = DashboardOptions::new(self.dashboard_addr);
        options.allow_remote = self.dashboard_allow_remote;
        options.base_settings = TrainSettings {
            log_dir: self.log_dir.clone(),
            timing_mode: self.timing_mode.into(),
            checkpoint_dir: self.checkpoint_dir.clone(),
            checkpoint_every: self.checkpoint_every,
            keep_checkpoints: count(self.keep_checkpoints),
            eval_games: count(self.eval_games),
            report: !self.no_report,
            status_every: self.status_every,
            otlp_endpoint: self.otlp.clone(),
            ..TrainSettings::default()
        };
        options
    }

    /// The run these flags ask for.
    pub fn into_settings(self) -> TrainSettings {
        TrainSettings {
            minutes: self.minutes,
            updates: self.updates,
            envs: self.envs,
            steps: self.steps,
            threads: self.threads,
            seed: self.seed,
            lr: self.lr,
            hidden: self.hidden.map(|h| h.0),
            reward: self.reward.map(RewardShaping::from),
            log_dir: self.log_dir,
            timing_mode: self.timing_mode.into(),
            checkpoint_dir: self.checkpoint_dir,
            checkpoint_every: self.checkpoint_every,
            keep_checkpoints: count(self.keep_checkpoints),
            resume: self.resume,
            eval_games: count(self.eval_games),
            report: !self.no_report,
            status_every: self.status_every,
            otlp_endpoint: self.otlp,
        }
    }
}

#[derive(Clone, Debug, Args)]
pub struct ServeArgs {
    /// Where the dashboard listens.
    #[arg(long, default_value = DEFAULT_ADDR)]
    pub dashboard_addr: SocketAddr,
    /// Let the dashboard listen on an address other than loopback; every request then needs
    /// the token printed at start.
    #[arg(long)]
    pub dashboard_allow_remote: bool,
    /// Where runs write their timing logs, metrics and report (and whose runs are listed).
    #[arg(long, default_value = "logs")]
    pub log_dir: PathBuf,
    /// Where runs write their checkpoints.
    #[arg(long, default_value = "checkpoints")]
    pub checkpoint_dir: PathBuf,
}

impl ServeArgs {
    pub fn dashboard_options(&self) -> DashboardOptions {
        let mut options = DashboardOptions::new(self.dashboard_addr);
        options.allow_remote = self.dashboard_allow_remote;
        options.base_settings = TrainSettings {
            log_dir: self.log_dir.clone(),
            checkpoint_dir: self.checkpoint_dir.clone(),
            ..TrainSettings::default()
        };
        options
    }
}

#[derive(Clone, Debug, Args)]
pub struct EvalArgs {
    /// The checkpoint whose policy plays.
    #[arg(long)]
    pub checkpoint: PathBuf,
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=MAX_GAMES as u64))]
    pub games: u64,
    /// Seed of the games (the training run's evaluation uses the default).
    #[arg(long, default_value_t = EVALUATION_SEED)]
    pub seed: u64,
    /// Worker threads for the batched forward passes.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=MAX_EVAL_THREADS as u64))]
    pub threads: u64,
}

impl EvalArgs {
    /// The evaluation these flags ask for.
    pub fn into_settings(self) -> EvalSettings {
        EvalSettings {
            checkpoint: self.checkpoint,
            games: count(self.games),
            seed: self.seed,
            threads: count(self.threads),
        }
    }
}

#[derive(Clone, Debug, Args)]
pub struct RandomArgs {
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=MAX_GAMES as u64))]
    pub games: u64,
    #[arg(long, default_value_t = EVALUATION_SEED)]
    pub seed: u64,
}

/// A count the flag's range already bounds (saturating on a 32-bit target, where the
/// library's own check then refuses it).
pub fn count(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TimingModeArg {
    Off,
    Summary,
    Full,
}

impl From<TimingModeArg> for TimingMode {
    fn from(mode: TimingModeArg) -> Self {
        match mode {
            TimingModeArg::Off => TimingMode::Off,
            TimingModeArg::Summary => TimingMode::Summary,
            TimingModeArg::Full => TimingMode::Full,
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

fn positive_minutes(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(minutes) if minutes.is_finite() && minutes > 0.0 && minutes < MAX_MINUTES => Ok(minutes),
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
        let defaults = trainer::ppo::PpoConfig::default();
        let command = Cli::command();
        let help = |id: &str| {
            command
                .get_arguments()
                .find(|a| a.get_id() == id)
                .and_then(|a| a.get_help())
                .map(|h| h.to_string())
                .unwrap()
        };
        let hidden = trainer::ppo::config::join_sizes(&defaults.hidden);
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
        assert_eq!(args.timing_mode, TimingModeArg::Full);
        let cli = Cli::try_parse_from(["trainer", "eval", "--checkpoint", "a.ckpt"]).unwrap();
        assert!(matches!(cli.into_command(), Command::Eval(e) if e.games == 1000));
        assert!(Cli::try_parse_from(["trainer", "--minutes", "1", "--updates", "2"]).is_err());
    }

    fn train_settings(args: &[&str]) -> TrainSettings {
        let cli = Cli::try_parse_from(std::iter::once("trainer").chain(args.iter().copied()));
        match cli.unwrap().into_command() {
            Command::Train(args) => args.into_settings(),
            other => panic!("expected train, got {other:?}"),
        }
    }

    /// The flags' defaults are the library's: a run from the command line without flags and a
    /// run from `{}` are the same run.
    #[test]
    fn no_flags_are_the_librarys_default_settings() {
        assert_eq!(train_settings(&[]), TrainSettings::default());
        let cli = Cli::try_parse_from(["trainer", "eval", "--checkpoint", "a.ckpt"]).unwrap();
        let Command::Eval(args) = cli.into_command() else {
            panic!("expected eval");
        };
        assert_eq!(
            args.into_settings(),
            EvalSettings::new(PathBuf::from("a.ckpt"))
        );
    }

    /// A run started from the page writes where the command line's does and keeps its
    /// manager settings; its budget and PPO settings are its own.
    #[test]
    fn dashboard_flags_reach_the_dashboard() {
        let cli = Cli::try_parse_from([
            "trainer",
            "--dashboard",
            "--dashboard-addr",
            "0.0.0.0:9000",
            "--dashboard-allow-remote",
            "--updates",
            "5",
            "--envs",
            "64",
            "--log-dir",
            "runs/a",
            "--eval-games",
            "7",
            "--otlp",
            "http://collector:4318",
        ])
        .unwrap();
        let Command::Train(args) = cli.into_command() else {
            panic!("expected train");
        };
        assert!(args.dashboard);
        let options = args.dashboard_options();
        assert_eq!(options.addr.to_string(), "0.0.0.0:9000");
        assert!(options.allow_remote);
        assert_eq!(
            options.base_settings,
            TrainSettings {
                log_dir: PathBuf::from("runs/a"),
                eval_games: 7,
                otlp_endpoint: Some("http://collector:4318".into()),
                ..TrainSettings::default()
            }
        );
        let cli = Cli::try_parse_from(["trainer", "serve", "--checkpoint-dir", "c"]).unwrap();
        let Command::Serve(args) = cli.into_command() else {
            panic!("expected serve");
        };
        let options = args.dashboard_options();
        assert_eq!(options.addr.to_string(), trainer::dashboard::DEFAULT_ADDR);
        assert!(!options.allow_remote);
        assert_eq!(options.base_settings.checkpoint_dir, PathBuf::from("c"));
        assert_eq!(options.base_settings.log_dir, PathBuf::from("logs"));
        assert!(Cli::try_parse_from(["trainer", "--dashboard-allow-remote"]).is_err());
    }

    #[test]
    fn every_flag_reaches_its_setting() {
        let settings = train_settings(&[
            "--minutes",
            "2.5",
            "--envs",
            "64",
            "--steps",
            "16",
            "--threads",
            "4",
            "--seed",
            "9",
            "--lr",
            "5e-4",
            "--hidden",
            "128,64",
            "--reward",
            "log",
            "--log-dir",
            "runs/a",
            "--timing-mode",
            "summary",
            "--checkpoint-dir",
            "ckpt/a",
            "--checkpoint-every",
            "10u",
            "--keep-checkpoints",
            "5",
            "--resume",
            "old.ckpt",
            "--eval-games",
            "0",
            "--no-report",
            "--otlp",
            "http://collector:4318",
            "--status-every",
            "2.5",
        ]);
        assert_eq!(
            settings,
            TrainSettings {
                minutes: Some(2.5),
                updates: None,
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
                otlp_endpoint: Some("http://collector:4318".into()),
            }
        );
        assert_eq!(settings.validate(), Ok(()));
        assert_eq!(train_settings(&["--updates", "7"]).updates, Some(7));
        let cli = Cli::try_parse_from([
            "trainer",
            "eval",
            "--checkpoint",
            "b.ckpt",
            "--games",
            "20",
            "--seed",
            "3",
            "--threads",
            "4",
        ])
        .unwrap();
        let Command::Eval(args) = cli.into_command() else {
            panic!("expected eval");
        };
        assert_eq!(
            args.into_settings(),
            EvalSettings {
                checkpoint: PathBuf::from("b.ckpt"),
                games: 20,
                seed: 3,
                threads: 4,
            }
        );
    }
}
