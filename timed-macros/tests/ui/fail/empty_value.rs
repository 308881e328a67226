use timed_runtime::timed;

#[timed(name = "")]
fn update() {}

#[timed(component = "  ")]
fn blank() {}

fn main() {
    update();
    blank();
}
