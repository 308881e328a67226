//! Ctrl-C (SIGINT) and SIGTERM ask training to stop after the current iteration, so the final
//! checkpoint and the logs are still written. A second signal exits at once.

use std::sync::atomic::{AtomicBool, Ordering};

static STOP_REQUESTED: AtomicBool = AtomicBool::new(false);

/// The exit status of a process ended by SIGINT, by shell convention (128 + 2).
pub const INTERRUPTED_EXIT_CODE: u8 = 130;

extern "C" fn on_signal(_signal: libc::c_int) {
    // Only async-signal-safe work here: an atomic swap, and `_exit`.
    if STOP_REQUESTED.swap(true, Ordering::SeqCst) {
        // SAFETY: `_exit` has no preconditions; unlike `exit` it runs no atexit handlers and
        // flushes no stdio buffers, which is what makes it async-signal-safe (POSIX lists it
        // among the functions a handler may call).
        unsafe { libc::_exit(i32::from(INTERRUPTED_EXIT_CODE)) };
    }
}

/// Installs the handlers (idempotent) and returns the flag they set, for
/// `trainer::manager::run_training` to check between iterations.
pub fn install() -> &'static AtomicBool {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: `signal` requires a handler that is safe to run at any point of the program:
    // `on_signal` only swaps an atomic and calls `_exit`, both async-signal-safe, and touches
    // no state that the interrupted code could hold half-updated. SIGINT and SIGTERM are valid
    // signal numbers that may be caught.
    unsafe {
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
    &STOP_REQUESTED
}
