//! `cargo bench -p timed-runtime`: what `#[timed]` costs per call, each figure beside its target
//! and beside the anchors measured in the same run:
//! - the floor: two readings of the clock the runtime reads (the time-stamp counter where the
//!   session chose it), around the same body, and nothing else; each mode is also given as a
//!   multiple of it;
//! - `compile-off`: the runtime's feature that leaves functions as written (a program built
//!   with it apart, `tests/compile_off/`, by Cargo in its own target directory);
//! - two `Instant::now()` calls; `fastrace`'s `#[trace]` under a root span per 1,000 calls with
//!   a reporter writing spans to a file; `tracing`'s `#[instrument]` logging span closes to a
//!   file through a non-blocking writer. With `--features tracing`, also `#[instrument]`
//!   recorded by our `TimedLayer` into a full session.
//!
//! Per call, over a bare call of the same function, median of repeats:
//! - "1 thread", "2 threads": the calling threads' CPU time (so a writer thread competing for the
//!   core does not inflate it; waits for ring space sleep rather than spin, and are excluded);
//! - "process CPU": the whole process's CPU time, the writer's formatting and the final flush
//!   included, divided by the calls.
//!
//! Beside the times, instructions per call counted by callgrind (when valgrind is installed):
//! the bench runs itself under callgrind for each loop of `counted/mod.rs` (the loops of
//! `benches/instructions.rs`), a figure a busy machine does not move.
//!
//! `BENCH_REPEATS` (default 7) and `BENCH_SCALE` (default 1.0, multiplies the call counts) tune it.

mod counted;

use std::fs::File;
use std::hint::black_box;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use counted::{bare, fastrace_call, floor_call, timed_call};
use timed_runtime::{ClockKind, Config, Mode};

#[tracing::instrument(level = "info", skip_all)]
#[inline(never)]
fn traced_call(x: u64) -> u64 {
    black_box(x).rotate_left(7) ^ 0x9E37_79B9
}

fn cpu_time(clock: libc::clockid_t) -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `clock` is one of the CPU-time clocks Linux always provides, and `now` is a live,
    // writable `timespec` for the call to fill.
    unsafe { libc::clock_gettime(clock, &mut now) };
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// One repeat: the calling threads' CPU per call, and the process's CPU per call.
struct Sample {
    thread_ns: f64,
    process_ns: f64,
}

