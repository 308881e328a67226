//! Per-site statistics merged across threads: the JSON summary of each component, and the
//! in-process snapshot.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use crate::error::Error;
use crate::histogram::RELATIVE_ERROR;
use crate::session::{self, SessionShared};
use crate::site::{Site, site_table};
use crate::stats::Stats;
use crate::timestamp::TimestampFormatter;
use crate::writer::WriterState;

/// Every site's statistics so far: the writer's (full mode), exited threads' and live threads'
/// (summary mode). Call with the writer lock held.
fn merged_stats(session: &SessionShared, writer: &WriterState) -> Vec<Stats> {
    let sites = site_table().len();
    let mut merged = vec![Stats::default(); sites];
    for (site, stats) in merged.iter_mut().enumerate() {
        if let Some(full) = writer.stats.get(site) {
            stats.merge(full);
        }
        if let Some(retired) = writer.retired.get(site) {
            stats.merge(retired);
        }
    }
    for thread in session.threads_snapshot() {
        for (site, stats) in merged.iter_mut().enumerate() {
            if let Some(table) = thread.table(site) {
                stats.merge_atomic(table);
            }
        }
    }
    merged
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

#[derive(Serialize)]
struct ComponentSummary<'a> {
    component: &'a str,
    generated_at: String,
    mode: &'static str,
    clock: &'static str,
    session_ms: f64,
    histogram_relative_error: f64,
    rows_written: u64,
    rows_lost: u64,
    write_errors: u64,
    threads: BTreeMap<String, Option<&'a str>>,
    operations: BTreeMap<&'static str, OperationSummary>,
}

#[derive(Serialize)]
struct OperationSummary {
    phase: &'static str,
    component: &'static str,
    count: u64,
    panicked: u64,
    cancelled: u64,
    total_ms: f64,
    self_ms: f64,
    min_ms: Option<f64>,
    max_ms: Option<f64>,
    avg_ms: Option<f64>,
    median_ms: Option<f64>,
    p95_ms: Option<f64>,
    p99_ms: Option<f64>,
    sites: Vec<SiteLocation>,
}

#[derive(Serialize)]
struct SiteLocation {
    module_path: &'static str,
    file: &'static str,
    line: u32,
    phase: &'static str,
}

impl OperationSummary {
    fn new(site: &'static Site) -> OperationSummary {
        OperationSummary {
            phase: site.phase(),
            component: site.component(),
            count: 0,
            panicked: 0,
            cancelled: 0,
            total_ms: 0.0,
            self_ms: 0.0,
            min_ms: None,
            max_ms: None,
            avg_ms: None,
            median_ms: None,
            p95_ms: None,
            p99_ms: None,
            sites: Vec::new(),
        }
    }

    fn fill(&mut self, stats: &Stats) {
        self.count = stats.count;
        self.panicked = stats.panicked;
        self.cancelled = stats.cancelled;
        self.total_ms = ms(stats.total_ns);
        self.self_ms = ms(stats.self_ns);
        if stats.count > 0 {
            self.min_ms = Some(ms(stats.min_ns));
            self.max_ms = Some(ms(stats.max_ns));
            self.avg_ms = Some(ms(stats.total_ns) / stats.count as f64);
            self.median_ms = stats.percentile(0.5).map(ms);
            self.p95_ms = stats.percentile(0.95).map(ms);
            self.p99_ms = stats.percentile(0.99).map(ms);
        }
    }
}

