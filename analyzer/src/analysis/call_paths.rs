//! The call tree by path (`component;outer;inner`), from the sampled call graph: each sampled
//! call's chain of ancestors (all of them are in the sample, README "Statistics") names its
//! path. The sample gives the paths and how an operation's calls split between them; the
//! operation's exact figures (calls, total and self time, from every row) are then shared out
//! over its paths in proportion, in whole nanoseconds, so that every operation's paths add up
//! to its exact figures and all paths to the run's self time. With every call in the sample
//! (`sampled_fraction` 1) the shares are the sampled figures themselves.

use std::collections::HashMap;

use super::call_tree::{CallTree, Walker};
use crate::ingest::interner::OpKey;
use crate::report::{CallPath, CallTreeReport, PathValue};
use crate::stats::accumulator::OpAccumulator;
use crate::units::ns_to_ms;

const NONE: u32 = u32::MAX;

pub struct PathInputs<'a> {
    pub tree: &'a CallTree<'a>,
    /// The fraction of time blocks the call graph sample kept.
    pub sampled_fraction: f64,
    /// Waiting of each sampled call, ns.
    pub waiting_by_call: &'a [u64],
    pub keys: &'a [OpKey],
    pub ops: &'a [OpAccumulator],
}

/// What the sample holds of one path.
#[derive(Clone, Copy, Debug, Default)]
struct Sampled {
    calls: u128,
    duration_ns: u128,
    self_ns: u128,
    waiting_ns: u128,
}

struct Paths {
    /// Per path: its caller's path (`NONE` at a root) and its operation.
    nodes: Vec<(u32, u32)>,
    index: HashMap<(u32, u32), u32>,
    sampled: Vec<Sampled>,
}

impl Paths {
    fn intern(&mut self, parent: u32, key: u32) -> u32 {
        *self.index.entry((parent, key)).or_insert_with(|| {
            self.nodes.push((parent, key));
            self.sampled.push(Sampled::default());
            (self.nodes.len() - 1) as u32
        })
    }
}

/// Shares `total` out over `weights` in proportion, in whole units, largest remainders first
/// (ties to the first): the shares add up to `total` exactly, and equal the weights when
/// `total` is their sum. `None` when the weights are all zero.
pub fn share_out(total: u128, weights: &[u128]) -> Option<Vec<u128>> {
    let sum: u128 = weights.iter().sum();
    if sum == 0 {
        return None;
    }
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (index, &weight) in weights.iter().enumerate() {
        let (share, remainder) = match total.checked_mul(weight) {
            Some(product) => (product / sum, product % sum),
            // Beyond u128 (not a duration of this universe): proportional in floating point.
            None => {
                let exact = total as f64 * (weight as f64 / sum as f64);
                (exact.floor() as u128, 0)
            }
        };
        shares.push(share);
        remainders.push((remainder, index));
    }
    // Less than one unit per weight is left, except after the floating-point fallback.
    let mut left = total - shares.iter().sum::<u128>().min(total);
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, index) in &remainders {
        if left == 0 {
            break;
        }
        shares[index] += 1;
        left -= 1;
    }
    shares[remainders[0].1] += left;
    Some(shares)
}

/// The frame of an operation called from `caller` (`None` at a root).
fn frame(key: &OpKey, caller: Option<&OpKey>) -> String {
    match caller {
        Some(caller) if caller.component != key.component => {
            format!("{}::{}", key.component, key.operation)
        }
        _ => key.operation.clone(),
    }
}

