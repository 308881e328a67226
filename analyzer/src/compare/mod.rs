//! `analyzer compare`: did a change make a run slower? Per operation, the ratio of the
//! medians with a block-bootstrap interval, a corrected rank test and a verdict; the settings
//! that changed and the run-level figures first.

pub mod bootstrap;
pub mod build;
pub mod fdr;
pub mod mann_whitney;
pub mod model;
pub mod run_data;

pub use build::{CompareOptions, compare};
pub use model::{Comparison, OperationComparison, RunFigure, RunSide, Verdict, VerdictCounts};
pub use run_data::{RunData, read_run};
