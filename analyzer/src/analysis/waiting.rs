//! Waiting versus own work. A call whose children run on other threads (a pool's workers)
//! keeps their time in its self time, since the runtime only subtracts children on its own
//! thread; meanwhile its thread is usually blocked. Waiting is the part of the call's self
//! time during which at least one of its descendants on another thread runs and its own
//! thread runs none of its timed descendants. Own work is self time minus waiting.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::call_tree::{CallTree, Walker};
use super::intervals::TimeSet;
use crate::ingest::callgraph::{CallGraphSample, CallRecord};
use crate::ingest::interner::OpKey;
use crate::report::{ChildTotal, OperationWaiting, ThreadBusy};
use crate::units::ns_to_ms;

/// The parts of a sampled call that the sample holds everything about: all of it, unless it
/// crosses blocks the sample dropped.
pub fn analysed_parts(sample: &CallGraphSample, call: &CallRecord) -> TimeSet {
    if sample.is_complete() || call.block().is_some() {
        TimeSet::union_of(vec![(call.start_ns, call.end_ns())])
    } else {
        TimeSet::union_of(sample.sampled_parts(call.start_ns, call.end_ns()))
    }
}

/// The length of [`analysed_parts`], without building them for a call inside one block.
fn analysed_length(sample: &CallGraphSample, call: &CallRecord) -> u64 {
    if sample.is_complete() || call.block().is_some() {
        call.end_ns() - call.start_ns
    } else {
        analysed_parts(sample, call).length()
    }
}

/// Waiting and worker load of one call whose children run on other threads.
#[derive(Clone, Debug, PartialEq)]
pub struct CallWaiting {
    pub waiting_ns: u64,
    /// Busy time of each other thread running the call's descendants, within the call.
    pub workers: Vec<(u32, u64)>,
}

/// Splits `call`'s analysed time: how long its thread waited, and how busy each other thread
/// was with its descendants.
pub fn call_waiting(
    tree: &CallTree,
    walker: &mut Walker,
    call: usize,
    span: &TimeSet,
) -> CallWaiting {
    let own_thread = tree.calls[call].thread;
    let mut on_own_thread = Vec::new();
    let mut on_others: BTreeMap<u32, Vec<(u64, u64)>> = BTreeMap::new();
    walker.descendants(tree, call, |descendant| {
        let record = &tree.calls[descendant];
        let interval = (record.start_ns, record.end_ns());
        if record.thread == own_thread {
            on_own_thread.push(interval);
        } else {
            on_others.entry(record.thread).or_default().push(interval);
        }
    });
    let idle = span.subtract(&TimeSet::union_of(on_own_thread));
    let all_others = TimeSet::union_of(on_others.values().flatten().copied().collect());
    CallWaiting {
        waiting_ns: idle.overlap(&all_others),
        workers: on_others
            .into_iter()
            .map(|(thread, intervals)| (thread, TimeSet::union_of(intervals).overlap(span)))
            .collect(),
    }
}

/// Busiest thread minus the mean over `threads` (a thread missing from `busy` was idle).
pub fn imbalance_ns(busy: &[(u32, u64)], threads: &BTreeSet<u32>) -> f64 {
    if threads.len() < 2 {
        return 0.0;
    }
    let of = |thread: &u32| {
        busy.iter()
            .find(|(other, _)| other == thread)
            .map_or(0, |&(_, ns)| ns)
    };
    let max = threads.iter().map(of).max().unwrap_or(0) as f64;
    let mean = threads.iter().map(of).sum::<u64>() as f64 / threads.len() as f64;
    max - mean
}

/// What the worker threads of a set of coordinating calls did.
pub struct WorkerLoad {
    /// Per worker thread: busy time, and the calls it worked in.
    pub busy: BTreeMap<u32, (u128, u64)>,
    /// Per call, the busiest worker minus the workers' mean (every worker seen in any call but
    /// the call's own thread), summed.
    pub imbalance_ns: f64,
}

/// `calls`: per coordinating call, its own thread and its workers' busy time.
pub fn worker_load<'a>(calls: impl Iterator<Item = (u32, &'a [(u32, u64)])> + Clone) -> WorkerLoad {
    let mut busy: BTreeMap<u32, (u128, u64)> = BTreeMap::new();
    for (_, workers) in calls.clone() {
        for &(thread, ns) in workers {
            let entry = busy.entry(thread).or_default();
            entry.0 += u128::from(ns);
            entry.1 += 1;
        }
    }
    let threads: BTreeSet<u32> = busy.keys().copied().collect();
    let imbalance_ns = calls
        .map(|(own_thread, workers)| {
            let mut others = threads.clone();
            others.remove(&own_thread);
            imbalance_ns(workers, &others)
        })
        .sum();
    WorkerLoad { busy, imbalance_ns }
}

