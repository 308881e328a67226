//! Links from a call to its children on other threads (work handed to a pool, an async call
//! polled elsewhere), found while the rows stream by in bounded memory. Rows come as calls
//! end, children before their parent, so a child waits here for its parent, one per thread
//! and parent (the first child the parent has on that thread: one arrow per worker thread);
//! a parent written shortly before its child (rows of threads interleaved in batches) is
//! remembered among the last [`RECENT`] calls written.

use std::collections::{HashMap, VecDeque};

/// Calls written last whose children may still come.
pub const RECENT: usize = 1 << 16;
/// Children waiting for their parent, at most; past it the oldest parents' go.
pub const MAX_WAITING: usize = 1 << 20;

/// A call on a thread at a time (ns on the trace's clock).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placed {
    pub call_id: u64,
    pub tid: u64,
    pub ts_ns: i64,
}

/// A link to draw: from `parent` (its start, on its thread) to `child` (its start).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    pub parent: Placed,
    pub child: Placed,
}

#[derive(Default)]
pub struct Links {
    waiting: HashMap<u64, Vec<Placed>>,
    waiting_order: VecDeque<u64>,
    waiting_count: usize,
    recent: HashMap<u64, Placed>,
    recent_order: VecDeque<u64>,
    /// Children dropped from the waiting list to bound memory.
    pub dropped: u64,
}

impl Links {
    /// A call was written: the links to its children on other threads that came before it.
    /// `parent_id` (0 for none) links it to its own parent the same way.
    pub fn written(&mut self, call: Placed, parent_id: u64, links: &mut Vec<Link>) {
        if let Some(children) = self.waiting.remove(&call.call_id) {
            self.waiting_count -= children.len();
            links.extend(
                children
                    .into_iter()
                    .filter(|child| child.tid != call.tid)
                    .map(|child| Link {
                        parent: call,
                        child,
                    }),
            );
        }
        if parent_id != 0 {
            match self.recent.get(&parent_id) {
                Some(&parent) if parent.tid != call.tid => links.push(Link {
                    parent,
                    child: call,
                }),
                Some(_) => {}
                None => self.wait(parent_id, call),
            }
        }
        self.recent.insert(call.call_id, call);
        self.recent_order.push_back(call.call_id);
        if self.recent_order.len() > RECENT
            && let Some(old) = self.recent_order.pop_front()
        {
            self.recent.remove(&old);
        }
    }

    fn wait(&mut self, parent_id: u64, child: Placed) {
        let children = self.waiting.entry(parent_id).or_insert_with(|| {
            self.waiting_order.push_back(parent_id);
            Vec::new()
        });
        if children.iter().any(|other| other.tid == child.tid) {
            return;
        }
        children.push(child);
        self.waiting_count += 1;
        while self.waiting_count > MAX_WAITING {
            let Some(oldest) = self.waiting_order.pop_front() else {
                break;
            };
            if let Some(dropped) = self.waiting.remove(&oldest) {
                self.waiting_count -= dropped.len();
                self.dropped += dropped.len() as u64;
            }
        }
    }

    /// Children still waiting for a parent that was never written.
    pub fn unmatched(&self) -> u64 {
        self.waiting_count as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(call_id: u64, tid: u64, ts_ns: i64) -> Placed {
        Placed {
            call_id,
            tid,
            ts_ns,
        }
    }

    #[test]
    fn a_parent_links_to_its_first_child_on_each_other_thread() {
        let mut links = Links::default();
        let mut found = Vec::new();
        // Children first, as rows come: two on thread 2, one on 3, one on the parent's own.
        links.written(placed(11, 2, 10), 1, &mut found);
        links.written(placed(12, 2, 20), 1, &mut found);
        links.written(placed(13, 3, 15), 1, &mut found);
        links.written(placed(14, 1, 5), 1, &mut found);
        assert!(found.is_empty());
        links.written(placed(1, 1, 0), 0, &mut found);
        assert_eq!(
            found,
            [
                Link {
                    parent: placed(1, 1, 0),
                    child: placed(11, 2, 10)
                },
                Link {
                    parent: placed(1, 1, 0),
                    child: placed(13, 3, 15)
                }
            ]
        );
        assert_eq!(links.unmatched(), 0);
        // A child written after its parent (batches of threads interleaved).
        found.clear();
        links.written(placed(15, 4, 30), 1, &mut found);
        assert_eq!(
            found,
            [Link {
                parent: placed(1, 1, 0),
                child: placed(15, 4, 30)
            }]
        );
        // A parent never written.
        links.written(placed(16, 2, 40), 99, &mut found);
        assert_eq!(links.unmatched(), 1);
    }
}
