use timed_runtime::timed;

#[timed(phase = "a", name = "n", phase = "b")]
fn update() {}

fn main() {
    update();
}
