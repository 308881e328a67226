//! How components and threads work together: coordinating operations against the components
//! they reach, the time a thread waits for its workers, and uneven load across threads.

use serde::Serialize;

use super::components::ThreadShare;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ThreadBusy {
    pub thread: u32,
    pub name: Option<String>,
    pub busy_ms: f64,
    pub calls: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChildTotal {
    pub component: String,
    pub operation: String,
    pub count: u64,
    pub total_ms: f64,
}

/// How a coordinating operation's time splits against another component it calls into,
/// directly or through intermediate calls, on any thread (figures over the analysed calls).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CoordinationLink {
    pub parent_component: String,
    pub parent_operation: String,
    pub parent_phase: String,
    pub child_component: String,
    /// Coordinating calls analysed (calls with a descendant in `child_component`).
    pub calls: u64,
    /// Calls of the parent operation in the whole run (with or without such descendants).
    pub operation_calls: u64,
    /// The threads the coordinating calls ran on: their number of calls, and the time the
    /// other component's descendants ran on them.
    pub coordinator_threads: Vec<ThreadBusy>,
    /// Duration of the analysed calls.
    pub parent_total_ms: f64,
    /// The part of that duration the sample covers (all of it unless calls cross blocks).
    pub analysed_ms: f64,
    /// At least one descendant in `child_component` ran (on any thread).
    pub inside_ms: f64,
    /// None ran.
    pub overhead_ms: f64,
    /// The coordinator's own thread was blocked on descendants on other threads.
    pub waiting_ms: f64,
    /// Per call, the busiest worker thread minus the workers' mean, summed.
    pub imbalance_ms: f64,
    pub inside_fraction: f64,
    pub overhead_fraction: f64,
    pub waiting_fraction: f64,
    pub imbalance_fraction: f64,
    /// Busy time of every thread other than the coordinator's running its descendants in
    /// `child_component` (`calls`: coordinating calls it worked in).
    pub worker_threads: Vec<ThreadBusy>,
    /// The descendant operations with the most time (nested ones count in each).
    pub top_descendants: Vec<ChildTotal>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CrossComponentReport {
    pub available: bool,
    pub note: String,
    /// Fraction of time blocks in the bounded call-graph sample.
    pub sampled_fraction: f64,
    /// Length of a sampling block.
    pub block_ms: f64,
    pub calls_in_sample: u64,
    pub links: Vec<CoordinationLink>,
    /// Calls whose parent id matches no logged call.
    pub children_without_parent: u64,
}

/// An operation whose calls have children on other threads: how long its thread waits.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OperationWaiting {
    pub component: String,
    pub operation: String,
    pub phase: String,
    /// Calls with children on other threads (in the sample).
    pub calls: u64,
    /// Waiting over all calls (estimated from the sample when it is one).
    pub waiting_ms: f64,
    /// Per call, the busiest worker thread minus the workers' mean, summed (estimated).
    pub imbalance_ms: f64,
    /// The operation's time the sample covers, over its total time.
    pub analysed_fraction: f64,
    /// Busy time of each worker thread running the calls' descendants (estimated).
    pub worker_threads: Vec<ThreadBusy>,
    /// The children that run on other threads.
    pub worker_operations: Vec<ChildTotal>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ThreadImbalance {
    pub component: String,
    pub operation: String,
    pub phase: String,
    pub threads: Vec<ThreadShare>,
    pub max_over_mean: f64,
    pub share: f64,
}