pub fn call_paths(inputs: &PathInputs) -> CallTreeReport {
    let tree = inputs.tree;
    let mut paths = Paths {
        nodes: Vec::new(),
        index: HashMap::new(),
        sampled: Vec::new(),
    };
    let mut path_of = vec![NONE; tree.len()];
    // Reversed post-order: every caller before the calls below it.
    for &call in Walker::new(tree.len()).bottom_up(tree).iter().rev() {
        let call = call as usize;
        let parent = tree.parent(call).map_or(NONE, |parent| path_of[parent]);
        path_of[call] = paths.intern(parent, tree.calls[call].key);
    }
    for (call, record) in tree.calls.iter().enumerate() {
        // Calls on a cycle of parent ids, which no root reaches, stand alone.
        if path_of[call] == NONE {
            path_of[call] = paths.intern(NONE, record.key);
        }
        let sampled = &mut paths.sampled[path_of[call] as usize];
        sampled.calls += 1;
        sampled.duration_ns += u128::from(record.duration_ns);
        sampled.self_ns += record.self_ns.max(0) as u128;
        sampled.waiting_ns += u128::from(inputs.waiting_by_call.get(call).copied().unwrap_or(0));
    }
    let in_graph = paths.nodes.len();
    let mut by_key: Vec<Vec<u32>> = vec![Vec::new(); inputs.keys.len()];
    for (node, &(_, key)) in paths.nodes.iter().enumerate() {
        by_key[key as usize].push(node as u32);
    }
    let mut without_paths = 0;
    for (key, op) in inputs.ops.iter().enumerate() {
        if op.count > 0 && by_key[key].is_empty() {
            by_key[key].push(paths.intern(NONE, key as u32));
            without_paths += 1;
        }
    }
    let frames = frames_of(&paths, inputs.keys);
    let mut report = CallTreeReport {
        sampled_fraction: inputs.sampled_fraction,
        operations_without_paths: without_paths,
        value_total_ns: 0,
        paths: Vec::new(),
    };
    for (key, nodes) in by_key.iter().enumerate() {
        let op = &inputs.ops[key];
        if op.count == 0 || nodes.is_empty() {
            continue;
        }
        let sampled: Vec<Sampled> = nodes
            .iter()
            .map(|&node| paths.sampled[node as usize])
            .collect();
        let weights =
            |field: fn(&Sampled) -> u128| -> Vec<u128> { sampled.iter().map(field).collect() };
        let call_weights = weights(|s| s.calls);
        let by_calls = |total: u128| {
            share_out(total, &call_weights)
                .unwrap_or_else(|| share_out(total, &vec![1; nodes.len()]).unwrap_or_default())
        };
        let by = |total: u128, field: fn(&Sampled) -> u128| {
            share_out(total, &weights(field)).unwrap_or_else(|| by_calls(total))
        };
        let (value, value_total) = if op.self_known == op.count {
            (PathValue::SelfTime, op.self_ns.max(0) as u128)
        } else {
            (PathValue::TotalTime, op.total_ns)
        };
        let calls = by_calls(u128::from(op.count));
        let totals = by(op.total_ns, |s| s.duration_ns);
        let values = match value {
            PathValue::SelfTime => by(value_total, |s| s.self_ns),
            PathValue::TotalTime => totals.clone(),
        };
        let sampled_duration: u128 = sampled.iter().map(|s| s.duration_ns).sum();
        let waiting_scale = if sampled_duration == 0 || sampled_duration == op.total_ns {
            1.0
        } else {
            op.total_ns as f64 / sampled_duration as f64
        };
        let op_key = &inputs.keys[key];
        for (index, &node) in nodes.iter().enumerate() {
            let value_ns = u64::try_from(values[index]).unwrap_or(u64::MAX);
            report.value_total_ns += values[index];
            report.paths.push(CallPath {
                frames: frames[node as usize].clone(),
                component: op_key.component.clone(),
                operation: op_key.operation.clone(),
                phase: op_key.phase.clone(),
                calls: u64::try_from(calls[index]).unwrap_or(u64::MAX),
                total_ms: ns_to_ms(totals[index] as f64),
                self_ms: match value {
                    PathValue::SelfTime => ns_to_ms(values[index] as f64),
                    PathValue::TotalTime => ns_to_ms(0.0),
                },
                waiting_ms: ((node as usize) < in_graph)
                    .then(|| ns_to_ms(sampled[index].waiting_ns as f64 * waiting_scale)),
                value_ns,
                value,
            });
        }
    }
    report
        .paths
        .sort_by(|a, b| a.frames.cmp(&b.frames).then_with(|| a.phase.cmp(&b.phase)));
    report
}