#[derive(Default)]
struct OperationTotals {
    calls: u64,
    waiting_ns: u128,
    per_call: Vec<(u32, Vec<(u32, u64)>)>,
    worker_children: HashMap<u32, (u64, u128)>,
}

/// Everything the waiting analysis found.
#[derive(Clone, Debug, Default)]
pub struct WaitingAnalysis {
    pub operations: Vec<OperationWaiting>,
    /// Estimated waiting over all calls, per operation id (ms).
    pub by_key: HashMap<u32, f64>,
    /// Waiting of each sampled call (ns; 0 for calls without children on other threads).
    pub by_call: Vec<u64>,
}

/// `total_ns[key]` is each operation's total duration over all its calls, to scale sampled
/// figures to the whole run.
pub fn analyze(
    tree: &CallTree,
    sample: &CallGraphSample,
    keys: &[OpKey],
    total_ns: &[u128],
    thread_names: &BTreeMap<u32, String>,
) -> WaitingAnalysis {
    let mut walker = Walker::new(tree.len());
    let mut analysed_ns: HashMap<u32, u128> = HashMap::new();
    let mut totals: BTreeMap<u32, OperationTotals> = BTreeMap::new();
    let mut by_call = vec![0u64; tree.len()];
    for (call, record) in tree.calls.iter().enumerate() {
        *analysed_ns.entry(record.key).or_default() += u128::from(analysed_length(sample, record));
        let workers_below = tree
            .children(call)
            .iter()
            .filter(|&&child| tree.calls[child as usize].thread != record.thread);
        if workers_below.clone().next().is_none() {
            continue;
        }
        let entry = totals.entry(record.key).or_default();
        for &child in workers_below {
            let child = &tree.calls[child as usize];
            let tally = entry.worker_children.entry(child.key).or_default();
            tally.0 += 1;
            tally.1 += u128::from(child.duration_ns);
        }
        let span = analysed_parts(sample, record);
        let waiting = call_waiting(tree, &mut walker, call, &span);
        by_call[call] = waiting.waiting_ns;
        entry.calls += 1;
        entry.waiting_ns += u128::from(waiting.waiting_ns);
        entry.per_call.push((record.thread, waiting.workers));
    }
    let mut analysis = WaitingAnalysis {
        by_call,
        ..WaitingAnalysis::default()
    };
    for (key, totals) in totals {
        let analysed = analysed_ns.get(&key).copied().unwrap_or(0);
        let total = total_ns.get(key as usize).copied().unwrap_or(analysed);
        // Unsampled, the figures are exact: no scaling, not even by a rounding error.
        let scale = if analysed == 0 || analysed == total {
            1.0
        } else {
            total as f64 / analysed as f64
        };
        let operation = operation_waiting(
            &keys[key as usize],
            totals,
            scale,
            analysed,
            total,
            keys,
            thread_names,
        );
        analysis.by_key.insert(key, operation.waiting_ms);
        analysis.operations.push(operation);
    }
    analysis
        .operations
        .sort_by(|a, b| b.waiting_ms.total_cmp(&a.waiting_ms));
    analysis
}

