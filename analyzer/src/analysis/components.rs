//! Per component: operation and phase statistics, shares that count neither nesting twice
//! nor waiting as work, per-thread load, legacy events and what the summaries add (call
//! sites, never-called ops).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rayon::prelude::*;

use super::inputs::summaries_by_component;
use crate::error::Error;
use crate::ingest::dataset::Dataset;
use crate::ingest::detect::LogFormat;
use crate::ingest::interner::OpKey;
use crate::ingest::numbers::format_timestamp_us;
use crate::ingest::summary_json::SummaryFile;
use crate::options::{INJECTED_PANIC, InjectedPanic};
use crate::report::{
    ComponentReport, EventReport, OperationReport, PhaseReport, SelfTimeSource, ShareBasis,
    ThreadLoad, ThreadShare,
};
use crate::stats::accumulator::OpAccumulator;
use crate::stats::summary::{DurationStats, summarize_group};
use crate::units::ns_to_ms;
use crate::workers::catch_panic;

/// Computes every operation's statistics (`keys[i]` names `ops[i]`) in parallel: percentile
/// selection dominates. A panic fails the analysis, naming the operation.
pub fn summarize_all(
    keys: &[OpKey],
    ops: &[OpAccumulator],
    inject_panic: Option<&InjectedPanic>,
) -> Result<Vec<Option<DurationStats>>, Error> {
    let stats: Vec<Result<Option<DurationStats>, Error>> = ops
        .par_iter()
        .zip(keys)
        .map(|(op, key)| {
            catch_panic(|| {
                if matches!(inject_panic, Some(InjectedPanic::Statistics(name)) if *name == key.operation)
                {
                    panic!("{INJECTED_PANIC}");
                }
                op.summarize()
            })
            .map_err(|message| operation_panicked("statistics", key, message))
        })
        .collect();
    stats.into_iter().collect()
}

/// The error of an operation's analysis that panicked.
pub fn operation_panicked(stage: &'static str, key: &OpKey, message: String) -> Error {
    Error::AnalysisPanicked {
        stage,
        component: key.component.clone(),
        operation: key.operation.clone(),
        phase: key.phase.clone(),
        message,
    }
}

/// The names of all components with at least one call or event, sorted.
pub fn component_names(dataset: &Dataset) -> Vec<String> {
    let names: BTreeSet<String> = dataset
        .table
        .keys
        .iter()
        .zip(&dataset.table.ops)
        .filter(|(_, op)| op.count > 0)
        .map(|(key, _)| key.component.clone())
        .chain(dataset.events.iter().map(|(key, _)| key.component.clone()))
        .collect();
    names.into_iter().collect()
}

/// Where the component's timeline starts (its first call), in the log's own clock.
pub fn timeline_origin_ns(dataset: &Dataset, component: &str) -> i64 {
    dataset
        .table
        .keys
        .iter()
        .zip(&dataset.table.ops)
        .filter(|(key, op)| key.component == component && op.count > 0)
        .map(|(_, op)| op.first_start_ns)
        .min()
        .unwrap_or(0)
}

/// The names of the threads: from the summaries, and for processes known from OTLP spans
/// (which have none) from the process.
fn thread_names(dataset: &Dataset, summaries: &[&SummaryFile]) -> BTreeMap<u32, String> {
    dataset
        .processes
        .iter()
        .flat_map(|process| process.thread_names())
        .chain(summaries.iter().flat_map(|summary| summary.threads.clone()))
        .collect()
}

