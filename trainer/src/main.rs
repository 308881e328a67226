//! `trainer`: parse the command line into the library's settings, run the command, turn an
//! error into a message on stderr and an exit code (2: the request cannot be carried out as
//! given; 1: it failed; 130: training was interrupted).

mod cli;
mod interrupt;
mod serving;

use clap::Parser;
use cli::{Cli, Command, count};
use std::process::ExitCode;
use trainer::error::{Chain, RunError};
use trainer::evaluation::{evaluate_checkpoint, random_baseline};
use trainer::manager::{StopReason, run_training};
use trainer::timing::{format_sites, site_rows};

/// Why a command failed: a run's error, or a dashboard command's.
enum Failure {
    Run(RunError),
    Serve(serving::ServeError),
}

impl From<RunError> for Failure {
    fn from(error: RunError) -> Self {
        Failure::Run(error)
    }
}

impl From<serving::ServeError> for Failure {
    fn from(error: serving::ServeError) -> Self {
        Failure::Serve(error)
    }
}

fn run(command: Command) -> Result<u8, Failure> {
    match command {
        Command::Train(args) if args.dashboard => {
            let options = args.dashboard_options();
            Ok(serving::train(options, args.into_settings())?)
        }
        Command::Serve(args) => Ok(serving::serve(args.dashboard_options())?),
        Command::Train(args) => {
            let stop = interrupt::install();
            Ok(match run_training(&args.into_settings(), stop, &mut ())? {
                StopReason::BudgetSpent => 0,
                StopReason::Interrupted => interrupt::INTERRUPTED_EXIT_CODE,
            })
        }
        Command::Eval(args) => {
            let report = evaluate_checkpoint(&args.into_settings())?;
            print!("{}", report.map(|r| r.to_string()).unwrap_or_default());
            Ok(0)
        }
        Command::Random(args) => {
            let report = random_baseline(count(args.games), args.seed);
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
        Err(Failure::Run(error)) => {
            eprintln!("error: {}", Chain(&error));
            ExitCode::from(error.exit_code() as u8)
        }
        Err(Failure::Serve(error)) => {
            eprintln!("error: {error}");
            ExitCode::from(error.exit_code() as u8)
        }
    }
}
