//! Our format: quoted details with commas, quotes and line breaks, logged self time, several
//! threads, parents in the other component's log, and a summary JSON to cross-check.

mod support;

use analyzer::export::console;
use analyzer::report::{RecommendationKind, SelfTimeSource, Severity};
use analyzer::{Options, analyze_dir};
use support::synthetic::{Spec, write_ours};

const HEADER: &str = "timestamp,operation,phase,duration_ms,details,component,thread,call_id,parent_id,self_ms,start_ns,status\n";

const PPO: &str = "\
2026-11-25T03:15:32.000400Z,batch_forward,inference,0.400000,,ppo_trainer,2,8589934593,8589934592,0.400000,1000000,ok
2026-11-25T03:15:32.000500Z,select_action,inference,0.500000,\"note=\"\"fast\"\", k=1\",ppo_trainer,2,8589934592,4294967297,0.100000,999900,ok
2026-11-25T03:15:32.000600Z,batch_forward,inference,0.600000,,ppo_trainer,3,12884901889,12884901888,0.600000,1000000,ok
2026-11-25T03:15:32.000900Z,select_action,inference,0.900000,\"multi
line, details\",ppo_trainer,3,12884901888,4294967297,0.300000,999800,ok
2026-11-25T03:15:32.005000Z,update_policy,training,5.000000,\"updates=8, policy_loss=0.1234\",ppo_trainer,1,4294967299,4294967298,5.000000,3000000,panicked
not a row
";

const MANAGER: &str = "\
2026-11-25T03:15:32.002000Z,parallel_training,training,2.000000,envs=2,training_manager,1,4294967297,4294967298,2.000000,900000,ok
2026-11-25T03:15:32.010000Z,training_iteration,training,10.000000,,training_manager,1,4294967298,,3.000000,800000,ok
";

const SUMMARY: &str = r#"{"component":"ppo_trainer","mode":"full","rows_written":6,"write_errors":0,
"threads":{"1":"main","2":"rollout-0","3":"rollout-1"},
"operations":{"update_policy":{"phase":"training","component":"ppo_trainer","count":1,"panicked":1,"cancelled":0,
"total_ms":5.0,"self_ms":5.0,"min_ms":5.0,"max_ms":5.0,"avg_ms":5.0,"median_ms":5.0,"p95_ms":5.0,"p99_ms":5.0,
"sites":[{"module_path":"trainer::ppo","file":"trainer/src/ppo.rs","line":42}]},
"save_checkpoint":{"phase":"checkpoint","component":"ppo_trainer","count":0,"panicked":0,"cancelled":0,"total_ms":0.0,
"self_ms":0.0,"min_ms":null,"max_ms":null,"avg_ms":null,"median_ms":null,"p95_ms":null,"p99_ms":null,"sites":[]}},
"surprise":1}"#;

fn analyze() -> analyzer::Report {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ppo_training_timing.log"),
        format!("{HEADER}{PPO}"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("training_manager_timing.log"),
        format!("{HEADER}{MANAGER}"),
    )
    .unwrap();
    std::fs::write(dir.path().join("ppo_timing_summary.json"), SUMMARY).unwrap();
    analyze_dir(dir.path(), &Options::default()).unwrap()
}

#[test]
fn rows_name_their_component_and_keep_their_self_time() {
    let analysis = analyze();
    let names: Vec<&str> = analysis
        .components
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["ppo_trainer", "training_manager"]);
    let ppo = &analysis.components[0];
    assert_eq!(ppo.self_time, SelfTimeSource::Logged);
    assert_eq!(ppo.total_operations, 5);
    let order: Vec<(&str, f64)> = ppo
        .operations
        .iter()
        .map(|op| (op.operation.as_str(), op.self_ms.unwrap()))
        .collect();
    assert_eq!(order.len(), 3);
    assert_eq!(order[0].0, "update_policy");
    assert!((order[0].1 - 5.0).abs() < 1e-12);
    assert_eq!(order[1].0, "batch_forward");
    assert!((order[1].1 - 1.0).abs() < 1e-12);
    assert!((order[2].1 - 0.4).abs() < 1e-12);
    assert!((ppo.self_time_ms.unwrap() - 6.4).abs() < 1e-12);
    let update = &ppo.operations[0];
    // Own work: ppo 6.4 ms; the manager 4.1 ms (parallel_training's 2 ms of self time, its
    // children being on other threads, hold 0.9 ms of waiting for them). Severity uses the
    // run's 10.5 ms.
    assert!((update.component_share - 5.0 / 6.4).abs() < 1e-12);
    assert!((update.share - 5.0 / 10.5).abs() < 1e-12);
    assert_eq!(update.waiting_ms, Some(0.0));
    assert!((analysis.run_basis_ms - 10.5).abs() < 1e-12);
    assert_eq!(update.panicked, 1);
    assert_eq!(update.sites[0].line, Some(42));
    let forward = &ppo.operations[1];
    let threads: Vec<(u32, Option<&str>, u64)> = forward
        .threads
        .iter()
        .map(|t| (t.thread, t.name.as_deref(), t.count))
        .collect();
    assert_eq!(
        threads,
        [(2, Some("rollout-0"), 1), (3, Some("rollout-1"), 1)]
    );
    assert_eq!(ppo.never_called, ["save_checkpoint"]);
}

