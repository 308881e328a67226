//! The sampled calls as a tree: the children of every call (by `parent_id`, on any thread),
//! and a walk over a call's descendants that terminates on malformed parent links (cycles).

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use crate::ingest::callgraph::CallRecord;
use crate::ingest::interner::FxHasher;

const NONE: u32 = u32::MAX;

pub struct CallTree<'a> {
    pub calls: &'a [CallRecord],
    parents: Vec<u32>,
    /// The children of call `i` are `children[child_start[i]..child_start[i + 1]]`.
    child_start: Vec<u32>,
    children: Vec<u32>,
    /// Calls whose parent id matches no call in the sample (or names the call itself).
    pub orphans: u64,
}

impl<'a> CallTree<'a> {
    pub fn new(calls: &'a [CallRecord]) -> Self {
        let mut index: HashMap<u64, u32, BuildHasherDefault<FxHasher>> =
            HashMap::with_capacity_and_hasher(calls.len(), Default::default());
        for (position, call) in calls.iter().enumerate() {
            // A repeated id (two sessions' logs in one directory) keeps its first call.
            index.entry(call.call_id).or_insert(position as u32);
        }
        let mut orphans = 0;
        let parents: Vec<u32> = calls
            .iter()
            .enumerate()
            .map(|(position, call)| {
                if call.parent_id == 0 {
                    return NONE;
                }
                match index.get(&call.parent_id) {
                    Some(&parent) if parent as usize != position => parent,
                    _ => {
                        orphans += 1;
                        NONE
                    }
                }
            })
            .collect();
        let mut child_start = vec![0u32; calls.len() + 1];
        for &parent in parents.iter().filter(|&&parent| parent != NONE) {
            child_start[parent as usize + 1] += 1;
        }
        for position in 1..child_start.len() {
            child_start[position] += child_start[position - 1];
        }
        let mut fill = child_start.clone();
        let mut children = vec![0u32; child_start[calls.len()] as usize];
        for (child, &parent) in parents.iter().enumerate() {
            if parent != NONE {
                children[fill[parent as usize] as usize] = child as u32;
                fill[parent as usize] += 1;
            }
        }
        CallTree {
            calls,
            parents,
            child_start,
            children,
            orphans,
        }
    }

    pub fn len(&self) -> usize {
        self.calls.len()
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    pub fn parent(&self, call: usize) -> Option<usize> {
        let parent = self.parents[call];
        (parent != NONE).then_some(parent as usize)
    }

    pub fn children(&self, call: usize) -> &[u32] {
        &self.children[self.child_start[call] as usize..self.child_start[call + 1] as usize]
    }
}

/// Walks descendants; its marks make every call visited at most once per walk, so a cycle
/// of parent ids (a corrupt log) cannot loop.
pub struct Walker {
    marks: Vec<u32>,
    walk: u32,
    stack: Vec<u32>,
}

impl Walker {
    pub fn new(calls: usize) -> Self {
        Walker {
            marks: vec![0; calls],
            walk: 0,
            stack: Vec::new(),
        }
    }

    /// Calls `visit` on every descendant of `root` (not on `root`), each once.
    pub fn descendants(&mut self, tree: &CallTree, root: usize, mut visit: impl FnMut(usize)) {
        self.walk = self.walk.wrapping_add(1);
        if self.walk == 0 {
            self.marks.iter_mut().for_each(|mark| *mark = 0);
            self.walk = 1;
        }
        self.marks[root] = self.walk;
        self.stack.clear();
        self.stack.extend_from_slice(tree.children(root));
        while let Some(call) = self.stack.pop() {
            let call = call as usize;
            if self.marks[call] == self.walk {
                continue;
            }
            self.marks[call] = self.walk;
            visit(call);
            self.stack.extend_from_slice(tree.children(call));
        }
    }

    /// Every call of the tree with the calls below it before it (post-order from the roots);
    /// calls on a cycle of parent ids, which no root reaches, are left out.
    pub fn bottom_up(&mut self, tree: &CallTree) -> Vec<u32> {
        let mut order = Vec::with_capacity(tree.len());
        let mut pending: Vec<(u32, bool)> = Vec::new();
        for root in (0..tree.len()).filter(|&call| tree.parent(call).is_none()) {
            pending.push((root as u32, false));
            while let Some((call, expanded)) = pending.pop() {
                if expanded {
                    order.push(call);
                    continue;
                }
                pending.push((call, true));
                pending.extend(
                    tree.children(call as usize)
                        .iter()
                        .map(|&child| (child, false)),
                );
            }
        }
        order
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
            self_ns: 1,
        }
    }

    #[test]
    fn links_children_on_any_thread_and_counts_orphans() {
        let calls = [
            record(3, 1),
            record(1, 0),
            record(2, 1),
            record(4, 3),
            record(5, 99),
            record(6, 6),
        ];
        let tree = CallTree::new(&calls);
        assert_eq!(tree.orphans, 2);
        assert_eq!(tree.children(1), [0, 2]);
        assert_eq!(tree.children(0), [3]);
        assert_eq!(tree.parent(3), Some(0));
        assert_eq!(tree.parent(4), None);
        let mut walker = Walker::new(tree.len());
        let mut seen = Vec::new();
        walker.descendants(&tree, 1, |call| seen.push(calls[call].call_id));
        seen.sort_unstable();
        assert_eq!(seen, [2, 3, 4]);
        let order: Vec<u64> = walker
            .bottom_up(&tree)
            .iter()
            .map(|&call| calls[call as usize].call_id)
            .collect();
        let position = |id: u64| order.iter().position(|&other| other == id).unwrap();
        assert_eq!(order.len(), 6);
        assert!(position(4) < position(3) && position(3) < position(1));
        assert!(position(2) < position(1));
    }

    #[test]
    fn a_cycle_of_parent_ids_ends_the_walk() {
        let calls = [record(1, 2), record(2, 1), record(3, 2)];
        let tree = CallTree::new(&calls);
        let mut walker = Walker::new(tree.len());
        let mut seen = Vec::new();
        walker.descendants(&tree, 0, |call| seen.push(calls[call].call_id));
        seen.sort_unstable();
        assert_eq!(seen, [2, 3]);
        assert!(walker.bottom_up(&tree).is_empty());
    }
}
