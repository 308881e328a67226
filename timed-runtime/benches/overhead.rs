//! `cargo bench -p timed-runtime`: what `#[timed]` costs per call, beside the anchors measured in
//! the same run (two `Instant::now()` calls, `tracing`'s `#[instrument]` logging span closes to a
//! file through a non-blocking writer, and `fastrace`'s `#[trace]` under a root span with a
//! reporter writing spans to a file). With `--features tracing`, also `tracing`'s `#[instrument]`
//! recorded by our `TimedLayer` into a full session, beside the same spans through `tracing`'s fmt
//! layer (the anchor above).
//!
//! Per call, over a bare call of the same function, median of repeats:
//! - "calling thread": the calling thread's CPU time (so a writer thread competing for the core
//!   does not inflate it; waits for ring space sleep rather than spin, and are excluded too);
//! - "process CPU": the whole process's CPU time, the writer's formatting and the final flush
//!   included, divided by the calls.
//!
//! `BENCH_REPEATS` (default 7) and `BENCH_SCALE` (default 1.0, multiplies the call counts) tune it.

use std::fs::File;
use std::hint::black_box;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Duration;

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

#[tracing::instrument(level = "info", skip_all)]
#[inline(never)]
fn traced_call(x: u64) -> u64 {
    black_box(x).rotate_left(7) ^ 0x9E37_79B9
}

#[fastrace::trace]
#[inline(never)]
fn fastrace_call(x: u64) -> u64 {
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

fn two_instants(threads: usize, calls: u64, repeats: usize) -> Figures {
    repeat(repeats, || {
        measure(
            threads,
            calls,
            |i| {
                let start = std::time::Instant::now();
                black_box(bare(i));
                black_box(start.elapsed());
            },
            || {},
        )
    })
}

fn bare_calls(threads: usize, calls: u64, repeats: usize) -> Figures {
    repeat(repeats, || {
        measure(
            threads,
            calls,
            |i| {
                black_box(bare(i));
            },
            || {},
        )
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
        let session = Config::new()
            .mode(Mode::Full)
            .dir(dir)
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

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn main() {
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

    println!("#[timed] overhead per call, median of {repeats} repeats (ns over a bare call)");
    println!(
        "{:<34} {:>9} {:>12} {:>9} {:>12}   target",
        "", "1 thread", "process CPU", "2 threads", "process CPU"
    );
    let mut full_by_threads = Vec::new();
    for threads in [1usize, 2] {
        let base = bare_calls(threads, calls(4e6), repeats);
        #[allow(unused_mut)]
        let mut rows: Vec<(&str, Figures, &str)> = vec![
            ("bare call (absolute)", base, ""),
            (
                "#[timed] off",
                ours(Mode::Off, threads, calls(4e6), repeats, dir.path()),
                "<= 1 ns",
            ),
            (
                "#[timed] summary",
                ours(Mode::Summary, threads, calls(2e6), repeats, dir.path()),
                "<= 25 ns",
            ),
            (
                "#[timed] full",
                ours(Mode::Full, threads, calls(1e6), repeats, dir.path()),
                "<= 40 ns, <= 150 ns process CPU",
            ),
            (
                "anchor: two Instant::now()",
                two_instants(threads, calls(2e6), repeats),
                "",
            ),
            (
                "anchor: fastrace #[trace] + reporter",
                fastrace_reporter(threads, calls(3e5), repeats),
                "",
            ),
            (
                "anchor: tracing #[instrument] to file",
                tracing_file(threads, calls(1e5), repeats, dir.path()),
                "",
            ),
        ];
        #[cfg(feature = "tracing")]
        rows.push((
            "tracing #[instrument] + TimedLayer",
            tracing_timed_layer(threads, calls(1e5), repeats, dir.path()),
            "",
        ));
        let bare_thread = rows[0].1.thread_ns;
        let bare_process = rows[0].1.process_ns;
        let mut table = Vec::new();
        for (name, figures, target) in &rows {
            let (thread, process) = if *name == "bare call (absolute)" {
                (figures.thread_ns, figures.process_ns)
            } else {
                (
                    figures.thread_ns - bare_thread,
                    figures.process_ns - bare_process,
                )
            };
            table.push((name.to_string(), thread, process, target.to_string()));
        }
        full_by_threads.push(table);
    }
    let one = &full_by_threads[0];
    let two = &full_by_threads[1];
    for (a, b) in one.iter().zip(two) {
        println!(
            "{:<34} {:>9.1} {:>12.1} {:>9.1} {:>12.1}   {}",
            a.0, a.1, a.2, b.1, b.2, a.3
        );
    }
    let find = |table: &Vec<(String, f64, f64, String)>, name: &str| {
        table
            .iter()
            .find(|row| row.0 == name)
            .map(|row| (row.1, row.2))
            .unwrap()
    };
    for (label, table) in [("1 thread", one), ("2 threads", two)] {
        #[cfg(feature = "tracing")]
        {
            let (layer, layer_cpu) = find(table, "tracing #[instrument] + TimedLayer");
            let (fmt, fmt_cpu) = find(table, "anchor: tracing #[instrument] to file");
            println!(
                "{label}: tracing's fmt layer / TimedLayer = {:.1}x calling thread, {:.1}x process \
                 CPU",
                fmt / layer,
                fmt_cpu / layer_cpu,
            );
        }
        let (full, full_cpu) = find(table, "#[timed] full");
        let (fastrace, fastrace_cpu) = find(table, "anchor: fastrace #[trace] + reporter");
        let (tracing, tracing_cpu) = find(table, "anchor: tracing #[instrument] to file");
        // Like for like (calling thread against calling thread, process against process), and
        // the framing: what the anchor costs the program per call in all, against what
        // ours costs the calling thread (our writer's formatting runs off the hot path).
        println!(
            "{label}: fastrace / full = {:.1}x calling thread, {:.1}x process CPU, \
             {:.1}x its process CPU over our calling thread (target >= 8x)",
            fastrace / full,
            fastrace_cpu / full_cpu,
            fastrace_cpu / full,
        );
        println!(
            "{label}: tracing / full = {:.0}x calling thread, {:.0}x process CPU, \
             {:.0}x its process CPU over our calling thread (target >= 70x)",
            tracing / full,
            tracing_cpu / full_cpu,
            tracing_cpu / full,
        );
    }
}
