//! Getting rows to disk when the program does not end by dropping its `Session`: a panic on any
//! thread (the hook runs before unwinding, and even under `panic = "abort"`), and `exit` (from
//! `std::process::exit`, or `main` returning while the session is held somewhere static).

use std::sync::Once;
use std::time::Duration;

use crate::shared;
use crate::state;

pub(crate) fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            previous(info);
            if let Some(session) = shared::try_current() {
                session.flush_patiently(Duration::from_secs(1), false);
            }
        }));
        // SAFETY: `atexit` takes a function of no arguments with the C ABI, which
        // `flush_at_exit` is; it is registered once (`INSTALL`), and it never unwinds into the C
        // runtime that calls it (it catches every panic).
        unsafe { libc::atexit(flush_at_exit) };
    });
}

extern "C" fn flush_at_exit() {
    // Unwinding out of an exit handler would abort: contain anything that goes wrong.
    let _ = std::panic::catch_unwind(|| {
        if let Some(session) = shared::try_current() {
            state::retire(session.generation);
            session.flush_patiently(Duration::from_secs(2), true);
        }
    });
}
