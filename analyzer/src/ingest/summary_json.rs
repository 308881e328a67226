//! `*_timing_summary.json`: ours (written by `timed-runtime`) and older shapes (the Python
//! system's per-operation objects). What is recognisable is used; every key that is not is
//! reported as an input problem rather than silently dropped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

use super::problems::{ProblemKind, ProblemLog};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Site {
    pub module_path: Option<String>,
    pub file: Option<String>,
    pub line: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SummaryOperation {
    pub name: String,
    pub phase: Option<String>,
    pub component: Option<String>,
    pub count: u64,
    pub panicked: u64,
    pub cancelled: u64,
    pub total_ms: Option<f64>,
    pub self_ms: Option<f64>,
    pub min_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub avg_ms: Option<f64>,
    pub median_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub sites: Vec<Site>,
}

/// Which writer the file looks like it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SummaryShape {
    TimedRuntime,
    PerOperationObjects,
    Unrecognised,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SummaryFile {
    pub path: PathBuf,
    pub shape: SummaryShape,
    pub component: Option<String>,
    pub generated_at: Option<String>,
    pub mode: Option<String>,
    pub clock: Option<String>,
    pub session_ms: Option<f64>,
    pub histogram_relative_error: Option<f64>,
    pub rows_written: Option<u64>,
    pub rows_lost: Option<u64>,
    pub write_errors: Option<u64>,
    pub otlp_exported: Option<u64>,
    pub otlp_dropped: Option<u64>,
    pub otlp_errors: Option<u64>,
    pub threads: BTreeMap<u32, String>,
    pub operations: Vec<SummaryOperation>,
    #[serde(skip)]
    pub problems: ProblemLog,
}

impl SummaryFile {
    fn empty(path: &Path) -> Self {
        SummaryFile {
            path: path.to_path_buf(),
            shape: SummaryShape::Unrecognised,
            component: None,
            generated_at: None,
            mode: None,
            clock: None,
            session_ms: None,
            histogram_relative_error: None,
            rows_written: None,
            rows_lost: None,
            write_errors: None,
            otlp_exported: None,
            otlp_dropped: None,
            otlp_errors: None,
            threads: BTreeMap::new(),
            operations: Vec::new(),
            problems: ProblemLog::default(),
        }
    }
}

/// Reads a summary file; I/O and syntax errors become problems of the returned value.
pub fn read_summary(path: &Path) -> SummaryFile {
    let mut summary = SummaryFile::empty(path);
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(error) => {
            summary
                .problems
                .record(0, ProblemKind::UnreadableFile, || error.to_string());
            return summary;
        }
    };
    match serde_json::from_slice::<Value>(&text) {
        Ok(value) => interpret(&mut summary, &value),
        Err(error) => {
            summary
                .problems
                .record(error.line() as u64, ProblemKind::SummaryJson, || {
                    format!("invalid JSON: {error}")
                })
        }
    }
    summary
}

fn interpret(summary: &mut SummaryFile, value: &Value) {
    let Some(top) = value.as_object() else {
        summary.problems.record(0, ProblemKind::SummaryJson, || {
            "top level is not a JSON object".to_string()
        });
        return;
    };
    if let Some(operations) = top.get("operations") {
        summary.shape = SummaryShape::TimedRuntime;
        read_header(summary, top);
        match operations.as_object() {
            Some(operations) => read_operations(summary, operations, "operations"),
            None => unrecognised(summary, "operations", "is not an object"),
        }
    } else if top.values().any(|entry| entry.get("count").is_some()) {
        summary.shape = SummaryShape::PerOperationObjects;
        read_operations(summary, top, "");
    } else {
        summary.problems.record(0, ProblemKind::SummaryJson, || {
            "neither an \"operations\" object nor per-operation objects".to_string()
        });
    }
}

fn unrecognised(summary: &mut SummaryFile, path: &str, what: &str) {
    summary
        .problems
        .record(0, ProblemKind::SummaryJson, || format!("{path} {what}"));
}

