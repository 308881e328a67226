//! The guard `#[timed]` places at the top of a sync function: the call is timed from its
//! creation to its drop, however the function ends (return, `?`, panic).

use std::marker::PhantomData;

use crate::local::{self, Opened};
use crate::site::Site;
use crate::state;

#[doc(hidden)]
#[must_use]
pub struct Guard {
    site: &'static Site,
    /// The frame opened, if one was.
    opened: Option<Opened>,
    /// The open frame lives on this thread's stack of calls, and `opened` points at this
    /// thread's state.
    _not_send: PhantomData<*const ()>,
}

impl Guard {
    #[inline(always)]
    pub fn enter(site: &'static Site) -> Guard {
        let word = state::load();
        let opened = if state::mode_bits(word) != state::OFF {
            local::enter(word)
        } else {
            None
        };
        Guard {
            site,
            opened,
            _not_send: PhantomData,
        }
    }
}

impl Drop for Guard {
    #[inline(always)]
    fn drop(&mut self) {
        if let Some(opened) = self.opened {
            local::exit(self.site, opened);
        }
    }
}
