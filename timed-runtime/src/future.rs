//! The wrapper `#[timed]` puts around an `async fn`'s body: the call is timed from its first
//! poll to its completion, wherever it is polled; during each poll it is the current call, so
//! timed calls made inside it name it as their parent.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::local::{self, AsyncCall, PollScope};
use crate::site::Site;

#[doc(hidden)]
#[must_use = "futures do nothing unless polled"]
pub struct TimedFuture<F> {
    inner: F,
    site: &'static Site,
    started: bool,
    call: Option<AsyncCall>,
}

impl<F> TimedFuture<F> {
    #[inline]
    pub fn new(site: &'static Site, inner: F) -> TimedFuture<F> {
        TimedFuture {
            inner,
            site,
            started: false,
            call: None,
        }
    }
}

impl<F: Future> Future for TimedFuture<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `inner` is structurally pinned and never moved out; the other fields are
        // plain data, not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        if !this.started {
            this.started = true;
            this.call = local::begin_async();
        }
        // SAFETY: see above.
        let inner = unsafe { Pin::new_unchecked(&mut this.inner) };
        let Some(call) = &mut this.call else {
            return inner.poll(context);
        };
        let result = {
            let _scope = PollScope::enter(call);
            inner.poll(context)
        };
        if result.is_ready()
            && let Some(call) = this.call.take()
        {
            local::finish_async(this.site, call, true);
        }
        result
    }
}

impl<F> Drop for TimedFuture<F> {
    fn drop(&mut self) {
        if let Some(call) = self.call.take() {
            local::finish_async(self.site, call, false);
        }
    }
}
