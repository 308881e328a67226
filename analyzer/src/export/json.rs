//! `performance_analysis_report.json`: the original report's keys (timestamp, bottlenecks,
//! recommendations, performance_metrics, phase_breakdown, operation_breakdown) with their
//! meaning kept, plus ours. The schema is documented in README "Report schema".

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::analysis::Analysis;
use crate::analysis::model::{ComponentReport, OperationReport};
use crate::error::Error;
use crate::stats::distribution::Method;
use crate::stats::histogram::RELATIVE_ERROR;

/// Keys of `operation_breakdown.<component>`: the operation's name, with its phase added
/// when the same name is logged under several phases.
pub fn operation_keys(component: &ComponentReport) -> Vec<String> {
    component
        .operations
        .iter()
        .map(|operation| {
            let repeated = component
                .operations
                .iter()
                .filter(|other| other.operation == operation.operation)
                .count()
                > 1;
            if repeated {
                format!("{} ({})", operation.operation, operation.phase)
            } else {
                operation.operation.clone()
            }
        })
        .collect()
}

fn metrics(component: &ComponentReport) -> Value {
    json!({
        "total_operations": component.total_operations,
        "avg_operation_duration": component.avg_operation_duration_ms,
        "total_time": component.total_time_ms,
        "slowest_operation": component.slowest_operation,
        "slowest_duration": component.slowest_duration_ms,
        "self_time": component.self_time_ms,
        "self_time_source": component.self_time,
        "self_time_note": component.self_time_note,
        "waiting_time": component.waiting_ms,
        "share_basis": component.share_basis,
        "share_basis_ms": component.basis_ms,
        "span_s": component.span_s,
        "run_started_at": component.run_started_at,
        "run_ended_at": component.run_ended_at,
        "formats": component.formats,
        "files": component.files,
        "threads": component.threads,
        "events": component.events,
        "never_called": component.never_called,
    })
}

fn operation_value(operation: &OperationReport) -> Value {
    let mut value = json!(operation);
    if let Value::Object(fields) = &mut value {
        fields.remove("component");
        fields.remove("operation");
    }
    value
}

/// The whole report as a JSON value.
pub fn report_value(analysis: &Analysis, report_path: Option<&Path>) -> Value {
    let mut performance_metrics = BTreeMap::new();
    let mut phase_breakdown = BTreeMap::new();
    let mut operation_breakdown = BTreeMap::new();
    for component in &analysis.components {
        performance_metrics.insert(component.name.clone(), metrics(component));
        let phases: BTreeMap<&str, Value> = component
            .phases
            .iter()
            .map(|phase| (phase.phase.as_str(), json!(phase)))
            .collect();
        phase_breakdown.insert(component.name.clone(), phases);
        let operations: BTreeMap<String, Value> = operation_keys(component)
            .into_iter()
            .zip(component.operations.iter().map(operation_value))
            .collect();
        operation_breakdown.insert(component.name.clone(), operations);
    }
    let all_operations = analysis
        .components
        .iter()
        .flat_map(|component| component.operations.iter());
    let exact = all_operations
        .clone()
        .filter(|op| op.stats.statistics == Method::Exact)
        .count();
    let histogram = all_operations
        .filter(|op| op.stats.statistics == Method::Histogram)
        .count();
    let (rows, problems) = analysis.rows_and_problems();
    json!({
        "timestamp": analysis.generated_at,
        "analyzer": { "name": env!("CARGO_PKG_NAME"), "version": env!("CARGO_PKG_VERSION") },
        "log_dir": analysis.log_dir,
        "report_file": report_path,
        "rows_read": rows,
        "share_basis": {
            "run_own_work_ms": analysis.run_basis_ms,
            "meaning": "every share used for severity and priority is of the run's own work: self time minus waiting for other threads, summed over all components (total time for a component without self time)",
        },
        "bottlenecks": analysis.bottlenecks,
        "recommendations": analysis.recommendations,
        "performance_metrics": performance_metrics,
        "phase_breakdown": phase_breakdown,
        "operation_breakdown": operation_breakdown,
        "cross_component": analysis.cross_component,
        "waiting": analysis.waiting,
        "trends": analysis.trends,
        "outliers": analysis.modes,
        "thread_imbalances": analysis.thread_imbalances,
        "input_problems": {
            "total": problems,
            "files": analysis.files,
            "summaries": analysis.summaries,
        },
        "statistics_method": {
            "exact_sample_cap": analysis.options.exact_sample_cap,
            "operations_exact": exact,
            "operations_histogram": histogram,
            "histogram_relative_error": RELATIVE_ERROR,
            "exact_means": "count, total, min, max, mean, standard deviation and self time are exact for every operation",
            "percentiles": "median/p95/p99 are exact (linear interpolation between order statistics, as numpy and pandas) while an operation has at most exact_sample_cap calls, else read from a log-linear histogram within histogram_relative_error",
            "timeline_sample_cap": analysis.options.timeline_sample_cap,
            "trends_and_modes": "fitted on an evenly strided sample of at most timeline_sample_cap calls per operation (plus its first and slowest calls for modes)",
        },
        "thresholds": analysis.options.thresholds,
    })
}

impl Analysis {
    /// Writes `performance_analysis_report.json` into `out_dir` (created if needed) and
    /// returns its path.
    pub fn write_report(&self, out_dir: &Path) -> Result<PathBuf, Error> {
        std::fs::create_dir_all(out_dir).map_err(|source| Error::Write {
            path: out_dir.to_path_buf(),
            source,
        })?;
        let path = out_dir.join(crate::REPORT_FILE);
        let value = report_value(self, Some(&path));
        let text = serde_json::to_string_pretty(&value).map_err(|error| Error::Write {
            path: path.clone(),
            source: std::io::Error::other(error),
        })?;
        std::fs::write(&path, text).map_err(|source| Error::Write {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }
}