fn self_time_source(
    dataset: &Dataset,
    component: &str,
    ops: &[&OpAccumulator],
) -> (SelfTimeSource, String) {
    let files: Vec<_> = dataset
        .files
        .iter()
        .filter(|file| file.components.iter().any(|c| c == component))
        .collect();
    let all_known = ops.iter().all(|op| op.self_known == op.count);
    if !all_known {
        let (overlaps, ends) = files.iter().filter_map(|file| file.nesting).fold(
            (0, 0),
            |(overlaps, ends), nesting| {
                (overlaps + nesting.partial_overlaps, ends + nesting.end_rows)
            },
        );
        return (
            SelfTimeSource::Unavailable,
            format!(
                "{overlaps} of {ends} END rows overlap other calls partially (concurrent operations), so nesting cannot be derived; shares use total time and may count nested calls twice"
            ),
        );
    }
    if files.iter().all(|file| file.format.has_call_tree()) {
        return (
            SelfTimeSource::Logged,
            "self_ms column of the log".to_string(),
        );
    }
    let (ends, approximate) = files.iter().filter_map(|file| file.nesting).fold(
        (0, 0),
        |(ends, approximate), nesting| {
            (
                ends + nesting.end_rows,
                approximate + nesting.approximate_parents,
            )
        },
    );
    let mut note = format!(
        "derived from START/END intervals on the timeline ({ends} END rows; children logged in another file are not subtracted)"
    );
    if approximate > 0 {
        note.push_str(&format!(
            "; {approximate} parents of very many calls have approximate self time (bounded memory)"
        ));
    }
    (SelfTimeSource::DerivedFromIntervals, note)
}

struct Members<'a> {
    ids: Vec<usize>,
    ops: Vec<&'a OpAccumulator>,
}

/// Builds every component's report; `waiting_ms` is the waiting analysis's estimate per
/// operation id. Shares of the run are set by [`apply_run_shares`].
pub fn build_components(
    dataset: &Dataset,
    stats: &[Option<DurationStats>],
    exact_cap: usize,
    waiting_ms: &HashMap<u32, f64>,
) -> Vec<ComponentReport> {
    let names = component_names(dataset);
    let summaries = summaries_by_component(dataset, &names);
    let mut components: Vec<ComponentReport> = names
        .iter()
        .map(|name| {
            let component_summaries = summaries.get(name).map(Vec::as_slice).unwrap_or(&[]);
            build_component(
                dataset,
                stats,
                name,
                component_summaries,
                exact_cap,
                waiting_ms,
            )
        })
        .collect();
    apply_run_shares(&mut components);
    components
}

/// The run's own work: the basis of every share used for severity and priority.
pub fn run_basis_ms(components: &[ComponentReport]) -> f64 {
    components.iter().map(|component| component.basis_ms).sum()
}

/// Sets every operation's and phase's share of the run's own work (all components).
pub fn apply_run_shares(components: &mut [ComponentReport]) {
    let basis = run_basis_ms(components);
    let share_of = |ms: f64| if basis > 0.0 { ms / basis } else { 0.0 };
    for component in components.iter_mut() {
        for operation in &mut component.operations {
            operation.share = share_of(operation.own_work_ms);
            operation.inclusive_share = share_of(operation.stats.total_ms);
        }
        for phase in &mut component.phases {
            phase.share = share_of(phase.own_work_ms);
        }
    }
}

