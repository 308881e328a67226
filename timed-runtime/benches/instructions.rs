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
//! Beside the modes (`off`, `summary`, `full`): `floor`, the two clock readings a timed call
//! takes and nothing else, and `fastrace`, its `#[trace]` on the same function under a root span
//! per 1,000 calls, as in the overhead bench (its collector thread is not counted, as our writer
//! is not). The overhead bench runs all of them under callgrind when valgrind is installed.
//! Run without valgrind, it is a smoke test of the same loops.

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

#[fastrace::trace]
#[inline(never)]
fn fastrace_call(x: u64) -> u64 {
    black_box(x).rotate_left(7) ^ 0x9E37_79B9
}

/// The clock readings of a timed call around the same body, and nothing else: the time-stamp
/// counter, read as the runtime reads it (`session.clock()` says it does on this machine).
#[inline(never)]
fn floor_call(x: u64) -> u64 {
    let start = tsc();
    let value = black_box(x).rotate_left(7) ^ 0x9E37_79B9;
    black_box(tsc().wrapping_sub(start));
    value
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn tsc() -> u64 {
    // SAFETY: RDTSC exists on every x86_64 CPU and has no preconditions.
    unsafe { core::arch::x86_64::_rdtsc() }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn tsc() -> u64 {
    // Elsewhere the runtime reads `Instant`.
    std::time::Instant::now().elapsed().as_nanos() as u64
}

#[derive(Clone, Copy, PartialEq)]
enum Loop {
    Bare,
    Timed,
    Floor,
    Fastrace,
}

/// The counted loop.
#[inline(never)]
fn calls(n: u64, which: Loop) {
    match which {
        Loop::Bare => {
            for i in 0..n {
                black_box(bare(i));
            }
        }
        Loop::Timed => {
            for i in 0..n {
                black_box(timed_call(i));
            }
        }
        Loop::Floor => {
            for i in 0..n {
                black_box(floor_call(i));
            }
        }
        Loop::Fastrace => {
            use fastrace::prelude::*;
            // A root per 1,000 calls: fastrace holds a trace's spans until its root ends.
            let mut root = None;
            for i in 0..n {
                if i % 1_000 == 0 {
                    drop(root.take());
                    let span = Span::root("bench", SpanContext::random());
                    let guard = span.set_local_parent();
                    root = Some((guard, span));
                }
                black_box(fastrace_call(i));
            }
            drop(root);
        }
    }
}

/// Fastrace's spans go nowhere: reporting runs on its collector thread, which is not counted.
struct Discard;

impl fastrace::collector::Reporter for Discard {
    fn report(&mut self, spans: Vec<fastrace::collector::SpanRecord>) {
        black_box(spans);
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
    let (session_mode, which) = match mode.as_str() {
        "bare" => (Mode::Off, Loop::Bare),
        "off" => (Mode::Off, Loop::Timed),
        "summary" => (Mode::Summary, Loop::Timed),
        "full" => (Mode::Full, Loop::Timed),
        "floor" => (Mode::Off, Loop::Floor),
        "fastrace" => (Mode::Off, Loop::Fastrace),
        other => panic!("unknown mode {other:?}: bare, off, summary, full, floor or fastrace"),
    };
    if which == Loop::Fastrace {
        fastrace::set_reporter(Discard, fastrace::collector::Config::default());
    }
    let session = Config::new()
        .mode(session_mode)
        .dir(dir.path())
        .ignore_env()
        .init()
        .expect("a session in a temporary directory");
    // The thread's first recorded call registers it: not part of the steady state counted.
    black_box(timed_call(0));
    calls(n, which);
    session.finish().expect("the final flush");
    fastrace::flush();
    println!(
        "instructions: {n} calls in mode {mode}; under callgrind, see this file's header for the \
         per-call count"
    );
}
