//! `trainer`: parse the command line, run the command, turn an error into a message on stderr
//! and an exit code (2: the request cannot be carried out as given; 1: it failed).

use clap::Parser;
use std::process::ExitCode;
use trainer::cli::{Cli, Command};
use trainer::error::{Chain, RunError};
use trainer::evaluation::{evaluate_checkpoint, random_baseline};
use trainer::manager::interrupt::INTERRUPTED_EXIT_CODE;
use trainer::manager::{StopReason, run_training};
use trainer::timing::{format_sites, site_rows};

fn games(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn run(command: Command) -> Result<u8, RunError> {
    match command {
        Command::Train(args) => Ok(match run_training(&args)? {
            StopReason::BudgetSpent => 0,
            StopReason::Interrupted => INTERRUPTED_EXIT_CODE as u8,
        }),
        Command::Eval(args) => {
            let threads = games(args.threads);
            let report =
                evaluate_checkpoint(&args.checkpoint, games(args.games), args.seed, threads)?;
            print!("{}", report.map(|r| r.to_string()).unwrap_or_default());
            Ok(0)
        }
        Command::Random(args) => {
            let report = random_baseline(games(args.games), args.seed);
            print!("{}", report.map(|r| r.to_string()).unwrap_or_default());
            Ok(0)
        }
        Command::Sites => {
            print!("{}", format_sites(&site_rows()));
            Ok(0)
        }
    }
}

fn main() -> ExitCode {
    let command = Cli::parse().into_command();
    match run(command) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {}", Chain(&error));
            ExitCode::from(error.exit_code() as u8)
        }
    }
}
