//! What was read: each log with its problems, each summary with its checks.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::{Serialize, Serializer};

use crate::ingest::dataset::NestingReport;
use crate::ingest::detect::LogFormat;
use crate::ingest::problems::Problem;
use crate::ingest::summary_json::SummaryShape;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FileReport {
    pub path: PathBuf,
    pub stem: String,
    pub format: LogFormat,
    pub bytes: u64,
    pub lines: u64,
    pub rows: u64,
    pub header_lines: u64,
    pub problems_total: u64,
    /// Per problem kind (its label).
    pub problem_counts: BTreeMap<String, u64>,
    pub first_problems: Vec<Problem>,
    pub components: Vec<String>,
    pub nesting: Option<NestingReport>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SummaryReport {
    pub path: PathBuf,
    pub shape: SummaryShape,
    pub component: Option<String>,
    pub matched_component: Option<String>,
    pub operations: usize,
    pub rows_written: Option<u64>,
    pub rows_lost: Option<u64>,
    pub write_errors: Option<u64>,
    pub checks: Vec<SummaryCheck>,
    pub problems_total: u64,
    pub first_problems: Vec<Problem>,
}

/// What comparing a summary with the logs found; serialized as its sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SummaryCheck {
    /// No component of the logs matches the summary.
    NoMatchingComponent {
        stem: String,
    },
    /// The logs hold every row the summary says was written.
    RowsAccountedFor {
        written: u64,
        logged: u64,
    },
    /// The summary says more rows were written than the logs hold.
    RowsMissing {
        written: u64,
        logged: u64,
        component: String,
    },
    WriteErrors(u64),
    RowsLost(u64),
}

impl SummaryCheck {
    /// Whether the check found something wrong with the logs.
    pub fn is_problem(&self) -> bool {
        !matches!(self, SummaryCheck::RowsAccountedFor { .. })
    }
}

impl fmt::Display for SummaryCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SummaryCheck::NoMatchingComponent { stem } => {
                write!(f, "no log component matches this summary (stem {stem:?})")
            }
            SummaryCheck::RowsAccountedFor { written, logged } => write!(
                f,
                "rows written ({written}) match the usable rows in the logs ({logged})"
            ),
            SummaryCheck::RowsMissing {
                written,
                logged,
                component,
            } => write!(
                f,
                "the summary says {written} rows were written but the logs hold {logged} usable rows of {component} ({} missing: torn, malformed or truncated log)",
                written - logged
            ),
            SummaryCheck::WriteErrors(errors) => {
                write!(
                    f,
                    "{errors} write errors while logging: the log is incomplete"
                )
            }
            SummaryCheck::RowsLost(lost) => {
                write!(f, "{lost} rows were lost by the writer (buffer full)")
            }
        }
    }
}

impl Serialize for SummaryCheck {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_serialize_as_their_sentences() {
        let check = SummaryCheck::RowsMissing {
            written: 6,
            logged: 5,
            component: "ppo_trainer".into(),
        };
        assert_eq!(
            serde_json::to_value(&check).unwrap(),
            "the summary says 6 rows were written but the logs hold 5 usable rows of ppo_trainer (1 missing: torn, malformed or truncated log)"
        );
        assert!(check.is_problem());
        let fine = SummaryCheck::RowsAccountedFor {
            written: 5,
            logged: 5,
        };
        assert_eq!(
            fine.to_string(),
            "rows written (5) match the usable rows in the logs (5)"
        );
        assert!(!fine.is_problem());
        assert_eq!(
            SummaryCheck::NoMatchingComponent { stem: "x".into() }.to_string(),
            "no log component matches this summary (stem \"x\")"
        );
    }
}