fn build_component(
    dataset: &Dataset,
    stats: &[Option<DurationStats>],
    name: &str,
    summaries: &[&SummaryFile],
    exact_cap: usize,
    waiting_by_key: &HashMap<u32, f64>,
) -> ComponentReport {
    let table = &dataset.table;
    let mut members = Members {
        ids: Vec::new(),
        ops: Vec::new(),
    };
    for (id, (key, op)) in table.keys.iter().zip(&table.ops).enumerate() {
        if key.component == name && op.count > 0 && stats[id].is_some() {
            members.ids.push(id);
            members.ops.push(op);
        }
    }
    let (self_time, self_time_note) = self_time_source(dataset, name, &members.ops);
    let self_known = self_time != SelfTimeSource::Unavailable;
    let total_time_ms: f64 = members
        .ops
        .iter()
        .map(|op| ns_to_ms(op.total_ns as f64))
        .sum();
    let self_time_ms = self_known.then(|| {
        members
            .ops
            .iter()
            .map(|op| ns_to_ms(op.self_ns as f64))
            .sum::<f64>()
    });
    let has_parent_links = dataset
        .files
        .iter()
        .any(|file| file.format.has_call_tree() && file.components.iter().any(|c| c == name));
    let origin = timeline_origin_ns(dataset, name);
    let end = members
        .ops
        .iter()
        .map(|op| op.last_end_ns)
        .max()
        .unwrap_or(origin);
    let span_s = (end - origin).max(0) as f64 / 1e9;
    let names = thread_names(dataset, summaries);
    let mut operations: Vec<OperationReport> = members
        .ids
        .iter()
        .zip(&members.ops)
        .map(|(&id, op)| {
            let key = &table.keys[id];
            let stats = stats[id].clone().expect("members have statistics");
            let self_ms = self_known.then(|| ns_to_ms(op.self_ns as f64));
            // Waiting is part of self time; an estimate from a sample (or a log whose self
            // time already left out children on other threads) must not exceed it.
            let waiting_ms = has_parent_links.then(|| {
                let waiting = waiting_by_key.get(&(id as u32)).copied().unwrap_or(0.0);
                self_ms.map_or(waiting, |self_ms| waiting.min(self_ms.max(0.0)))
            });
            let own_work_ms = match self_ms {
                Some(self_ms) => (self_ms - waiting_ms.unwrap_or(0.0)).max(0.0),
                None => stats.total_ms,
            };
            let mut threads: Vec<ThreadShare> = op
                .threads
                .iter()
                .map(|thread| ThreadShare {
                    thread: thread.thread,
                    name: names.get(&thread.thread).cloned(),
                    count: thread.count,
                    total_ms: ns_to_ms(thread.total_ns as f64),
                    self_ms: self_known.then(|| ns_to_ms(thread.self_ns as f64)),
                })
                .collect();
            threads.sort_by_key(|thread| thread.thread);
            OperationReport {
                component: key.component.clone(),
                operation: key.operation.clone(),
                phase: key.phase.clone(),
                share: 0.0,
                component_share: 0.0,
                inclusive_share: 0.0,
                self_ms,
                waiting_ms,
                own_work_ms,
                panicked: op.panicked,
                cancelled: op.cancelled,
                first_call_s: (op.first_start_ns - origin) as f64 / 1e9,
                last_end_s: (op.last_end_ns - origin) as f64 / 1e9,
                calls_per_second: (span_s > 0.0).then(|| op.count as f64 / span_s),
                threads,
                sites: sites_for(summaries, &key.operation),
                stats,
            }
        })
        .collect();
    operations.sort_by(|a, b| {
        b.own_ms()
            .total_cmp(&a.own_ms())
            .then_with(|| a.operation.cmp(&b.operation))
    });
    let basis_ms: f64 = operations.iter().map(OperationReport::own_ms).sum();
    let share_basis = if self_known {
        ShareBasis::OwnWork
    } else {
        ShareBasis::TotalTime
    };
    let component_share = |ms: f64| if basis_ms > 0.0 { ms / basis_ms } else { 0.0 };
    for operation in &mut operations {
        operation.component_share = component_share(operation.own_work_ms);
    }
    let waiting_ms = has_parent_links.then(|| {
        operations
            .iter()
            .filter_map(|operation| operation.waiting_ms)
            .sum::<f64>()
    });
    let mut phases = build_phases(&members, table, self_known, exact_cap, &operations);
    for phase in &mut phases {
        phase.component_share = component_share(phase.own_work_ms);
    }
    let total_operations = members.ops.iter().map(|op| op.count).sum();
    let slowest = operations
        .iter()
        .max_by(|a, b| a.stats.mean_ms.total_cmp(&b.stats.mean_ms));
    let files: Vec<_> = dataset
        .files
        .iter()
        .filter(|file| file.components.iter().any(|c| c == name))
        .collect();
    let mut formats: Vec<LogFormat> = files.iter().map(|file| file.format).collect();
    formats.dedup();
    let run_started = files.iter().filter_map(|file| file.first_start_us).min();
    let run_ended = files.iter().filter_map(|file| file.last_end_us).max();
    ComponentReport {
        name: name.to_string(),
        formats,
        files: files.iter().map(|file| file.path.clone()).collect(),
        total_operations,
        total_time_ms,
        avg_operation_duration_ms: if total_operations > 0 {
            total_time_ms / total_operations as f64
        } else {
            0.0
        },
        slowest_operation: slowest.map(|op| op.operation.clone()),
        slowest_duration_ms: slowest.map(|op| op.stats.mean_ms),
        self_time_ms,
        self_time,
        self_time_note,
        waiting_ms,
        share_basis,
        basis_ms,
        run_started_at: run_started.map(format_timestamp_us),
        run_ended_at: run_ended.map(format_timestamp_us),
        span_s,
        threads: thread_loads(&members.ops, &names, self_known),
        events: events_of(dataset, name),
        never_called: never_called(summaries, &operations),
        phases,
        operations,
    }
}