#[test]
fn line_breaks_inside_quotes_keep_line_numbers_right() {
    let analysis = analyze();
    let file = analysis
        .files
        .iter()
        .find(|f| f.stem == "ppo_training")
        .unwrap();
    assert_eq!((file.rows, file.lines, file.header_lines), (5, 8, 1));
    assert_eq!(file.problems_total, 1);
    assert_eq!(file.first_problems[0].line, 8);
    assert_eq!(
        file.first_problems[0].message,
        "expected 12 fields, found 1"
    );
}

#[test]
fn coordination_time_splits_across_components_and_threads() {
    let analysis = analyze();
    let cross = &analysis.cross_component;
    assert!(cross.available);
    assert_eq!(cross.sampled_fraction, 1.0);
    assert_eq!(cross.children_without_parent, 0);
    assert_eq!(cross.calls_in_sample, 7);
    let parallel = cross
        .links
        .iter()
        .find(|l| l.parent_operation == "parallel_training")
        .unwrap();
    assert_eq!(parallel.child_component, "ppo_trainer");
    assert_eq!((parallel.calls, parallel.operation_calls), (1, 1));
    assert!((parallel.parent_total_ms - 2.0).abs() < 1e-12);
    // Workers ran [0.9999, 1.4999) and [0.9998, 1.8998) ms (select_action, with
    // batch_forward inside): 0.9 ms covered.
    assert!((parallel.inside_ms - 0.9).abs() < 1e-12);
    assert!((parallel.overhead_ms - 1.1).abs() < 1e-12);
    assert!((parallel.imbalance_ms - 0.2).abs() < 1e-12);
    // Its thread runs no timed child while the workers run: all 0.9 ms is waiting.
    assert!((parallel.waiting_ms - 0.9).abs() < 1e-12);
    let busy: Vec<(u32, Option<&str>, f64)> = parallel
        .worker_threads
        .iter()
        .map(|t| (t.thread, t.name.as_deref(), t.busy_ms))
        .collect();
    assert_eq!(busy.len(), 2);
    assert_eq!((busy[0].0, busy[0].1), (2, Some("rollout-0")));
    assert!((busy[0].2 - 0.5).abs() < 1e-12 && (busy[1].2 - 0.9).abs() < 1e-12);
    // The iteration reaches the workers through parallel_training (its own component).
    let iteration = cross
        .links
        .iter()
        .find(|l| l.parent_operation == "training_iteration")
        .unwrap();
    assert!((iteration.inside_fraction - 0.59).abs() < 1e-12);
    assert!((iteration.waiting_fraction - 0.09).abs() < 1e-12);
    assert!((iteration.imbalance_fraction - 0.02).abs() < 1e-12);
    assert_eq!(iteration.worker_threads.len(), 2);
    let top: Vec<(&str, u64)> = iteration
        .top_descendants
        .iter()
        .map(|d| (d.operation.as_str(), d.count))
        .collect();
    assert_eq!(
        top,
        [
            ("update_policy", 1),
            ("select_action", 2),
            ("batch_forward", 2)
        ]
    );
    let manager = &analysis.components[1];
    let coordinator = manager
        .operations
        .iter()
        .find(|op| op.operation == "parallel_training")
        .unwrap();
    assert!((coordinator.waiting_ms.unwrap() - 0.9).abs() < 1e-12);
    assert!((coordinator.own_work_ms - 1.1).abs() < 1e-12);
}

