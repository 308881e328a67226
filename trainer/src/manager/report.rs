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
    pub component: String,
    pub name: String,
    pub phase: String,
    pub calls: u64,
    pub total: Duration,
    /// Duration minus the timed children on the call's own thread.
    pub self_time: Duration,
    /// The part of self time the thread spent blocked on timed work it handed to other
    /// threads; known only from the full logs' call graph (the analyzer computes it).
    pub waiting: Option<Duration>,
}

impl TimeShare {
    /// The time the operation's own code ran: self time without the waiting.
    pub fn own_work(&self) -> Duration {
        self.self_time
            .saturating_sub(self.waiting.unwrap_or(Duration::ZERO))
    }
}

/// The operations that were called, from the live session's statistics, by self time, largest
/// first. Waiting is unknown here: a thread blocked on its pool counts as busy.
pub fn time_shares(stats: &[OperationStats]) -> Vec<TimeShare> {
    let mut merged: BTreeMap<(&'static str, &'static str), TimeShare> = BTreeMap::new();
    for s in stats.iter().filter(|s| s.count > 0) {
        let site = s.site;
        let share = merged
            .entry((site.component(), site.name()))
            .or_insert_with(|| TimeShare {
                component: site.component().to_string(),
                name: site.name().to_string(),
                phase: site.phase().to_string(),
                calls: 0,
                total: Duration::ZERO,
                self_time: Duration::ZERO,
                waiting: None,
            });
        share.calls += s.count;
        share.total += s.total;
        share.self_time += s.self_time;
    }
    sorted_by_own_work(merged.into_values().collect())
}

/// The operations of an analysis of the full logs, by own work, largest first: the analyzer
/// knows from the call graph how long a coordinating call waited for its worker threads.
pub fn time_shares_from_analysis(analysis: &analyzer::Report) -> Vec<TimeShare> {
    let from_ms = |ms: f64| Duration::from_secs_f64(ms.max(0.0) / 1000.0);
    let shares = analysis
        .components
        .iter()
        .flat_map(|component| &component.operations)
        .filter(|op| op.stats.count > 0)
        .map(|op| TimeShare {
            component: op.component.clone(),
            name: op.operation.clone(),
            phase: op.phase.clone(),
            calls: op.stats.count,
            total: from_ms(op.stats.total_ms),
            self_time: from_ms(op.self_ms.unwrap_or(op.stats.total_ms)),
            waiting: Some(from_ms(op.waiting_ms.unwrap_or(0.0))),
        })
        .collect();
    sorted_by_own_work(shares)
}

fn sorted_by_own_work(mut shares: Vec<TimeShare>) -> Vec<TimeShare> {
    shares.sort_by(|a, b| b.own_work().cmp(&a.own_work()).then(a.name.cmp(&b.name)));
    shares
}

/// The "where the time went" table. Shares are of own work: each thread's timed time is
/// counted once, in the innermost operation running, and time a thread spends blocked on its
/// pool is not work, so the shares add up to 100% even though calls nest and run on several
/// threads at once. Totals (with timed children) and waiting are shown beside.
pub fn format_time_shares(shares: &[TimeShare], wall: Duration) -> String {
    let mut out = String::new();
    let busy: Duration = shares.iter().map(TimeShare::own_work).sum();
    let waiting: Option<Duration> = if shares.is_empty() {
        None
    } else {
        shares.iter().map(|s| s.waiting).sum()
    };
    let threads_busy = if wall.is_zero() {
        0.0
    } else {
        busy.as_secs_f64() / wall.as_secs_f64()
    };
    let _ = writeln!(out, "=== Where the time went (from our #[timed] data) ===");
    match waiting {
        Some(waiting) => {
            let _ = writeln!(
                out,
                "{:.1} s of work on timed threads in {:.1} s of wall time ({threads_busy:.2} \
                 threads busy on average), and {:.1} s of threads waiting for their workers",
                busy.as_secs_f64(),
                wall.as_secs_f64(),
                waiting.as_secs_f64()
            );
        }
        None => {
            let _ = writeln!(
                out,
                "{:.1} s of timed thread time in {:.1} s of wall time ({threads_busy:.2} threads \
                 busy on average; a thread waiting for its workers counts as busy)",
                busy.as_secs_f64(),
                wall.as_secs_f64()
            );
        }
    }
    if shares.is_empty() {
        let _ = writeln!(out, "no timed calls were recorded (timing mode off)");
        return out;
    }
    let _ = write!(
        out,
        "{:<18} {:<24} {:<14} {:>9} {:>12} {:>10} {:>10}",
        "component", "operation", "phase", "calls", "mean", "total s", "self s"
    );
    if waiting.is_some() {
        let _ = write!(out, " {:>10} {:>10}", "waiting s", "own s");
    }
    let _ = writeln!(out, " {:>7}", "share");
    for s in shares {
        let mean = s.total / u32::try_from(s.calls.max(1)).unwrap_or(u32::MAX);
        let share = if busy.is_zero() {
            0.0
        } else {
            100.0 * s.own_work().as_secs_f64() / busy.as_secs_f64()
        };
        let _ = write!(
            out,
            "{:<18} {:<24} {:<14} {:>9} {:>12} {:>10.3} {:>10.3}",
            s.component,
            s.name,
            s.phase,
            s.calls,
            format!("{mean:.1?}"),
            s.total.as_secs_f64(),
            s.self_time.as_secs_f64(),
        );
        if waiting.is_some() {
            let _ = write!(
                out,
                " {:>10.3} {:>10.3}",
                s.waiting.unwrap_or(Duration::ZERO).as_secs_f64(),
                s.own_work().as_secs_f64()
            );
        }
        let _ = writeln!(out, " {share:>6.1}%");
    }
    out
}
