//! The call tree by path: every distinct chain of calls from a root (`component;outer;inner`)
//! with its calls, total, self and waiting time. The flame graph, the folded stacks and the
//! call-tree table are renderings of it.

use serde::Serialize;

/// What a path's `value_ns` (its width in the flame graph, its count in the folded stacks)
/// measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PathValue {
    /// Self time: the values add up to the run's self time.
    SelfTime,
    /// Total time, for an operation whose self time is unavailable (a legacy log whose calls
    /// overlap without nesting).
    TotalTime,
}

/// One path of the call tree: the calls of one operation reached through one chain of
/// callers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CallPath {
    /// The root's component, then one frame per call from the root down to this one. A frame
    /// is the operation's name, written `component::operation` where the component differs
    /// from the caller's.
    pub frames: Vec<String>,
    /// The last frame's operation.
    pub component: String,
    pub operation: String,
    pub phase: String,
    pub calls: u64,
    pub total_ms: f64,
    pub self_ms: f64,
    /// Waiting for descendants on other threads (`None` where the log has no parent links).
    pub waiting_ms: Option<f64>,
    /// Nanoseconds: the self time, or the total time where `value` says so.
    pub value_ns: u64,
    pub value: PathValue,
}

impl CallPath {
    /// How deep the path is: 1 for a root call.
    pub fn depth(&self) -> usize {
        self.frames.len().saturating_sub(1)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CallTreeReport {
    /// The fraction of the run's time blocks whose calls the paths were found from (1.0:
    /// every call). Below 1, each operation's calls, total and self time are shared out over
    /// its paths in proportion to the sampled calls: the per-operation sums stay exact.
    pub sampled_fraction: f64,
    /// Operations whose calls are not in the call graph (no parent links, as in the original's
    /// format, or none sampled): each is a path of its own under its component.
    pub operations_without_paths: usize,
    /// The sum of every path's `value_ns`: the run's self time, exactly (with total time
    /// standing in where self time is unavailable).
    pub value_total_ns: u128,
    /// In depth-first order: a path comes right before the paths below it.
    pub paths: Vec<CallPath>,
}
