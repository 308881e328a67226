//! A run's logs as a stream of trace events, in bounded memory: the logs are read side by
//! side, each row as it comes (never all of them at once), merged by end time so that a
//! child on one thread (or in one log) and its parent on another pass close together; each
//! call is handed to the sink as soon as it is read.
//!
//! The clock: our format's `start_ns` (since the session started); the original's format,
//! whose times are wall-clock, counts from its banner's `Started at` (else its first row).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::events::{CallArgs, TraceEvent, TraceSummary, TraceWindow};
use super::flows::{Link, Links, Placed};
use super::process::{process_id, process_name};
use crate::error::Error;
use crate::ingest::detect::LogFormat;
use crate::ingest::discover::discover;
use crate::ingest::manifest::read_manifest;
use crate::ingest::numbers::format_timestamp_us;
use crate::ingest::rows::{RowStream, RowType};
use crate::ingest::summary_json::read_summary;
use crate::stats::accumulator::Status;

/// The original's logs have no threads: each log is a lane of its own, from this id up.
pub const LEGACY_LANE: u64 = 1000;

struct Input {
    stream: RowStream,
    /// The lane of a log in the original's format.
    lane: Option<u64>,
    live: bool,
}

fn read_error(input: &RowStream) -> impl Fn(std::io::Error) -> Error + '_ {
    |source| Error::Read {
        path: input.path().to_path_buf(),
        source,
    }
}

fn status(status: Status) -> &'static str {
    match status {
        Status::Ok => "ok",
        Status::Panicked => "panicked",
        Status::Cancelled => "cancelled",
    }
}

