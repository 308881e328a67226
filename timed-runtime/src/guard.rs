//! The guard `#[timed]` places at the top of a sync function: the call is timed from its
//! creation to its drop, however the function ends (return, `?`, panic).

use std::marker::PhantomData;

use crate::local;
use crate::site::Site;
use crate::state;

#[doc(hidden)]
#[must_use]
pub struct Guard {
    /// `Some` when a frame was opened and must be closed.
    site: Option<&'static Site>,
    /// The open frame lives on this thread's stack of calls.
    _not_send: PhantomData<*const ()>,
}

impl Guard {
    #[inline(always)]
    pub fn enter(site: &'static Site) -> Guard {
        let state = state::load();
        let site = (state::mode_bits(state) != state::OFF && local::enter(state)).then_some(site);
        Guard {
            site,
            _not_send: PhantomData,
        }
    }
}

impl Drop for Guard {
    #[inline(always)]
    fn drop(&mut self) {
        if let Some(site) = self.site {
            local::exit(site);
        }
    }
}
