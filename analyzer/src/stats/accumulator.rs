//! Everything kept per operation while reading: exact counts and sums, the duration
//! distribution, per-thread totals and the timeline sample. One per operation per chunk;
//! chunks merge at the end.

use super::distribution::Distribution;
use super::sampler::{TimedCall, TimelineSampler};

/// How a call ended (our format's `status` column; legacy calls are all `Ok`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    Panicked,
    Cancelled,
}

/// One completed call as the accumulators see it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Call {
    pub duration_ns: u64,
    /// `None` where the log has no nesting information.
    pub self_ns: Option<i64>,
    /// Start on the component's timeline (our `start_ns`; legacy: nanoseconds since the epoch).
    pub start_ns: i64,
    /// 0 when the log does not say which thread recorded the call.
    pub thread: u32,
    pub status: Status,
}

/// Limits that bound memory, whatever the log's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Durations kept exactly per operation before switching to the histogram.
    pub exact_cap: usize,
    /// Calls kept in each operation's timeline sample.
    pub timeline_cap: usize,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ThreadTotals {
    pub thread: u32,
    pub count: u64,
    pub total_ns: u128,
    pub self_ns: i128,
}

#[derive(Clone, Debug)]
pub struct OpAccumulator {
    pub count: u64,
    pub total_ns: u128,
    pub self_ns: i128,
    /// Calls whose self time the log gave (or nesting derived).
    pub self_known: u64,
    pub min_ns: u64,
    pub max_ns: u64,
    /// Deviations from `shift` keep the variance exact-ish in f64 even for large means.
    shift: f64,
    sum_dev: f64,
    sum_sq_dev: f64,
    pub panicked: u64,
    pub cancelled: u64,
    pub durations: Distribution,
    pub threads: Vec<ThreadTotals>,
    pub timeline: TimelineSampler,
    pub first_start_ns: i64,
    pub last_end_ns: i64,
}

impl OpAccumulator {
    pub fn new(limits: Limits) -> Self {
        OpAccumulator {
            count: 0,
            total_ns: 0,
            self_ns: 0,
            self_known: 0,
            min_ns: u64::MAX,
            max_ns: 0,
            shift: f64::NAN,
            sum_dev: 0.0,
            sum_sq_dev: 0.0,
            panicked: 0,
            cancelled: 0,
            durations: Distribution::default(),
            threads: Vec::new(),
            timeline: TimelineSampler::new(limits.timeline_cap),
            first_start_ns: i64::MAX,
            last_end_ns: i64::MIN,
        }
    }

    /// Always inlined: whether LLVM inlines it into the formats' row readers otherwise changes
    /// with unrelated edits. Callgrind, `analyzer report --logs DIR --out OUT --quiet
    /// --no-charts --threads 1` (logs from `cargo run --release -p analyzer --example
    /// synthetic_logs`): 1,700 M -> 1,682 M instructions on 2 M rows in the original's format,
    /// 1,856 M -> 1,838 M on 1 M rows in ours.
    #[inline(always)]
    pub fn record(&mut self, call: Call, limits: Limits) {
        let duration = call.duration_ns;
        self.count += 1;
        self.total_ns += u128::from(duration);
        if let Some(self_ns) = call.self_ns {
            self.self_ns += i128::from(self_ns);
            self.self_known += 1;
        }
        self.min_ns = self.min_ns.min(duration);
        self.max_ns = self.max_ns.max(duration);
        if self.shift.is_nan() {
            self.shift = duration as f64;
        }
        let deviation = duration as f64 - self.shift;
        self.sum_dev += deviation;
        self.sum_sq_dev += deviation * deviation;
        match call.status {
            Status::Ok => {}
            Status::Panicked => self.panicked += 1,
            Status::Cancelled => self.cancelled += 1,
        }
        self.durations.record(duration, limits.exact_cap);
        if call.thread != 0 {
            self.record_thread(call);
        }
        self.timeline.record(TimedCall {
            start_ns: call.start_ns,
            duration_ns: duration,
        });
        self.first_start_ns = self.first_start_ns.min(call.start_ns);
        self.last_end_ns = self
            .last_end_ns
            .max(call.start_ns.saturating_add(duration as i64));
    }

    #[inline]
    fn record_thread(&mut self, call: Call) {
        let index = match self
            .threads
            .iter()
            .position(|totals| totals.thread == call.thread)
        {
            Some(index) => index,
            None => {
                self.threads.push(ThreadTotals {
                    thread: call.thread,
                    ..ThreadTotals::default()
                });
                self.threads.len() - 1
            }
        };
        let totals = &mut self.threads[index];
        totals.count += 1;
        totals.total_ns += u128::from(call.duration_ns);
        totals.self_ns += i128::from(call.self_ns.unwrap_or(0));
    }

    /// Adjusts the self time after the fact (legacy nesting resolved across chunk boundaries).
    pub fn adjust_self(&mut self, delta_ns: i64) {
        self.self_ns += i128::from(delta_ns);
    }