fn operation_waiting(
    key: &OpKey,
    totals: OperationTotals,
    scale: f64,
    analysed_ns: u128,
    total_ns: u128,
    keys: &[OpKey],
    thread_names: &BTreeMap<u32, String>,
) -> OperationWaiting {
    let WorkerLoad {
        busy,
        imbalance_ns: imbalance,
    } = worker_load(
        totals
            .per_call
            .iter()
            .map(|(own_thread, workers)| (*own_thread, workers.as_slice())),
    );
    let mut worker_operations: Vec<ChildTotal> = totals
        .worker_children
        .iter()
        .map(|(&child, &(count, ns))| ChildTotal {
            component: keys[child as usize].component.clone(),
            operation: keys[child as usize].operation.clone(),
            count,
            total_ms: ns_to_ms(ns as f64),
        })
        .collect();
    worker_operations.sort_by(|a, b| {
        b.total_ms
            .total_cmp(&a.total_ms)
            .then_with(|| a.operation.cmp(&b.operation))
    });
    OperationWaiting {
        component: key.component.clone(),
        operation: key.operation.clone(),
        phase: key.phase.clone(),
        calls: totals.calls,
        waiting_ms: ns_to_ms(totals.waiting_ns as f64 * scale),
        imbalance_ms: ns_to_ms(imbalance * scale),
        analysed_fraction: if total_ns > 0 {
            (analysed_ns as f64 / total_ns as f64).min(1.0)
        } else {
            1.0
        },
        worker_threads: busy
            .into_iter()
            .map(|(thread, (ns, calls))| ThreadBusy {
                thread,
                name: thread_names.get(&thread).cloned(),
                busy_ms: ns_to_ms(ns as f64 * scale),
                calls,
            })
            .collect(),
        worker_operations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::ingest::callgraph::test_call as record;

    fn key(operation: &str) -> OpKey {
        OpKey {
            component: "ppo".into(),
            operation: operation.into(),
            phase: "p".into(),
        }
    }

    fn sample(calls: &[CallRecord]) -> CallGraphSample {
        let mut sample = CallGraphSample::new(1000);
        calls.iter().for_each(|&call| sample.record(call));
        sample
    }

    #[test]
    fn a_parent_blocked_while_two_workers_run_waits_for_their_union() {
        let keys = [key("update_policy"), key("backward_pass")];
        // The parent runs [0, 100) on thread 1; workers run [10, 60) and [20, 90).
        let calls = [
            record(2, 1, 1, 2, 10, 60),
            record(3, 1, 1, 3, 20, 90),
            record(1, 0, 0, 1, 0, 100),
        ];
        let sample = sample(&calls);
        let tree = CallTree::new(&sample.calls);
        let names = BTreeMap::from([(2, "ppo-worker-0".to_string())]);
        let analysis = analyze(&tree, &sample, &keys, &[100, 120], &names);
        assert_eq!(analysis.by_call, [0, 0, 80]);
        assert_eq!(analysis.operations.len(), 1);
        let update = &analysis.operations[0];
        assert_eq!(update.operation, "update_policy");
        assert_eq!(update.calls, 1);
        assert_eq!(update.waiting_ms, 80e-6);
        // Busy 50 and 70 ns: the busiest is 10 ns above the mean of 60.
        assert_eq!(update.imbalance_ms, 10e-6);
        assert_eq!(update.analysed_fraction, 1.0);
        let busy: Vec<(u32, Option<&str>, f64, u64)> = update
            .worker_threads
            .iter()
            .map(|t| (t.thread, t.name.as_deref(), t.busy_ms, t.calls))
            .collect();
        assert_eq!(
            busy,
            [(2, Some("ppo-worker-0"), 50e-6, 1), (3, None, 70e-6, 1)]
        );
        assert_eq!(update.worker_operations[0].operation, "backward_pass");
        assert_eq!(update.worker_operations[0].count, 2);
        assert_eq!(update.worker_operations[0].total_ms, 120e-6);
        assert_eq!(analysis.by_key[&0], 80e-6);
    }

    #[test]
    fn the_parents_own_children_are_work_not_waiting() {
        let keys = [key("collect_rollout"), key("step"), key("forward")];
        // Parent [0, 100) on thread 1 with its own child [30, 50) (and a grandchild inside it)
        // and a worker child [10, 80) on thread 2. Self time as logged: 100 - 20 = 80.
        let calls = [
            record(3, 2, 1, 1, 35, 45),
            record(2, 1, 1, 1, 30, 50),
            record(4, 1, 2, 2, 10, 80),
            record(1, 0, 0, 1, 0, 100),
        ];
        let sample = sample(&calls);
        let tree = CallTree::new(&sample.calls);
        let analysis = analyze(&tree, &sample, &keys, &[100, 30, 70], &BTreeMap::new());
        // Idle on thread 1: [0, 30) and [50, 100); the worker runs [10, 80): 20 + 30 ns.
        assert_eq!(analysis.by_key[&0], 50e-6);
        assert_eq!(analysis.by_call[3], 50);
        let rollout = &analysis.operations[0];
        // One worker thread: nothing to balance.
        assert_eq!(rollout.imbalance_ms, 0.0);
        assert_eq!(rollout.worker_threads.len(), 1);
        assert_eq!(rollout.worker_threads[0].busy_ms, 70e-6);
    }

    #[test]
    fn imbalance_counts_an_idle_worker_as_zero() {
        let threads = BTreeSet::from([2, 3, 4]);
        assert_eq!(imbalance_ns(&[(2, 90), (3, 30)], &threads), 50.0);
        assert_eq!(imbalance_ns(&[(2, 90)], &BTreeSet::from([2])), 0.0);
    }
}
