//! The report: one typed model of everything the analysis found, built once by
//! [`crate::analysis::analyze`] and rendered by each exporter ([`crate::export`]) from the
//! model alone. Its serialized form ([`Report::document`]) is `performance_analysis_report.json`,
//! whose schema README "Report schema" documents.
//!
//! The data flows one way: ingest, analysis, this model, the exporters.

pub mod call_paths;
pub mod charts;
pub mod components;
pub mod coordination;
pub mod document;
pub mod findings;
pub mod inputs;
pub mod recommendation;
pub mod timeline;

pub use call_paths::{CallPath, CallTreeReport, PathValue};
pub use charts::ChartData;
pub use components::{
    ComponentReport, EventReport, OperationReport, PhaseReport, SelfTimeSource, ShareBasis,
    ThreadLoad, ThreadShare,
};
pub use coordination::{
    ChildTotal, CoordinationLink, CrossComponentReport, OperationWaiting, ThreadBusy,
    ThreadImbalance,
};
pub use document::{AnalyzerVersion, Document, Report, StatisticsMethod};
pub use findings::{Bottleneck, Severity};
pub use inputs::{FileReport, SummaryCheck, SummaryReport};
pub use recommendation::{Evidence, OperationFigures, Recommendation, RecommendationKind};
pub use timeline::{Mode, ModeLabel, OperationModes, Trend};
