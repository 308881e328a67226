//! Self time for legacy logs, which have no parent links: calls are intervals on the
//! timeline (the START row's timestamp to the END row's), and an interval inside another is
//! its child. END rows arrive in completion order, children before parents, so a stack of
//! finished intervals finds each END's direct children: those on top of the stack that
//! started after it did. Partial overlaps mean concurrent operations: nesting is then
//! unreliable and the report says self time is unavailable.

/// Slack when a parent's start was estimated as `end - duration` (no START row in reach):
/// Python took the END timestamp a little after measuring the duration, so the estimate can
/// be late.
pub const ESTIMATED_START_SLACK_NS: i64 = 50_000;
/// Slack when only the child's start is estimated: half a unit of the two-decimal duration
/// (5 us) plus the timestamps' microsecond.
pub const ROUNDING_SLACK_NS: i64 = 6_000;

/// Finished intervals kept before the oldest are folded into one (bounded memory).
pub const PENDING_CAP: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    pub start_ns: i64,
    pub end_ns: i64,
    /// Total duration of the calls folded into this entry (one call unless collapsed).
    pub duration_ns: u64,
    /// The start came from a START row rather than `end - duration`.
    pub exact_start: bool,
    /// Calls folded into this entry to bound memory (0 for a single call).
    pub folded: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenStart {
    pub at_ns: i64,
    pub line: u64,
}

/// An END that emptied the chunk's stack: it may have children in the previous chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoundaryCandidate {
    pub key: u32,
    pub interval: Interval,
    pub local_children_ns: u64,
}

/// An END whose START was not in this chunk, in file order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnmatchedEnd {
    pub key: u32,
    /// Its index in `candidates`, if it is one: its START (in an earlier chunk) gives the
    /// exact start when the chunks are joined.
    pub candidate: Option<usize>,
}

#[derive(Clone, Debug, Default)]
pub struct LegacyNesting {
    /// Per operation key: STARTs not yet matched by an END, innermost last.
    pub open_starts: Vec<Vec<OpenStart>>,
    pub unmatched_ends: Vec<UnmatchedEnd>,
    pub pending: Vec<Interval>,
    pub candidates: Vec<BoundaryCandidate>,
    pub ends: u64,
    pub partial_overlaps: u64,
    /// Parents that took folded entries as children: their self time is approximate.
    pub approximate_parents: u64,
}

/// Whether `inner` lies inside `outer` (with slack for estimated starts). A call that ended
/// when (or before) the other started is its predecessor, never its child.
fn contains(outer: &Interval, inner: &Interval) -> bool {
    let slack = match (outer.exact_start, inner.exact_start) {
        (true, true) => 0,
        (true, false) => ROUNDING_SLACK_NS,
        (false, _) => ESTIMATED_START_SLACK_NS,
    };
    inner.start_ns >= outer.start_ns - slack
        && inner.end_ns > outer.start_ns
        && inner.end_ns <= outer.end_ns + slack
}

/// Whether `earlier` (not inside `later`) still overlaps it: concurrent operations.
fn overlaps(earlier: &Interval, later: &Interval) -> bool {
    let slack = if earlier.exact_start && later.exact_start {
        0
    } else {
        ESTIMATED_START_SLACK_NS
    };
    earlier.end_ns > later.start_ns + slack
}

/// What popping a parent's children found.
struct Popped {
    children_ns: u64,
    /// The entry left on top overlaps the parent partially.
    overlap: bool,
    /// A folded entry was taken as a child.
    approximate: bool,
}

/// Pops the direct children of `parent` off `stack`.
fn pop_children(stack: &mut Vec<Interval>, parent: &Interval) -> Popped {
    let mut popped = Popped {
        children_ns: 0,
        overlap: false,
        approximate: false,
    };
    while let Some(top) = stack.last() {
        if !contains(parent, top) {
            break;
        }
        popped.children_ns += top.duration_ns;
        popped.approximate |= top.folded > 0;
        stack.pop();
    }
    popped.overlap = stack.last().is_some_and(|top| overlaps(top, parent));
    popped
}

/// Folds the oldest half of the stack into one entry when it grows past [`PENDING_CAP`]
/// (exact as long as no later parent starts inside the folded span).
fn bound(stack: &mut Vec<Interval>) {
    if stack.len() <= PENDING_CAP {
        return;
    }
    let half = stack.len() / 2;
    let folded = stack[..half].iter().fold(
        Interval {
            start_ns: i64::MAX,
            end_ns: i64::MIN,
            duration_ns: 0,
            exact_start: false,
            folded: 0,
        },
        |acc, item| Interval {
            start_ns: acc.start_ns.min(item.start_ns),
            end_ns: acc.end_ns.max(item.end_ns),
            duration_ns: acc.duration_ns + item.duration_ns,
            exact_start: false,
            folded: acc.folded + item.folded.max(1),
        },
    );
    stack.splice(..half, [folded]);
}

