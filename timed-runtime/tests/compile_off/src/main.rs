//! `#[timed]` under the runtime's `compile-off` feature.
//!
//! - `check DIR`: calls timed functions of every kind while a full session records into DIR,
//!   and prints what the program sees (`tests/compile_off.rs` reads the files too);
//! - `bench CALLS REPEATS THREADS`: calling-thread CPU per call of the overhead bench's timed
//!   function over a bare call, on each of THREADS threads, median of the repeats;
//! - `instructions bare|timed CALLS`: the loop callgrind counts (`calls`), as in
//!   `benches/instructions.rs`.

use std::hint::black_box;
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

#[timed(phase = "check", component = "compile_off")]
fn add<T: std::ops::Add<Output = T>>(a: T, b: T) -> T {
    timed_runtime::detail("ignored", 1);
    a + b
}

struct Counter(u32);

impl Counter {
    #[timed(name = "bump")]
    fn bump(&mut self) -> Result<u32, String> {
        self.0 += 1;
        if self.0 > 100 {
            return Err("too many".into());
        }
        Ok(self.0)
    }
}

#[timed(phase = "check", component = "compile_off")]
async fn later(x: u32) -> u32 {
    x + 1
}

/// Polls a future that never waits, to its end.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(value) = future.as_mut().poll(&mut context) {
            return value;
        }
    }
}

fn check(dir: &str) {
    println!("sites {}", timed_runtime::sites().len());
    let session = Config::new()
        .mode(Mode::Full)
        .dir(dir)
        .ignore_env()
        .init()
        .expect("a session");
    let mut counter = Counter(0);
    for _ in 0..3 {
        counter.bump().expect("below the limit");
    }
    println!("add {}", add(2, 3));
    println!("counter {}", counter.0);
    println!("later {}", block_on(later(41)));
    println!("timed_call {}", timed_call(1));
    println!("current_call {:?}", timed_runtime::current_call());
    println!("snapshot {}", timed_runtime::snapshot().len());
    session.finish().expect("the final flush");
}

fn thread_cpu() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: CLOCK_THREAD_CPUTIME_ID is a clock Linux always provides, and `now` is a live,
    // writable `timespec` for the call to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

fn per_call(calls: u64, body: impl Fn(u64)) -> f64 {
    let start = thread_cpu();
    for i in 0..calls {
        body(i);
    }
    (thread_cpu() - start).as_nanos() as f64 / calls as f64
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

fn bench(calls: u64, repeats: usize, threads: usize) {
    // A full session, as for the overhead bench's `full` row: nothing is recorded all the same.
    let dir = std::env::temp_dir().join(format!("timed-compile-off-{}", std::process::id()));
    let session = Config::new()
        .mode(Mode::Full)
        .dir(&dir)
        .ignore_env()
        .init()
        .expect("a session");
    // Each thread's CPU per call, averaged over the threads, as the overhead bench does.
    let on_threads = |body: fn(u64) -> u64| {
        let total: f64 = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads.max(1))
                .map(|_| {
                    scope.spawn(move || {
                        per_call(calls, |i| {
                            black_box(body(i));
                        })
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().unwrap())
                .sum()
        });
        total / threads.max(1) as f64
    };
    let (mut timed, mut bases) = (Vec::new(), Vec::new());
    for _ in 0..repeats.max(1) {
        bases.push(on_threads(bare));
        timed.push(on_threads(timed_call));
    }
    session.finish().expect("the final flush");
    let _ = std::fs::remove_dir_all(&dir);
    let over: Vec<f64> = timed.iter().zip(&bases).map(|(t, b)| t - b).collect();
    println!("bare {:.3}", median(bases));
    println!("over_bare {:.3}", median(over));
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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |index: usize, default: u64| {
        args.get(index)
            .and_then(|text| text.parse().ok())
            .unwrap_or(default)
    };
    match args.first().map(String::as_str) {
        Some("check") => check(args.get(1).expect("check DIR")),
        Some("bench") => bench(
            number(1, 4_000_000),
            number(2, 7) as usize,
            number(3, 1) as usize,
        ),
        Some("instructions") => {
            let timed = args.get(1).is_some_and(|which| which == "timed");
            calls(number(2, 100_000), timed);
        }
        _ => {
            eprintln!(
                "usage: check DIR | bench CALLS REPEATS THREADS | instructions bare|timed CALLS"
            );
            std::process::exit(2);
        }
    }
}
