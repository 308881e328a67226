//! Ctrl-C (SIGINT) and SIGTERM ask training to stop after the current iteration, so the final
//! checkpoint and the logs are still written. A second signal exits at once.

use std::sync::atomic::{AtomicBool, Ordering};

static STOP_REQUESTED: AtomicBool = AtomicBool::new(false);

/// The exit status of a process ended by SIGINT, by shell convention (128 + 2).
pub const INTERRUPTED_EXIT_CODE: i32 = 130;

extern "C" fn on_signal(_signal: libc::c_int) {
    // Only async-signal-safe work here: an atomic swap, and `_exit`.
    if STOP_REQUESTED.swap(true, Ordering::SeqCst) {
        unsafe { libc::_exit(INTERRUPTED_EXIT_CODE) };
    }
}

/// Installs the handlers (idempotent) and returns the flag they set.
pub fn install() -> &'static AtomicBool {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: `on_signal` only touches an atomic and calls `_exit`, both async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
    &STOP_REQUESTED
}

/// Whether a stop was requested.
pub fn requested() -> bool {
    STOP_REQUESTED.load(Ordering::SeqCst)
}