fn build_phases(
    members: &Members,
    table: &crate::ingest::dataset::OpTable,
    self_known: bool,
    exact_cap: usize,
    operations: &[OperationReport],
) -> Vec<PhaseReport> {
    let mut by_phase: BTreeMap<&str, Vec<&OpAccumulator>> = BTreeMap::new();
    for (&id, op) in members.ids.iter().zip(&members.ops) {
        by_phase
            .entry(table.keys[id].phase.as_str())
            .or_default()
            .push(op);
    }
    let mut phases: Vec<PhaseReport> = by_phase
        .into_iter()
        .filter_map(|(phase, ops)| {
            let stats = summarize_group(&ops, exact_cap)?;
            let self_ms = self_known.then(|| {
                ops.iter()
                    .map(|op| ns_to_ms(op.self_ns as f64))
                    .sum::<f64>()
            });
            Some(PhaseReport {
                phase: phase.to_string(),
                operations: ops.len(),
                own_work_ms: operations
                    .iter()
                    .filter(|operation| operation.phase == phase)
                    .map(OperationReport::own_ms)
                    .sum(),
                share: 0.0,
                component_share: 0.0,
                self_ms,
                stats,
            })
        })
        .collect();
    phases.sort_by(|a, b| {
        b.own_work_ms
            .total_cmp(&a.own_work_ms)
            .then_with(|| a.phase.cmp(&b.phase))
    });
    phases
}

fn thread_loads(
    ops: &[&OpAccumulator],
    names: &BTreeMap<u32, String>,
    self_known: bool,
) -> Vec<ThreadLoad> {
    let mut loads: BTreeMap<u32, (u64, f64)> = BTreeMap::new();
    for op in ops {
        for thread in &op.threads {
            let entry = loads.entry(thread.thread).or_default();
            entry.0 += thread.count;
            entry.1 += ns_to_ms(if self_known {
                thread.self_ns as f64
            } else {
                thread.total_ns as f64
            });
        }
    }
    loads
        .into_iter()
        .map(|(thread, (calls, self_ms))| ThreadLoad {
            thread,
            name: names.get(&thread).cloned(),
            calls,
            self_ms,
        })
        .collect()
}

fn events_of(dataset: &Dataset, component: &str) -> Vec<EventReport> {
    dataset
        .events
        .iter()
        .filter(|(key, _)| key.component == component)
        .map(|(key, tally)| EventReport {
            name: key.operation.clone(),
            phase: key.phase.clone(),
            count: tally.count,
            first_at: format_timestamp_us(tally.first_us),
            last_at: format_timestamp_us(tally.last_us),
        })
        .collect()
}

fn sites_for(
    summaries: &[&SummaryFile],
    operation: &str,
) -> Vec<crate::ingest::summary_json::Site> {
    summaries
        .iter()
        .flat_map(|summary| summary.operations.iter())
        .filter(|op| op.name == operation)
        .flat_map(|op| op.sites.clone())
        .collect()
}

fn never_called(summaries: &[&SummaryFile], operations: &[OperationReport]) -> Vec<String> {
    let mut names: Vec<String> = summaries
        .iter()
        .flat_map(|summary| summary.operations.iter())
        .filter(|op| op.count == 0 && !operations.iter().any(|logged| logged.operation == op.name))
        .map(|op| op.name.clone())
        .collect();
    names.sort();
    names.dedup();
    names
}
