//! Throughput of the PPO loop in the JAX anchor's configuration (256 envs x 32 steps, 4 epochs
//! x 4 minibatches of 2048, hidden 256-256, f32), then the anchor itself on the same budget.
//!
//! `cargo bench -p trainer --bench train_speed [-- --seconds 60 --skip-anchor --skip-gemm]`
//! Environment: `TRAIN_SPEED_SECONDS` (default 60), `JAX_VENV` (default /tmp/jaxvenv).
//!
//! Sections: (1) the three matrix products of a 2048x256x256 layer on one thread and split
//! over two threads (the data-parallel layout the trainer uses); (2) our loop for the budget,
//! reporting env steps/s for rollout + update and for the rollout alone, GFLOP/s, CPU cores
//! busy and heap allocations inside the timed loop, and the loop's rate of matrix products beside
//! the same products timed alone (the share of the loop that is matrix products; target 85%);
//! (3) the anchor's `ppo_2048.py`.

use ndarray::{Array2, ArrayViewMut2, s};
use std::alloc::{GlobalAlloc, Layout, System};
use std::ops::Range;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use trainer::model::linalg::{Write, matmul_into};
use trainer::ppo::parallel::for_each_indexed;
use trainer::ppo::{PpoConfig, Trainer};

/// Counts heap allocations, to show the steady-state loop makes none of its own.
struct CountingAllocator;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: `GlobalAlloc` requires memory that stays valid until deallocated and no unwinding:
// every method passes its arguments unchanged to `System`, which keeps that contract, and the
// only other work is an atomic increment, which neither allocates nor panics.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `layout` has a non-zero size, as `alloc`'s caller guarantees; `System.alloc`
        // asks for nothing more.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller guarantees `ptr` was allocated by this allocator with `layout`,
        // and this allocator's blocks are `System`'s.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller guarantees `ptr` is this allocator's (so `System`'s) block of
        // `layout`, and that `new_size` is non-zero and valid for `layout`'s alignment.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const ANCHOR_DIR: &str = "/work/shared/anchors/jax_ppo_2048";
/// The anchor's 256 x 32 figure from its README, used when the anchor is not run.
const ANCHOR_README_SPS: f64 = 45_785.0;

struct Options {
    seconds: f64,
    run_anchor: bool,
    run_gemm: bool,
}

fn options() -> Options {
    let mut opts = Options {
        seconds: std::env::var("TRAIN_SPEED_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(60.0),
        run_anchor: true,
        run_gemm: true,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--seconds" => {
                i += 1;
                opts.seconds = args.get(i).and_then(|s| s.parse().ok()).unwrap_or_else(|| {
                    eprintln!("--seconds needs a number");
                    std::process::exit(2)
                });
            }
            "--skip-anchor" => opts.run_anchor = false,
            "--skip-gemm" => opts.run_gemm = false,
            _ => {} // cargo bench passes `--bench`
        }
        i += 1;
    }
    opts
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn cpu_seconds() -> f64 {
    // SAFETY: `rusage` is plain integers, for which all-zero bytes are a valid value, and
    // `getrusage` writes only into the struct it is given, which lives until it returns.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Median seconds of `f` over 15 repeats of 10 calls, after 5 warm-up calls.
fn time_median(mut f: impl FnMut()) -> f64 {
    for _ in 0..5 {
        f();
    }
    median(
        (0..15)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..10 {
                    f();
                }
                start.elapsed().as_secs_f64() / 10.0
            })
            .collect(),
    )
}

