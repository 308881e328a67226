//! What a trace is made of, whatever file format writes it: the process and its threads,
//! each call as a span, the original's events as instants, and the links from a call to its
//! children on other threads. Times are nanoseconds on the trace's clock.

use serde::Serialize;
use std::path::PathBuf;

/// What a call's span carries besides its name.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CallArgs<'a> {
    pub component: &'a str,
    pub details: &'a str,
    /// `None` where the log has no call ids (the original's format).
    pub call_id: Option<u64>,
    pub parent_id: Option<u64>,
    pub status: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TraceEvent<'a> {
    ProcessName {
        pid: u64,
        name: &'a str,
    },
    ThreadName {
        pid: u64,
        tid: u64,
        name: &'a str,
    },
    /// A call: from `ts_ns` for `dur_ns`. `category` is its phase.
    Span {
        pid: u64,
        tid: u64,
        name: &'a str,
        category: &'a str,
        ts_ns: i64,
        dur_ns: u64,
        args: CallArgs<'a>,
    },
    /// A point in time (the original's `EVENT_x` rows).
    Instant {
        pid: u64,
        tid: u64,
        name: &'a str,
        category: &'a str,
        ts_ns: i64,
        args: CallArgs<'a>,
    },
    /// Where a link leaves the parent (inside its span, on its thread).
    LinkFrom {
        pid: u64,
        tid: u64,
        id: u64,
        ts_ns: i64,
    },
    /// Where it arrives: the child's start on its thread.
    LinkTo {
        pid: u64,
        tid: u64,
        id: u64,
        ts_ns: i64,
    },
}

/// The part of the run a trace holds, as asked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct TraceWindow {
    /// Seconds on the trace's clock: calls that end before it are left out.
    pub from_s: Option<f64>,
    /// Calls that start at or after it are left out.
    pub to_s: Option<f64>,
    /// Calls and instants written at most.
    pub max_events: Option<u64>,
}

impl TraceWindow {
    /// Whether a call from `start_ns` to `end_ns` overlaps the window (an instant: lies in it).
    pub fn holds(&self, start_ns: i64, end_ns: i64) -> bool {
        let after_from = self.from_s.is_none_or(|from| {
            let from = from * 1e9;
            end_ns as f64 > from || (end_ns == start_ns && start_ns as f64 >= from)
        });
        let before_to = self.to_s.is_none_or(|to| (start_ns as f64) < to * 1e9);
        after_from && before_to
    }

    pub fn is_whole_run(&self) -> bool {
        self.from_s.is_none() && self.to_s.is_none() && self.max_events.is_none()
    }
}

/// What a trace holds and left out: written into the trace beside its events.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceSummary {
    pub log_dir: PathBuf,
    pub files: Vec<PathBuf>,
    /// What `ts` counts from.
    pub clock: String,
    pub pid: u64,
    pub window: TraceWindow,
    pub calls: u64,
    pub instants: u64,
    /// Links from a parent to a child on another thread.
    pub flows: u64,
    pub threads: u64,
    pub rows_read: u64,
    /// Calls and instants outside `--from`/`--to`.
    pub outside_window: u64,
    /// Reading stopped at `--max-events`: the rest of the logs is not in the trace.
    pub stopped_at_max_events: bool,
    /// Lines of the logs that are not rows.
    pub problems: u64,
    /// Children written whose parent was not (outside the window, or never logged), or whose
    /// link was dropped to bound memory.
    pub unlinked_children: u64,
    /// Seconds on the trace's clock of the first start and the last end written.
    pub first_s: Option<f64>,
    pub last_s: Option<f64>,
}
