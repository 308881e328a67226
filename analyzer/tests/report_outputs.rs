//! What the report, the charts and the HTML page hold on a realistic run (both formats).

mod support;

use analyzer::export::{console, html, json};
use analyzer::{Options, Report, analyze_dir};
use serde_json::Value;
use support::synthetic::{Spec, write_legacy, write_ours};

fn run(legacy: bool) -> (tempfile::TempDir, Report, Value) {
    let dir = tempfile::tempdir().unwrap();
    let spec = Spec {
        iterations: 300,
        ..Spec::for_rows(1)
    };
    if legacy {
        write_legacy(dir.path(), spec).unwrap();
    } else {
        write_ours(dir.path(), spec).unwrap();
    }
    let analysis = analyze_dir(dir.path(), &Options::default()).unwrap();
    let path = json::write(&analysis, dir.path()).unwrap();
    assert_eq!(path, dir.path().join("performance_analysis_report.json"));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    (dir, analysis, json)
}

fn assert_original_keys(json: &Value, component: &str, operation: &str) {
    assert!(json["timestamp"].as_str().unwrap().ends_with('Z'));
    let bottleneck = &json["bottlenecks"][0];
    for key in [
        "component",
        "operation",
        "avg_duration_ms",
        "severity",
        "description",
    ] {
        assert!(!bottleneck[key].is_null(), "bottlenecks[].{key}");
    }
    let recommendation = &json["recommendations"][0];
    for key in ["priority", "component", "recommendation", "impact"] {
        assert!(recommendation[key].is_string(), "recommendations[].{key}");
    }
    let metrics = &json["performance_metrics"][component];
    for key in [
        "total_operations",
        "avg_operation_duration",
        "total_time",
        "slowest_operation",
        "slowest_duration",
    ] {
        assert!(
            !metrics[key].is_null(),
            "performance_metrics.{component}.{key}"
        );
    }
    assert!(
        json["phase_breakdown"][component]["training"]["count"]
            .as_u64()
            .unwrap()
            > 0
    );
    let stats = &json["operation_breakdown"][component][operation];
    for key in [
        "phase",
        "count",
        "avg_ms",
        "median_ms",
        "p95_ms",
        "p99_ms",
        "min_ms",
        "max_ms",
        "total_ms",
        "self_ms",
        "share",
        "statistics",
    ] {
        assert!(
            !stats[key].is_null(),
            "operation_breakdown.{component}.{operation}.{key}"
        );
    }
}

#[test]
fn the_json_report_keeps_the_originals_keys_and_adds_ours() {
    let (_dir, analysis, json) = run(false);
    assert_original_keys(&json, "ppo_trainer", "update_policy");
    assert_original_keys(&json, "training_manager", "parallel_training");
    assert_eq!(
        json["performance_metrics"]["ppo_trainer"]["total_operations"].as_u64(),
        Some(analysis.components[0].total_operations)
    );
    assert_eq!(
        json["operation_breakdown"]["ppo_trainer"]["update_policy"]["count"].as_u64(),
        Some(300)
    );
    assert_eq!(
        json["operation_breakdown"]["ppo_trainer"]["update_policy"]["statistics"],
        "exact"
    );
    assert_eq!(
        json["statistics_method"]["exact_sample_cap"].as_u64(),
        Some(1_000_000)
    );
    assert_eq!(
        json["statistics_method"]["histogram_relative_error"].as_f64(),
        Some(1.0 / 256.0)
    );
    assert_eq!(
        json["performance_metrics"]["ppo_trainer"]["self_time_source"],
        "logged"
    );
    assert!(json["cross_component"]["available"].as_bool().unwrap());
    assert!(
        json["trends"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["operation"] == "buffer_add" && t["slowing"] == true)
    );
    assert!(
        json["outliers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["operation"] == "batch_forward")
    );
    assert_eq!(json["input_problems"]["total"].as_u64(), Some(0));
    assert_eq!(json["thresholds"]["high_ms"].as_f64(), Some(500.0));
}

#[test]
fn exact_cap_switches_percentiles_to_the_histogram() {
    let dir = tempfile::tempdir().unwrap();
    write_ours(
        dir.path(),
        Spec {
            iterations: 50,
            ..Spec::for_rows(1)
        },
    )
    .unwrap();
    let options = Options {
        exact_sample_cap: 100,
        ..Options::default()
    };
    let analysis = analyze_dir(dir.path(), &options).unwrap();
    let exact = analyze_dir(dir.path(), &Options::default()).unwrap();
    let find = |a: &Report, name: &str| {
        a.components
            .iter()
            .flat_map(|c| c.operations.iter())
            .find(|op| op.operation == name)
            .unwrap()
            .stats
            .clone()
    };
    let approximate = find(&analysis, "env_step");
    let reference = find(&exact, "env_step");
    assert_eq!(
        approximate.statistics,
        analyzer::stats::distribution::Method::Histogram
    );
    assert_eq!(
        (approximate.count, approximate.total_ms, approximate.min_ms),
        (reference.count, reference.total_ms, reference.min_ms)
    );
    for (a, b) in [
        (approximate.median_ms, reference.median_ms),
        (approximate.p95_ms, reference.p95_ms),
    ] {
        // Rank-nearest bucket value against interpolated exact: within the bucket error plus
        // one order statistic's spacing.
        assert!((a - b).abs() / b < 0.02, "{a} vs {b}");
    }
    assert_eq!(
        find(&analysis, "parallel_training").statistics,
        analyzer::stats::distribution::Method::Exact
    );
}

#[test]
fn legacy_runs_report_the_same_keys() {
    let (_dir, analysis, json) = run(true);
    assert_original_keys(&json, "ppo_training", "update_policy");
    assert_original_keys(&json, "training_manager", "parallel_training");
    assert_eq!(
        json["performance_metrics"]["ppo_training"]["self_time_source"],
        "derived_from_intervals"
    );
    assert_eq!(json["cross_component"]["available"], false);
    let names: Vec<&str> = analysis
        .components
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["ppo_training", "training_manager"]);
}

