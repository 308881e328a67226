//! `analyzer compare` on generated runs with known differences: exact verdicts, a run against
//! itself, runs with nothing in common, the files written, and the exit codes.

mod support;

use std::process::{Command, Output};

use analyzer::Options;
use analyzer::compare::{CompareOptions, Comparison, Verdict, compare, read_run};
use analyzer::runs::{self, RunDir};
use serde_json::Value;
use support::runs::{BASE_ID, NEW_ID, kept_runs, op, write_log};

fn analyzer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_analyzer"))
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn compared(base: RunDir, new: RunDir) -> Comparison {
    let options = Options::default();
    compare(
        &read_run(base, &options).unwrap(),
        &read_run(new, &options).unwrap(),
        &CompareOptions::default(),
    )
    .unwrap()
}

fn verdicts(comparison: &Comparison) -> Vec<(String, Verdict)> {
    comparison
        .operations
        .iter()
        .map(|op| (op.operation.clone(), op.verdict))
        .collect()
}

#[test]
fn known_differences_get_exact_verdicts() {
    let logs = tempfile::tempdir().unwrap();
    kept_runs(logs.path());
    let (base, new) = runs::previous_and_latest(logs.path()).unwrap();
    assert_eq!((base.id.as_str(), new.id.as_str()), (BASE_ID, NEW_ID));
    let comparison = compared(base, new);
    // Changes first (regressed, improved, added, removed), then unchanged by self time.
    let expected = [
        ("slower", Verdict::Regressed),
        ("faster", Verdict::Improved),
        ("only_new", Verdict::Added),
        ("only_base", Verdict::Removed),
        ("noisy", Verdict::Unchanged),
        ("steady", Verdict::Unchanged),
    ];
    assert_eq!(
        verdicts(&comparison),
        expected.map(|(name, verdict)| (name.to_string(), verdict))
    );
    let find = |name: &str| {
        comparison
            .operations
            .iter()
            .find(|op| op.operation == name)
            .unwrap()
    };
    let slower = find("slower");
    let ratio = slower.median_ratio.unwrap();
    assert!((ratio - 1.3).abs() < 0.02, "{ratio}");
    assert!(slower.ci_low.unwrap() > 1.05 && slower.ci_low.unwrap() <= ratio);
    assert!(slower.ci_high.unwrap() >= ratio);
    assert!(slower.p_value.unwrap() < 1e-10);
    assert_eq!((slower.base_count, slower.new_count), (800, 800));
    let faster = find("faster");
    assert!((faster.median_ratio.unwrap() - 0.75).abs() < 0.02);
    assert!(faster.ci_high.unwrap() < 0.95);
    let noisy = find("noisy");
    assert!(
        noisy.ci_low.unwrap() < 1.0 && noisy.ci_high.unwrap() > 1.0,
        "{noisy:?}"
    );
    let steady = find("steady");
    assert!(steady.ci_low.unwrap() > 0.95 && steady.ci_high.unwrap() < 1.05);
    let added = find("only_new");
    assert_eq!((added.base_count, added.new_count), (0, 50));
    assert_eq!((added.median_ratio, added.p_value), (None, None));
    let counts = comparison.summary;
    assert_eq!(
        (
            counts.regressed,
            counts.improved,
            counts.unchanged,
            counts.added,
            counts.removed
        ),
        (1, 1, 2, 1, 1)
    );
    assert_eq!(comparison.method.operations_tested, 4);
    let changed: Vec<(&str, String, String)> = comparison
        .settings_changed
        .iter()
        .map(|change| {
            (
                change.key.as_str(),
                change.base.as_ref().unwrap().to_string(),
                change.new.as_ref().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        changed,
        [("settings.ppo.lr", "0.001".to_string(), "0.0003".to_string())]
    );
    let figure = |name: &str| {
        let figure = comparison
            .run_figures
            .iter()
            .find(|figure| figure.name == name)
            .unwrap_or_else(|| panic!("{name}"));
        (figure.base, figure.new, figure.source)
    };
    assert_eq!(figure("wall_time_s"), (Some(60.0), Some(66.0), "manifest"));
    assert_eq!(
        figure("results.env_steps_per_s"),
        (Some(1000.0), Some(900.0), "manifest")
    );
    assert_eq!(
        figure("results.evaluation.mean_score"),
        (Some(1000.0), Some(1000.0), "manifest")
    );
    assert_eq!(
        figure("metrics.steps_per_s_overall"),
        (Some(1000.0), Some(900.0), "metrics.jsonl")
    );
    assert_eq!(
        figure("metrics.score_avg_100"),
        (Some(512.5), Some(512.5), "metrics.jsonl")
    );
}

#[test]
fn a_run_compared_with_itself_reports_no_change() {
    let logs = tempfile::tempdir().unwrap();
    kept_runs(logs.path());
    let latest = runs::resolve(logs.path(), "latest").unwrap();
    let comparison = compared(latest.clone(), latest);
    assert!(comparison.settings_changed.is_empty());
    assert_eq!(comparison.summary.unchanged, comparison.operations.len());
    for op in &comparison.operations {
        assert_eq!(op.verdict, Verdict::Unchanged, "{}", op.operation);
        assert_eq!(op.median_ratio, Some(1.0), "{}", op.operation);
        let (low, high) = (op.ci_low.unwrap(), op.ci_high.unwrap());
        assert!(low <= 1.0 && 1.0 <= high, "{} {low} {high}", op.operation);
        assert_eq!(op.p_value, Some(1.0), "{}", op.operation);
        assert_eq!(op.share_change, Some(0.0));
    }
    for figure in &comparison.run_figures {
        assert_eq!(figure.base, figure.new, "{}", figure.name);
    }
}

#[test]
fn runs_without_an_operation_in_common_are_an_error_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    write_log(&a, &[op("load", 10, 1000.0, 0.1)], 1);
    write_log(&b, &[op("save", 10, 1000.0, 0.1)], 2);
    let output = analyzer(&["compare", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr),
        format!(
            "error: {} and {} have no operation in common: nothing to compare\n",
            a.display(),
            b.display()
        )
    );
    assert!(output.stdout.is_empty());
    assert!(!b.join("comparison.json").exists());
}

#[test]
fn the_command_writes_both_files_and_fails_on_regression_when_asked() {
    let logs = tempfile::tempdir().unwrap();
    kept_runs(logs.path());
    let logs_arg = logs.path().to_str().unwrap();
    let output = analyzer(&["compare", "--logs", logs_arg]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.starts_with(
        "================================================================================\nRUN COMPARISON\n"
    ));
    assert!(stdout.contains(&format!(
        "Base: {BASE_ID} in {}\nNew:  {NEW_ID} (latest) in {}\n",
        logs.path().join("runs").join(BASE_ID).display(),
        logs.path().display()
    )));
    assert!(stdout.contains("SETTINGS CHANGED:\n  settings.ppo.lr: 0.001 -> 0.0003\n"));
    assert!(
        stdout.contains("OPERATIONS: 1 regressed, 1 improved, 2 unchanged, 1 added, 1 removed")
    );
    let regressed_line = stdout
        .lines()
        .find(|line| line.trim_start().starts_with("regressed"))
        .unwrap();
    assert!(regressed_line.contains("app/slower"), "{regressed_line}");
    let json_path = logs.path().join("comparison.json");
    let html_path = logs.path().join("comparison.html");
    assert!(stdout.contains(&format!(
        "Written: {}, {}\n",
        json_path.display(),
        html_path.display()
    )));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(json["base"]["id"], BASE_ID);
    assert_eq!(json["new"]["id"], NEW_ID);
    assert_eq!(json["settings_changed"][0]["key"], "settings.ppo.lr");
    let first = &json["operations"][0];
    for key in [
        "component",
        "operation",
        "verdict",
        "median_ratio",
        "ci_low",
        "ci_high",
        "p_value",
        "base_count",
        "new_count",
    ] {
        assert!(!first[key].is_null(), "operations[].{key}");
    }
    assert_eq!(first["operation"], "slower");
    assert_eq!(first["verdict"], "regressed");
    // The top-level keys in the documented order (two spaces of indent: the top level).
    let raw = std::fs::read_to_string(&json_path).unwrap();
    let keys: Vec<&str> = raw
        .lines()
        .filter_map(|line| line.strip_prefix("  \""))
        .filter_map(|line| line.split_once('"').map(|(key, _)| key))
        .collect();
    assert_eq!(
        keys,
        [
            "timestamp",
            "analyzer",
            "base",
            "new",
            "settings_changed",
            "run_figures",
            "summary",
            "operations",
            "method"
        ]
    );
    let html = std::fs::read_to_string(&html_path).unwrap();
    let page = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap();
    let charts: Vec<String> = page
        .descendants()
        .filter(|node| node.has_attribute("title") && node.attribute("class") == Some("chart"))
        .map(|node| node.attribute("title").unwrap().to_string())
        .collect();
    assert_eq!(charts, ["app/slower", "app/faster"]);
    assert!(
        !html.contains("<script") && !html.contains("src=\"http") && !html.contains("href=\"http")
    );
    assert!(html.contains("settings.ppo.lr"));

    // The same figures again: the bootstrap is seeded.
    let again = analyzer(&["compare", "--logs", logs_arg, "--quiet"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(again.stdout.is_empty());
    let second: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(second["operations"], json["operations"]);

    let failing = analyzer(&[
        "compare",
        "--logs",
        logs_arg,
        "--fail-on-regression",
        "--quiet",
    ]);
    assert_eq!(failing.status.code(), Some(3));
    // A 40% threshold: the 30% slowdown is within the noise.
    let lenient = analyzer(&[
        "compare",
        "--logs",
        logs_arg,
        "--fail-on-regression",
        "--threshold",
        "40",
        "--quiet",
    ]);
    assert_eq!(lenient.status.code(), Some(0));
    // Named explicitly, into another directory.
    let out = logs.path().join("out");
    let named = analyzer(&[
        "compare",
        BASE_ID,
        "latest",
        "--logs",
        logs_arg,
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(named.status.code(), Some(0), "{}", text(&named.stderr));
    assert!(out.join("comparison.json").is_file() && out.join("comparison.html").is_file());
}

#[test]
fn unknown_runs_and_a_lone_run_are_clear_errors() {
    let logs = tempfile::tempdir().unwrap();
    write_log(logs.path(), &[op("load", 10, 1000.0, 0.1)], 1);
    let logs_arg = logs.path().to_str().unwrap();
    let output = analyzer(&["compare", "--logs", logs_arg]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr),
        format!(
            "error: no earlier run under {} to compare the latest with\n",
            logs.path().join("runs").display()
        )
    );
    let output = analyzer(&["compare", "20200101T000000Z", "--logs", logs_arg]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr),
        format!(
            "error: no run 20200101T000000Z: neither a directory nor a run id under {} (no kept runs)\n",
            logs.path().join("runs").display()
        )
    );
}

#[test]
fn runs_lists_both_runs_and_what_differs() {
    let logs = tempfile::tempdir().unwrap();
    kept_runs(logs.path());
    let output = analyzer(&["runs", "--logs", logs.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[1], format!("RUNS IN {}", logs.path().display()));
    assert!(
        lines[4].starts_with(&format!("  {BASE_ID}  ")),
        "{}",
        lines[4]
    );
    assert!(lines[4].contains("2026-12-01T20:00:00.000000Z") && lines[4].contains("60.00s"));
    assert!(lines[4].ends_with("  3950  app"), "{}", lines[4]);
    assert!(
        lines[5].starts_with(&format!("  {NEW_ID} (latest)  ")),
        "{}",
        lines[5]
    );
    assert!(lines[5].ends_with("  3950  app"), "{}", lines[5]);
    assert_eq!(lines[7], "SETTINGS THAT DIFFER:");
    assert!(
        lines[8].starts_with(&format!("  {BASE_ID}"))
            && lines[8].ends_with("  settings.ppo.lr=0.001")
    );
    assert!(lines[9].ends_with("  settings.ppo.lr=0.0003"));
    assert_eq!(lines.len(), 10);
}
