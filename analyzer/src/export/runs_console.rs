//! `analyzer runs` on the console: one line per run, then the settings that differ.

use std::fmt::Write as _;

use crate::runs::settings::display;
use crate::runs::{LATEST, RunListing, RunSummary};
use crate::units::format_ns;

const RULE: &str =
    "================================================================================";

/// The id, marked when it is the latest run (unless the id says so already).
fn label(run: &RunSummary) -> String {
    if run.latest && run.id != LATEST {
        format!("{} ({LATEST})", run.id)
    } else {
        run.id.clone()
    }
}

pub fn render(listing: &RunListing) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{RULE}");
    let _ = writeln!(out, "RUNS IN {}", listing.logs.display());
    let _ = writeln!(out, "{RULE}");
    if listing.runs.is_empty() {
        let _ = writeln!(
            out,
            "  none: no run.json or *_timing.log here or under runs/"
        );
        return out;
    }
    let id_width = listing
        .runs
        .iter()
        .map(|run| label(run).len())
        .max()
        .unwrap_or(0)
        .max(2);
    let _ = writeln!(
        out,
        "  {:<id_width$}  {:<27}  {:>18}  {:>10}  components",
        "id", "start", "duration", "rows"
    );
    for run in &listing.runs {
        let id = label(run);
        let duration = match (run.duration_s, run.unfinished) {
            (Some(seconds), _) => format_ns(seconds * 1e9),
            (None, true) => "running or killed".to_string(),
            (None, false) => "-".to_string(),
        };
        let _ = writeln!(
            out,
            "  {id:<id_width$}  {:<27}  {duration:>18}  {:>10}  {}",
            run.started_at.as_deref().unwrap_or("-"),
            run.rows,
            run.components.join(", ")
        );
        if let Some(problem) = &run.problem {
            let _ = writeln!(out, "  {:<id_width$}  ! {problem}", "");
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "SETTINGS THAT DIFFER:");
    if listing.runs.len() < 2 {
        let _ = writeln!(out, "  one run: nothing to compare");
    } else if listing.differing_settings.is_empty() {
        let _ = writeln!(out, "  none: every run has the same settings");
    }
    for run in listing
        .runs
        .iter()
        .filter(|_| !listing.differing_settings.is_empty())
    {
        let values: Vec<String> = listing
            .differing_settings
            .iter()
            .map(|key| format!("{key}={}", display(run.settings.get(key))))
            .collect();
        let _ = writeln!(out, "  {:<id_width$}  {}", run.id, values.join("  "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(id: &str, latest: bool, lr: f64) -> RunSummary {
        RunSummary {
            id: id.to_string(),
            dir: id.into(),
            latest,
            started_at: Some("2026-12-01T00:00:00Z".into()),
            duration_s: (!latest).then_some(61.5),
            unfinished: latest,
            rows: 1200,
            components: vec!["ppo_trainer".into(), "training_manager".into()],
            settings: [("settings.lr".to_string(), json!(lr))].into(),
            problem: None,
        }
    }

    #[test]
    fn one_line_per_run_then_what_differs() {
        let listing = RunListing {
            logs: "logs".into(),
            runs: vec![
                run("20261201T000000Z", false, 0.001),
                run("20261202T000000Z", true, 0.0003),
            ],
            differing_settings: vec!["settings.lr".into()],
        };
        assert_eq!(
            render(&listing),
            format!(
                "{RULE}\nRUNS IN logs\n{RULE}\n\
                 \x20 id                         start                                  duration        rows  components\n\
                 \x20 20261201T000000Z           2026-12-01T00:00:00Z                     61.50s        1200  ppo_trainer, training_manager\n\
                 \x20 20261202T000000Z (latest)  2026-12-01T00:00:00Z          running or killed        1200  ppo_trainer, training_manager\n\
                 \n\
                 SETTINGS THAT DIFFER:\n\
                 \x20 20261201T000000Z           settings.lr=0.001\n\
                 \x20 20261202T000000Z           settings.lr=0.0003\n"
            )
        );
    }
}