#[test]
fn charts_and_page_are_well_formed_and_self_contained() {
    let (dir, analysis, _) = run(false);
    let written = html::write(&analysis, dir.path()).unwrap();
    let names: Vec<String> = written
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "time_share.svg",
            "duration_distribution.svg",
            "durations_over_run.svg",
            "phase_breakdown.svg",
            "flamegraph.svg",
            "report.html"
        ]
    );
    for path in &written[..4] {
        let svg = std::fs::read_to_string(path).unwrap();
        let document = roxmltree::Document::parse(&svg).unwrap();
        assert_eq!(document.root_element().tag_name().name(), "svg");
        let texts: Vec<&str> = document
            .descendants()
            .filter_map(|node| node.text())
            .collect();
        assert!(
            texts.iter().any(|text| text.contains("ppo_trainer")),
            "{}",
            path.display()
        );
    }
    // inferno's flame graph: a document type, its script (zoom, search), a frame per path.
    let flame = std::fs::read_to_string(&written[4]).unwrap();
    let document = roxmltree::Document::parse_with_options(
        &flame,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(document.root_element().tag_name().name(), "svg");
    assert!(flame.contains("<script"));
    let titles: Vec<&str> = document
        .descendants()
        .filter(|node| node.tag_name().name() == "title")
        .filter_map(|node| node.text())
        .collect();
    assert!(
        titles
            .iter()
            .any(|title| title.starts_with("training_iteration (")),
        "{titles:?}"
    );
    let html = std::fs::read_to_string(&written[5]).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    let page = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(page.root_element().tag_name().name(), "html");
    let is_svg = |node: &roxmltree::Node| node.tag_name().name() == "svg";
    // Drawings, not counting the flame graph's inner <svg> of frames.
    let svgs = page
        .descendants()
        .filter(|node| is_svg(node) && !node.ancestors().skip(1).any(|up| is_svg(&up)))
        .count();
    assert_eq!(svgs, 5);
    let tables = page
        .descendants()
        .filter(|node| node.tag_name().name() == "table")
        .count();
    assert!(tables >= 4, "{tables}");
    assert!(
        !html.contains("<script") && !html.contains("src=\"http") && !html.contains("href=\"http")
    );
    assert!(html.contains("Top recommendations"));
}

#[test]
fn console_summary_follows_the_originals_layout() {
    let (_dir, analysis, _) = run(false);
    let summary = console::render(&analysis, None);
    let headings: Vec<&str> = summary
        .lines()
        .filter(|line| {
            [
                "PERFORMANCE ANALYSIS SUMMARY",
                "TOP BOTTLENECKS:",
                "TOP RECOMMENDATIONS:",
                "PPO TRAINER METRICS:",
                "TRAINING MANAGER METRICS:",
            ]
            .contains(line)
        })
        .collect();
    assert_eq!(
        headings,
        [
            "PERFORMANCE ANALYSIS SUMMARY",
            "TOP BOTTLENECKS:",
            "TOP RECOMMENDATIONS:",
            "PPO TRAINER METRICS:",
            "TRAINING MANAGER METRICS:"
        ]
    );
    assert!(summary.contains("Report generated: (not written)\nAnalysis timestamp: "));
    assert!(
        summary
            .lines()
            .any(|line| line.starts_with("1. PPO Trainer: ")
                || line.starts_with("1. Training Manager: "))
    );
    let mut out = Vec::new();
    console::write(&analysis, None, &mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), summary);
}
