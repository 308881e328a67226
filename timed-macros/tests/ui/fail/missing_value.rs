use timed_runtime::timed;

#[timed(phase)]
fn update() {}

fn main() {
    update();
}
