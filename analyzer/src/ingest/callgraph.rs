//! A bounded, consistent sample of the call tree for the cross-component analysis. A parent
//! is in the sample when a hash of its `call_id` falls under a threshold; the same test on a
//! child's `parent_id` keeps the child edge, so every sampled parent keeps all its children,
//! wherever (file, chunk, thread) they were logged. When the sample outgrows its budget the
//! threshold halves and the entries above it go, so memory stays bounded on any log size.

/// One call as the call graph needs it. `key` is the operation id (chunk-local while reading).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallRecord {
    pub call_id: u64,
    pub parent_id: u64,
    pub key: u32,
    pub thread: u32,
    pub start_ns: u64,
    pub duration_ns: u64,
}

#[derive(Clone, Debug)]
pub struct CallGraphSample {
    threshold: u64,
    budget: usize,
    /// Sampled calls (potential parents), by their own id.
    pub calls: Vec<CallRecord>,
    /// Children of sampled parents, by their parent id.
    pub edges: Vec<CallRecord>,
}

/// SplitMix64's finaliser: call ids are sequential, so they need mixing before sampling.
#[inline]
fn mix(id: u64) -> u64 {
    let mut z = id.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl CallGraphSample {
    pub fn new(budget: usize) -> Self {
        CallGraphSample {
            threshold: u64::MAX,
            budget: budget.max(2),
            calls: Vec::new(),
            edges: Vec::new(),
        }
    }

    #[inline]
    fn sampled(&self, id: u64) -> bool {
        mix(id) <= self.threshold
    }

    #[inline]
    pub fn record(&mut self, call: CallRecord) {
        if self.sampled(call.call_id) {
            self.calls.push(call);
        }
        if call.parent_id != 0 && self.sampled(call.parent_id) {
            self.edges.push(call);
        }
        if self.calls.len() + self.edges.len() > self.budget {
            self.lower_threshold(self.threshold / 2);
        }
    }

    fn lower_threshold(&mut self, threshold: u64) {
        self.threshold = self.threshold.min(threshold);
        let threshold = self.threshold;
        self.calls.retain(|call| mix(call.call_id) <= threshold);
        self.edges.retain(|call| mix(call.parent_id) <= threshold);
    }

    /// The fraction of parent calls the sample keeps (1.0 when nothing was dropped).
    pub fn fraction(&self) -> f64 {
        if self.threshold == u64::MAX {
            1.0
        } else {
            (self.threshold as f64 + 1.0) / 2f64.powi(64)
        }
    }

    /// Renumbers operation keys (chunk-local ids to global ones).
    pub fn remap_keys(&mut self, global_ids: &[u32]) {
        for call in self.calls.iter_mut().chain(self.edges.iter_mut()) {
            call.key = global_ids[call.key as usize];
        }
    }

    pub fn merge(&mut self, other: CallGraphSample) {
        self.lower_threshold(other.threshold);
        let threshold = self.threshold;
        self.calls.extend(
            other
                .calls
                .into_iter()
                .filter(|call| mix(call.call_id) <= threshold),
        );
        self.edges.extend(
            other
                .edges
                .into_iter()
                .filter(|call| mix(call.parent_id) <= threshold),
        );
        while self.calls.len() + self.edges.len() > self.budget {
            self.lower_threshold(self.threshold / 2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(call_id: u64, parent_id: u64) -> CallRecord {
        CallRecord {
            call_id,
            parent_id,
            key: 0,
            thread: 1,
            start_ns: 0,
            duration_ns: 1,
        }
    }

    #[test]
    fn keeps_everything_within_budget() {
        let mut sample = CallGraphSample::new(100);
        sample.record(record(1, 0));
        sample.record(record(2, 1));
        assert_eq!(sample.calls.len(), 2);
        assert_eq!(sample.edges.len(), 1);
        assert_eq!(sample.fraction(), 1.0);
    }

    #[test]
    fn a_sampled_parent_keeps_all_its_children() {
        let mut sample = CallGraphSample::new(500);
        for parent in 1..=1000u64 {
            for child in 0..3 {
                sample.record(record(1_000_000 + parent * 10 + child, parent));
            }
            sample.record(record(parent, 0));
        }
        assert!(sample.calls.len() + sample.edges.len() <= 500);
        assert!(sample.fraction() < 0.5);
        let parents: Vec<u64> = sample
            .calls
            .iter()
            .filter(|c| c.call_id <= 1000)
            .map(|c| c.call_id)
            .collect();
        assert!(!parents.is_empty());
        for parent in parents {
            assert_eq!(
                sample
                    .edges
                    .iter()
                    .filter(|edge| edge.parent_id == parent)
                    .count(),
                3
            );
        }
    }

    #[test]
    fn merging_applies_the_lower_threshold_to_both() {
        let mut small = CallGraphSample::new(10_000);
        let mut big = CallGraphSample::new(50);
        for id in 1..=400 {
            small.record(record(id, 0));
            big.record(record(id + 400, 0));
        }
        small.merge(big);
        assert!(small.fraction() < 1.0);
        let threshold = small.threshold;
        assert!(
            small
                .calls
                .iter()
                .all(|call| mix(call.call_id) <= threshold)
        );
    }
}