/// Streams the trace of the run in `dir` into `sink`, within `window`, and says what it
/// holds. Fails when the directory has no logs, a log cannot be read, or the sink fails.
pub fn stream_trace(
    dir: &Path,
    window: TraceWindow,
    mut sink: impl FnMut(&TraceEvent) -> Result<(), Error>,
) -> Result<TraceSummary, Error> {
    let found = discover(dir)?;
    let thread_names: BTreeMap<u32, String> = found
        .summaries
        .iter()
        .flat_map(|path| read_summary(path).threads)
        .collect();
    let manifest = read_manifest(dir)?;
    let pid = process_id(manifest.as_ref());
    let fallback_name = dir.file_name().map_or_else(
        || dir.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    let mut inputs = Vec::new();
    let mut lanes = 0;
    for path in &found.logs {
        let stream = RowStream::open(path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        let lane = (stream.format() == LogFormat::Legacy).then(|| {
            lanes += 1;
            LEGACY_LANE + lanes - 1
        });
        inputs.push(Input {
            stream,
            lane,
            live: false,
        });
    }
    for input in &mut inputs {
        input.live = input.stream.next_row().map_err(read_error(&input.stream))?;
    }
    // The original's clock starts at the earliest banner, else the earliest first row.
    let legacy_origin_ns = inputs
        .iter()
        .filter(|input| input.lane.is_some())
        .flat_map(|input| {
            let first = input.live.then_some(input.stream.row.start_ns);
            let banner = input.stream.banner_us.map(|us| us.saturating_mul(1000));
            [first, banner]
        })
        .flatten()
        .min();
    let any_ours = inputs.iter().any(|input| input.lane.is_none());
    let clock = match (any_ours, legacy_origin_ns) {
        (true, Some(origin)) => format!(
            "our logs: since their session started; the original's: since {}",
            format_timestamp_us(origin / 1000)
        ),
        (false, Some(origin)) => format!("since {}", format_timestamp_us(origin / 1000)),
        _ => "since the session started".to_string(),
    };
    let mut summary = TraceSummary {
        log_dir: dir.to_path_buf(),
        files: found.logs.clone(),
        clock,
        pid,
        window,
        calls: 0,
        instants: 0,
        flows: 0,
        threads: 0,
        rows_read: 0,
        outside_window: 0,
        stopped_at_max_events: false,
        problems: 0,
        unlinked_children: 0,
        first_s: None,
        last_s: None,
    };
    let name = process_name(manifest.as_ref(), &fallback_name);
    sink(&TraceEvent::ProcessName { pid, name: &name })?;
    let mut threads: BTreeSet<u64> = BTreeSet::new();
    let mut links = Links::default();
    let mut found_links: Vec<Link> = Vec::new();
    let origin = |input: &Input| {
        if input.lane.is_some() {
            legacy_origin_ns.unwrap_or(0)
        } else {
            0
        }
    };
    let (mut first_ns, mut last_ns) = (i64::MAX, i64::MIN);
    loop {
        let next = inputs
            .iter()
            .enumerate()
            .filter(|(_, input)| input.live)
            .min_by_key(|(_, input)| input.stream.row.end_ns().saturating_sub(origin(input)))
            .map(|(index, _)| index);
        let Some(index) = next else {
            break;
        };
        let input = &inputs[index];
        let row = &input.stream.row;
        let ts_ns = row.start_ns.saturating_sub(origin(input));
        let end_ns = row.end_ns().saturating_sub(origin(input));
        if !window.holds(ts_ns, end_ns) {
            summary.outside_window += 1;
        } else if window
            .max_events
            .is_some_and(|max| summary.calls + summary.instants >= max)
        {
            summary.stopped_at_max_events = true;
            break;
        } else {
            let tid = input.lane.unwrap_or(u64::from(row.thread));
            if threads.insert(tid) {
                let name = match input.lane {
                    Some(_) => row.component.clone(),
                    None => thread_names
                        .get(&row.thread)
                        .cloned()
                        .unwrap_or_else(|| format!("thread {}", row.thread)),
                };
                sink(&TraceEvent::ThreadName {
                    pid,
                    tid,
                    name: &name,
                })?;
            }
            let args = CallArgs {
                component: &row.component,
                details: &row.details,
                call_id: (row.call_id != 0).then_some(row.call_id),
                parent_id: (row.parent_id != 0).then_some(row.parent_id),
                status: status(row.status),
            };
            match row.kind {
                RowType::Call => {
                    summary.calls += 1;
                    sink(&TraceEvent::Span {
                        pid,
                        tid,
                        name: &row.operation,
                        category: &row.phase,
                        ts_ns,
                        dur_ns: row.duration_ns,
                        args,
                    })?;
                }
                RowType::Event => {
                    summary.instants += 1;
                    sink(&TraceEvent::Instant {
                        pid,
                        tid,
                        name: &row.operation,
                        category: &row.phase,
                        ts_ns,
                        args,
                    })?;
                }
            }
            first_ns = first_ns.min(ts_ns);
            last_ns = last_ns.max(end_ns);
            if row.call_id != 0 {
                let placed = Placed {
                    call_id: row.call_id,
                    tid,
                    ts_ns,
                };
                links.written(placed, row.parent_id, &mut found_links);
                for link in found_links.drain(..) {
                    summary.flows += 1;
                    sink(&TraceEvent::LinkFrom {
                        pid,
                        tid: link.parent.tid,
                        id: link.child.call_id,
                        ts_ns: link.parent.ts_ns,
                    })?;
                    sink(&TraceEvent::LinkTo {
                        pid,
                        tid: link.child.tid,
                        id: link.child.call_id,
                        ts_ns: link.child.ts_ns,
                    })?;
                }
            }
        }
        let input = &mut inputs[index];
        input.live = input.stream.next_row().map_err(read_error(&input.stream))?;
    }
    summary.threads = threads.len() as u64;
    summary.rows_read = inputs.iter().map(|input| input.stream.rows).sum();
    summary.problems = inputs.iter().map(|input| input.stream.problems).sum();
    summary.unlinked_children = links.unmatched() + links.dropped;
    if first_ns <= last_ns {
        summary.first_s = Some(first_ns as f64 / 1e9);
        summary.last_s = Some(last_ns as f64 / 1e9);
    }
    Ok(summary)
}
