//! `analyzer`: reports where the time of a run goes (`report`), lists the kept runs (`runs`),
//! compares two runs (`compare`) and exports a run to other tools (`export`).

use std::path::PathBuf;
use std::process::ExitCode;

use analyzer::compare::{CompareOptions, compare, read_run};
use analyzer::export::{
    chrome, compare_console, compare_html, compare_json, console, folded, html, json, runs_console,
};
use analyzer::runs::{self, RunDir};
use analyzer::trace::TraceWindow;
use analyzer::{Options, SeverityThresholds, Sources, analyze_dir, analyze_sources};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// The exit status of `compare --fail-on-regression` when an operation regressed.
const REGRESSED: u8 = 3;

#[derive(Parser)]
#[command(
    name = "analyzer",
    version,
    about = "Analyses timing logs: bottlenecks, recommendations, trends, charts; compares runs; exports traces"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse every *_timing.log (and *.otlp.json) in one or more directories, and OTLP JSON
    /// trace files, and write the report and charts.
    Report(ReportArgs),
    /// List the runs of a log directory (the latest and those kept under runs/) and the
    /// settings that differ between them.
    Runs(RunsArgs),
    /// Compare two runs: per operation, the median ratio with its interval and a verdict.
    Compare(CompareArgs),
    /// Export a run for other tools: a Chrome trace (Perfetto) or folded stacks (flame graphs).
    Export(ExportArgs),
}

#[derive(Args)]
struct ReportArgs {
    /// Directory holding the *_timing.log and *_timing_summary.json files (and any *.otlp.json).
    /// Repeat it to merge the runs of several processes or hosts into one report [default: logs].
    #[arg(long)]
    logs: Vec<PathBuf>,
    /// OTLP JSON trace files (the OpenTelemetry collector's file exporter output).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    otlp: Vec<PathBuf>,
    /// Where performance_analysis_report.json and visualizations/ go (default: the first log
    /// directory, else the first OTLP file's directory).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Own work per call (ms; the mean duration of a leaf) above which an operation is a
    /// high-severity bottleneck.
    #[arg(long, default_value_t = 500.0)]
    high_ms: f64,
    /// Own work per call (ms) above which an operation is a medium-severity bottleneck.
    #[arg(long, default_value_t = 100.0)]
    medium_ms: f64,
    /// Own work per call (ms) above which an operation is a low-severity bottleneck.
    #[arg(long, default_value_t = 50.0)]
    low_ms: f64,
    /// Share of the run's own work (percent) from which an operation is high severity.
    #[arg(long, default_value_t = 25.0)]
    high_share: f64,
    /// Share (percent) from which an operation is medium severity.
    #[arg(long, default_value_t = 10.0)]
    medium_share: f64,
    /// Share (percent) from which an operation is low severity.
    #[arg(long, default_value_t = 5.0)]
    low_share: f64,
    /// Durations kept exactly per operation; beyond, percentiles come from a histogram.
    #[arg(long, default_value_t = 1_000_000)]
    exact_cap: usize,
    /// Worker threads reading and analysing (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Bottlenecks and recommendations shown.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Skip the SVG charts and report.html.
    #[arg(long)]
    no_charts: bool,
    /// Print nothing but errors.
    #[arg(long)]
    quiet: bool,
}

#[derive(Args)]
struct RunsArgs {
    /// The log directory: the latest run at its top, earlier ones under runs/.
    #[arg(long, default_value = "logs")]
    logs: PathBuf,
}

#[derive(Args)]
struct CompareArgs {
    /// The base run: a directory, a run id under LOGS/runs/, or `latest` (default: the run
    /// before the latest).
    base: Option<String>,
    /// The new run, named the same way (default: `latest`).
    new: Option<String>,
    /// The log directory that run ids and `latest` refer to.
    #[arg(long, default_value = "logs")]
    logs: PathBuf,
    /// Where comparison.json and comparison.html go (default: the new run's directory).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Noise threshold (percent): a median ratio whose interval stays within 1 +- this is no
    /// change.
    #[arg(long, default_value_t = 5.0)]
    threshold: f64,
    /// Exit with status 3 when any operation regressed (for CI).
    #[arg(long)]
    fail_on_regression: bool,
    /// Worker threads reading and analysing (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Print nothing but errors.
    #[arg(long)]
    quiet: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// The Chrome Trace Event format, for Perfetto's UI and chrome://tracing.
    Chrome,
    /// Folded stacks (`component;outer;inner self_ns`) for inferno, flamegraph.pl, speedscope.
    Folded,
}

