//! Carrying the current call into work handed to other threads (thread pools, scoped threads):
//! timed calls made there name it as their parent, so the call tree survives the hand-off.
//!
//! ```
//! use timed_runtime::{CallContext, timed};
//!
//! #[timed(phase = "training")]
//! fn parallel_step(shards: &mut [Vec<u64>]) {
//!     let parent = timed_runtime::current_call();
//!     std::thread::scope(|scope| {
//!         for shard in shards.iter_mut() {
//!             scope.spawn(move || {
//!                 let _in_parent = parent.map(CallContext::enter);
//!                 work_on(shard);
//!             });
//!         }
//!     });
//! }
//!
//! #[timed(phase = "training")]
//! fn work_on(shard: &mut Vec<u64>) {
//!     shard.push(1);
//! }
//! # parallel_step(&mut [vec![], vec![]]);
//! ```

use std::marker::PhantomData;

use crate::local::{self, OpenCall};

/// The identity of a running timed call, to be entered on another thread. Cheap to copy and
/// `Send`. Entering it records nothing by itself; the parent's own time is not charged with the
/// work done under it elsewhere (that work runs in parallel, not inside the parent's thread).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallContext {
    call: OpenCall,
}

/// The innermost timed call running on this thread, if any (and if recording is on).
pub fn current_call() -> Option<CallContext> {
    local::current_call().map(|call| CallContext { call })
}

impl CallContext {
    /// Makes this call the parent of timed calls made on the current thread until the guard
    /// drops.
    pub fn enter(self) -> ContextGuard {
        ContextGuard {
            entered: local::enter_context(self.call),
            _not_send: PhantomData,
        }
    }

    /// The call's id, as written in the `call_id` column.
    pub fn call_id(self) -> u64 {
        self.call.call_id
    }
}

/// Keeps a [`CallContext`] entered on this thread.
#[must_use = "the context is left when the guard drops"]
pub struct ContextGuard {
    entered: bool,
    _not_send: PhantomData<*const ()>,
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        if self.entered {
            local::leave_context();
        }
    }
}
