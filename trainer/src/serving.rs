//! The binary's dashboard commands: `trainer --dashboard` (the command line's run, served
//! live, and the server kept up after it until Ctrl-C, unless the run failed) and `trainer
//! serve` (no run: the page starts them). Ctrl-C stops a run as it does without the dashboard,
//! then ends the program.

use crate::interrupt;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use trainer::dashboard::control::check_resolves;
use trainer::dashboard::{Dashboard, DashboardError, DashboardOptions, RunHandle, StartError};
use trainer::error::{Chain, RunError};
use trainer::manager::{StopReason, TrainSettings};

const POLL: Duration = Duration::from_millis(50);

/// Why a dashboard command failed.
#[derive(Debug)]
pub enum ServeError {
    Dashboard(DashboardError),
    Start(StartError),
    Run(RunError),
}

impl ServeError {
    pub fn exit_code(&self) -> i32 {
        match self {
            ServeError::Dashboard(e) => e.exit_code(),
            ServeError::Start(StartError::Settings { .. }) => 2,
            ServeError::Start(_) => 1,
            ServeError::Run(e) => e.exit_code(),
        }
    }
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::Dashboard(e) => write!(f, "{}", Chain(e)),
            ServeError::Start(e) => write!(f, "{e}"),
            ServeError::Run(e) => write!(f, "{}", Chain(e)),
        }
    }
}

fn start(options: DashboardOptions) -> Result<Dashboard, ServeError> {
    let dashboard = Dashboard::start(options).map_err(ServeError::Dashboard)?;
    let addr = dashboard.local_addr();
    let note = if addr.ip().is_unspecified() {
        " (on every interface: use this machine's name or address)"
    } else {
        ""
    };
    println!("dashboard: {}{note}", dashboard.url());
    Ok(dashboard)
}

/// Waits for the run, turning Ctrl-C into the dashboard's graceful stop.
fn wait_for(
    dashboard: &Dashboard,
    run: RunHandle,
    stop: &AtomicBool,
) -> Result<StopReason, RunError> {
    let mut asked = false;
    loop {
        if let Some(outcome) = run.wait_timeout(POLL) {
            return outcome.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
        if !asked && stop.load(Ordering::SeqCst) {
            asked = dashboard.request_stop();
        }
    }
}

/// Serves until Ctrl-C; a run going then is stopped gracefully first. Whether one was.
fn serve_until_interrupted(dashboard: &Dashboard, stop: &AtomicBool) -> bool {
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(POLL);
    }
    let stopped = dashboard.request_stop();
    while !dashboard.wait_idle(Duration::from_secs(1)) {}
    stopped
}

/// `trainer --dashboard`: the exit code of the command line's run.
pub fn train(options: DashboardOptions, settings: TrainSettings) -> Result<u8, ServeError> {
    // Refused settings are refused before the server starts, as without the dashboard.
    settings.validate().map_err(|e| {
        ServeError::Start(StartError::Settings {
            field: Some(e.field.to_string()),
            message: e.to_string(),
        })
    })?;
    check_resolves(&settings).map_err(ServeError::Start)?;
    let stop = interrupt::install();
    let dashboard = start(options)?;
    let run = dashboard.start_run(settings).map_err(ServeError::Start)?;
    let outcome = wait_for(&dashboard, run, stop);
    // A run that failed ends the program at once, as without the dashboard.
    if outcome.is_ok() && !stop.load(Ordering::SeqCst) {
        println!(
            "\nthe dashboard stays at {} until Ctrl-C (the page can start another run)",
            dashboard.url()
        );
        serve_until_interrupted(&dashboard, stop);
    }
    dashboard.shutdown();
    match outcome.map_err(ServeError::Run)? {
        StopReason::BudgetSpent => Ok(0),
        StopReason::Interrupted => Ok(interrupt::INTERRUPTED_EXIT_CODE),
    }
}

/// `trainer serve`: 0, or 130 when Ctrl-C had to stop a run.
pub fn serve(options: DashboardOptions) -> Result<u8, ServeError> {
    let stop = interrupt::install();
    let dashboard = start(options)?;
    println!("no run yet: start one from the page or with POST /api/runs; Ctrl-C ends serving");
    let stopped_a_run = serve_until_interrupted(&dashboard, stop);
    dashboard.shutdown();
    Ok(if stopped_a_run {
        interrupt::INTERRUPTED_EXIT_CODE
    } else {
        0
    })
}
