//! A training run from start to end: timing session (the run's id and manifest), the earlier
//! run's checkpoints kept, training, final checkpoint, greedy evaluation, summary, where the
//! time went, and the timing analysis report.

use super::broadcast::METRICS_FILE;
use super::observer::RunObserver;
use super::report::{format_time_shares, time_shares, time_shares_from_analysis, training_summary};
use super::resolve::{ManagerSettings, Resume};
use super::results::RunResults;
use super::settings::TrainSettings;
use super::{StopReason, TrainingManager};
use crate::checkpoint::load_checkpoint;
use crate::checkpoint::runs::{self as checkpoint_runs, CheckpointRun};
use crate::error::{RunError, SettingsError};
use crate::evaluation::{EVALUATION_SEED, evaluate_policy};
use crate::ppo::Budget;
use crate::ppo::config::join_sizes;
use crate::timing;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;
use timed_runtime::runs::KeptRun;
use timed_runtime::{Mode, Session};

/// The checkpoint a resumed run continues, as its manifest's `resumed_from` says.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResumedFrom {
    /// Where the checkpoint is now (moved into `runs/<id>/` if it was the earlier run's at the
    /// top of the checkpoint directory).
    pub path: PathBuf,
    /// The id of the run that wrote it, when the checkpoint or its directory records it.
    pub run_id: Option<String>,
}

