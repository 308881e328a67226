//! The training loop: rollout, update, with the learning rate annealed linearly to 0 over a
//! budget of updates or of wall time (the JAX anchor anneals in wall time).

use super::environment::VecEnvironment;
use super::stats::{RolloutStats, UpdateStats};
use super::trainer::Trainer;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Budget {
    Updates(u64),
    WallTime(Duration),
}

/// What one iteration did, handed to the caller's callback.
#[derive(Clone, Copy, Debug)]
pub struct IterationReport {
    pub iteration: u64,
    pub elapsed: Duration,
    /// Fraction of the budget used after this iteration, in [0, 1].
    pub progress: f64,
    pub rollout: RolloutStats,
    pub update: UpdateStats,
}

/// `initial * (1 - progress)`, clamped at 0.
pub fn linear_learning_rate(initial: f64, progress: f64) -> f64 {
    initial * (1.0 - progress.clamp(0.0, 1.0))
}

fn progress(budget: Budget, iterations: u64, elapsed: Duration) -> f64 {
    match budget {
        Budget::Updates(total) => iterations as f64 / total.max(1) as f64,
        Budget::WallTime(total) => {
            elapsed.as_secs_f64() / total.as_secs_f64().max(f64::MIN_POSITIVE)
        }
    }
}

/// Runs iterations until the budget is spent or `on_iteration` returns false. The learning rate
/// of each update is annealed from the configured one by the progress at the iteration's start.
pub fn train<E: VecEnvironment>(
    trainer: &mut Trainer<E>,
    budget: Budget,
    mut on_iteration: impl FnMut(&Trainer<E>, &IterationReport) -> bool,
) {
    let start = Instant::now();
    let initial = trainer.config().learning_rate;
    let mut iteration = 0;
    loop {
        let before = progress(budget, iteration, start.elapsed());
        if before >= 1.0 {
            break;
        }
        let rollout = trainer.collect_rollout();
        let update = trainer.update(linear_learning_rate(initial, before));
        iteration += 1;
        let elapsed = start.elapsed();
        let report = IterationReport {
            iteration,
            elapsed,
            progress: progress(budget, iteration, elapsed).min(1.0),
            rollout,
            update,
        };
        if !on_iteration(trainer, &report) {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learning_rate_falls_linearly_to_zero_and_stays_there() {
        assert_eq!(linear_learning_rate(1e-3, 0.0), 1e-3);
        assert_eq!(linear_learning_rate(1e-3, 0.25), 7.5e-4);
        assert_eq!(linear_learning_rate(1e-3, 1.0), 0.0);
        assert_eq!(linear_learning_rate(1e-3, 1.5), 0.0);
    }

    #[test]
    fn progress_counts_updates_or_wall_time() {
        assert_eq!(progress(Budget::Updates(8), 2, Duration::ZERO), 0.25);
        assert_eq!(
            progress(
                Budget::WallTime(Duration::from_secs(10)),
                99,
                Duration::from_secs(5)
            ),
            0.5
        );
    }
}