#[test]
fn summaries_are_used_and_checked() {
    let analysis = analyze();
    let summary = &analysis.summaries[0];
    assert_eq!(summary.matched_component.as_deref(), Some("ppo_trainer"));
    let checks: Vec<String> = summary.checks.iter().map(|c| c.to_string()).collect();
    assert_eq!(
        checks,
        [
            "the summary says 6 rows were written but the logs hold 5 usable rows of ppo_trainer (1 missing: torn, malformed or truncated log)"
        ]
    );
    assert_eq!(summary.problems_total, 1);
    assert_eq!(
        summary.first_problems[0].message,
        "surprise is not a known key"
    );
    let panicked = analysis
        .recommendations
        .iter()
        .find(|r| r.kind == RecommendationKind::PanickedCalls)
        .unwrap();
    assert_eq!(panicked.priority, Severity::High);
    assert_eq!(
        panicked.recommendation,
        "update_policy panicked in 1 of 1 calls: fix the failure before tuning its speed."
    );
}

#[test]
fn a_realistic_run_shows_its_planted_problems() {
    let dir = tempfile::tempdir().unwrap();
    write_ours(
        dir.path(),
        Spec {
            iterations: 1200,
            ..Spec::for_rows(1)
        },
    )
    .unwrap();
    let analysis = analyze_dir(dir.path(), &Options::default()).unwrap();
    let categories: Vec<&str> = analysis
        .recommendations
        .iter()
        .map(|r| r.kind.as_str())
        .collect();
    // buffer_add grows 3x over the run.
    let trend = analysis
        .trends
        .iter()
        .find(|t| t.operation == "buffer_add")
        .unwrap();
    assert!(trend.slowing);
    assert!(
        trend.change_over_run > 0.5 && trend.change_over_run < 1.5,
        "{}",
        trend.change_over_run
    );
    assert!(categories.contains(&"slowing_trend"));
    // batch_forward is 40x slower in the first 3 iterations.
    let forward = analysis
        .modes
        .iter()
        .find(|m| m.operation == "batch_forward")
        .unwrap();
    assert!(
        forward
            .modes
            .iter()
            .any(|m| format!("{:?}", m.label) == "WarmUp" && m.last_at_s < 0.2)
    );
    // Every 100th iteration update_policy stalls.
    let update = analysis
        .modes
        .iter()
        .find(|m| m.operation == "update_policy")
        .unwrap();
    let stall = update
        .modes
        .iter()
        .find(|m| format!("{:?}", m.label) == "PeriodicStall")
        .unwrap();
    assert_eq!(stall.calls_in_sample, 12);
    // The last of three workers does 50% more steps: parallel_training waits for it.
    let parallel = analysis
        .cross_component
        .links
        .iter()
        .find(|l| l.parent_operation == "parallel_training")
        .unwrap();
    assert_eq!(parallel.worker_threads.len(), 3);
    assert!(
        parallel.imbalance_fraction > 0.1 && parallel.inside_fraction > 0.8,
        "{parallel:?}"
    );
    assert!(categories.contains(&"worker_imbalance"));
    // Its thread waits for the workers almost all of its self time: that is not its work.
    let coordinator = analysis
        .components
        .iter()
        .flat_map(|c| c.operations.iter())
        .find(|op| op.operation == "parallel_training")
        .unwrap();
    let waiting = coordinator.waiting_ms.unwrap();
    assert!(
        waiting > 0.9 * coordinator.self_ms.unwrap() && coordinator.own_work_ms < 0.1 * waiting,
        "{coordinator:?}"
    );
    assert!(categories.contains(&"waiting_for_workers"));
    // tensor_convert: ~800 ns, 100k calls.
    assert!(categories.contains(&"batch_tiny_calls"));
    assert!(
        analysis
            .bottlenecks
            .iter()
            .any(|b| b.operation == "backward" && b.severity == Severity::High)
    );
}

#[test]
fn calls_outside_the_sampled_blocks_get_no_estimate_rather_than_zeros() {
    let mut analysis = analyze();
    // As when a call's blocks all fall outside a sampled run's kept blocks.
    analysis.cross_component.sampled_fraction = 0.25;
    for link in &mut analysis.cross_component.links {
        link.analysed_ms = 0.0;
    }
    for waiting in &mut analysis.waiting {
        waiting.analysed_fraction = 0.0;
    }
    let console = console::render(&analysis, None);
    assert!(
        console.contains(
            "  training_manager/parallel_training -> ppo_trainer: 1 of 1 calls reach \
             ppo_trainer, but none of their time fell in the sampled blocks: no estimate\n"
        ),
        "{console}"
    );
    assert!(
        console.contains(
            "  training_manager/parallel_training: has children on other threads, but none of \
             its time fell in the sampled blocks: no estimate\n"
        ),
        "{console}"
    );
    assert!(!console.contains("0.0% inside"), "{console}");
}
