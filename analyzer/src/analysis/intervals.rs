//! Sets of time as sorted, disjoint, non-empty half-open intervals `[start, end)` in ns: what
//! "while a child runs" and "while the thread waits" are computed with.

/// A set of instants: sorted, disjoint, non-empty intervals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimeSet(Vec<(u64, u64)>);

impl TimeSet {
    /// The union of any intervals (overlapping, unsorted, empty ones ignored).
    pub fn union_of(mut intervals: Vec<(u64, u64)>) -> TimeSet {
        intervals.retain(|&(start, end)| end > start);
        // By start alone: intervals that start together merge into one whatever their order.
        intervals.sort_unstable_by_key(|&(start, _)| start);
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(intervals.len());
        for (start, end) in intervals {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        TimeSet(merged)
    }

    pub fn intervals(&self) -> &[(u64, u64)] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Total length in ns.
    pub fn length(&self) -> u64 {
        self.0.iter().map(|&(start, end)| end - start).sum()
    }

    /// The instants in both sets.
    pub fn intersect(&self, other: &TimeSet) -> TimeSet {
        let (a, b) = (&self.0, &other.0);
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            let start = a[i].0.max(b[j].0);
            let end = a[i].1.min(b[j].1);
            if end > start {
                out.push((start, end));
            }
            if a[i].1 < b[j].1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        TimeSet(out)
    }

    /// Length of the intersection, without building it.
    pub fn overlap(&self, other: &TimeSet) -> u64 {
        let (a, b) = (&self.0, &other.0);
        let mut total = 0;
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            let start = a[i].0.max(b[j].0);
            let end = a[i].1.min(b[j].1);
            total += end.saturating_sub(start);
            if a[i].1 < b[j].1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        total
    }

    /// The instants of `self` that are not in `other`.
    pub fn subtract(&self, other: &TimeSet) -> TimeSet {
        let mut out = Vec::new();
        let mut j = 0;
        for &(start, end) in &self.0 {
            let mut from = start;
            while j < other.0.len() && other.0[j].1 <= from {
                j += 1;
            }
            let mut k = j;
            while k < other.0.len() && other.0[k].0 < end {
                let (cut_start, cut_end) = other.0[k];
                if cut_start > from {
                    out.push((from, cut_start));
                }
                from = from.max(cut_end);
                if from >= end {
                    break;
                }
                k += 1;
            }
            if from < end {
                out.push((from, end));
            }
        }
        TimeSet(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(intervals: &[(u64, u64)]) -> TimeSet {
        TimeSet::union_of(intervals.to_vec())
    }

    #[test]
    fn union_merges_overlapping_and_touching_intervals() {
        let union = set(&[(20, 30), (0, 10), (5, 15), (15, 18), (40, 40)]);
        assert_eq!(union.intervals(), [(0, 18), (20, 30)]);
        assert_eq!(union.length(), 28);
        assert!(set(&[(3, 3)]).is_empty());
    }

    #[test]
    fn intersection_and_overlap_agree() {
        let a = set(&[(0, 10), (20, 30), (40, 50)]);
        let b = set(&[(5, 25), (45, 100)]);
        assert_eq!(a.intersect(&b).intervals(), [(5, 10), (20, 25), (45, 50)]);
        assert_eq!(a.overlap(&b), 15);
        assert_eq!(b.overlap(&a), 15);
        assert_eq!(a.overlap(&TimeSet::default()), 0);
    }

    #[test]
    fn subtraction_cuts_holes() {
        let a = set(&[(0, 100), (200, 300)]);
        let b = set(&[(10, 20), (50, 60), (90, 210), (250, 260), (290, 400)]);
        assert_eq!(
            a.subtract(&b).intervals(),
            [(0, 10), (20, 50), (60, 90), (210, 250), (260, 290)]
        );
        assert_eq!(a.subtract(&TimeSet::default()), a);
        assert!(b.subtract(&set(&[(0, 1000)])).is_empty());
    }
}