/// Each path's frames. A caller's path is interned before the paths below it, so one pass in
/// index order finds every caller's frames ready.
fn frames_of(paths: &Paths, keys: &[OpKey]) -> Vec<Vec<String>> {
    let mut frames: Vec<Vec<String>> = Vec::with_capacity(paths.nodes.len());
    for &(parent, key) in &paths.nodes {
        let key = &keys[key as usize];
        let path = if parent == NONE {
            vec![key.component.clone(), frame(key, None)]
        } else {
            let caller = &keys[paths.nodes[parent as usize].1 as usize];
            let mut path = frames[parent as usize].clone();
            path.push(frame(key, Some(caller)));
            path
        };
        frames.push(path);
    }
    frames
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::callgraph::test_call;
    use crate::stats::accumulator::{Call, Limits, Status};

    const LIMITS: Limits = Limits {
        exact_cap: 100,
        timeline_cap: 16,
    };

    #[test]
    fn shares_add_up_exactly_and_equal_the_weights_at_their_sum() {
        assert_eq!(share_out(10, &[1, 1, 1]), Some(vec![4, 3, 3]));
        assert_eq!(share_out(7, &[3, 4]), Some(vec![3, 4]));
        assert_eq!(share_out(100, &[1, 2, 7]), Some(vec![10, 20, 70]));
        // 5 * 2/3 = 3.33 and 5 * 1/3 = 1.67: the larger remainder (the second) gets the unit.
        assert_eq!(share_out(5, &[2, 1]), Some(vec![3, 2]));
        assert_eq!(share_out(5, &[0, 0]), None);
        assert_eq!(share_out(0, &[2, 1]), Some(vec![0, 0]));
    }

    fn key(component: &str, operation: &str) -> OpKey {
        OpKey {
            component: component.into(),
            operation: operation.into(),
            phase: "p".into(),
        }
    }

    fn accumulator(calls: &[(u64, i64)]) -> OpAccumulator {
        let mut op = OpAccumulator::new(LIMITS);
        for &(duration_ns, self_ns) in calls {
            op.record(
                Call {
                    duration_ns,
                    self_ns: Some(self_ns),
                    start_ns: 0,
                    thread: 1,
                    status: Status::Ok,
                },
                LIMITS,
            );
        }
        op
    }

    #[test]
    fn paths_follow_the_callers_across_components_and_threads() {
        let keys = [
            key("manager", "iteration"),
            key("ppo", "rollout"),
            key("ppo", "step"),
            key("manager", "log"),
        ];
        // iteration [0, 100) on thread 1: rollout [10, 60) on thread 2 with two steps, and
        // one step called directly by the iteration; log is never in the graph.
        let mut calls = vec![
            test_call(3, 2, 2, 2, 10, 20),
            test_call(4, 2, 2, 2, 30, 40),
            test_call(2, 1, 1, 2, 10, 60),
            test_call(5, 1, 2, 1, 70, 75),
            test_call(1, 0, 0, 1, 0, 100),
        ];
        calls[2].self_ns = 30;
        calls[4].self_ns = 95;
        let tree = CallTree::new(&calls);
        let ops = [
            accumulator(&[(100, 95)]),
            accumulator(&[(50, 30)]),
            accumulator(&[(10, 10), (10, 10), (5, 5)]),
            accumulator(&[(7, 7), (8, 8)]),
        ];
        let waiting = [0, 0, 0, 0, 45];
        let report = call_paths(&PathInputs {
            tree: &tree,
            sampled_fraction: 1.0,
            waiting_by_call: &waiting,
            keys: &keys,
            ops: &ops,
        });
        let rows: Vec<(String, u64, u64, Option<f64>)> = report
            .paths
            .iter()
            .map(|p| (p.frames.join(";"), p.calls, p.value_ns, p.waiting_ms))
            .collect();
        assert_eq!(
            rows,
            [
                ("manager;iteration".to_string(), 1, 95, Some(45e-6)),
                (
                    "manager;iteration;ppo::rollout".to_string(),
                    1,
                    30,
                    Some(0.0)
                ),
                (
                    "manager;iteration;ppo::rollout;step".to_string(),
                    2,
                    20,
                    Some(0.0)
                ),
                ("manager;iteration;ppo::step".to_string(), 1, 5, Some(0.0)),
                ("manager;log".to_string(), 2, 15, None),
            ]
        );
        assert_eq!(report.value_total_ns, 95 + 30 + 25 + 15);
        assert_eq!(report.operations_without_paths, 1);
        assert_eq!(report.paths[1].depth(), 2);
    }

    #[test]
    fn a_sampled_operation_shares_its_exact_figures_out_over_its_paths() {
        let keys = [key("c", "a"), key("c", "b"), key("c", "leaf")];
        // In the sample: one leaf under a, three under b. The whole run has 40 leaf calls
        // with 1000 ns of self time.
        let calls = [
            test_call(3, 1, 2, 1, 1, 2),
            test_call(1, 0, 0, 1, 0, 10),
            test_call(4, 2, 2, 1, 11, 12),
            test_call(5, 2, 2, 1, 12, 13),
            test_call(6, 2, 2, 1, 13, 14),
            test_call(2, 0, 1, 1, 10, 20),
        ];
        let tree = CallTree::new(&calls);
        let mut leaf = accumulator(&[(25, 25); 39]);
        leaf.record(
            Call {
                duration_ns: 25,
                self_ns: Some(25),
                start_ns: 0,
                thread: 1,
                status: Status::Ok,
            },
            LIMITS,
        );
        let ops = [accumulator(&[(10, 9)]), accumulator(&[(10, 7)]), leaf];
        let report = call_paths(&PathInputs {
            tree: &tree,
            sampled_fraction: 0.5,
            waiting_by_call: &[0; 6],
            keys: &keys,
            ops: &ops,
        });
        let leaves: Vec<(String, u64, u64)> = report
            .paths
            .iter()
            .filter(|p| p.operation == "leaf")
            .map(|p| (p.frames.join(";"), p.calls, p.value_ns))
            .collect();
        assert_eq!(
            leaves,
            [
                ("c;a;leaf".to_string(), 10, 250),
                ("c;b;leaf".to_string(), 30, 750)
            ]
        );
        assert_eq!(report.value_total_ns, 9 + 7 + 1000);
    }
}
