//! How a coordinating call's time splits against another component whose operations it calls,
//! directly or through intermediate calls, on its own thread or on worker threads: time inside
//! the other component (the union of its descendants' intervals), overhead (none of them
//! running), each worker thread's busy time, imbalance (per call, the busiest worker minus the
//! workers' mean) and waiting (its own thread blocked on descendants that run on other
//! threads, as the waiting analysis defines it). Works on the call-graph sample, whose
//! coordinating calls are whole, or analysed on their sampled blocks when they cross blocks.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::call_tree::{CallTree, Walker};
use super::intervals::TimeSet;
use super::waiting::{WorkerLoad, analysed_parts, worker_load};
use crate::ingest::callgraph::{BLOCK_BITS, CallGraphSample};
use crate::ingest::interner::OpKey;
use crate::report::{ChildTotal, CoordinationLink, CrossComponentReport, ThreadBusy};
use crate::units::ns_to_ms;

/// Direct children per parent operation (all components), from the sample: key -> (child key
/// -> (count, total ns)). Used to tell an operation dominated by its children.
pub type ChildBreakdown = HashMap<u32, HashMap<u32, (u64, u128)>>;

/// What the cross-component analysis reads besides the sample.
pub struct Inputs<'a> {
    pub keys: &'a [OpKey],
    /// Calls per operation over the whole run (to say which fraction was analysed).
    pub counts: &'a [u64],
    pub thread_names: &'a BTreeMap<u32, String>,
    /// Each sampled call's waiting (ns), from the waiting analysis.
    pub waiting_by_call: &'a [u64],
    pub any_our_format: bool,
}

/// One coordinating call's figures against one other component.
struct CallFigures {
    coordinator_thread: u32,
    /// Time the other component's descendants ran on the coordinator's own thread.
    coordinator_busy_ns: u64,
    duration_ns: u64,
    analysed_ns: u64,
    inside_ns: u64,
    waiting_ns: u64,
    workers: Vec<(u32, u64)>,
}

#[derive(Default)]
struct LinkTotals {
    calls: Vec<CallFigures>,
    descendants: HashMap<u32, (u64, u128)>,
}

/// A bit per component (components past 63 share the last bit: the mask only preselects).
fn component_bit(component: usize) -> u64 {
    1 << component.min(63)
}

pub fn analyze(
    tree: &CallTree,
    sample: &CallGraphSample,
    inputs: &Inputs,
) -> (CrossComponentReport, ChildBreakdown) {
    let mut breakdown = ChildBreakdown::new();
    if !inputs.any_our_format {
        let report = CrossComponentReport {
            available: false,
            note: "unavailable: the original's log format has no parent links".to_string(),
            sampled_fraction: 1.0,
            block_ms: block_ms(),
            calls_in_sample: 0,
            links: Vec::new(),
            children_without_parent: 0,
        };
        return (report, breakdown);
    }
    let components: Vec<&str> = {
        let names: BTreeSet<&str> = inputs
            .keys
            .iter()
            .map(|key| key.component.as_str())
            .collect();
        names.into_iter().collect()
    };
    let component_of: Vec<usize> = inputs
        .keys
        .iter()
        .map(|key| {
            components
                .binary_search(&key.component.as_str())
                .unwrap_or(0)
        })
        .collect();
    for (call, record) in tree.calls.iter().enumerate() {
        if let Some(parent) = tree.parent(call) {
            let entry = breakdown
                .entry(tree.calls[parent].key)
                .or_default()
                .entry(record.key)
                .or_default();
            entry.0 += 1;
            entry.1 += u128::from(record.duration_ns);
        }
    }
    let mut walker = Walker::new(tree.len());
    let mut below = vec![0u64; tree.len()];
    for &call in &walker.bottom_up(tree) {
        let call = call as usize;
        if let Some(parent) = tree.parent(call) {
            below[parent] |=
                below[call] | component_bit(component_of[tree.calls[call].key as usize]);
        }
    }
    let mut links: BTreeMap<(u32, usize), LinkTotals> = BTreeMap::new();
    for (call, record) in tree.calls.iter().enumerate() {
        let own_component = component_of[record.key as usize];
        if below[call] & !component_bit(own_component) == 0 {
            continue;
        }
        coordinating_call(
            tree,
            sample,
            inputs,
            &component_of,
            &mut walker,
            call,
            &mut links,
        );
    }
    let mut links: Vec<CoordinationLink> = links
        .into_iter()
        .map(|((parent_key, component), totals)| {
            link(inputs, parent_key, components[component], totals)
        })
        .collect();
    links.sort_by(|a, b| {
        b.analysed_ms
            .total_cmp(&a.analysed_ms)
            .then_with(|| a.parent_operation.cmp(&b.parent_operation))
    });
    let note = if links.is_empty() {
        "no logged call has a descendant in another component".to_string()
    } else if sample.is_complete() {
        "from every call".to_string()
    } else {
        format!(
            "from a consistent sample of {:.2}% of {}-long time blocks (bounded memory): coordinating calls within a block are whole, longer ones are analysed on their sampled blocks",
            sample.fraction() * 100.0,
            crate::units::format_ms(block_ms())
        )
    };
    let report = CrossComponentReport {
        available: true,
        note,
        sampled_fraction: sample.fraction(),
        block_ms: block_ms(),
        calls_in_sample: tree.len() as u64,
        links,
        children_without_parent: tree.orphans,
    };
    (report, breakdown)
}

