//! The training budget and the learning rate annealed linearly to 0 over it. A resumed run
//! continues the schedule where its checkpoint left it.

use crate::checkpoint::{SavedBudget, ScheduleState};
use crate::ppo::Budget;
use crate::ppo::schedule::linear_learning_rate;
use serde::Serialize;
use std::time::Duration;

/// Serialised as the checkpoint stores it ([`ScheduleState`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(into = "ScheduleState")]
pub struct Schedule {
    budget: Budget,
    initial_learning_rate: f64,
    done_updates: u64,
    done_seconds: f64,
}

impl Schedule {
    pub fn new(budget: Budget, initial_learning_rate: f64) -> Self {
        Schedule {
            budget,
            initial_learning_rate,
            done_updates: 0,
            done_seconds: 0.0,
        }
    }

    pub fn from_state(state: &ScheduleState) -> Self {
        Schedule {
            budget: match state.budget {
                SavedBudget::Updates(n) => Budget::Updates(n),
                SavedBudget::Seconds(s) => {
                    Budget::WallTime(Duration::try_from_secs_f64(s).unwrap_or(Duration::ZERO))
                }
            },
            initial_learning_rate: state.initial_learning_rate,
            done_updates: state.done_updates,
            done_seconds: state.done_seconds,
        }
    }

    pub fn state(&self) -> ScheduleState {
        ScheduleState {
            budget: match self.budget {
                Budget::Updates(n) => SavedBudget::Updates(n),
                Budget::WallTime(d) => SavedBudget::Seconds(d.as_secs_f64()),
            },
            initial_learning_rate: self.initial_learning_rate,
            done_updates: self.done_updates,
            done_seconds: self.done_seconds,
        }
    }

    pub fn budget(&self) -> Budget {
        self.budget
    }

    pub fn initial_learning_rate(&self) -> f64 {
        self.initial_learning_rate
    }

    /// The same budget and position with another starting rate (a resume with `--lr`).
    pub fn with_initial_learning_rate(self, initial_learning_rate: f64) -> Self {
        Schedule {
            initial_learning_rate,
            ..self
        }
    }

    /// Share of the budget used, in [0, 1]. An empty budget is used up.
    pub fn progress(&self) -> f64 {
        let fraction = match self.budget {
            Budget::Updates(0) => 1.0,
            Budget::Updates(total) => self.done_updates as f64 / total as f64,
            Budget::WallTime(total) if total.is_zero() => 1.0,
            Budget::WallTime(total) => self.done_seconds / total.as_secs_f64(),
        };
        fraction.clamp(0.0, 1.0)
    }

    pub fn is_finished(&self) -> bool {
        self.progress() >= 1.0
    }

    /// The rate of the next update: `initial * (1 - progress)`.
    pub fn learning_rate(&self) -> f64 {
        linear_learning_rate(self.initial_learning_rate, self.progress())
    }

    /// Counts one update.
    pub fn record_update(&mut self) {
        self.done_updates += 1;
    }

    /// Sets the seconds spent in this budget (wall time, including earlier runs).
    pub fn set_seconds(&mut self, seconds: f64) {
        self.done_seconds = seconds;
    }

    pub fn done_updates(&self) -> u64 {
        self.done_updates
    }

    pub fn done_seconds(&self) -> f64 {
        self.done_seconds
    }
}

impl From<Schedule> for ScheduleState {
    fn from(schedule: Schedule) -> Self {
        schedule.state()
    }
}
