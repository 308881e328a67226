//! Several inputs in one report: log directories (each the run of one process: `analyzer report
//! --logs A --logs B`) and OTLP JSON files (`--otlp FILE...`, and every `*.otlp.json` in the
//! directories). Each directory is a process of the merged dataset (see `process.rs`), its
//! summaries' thread names moved to its threads.

use std::path::PathBuf;

use super::dataset::Dataset;
use super::discover::discover;
use super::otlp_calls::add_otlp_files;
use super::process::Process;
use super::summary_json::read_summary;
use crate::error::Error;
use crate::options::Options;

/// What one report reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sources {
    /// Log directories, one process each, in this order.
    pub log_dirs: Vec<PathBuf>,
    /// OTLP JSON files besides those found in the directories.
    pub otlp_files: Vec<PathBuf>,
}

impl Sources {
    /// Where the report goes when not told: the first directory, else the first OTLP file's.
    pub fn default_out_dir(&self) -> PathBuf {
        self.log_dirs.first().cloned().unwrap_or_else(|| {
            self.otlp_files
                .first()
                .and_then(|file| file.parent())
                .filter(|dir| !dir.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), PathBuf::from)
        })
    }
}

/// Reads every source into one dataset. Fails when a directory is missing, unreadable or holds
/// no input, or a reader thread fails; bad content becomes input problems.
pub fn ingest_sources(sources: &Sources, options: &Options) -> Result<Dataset, Error> {
    let first_dir = sources.default_out_dir();
    let mut dataset = Dataset::new(&first_dir, options);
    let mut otlp = sources.otlp_files.clone();
    let several = sources.log_dirs.len() + usize::from(!sources.otlp_files.is_empty()) > 1;
    for dir in &sources.log_dirs {
        let inputs = discover(dir)?;
        let index = dataset.processes.len();
        let thread_base = dataset
            .processes
            .last()
            .map_or(0, Process::next_thread_base);
        dataset
            .processes
            .push(Process::of_dir(dir, index, thread_base));
        for log in &inputs.logs {
            dataset.add_log_of(log, options, index)?;
        }
        let process = &dataset.processes[index];
        for path in &inputs.summaries {
            let mut summary = read_summary(path);
            summary.threads = std::mem::take(&mut summary.threads)
                .into_iter()
                .map(|(thread, name)| {
                    let name = if several {
                        format!("{}: {name}", process.label)
                    } else {
                        name
                    };
                    (process.thread(thread), name)
                })
                .collect();
            dataset.summaries.push(summary);
        }
        otlp.extend(inputs.otlp);
    }
    add_otlp_files(&mut dataset, &otlp, options);
    Ok(dataset)
}
