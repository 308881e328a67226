//! The input itself: skipped lines in a log, and summaries that disagree with the logs.

use super::common::RuleInputs;
use crate::report::{Evidence, Recommendation, RecommendationKind, Severity};

pub fn rules(inputs: &RuleInputs, out: &mut Vec<Recommendation>) {
    for file in inputs.files.iter().filter(|file| file.problems_total > 0) {
        let kinds: Vec<String> = file
            .problem_counts
            .iter()
            .map(|(kind, count)| format!("{count} {kind}"))
            .collect();
        let first = file
            .first_problems
            .first()
            .map(|problem| problem.line)
            .unwrap_or(0);
        out.push(Recommendation {
            priority: Severity::Low,
            component: file
                .components
                .first()
                .cloned()
                .unwrap_or_else(|| file.stem.clone()),
            operation: None,
            kind: RecommendationKind::InputProblems,
            recommendation: format!(
                "{}: {} input problems were skipped ({}); the first at line {first}. Every good row was used; check how the log was written or cut.",
                file.path.display(),
                file.problems_total,
                kinds.join(", ")
            ),
            impact: "statistics exclude the skipped lines".to_string(),
            estimated_saving_ms: None,
            evidence: Evidence::InputProblems {
                problem_counts: file.problem_counts.clone(),
                first_problems: file.first_problems.clone(),
            },
        });
    }
    for summary in inputs.summaries {
        let mut parts: Vec<String> = summary
            .checks
            .iter()
            .filter(|check| check.is_problem())
            .map(|check| check.to_string())
            .collect();
        if parts.is_empty() && summary.problems_total == 0 {
            continue;
        }
        if summary.problems_total > 0 {
            parts.push(format!("{} unrecognised entries", summary.problems_total));
        }
        let incomplete =
            summary.write_errors.unwrap_or(0) > 0 || summary.rows_lost.unwrap_or(0) > 0;
        out.push(Recommendation {
            priority: if incomplete {
                Severity::Medium
            } else {
                Severity::Low
            },
            component: summary.matched_component.clone().unwrap_or_default(),
            operation: None,
            kind: RecommendationKind::SummaryCheck,
            recommendation: format!("{}: {}.", summary.path.display(), parts.join("; ")),
            impact: "the logs may not hold every call".to_string(),
            estimated_saving_ms: None,
            evidence: Evidence::Summary(summary.clone()),
        });
    }
}
