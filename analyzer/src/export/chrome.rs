//! The Chrome Trace Event format (`trace.json`), which Perfetto's UI and `chrome://tracing`
//! open: `{"displayTimeUnit": "ns", "traceEvents": [...], "otherData": {...}}`. One complete
//! event (`"ph": "X"`) per call, `ts` and `dur` in microseconds with the nanoseconds as three
//! decimals, `cat` the phase, `args` the component, details, call id, parent id and status;
//! `thread_name` and `process_name` metadata; a flow (`"s"` in the parent, `"f"` at the child,
//! bound to the enclosing slice) for each child on another thread. Written as the events
//! stream in: nothing but the current row is held. `otherData` says what the trace holds and
//! what a window left out (README "Trace export").

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Error;
use crate::ingest::discover::discover;
use crate::report::AnalyzerVersion;
use crate::trace::{CallArgs, TraceEvent, TraceSummary, TraceWindow, stream_trace};

/// The file's default name, in the log directory.
pub const TRACE_FILE: &str = "trace.json";

/// Nanoseconds as microseconds with three decimals, exactly: `1234567` -> `1234.567`.
pub fn micros(ns: i64) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    let ns = ns.unsigned_abs();
    format!("{sign}{}.{:03}", ns / 1000, ns % 1000)
}

fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
}

fn args_json(args: &CallArgs) -> String {
    let mut out = format!(
        "{{\"component\":{},\"details\":{}",
        quoted(args.component),
        quoted(args.details)
    );
    if let Some(call_id) = args.call_id {
        out.push_str(&format!(",\"call_id\":{call_id},\"parent_id\":"));
        match args.parent_id {
            Some(parent) => out.push_str(&parent.to_string()),
            None => out.push_str("null"),
        }
    }
    out.push_str(&format!(",\"status\":\"{}\"}}", args.status));
    out
}

/// One event as a JSON object.
pub fn event_json(event: &TraceEvent) -> String {
    match *event {
        TraceEvent::ProcessName { pid, name } => format!(
            "{{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":{pid},\"tid\":0,\"args\":{{\"name\":{}}}}}",
            quoted(name)
        ),
        TraceEvent::ThreadName { pid, tid, name } => format!(
            "{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":{pid},\"tid\":{tid},\"args\":{{\"name\":{}}}}}",
            quoted(name)
        ),
        TraceEvent::Span {
            pid,
            tid,
            name,
            category,
            ts_ns,
            dur_ns,
            ref args,
        } => format!(
            "{{\"name\":{},\"cat\":{},\"ph\":\"X\",\"ts\":{},\"dur\":{},\"pid\":{pid},\"tid\":{tid},\"args\":{}}}",
            quoted(name),
            quoted(category),
            micros(ts_ns),
            micros(i64::try_from(dur_ns).unwrap_or(i64::MAX)),
            args_json(args)
        ),
        TraceEvent::Instant {
            pid,
            tid,
            name,
            category,
            ts_ns,
            ref args,
        } => format!(
            "{{\"name\":{},\"cat\":{},\"ph\":\"i\",\"s\":\"t\",\"ts\":{},\"pid\":{pid},\"tid\":{tid},\"args\":{}}}",
            quoted(name),
            quoted(category),
            micros(ts_ns),
            args_json(args)
        ),
        TraceEvent::LinkFrom {
            pid,
            tid,
            id,
            ts_ns,
        } => format!(
            "{{\"name\":\"call\",\"cat\":\"link\",\"ph\":\"s\",\"id\":{id},\"ts\":{},\"pid\":{pid},\"tid\":{tid}}}",
            micros(ts_ns)
        ),
        TraceEvent::LinkTo {
            pid,
            tid,
            id,
            ts_ns,
        } => format!(
            "{{\"name\":\"call\",\"cat\":\"link\",\"ph\":\"f\",\"bp\":\"e\",\"id\":{id},\"ts\":{},\"pid\":{pid},\"tid\":{tid}}}",
            micros(ts_ns)
        ),
    }
}

