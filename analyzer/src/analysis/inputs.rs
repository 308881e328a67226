//! What was read: per-file reports with their problems, and the JSON summaries matched to the
//! components of the logs and checked against them.

use std::collections::BTreeMap;

use crate::ingest::dataset::Dataset;
use crate::ingest::discover::stem;
use crate::ingest::summary_json::SummaryFile;
use crate::report::{FileReport, SummaryCheck, SummaryReport};

pub fn file_reports(dataset: &Dataset) -> Vec<FileReport> {
    dataset
        .files
        .iter()
        .map(|file| FileReport {
            path: file.path.clone(),
            stem: file.stem.clone(),
            format: file.format,
            bytes: file.bytes,
            lines: file.lines,
            rows: file.rows,
            header_lines: file.header_lines,
            problems_total: file.problems.total(),
            problem_counts: file
                .problems
                .counts()
                .iter()
                .map(|(kind, &count)| (kind.label().to_string(), count))
                .collect(),
            first_problems: file.problems.examples().to_vec(),
            components: file.components.clone(),
            nesting: file.nesting,
        })
        .collect()
}

/// The component a summary describes: the one it names, else the log component with the
/// same stem, else the only log component that starts with its stem (`ppo` ->
/// `ppo_training`).
pub fn matched_component(summary: &SummaryFile, components: &[String]) -> Option<String> {
    if let Some(named) = &summary.component
        && components.contains(named)
    {
        return Some(named.clone());
    }
    let stem = stem(&summary.path);
    if components.contains(&stem) {
        return Some(stem);
    }
    let mut prefixed = components
        .iter()
        .filter(|component| component.starts_with(&stem));
    match (prefixed.next(), prefixed.next()) {
        (Some(only), None) => Some(only.clone()),
        _ => None,
    }
}

/// Summaries by the component they were matched to.
pub fn summaries_by_component<'a>(
    dataset: &'a Dataset,
    components: &[String],
) -> BTreeMap<String, Vec<&'a SummaryFile>> {
    let mut index: BTreeMap<String, Vec<&SummaryFile>> = BTreeMap::new();
    for summary in &dataset.summaries {
        if let Some(component) = matched_component(summary, components) {
            index.entry(component).or_default().push(summary);
        }
    }
    index
}

pub fn summary_reports(dataset: &Dataset, components: &[String]) -> Vec<SummaryReport> {
    dataset
        .summaries
        .iter()
        .map(|summary| {
            let matched = matched_component(summary, components);
            let checks = matched
                .as_deref()
                .map(|component| cross_check(dataset, summary, component))
                .unwrap_or_else(|| {
                    vec![SummaryCheck::NoMatchingComponent {
                        stem: stem(&summary.path),
                    }]
                });
            SummaryReport {
                path: summary.path.clone(),
                shape: summary.shape,
                component: summary.component.clone(),
                matched_component: matched,
                operations: summary.operations.len(),
                rows_written: summary.rows_written,
                rows_lost: summary.rows_lost,
                write_errors: summary.write_errors,
                checks,
                problems_total: summary.problems.total(),
                first_problems: summary.problems.examples().to_vec(),
            }
        })
        .collect()
}

/// Compares what the summary says was written with what the logs hold.
fn cross_check(dataset: &Dataset, summary: &SummaryFile, component: &str) -> Vec<SummaryCheck> {
    let mut checks = Vec::new();
    let logged: u64 = dataset
        .table
        .keys
        .iter()
        .zip(&dataset.table.ops)
        .filter(|(key, _)| key.component == component)
        .map(|(_, op)| op.count)
        .sum();
    if let Some(written) = summary.rows_written {
        checks.push(if written > logged {
            SummaryCheck::RowsMissing {
                written,
                logged,
                component: component.to_string(),
            }
        } else {
            SummaryCheck::RowsAccountedFor { written, logged }
        });
    }
    if let Some(errors @ 1..) = summary.write_errors {
        checks.push(SummaryCheck::WriteErrors(errors));
    }
    if let Some(lost @ 1..) = summary.rows_lost {
        checks.push(SummaryCheck::RowsLost(lost));
    }
    checks
}