fn self_time(duration_ns: u64, children_ns: u64) -> u64 {
    duration_ns.saturating_sub(children_ns)
}

impl LegacyNesting {
    fn ensure_key(&mut self, key: u32) {
        let needed = key as usize + 1;
        if self.open_starts.len() < needed {
            self.open_starts.resize_with(needed, Vec::new);
        }
    }

    pub fn start(&mut self, key: u32, at_ns: i64, line: u64) {
        self.ensure_key(key);
        self.open_starts[key as usize].push(OpenStart { at_ns, line });
    }

    /// Closes a call; returns its start and its self time as far as this chunk can tell.
    pub fn end(&mut self, key: u32, end_ns: i64, duration_ns: u64) -> (i64, u64) {
        self.ensure_key(key);
        self.ends += 1;
        let interval = match self.open_starts[key as usize].pop() {
            Some(open) => Interval {
                start_ns: open.at_ns,
                end_ns,
                duration_ns,
                exact_start: true,
                folded: 0,
            },
            None => {
                self.unmatched_ends.push(UnmatchedEnd {
                    key,
                    candidate: None,
                });
                Interval {
                    start_ns: end_ns - duration_ns as i64,
                    end_ns,
                    duration_ns,
                    exact_start: false,
                    folded: 0,
                }
            }
        };
        let popped = pop_children(&mut self.pending, &interval);
        self.partial_overlaps += u64::from(popped.overlap);
        self.approximate_parents += u64::from(popped.approximate);
        if self.pending.is_empty() {
            if !interval.exact_start
                && let Some(unmatched) = self.unmatched_ends.last_mut()
            {
                unmatched.candidate = Some(self.candidates.len());
            }
            self.candidates.push(BoundaryCandidate {
                key,
                interval,
                local_children_ns: popped.children_ns,
            });
        }
        self.pending.push(interval);
        bound(&mut self.pending);
        (
            interval.start_ns,
            self_time(duration_ns, popped.children_ns),
        )
    }

    /// Renumbers operation keys (chunk-local ids to global ones).
    pub fn remap_keys(&mut self, global_ids: &[u32], global_count: usize) {
        let mut open_starts = vec![Vec::new(); global_count];
        for (local, starts) in std::mem::take(&mut self.open_starts)
            .into_iter()
            .enumerate()
        {
            open_starts[global_ids[local] as usize] = starts;
        }
        self.open_starts = open_starts;
        for unmatched in &mut self.unmatched_ends {
            unmatched.key = global_ids[unmatched.key as usize];
        }
        for candidate in &mut self.candidates {
            candidate.key = global_ids[candidate.key as usize];
        }
    }
}

/// Joins a file's chunks in order: children left on one chunk's stack are given to parents
/// that ended in a later chunk, and STARTs left open are matched by later ENDs.
#[derive(Debug, Default)]
pub struct NestingJoin {
    pending: Vec<Interval>,
    pub open_starts: Vec<Vec<OpenStart>>,
    pub ends: u64,
    pub partial_overlaps: u64,
    pub approximate_parents: u64,
}

impl NestingJoin {
    /// Adds the next chunk (keys already global, start lines already file-relative).
    /// `adjust_self` receives (operation key, change of its self time in ns).
    pub fn push(&mut self, mut chunk: LegacyNesting, mut adjust_self: impl FnMut(u32, i64)) {
        if self.open_starts.len() < chunk.open_starts.len() {
            self.open_starts
                .resize_with(chunk.open_starts.len(), Vec::new);
        }
        // ENDs whose START was in an earlier chunk close those STARTs, innermost first; a
        // boundary candidate among them gets its exact start back.
        for unmatched in &chunk.unmatched_ends {
            let Some(carried) = self.open_starts.get_mut(unmatched.key as usize) else {
                continue;
            };
            if let (Some(open), Some(index)) = (carried.pop(), unmatched.candidate) {
                let interval = &mut chunk.candidates[index].interval;
                interval.start_ns = open.at_ns;
                interval.exact_start = true;
            }
        }
        for candidate in &chunk.candidates {
            let popped = pop_children(&mut self.pending, &candidate.interval);
            let extra = popped.children_ns;
            self.partial_overlaps += u64::from(popped.overlap);
            self.approximate_parents += u64::from(popped.approximate);
            if extra > 0 {
                let duration = candidate.interval.duration_ns;
                let before = self_time(duration, candidate.local_children_ns);
                let after = self_time(duration, candidate.local_children_ns + extra);
                adjust_self(candidate.key, after as i64 - before as i64);
            }
        }
        self.pending.extend(chunk.pending);
        bound(&mut self.pending);
        for (key, starts) in chunk.open_starts.into_iter().enumerate() {
            self.open_starts[key].extend(starts);
        }
        self.ends += chunk.ends;
        self.partial_overlaps += chunk.partial_overlaps;
        self.approximate_parents += chunk.approximate_parents;
    }

