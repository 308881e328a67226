//! The wrapper `#[timed]` puts around an `async fn`'s body: the call is timed from its first
//! poll to its completion, wherever it is polled; during each poll it is the current call, so
//! timed calls made inside it name it as their parent. A future dropped before completing is a
//! cancelled call, and its body's locals are dropped while it is still the current call.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::local::{self, AsyncCall, PollScope};
use crate::site::Site;

pin_project! {
    #[doc(hidden)]
    #[must_use = "futures do nothing unless polled"]
    pub struct TimedFuture<F> {
        // `None` only once the drop of a cancelled call has dropped it.
        #[pin]
        inner: Option<F>,
        site: &'static Site,
        started: bool,
        call: Option<AsyncCall>,
    }

    impl<F> PinnedDrop for TimedFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if let Some(mut call) = this.call.take() {
                {
                    // Whatever the body's locals do as they drop is part of the call.
                    let _scope = PollScope::enter(&mut call);
                    this.inner.set(None);
                }
                local::finish_async(this.site, call, false);
            }
        }
    }
}

impl<F> TimedFuture<F> {
    #[inline]
    pub fn new(site: &'static Site, inner: F) -> TimedFuture<F> {
        TimedFuture {
            inner: Some(inner),
            site,
            started: false,
            call: None,
        }
    }
}

impl<F: Future> Future for TimedFuture<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        let Some(inner) = this.inner.as_mut().as_pin_mut() else {
            unreachable!("a TimedFuture's body is only taken by its drop");
        };
        if !*this.started {
            *this.started = true;
            *this.call = local::begin_async();
        }
        let Some(call) = this.call.as_mut() else {
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