#[derive(Args)]
struct ExportArgs {
    /// What to write.
    #[arg(long, value_enum)]
    format: Format,
    /// Directory holding the *_timing.log files.
    #[arg(long, default_value = "logs")]
    logs: PathBuf,
    /// The file to write (default: LOGS/trace.json, LOGS/stacks.folded).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Chrome: leave out the calls that end before this many seconds into the run.
    #[arg(long)]
    from: Option<f64>,
    /// Chrome: leave out the calls that start this many seconds into the run or later.
    #[arg(long)]
    to: Option<f64>,
    /// Chrome: write at most this many calls and events (the logs are read in time order).
    #[arg(long)]
    max_events: Option<u64>,
    /// Folded: worker threads reading and analysing (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

fn report(args: ReportArgs) -> Result<ExitCode, analyzer::Error> {
    let options = Options {
        thresholds: SeverityThresholds {
            high_ms: args.high_ms,
            medium_ms: args.medium_ms,
            low_ms: args.low_ms,
            high_share: args.high_share / 100.0,
            medium_share: args.medium_share / 100.0,
            low_share: args.low_share / 100.0,
        },
        exact_sample_cap: args.exact_cap,
        threads: args.threads,
        top: args.top,
        ..Options::default()
    };
    let mut sources = Sources {
        log_dirs: args.logs,
        otlp_files: args.otlp,
    };
    if sources.log_dirs.is_empty() && sources.otlp_files.is_empty() {
        sources.log_dirs.push(PathBuf::from("logs"));
    }
    let report = analyze_sources(&sources, &options)?;
    let out_dir = args.out.unwrap_or_else(|| sources.default_out_dir());
    let report_file = json::write(&report, &out_dir)?;
    if !args.no_charts {
        html::write(&report, &out_dir)?;
    }
    if !args.quiet {
        print!("{}", console::render(&report, Some(&report_file)));
        if !args.no_charts {
            println!(
                "\nCharts and report.html: {}",
                out_dir.join(analyzer::VISUALIZATIONS_DIR).display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn list_runs(args: RunsArgs) -> Result<ExitCode, analyzer::Error> {
    print!("{}", runs_console::render(&runs::list(&args.logs)?));
    Ok(ExitCode::SUCCESS)
}

fn compare_runs(args: CompareArgs) -> Result<ExitCode, analyzer::Error> {
    let (base, new): (RunDir, RunDir) = match (&args.base, &args.new) {
        (None, _) => runs::previous_and_latest(&args.logs)?,
        (Some(base), new) => (
            runs::resolve(&args.logs, base)?,
            runs::resolve(&args.logs, new.as_deref().unwrap_or(runs::LATEST))?,
        ),
    };
    let options = Options {
        threads: args.threads,
        ..Options::default()
    };
    let out_dir = args.out.unwrap_or_else(|| new.dir.clone());
    let base = read_run(base, &options)?;
    let new = read_run(new, &options)?;
    let comparison = compare(
        &base,
        &new,
        &CompareOptions {
            threshold: args.threshold / 100.0,
            ..CompareOptions::default()
        },
    )?;
    let json_file = compare_json::write(&comparison, &out_dir)?;
    let html_file = compare_html::write(&comparison, &out_dir)?;
    if !args.quiet {
        print!(
            "{}",
            compare_console::render(&comparison, &[&json_file, &html_file])
        );
    }
    if args.fail_on_regression && comparison.any_regressed() {
        return Ok(ExitCode::from(REGRESSED));
    }
    Ok(ExitCode::SUCCESS)
}

fn export(args: ExportArgs) -> Result<ExitCode, analyzer::Error> {
    match args.format {
        Format::Chrome => {
            let path = args.out.unwrap_or_else(|| chrome::default_path(&args.logs));
            let window = TraceWindow {
                from_s: args.from,
                to_s: args.to,
                max_events: args.max_events,
            };
            let summary = chrome::write(&args.logs, &path, window)?;
            eprintln!("{}", chrome::describe(&path, &summary));
        }
        Format::Folded => {
            let options = Options {
                threads: args.threads,
                ..Options::default()
            };
            let report = analyze_dir(&args.logs, &options)?;
            let path = args
                .out
                .unwrap_or_else(|| args.logs.join(folded::FOLDED_FILE));
            folded::write(&report, &path)?;
            eprintln!(
                "folded stacks: {} ({} of self time)",
                path.display(),
                analyzer::units::format_ns(report.call_tree.value_total_ns as f64)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Report(args) => report(args),
        Command::Runs(args) => list_runs(args),
        Command::Compare(args) => compare_runs(args),
        Command::Export(args) => export(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", analyzer::error::Chain(&error));
            ExitCode::FAILURE
        }
    }
}
