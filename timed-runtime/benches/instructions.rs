//! Instructions per call of `#[timed]`, counted by callgrind: a figure that does not move when
//! the machine is busy, so a change to the hot path can be judged anywhere.
//!
//! One loop per run (`bare`, `off`, `summary`, `full`, `floor`: the two clock readings of a
//! timed call and nothing else, `fastrace`: its `#[trace]` on the same function), the loops of
//! `counted/mod.rs`, whose `calls` is the only function callgrind is told to count:
//!
//! ```text
//! cargo bench -p timed-runtime --bench instructions --no-run
//! valgrind --tool=callgrind --toggle-collect='*::counted::calls' \
//!     --callgrind-out-file=/tmp/full.out target/release/deps/instructions-<hash> full 100000
//! callgrind_annotate /tmp/full.out | head
//! ```
//!
//! Instructions per call of a loop = (its total - the `bare` total) / calls. `cargo bench -p
//! timed-runtime --bench overhead` counts every loop this way when valgrind is installed, and
//! prints the counts beside its times. Run without valgrind, this is a smoke test of one loop.

mod counted;

fn main() {
    let mut args = std::env::args().skip(1).filter(|arg| arg != "--bench");
    let name = args.next().unwrap_or_else(|| "full".to_owned());
    let n: u64 = args
        .next()
        .and_then(|text| text.parse().ok())
        .unwrap_or(10_000);
    counted::run(&name, n);
    println!(
        "instructions: {n} calls of loop {name}; under callgrind, see this file's header for the \
         per-call count"
    );
}