fn read_header(summary: &mut SummaryFile, top: &Map<String, Value>) {
    for (key, value) in top {
        let recognised = match key.as_str() {
            // The run's identity and metadata belong to its manifest (run.json), read as a run.
            "operations" | "run_id" | "metadata" => true,
            "component" => set(&mut summary.component, value.as_str().map(str::to_string)),
            "generated_at" => set(
                &mut summary.generated_at,
                value.as_str().map(str::to_string),
            ),
            "mode" => set(&mut summary.mode, value.as_str().map(str::to_string)),
            "clock" => set(&mut summary.clock, value.as_str().map(str::to_string)),
            "session_ms" => set(&mut summary.session_ms, value.as_f64()),
            "histogram_relative_error" => {
                set(&mut summary.histogram_relative_error, value.as_f64())
            }
            "rows_written" => set(&mut summary.rows_written, value.as_u64()),
            "rows_lost" => set(&mut summary.rows_lost, value.as_u64()),
            "write_errors" => set(&mut summary.write_errors, value.as_u64()),
            "otlp_exported" => set(&mut summary.otlp_exported, value.as_u64()),
            "otlp_dropped" => set(&mut summary.otlp_dropped, value.as_u64()),
            "otlp_errors" => set(&mut summary.otlp_errors, value.as_u64()),
            "threads" => read_threads(summary, value),
            _ => {
                unrecognised(summary, key, "is not a known key");
                continue;
            }
        };
        if !recognised {
            unrecognised(summary, key, "has an unexpected type");
        }
    }
}

fn set<T>(slot: &mut Option<T>, value: Option<T>) -> bool {
    let ok = value.is_some();
    *slot = value;
    ok
}

fn read_threads(summary: &mut SummaryFile, value: &Value) -> bool {
    let Some(threads) = value.as_object() else {
        return false;
    };
    for (index, name) in threads {
        match (index.parse::<u32>(), name) {
            (Ok(index), Value::String(name)) => {
                summary.threads.insert(index, name.clone());
            }
            (Ok(_), Value::Null) => {}
            _ => unrecognised(
                summary,
                &format!("threads.{index}"),
                "is not a thread index with a name",
            ),
        }
    }
    true
}

fn read_operations(summary: &mut SummaryFile, operations: &Map<String, Value>, prefix: &str) {
    for (name, entry) in operations {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let Some(fields) = entry.as_object() else {
            unrecognised(summary, &path, "is not an object");
            continue;
        };
        let mut operation = SummaryOperation {
            name: name.clone(),
            phase: None,
            component: None,
            count: 0,
            panicked: 0,
            cancelled: 0,
            total_ms: None,
            self_ms: None,
            min_ms: None,
            max_ms: None,
            avg_ms: None,
            median_ms: None,
            p95_ms: None,
            p99_ms: None,
            sites: Vec::new(),
        };
        let mut count_seen = false;
        for (key, value) in fields {
            // Null is how both writers say "no value" (an operation never called).
            let number = || value.as_f64();
            let recognised = match key.as_str() {
                "phase" => set(&mut operation.phase, value.as_str().map(str::to_string)),
                "component" => set(&mut operation.component, value.as_str().map(str::to_string)),
                "count" => {
                    count_seen = value.as_u64().is_some();
                    operation.count = value.as_u64().unwrap_or(0);
                    count_seen
                }
                "panicked" => value.as_u64().map(|v| operation.panicked = v).is_some(),
                "cancelled" => value.as_u64().map(|v| operation.cancelled = v).is_some(),
                "total_ms" | "total_time" | "total" => set(&mut operation.total_ms, number()),
                "self_ms" => set(&mut operation.self_ms, number()),
                "min_ms" | "min_time" | "min" => {
                    value.is_null() || set(&mut operation.min_ms, number())
                }
                "max_ms" | "max_time" | "max" => {
                    value.is_null() || set(&mut operation.max_ms, number())
                }
                "avg_ms" | "avg_time" | "mean_ms" | "mean" | "average" => {
                    value.is_null() || set(&mut operation.avg_ms, number())
                }
                "median_ms" | "median_time" | "median" => {
                    value.is_null() || set(&mut operation.median_ms, number())
                }
                "p95_ms" => value.is_null() || set(&mut operation.p95_ms, number()),
                "p99_ms" => value.is_null() || set(&mut operation.p99_ms, number()),
                "sites" => read_sites(&mut operation, value),
                _ => {
                    unrecognised(summary, &format!("{path}.{key}"), "is not a known key");
                    continue;
                }
            };
            if !recognised {
                unrecognised(summary, &format!("{path}.{key}"), "has an unexpected type");
            }
        }
        if !count_seen {
            unrecognised(summary, &path, "has no count");
            continue;
        }
        summary.operations.push(operation);
    }
}

