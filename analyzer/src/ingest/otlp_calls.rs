//! OTLP spans become calls: the service (or `timed.component`) is the component, the span's name
//! the operation, parent links the nesting. Every OTLP file of a report is read before any span
//! is recorded, so that parents found in another file (another service, linked by the trace
//! context) are found, and every span is placed on one timeline: nanoseconds since the earliest
//! span's start. Each resource (service instance) is a process; a span's thread is its
//! `thread.id` within that process, else one thread per process, so a call into another
//! service is a child on another thread: its parent's thread waits for it.
//!
//! Self time: `timed.self_ns` where `timed-runtime` exported the span; otherwise the duration
//! less the time covered by the span's direct children on its own thread (overlapping children
//! counted once), as our logs count it.

use std::collections::HashMap;
use std::path::PathBuf;

use super::callgraph::CallRecord;
use super::chunk::{ChunkContext, ChunkOutput};
use super::dataset::Dataset;
use super::otlp_json::{OtlpFile, ResourceKey, read_otlp_file};
use super::process::{OTLP_CALL_IDS, Process};
use crate::options::Options;
use crate::stats::accumulator::Call;

/// A span's identity across every file: its trace and its id.
type SpanKey = ([u8; 16], [u8; 8]);

/// Reads every OTLP file in `paths` and adds their calls to `dataset`, each resource a new
/// process. Bad content becomes the files' problems; nothing here fails.
pub fn add_otlp_files(dataset: &mut Dataset, paths: &[PathBuf], options: &Options) {
    if paths.is_empty() {
        return;
    }
    let files: Vec<OtlpFile> = paths.iter().map(|path| read_otlp_file(path)).collect();

    // Processes, in order of first appearance, with room for each one's threads.
    let mut processes: HashMap<&ResourceKey, usize> = HashMap::new();
    let mut resource_process: Vec<Vec<usize>> = Vec::new();
    for file in &files {
        let mut of_resource = Vec::new();
        for key in &file.resources {
            let next = dataset.processes.len();
            let index = *processes.entry(key).or_insert_with(|| {
                dataset.processes.push(Process {
                    index: next,
                    label: label(key),
                    pid: key.pid,
                    host: key.host.clone(),
                    service: key.service.clone(),
                    ..Process::default()
                });
                next
            });
            of_resource.push(index);
        }
        resource_process.push(of_resource);
    }
    for (file, of_resource) in files.iter().zip(&resource_process) {
        for span in &file.spans {
            dataset.processes[of_resource[span.resource]].saw_thread(span.thread.unwrap_or(1));
        }
    }
    let mut base = 0;
    for process in &mut dataset.processes {
        if process.dir.is_none() && process.thread_base == 0 {
            process.thread_base = base;
        }
        base = process.next_thread_base();
    }

    // Call ids shared by every file, so links across files and services hold.
    let mut ids: HashMap<SpanKey, u64> = HashMap::new();
    let mut id_of = |key: SpanKey| {
        let next = OTLP_CALL_IDS + ids.len() as u64 + 1;
        *ids.entry(key).or_insert(next)
    };
    let origin = files
        .iter()
        .flat_map(|file| &file.spans)
        .map(|span| span.start_unix_ns)
        .min()
        .unwrap_or(0);

    // Every call's place, then its children's time on its own thread.
    struct Placed {
        call_id: u64,
        parent_id: u64,
        thread: u32,
    }
    let placed: Vec<Vec<Placed>> = files
        .iter()
        .zip(&resource_process)
        .map(|(file, of_resource)| {
            file.spans
                .iter()
                .map(|span| Placed {
                    call_id: id_of((span.trace_id, span.span_id)),
                    parent_id: span
                        .parent_span_id
                        .map_or(0, |parent| id_of((span.trace_id, parent))),
                    thread: dataset.processes[of_resource[span.resource]]
                        .thread(span.thread.unwrap_or(1)),
                })
                .collect()
        })
        .collect();
    let mut children: HashMap<u64, Vec<(u64, u64, u32)>> = HashMap::new();
    for (file, places) in files.iter().zip(&placed) {
        for (span, place) in file.spans.iter().zip(places) {
            if place.parent_id != 0 {
                children.entry(place.parent_id).or_default().push((
                    span.start_unix_ns,
                    span.end_unix_ns,
                    place.thread,
                ));
            }
        }
    }

    let limits = options.limits();
    for (otlp, places) in files.into_iter().zip(placed) {
        let OtlpFile { file, spans, .. } = otlp;
        let stem = file.stem.clone();
        let context = ChunkContext {
            stem: stem.as_bytes(),
            limits,
            callgraph_budget: options.call_graph_budget,
            release_pages: false,
            inject_panic: None,
        };
        let mut out = ChunkOutput::new(&context);
        out.lines = file.lines;
        for (span, place) in spans.iter().zip(places) {
            let duration_ns = span.end_unix_ns - span.start_unix_ns;
            let self_ns = span.self_ns.map_or_else(
                || {
                    let own = children.get(&place.call_id).map_or(0, |children| {
                        covered(span.start_unix_ns, span.end_unix_ns, place.thread, children)
                    });
                    duration_ns - own
                },
                |logged| logged.min(duration_ns),
            );
            let id = out.op_id(
                span.component.as_bytes(),
                span.operation.as_bytes(),
                span.phase.as_bytes(),
                limits,
            );
            let start_ns = span.start_unix_ns - origin;
            out.record_call(
                id,
                Call {
                    duration_ns,
                    self_ns: Some(self_ns as i64),
                    start_ns: start_ns as i64,
                    thread: place.thread,
                    status: span.status,
                },
                limits,
            );
            out.record_graph(CallRecord {
                call_id: place.call_id,
                parent_id: place.parent_id,
                key: id,
                thread: place.thread,
                start_ns,
                duration_ns,
            });
            out.note_wall_clock(
                (span.start_unix_ns / 1000) as i64,
                (span.end_unix_ns / 1000) as i64,
            );
            out.rows += 1;
        }
        dataset.add_parsed(file, vec![out]);
    }
}

/// How the report names a process known from its OTLP resource.
fn label(key: &ResourceKey) -> String {
    let mut label = key
        .service
        .clone()
        .unwrap_or_else(|| "unknown_service".to_string());
    let mut place = Vec::new();
    if let Some(instance) = &key.instance {
        place.push(format!("instance {instance}"));
    }
    if let Some(host) = &key.host {
        place.push(format!("host {host}"));
    }
    if let Some(pid) = key.pid {
        place.push(format!("pid {pid}"));
    }
    if !place.is_empty() {
        label.push_str(&format!(" ({})", place.join(", ")));
    }
    label
}

/// The time within `[start, end)` covered by the children that ran on `thread`.
fn covered(start: u64, end: u64, thread: u32, children: &[(u64, u64, u32)]) -> u64 {
    let mut intervals: Vec<(u64, u64)> = children
        .iter()
        .filter(|child| child.2 == thread)
        .map(|&(from, to, _)| (from.max(start), to.min(end)))
        .filter(|(from, to)| from < to)
        .collect();
    intervals.sort_unstable();
    let mut total = 0;
    let mut reach = start;
    for (from, to) in intervals {
        let from = from.max(reach);
        if to > from {
            total += to - from;
            reach = to;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_children_are_counted_once_and_clipped_to_the_parent() {
        let children = [(10, 30, 1), (20, 40, 1), (50, 60, 2), (90, 120, 1)];
        assert_eq!(covered(0, 100, 1, &children), 30 + 10);
        assert_eq!(covered(0, 100, 2, &children), 10);
        assert_eq!(covered(0, 100, 3, &children), 0);
    }
}