    /// Nesting is trusted unless more than 1% of the calls overlap partially.
    pub fn reliable(&self) -> bool {
        self.partial_overlaps * 100 <= self.ends
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;

    #[test]
    fn direct_children_are_subtracted_once() {
        let mut nesting = LegacyNesting::default();
        // parent [0, 100] > child [10, 60] > grandchild [20, 30]; sibling [70, 90]
        nesting.start(0, 0, 1);
        nesting.start(1, 10 * MS, 2);
        nesting.start(2, 20 * MS, 3);
        assert_eq!(
            nesting.end(2, 30 * MS, 10 * MS as u64),
            (20 * MS, 10 * MS as u64)
        );
        assert_eq!(
            nesting.end(1, 60 * MS, 50 * MS as u64),
            (10 * MS, 40 * MS as u64)
        );
        nesting.start(1, 70 * MS, 6);
        assert_eq!(
            nesting.end(1, 90 * MS, 20 * MS as u64),
            (70 * MS, 20 * MS as u64)
        );
        assert_eq!(
            nesting.end(0, 100 * MS, 100 * MS as u64),
            (0, 30 * MS as u64)
        );
        assert_eq!(nesting.partial_overlaps, 0);
        assert!(nesting.open_starts.iter().all(Vec::is_empty));
    }

    #[test]
    fn estimated_starts_nest_with_slack() {
        let mut nesting = LegacyNesting::default();
        // No START rows: the child's estimated start is 10 us before the parent's.
        nesting.end(0, 50 * MS, (40 * MS + 10_000) as u64);
        let (_, self_ns) = nesting.end(1, 100 * MS, 90 * MS as u64);
        assert_eq!(self_ns, (50 * MS - 10_000) as u64);
        assert_eq!(
            nesting.unmatched_ends,
            [
                UnmatchedEnd {
                    key: 0,
                    candidate: Some(0)
                },
                UnmatchedEnd {
                    key: 1,
                    candidate: Some(1)
                }
            ]
        );
    }

    #[test]
    fn partial_overlaps_are_counted() {
        let mut nesting = LegacyNesting::default();
        nesting.start(0, 0, 1);
        nesting.start(1, 10 * MS, 2);
        nesting.end(0, 20 * MS, 20 * MS as u64);
        nesting.end(1, 30 * MS, 20 * MS as u64);
        assert_eq!(nesting.partial_overlaps, 1);
    }

    #[test]
    fn the_stack_stays_bounded() {
        let mut nesting = LegacyNesting::default();
        for index in 0..(PENDING_CAP as i64 * 3) {
            nesting.start(0, index * 10, 1);
            nesting.end(0, index * 10 + 5, 5);
        }
        assert!(nesting.pending.len() <= PENDING_CAP);
        assert_eq!(nesting.approximate_parents, 0);
        // A parent spanning everything still finds all of its children's time.
        let (_, self_ns) = nesting.end(
            1,
            PENDING_CAP as i64 * 30 + 100,
            (PENDING_CAP as u64 * 30) + 100,
        );
        assert_eq!(
            self_ns,
            PENDING_CAP as u64 * 30 + 100 - PENDING_CAP as u64 * 3 * 5
        );
        assert_eq!(nesting.pending.len(), 1);
        assert_eq!(nesting.approximate_parents, 1);
    }

    #[test]
    fn joining_chunks_gives_children_to_later_parents() {
        let mut first = LegacyNesting::default();
        first.start(0, 0, 1);
        first.start(1, 10 * MS, 2);
        first.end(1, 20 * MS, 10 * MS as u64);
        let mut second = LegacyNesting::default();
        // The parent's START was in the first chunk: this chunk estimates its start.
        let (_, local_self) = second.end(0, 100 * MS, 100 * MS as u64);
        assert_eq!(local_self, 100 * MS as u64);
        let mut join = NestingJoin::default();
        let mut adjustments = Vec::new();
        join.push(first, |key, delta| adjustments.push((key, delta)));
        join.push(second, |key, delta| adjustments.push((key, delta)));
        assert_eq!(adjustments, [(0, -10 * MS)]);
        assert!(join.open_starts.iter().all(Vec::is_empty));
        assert_eq!(join.ends, 2);
        assert!(join.reliable());
    }

    #[test]
    fn never_ended_starts_survive_the_join() {
        let mut first = LegacyNesting::default();
        first.start(0, 0, 1);
        first.start(0, 5, 2);
        let mut second = LegacyNesting::default();
        second.end(0, 10, 5);
        let mut join = NestingJoin::default();
        join.push(first, |_, _| {});
        join.push(second, |_, _| {});
        assert_eq!(join.open_starts[0], [OpenStart { at_ns: 0, line: 1 }]);
    }
}
