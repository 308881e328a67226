//! Progress while training: a bar on a terminal, otherwise (a pipe, a CI log) a status line
//! every few seconds.

use super::metrics::IterationMetrics;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Resolution of the bar: progress is shown in thousandths.
const BAR_STEPS: u64 = 1000;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ProgressMode {
    Bar,
    Lines { every: Duration },
}

impl ProgressMode {
    /// The bar when stdout is a terminal, else a line every `every`.
    pub fn for_stdout(every: Duration) -> Self {
        if std::io::stdout().is_terminal() {
            ProgressMode::Bar
        } else {
            ProgressMode::Lines { every }
        }
    }
}

pub struct ProgressDisplay {
    mode: ProgressMode,
    bar: Option<ProgressBar>,
    last_line: Option<Instant>,
    unprinted: Option<String>,
}

impl ProgressDisplay {
    pub fn new(mode: ProgressMode) -> Self {
        let bar = (mode == ProgressMode::Bar).then(|| {
            let bar = ProgressBar::with_draw_target(Some(BAR_STEPS), ProgressDrawTarget::stdout());
            let style = ProgressStyle::with_template(
                "[{elapsed_precise}] {bar:30.cyan/blue} {percent:>3}% {msg}",
            )
            .expect("the template is valid")
            .progress_chars("=> ");
            bar.set_style(style);
            bar
        });
        ProgressDisplay {
            mode,
            bar,
            last_line: None,
            unprinted: None,
        }
    }

    pub fn update(&mut self, progress: f64, metrics: &IterationMetrics) {
        match self.mode {
            ProgressMode::Bar => {
                if let Some(bar) = &self.bar {
                    bar.set_position((progress.clamp(0.0, 1.0) * BAR_STEPS as f64) as u64);
                    bar.set_message(bar_message(metrics));
                }
            }
            ProgressMode::Lines { every } => {
                let line = status_line(progress, metrics);
                if self.last_line.is_none_or(|t| t.elapsed() >= every) {
                    println!("{line}");
                    self.last_line = Some(Instant::now());
                    self.unprinted = None;
                } else {
                    self.unprinted = Some(line);
                }
            }
        }
    }

    /// Leaves the final state on screen: the bar as it ended, or the last status line.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.abandon();
        }
        if let Some(line) = self.unprinted.take() {
            println!("{line}");
        }
    }
}

impl Drop for ProgressDisplay {
    fn drop(&mut self) {
        self.finish();
    }
}

fn or_dash<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_string(), |v| v.to_string())
}

fn bar_message(m: &IterationMetrics) -> String {
    format!(
        "update {} | {:.0} steps/s | avg100 {} | best tile {}",
        m.iteration,
        m.steps_per_s,
        or_dash(m.score_avg_100.map(|s| format!("{s:.0}"))),
        or_dash(m.best_tile)
    )
}

/// One status line, e.g. `[  12.3s  41%] update 40 | 327680 steps, 48123 steps/s | score
/// avg100 1234.5 best 4321 | best tile 512 | lr 1.48e-4 kl 0.0123 ent 1.234`.
pub fn status_line(progress: f64, m: &IterationMetrics) -> String {
    format!(
        "[{:7.1}s {:3.0}%] update {} | {} steps, {:.0} steps/s | score avg100 {} best {} | best \
         tile {} | lr {:.2e} kl {:.4} ent {:.3}",
        m.elapsed_s,
        100.0 * progress.clamp(0.0, 1.0),
        m.iteration,
        m.env_steps,
        m.steps_per_s,
        or_dash(m.score_avg_100.map(|s| format!("{s:.1}"))),
        or_dash(m.best_score.map(|s| format!("{s:.0}"))),
        or_dash(m.best_tile),
        m.learning_rate,
        m.approx_kl,
        m.entropy
    )
}