    pub fn merge(&mut self, other: OpAccumulator, limits: Limits) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = other;
            return;
        }
        // Re-centre the other's deviations on our shift before adding them.
        let offset = other.shift - self.shift;
        let count = other.count as f64;
        self.sum_sq_dev +=
            other.sum_sq_dev + 2.0 * offset * other.sum_dev + count * offset * offset;
        self.sum_dev += other.sum_dev + count * offset;
        self.count += other.count;
        self.total_ns += other.total_ns;
        self.self_ns += other.self_ns;
        self.self_known += other.self_known;
        self.min_ns = self.min_ns.min(other.min_ns);
        self.max_ns = self.max_ns.max(other.max_ns);
        self.panicked += other.panicked;
        self.cancelled += other.cancelled;
        self.durations.merge(other.durations, limits.exact_cap);
        for theirs in other.threads {
            match self
                .threads
                .iter_mut()
                .find(|mine| mine.thread == theirs.thread)
            {
                Some(mine) => {
                    mine.count += theirs.count;
                    mine.total_ns += theirs.total_ns;
                    mine.self_ns += theirs.self_ns;
                }
                None => self.threads.push(theirs),
            }
        }
        self.timeline.merge(other.timeline);
        self.first_start_ns = self.first_start_ns.min(other.first_start_ns);
        self.last_end_ns = self.last_end_ns.max(other.last_end_ns);
    }

    /// Mean in nanoseconds (NaN for no calls).
    pub fn mean_ns(&self) -> f64 {
        self.total_ns as f64 / self.count as f64
    }

    /// Sample standard deviation in nanoseconds (0 for fewer than two calls).
    pub fn std_dev_ns(&self) -> f64 {
        if self.count < 2 {
            return 0.0;
        }
        let count = self.count as f64;
        let mean_dev = self.sum_dev / count;
        let variance = (self.sum_sq_dev - count * mean_dev * mean_dev) / (count - 1.0);
        variance.max(0.0).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        exact_cap: 1000,
        timeline_cap: 64,
    };

    fn call(duration_ns: u64, thread: u32) -> Call {
        Call {
            duration_ns,
            self_ns: Some(duration_ns as i64 / 2),
            start_ns: duration_ns as i64,
            thread,
            status: Status::Ok,
        }
    }

    #[test]
    fn exact_sums_extremes_and_spread() {
        let mut accumulator = OpAccumulator::new(LIMITS);
        for duration in [2, 4, 4, 4, 5, 5, 7, 9] {
            accumulator.record(call(duration, 1), LIMITS);
        }
        assert_eq!(accumulator.count, 8);
        assert_eq!(accumulator.total_ns, 40);
        assert_eq!(accumulator.self_ns, 1 + 2 + 2 + 2 + 2 + 2 + 3 + 4);
        assert_eq!((accumulator.min_ns, accumulator.max_ns), (2, 9));
        assert_eq!(accumulator.mean_ns(), 5.0);
        // Sample standard deviation of the classic example: sqrt(32 / 7).
        assert!((accumulator.std_dev_ns() - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn merge_matches_recording_everything_in_one() {
        let durations: Vec<u64> = (0..200)
            .map(|i| 1_000_000_000 + (i * 7919) % 1000)
            .collect();
        let mut whole = OpAccumulator::new(LIMITS);
        let mut left = OpAccumulator::new(LIMITS);
        let mut right = OpAccumulator::new(LIMITS);
        for (index, &duration) in durations.iter().enumerate() {
            let thread = 1 + (index % 3) as u32;
            whole.record(call(duration, thread), LIMITS);
            if index < 120 {
                left.record(call(duration, thread), LIMITS);
            } else {
                right.record(call(duration, thread), LIMITS);
            }
        }
        left.merge(right, LIMITS);
        assert_eq!(left.count, whole.count);
        assert_eq!(left.total_ns, whole.total_ns);
        assert_eq!((left.min_ns, left.max_ns), (whole.min_ns, whole.max_ns));
        assert!((left.std_dev_ns() - whole.std_dev_ns()).abs() < 1e-6);
        let counts: Vec<(u32, u64)> = left.threads.iter().map(|t| (t.thread, t.count)).collect();
        assert_eq!(counts, [(1, 67), (2, 67), (3, 66)]);
    }

    #[test]
    fn statuses_and_unknown_threads() {
        let mut accumulator = OpAccumulator::new(LIMITS);
        accumulator.record(
            Call {
                status: Status::Panicked,
                ..call(5, 0)
            },
            LIMITS,
        );
        accumulator.record(
            Call {
                status: Status::Cancelled,
                self_ns: None,
                ..call(5, 0)
            },
            LIMITS,
        );
        assert_eq!((accumulator.panicked, accumulator.cancelled), (1, 1));
        assert_eq!(accumulator.self_known, 1);
        assert!(accumulator.threads.is_empty());
        assert_eq!(accumulator.std_dev_ns(), 0.0);
    }
}
