//! A run as a trace: every call a span on its thread, children on other threads linked to
//! their parent, streamed from the logs in bounded memory for `export::chrome`.

pub mod build;
pub mod events;
pub mod flows;
pub mod process;

pub use build::stream_trace;
pub use events::{CallArgs, TraceEvent, TraceSummary, TraceWindow};