/// Runs `calls` calls of `body` on each of `threads` threads; `finish` runs after the threads
/// (the final flush) and is charged to the process CPU.
fn measure(threads: usize, calls: u64, body: impl Fn(u64) + Sync, finish: impl FnOnce()) -> Sample {
    let process_start = cpu_time(libc::CLOCK_PROCESS_CPUTIME_ID);
    let thread_cpu: Vec<Duration> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let start = cpu_time(libc::CLOCK_THREAD_CPUTIME_ID);
                    for i in 0..calls {
                        body(i);
                    }
                    cpu_time(libc::CLOCK_THREAD_CPUTIME_ID) - start
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    finish();
    let process = cpu_time(libc::CLOCK_PROCESS_CPUTIME_ID) - process_start;
    let total_calls = (threads as u64 * calls) as f64;
    Sample {
        thread_ns: thread_cpu.iter().map(Duration::as_nanos).sum::<u128>() as f64 / total_calls,
        process_ns: process.as_nanos() as f64 / total_calls,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

#[derive(Clone, Copy)]
struct Figures {
    thread_ns: f64,
    process_ns: f64,
}

fn repeat(repeats: usize, mut one: impl FnMut() -> Sample) -> Figures {
    let samples: Vec<Sample> = (0..repeats).map(|_| one()).collect();
    Figures {
        thread_ns: median(samples.iter().map(|s| s.thread_ns).collect()),
        process_ns: median(samples.iter().map(|s| s.process_ns).collect()),
    }
}

fn ours(mode: Mode, threads: usize, calls: u64, repeats: usize, dir: &Path) -> Figures {
    repeat(repeats, || {
        // A directory per repeat, removed after it: a session keeps the earlier run's logs (in
        // `runs/`), which would pile up gigabytes over the repeats.
        let run_dir = tempfile::tempdir_in(dir).expect("a temporary directory");
        let session = Config::new()
            .mode(mode)
            .dir(run_dir.path())
            .ignore_env()
            .init()
            .expect("a session in the bench's temporary directory");
        measure(
            threads,
            calls,
            |i| {
                black_box(timed_call(i));
            },
            || session.finish().expect("the final flush"),
        )
    })
}

fn plain(threads: usize, calls: u64, repeats: usize, body: impl Fn(u64) + Sync) -> Figures {
    repeat(repeats, || measure(threads, calls, &body, || {}))
}

/// Two readings of the clock the runtime reads, around the bare call's body.
fn floor(clock: ClockKind, threads: usize, calls: u64, repeats: usize) -> Figures {
    match clock {
        ClockKind::Tsc => plain(threads, calls, repeats, |i| {
            black_box(floor_call(i));
        }),
        ClockKind::Instant => two_instants(threads, calls, repeats),
    }
}

fn two_instants(threads: usize, calls: u64, repeats: usize) -> Figures {
    plain(threads, calls, repeats, |i| {
        let start = std::time::Instant::now();
        black_box(bare(i));
        black_box(start.elapsed());
    })
}

fn tracing_file(threads: usize, calls: u64, repeats: usize, dir: &Path) -> Figures {
    use tracing_subscriber::fmt::format::FmtSpan;
    repeat(repeats, || {
        let file = File::create(dir.join("tracing.log")).unwrap();
        // Lossless, as ours: a full channel blocks instead of dropping lines.
        let (writer, flush_guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
            .lossy(false)
            .finish(file);
        let subscriber = tracing_subscriber::fmt()
            .with_writer(writer)
            .with_ansi(false)
            .with_span_events(FmtSpan::CLOSE)
            .finish();
        let dispatch = tracing::Dispatch::new(subscriber);
        measure(
            threads,
            calls,
            |i| {
                tracing::dispatcher::with_default(&dispatch, || {
                    black_box(traced_call(i));
                })
            },
            || drop(flush_guard),
        )
    })
}

/// `#[instrument]` spans recorded by `TimedLayer` into a full session, as rows of our log.
#[cfg(feature = "tracing")]
fn tracing_timed_layer(threads: usize, calls: u64, repeats: usize, dir: &Path) -> Figures {
    use tracing_subscriber::layer::SubscriberExt;
    repeat(repeats, || {
        let run_dir = tempfile::tempdir_in(dir).expect("a temporary directory");
        let session = Config::new()
            .mode(Mode::Full)
            .dir(run_dir.path())
            .ignore_env()
            .init()
            .expect("a session in the bench's temporary directory");
        let dispatch = tracing::Dispatch::new(
            tracing_subscriber::registry().with(timed_runtime::TimedLayer::new()),
        );
        measure(
            threads,
            calls,
            |i| {
                tracing::dispatcher::with_default(&dispatch, || {
                    black_box(traced_call(i));
                })
            },
            || session.finish().expect("the final flush"),
        )
    })
}

/// Writes each span as a line, as our writer writes each call as a row.
struct FileReporter(BufWriter<File>);

impl fastrace::collector::Reporter for FileReporter {
    fn report(&mut self, spans: Vec<fastrace::collector::SpanRecord>) {
        for span in spans {
            let _ = writeln!(
                self.0,
                "{},{},{},{},{}",
                span.begin_time_unix_ns,
                span.name,
                span.duration_ns,
                span.span_id.0,
                span.parent_id.0
            );
        }
        let _ = self.0.flush();
    }
}

fn fastrace_reporter(threads: usize, calls: u64, repeats: usize) -> Figures {
    use fastrace::prelude::*;
    repeat(repeats, || {
        measure(
            threads,
            calls,
            |i| {
                // A root per 1,000 calls: fastrace holds a trace's spans until its root ends.
                thread_local! {
                    static ROOT: std::cell::RefCell<Option<(Span, fastrace::local::LocalParentGuard)>> =
                        const { std::cell::RefCell::new(None) };
                }
                if i % 1_000 == 0 {
                    ROOT.with(|root| {
                        let mut root = root.borrow_mut();
                        if let Some((span, guard)) = root.take() {
                            drop(guard);
                            drop(span);
                        }
                        let span = Span::root("bench", SpanContext::random());
                        let guard = span.set_local_parent();
                        *root = Some((span, guard));
                    });
                }
                black_box(fastrace_call(i));
                if i % 1_000 == 999 {
                    ROOT.with(|root| {
                        if let Some((span, guard)) = root.borrow_mut().take() {
                            drop(guard);
                            drop(span);
                        }
                    });
                }
            },
            fastrace::flush,
        )
    })
}

/// The program built with `compile-off`: its manifest, and the target directory it is built in
/// (shared with `tests/compile_off.rs`).
fn compile_off_paths() -> (PathBuf, PathBuf) {
    (
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compile_off/Cargo.toml"),
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("compile-off"),
    )
}

/// Builds the program built with `compile-off`; its path.
fn build_compile_off() -> Result<PathBuf, String> {
    let (manifest, target) = compile_off_paths();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["build", "--release", "--quiet", "--locked", "--offline"])
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target)
        .output()
        .map_err(|error| format!("cargo: {error}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok(target.join("release/timed-compile-off"))
}

/// The program built with `compile-off`, timing its `#[timed]` function over a bare call on
/// `threads` threads (calling thread only: it has no writer).
fn compile_off(program: &Path, threads: usize, calls: u64, repeats: usize) -> Result<f64, String> {
    let output = Command::new(program)
        .args(["bench", &calls.to_string(), &repeats.to_string()])
        .arg(threads.to_string())
        .output()
        .map_err(|error| format!("{}: {error}", program.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("over_bare "))
        .and_then(|value| value.trim().parse().ok())
        .ok_or_else(|| format!("no figure from {}: {stdout}", program.display()))
}

/// Instructions per call of the `compile-off` program's timed function over its bare one.
fn compile_off_instructions(program: &Path, n: u64) -> Result<f64, String> {
    let total = |which: &str| {
        let args = vec!["instructions".to_owned(), which.to_owned(), n.to_string()];
        counted::callgrind_total(program, &args, "timed_compile_off::calls")
    };
    let bare = total("bare")?;
    Ok((total("timed")? as f64 - bare as f64) / n as f64)
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// A row of the table: its figures on 1 and 2 threads, its instructions per call, its target.
struct Row {
    name: &'static str,
    figures: [Option<Figures>; 2],
    instructions: Option<f64>,
    target: &'static str,
}

fn cell(value: Option<f64>, width: usize, decimals: usize) -> String {
    match value {
        Some(value) => format!("{value:>width$.decimals$}"),
        None => format!("{:>width$}", "-"),
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

fn main() {
    let mut args = std::env::args().skip(1);
    if let Some(first) = args.next()
        && first == "--counted"
    {
        // This binary run under callgrind by the bench itself: one counted loop.
        let name = args.next().expect("a loop");
        let n = args.next().and_then(|n| n.parse().ok()).expect("a count");
        counted::run(&name, n);
        return;
    }
    // `cargo bench` passes `--bench`; anything else (e.g. `cargo test --benches`) runs a smoke pass.
    let smoke = !std::env::args().any(|arg| arg == "--bench");
    let repeats = if smoke {
        1
    } else {
        env_number("BENCH_REPEATS", 7)
    };
    let scale: f64 = if smoke {
        0.01
    } else {
        env_number("BENCH_SCALE", 1.0)
    };
    let calls = |n: f64| ((n * scale) as u64).max(1_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    fastrace::set_reporter(
        FileReporter(BufWriter::new(
            File::create(dir.path().join("fastrace.log")).unwrap(),
        )),
        fastrace::collector::Config::default(),
    );
    // The clock the sessions read, chosen once per process (an off session chooses it too).
    let clock = {
        let probe = tempfile::tempdir_in(dir.path()).expect("a temporary directory");
        let session = Config::new()
            .mode(Mode::Off)
            .dir(probe.path())
            .ignore_env()
            .init()
            .expect("a session");
        let clock = session.clock();
        session.finish().expect("an off session ends");
        clock
    };

    // Instructions first: counting under valgrind does not compete with the timings.
    let mut instructions: Vec<(&str, f64)> = Vec::new();
    let mut instruction_note = String::new();
    let compile_off_program = if smoke {
        instruction_note = "skipped in a smoke run".to_owned();
        None
    } else {
        match build_compile_off() {
            Ok(program) => Some(program),
            Err(error) => {
                eprintln!("compile-off row skipped: the program could not be built: {error}");
                None
            }
        }
    };
    if !smoke {
        if counted::valgrind_available() {
            let own = std::env::current_exe().expect("the bench's own path");
            match counted::per_call_of_every_loop(&own, 100_000) {
                Ok(counts) => instructions = counts,
                Err(error) => instruction_note = format!("callgrind failed: {error}"),
            }
            if let Some(program) = &compile_off_program {
                match compile_off_instructions(program, 100_000) {
                    Ok(count) => instructions.push(("compile-off", count)),
                    Err(error) => instruction_note = format!("callgrind failed: {error}"),
                }
            }
        } else {
            instruction_note = "skipped: no valgrind".to_owned();
        }
    }
    let instructions_of = |name: &str| {
        instructions
            .iter()
            .find(|(loop_name, _)| *loop_name == name)
            .map(|&(_, count)| count)
    };

    let row = |name, loop_name: Option<&str>, target| Row {
        name,
        figures: [None; 2],
        instructions: loop_name.and_then(instructions_of),
        target,
    };
    let mut rows: Vec<Row> = vec![
        row("bare call (absolute)", None, ""),
        row("floor: two clock readings", Some("floor"), ""),
        row("#[timed] off", Some("off"), "<= 0.5 ns"),
        row("#[timed] compile-off", Some("compile-off"), "0 ns"),
        row(
            "#[timed] summary",
            Some("summary"),
            "<= 22 ns, <= 1.3x floor",
        ),
        row(
            "#[timed] full",
            Some("full"),
            "<= 1.5x floor, <= fastrace; process <= 1/3 fastrace's",
        ),
        row("anchor: two Instant::now()", None, ""),
        row("anchor: fastrace #[trace] + reporter", Some("fastrace"), ""),
        row("anchor: tracing #[instrument] to file", None, ""),
    ];
    #[cfg(feature = "tracing")]
    rows.push(row("tracing #[instrument] + TimedLayer", None, ""));

    for (slot, threads) in [1usize, 2].into_iter().enumerate() {
        let base = plain(threads, calls(4e6), repeats, |i| {
            black_box(bare(i));
        });
        let over = |figures: Figures| Figures {
            thread_ns: figures.thread_ns - base.thread_ns,
            process_ns: figures.process_ns - base.process_ns,
        };
        for row in &mut rows {
            let figures = match row.name {
                "bare call (absolute)" => Some(base),
                "floor: two clock readings" => {
                    Some(over(floor(clock, threads, calls(4e6), repeats)))
                }
                "#[timed] off" => Some(over(ours(
                    Mode::Off,
                    threads,
                    calls(4e6),
                    repeats,
                    dir.path(),
                ))),
                "#[timed] compile-off" => compile_off_program.as_ref().and_then(|program| {
                    match compile_off(program, threads, calls(4e6), repeats) {
                        Ok(ns) => Some(Figures {
                            thread_ns: ns,
                            process_ns: ns,
                        }),
                        Err(error) => {
                            eprintln!("compile-off row: {error}");
                            None
                        }
                    }
                }),
                "#[timed] summary" => Some(over(ours(
                    Mode::Summary,
                    threads,
                    calls(2e6),
                    repeats,
                    dir.path(),
                ))),
                "#[timed] full" => Some(over(ours(
                    Mode::Full,
                    threads,
                    calls(1e6),
                    repeats,
                    dir.path(),
                ))),
                "anchor: two Instant::now()" => {
                    Some(over(two_instants(threads, calls(2e6), repeats)))
                }
                "anchor: fastrace #[trace] + reporter" => {
                    Some(over(fastrace_reporter(threads, calls(3e5), repeats)))
                }
                "anchor: tracing #[instrument] to file" => {
                    Some(over(tracing_file(threads, calls(1e5), repeats, dir.path())))
                }
                #[cfg(feature = "tracing")]
                "tracing #[instrument] + TimedLayer" => Some(over(tracing_timed_layer(
                    threads,
                    calls(1e5),
                    repeats,
                    dir.path(),
                ))),
                _ => None,
            };
            row.figures[slot] = figures;
        }
    }

    let find = |name: &str| {
        rows.iter()
            .find(|row| row.name == name)
            .expect("a row of the table")
    };
    let floor_ns = find("floor: two clock readings")
        .figures
        .map(|f| f.map(|f| f.thread_ns));
    println!(
        "#[timed] per call, median of {repeats} repeats: ns of CPU over a bare call (the bare \
         call itself absolute); the floor is two readings of the clock the runtime reads ({}); \
         instructions per call counted by callgrind over a bare call",
        clock.as_str()
    );
    println!(
        "{:<38} {:>8} {:>11} {:>9} {:>11} {:>7} {:>8}   target",
        "", "1 thread", "process CPU", "2 threads", "process CPU", "x floor", "instr"
    );
    for row in &rows {
        let [one, two] = row.figures;
        let ratio = match (one, floor_ns[0]) {
            (Some(one), Some(floor)) if row.name.starts_with("#[timed]") && floor > 0.0 => {
                Some(one.thread_ns / floor)
            }
            _ => None,
        };
        println!(
            "{:<38} {} {} {} {} {} {}   {}",
            row.name,
            cell(one.map(|f| f.thread_ns), 8, 1),
            cell(one.map(|f| f.process_ns), 11, 1),
            cell(two.map(|f| f.thread_ns), 9, 1),
            cell(two.map(|f| f.process_ns), 11, 1),
            cell(ratio, 6, 2) + "x",
            cell(row.instructions, 8, 0),
            row.target
        );
    }
    if !instruction_note.is_empty() {
        println!("instructions per call: {instruction_note}");
    }

    println!();
    println!("Targets (calling thread unless said):");
    let thread = |name: &str, slot: usize| find(name).figures[slot].map(|f| f.thread_ns);
    let process = |name: &str, slot: usize| find(name).figures[slot].map(|f| f.process_ns);
    for (slot, label) in ["1 thread", "2 threads"].into_iter().enumerate() {
        let Some(floor) = floor_ns[slot] else {
            continue;
        };
        if let Some(off) = thread("#[timed] off", slot) {
            println!(
                "{label}: off {off:.2} ns (target <= 0.5 ns): {}",
                verdict(off <= 0.5)
            );
        }
        if let Some(compile_off) = thread("#[timed] compile-off", slot) {
            // The function is compiled as the bare one is: what the time shows is the noise of
            // two identical loops, and the instruction count, when there is one, is the proof.
            match instructions_of("compile-off") {
                Some(count) => println!(
                    "{label}: compile-off {compile_off:.2} ns, {count:.0} instructions per call \
                     over the bare call (target 0): {}",
                    verdict(count.abs() < 0.5)
                ),
                None => println!(
                    "{label}: compile-off {compile_off:.2} ns (target 0 ns, within the noise of \
                     two identical loops, |x| <= 0.5 ns): {}",
                    verdict(compile_off.abs() <= 0.5)
                ),
            }
        }
        if let Some(summary) = thread("#[timed] summary", slot) {
            println!(
                "{label}: summary {summary:.1} ns = {:.2}x the floor's {floor:.1} ns (targets <= 22 \
                 ns, <= 1.3x): {}",
                summary / floor,
                verdict(summary <= 22.0 && summary <= 1.3 * floor)
            );
        }
        if let (Some(full), Some(fastrace)) = (
            thread("#[timed] full", slot),
            thread("anchor: fastrace #[trace] + reporter", slot),
        ) {
            println!(
                "{label}: full {full:.1} ns = {:.2}x the floor (target <= 1.5x): {}; fastrace \
                 {fastrace:.1} ns, full / fastrace = {:.2} (target <= 1): {}",
                full / floor,
                verdict(full <= 1.5 * floor),
                full / fastrace,
                verdict(full <= fastrace)
            );
        }
        if let (Some(full), Some(fastrace)) = (
            process("#[timed] full", slot),
            process("anchor: fastrace #[trace] + reporter", slot),
        ) {
            println!(
                "{label}: process CPU, full {full:.1} ns against fastrace's {fastrace:.1} ns = \
                 {:.2} (target <= 1/3): {}",
                full / fastrace,
                verdict(full * 3.0 <= fastrace)
            );
        }
        if let (Some(full), Some(tracing), Some(full_cpu), Some(tracing_cpu)) = (
            thread("#[timed] full", slot),
            thread("anchor: tracing #[instrument] to file", slot),
            process("#[timed] full", slot),
            process("anchor: tracing #[instrument] to file", slot),
        ) {
            println!(
                "{label}: tracing to a file / full = {:.0}x calling thread, {:.0}x process CPU",
                tracing / full,
                tracing_cpu / full_cpu
            );
        }
        #[cfg(feature = "tracing")]
        if let (Some(layer), Some(fmt), Some(layer_cpu), Some(fmt_cpu)) = (
            thread("tracing #[instrument] + TimedLayer", slot),
            thread("anchor: tracing #[instrument] to file", slot),
            process("tracing #[instrument] + TimedLayer", slot),
            process("anchor: tracing #[instrument] to file", slot),
        ) {
            println!(
                "{label}: tracing's fmt layer / TimedLayer = {:.1}x calling thread, {:.1}x process \
                 CPU",
                fmt / layer,
                fmt_cpu / layer_cpu,
            );
        }
    }
    if let (Some(full), Some(fastrace)) = (instructions_of("full"), instructions_of("fastrace")) {
        println!(
            "instructions per call: summary {}, full {full:.0}, fastrace {fastrace:.0}, floor {}, \
             off {}, compile-off {}",
            cell(instructions_of("summary"), 0, 0),
            cell(instructions_of("floor"), 0, 0),
            cell(instructions_of("off"), 0, 0),
            cell(instructions_of("compile-off"), 0, 0),
        );
    }
}
