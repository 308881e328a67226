//! The guard `#[timed]` places at the top of a sync function: the call is timed from its
//! creation to its drop, however the function ends (return, `?`, panic).

use std::marker::PhantomData;

use crate::local;
use crate::site::Site;
use crate::state;

#[doc(hidden)]
#[must_use]
pub struct Guard {
    site: &'static Site,
    /// The session the open frame belongs to; 0 when no frame was opened.
    generation: u64,
    /// The open frame lives on this thread's stack of calls.
    _not_send: PhantomData<*const ()>,
}

impl Guard {
    #[inline(always)]
    pub fn enter(site: &'static Site) -> Guard {
        let word = state::load();
        let generation = if state::mode_bits(word) != state::OFF {
            local::enter(word)
        } else {
            0
        };
        Guard {
            site,
            generation,
            _not_send: PhantomData,
        }
    }
}

impl Drop for Guard {
    #[inline(always)]
    fn drop(&mut self) {
        if self.generation != 0 {
            local::exit(self.site, self.generation);
        }
    }
}
