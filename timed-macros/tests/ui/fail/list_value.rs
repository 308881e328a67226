use timed_runtime::timed;

#[timed(phase("training"))]
fn update() {}

#[timed(name["n"])]
fn bracketed() {}

fn main() {
    update();
    bracketed();
}
