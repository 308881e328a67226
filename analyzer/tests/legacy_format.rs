//! The original Python system's log with every fault it has in the wild: exact statistics
//! from the good rows, exact problem reports for the rest.

mod support;

use analyzer::ingest::problems::ProblemKind;
use analyzer::report::{ComponentReport, SelfTimeSource, Severity};
use analyzer::{Options, analyze_dir};
use support::synthetic::{Spec, write_legacy};

const LOG: &str = "\
=== Training Timing Log - Started at 2024-01-15T10:30:00.000000 ===
timestamp,operation,phase,duration_ms,details
2024-01-15T10:30:45.000000,START_update_policy,training,,
2024-01-15T10:30:45.010000,START_batch_forward,inference,,
2024-01-15T10:30:45.030000,END_batch_forward,inference,20.00,batch=64, device=cpu

2024-01-15T10:30:45.040000,START_batch_forward,inference,,
2024-01-15T10:30:45.070000,END_batch_forward,inference,30.00,batch=64, device=cpu
2024-01-15T10:30:45.100000,END_update_policy,training,100.00,updates=8, policy_loss=0.1234
2024-01-15T10:30:46.000000,EVENT_checkpoint_saved,checkpoint,,path=model.pt, step=1
2024-01-15T10:30:46.100000,END_update_policy,training,fast,x=1
garbage line here
2024-01-15T10:30:47.000000,START_update_policy,training,,
2024-01-15T10:30:47.010000,START_save_checkpoint,checkpoint,,
2024-01-15T10:30:47.200000,END_update_policy,training,200.00,updates=8
2024-01-15T10:30:47.300000,update_policy,training,5.00,
2024-01-15T10:30:47.400000,END_batch_forward,inference,,
2024-01-15T10:30:47.500000,END_batch_forward,inference,-1.00,
2024-01-15T10:30:4";

fn analyze(log: &str) -> analyzer::Report {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ppo_training_timing.log"), log).unwrap();
    analyze_dir(dir.path(), &Options::default()).unwrap()
}

fn component<'a>(analysis: &'a analyzer::Report, name: &str) -> &'a ComponentReport {
    analysis.components.iter().find(|c| c.name == name).unwrap()
}

#[test]
fn statistics_come_from_the_good_rows_only() {
    let analysis = analyze(LOG);
    assert_eq!(analysis.components.len(), 1);
    let ppo = component(&analysis, "ppo_training");
    assert_eq!(ppo.total_operations, 4);
    assert_eq!(ppo.total_time_ms, 350.0);
    assert_eq!(ppo.slowest_operation.as_deref(), Some("update_policy"));
    assert_eq!(ppo.slowest_duration_ms, Some(150.0));
    let update = ppo
        .operations
        .iter()
        .find(|op| op.operation == "update_policy")
        .unwrap();
    assert_eq!(update.phase, "training");
    assert_eq!(update.stats.count, 2);
    assert_eq!(
        (
            update.stats.min_ms,
            update.stats.max_ms,
            update.stats.mean_ms
        ),
        (100.0, 200.0, 150.0)
    );
    assert_eq!(update.stats.median_ms, 150.0);
    assert!((update.stats.p95_ms - 195.0).abs() < 1e-9);
    assert!((update.stats.p99_ms - 199.0).abs() < 1e-9);
    // The first update's two batch_forward calls nest inside it (START/END intervals).
    assert_eq!(update.self_ms, Some(250.0));
    let forward = ppo
        .operations
        .iter()
        .find(|op| op.operation == "batch_forward")
        .unwrap();
    assert_eq!(
        (forward.stats.count, forward.stats.mean_ms, forward.self_ms),
        (2, 25.0, Some(50.0))
    );
    assert_eq!(ppo.self_time, SelfTimeSource::DerivedFromIntervals);
    assert_eq!(ppo.self_time_ms, Some(300.0));
    assert!((update.share - 250.0 / 300.0).abs() < 1e-12);
    assert_eq!(ppo.events.len(), 1);
    assert_eq!(
        (ppo.events[0].name.as_str(), ppo.events[0].count),
        ("checkpoint_saved", 1)
    );
    assert_eq!(
        ppo.run_started_at.as_deref(),
        Some("2024-01-15T10:30:45.000000Z")
    );
}