/// Writes each component's `<stem>_timing_summary.json`, listing every registered site of the
/// component (count 0 for those never called). Sites sharing a name are merged under it.
pub(crate) fn write_summaries(
    session: &SessionShared,
    writer: &mut WriterState,
) -> Result<(), Error> {
    let stats = merged_stats(session, writer);
    let sites = site_table();
    let generated_at = TimestampFormatter::new().format(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
    );
    let threads: BTreeMap<String, Option<&str>> = writer
        .thread_names
        .iter()
        .map(|(index, name)| (index.to_string(), name.as_deref()))
        .collect();
    let mut first_error = None;
    for output in &writer.outputs {
        let mut operations: BTreeMap<&'static str, (OperationSummary, Stats)> = BTreeMap::new();
        for (index, site) in sites.iter().enumerate() {
            if site.component() != output.component {
                continue;
            }
            let (operation, merged) = operations
                .entry(site.name())
                .or_insert_with(|| (OperationSummary::new(site), Stats::default()));
            merged.merge(&stats[index]);
            operation.sites.push(SiteLocation {
                module_path: site.module_path(),
                file: site.file(),
                line: site.line(),
                phase: site.phase(),
            });
        }
        let summary = ComponentSummary {
            component: &output.component,
            generated_at: generated_at.clone(),
            mode: session.mode.as_str(),
            clock: session.clock.as_str(),
            session_ms: session.started.elapsed().as_nanos() as f64 / 1e6,
            histogram_relative_error: RELATIVE_ERROR,
            rows_written: output.rows_written,
            rows_lost: output.rows_lost,
            write_errors: output.write_errors,
            threads: threads.clone(),
            operations: operations
                .into_iter()
                .map(|(name, (mut operation, merged))| {
                    operation.fill(&merged);
                    (name, operation)
                })
                .collect(),
        };
        let written = serde_json::to_vec_pretty(&summary)
            .map_err(std::io::Error::from)
            .and_then(|text| write_atomically(&output.summary_path, &text));
        if let Err(source) = written {
            first_error.get_or_insert(Error::Write {
                path: output.summary_path.clone(),
                source,
            });
        }
    }
    writer.changed = false;
    first_error.map_or(Ok(()), Err)
}

/// Replaces `path` with `contents` so that a reader, or the file system after a crash, sees the
/// old file or the new one, never a mix: a temporary file beside it is written and synced to
/// disk, renamed over it, and the rename synced with the directory.
fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let mut temporary = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temporary.write_all(contents)?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|error| error.error)?;
    sync_dir(dir)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    // Directories cannot be opened for syncing there; the rename is as durable as the OS makes it.
    Ok(())
}

/// One instrumented site's statistics so far in the live session.
#[derive(Clone, Debug)]
pub struct OperationStats {
    pub site: &'static Site,
    pub count: u64,
    pub panicked: u64,
    pub cancelled: u64,
    pub total: Duration,
    /// Total minus the time spent in timed calls made directly from these calls.
    pub self_time: Duration,
    pub min: Option<Duration>,
    pub max: Option<Duration>,
    pub mean: Option<Duration>,
    /// Percentiles are within `histogram_relative_error` of the exact nearest-rank values.
    pub median: Option<Duration>,
    pub p95: Option<Duration>,
    pub p99: Option<Duration>,
}

/// Statistics of every registered site, after taking in everything recorded so far (which also
/// writes pending rows). Empty when no session is live.
pub fn snapshot() -> Vec<OperationStats> {
    let Some(session) = session::current() else {
        return Vec::new();
    };
    let mut writer = session.lock_writer();
    if session.mode != crate::Mode::Off {
        let _ = session.flush_locked(&mut writer, false);
    }
    let stats = merged_stats(&session, &writer);
    site_table()
        .iter()
        .zip(stats)
        .map(|(site, stats)| {
            let nanos = Duration::from_nanos;
            let recorded = |value: u64| (stats.count > 0).then(|| nanos(value));
            OperationStats {
                site,
                count: stats.count,
                panicked: stats.panicked,
                cancelled: stats.cancelled,
                total: nanos(stats.total_ns),
                self_time: nanos(stats.self_ns),
                min: recorded(stats.min_ns),
                max: recorded(stats.max_ns),
                mean: recorded(stats.total_ns / stats.count.max(1)),
                median: stats.percentile(0.5).map(nanos),
                p95: stats.percentile(0.95).map(nanos),
                p99: stats.percentile(0.99).map(nanos),
            }
        })
        .collect()
}

/// The bound on the relative error of reported percentiles.
pub fn histogram_relative_error() -> f64 {
    RELATIVE_ERROR
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_atomic_write_replaces_the_file_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c_timing_summary.json");
        std::fs::write(&path, "old").unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, ["c_timing_summary.json"]);
    }

    #[test]
    fn an_atomic_write_into_a_missing_directory_fails_with_the_cause() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("c_timing_summary.json");
        let error = write_atomically(&path, b"new").unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
    }
}