#[derive(Serialize)]
struct OtherData<'a> {
    analyzer: &'a AnalyzerVersion,
    #[serde(flatten)]
    summary: &'a TraceSummary,
}

/// Writes the trace of the run in `dir` to `path` as it reads the logs; returns what it holds.
pub fn write(dir: &Path, path: &Path, window: TraceWindow) -> Result<TraceSummary, Error> {
    let write_error = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    // A directory without logs fails before any file is made.
    discover(dir)?;
    let file = File::create(path).map_err(write_error)?;
    let mut out = BufWriter::new(file);
    out.write_all(b"{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n")
        .map_err(write_error)?;
    let mut first = true;
    let summary = stream_trace(dir, window, |event| {
        if !first {
            out.write_all(b",\n").map_err(write_error)?;
        }
        first = false;
        out.write_all(event_json(event).as_bytes())
            .map_err(write_error)
    })?;
    let other = serde_json::to_string(&OtherData {
        analyzer: &AnalyzerVersion::CURRENT,
        summary: &summary,
    })
    .map_err(|error| write_error(std::io::Error::other(error)))?;
    out.write_all(format!("\n],\n\"otherData\":{other}}}\n").as_bytes())
        .map_err(write_error)?;
    out.flush().map_err(write_error)?;
    Ok(summary)
}

/// The default output: `trace.json` in the log directory.
pub fn default_path(dir: &Path) -> PathBuf {
    dir.join(TRACE_FILE)
}

/// One line for the console: what was written and what the window left out.
pub fn describe(path: &Path, summary: &TraceSummary) -> String {
    let mut text = format!(
        "trace: {} ({} calls, {} instants on {} threads, {} links to other threads)",
        path.display(),
        summary.calls,
        summary.instants,
        summary.threads,
        summary.flows
    );
    let window = &summary.window;
    if window.from_s.is_some() || window.to_s.is_some() {
        let bound = |value: Option<f64>, open: &str| {
            value.map_or(open.to_string(), |seconds| format!("{seconds}s"))
        };
        text.push_str(&format!(
            "; window {} to {} ({} left out)",
            bound(window.from_s, "start"),
            bound(window.to_s, "end"),
            summary.outside_window
        ));
    }
    if summary.stopped_at_max_events {
        text.push_str(&format!(
            "; stopped at --max-events {} (at {:.3}s)",
            window.max_events.unwrap_or(0),
            summary.last_s.unwrap_or(0.0)
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microseconds_keep_the_nanoseconds() {
        assert_eq!(micros(1_234_567), "1234.567");
        assert_eq!(micros(7), "0.007");
        assert_eq!(micros(0), "0.000");
        assert_eq!(micros(-1_500), "-1.500");
    }

    #[test]
    fn events_as_json() {
        let args = CallArgs {
            component: "ppo",
            details: "a=\"1\", b=2",
            call_id: Some(5),
            parent_id: None,
            status: "ok",
        };
        assert_eq!(
            event_json(&TraceEvent::Span {
                pid: 9,
                tid: 2,
                name: "step",
                category: "env",
                ts_ns: 1_000_001,
                dur_ns: 250,
                args
            }),
            "{\"name\":\"step\",\"cat\":\"env\",\"ph\":\"X\",\"ts\":1000.001,\"dur\":0.250,\"pid\":9,\"tid\":2,\"args\":{\"component\":\"ppo\",\"details\":\"a=\\\"1\\\", b=2\",\"call_id\":5,\"parent_id\":null,\"status\":\"ok\"}}"
        );
        let legacy = CallArgs {
            call_id: None,
            ..args
        };
        assert_eq!(
            args_json(&legacy),
            "{\"component\":\"ppo\",\"details\":\"a=\\\"1\\\", b=2\",\"status\":\"ok\"}"
        );
    }
}