#[test]
fn every_fault_is_reported_with_its_line() {
    let analysis = analyze(LOG);
    let file = &analysis.files[0];
    assert_eq!((file.lines, file.rows, file.header_lines), (19, 10, 2));
    assert_eq!(file.problems_total, 8);
    let found: Vec<(u64, &str)> = file
        .first_problems
        .iter()
        .map(|p| (p.line, p.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (6, "blank line"),
            (11, "non-numeric duration_ms \"fast\""),
            (12, "expected at least 4 fields, found 1"),
            (14, "START_save_checkpoint never ended"),
            (
                16,
                "operation \"update_policy\" has no START_/END_/EVENT_ prefix"
            ),
            (17, "END_batch_forward has no duration"),
            (18, "negative duration_ms \"-1.00\""),
            (19, "no line end, and expected at least 4 fields, found 1"),
        ]
    );
    let kinds: Vec<ProblemKind> = file.first_problems.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [
            ProblemKind::BlankLine,
            ProblemKind::BadDuration,
            ProblemKind::WrongFieldCount,
            ProblemKind::NeverEndedStart,
            ProblemKind::UnknownRowKind,
            ProblemKind::MissingDuration,
            ProblemKind::NegativeDuration,
            ProblemKind::TornLastLine,
        ]
    );
    let nesting = file.nesting.unwrap();
    assert_eq!(
        (
            nesting.end_rows,
            nesting.never_ended_starts,
            nesting.partial_overlaps
        ),
        (4, 1, 0)
    );
    assert!(nesting.self_time_derived);
}

#[test]
fn the_originals_recommendations_fire() {
    let analysis = analyze(LOG);
    let texts: Vec<(Severity, &str)> = analysis
        .recommendations
        .iter()
        .map(|r| (r.priority, r.recommendation.as_str()))
        .collect();
    assert!(texts.contains(&(
        Severity::High,
        "Policy updates are slow (150.00ms avg). Consider reducing batch size or PPO epochs."
    )));
    assert!(texts.contains(&(
        Severity::Medium,
        "Model forward pass is slow (25.00ms avg). Consider model optimization."
    )));
    let bottleneck = &analysis.bottlenecks[0];
    assert_eq!(
        (bottleneck.operation.as_str(), bottleneck.severity),
        ("update_policy", Severity::High)
    );
    assert_eq!(bottleneck.threshold_severity, Some(Severity::Medium));
    assert_eq!(bottleneck.share_severity, Some(Severity::High));
}

#[test]
fn concurrent_operations_make_self_time_unavailable() {
    // Two calls that overlap without nesting: a threaded Python program.
    let log = "\
timestamp,operation,phase,duration_ms,details
2024-01-15T10:30:45.000000,START_a,p,,
2024-01-15T10:30:45.010000,START_b,p,,
2024-01-15T10:30:45.020000,END_a,p,20.00,
2024-01-15T10:30:45.030000,END_b,p,20.00,
";
    let analysis = analyze(log);
    let component = component(&analysis, "ppo_training");
    assert_eq!(component.self_time, SelfTimeSource::Unavailable);
    assert_eq!(component.self_time_ms, None);
    assert!(component.operations.iter().all(|op| op.self_ms.is_none()));
    assert_eq!(
        component.self_time_note,
        "1 of 2 END rows overlap other calls partially (concurrent operations), so nesting cannot be derived; shares use total time and may count nested calls twice"
    );
    assert_eq!(analysis.files[0].nesting.unwrap().partial_overlaps, 1);
}

#[test]
fn parallel_chunks_give_the_same_result_as_one_pass() {
    let dir = tempfile::tempdir().unwrap();
    write_legacy(
        dir.path(),
        Spec {
            iterations: 400,
            ..Spec::for_rows(1)
        },
    )
    .unwrap();
    let size = std::fs::metadata(dir.path().join("ppo_training_timing.log"))
        .unwrap()
        .len();
    assert!(size > analyzer::ingest::split::PARALLEL_MIN_BYTES, "{size}");
    let one = analyze_dir(
        dir.path(),
        &Options {
            threads: 1,
            ..Options::default()
        },
    )
    .unwrap();
    let three = analyze_dir(
        dir.path(),
        &Options {
            threads: 3,
            ..Options::default()
        },
    )
    .unwrap();
    for (a, b) in one.components.iter().zip(&three.components) {
        assert_eq!(a.name, b.name);
        for (x, y) in a.operations.iter().zip(&b.operations) {
            assert_eq!(
                (&x.operation, x.stats.count, x.stats.median_ms),
                (&y.operation, y.stats.count, y.stats.median_ms)
            );
            assert!((x.stats.total_ms - y.stats.total_ms).abs() < 1e-6);
            // Nesting resolved across chunk boundaries gives the same self time.
            assert!(
                (x.self_ms.unwrap() - y.self_ms.unwrap()).abs() < 1e-6,
                "{}: {:?} {:?}",
                x.operation,
                x.self_ms,
                y.self_ms
            );
        }
    }
    assert_eq!(one.files[0].problems_total, 0);
    assert_eq!(three.files[0].problems_total, 0);
    assert_eq!(one.files[0].lines, three.files[0].lines);
}
