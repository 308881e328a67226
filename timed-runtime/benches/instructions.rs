//! Instructions per call of `#[timed]`, counted by callgrind: a figure that does not move when
//! the machine is busy, so a change to the hot path can be judged anywhere.
//!
//! The loop of one mode runs in `calls`, the only function callgrind is told to count:
//!
//! ```text
//! cargo bench -p timed-runtime --bench instructions --no-run
//! valgrind --tool=callgrind --toggle-collect='instructions::calls' \
//!     --callgrind-out-file=/tmp/full.out target/release/deps/instructions-<hash> full 100000
//! callgrind_annotate /tmp/full.out | head
//! ```
//!
//! Instructions per call of a mode = (its total - the `bare` total) / calls. Only the calling
//! thread's instructions are counted (the writer thread never runs inside `calls`). The function
//! timed is the overhead bench's `timed_call`, and the session is set up as that bench does.
//! Run without valgrind, it is a smoke test of the same loop.

use std::hint::black_box;

use timed_runtime::{Config, Mode, timed};

#[inline(never)]
fn bare(x: u64) -> u64 {
    black_box(x).rotate_left(7) ^ 0x9E37_79B9
}

#[timed(phase = "bench", component = "overhead")]
#[inline(never)]
fn timed_call(x: u64) -> u64 {
    black_box(x).rotate_left(7) ^ 0x9E37_79B9
}

/// The counted loop.
#[inline(never)]
fn calls(n: u64, timed: bool) {
    if timed {
        for i in 0..n {
            black_box(timed_call(i));
        }
    } else {
        for i in 0..n {
            black_box(bare(i));
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|arg| arg != "--bench");
    let mode = args.next().unwrap_or_else(|| "full".to_owned());
    let n: u64 = args
        .next()
        .and_then(|text| text.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (session_mode, timed) = match mode.as_str() {
        "bare" => (Mode::Off, false),
        "off" => (Mode::Off, true),
        "summary" => (Mode::Summary, true),
        "full" => (Mode::Full, true),
        other => panic!("unknown mode {other:?}: bare, off, summary or full"),
    };
    let session = Config::new()
        .mode(session_mode)
        .dir(dir.path())
        .ignore_env()
        .init()
        .expect("a session in a temporary directory");
    // The thread's first recorded call registers it: not part of the steady state counted.
    black_box(timed_call(0));
    calls(n, timed);
    session.finish().expect("the final flush");
    println!(
        "instructions: {n} calls in mode {mode}; under callgrind, see this file's header for the \
         per-call count"
    );
}