fn gemm_section() {
    let (m, k, n) = (2048usize, 256usize, 256usize);
    let x = Array2::from_shape_fn((m, k), |(i, j)| {
        ((((i * k + j) * 7919) % 1000) as f32) / 1000.0
    });
    let w = Array2::from_shape_fn((k, n), |(i, j)| {
        ((((i * n + j) * 104_729) % 1000) as f32) / 1000.0
    });
    let dz = Array2::from_shape_fn((m, n), |(i, j)| {
        ((((i * n + j) * 31) % 1000) as f32) / 1000.0
    });
    let flop = 2.0 * (m * n * k) as f64;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("thread pool");
    println!(
        "== matrix products, {m}x{k}x{n} f32 (faer matmul on ndarray views, single-threaded kernels)"
    );
    println!("{:<28} {:>12} {:>12}", "product", "1 thread", "2 threads");
    // Each product on a block of rows of the batch: forward X*W, weight gradient X^T*dZ, input
    // gradient dZ*W^T. With two threads each takes half the rows (the weight gradient then
    // needs a sum of the two halves, included).
    type Product =
        fn(Range<usize>, &Array2<f32>, &Array2<f32>, &Array2<f32>, ArrayViewMut2<'_, f32>);
    let products: [(&str, Product, bool); 3] = [
        (
            "X*W (forward)",
            |rows, x, w, _dz, out| {
                matmul_into(out, x.slice(s![rows, ..]), w.view(), Write::Overwrite)
            },
            true,
        ),
        (
            "X^T*dZ (weight grad)",
            |rows, x, _w, dz, out| {
                let (x, dz) = (x.slice(s![rows.clone(), ..]), dz.slice(s![rows, ..]));
                matmul_into(out, x.t(), dz, Write::Overwrite)
            },
            false,
        ),
        (
            "dZ*W^T (input grad)",
            |rows, _x, w, dz, out| {
                matmul_into(out, dz.slice(s![rows, ..]), w.t(), Write::Overwrite)
            },
            true,
        ),
    ];
    for (name, product, per_row_output) in products {
        let out_shape = |rows: usize| if per_row_output { (rows, n) } else { (k, n) };
        let mut out = Array2::<f32>::zeros(out_shape(m));
        let one = time_median(|| product(0..m, &x, &w, &dz, out.view_mut()));
        let half = m / 2;
        let mut a = Array2::<f32>::zeros(out_shape(half));
        let mut b = Array2::<f32>::zeros(out_shape(half));
        let two = time_median(|| {
            pool.join(
                || product(0..half, &x, &w, &dz, a.view_mut()),
                || product(half..m, &x, &w, &dz, b.view_mut()),
            );
            if !per_row_output {
                a += &b;
            }
        });
        println!(
            "{name:<28} {:>7.1} GF/s {:>7.1} GF/s",
            flop / one / 1e9,
            flop / two / 1e9
        );
    }
}

/// The matrix products one PPO iteration performs, timed alone: the same shapes, the same
/// split of rows over the threads (each thread its shard of the environments in the rollout,
/// its half of each minibatch in the update), the same kernels. Nothing else of the loop (the
/// game, sampling, the heads, Adam, summing the threads' gradients) is in it, so the loop's
/// rate over this one is the share of the loop that is matrix products.
struct BareProducts {
    /// Floating-point operations of the dense products of one iteration.
    flop: f64,
    /// Their median time alone, per iteration.
    seconds: f64,
}

/// Products each thread runs back to back in one fork of the bare timing. The loop forks once
/// per rollout (32 products per thread) and once per minibatch (three), so a fork per product
/// charged the products a fork-join the loop does not pay: the rollout's 128-row product read
/// 74 us against 71, and 149 us in a run where the pool's threads fell asleep between forks,
/// which made the bare rate lower and the share higher than they are.
const PRODUCTS_PER_FORK: usize = 8;

fn bare_products(config: &PpoConfig) -> BareProducts {
    let threads = config.threads;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    let fill = |rows: usize, cols: usize, salt: usize| {
        Array2::from_shape_fn((rows, cols), move |(i, j)| {
            ((((i * cols + j) * salt) % 1000) as f32) / 1000.0 - 0.5
        })
    };
    let rollout_rows = config.num_envs / threads;
    let update_rows = config.minibatch_size() / threads;
    let mut flop = 0.0;
    let mut seconds = 0.0;
    for layer in config.hidden.windows(2) {
        let (k, n) = (layer[0], layer[1]);
        let w = fill(k, n, 104_729);
        // Per thread: its inputs, its output gradient, and where its products go (allocated
        // here, once, as the trainer's activations are).
        struct Shard {
            x: Array2<f32>,
            dz: Array2<f32>,
            forward: Array2<f32>,
            weight_grad: Array2<f32>,
            input_grad: Array2<f32>,
        }
        let mut shards: Vec<Shard> = (0..threads)
            .map(|t| Shard {
                x: fill(update_rows, k, 7919 + t),
                dz: fill(update_rows, n, 31 + t),
                forward: Array2::zeros((update_rows, n)),
                weight_grad: Array2::zeros((k, n)),
                input_grad: Array2::zeros((update_rows, k)),
            })
            .collect();
        let mut product = |rows: usize, kind: u8| {
            let w = &w;
            let fork = || {
                pool.install(|| {
                    for_each_indexed(&mut shards, &|_, shard: &mut Shard| {
                        let x = shard.x.slice(s![..rows, ..]);
                        let dz = shard.dz.slice(s![..rows, ..]);
                        for _ in 0..PRODUCTS_PER_FORK {
                            match kind {
                                0 => matmul_into(
                                    shard.forward.slice_mut(s![..rows, ..]),
                                    x,
                                    w.view(),
                                    Write::Overwrite,
                                ),
                                1 => matmul_into(
                                    shard.weight_grad.view_mut(),
                                    x.t(),
                                    dz,
                                    Write::Accumulate,
                                ),
                                _ => matmul_into(
                                    shard.input_grad.slice_mut(s![..rows, ..]),
                                    dz,
                                    w.t(),
                                    Write::Overwrite,
                                ),
                            }
                        }
                    })
                })
            };
            time_median(fork) / PRODUCTS_PER_FORK as f64
        };
        let product_flop = |rows: usize| 2.0 * (rows * threads * k * n) as f64;
        let rollout = product(rollout_rows, 0);
        let update = product(update_rows, 0) + product(update_rows, 1) + product(update_rows, 2);
        let minibatches = (config.epochs * config.minibatches) as f64;
        seconds += config.num_steps as f64 * rollout + minibatches * update;
        flop += config.num_steps as f64 * product_flop(rollout_rows)
            + minibatches * 3.0 * product_flop(update_rows);
    }
    BareProducts { flop, seconds }
}

struct LoopResult {
    sps: f64,
}

fn our_loop(seconds: f64) -> LoopResult {
    let config = PpoConfig::default();
    println!(
        "== our PPO loop: {} envs x {} steps, {} epochs x {} minibatches of {}, hidden {:?}, {} threads, {seconds} s",
        config.num_envs,
        config.num_steps,
        config.epochs,
        config.minibatches,
        config.minibatch_size(),
        config.hidden,
        config.threads
    );
    // The bare rate moves by a fifth from run to run on this VM (391 to 503 GFLOP/s measured):
    // timed before and after the loop, the mean of the two is the share's denominator.
    let bare_before = bare_products(&config);
    let mut trainer = Trainer::new(config.clone()).expect("default config is valid");
    let shape = trainer.model().shape().clone();
    // One rollout forward, then per epoch one forward and two backward products per sample.
    let flop_per_step = 2.0 * shape.dense_macs_per_sample() as f64 * (1 + 3 * config.epochs) as f64;
    // Warm-up: thread pool, page faults, faer's per-thread packing buffers.
    trainer.collect_rollout();
    trainer.update(config.learning_rate);

    let budget = Duration::from_secs_f64(seconds);
    let (cpu0, load0) = (cpu_seconds(), load_average());
    let start = Instant::now();
    let (mut steps, mut rollout_s, mut update_s) = (0usize, 0.0, 0.0);
    let mut iteration_sps = Vec::with_capacity(100_000);
    let allocs_after_reserve = ALLOCATIONS.load(Ordering::Relaxed);
    let mut episodes = 0;
    while start.elapsed() < budget {
        let t = Instant::now();
        let rollout = trainer.collect_rollout();
        let update = trainer.update(config.learning_rate);
        steps += rollout.env_steps;
        rollout_s += rollout.seconds;
        update_s += update.seconds;
        episodes += rollout.episodes_finished;
        iteration_sps.push(rollout.env_steps as f64 / t.elapsed().as_secs_f64());
    }
    let wall = start.elapsed().as_secs_f64();
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - allocs_after_reserve;
    let cpu = cpu_seconds() - cpu0;
    let bare_after = bare_products(&config);
    let sps = steps as f64 / wall;
    let iterations = iteration_sps.len();
    println!("load average before: {load0}, after: {}", load_average());
    println!(
        "{iterations} iterations, {steps} env steps, {episodes} episodes in {wall:.1} s \
         (rollout {rollout_s:.1} s = {:.0}%, update {update_s:.1} s = {:.0}%)",
        100.0 * rollout_s / wall,
        100.0 * update_s / wall
    );
    println!(
        "env steps/s, rollout + update: {sps:.0} (median iteration {:.0}, min {:.0}, max {:.0})",
        median(iteration_sps.clone()),
        iteration_sps.iter().copied().fold(f64::MAX, f64::min),
        iteration_sps.iter().copied().fold(0.0, f64::max)
    );
    println!(
        "env steps/s, rollout alone: {:.0}",
        steps as f64 / rollout_s
    );
    println!(
        "dense GFLOP/s: {:.1} ({:.2} MFLOP per env step), CPU cores busy: {:.2}",
        sps * flop_per_step / 1e9,
        flop_per_step / 1e6,
        cpu / wall
    );
    let iterations_f = iterations.max(1) as f64;
    let loop_products = bare_before.flop * iterations_f / wall;
    let rate = |bare: &BareProducts| bare.flop / bare.seconds;
    let bare_rate = (rate(&bare_before) + rate(&bare_after)) / 2.0;
    println!(
        "matrix products: {:.1} GFLOP/s over the whole loop, against {:.1} GFLOP/s for the same \
         products alone (same shapes and thread split, this run; {:.1} before the loop, {:.1} \
         after): {:.1}% (target >= 85%)",
        loop_products / 1e9,
        bare_rate / 1e9,
        rate(&bare_before) / 1e9,
        rate(&bare_after) / 1e9,
        100.0 * loop_products / bare_rate
    );
    // Load-independent work measure: CPU time per step (other processes inflate wall time).
    println!(
        "CPU time per env step: {:.1} core-us",
        1e6 * cpu / steps as f64
    );
    println!(
        "heap allocations in the timed loop: {allocations} ({:.2} per iteration)",
        allocations as f64 / iterations.max(1) as f64
    );
    println!("target: >= 2x the JAX anchor's env steps/s, measured in the same run");
    LoopResult { sps }
}

/// Runs the anchor and returns its "env steps/s (rollout+update)" figure.
fn anchor(seconds: f64) -> Option<f64> {
    let venv = std::env::var("JAX_VENV").unwrap_or_else(|_| "/tmp/jaxvenv".into());
    let python = format!("{venv}/bin/python");
    if !std::path::Path::new(&python).exists() {
        println!("== anchor skipped: no {python}. To install it (see {ANCHOR_DIR}/README.md):");
        println!("   python3 -m venv {venv} && {venv}/bin/pip install jax jaxlib pgx optax");
        return None;
    }
    let minutes = format!("{}", seconds / 60.0);
    println!(
        "== anchor: {python} ppo_2048.py --num-envs 256 --num-steps 32 --minutes {minutes} --eval-games 16"
    );
    let output = Command::new(&python)
        .args([
            "ppo_2048.py",
            "--num-envs",
            "256",
            "--num-steps",
            "32",
            "--minutes",
            &minutes,
            "--eval-games",
            "16",
        ])
        .args(["--marks", &minutes])
        .current_dir(ANCHOR_DIR)
        .output();
    let output = match output {
        Ok(o) => o,
        Err(e) => {
            println!("anchor failed to start: {e}");
            return None;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().find(|l| l.contains("env steps/s"));
    let Some(line) = line else {
        println!(
            "anchor printed no `env steps/s` line; exit {:?}",
            output.status
        );
        println!(
            "{}",
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .rev()
                .take(10)
                .collect::<Vec<_>>()
                .join("\n")
        );
        return None;
    };
    println!("{line}");
    let before = line.split(" env steps/s").next()?;
    let number = before.rsplit(' ').next()?.replace(',', "");
    number.parse().ok()
}

fn main() {
    let opts = options();
    if opts.run_gemm {
        gemm_section();
    }
    let ours = our_loop(opts.seconds);
    let theirs = if opts.run_anchor {
        anchor(opts.seconds)
    } else {
        None
    };
    match theirs {
        Some(sps) => println!(
            "ratio ours / anchor (same run, {} s each): {:.2} ({:.0} vs {:.0} env steps/s; target >= 2)",
            opts.seconds,
            ours.sps / sps,
            ours.sps,
            sps
        ),
        None => println!(
            "ratio ours / anchor README figure: {:.2} ({:.0} vs {ANCHOR_README_SPS:.0} env steps/s)",
            ours.sps / ANCHOR_README_SPS,
            ours.sps
        ),
    }
}