fn block_ms() -> f64 {
    ns_to_ms((1u64 << BLOCK_BITS) as f64)
}

/// Adds one coordinating call's figures to its links (one per other component below it).
fn coordinating_call(
    tree: &CallTree,
    sample: &CallGraphSample,
    inputs: &Inputs,
    component_of: &[usize],
    walker: &mut Walker,
    call: usize,
    links: &mut BTreeMap<(u32, usize), LinkTotals>,
) {
    let record = &tree.calls[call];
    let own_component = component_of[record.key as usize];
    let span = analysed_parts(sample, record);
    let mut waiting_ns = inputs.waiting_by_call[call];
    // Per other component: every descendant's interval, and per thread.
    let mut inside: BTreeMap<usize, Vec<(u64, u64)>> = BTreeMap::new();
    let mut on_thread: BTreeMap<(usize, u32), Vec<(u64, u64)>> = BTreeMap::new();
    let mut descendants: Vec<(usize, u32, u64)> = Vec::new();
    walker.descendants(tree, call, |descendant| {
        let below = &tree.calls[descendant];
        if below.thread == record.thread {
            waiting_ns += inputs.waiting_by_call[descendant];
        }
        let component = component_of[below.key as usize];
        if component == own_component {
            return;
        }
        let interval = (below.start_ns, below.end_ns());
        inside.entry(component).or_default().push(interval);
        on_thread
            .entry((component, below.thread))
            .or_default()
            .push(interval);
        descendants.push((component, below.key, below.duration_ns));
    });
    for (component, intervals) in inside {
        let totals = links.entry((record.key, component)).or_default();
        let busy: Vec<(u32, u64)> = on_thread
            .range((component, 0)..=(component, u32::MAX))
            .map(|(&(_, thread), intervals)| {
                (thread, TimeSet::union_of(intervals.clone()).overlap(&span))
            })
            .collect();
        let coordinator_busy_ns = busy
            .iter()
            .find(|(thread, _)| *thread == record.thread)
            .map_or(0, |&(_, ns)| ns);
        let workers = busy
            .into_iter()
            .filter(|(thread, _)| *thread != record.thread)
            .collect();
        totals.calls.push(CallFigures {
            coordinator_thread: record.thread,
            coordinator_busy_ns,
            duration_ns: record.duration_ns,
            analysed_ns: span.length(),
            inside_ns: TimeSet::union_of(intervals).overlap(&span),
            waiting_ns,
            workers,
        });
        for &(_, key, duration) in descendants
            .iter()
            .filter(|(other, _, _)| *other == component)
        {
            let entry = totals.descendants.entry(key).or_default();
            entry.0 += 1;
            entry.1 += u128::from(duration);
        }
    }
}

