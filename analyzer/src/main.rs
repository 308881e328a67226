//! `analyzer report`: reads a log directory and tells where the time goes and what to change.

use std::path::PathBuf;
use std::process::ExitCode;

use analyzer::export::{console, html, json};
use analyzer::{Options, SeverityThresholds, Sources, analyze_sources};
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "analyzer",
    version,
    about = "Analyses timing logs: bottlenecks, recommendations, trends, charts"
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

fn run(args: ReportArgs) -> Result<(), analyzer::Error> {
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
    Ok(())
}

fn main() -> ExitCode {
    let Command::Report(args) = Cli::parse().command;
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", analyzer::error::Chain(&error));
            ExitCode::FAILURE
        }
    }
}
