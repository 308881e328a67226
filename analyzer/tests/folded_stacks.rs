//! The folded stacks add up to the run's self time exactly, read independently from the logs'
//! `self_ms` column, whether the call graph holds every call or a sample of them.

mod support;

use std::path::Path;

use analyzer::export::folded;
use analyzer::{Options, analyze_dir};
use support::synthetic::{Spec, write_ours};

/// `12.345678` (milliseconds, six decimals) as nanoseconds, exactly.
fn ms_to_ns(text: &str) -> i128 {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let fraction = format!("{fraction:0<6}");
    whole.parse::<i128>().unwrap() * 1_000_000 + fraction[..6].parse::<i128>().unwrap()
}

/// The sum of the `self_ms` column of every log in `dir`, with the csv crate; like the
/// analyzer, a row whose duration is not a number is skipped (the fixture has one).
fn logged_self_ns(dir: &Path) -> i128 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with("_timing.log") {
            continue;
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_path(&path)
            .unwrap();
        for record in reader.records() {
            let record = record.unwrap();
            if record[3].parse::<f64>().is_ok() {
                total += ms_to_ns(&record[9]);
            }
        }
    }
    total
}

fn folded_sum(text: &str) -> i128 {
    text.lines()
        .map(|line| {
            let (_, value) = line.rsplit_once(' ').unwrap();
            value.parse::<i128>().unwrap()
        })
        .sum()
}

#[test]
fn the_fixture_folds_into_its_paths() {
    let report = analyze_dir(Path::new("tests/fixtures/ours"), &Options::default()).unwrap();
    let text = folded::render(&report);
    assert_eq!(
        text,
        "training_manager;training_iteration 24000000\n\
         training_manager;training_iteration;broadcast_metrics 200000\n\
         training_manager;training_iteration;parallel_training 238000000\n\
         training_manager;training_iteration;parallel_training;ppo_trainer::collect_rollout 62000000\n\
         training_manager;training_iteration;parallel_training;ppo_trainer::collect_rollout;env_step 312000000\n\
         training_manager;training_iteration;ppo_trainer::buffer_add 22400000\n\
         training_manager;training_iteration;ppo_trainer::update_policy 120000000\n"
    );
    let logged = logged_self_ns(Path::new("tests/fixtures/ours"));
    assert_eq!(folded_sum(&text), logged);
    assert_eq!(report.call_tree.value_total_ns as i128, logged);
}

#[test]
fn a_sampled_call_graph_still_sums_exactly() {
    let dir = tempfile::tempdir().unwrap();
    write_ours(
        dir.path(),
        Spec {
            iterations: 400,
            ..Spec::for_rows(1)
        },
    )
    .unwrap();
    let logged = logged_self_ns(dir.path());
    for budget in [400_000, 3_000] {
        let options = Options {
            call_graph_budget: budget,
            ..Options::default()
        };
        let report = analyze_dir(dir.path(), &options).unwrap();
        let sampled = report.call_tree.sampled_fraction;
        assert_eq!(sampled < 1.0, budget == 3_000, "{sampled}");
        let text = folded::render(&report);
        assert_eq!(folded_sum(&text), logged, "budget {budget}");
        // Every operation's paths add up to its exact count and self time.
        for component in &report.components {
            for operation in &component.operations {
                let paths: Vec<_> = report
                    .call_tree
                    .paths
                    .iter()
                    .filter(|path| {
                        path.component == component.name
                            && path.operation == operation.operation
                            && path.phase == operation.phase
                    })
                    .collect();
                assert_eq!(
                    paths.iter().map(|path| path.calls).sum::<u64>(),
                    operation.stats.count
                );
                let self_ns: u64 = paths.iter().map(|path| path.value_ns).sum();
                let expected = operation.self_ms.unwrap() * 1e6;
                assert!(
                    (self_ns as f64 - expected).abs() < 1.0,
                    "{self_ns} {expected}"
                );
            }
        }
    }
}

#[test]
fn the_command_writes_stacks_folded_into_the_log_directory() {
    let dir = tempfile::tempdir().unwrap();
    for file in ["ppo_training_timing.log", "training_manager_timing.log"] {
        std::fs::copy(
            Path::new("tests/fixtures/ours").join(file),
            dir.path().join(file),
        )
        .unwrap();
    }
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_analyzer"))
        .args(["export", "--format", "folded", "--logs"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let path = dir.path().join("stacks.folded");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!(
            "folded stacks: {} (778.60ms of self time)\n",
            path.display()
        )
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(folded_sum(&text), logged_self_ns(dir.path()));
    assert_eq!(text.lines().count(), 7);
}
