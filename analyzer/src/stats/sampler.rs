//! Bounded samples of (start time, duration) for trends, clustering and charts: an evenly
//! strided sample over the run, plus the first calls (warm-up) and the slowest calls (stalls),
//! which a strided sample of a long run would almost always miss.

/// One call on the timeline: start in nanoseconds on the component's clock, and duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimedCall {
    pub start_ns: i64,
    pub duration_ns: u64,
}

/// How many first and slowest calls are kept beside the strided sample.
pub const EXTREMES_KEPT: usize = 32;

/// The calls with the lowest rank seen so far, at most [`EXTREMES_KEPT`] of them. `SLOWEST`
/// ranks by duration, longest first; otherwise by start, earliest first. A const parameter
/// rather than a function pointer: every call is offered, and the test must inline.
#[derive(Clone, Debug)]
struct Extremes<const SLOWEST: bool> {
    calls: Vec<TimedCall>,
    /// Index of the kept call with the highest rank, the one a better call replaces.
    worst: usize,
    /// Its rank, once [`EXTREMES_KEPT`] calls are kept (before, every call is kept).
    worst_rank: i128,
}

impl<const SLOWEST: bool> Extremes<SLOWEST> {
    fn new() -> Self {
        Extremes {
            calls: Vec::new(),
            worst: 0,
            worst_rank: i128::MAX,
        }
    }

    #[inline(always)]
    fn rank(call: &TimedCall) -> i128 {
        if SLOWEST {
            -i128::from(call.duration_ns)
        } else {
            i128::from(call.start_ns)
        }
    }

    #[inline]
    fn offer(&mut self, call: TimedCall) {
        if self.calls.len() < EXTREMES_KEPT {
            self.calls.push(call);
            self.find_worst();
        } else if Self::rank(&call) < self.worst_rank {
            self.calls[self.worst] = call;
            self.find_worst();
        }
    }

    fn find_worst(&mut self) {
        self.worst = (0..self.calls.len())
            .max_by_key(|&index| Self::rank(&self.calls[index]))
            .unwrap_or(0);
        if self.calls.len() == EXTREMES_KEPT {
            self.worst_rank = Self::rank(&self.calls[self.worst]);
        }
    }
}

#[derive(Clone, Debug)]
pub struct TimelineSampler {
    cap: usize,
    stride: u64,
    seen: u64,
    /// Calls to skip before the next sample (a countdown: no division per call).
    until_next: u64,
    strided: Vec<TimedCall>,
    first: Extremes<false>,
    slowest: Extremes<true>,
}

impl TimelineSampler {
    pub fn new(cap: usize) -> Self {
        TimelineSampler {
            cap: cap.max(2),
            stride: 1,
            seen: 0,
            until_next: 0,
            strided: Vec::new(),
            first: Extremes::new(),
            slowest: Extremes::new(),
        }
    }

    #[inline]
    pub fn record(&mut self, call: TimedCall) {
        if self.until_next == 0 {
            self.strided.push(call);
            self.until_next = self.stride - 1;
            self.seen += 1;
            if self.strided.len() >= self.cap {
                self.halve();
            }
        } else {
            self.until_next -= 1;
            self.seen += 1;
        }
        self.first.offer(call);
        self.slowest.offer(call);
    }

    /// Keeps every other sample and doubles the stride, so the sample stays evenly spread.
    fn halve(&mut self) {
        let mut index = 0;
        self.strided.retain(|_| {
            index += 1;
            index % 2 == 1
        });
        self.stride *= 2;
        // Keep sampling the calls whose index is a multiple of the new stride.
        self.until_next = (self.stride - self.seen % self.stride) % self.stride;
    }

    pub fn merge(&mut self, mut other: TimelineSampler) {
        while self.stride < other.stride {
            self.halve();
        }
        while other.stride < self.stride {
            other.halve();
        }
        self.strided.extend(other.strided);
        while self.strided.len() >= self.cap {
            self.halve();
        }
        self.seen += other.seen;
        other
            .first
            .calls
            .into_iter()
            .for_each(|call| self.first.offer(call));
        other
            .slowest
            .calls
            .into_iter()
            .for_each(|call| self.slowest.offer(call));
    }

    /// The strided sample sorted by start time (every call when there were fewer than the cap).
    pub fn strided(&self) -> Vec<TimedCall> {
        let mut calls = self.strided.clone();
        calls.sort_unstable();
        calls
    }

    /// The strided sample, the first calls and the slowest calls, sorted and without repeats.
    pub fn with_extremes(&self) -> Vec<TimedCall> {
        let mut calls: Vec<TimedCall> = self
            .strided
            .iter()
            .chain(&self.first.calls)
            .chain(&self.slowest.calls)
            .copied()
            .collect();
        calls.sort_unstable();
        calls.dedup();
        calls
    }

    /// 1 while the sample holds every call; n when it holds one call in n.
    pub fn stride(&self) -> u64 {
        self.stride
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(start_ns: i64, duration_ns: u64) -> TimedCall {
        TimedCall {
            start_ns,
            duration_ns,
        }
    }

    #[test]
    fn keeps_everything_below_the_cap() {
        let mut sampler = TimelineSampler::new(8);
        for index in 0..7 {
            sampler.record(call(index, 1));
        }
        assert_eq!(sampler.stride(), 1);
        assert_eq!(sampler.strided().len(), 7);
    }

    #[test]
    fn decimates_evenly_past_the_cap() {
        let mut sampler = TimelineSampler::new(4);
        for index in 0..16 {
            sampler.record(call(index, 1));
        }
        assert_eq!(sampler.stride(), 8);
        let starts: Vec<i64> = sampler.strided().iter().map(|c| c.start_ns).collect();
        assert_eq!(starts, [0, 8]);
    }

    #[test]
    fn keeps_the_first_and_slowest_calls() {
        let mut sampler = TimelineSampler::new(4);
        for index in 0..1000 {
            let duration = if index == 777 { 1_000_000 } else { 10 };
            sampler.record(call(1000 - index, duration));
        }
        let all = sampler.with_extremes();
        assert!(all.contains(&call(1000 - 777, 1_000_000)));
        assert!(all.contains(&call(1, 10)));
        assert_eq!(all.first(), Some(&call(1, 10)));
    }

    #[test]
    fn merging_aligns_strides() {
        let mut coarse = TimelineSampler::new(4);
        (0..8).for_each(|index| coarse.record(call(index, 1)));
        let mut fine = TimelineSampler::new(4);
        (100..102).for_each(|index| fine.record(call(index, 1)));
        coarse.merge(fine);
        assert_eq!(coarse.stride(), 4);
        let starts: Vec<i64> = coarse.strided().iter().map(|c| c.start_ns).collect();
        assert_eq!(starts, [0, 4, 100]);
    }
}