fn read_sites(operation: &mut SummaryOperation, value: &Value) -> bool {
    let Some(sites) = value.as_array() else {
        return false;
    };
    operation.sites = sites
        .iter()
        .map(|site| Site {
            module_path: site
                .get("module_path")
                .and_then(Value::as_str)
                .map(str::to_string),
            file: site.get("file").and_then(Value::as_str).map(str::to_string),
            line: site.get("line").and_then(Value::as_u64),
        })
        .collect();
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::problems::Problem;

    fn read(text: &str) -> SummaryFile {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x_timing_summary.json");
        std::fs::write(&path, text).unwrap();
        read_summary(&path)
    }

    #[test]
    fn reads_our_shape() {
        let summary = read(
            r#"{"component":"ppo_trainer","generated_at":"2026-11-25T03:15:40.000000Z","mode":"full",
            "clock":"tsc","session_ms":8012.345678,"histogram_relative_error":0.0078125,
            "rows_written":123456,"rows_lost":0,"write_errors":0,"threads":{"1":"main","2":"rollout-0","3":null},
            "operations":{"update_policy":{"phase":"training","component":"ppo_trainer","count":8,"panicked":0,
            "cancelled":0,"total_ms":1965.36,"self_ms":1928.0,"min_ms":240.1,"max_ms":251.2,"avg_ms":245.67,
            "median_ms":245.5,"p95_ms":250.9,"p99_ms":251.1,
            "sites":[{"module_path":"trainer::ppo::update","file":"trainer/src/ppo/update.rs","line":42}]},
            "never_called_op":{"phase":"checkpoint","component":"ppo_trainer","count":0,"panicked":0,"cancelled":0,
            "total_ms":0.0,"self_ms":0.0,"min_ms":null,"max_ms":null,"avg_ms":null,"median_ms":null,"p95_ms":null,
            "p99_ms":null,"sites":[]}}}"#,
        );
        assert!(summary.problems.is_empty(), "{:?}", summary.problems);
        assert_eq!(summary.shape, SummaryShape::TimedRuntime);
        assert_eq!(summary.component.as_deref(), Some("ppo_trainer"));
        assert_eq!(summary.rows_written, Some(123_456));
        assert_eq!(
            summary.threads.get(&2).map(String::as_str),
            Some("rollout-0")
        );
        assert_eq!(summary.threads.len(), 2);
        let update = summary
            .operations
            .iter()
            .find(|op| op.name == "update_policy")
            .unwrap();
        assert_eq!(update.count, 8);
        assert_eq!(update.avg_ms, Some(245.67));
        assert_eq!(update.sites[0].line, Some(42));
        let never = summary
            .operations
            .iter()
            .find(|op| op.name == "never_called_op")
            .unwrap();
        assert_eq!((never.count, never.min_ms), (0, None));
    }

    #[test]
    fn reads_older_shapes_and_reports_the_rest() {
        let summary = read(
            r#"{"update_policy":{"count":3,"avg_time":245.67,"total_time":737.01,"colour":"red"},"note":"hi"}"#,
        );
        assert_eq!(summary.shape, SummaryShape::PerOperationObjects);
        assert_eq!(summary.operations.len(), 1);
        assert_eq!(summary.operations[0].avg_ms, Some(245.67));
        assert_eq!(summary.operations[0].total_ms, Some(737.01));
        let messages: Vec<&str> = summary
            .problems
            .examples()
            .iter()
            .map(|p| p.message.as_str())
            .collect();
        assert_eq!(
            messages,
            [
                "note is not an object",
                "update_policy.colour is not a known key"
            ]
        );
    }

    #[test]
    fn bad_json_and_bad_types_are_problems() {
        let broken = read("{\"operations\": ");
        assert_eq!(broken.problems.count(ProblemKind::SummaryJson), 1);
        assert_eq!(broken.problems.examples()[0].line, 1);
        let typed = read(r#"{"component": 7, "operations": {"x": {"count": "many"}}}"#);
        let messages: Vec<&Problem> = typed.problems.examples().iter().collect();
        assert_eq!(messages.len(), 3);
        assert_eq!(messages[0].message, "component has an unexpected type");
        assert_eq!(
            messages[1].message,
            "operations.x.count has an unexpected type"
        );
        assert_eq!(messages[2].message, "operations.x has no count");
        assert_eq!(
            read("[1, 2]").problems.examples()[0].message,
            "top level is not a JSON object"
        );
    }
}
