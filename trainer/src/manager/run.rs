//! A training run from start to end: timing session, training, final checkpoint, greedy
//! evaluation, summary, where the time went, and the timing analysis report.

use super::observer::RunObserver;
use super::report::{format_time_shares, time_shares, time_shares_from_analysis, training_summary};
use super::resolve::{ManagerSettings, Resume};
use super::settings::TrainSettings;
use super::{StopReason, TrainingManager};
use crate::checkpoint::load_checkpoint;
use crate::error::RunError;
use crate::evaluation::{EVALUATION_SEED, evaluate_policy};
use crate::ppo::Budget;
use crate::ppo::config::join_sizes;
use crate::timing;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;
use timed_runtime::Mode;

/// Runs the whole training job and prints its results. Returns why training stopped: its
/// budget was spent, or `stop` was set (checked between iterations; the final checkpoint, logs
/// and report are still written). `observer` follows the run as it goes.
pub fn run_training(
    settings: &TrainSettings,
    stop: &AtomicBool,
    observer: &mut dyn RunObserver,
) -> Result<StopReason, RunError> {
    settings.validate()?;
    let started = Instant::now();
    let session = timing::start_session(settings.timing_mode.into(), &settings.log_dir)?;
    let resume = match &settings.resume {
        Some(path) => Some(Resume {
            path: path.clone(),
            checkpoint: load_checkpoint(path)?,
        }),
        None => None,
    };
    let resolved = ManagerSettings::resolve(settings, resume.as_ref())?;
    print!("{}", plan(&resolved, resume.as_ref(), session.dir()));
    observer.started(&resolved);
    let mut manager = TrainingManager::new(resolved, resume.as_ref())?;
    let outcome = manager.run(stop, observer)?;
    observer.training_stopped(outcome.reason);
    println!();
    print!("{}", training_summary(&outcome));

    let games = settings.eval_games;
    if outcome.reason == StopReason::Interrupted {
        println!("\nevaluation skipped: training was interrupted");
    } else if games > 0
        && let Some(report) = evaluate_policy(
            manager.trainer_mut(),
            games,
            EVALUATION_SEED,
            "greedy policy",
        )
    {
        println!();
        print!("{report}");
        observer.evaluation(&report);
    }
    drop(manager);

    let snapshot = timed_runtime::snapshot();
    let wall = started.elapsed();
    let mode = session.mode();
    let log_dir = session.dir().to_path_buf();
    session.finish()?;
    let analysis = if mode == Mode::Full && settings.report {
        Some(analyzer::analyze_dir(
            &log_dir,
            &analyzer::Options::default(),
        )?)
    } else {
        None
    };
    // The analysis separates a thread's waiting for its workers from work; the live
    // statistics cannot, so they are the fallback when the full logs are not analysed.
    let shares = match &analysis {
        Some(analysis) => time_shares_from_analysis(analysis),
        None => time_shares(&snapshot),
    };
    println!();
    print!("{}", format_time_shares(&shares, wall));
    if mode != Mode::Off {
        println!("timing logs and summaries: {}", log_dir.display());
    }

    if settings.report {
        println!();
        match &analysis {
            Some(analysis) => report(analysis, &log_dir)?,
            None => println!("timing analysis skipped: it reads the logs of --timing-mode full"),
        }
    }
    Ok(outcome.reason)
}

fn report(analysis: &analyzer::Report, log_dir: &Path) -> Result<(), RunError> {
    let report = analyzer::export::json::write(analysis, log_dir)?;
    analyzer::export::html::write(analysis, log_dir)?;
    print!(
        "{}",
        analyzer::export::console::render(analysis, Some(&report))
    );
    Ok(())
}

/// What is about to happen, printed before training starts.
fn plan(settings: &ManagerSettings, resume: Option<&Resume>, log_dir: &Path) -> String {
    let c = &settings.config;
    let budget = match settings.schedule.budget() {
        Budget::Updates(n) => format!("{n} updates"),
        Budget::WallTime(d) => format!("{:.1} minutes", d.as_secs_f64() / 60.0),
    };
    let mut out = format!(
        "PPO on 2048: {} envs x {} steps, {} epochs x {} minibatches, hidden {}, reward {}, \
         lr {:e}, seed {}, {} threads\nbudget: {budget} (learning rate now {:.3e}, {:.0}% of the \
         budget used)\n",
        c.num_envs,
        c.num_steps,
        c.epochs,
        c.minibatches,
        join_sizes(&c.hidden),
        c.reward.name(),
        settings.schedule.initial_learning_rate(),
        c.seed,
        c.threads,
        settings.schedule.learning_rate(),
        100.0 * settings.schedule.progress()
    );
    if let Some(r) = resume {
        let counters = r.checkpoint.metadata.counters;
        out.push_str(&format!(
            "resuming {} at update {} ({} env steps)\n",
            r.path.display(),
            counters.updates,
            counters.env_steps
        ));
    }
    out.push_str(&format!(
        "metrics: {}, checkpoints: {}, timing logs: {}\n",
        settings.metrics_path.display(),
        settings.checkpoint_dir.display(),
        log_dir.display()
    ));
    out
}
