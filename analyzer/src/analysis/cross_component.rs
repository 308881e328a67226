//! How a coordinating component's time splits: inside another component's operations (its
//! children by `parent_id`, on any thread), its own overhead (no child running), and
//! imbalance (waiting for the busiest worker thread beyond the average). Works on the
//! bounded call-graph sample; the fractions need no scaling.

use std::collections::{BTreeMap, HashMap};

use super::model::{ChildTotal, CoordinationLink, CrossComponentReport, ThreadBusy};
use crate::ingest::callgraph::{CallGraphSample, CallRecord};
use crate::ingest::interner::OpKey;
use crate::units::ns_to_ms;

/// Direct children per parent operation (all components), from the sample: key -> (child key
/// -> (count, total ns)). Used to tell an operation dominated by its children.
pub type ChildBreakdown = HashMap<u32, HashMap<u32, (u64, u128)>>;

#[derive(Default)]
struct LinkTotals {
    calls: u64,
    parent_ns: u128,
    inside_ns: u128,
    children_ns: u128,
    imbalance_ns: f64,
    threads: BTreeMap<u32, (u128, u64)>,
    children: HashMap<u32, (u64, u128)>,
}

/// Length of the union of `intervals` clipped to `[from, to)`.
fn covered(intervals: &mut [(u64, u64)], from: u64, to: u64) -> u64 {
    intervals.sort_unstable();
    let mut total = 0;
    let mut reach = from;
    for &(start, end) in intervals.iter() {
        let start = start.max(reach);
        let end = end.min(to);
        if end > start {
            total += end - start;
            reach = end;
        }
    }
    total
}

pub fn analyze(
    graph: &CallGraphSample,
    keys: &[OpKey],
    thread_names: &BTreeMap<u32, String>,
    any_our_format: bool,
) -> (CrossComponentReport, ChildBreakdown) {
    let mut breakdown = ChildBreakdown::new();
    if !any_our_format {
        let report = CrossComponentReport {
            available: false,
            note: "unavailable: the original's log format has no parent links".to_string(),
            sampled_fraction: 1.0,
            links: Vec::new(),
            children_without_parent: 0,
        };
        return (report, breakdown);
    }
    let parents: HashMap<u64, &CallRecord> = graph
        .calls
        .iter()
        .map(|call| (call.call_id, call))
        .collect();
    let mut edges: Vec<&CallRecord> = graph.edges.iter().collect();
    edges.sort_unstable_by_key(|edge| edge.parent_id);
    let mut links: BTreeMap<(u32, String), LinkTotals> = BTreeMap::new();
    let mut orphans = 0u64;
    for children in edges.chunk_by(|a, b| a.parent_id == b.parent_id) {
        let Some(parent) = parents.get(&children[0].parent_id) else {
            orphans += children.len() as u64;
            continue;
        };
        let per_child = breakdown.entry(parent.key).or_default();
        for child in children {
            let entry = per_child.entry(child.key).or_default();
            entry.0 += 1;
            entry.1 += u128::from(child.duration_ns);
        }
        let parent_component = &keys[parent.key as usize].component;
        let mut by_component: BTreeMap<&str, Vec<&CallRecord>> = BTreeMap::new();
        for child in children {
            let component = keys[child.key as usize].component.as_str();
            if component != parent_component {
                by_component.entry(component).or_default().push(child);
            }
        }
        for (component, children) in by_component {
            let totals = links
                .entry((parent.key, component.to_string()))
                .or_default();
            add_call(totals, parent, &children);
        }
    }
    let mut links: Vec<CoordinationLink> = links
        .into_iter()
        .map(|((parent_key, child_component), totals)| {
            link(
                &keys[parent_key as usize],
                child_component,
                totals,
                keys,
                thread_names,
            )
        })
        .collect();
    links.sort_by(|a, b| b.parent_total_ms.total_cmp(&a.parent_total_ms));
    let note = if links.is_empty() {
        "no logged call has a child in another component".to_string()
    } else if graph.fraction() < 1.0 {
        format!(
            "from a consistent sample of {:.2}% of parent calls (bounded memory)",
            graph.fraction() * 100.0
        )
    } else {
        "from every parent call".to_string()
    };
    let report = CrossComponentReport {
        available: true,
        note,
        sampled_fraction: graph.fraction(),
        links,
        children_without_parent: orphans,
    };
    (report, breakdown)
}

fn add_call(totals: &mut LinkTotals, parent: &CallRecord, children: &[&CallRecord]) {
    let parent_start = parent.start_ns;
    let parent_end = parent.start_ns.saturating_add(parent.duration_ns);
    let mut intervals: Vec<(u64, u64)> = children
        .iter()
        .map(|child| {
            (
                child.start_ns,
                child.start_ns.saturating_add(child.duration_ns),
            )
        })
        .collect();
    totals.calls += 1;
    totals.parent_ns += u128::from(parent.duration_ns);
    totals.inside_ns += u128::from(covered(&mut intervals, parent_start, parent_end));
    let mut busy: BTreeMap<u32, u64> = BTreeMap::new();
    for child in children {
        totals.children_ns += u128::from(child.duration_ns);
        let start = child.start_ns.max(parent_start);
        let end = child
            .start_ns
            .saturating_add(child.duration_ns)
            .min(parent_end);
        *busy.entry(child.thread).or_default() += end.saturating_sub(start);
        let entry = totals.children.entry(child.key).or_default();
        entry.0 += 1;
        entry.1 += u128::from(child.duration_ns);
    }
    if busy.len() >= 2 {
        let max = busy.values().copied().max().unwrap_or(0) as f64;
        let mean = busy.values().sum::<u64>() as f64 / busy.len() as f64;
        totals.imbalance_ns += max - mean;
    }
    for (thread, ns) in busy {
        let entry = totals.threads.entry(thread).or_default();
        entry.0 += u128::from(ns);
        entry.1 += 1;
    }
}