fn link(inputs: &Inputs, parent_key: u32, component: &str, totals: LinkTotals) -> CoordinationLink {
    let parent = &inputs.keys[parent_key as usize];
    let coordinators: BTreeSet<u32> = totals
        .calls
        .iter()
        .map(|call| call.coordinator_thread)
        .collect();
    let WorkerLoad {
        busy,
        imbalance_ns: imbalance,
    } = worker_load(
        totals
            .calls
            .iter()
            .map(|call| (call.coordinator_thread, call.workers.as_slice())),
    );
    let sum = |figure: fn(&CallFigures) -> u64| -> u128 {
        totals
            .calls
            .iter()
            .map(|call| u128::from(figure(call)))
            .sum()
    };
    let analysed_ns = sum(|call| call.analysed_ns);
    let inside_ns = sum(|call| call.inside_ns);
    let waiting_ns = sum(|call| call.waiting_ns);
    let overhead_ns = analysed_ns - inside_ns;
    // Fractions from whole nanoseconds, so that exact inputs give exact fractions.
    let fraction = |ns: f64| {
        if analysed_ns > 0 {
            ns / analysed_ns as f64
        } else {
            0.0
        }
    };
    let in_ms = |ns: u128| ns_to_ms(ns as f64);
    let mut top_descendants: Vec<ChildTotal> = totals
        .descendants
        .iter()
        .map(|(&key, &(count, ns))| ChildTotal {
            component: inputs.keys[key as usize].component.clone(),
            operation: inputs.keys[key as usize].operation.clone(),
            count,
            total_ms: ns_to_ms(ns as f64),
        })
        .collect();
    top_descendants.sort_by(|a, b| {
        b.total_ms
            .total_cmp(&a.total_ms)
            .then_with(|| a.operation.cmp(&b.operation))
    });
    top_descendants.truncate(5);
    let name = |thread: u32| inputs.thread_names.get(&thread).cloned();
    CoordinationLink {
        parent_component: parent.component.clone(),
        parent_operation: parent.operation.clone(),
        parent_phase: parent.phase.clone(),
        child_component: component.to_string(),
        calls: totals.calls.len() as u64,
        operation_calls: inputs.counts.get(parent_key as usize).copied().unwrap_or(0),
        coordinator_threads: coordinators
            .iter()
            .map(|&thread| ThreadBusy {
                thread,
                name: name(thread),
                busy_ms: in_ms(
                    totals
                        .calls
                        .iter()
                        .filter(|call| call.coordinator_thread == thread)
                        .map(|call| u128::from(call.coordinator_busy_ns))
                        .sum(),
                ),
                calls: totals
                    .calls
                    .iter()
                    .filter(|call| call.coordinator_thread == thread)
                    .count() as u64,
            })
            .collect(),
        parent_total_ms: in_ms(sum(|call| call.duration_ns)),
        analysed_ms: in_ms(analysed_ns),
        inside_ms: in_ms(inside_ns),
        overhead_ms: in_ms(overhead_ns),
        waiting_ms: in_ms(waiting_ns),
        imbalance_ms: ns_to_ms(imbalance),
        inside_fraction: fraction(inside_ns as f64),
        overhead_fraction: fraction(overhead_ns as f64),
        waiting_fraction: fraction(waiting_ns as f64),
        imbalance_fraction: fraction(imbalance),
        worker_threads: busy
            .into_iter()
            .map(|(thread, (ns, calls))| ThreadBusy {
                thread,
                name: name(thread),
                busy_ms: ns_to_ms(ns as f64),
                calls,
            })
            .collect(),
        top_descendants,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::waiting;
    use crate::ingest::callgraph::CallRecord;

    fn key(component: &str, operation: &str) -> OpKey {
        OpKey {
            component: component.into(),
            operation: operation.into(),
            phase: "p".into(),
        }
    }

    use crate::ingest::callgraph::test_call as record;

    fn run(
        calls: &[CallRecord],
        keys: &[OpKey],
        names: &BTreeMap<u32, String>,
    ) -> (CrossComponentReport, ChildBreakdown) {
        let mut sample = CallGraphSample::new(1000);
        calls.iter().for_each(|&call| sample.record(call));
        let tree = CallTree::new(&sample.calls);
        let mut total_ns = vec![0u128; keys.len()];
        let mut counts = vec![0u64; keys.len()];
        for call in calls {
            total_ns[call.key as usize] += u128::from(call.duration_ns);
            counts[call.key as usize] += 1;
        }
        let waiting = waiting::analyze(&tree, &sample, keys, &total_ns, names);
        let inputs = Inputs {
            keys,
            counts: &counts,
            thread_names: names,
            waiting_by_call: &waiting.by_call,
            any_our_format: true,
        };
        analyze(&tree, &sample, &inputs)
    }

    #[test]
    fn descendants_on_worker_threads_count_transitively() {
        let keys = [
            key("manager", "parallel_training"),
            key("ppo", "collect_rollout"),
            key("ppo", "update_policy"),
            key("ppo", "batch_forward"),
            key("manager", "log"),
        ];
        // The coordinator runs [0, 1000) on thread 1. Its ppo children on thread 1 run
        // [100, 500) and [600, 900); their children run on worker threads 2 and 3. A manager
        // child [920, 950) is the coordinator's own component, so it is overhead.
        let calls = [
            record(11, 10, 3, 2, 150, 450),
            record(12, 10, 3, 3, 150, 300),
            record(10, 1, 1, 1, 100, 500),
            record(21, 20, 3, 2, 650, 700),
            record(22, 20, 3, 3, 620, 880),
            record(20, 1, 2, 1, 600, 900),
            record(30, 1, 4, 1, 920, 950),
            record(1, 0, 0, 1, 0, 1000),
            record(99, 77, 3, 2, 2000, 2001),
        ];
        let names = BTreeMap::from([
            (1, "main".to_string()),
            (2, "ppo-worker-0".to_string()),
            (3, "ppo-worker-1".to_string()),
        ]);
        let (report, breakdown) = run(&calls, &keys, &names);
        assert!(report.available);
        assert_eq!(report.note, "from every call");
        assert_eq!(report.children_without_parent, 1);
        assert_eq!(report.calls_in_sample, 9);
        assert_eq!(report.links.len(), 1);
        let link = &report.links[0];
        assert_eq!(
            (
                link.parent_operation.as_str(),
                link.child_component.as_str()
            ),
            ("parallel_training", "ppo")
        );
        assert_eq!((link.calls, link.operation_calls), (1, 1));
        assert_eq!(link.parent_total_ms, 1000e-6);
        assert_eq!(link.analysed_ms, 1000e-6);
        // Inside: [100, 500) and [600, 900).
        assert_eq!(link.inside_ms, 700e-6);
        assert_eq!(link.overhead_ms, 300e-6);
        // Worker 2: 300 + 50 ns; worker 3: 150 + 260 ns; the mean is 380.
        let busy: Vec<(u32, Option<&str>, f64, u64)> = link
            .worker_threads
            .iter()
            .map(|t| (t.thread, t.name.as_deref(), t.busy_ms, t.calls))
            .collect();
        assert_eq!(
            busy,
            [
                (2, Some("ppo-worker-0"), 350e-6, 1),
                (3, Some("ppo-worker-1"), 410e-6, 1)
            ]
        );
        assert_eq!(link.imbalance_ms, 30e-6);
        // Thread 1 waits in collect_rollout for [150, 450) and in update_policy for [620, 880).
        assert_eq!(link.waiting_ms, 560e-6);
        assert_eq!(
            (
                link.inside_fraction,
                link.overhead_fraction,
                link.waiting_fraction,
                link.imbalance_fraction
            ),
            (0.7, 0.3, 0.56, 0.03)
        );
        // On the coordinator's thread the ppo calls ran [100, 500) and [600, 900).
        let coordinator = &link.coordinator_threads[0];
        assert_eq!(
            (
                coordinator.name.as_deref(),
                coordinator.busy_ms,
                coordinator.calls
            ),
            (Some("main"), 700e-6, 1)
        );
        let top: Vec<(&str, u64, f64)> = link
            .top_descendants
            .iter()
            .map(|d| (d.operation.as_str(), d.count, d.total_ms))
            .collect();
        assert_eq!(
            top,
            [
                ("batch_forward", 4, 760e-6),
                ("collect_rollout", 1, 400e-6),
                ("update_policy", 1, 300e-6)
            ]
        );
        assert_eq!(breakdown[&0][&1], (1, 400));
        assert_eq!(breakdown[&0][&4], (1, 30));
        assert_eq!(breakdown[&1][&3], (2, 450));
    }

    #[test]
    fn a_call_crossing_blocks_is_analysed_on_its_sampled_blocks() {
        const BLOCK: u64 = 1 << BLOCK_BITS;
        let keys = [
            key("manager", "train"),
            key("ppo", "rollout"),
            key("ppo", "step"),
        ];
        // The coordinator spans 40 blocks; in each block a 2000 ns rollout runs on worker
        // thread 2 with two steps inside it. 121 calls do not fit a budget of 30.
        let mut calls = Vec::new();
        for block in 0..40u64 {
            let start = block * BLOCK + 1_000;
            let rollout = 100 + block * 3;
            calls.push(record(rollout + 1, rollout, 2, 2, start, start + 500));
            calls.push(record(rollout + 2, rollout, 2, 2, start + 600, start + 900));
            calls.push(record(rollout, 1, 1, 2, start, start + 2_000));
        }
        calls.push(record(1, 0, 0, 1, 0, 40 * BLOCK));
        let mut sample = CallGraphSample::new(30);
        calls.iter().for_each(|&call| sample.record(call));
        assert!(sample.fraction() < 1.0);
        let parts = sample.sampled_parts(0, 40 * BLOCK);
        let kept_blocks = parts
            .iter()
            .map(|(from, to)| (to - from) / BLOCK)
            .sum::<u64>();
        assert!(kept_blocks > 0 && kept_blocks < 40, "{kept_blocks}");
        // Every call of a sampled block is there; none of the others.
        assert_eq!(sample.calls.len() as u64, 1 + 3 * kept_blocks);
        let tree = CallTree::new(&sample.calls);
        let total_ns = [u128::from(40 * BLOCK), 40 * 2_000, 40 * 800];
        let waiting = waiting::analyze(&tree, &sample, &keys, &total_ns, &BTreeMap::new());
        // Measured on the sampled blocks and scaled to the whole call: exact here, as every
        // block holds the same work.
        assert_eq!(waiting.by_key[&0], ns_to_ms((40 * 2_000) as f64));
        let inputs = Inputs {
            keys: &keys,
            counts: &[1, 40, 80],
            thread_names: &BTreeMap::new(),
            waiting_by_call: &waiting.by_call,
            any_our_format: true,
        };
        let (report, _) = analyze(&tree, &sample, &inputs);
        assert!(
            report.note.starts_with("from a consistent sample of "),
            "{}",
            report.note
        );
        assert_eq!(report.calls_in_sample, 1 + 3 * kept_blocks);
        let link = &report.links[0];
        assert_eq!((link.calls, link.operation_calls), (1, 1));
        assert_eq!(link.parent_total_ms, ns_to_ms((40 * BLOCK) as f64));
        assert_eq!(link.analysed_ms, ns_to_ms((kept_blocks * BLOCK) as f64));
        assert_eq!(link.inside_ms, ns_to_ms((kept_blocks * 2_000) as f64));
        assert_eq!(link.waiting_ms, link.inside_ms);
        assert_eq!(link.worker_threads[0].busy_ms, link.inside_ms);
        assert_eq!(link.imbalance_ms, 0.0);
        assert_eq!(link.inside_fraction, 2_000.0 / BLOCK as f64);
    }

    #[test]
    fn legacy_logs_have_no_links() {
        let sample = CallGraphSample::new(10);
        let tree = CallTree::new(&sample.calls);
        let inputs = Inputs {
            keys: &[],
            counts: &[],
            thread_names: &BTreeMap::new(),
            waiting_by_call: &[],
            any_our_format: false,
        };
        let (report, _) = analyze(&tree, &sample, &inputs);
        assert!(!report.available);
        assert_eq!(
            report.note,
            "unavailable: the original's log format has no parent links"
        );
    }
}