/// Runs the whole training job and prints its results. Returns why training stopped: its
/// budget was spent, or `stop` was set (checked between iterations; the final checkpoint, logs
/// and report are still written). `observer` follows the run as it goes.
pub fn run_training(
    settings: &TrainSettings,
    stop: &AtomicBool,
    observer: &mut dyn RunObserver,
) -> Result<StopReason, RunError> {
    settings.validate()?;
    refuse_one_directory_for_both(settings)?;
    let started = Instant::now();
    let mut config = timing::session_config(settings.timing_mode.into(), &settings.log_dir)
        .run_file(METRICS_FILE)
        .run_file(analyzer::export::json::REPORT_FILE)
        .run_file(analyzer::export::html::VISUALIZATIONS_DIR)
        // Written at the end, or later by `analyzer`: they belong to this run and move with it.
        .run_file(analyzer::export::compare_json::COMPARISON_JSON)
        .run_file(analyzer::export::compare_html::COMPARISON_HTML)
        .run_file(analyzer::export::chrome::TRACE_FILE)
        .run_file(analyzer::export::folded::FOLDED_FILE);
    if let Some(endpoint) = &settings.otlp_endpoint {
        // `TIMED_OTLP_ENDPOINT` still overrides it.
        config = config.otlp_endpoint(endpoint).service_name(timing::PROGRAM);
    }
    let session = config.init()?;
    let mut resume = match &settings.resume {
        Some(path) => Some(Resume {
            path: path.clone(),
            checkpoint: load_checkpoint(path)?,
        }),
        None => None,
    };
    let mut resolved = ManagerSettings::resolve(settings, resume.as_ref())?;
    // The metrics go with the run's other files (`TIMED_DIR` may have moved them).
    resolved.metrics_path = session.dir().join(METRICS_FILE);
    let kept_checkpoints = start_checkpoint_run(&session, &resolved.checkpoint_dir)?;
    let resumed_from = resume
        .as_mut()
        .map(|r| resumed_from(r, &resolved.checkpoint_dir, kept_checkpoints.as_ref()));
    session.metadata("settings", &resolved)?;
    if let Some(from) = &resumed_from {
        session.metadata("resumed_from", from)?;
    }
    session.flush()?;
    print!(
        "{}",
        plan(&resolved, settings, resume.as_ref(), session.dir())
    );
    print!(
        "{}",
        kept_runs(
            session.run_id(),
            session.previous_run(),
            kept_checkpoints.as_ref(),
            resumed_from.as_ref()
        )
    );
    observer.started(&resolved);
    let mut manager = TrainingManager::new(resolved, resume.as_ref())?;
    manager.set_run_id(session.run_id());
    let outcome = manager.run(stop, observer)?;
    observer.training_stopped(outcome.reason);
    println!();
    print!("{}", training_summary(&outcome));

    let games = settings.eval_games;
    let mut evaluation = None;
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
        evaluation = Some(report);
    }
    drop(manager);
    session.metadata("results", RunResults::new(&outcome, evaluation.as_ref()))?;

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
    println!(
        "run manifest: {}",
        log_dir.join(timed_runtime::runs::MANIFEST_FILE).display()
    );

    if settings.report {
        println!();
        match &analysis {
            Some(analysis) => {
                report(analysis, &log_dir)?;
                compare_with_previous(&log_dir);
            }
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

/// Compares this run with the one before it in the log directory, as `analyzer compare` does,
/// and writes `comparison.json` and `comparison.html` beside this run's report. The run is done
/// whatever happens here: a first run has nothing to compare with, and an earlier run that
/// cannot be compared (no logs, no operation in common) is said, not fatal.
fn compare_with_previous(log_dir: &Path) {
    use analyzer::compare::{CompareOptions, compare, read_run};
    let Ok((base, new)) = analyzer::runs::previous_and_latest(log_dir) else {
        return;
    };
    let base_id = base.id.clone();
    let options = analyzer::Options::default();
    let compared = read_run(base, &options)
        .and_then(|base| Ok((base, read_run(new, &options)?)))
        .and_then(|(base, new)| compare(&base, &new, &CompareOptions::default()))
        .and_then(|comparison| {
            analyzer::export::compare_json::write(&comparison, log_dir)?;
            let html = analyzer::export::compare_html::write(&comparison, log_dir)?;
            Ok((comparison.summary, html))
        });
    match compared {
        Ok((summary, html)) => println!(
            "compared with run {base_id}: {} regressed, {} improved, {} unchanged, {} added, {} \
             removed: {}",
            summary.regressed,
            summary.improved,
            summary.unchanged,
            summary.added,
            summary.removed,
            html.display()
        ),
        Err(error) => println!(
            "no comparison with run {base_id}: {}",
            crate::error::Chain(&error)
        ),
    }
}

/// Refuses one directory for the logs and the checkpoints: each keeps its earlier runs in its
/// own `runs/`, by its own manifest.
pub fn refuse_one_directory_for_both(settings: &TrainSettings) -> Result<(), SettingsError> {
    let (logs, checkpoints) = (&settings.log_dir, &settings.checkpoint_dir);
    let same = match (logs.canonicalize(), checkpoints.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => logs.components().eq(checkpoints.components()),
    };
    if same {
        return Err(SettingsError {
            field: "checkpoint_dir",
            problem: format!(
                "{} is also the log directory: each keeps its earlier runs under its own runs/, \
                 so they must differ",
                checkpoints.display()
            ),
        });
    }
    Ok(())
}

/// Before the run writes anything into the checkpoint directory: moves the earlier run's
/// checkpoints into `runs/<id>/` (under the id of the log directory's earlier run when the
/// checkpoints predate `run.json`) and records this run's id there.
fn start_checkpoint_run(session: &Session, dir: &Path) -> Result<Option<KeptRun>, RunError> {
    let earlier_logs = session.previous_run().map(|kept| kept.id.as_str());
    let kept = checkpoint_runs::keep_earlier_run(dir, earlier_logs)?;
    checkpoint_runs::record_run(
        dir,
        &CheckpointRun {
            id: session.run_id().to_owned(),
            program: timing::PROGRAM.to_owned(),
            version: timing::VERSION.to_owned(),
            log_dir: session.dir().to_path_buf(),
        },
    )?;
    Ok(kept)
}

/// Where the resumed checkpoint is now and which run wrote it; `resume` is pointed at the file's
/// new place if keeping the earlier run moved it.
fn resumed_from(resume: &mut Resume, checkpoint_dir: &Path, kept: Option<&KeptRun>) -> ResumedFrom {
    if let Some(now) =
        kept.and_then(|kept| checkpoint_runs::moved_to(&resume.path, checkpoint_dir, kept))
    {
        resume.path = now;
    }
    ResumedFrom {
        path: resume.path.clone(),
        run_id: resume
            .checkpoint
            .metadata
            .run_id
            .clone()
            .or_else(|| checkpoint_runs::run_id_beside(&resume.path)),
    }
}

/// The run's id, and where the earlier run went.
fn kept_runs(
    id: &str,
    logs: Option<&KeptRun>,
    checkpoints: Option<&KeptRun>,
    resumed_from: Option<&ResumedFrom>,
) -> String {
    let mut out = format!("run {id}");
    let kept: Vec<String> = logs
        .into_iter()
        .chain(checkpoints)
        .map(|kept| kept.dir.display().to_string())
        .collect();
    if !kept.is_empty() {
        out.push_str(&format!(
            "; the earlier run is kept in {}",
            kept.join(" and ")
        ));
    }
    out.push('\n');
    if let Some(from) = resumed_from {
        out.push_str(&format!(
            "continuing run {} from {}\n",
            from.run_id.as_deref().unwrap_or("(unknown)"),
            from.path.display()
        ));
    }
    out
}

/// What is about to happen, printed before training starts.
fn plan(
    settings: &ManagerSettings,
    request: &TrainSettings,
    resume: Option<&Resume>,
    log_dir: &Path,
) -> String {
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
        // As the request named it: the file may have moved since (said on the next lines).
        let named = request.resume.as_deref().unwrap_or(&r.path);
        out.push_str(&format!(
            "resuming {} at update {} ({} env steps)\n",
            named.display(),
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