fn link(
    parent: &OpKey,
    child_component: String,
    totals: LinkTotals,
    keys: &[OpKey],
    thread_names: &BTreeMap<u32, String>,
) -> CoordinationLink {
    let parent_ms = ns_to_ms(totals.parent_ns as f64);
    let inside_ms = ns_to_ms(totals.inside_ns as f64);
    let imbalance_ms = ns_to_ms(totals.imbalance_ns);
    let fraction = |ms: f64| if parent_ms > 0.0 { ms / parent_ms } else { 0.0 };
    let mut top_children: Vec<ChildTotal> = totals
        .children
        .iter()
        .map(|(&key, &(count, total_ns))| ChildTotal {
            component: keys[key as usize].component.clone(),
            operation: keys[key as usize].operation.clone(),
            count,
            total_ms: ns_to_ms(total_ns as f64),
        })
        .collect();
    top_children.sort_by(|a, b| b.total_ms.total_cmp(&a.total_ms));
    top_children.truncate(5);
    CoordinationLink {
        parent_component: parent.component.clone(),
        parent_operation: parent.operation.clone(),
        parent_phase: parent.phase.clone(),
        child_component,
        calls: totals.calls,
        parent_total_ms: parent_ms,
        inside_children_ms: inside_ms,
        children_total_ms: ns_to_ms(totals.children_ns as f64),
        overhead_ms: parent_ms - inside_ms,
        imbalance_ms,
        inside_fraction: fraction(inside_ms),
        overhead_fraction: fraction(parent_ms - inside_ms),
        imbalance_fraction: fraction(imbalance_ms),
        threads: totals
            .threads
            .into_iter()
            .map(|(thread, (busy_ns, calls))| ThreadBusy {
                thread,
                name: thread_names.get(&thread).cloned(),
                busy_ms: ns_to_ms(busy_ns as f64),
                calls,
            })
            .collect(),
        top_children,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(component: &str, operation: &str) -> OpKey {
        OpKey {
            component: component.into(),
            operation: operation.into(),
            phase: "p".into(),
        }
    }

    fn record(
        call_id: u64,
        parent_id: u64,
        key: u32,
        thread: u32,
        start_ns: u64,
        duration_ns: u64,
    ) -> CallRecord {
        CallRecord {
            call_id,
            parent_id,
            key,
            thread,
            start_ns,
            duration_ns,
        }
    }

    #[test]
    fn union_coverage_clips_and_merges() {
        assert_eq!(covered(&mut [(0, 10), (5, 15), (20, 30)], 0, 25), 20);
        assert_eq!(covered(&mut [(10, 20)], 0, 100), 10);
        assert_eq!(covered(&mut [], 0, 100), 0);
    }

    #[test]
    fn splits_coordination_into_inside_overhead_and_imbalance() {
        let keys = [
            key("manager", "parallel_training"),
            key("ppo", "rollout"),
            key("manager", "log"),
        ];
        let mut graph = CallGraphSample::new(1000);
        // The coordinator runs 100 ns; two workers: thread 2 busy 60 ns, thread 3 busy 20 ns,
        // and a same-component child that is not cross-component time.
        graph.record(record(2, 1, 1, 2, 10, 60));
        graph.record(record(3, 1, 1, 3, 10, 20));
        graph.record(record(4, 1, 2, 1, 80, 5));
        graph.record(record(1, 0, 0, 1, 0, 100));
        graph.record(record(9, 77, 1, 2, 0, 1));
        let names = BTreeMap::from([(2, "rollout-0".to_string())]);
        let (report, breakdown) = analyze(&graph, &keys, &names, true);
        assert!(report.available);
        assert_eq!(report.children_without_parent, 1);
        assert_eq!(report.links.len(), 1);
        let link = &report.links[0];
        assert_eq!(
            (
                link.parent_operation.as_str(),
                link.child_component.as_str()
            ),
            ("parallel_training", "ppo")
        );
        assert_eq!(link.calls, 1);
        assert_eq!(link.parent_total_ms, 100e-6);
        assert_eq!(link.inside_children_ms, 60e-6);
        assert_eq!(link.children_total_ms, 80e-6);
        assert!((link.overhead_ms - 40e-6).abs() < 1e-12);
        assert!((link.imbalance_ms - 20e-6).abs() < 1e-12);
        assert!((link.inside_fraction - 0.6).abs() < 1e-12);
        assert_eq!(link.threads[0].name.as_deref(), Some("rollout-0"));
        assert_eq!(breakdown[&0][&1], (2, 80));
        assert_eq!(breakdown[&0][&2], (1, 5));
    }

    #[test]
    fn legacy_logs_have_no_links() {
        let (report, _) = analyze(&CallGraphSample::new(10), &[], &BTreeMap::new(), false);
        assert!(!report.available);
        assert_eq!(
            report.note,
            "unavailable: the original's log format has no parent links"
        );
    }
}
