//! What the pass cases share: a summary-mode session in a fresh directory, lookups of sites and
//! their statistics, and a hand-written executor. Each case uses part of it.
#![allow(dead_code)]

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use timed_runtime::{Config, Mode, OperationStats, Session, Site};

pub struct Recording {
    pub session: Option<Session>,
    pub dir: PathBuf,
}

/// A summary-mode session writing into a directory no other run uses.
pub fn record(case: &str) -> Recording {
    let dir = std::env::temp_dir().join(format!("timed-macros-ui-{case}-{}", std::process::id()));
    let session = Config::new()
        .mode(Mode::Summary)
        .dir(&dir)
        .ignore_env()
        .init()
        .expect("a session starts in a fresh temp dir");
    Recording {
        session: Some(session),
        dir,
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            session.finish().expect("the session finishes cleanly");
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The one registered site called `name`.
pub fn site(name: &str) -> &'static Site {
    let found: Vec<&'static Site> = timed_runtime::sites()
        .iter()
        .copied()
        .filter(|site| site.name() == name)
        .collect();
    assert_eq!(found.len(), 1, "exactly one site is named {name}");
    found[0]
}

/// The statistics of the one site called `name`.
pub fn stats(name: &str) -> OperationStats {
    let site = site(name);
    timed_runtime::snapshot()
        .into_iter()
        .find(|stats| std::ptr::eq(stats.site, site))
        .expect("every registered site has statistics")
}

/// How many calls of `name` ended in each way: (ok, panicked, cancelled).
pub fn calls(name: &str) -> (u64, u64, u64) {
    let stats = stats(name);
    (
        stats.count - stats.panicked - stats.cancelled,
        stats.panicked,
        stats.cancelled,
    )
}

pub fn assert_calls(name: &str, ok: u64, panicked: u64, cancelled: u64) {
    assert_eq!(
        calls(name),
        (ok, panicked, cancelled),
        "calls of {name} as (ok, panicked, cancelled)"
    );
}

/// The names of every registered site, sorted.
pub fn site_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = timed_runtime::sites()
        .iter()
        .map(|site| site.name())
        .collect();
    names.sort_unstable();
    names
}

/// Polls once with a waker that does nothing.
pub fn poll_once<F: Future + ?Sized>(future: Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

/// Polls until ready on this thread; the futures in the cases never wait on anything but
/// `Yield`, so spinning is enough.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = poll_once(future.as_mut()) {
            return output;
        }
    }
}

/// Pending on its first poll, ready on the second: a suspension point.
pub struct Yield {
    yielded: bool,
}

pub fn yield_now() -> Yield {
    Yield { yielded: false }
}

impl Future for Yield {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        context.waker().wake_by_ref();
        Poll::Pending
    }
}
