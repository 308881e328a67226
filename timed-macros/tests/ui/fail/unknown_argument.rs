// The function is still emitted, so its caller compiles and the only error is the argument's.
use timed_runtime::timed;

#[timed(phase = "training", phaze = "x")]
fn update() -> u32 {
    1
}

#[timed(timed_runtime::phase = "x")]
fn qualified() {}

fn main() {
    update();
    qualified();
}
