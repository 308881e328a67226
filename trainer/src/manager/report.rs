//! What the run prints at the end: the training summary, and where the time went according to
//! our own timing data.

use super::{StopReason, TrainingOutcome};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;
use timed_runtime::OperationStats;

fn or_dash(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.decimals$}"))
}

/// The training summary block.
pub fn training_summary(outcome: &TrainingOutcome) -> String {
    let total = &outcome.counters;
    let run = &outcome.run;
    let per_second = |steps: u64, seconds: f64| {
        if seconds > 0.0 {
            steps as f64 / seconds
        } else {
            0.0
        }
    };
    let mut out = String::new();
    let _ = writeln!(out, "=== Training summary ===");
    let _ = writeln!(
        out,
        "stopped:          {}",
        match outcome.reason {
            StopReason::BudgetSpent => "budget spent",
            StopReason::Interrupted => "interrupted",
        }
    );
    let _ = writeln!(
        out,
        "training time:    {:.1} s ({:.1} s in this run)",
        total.training_seconds, run.training_seconds
    );
    let _ = writeln!(
        out,
        "updates:          {} ({} in this run)",
        total.updates, run.updates
    );
    let _ = writeln!(
        out,
        "env steps:        {} ({} in this run, {:.0} steps/s)",
        total.env_steps,
        run.env_steps,
        per_second(run.env_steps, run.training_seconds)
    );
    let _ = writeln!(
        out,
        "episodes:         {} ({} in this run)",
        total.episodes, run.episodes
    );
    let m = outcome.last_metrics.as_ref();
    let _ = writeln!(
        out,
        "training scores:  best {}, mean of the last 100 episodes {}, of the last 1000 {}",
        or_dash(m.and_then(|m| m.best_score), 0),
        or_dash(m.and_then(|m| m.score_avg_100), 1),
        or_dash(m.and_then(|m| m.score_avg_1000), 1)
    );
    let _ = writeln!(
        out,
        "best tile:        {}",
        m.and_then(|m| m.best_tile)
            .map_or_else(|| "-".to_string(), |t| t.to_string())
    );
    let _ = writeln!(
        out,
        "final checkpoint: {}",
        outcome.final_checkpoint.display()
    );
    out
}

/// One operation's share of the run, merged over its sites.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeShare {
    pub component: &'static str,
    pub name: &'static str,
    pub phase: &'static str,
    pub calls: u64,
    pub total: Duration,
    pub self_time: Duration,
}

/// The operations that were called, by self time, largest first.
pub fn time_shares(stats: &[OperationStats]) -> Vec<TimeShare> {
    let mut merged: BTreeMap<(&'static str, &'static str), TimeShare> = BTreeMap::new();
    for s in stats.iter().filter(|s| s.count > 0) {
        let site = s.site;
        let share = merged
            .entry((site.component(), site.name()))
            .or_insert_with(|| TimeShare {
                component: site.component(),
                name: site.name(),
                phase: site.phase(),
                calls: 0,
                total: Duration::ZERO,
                self_time: Duration::ZERO,
            });
        share.calls += s.count;
        share.total += s.total;
        share.self_time += s.self_time;
    }
    let mut shares: Vec<TimeShare> = merged.into_values().collect();
    shares.sort_by(|a, b| b.self_time.cmp(&a.self_time).then(a.name.cmp(b.name)));
    shares
}

/// The "where the time went" table. Shares are of self time: each thread's timed time is
/// counted once, in the innermost operation running, so they add up to 100% even though calls
/// nest and run on several threads at once. Totals (self plus timed children) are shown beside.
pub fn format_time_shares(shares: &[TimeShare], wall: Duration) -> String {
    let mut out = String::new();
    let busy: Duration = shares.iter().map(|s| s.self_time).sum();
    let _ = writeln!(
        out,
        "=== Where the time went (from our #[timed] data) ===\n\
         {:.1} s of timed thread time in {:.1} s of wall time ({:.2} threads busy on average)",
        busy.as_secs_f64(),
        wall.as_secs_f64(),
        if wall.is_zero() {
            0.0
        } else {
            busy.as_secs_f64() / wall.as_secs_f64()
        }
    );
    if shares.is_empty() {
        let _ = writeln!(out, "no timed calls were recorded (timing mode off)");
        return out;
    }
    let _ = writeln!(
        out,
        "{:<18} {:<24} {:<14} {:>9} {:>12} {:>10} {:>10} {:>7}",
        "component", "operation", "phase", "calls", "mean", "total s", "self s", "share"
    );
    for s in shares {
        let mean = s.total / u32::try_from(s.calls.max(1)).unwrap_or(u32::MAX);
        let share = if busy.is_zero() {
            0.0
        } else {
            100.0 * s.self_time.as_secs_f64() / busy.as_secs_f64()
        };
        let _ = writeln!(
            out,
            "{:<18} {:<24} {:<14} {:>9} {:>12} {:>10.3} {:>10.3} {:>6.1}%",
            s.component,
            s.name,
            s.phase,
            s.calls,
            format!("{mean:.1?}"),
            s.total.as_secs_f64(),
            s.self_time.as_secs_f64(),
            share
        );
    }
    out
}
