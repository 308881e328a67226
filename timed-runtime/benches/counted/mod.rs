//! The loops whose instructions callgrind counts, shared by `benches/instructions.rs` (one loop
//! per run, for a person at a shell) and `benches/overhead.rs` (which runs itself under callgrind
//! for every loop, and prints the counts beside its times).
//!
//! Each loop runs in `calls`, the only function callgrind is told to count (`TOGGLE`), after a
//! session was set up as the overhead bench sets it up and the thread's first recorded call made
//! (which registers the thread: not the steady state). Instructions per call of a loop = (its
//! total - the `bare` loop's total) / calls. Only the calling thread is counted: our writer
//! thread and fastrace's collector never run inside `calls`.

// Each bench uses a part of it.
#![allow(dead_code)]

use std::hint::black_box;
use std::path::Path;
use std::process::Command;

use timed_runtime::{Config, Mode, timed};

/// Where callgrind starts and stops counting (`--toggle-collect`).
pub const TOGGLE: &str = "*::counted::calls";

#[inline(never)]
pub fn bare(x: u64) -> u64 {
    black_box(x).rotate_left(7) ^ 0x9E37_79B9
}

#[timed(phase = "bench", component = "overhead")]
#[inline(never)]
pub fn timed_call(x: u64) -> u64 {
    black_box(x).rotate_left(7) ^ 0x9E37_79B9
}

#[fastrace::trace]
#[inline(never)]
pub fn fastrace_call(x: u64) -> u64 {
    black_box(x).rotate_left(7) ^ 0x9E37_79B9
}

/// The same body between two readings of the time-stamp counter, as a timed call reads it, and
/// nothing else: the floor of a timed call (where the session's clock is the counter).
#[inline(never)]
pub fn floor_call(x: u64) -> u64 {
    let start = tsc();
    let value = black_box(x).rotate_left(7) ^ 0x9E37_79B9;
    black_box(tsc().wrapping_sub(start));
    value
}

/// The counter as the runtime reads it.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub fn tsc() -> u64 {
    // SAFETY: RDTSC exists on every x86_64 CPU and has no preconditions.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Elsewhere the runtime reads `Instant`.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub fn tsc() -> u64 {
    use std::sync::OnceLock;
    static BASE: OnceLock<std::time::Instant> = OnceLock::new();
    BASE.get_or_init(std::time::Instant::now)
        .elapsed()
        .as_nanos() as u64
}

/// The loops that can be counted, by the name `run` takes.
pub const LOOPS: [&str; 6] = ["bare", "off", "summary", "full", "floor", "fastrace"];

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
            // A root per 1,000 calls, as in the overhead bench: fastrace holds a trace's spans
            // until its root ends.
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

/// Runs loop `name` (one of `LOOPS`) `n` times, in the session it needs.
pub fn run(name: &str, n: u64) {
    let (mode, which) = match name {
        "bare" => (Mode::Off, Loop::Bare),
        "off" => (Mode::Off, Loop::Timed),
        "summary" => (Mode::Summary, Loop::Timed),
        "full" => (Mode::Full, Loop::Timed),
        "floor" => (Mode::Off, Loop::Floor),
        "fastrace" => (Mode::Off, Loop::Fastrace),
        other => panic!("unknown loop {other:?}: one of {LOOPS:?}"),
    };
    if which == Loop::Fastrace {
        fastrace::set_reporter(Discard, fastrace::collector::Config::default());
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let session = Config::new()
        .mode(mode)
        .dir(dir.path())
        .ignore_env()
        .init()
        .expect("a session in a temporary directory");
    // The thread's first recorded call registers it: not part of the steady state counted.
    black_box(timed_call(0));
    calls(n, which);
    session.finish().expect("the final flush");
    fastrace::flush();
}

/// Whether `valgrind` can be run.
pub fn valgrind_available() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// The instructions callgrind counts in the function `toggle` when it runs `program` with
/// `args`.
pub fn callgrind_total(program: &Path, args: &[String], toggle: &str) -> Result<u64, String> {
    let out = tempfile::NamedTempFile::new().map_err(|error| error.to_string())?;
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--toggle-collect={toggle}"))
        .arg(format!("--callgrind-out-file={}", out.path().display()))
        .arg(program)
        .args(args)
        .output()
        .map_err(|error| format!("valgrind: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "valgrind {} {args:?}: {}",
            program.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let text = std::fs::read_to_string(out.path()).map_err(|error| error.to_string())?;
    text.lines()
        .find_map(|line| {
            line.strip_prefix("totals:")
                .or(line.strip_prefix("summary:"))
        })
        .and_then(|total| total.trim().parse().ok())
        .ok_or_else(|| format!("no total in callgrind's output for {args:?}"))
}

/// Instructions per call of each loop of `LOOPS` but `bare`, over `bare`, counted by running
/// `program` (built with this module) with `--counted LOOP N` under callgrind.
pub fn per_call_of_every_loop(program: &Path, n: u64) -> Result<Vec<(&'static str, f64)>, String> {
    let total = |name: &str| {
        let args = vec!["--counted".to_owned(), name.to_owned(), n.to_string()];
        callgrind_total(program, &args, TOGGLE)
    };
    let bare = total("bare")?;
    LOOPS[1..]
        .iter()
        .map(|&name| Ok((name, (total(name)? as f64 - bare as f64) / n as f64)))
        .collect()
}
