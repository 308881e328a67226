use timed_runtime::timed;

#[timed]
#[timed(phase = "again")]
fn update() {}

fn main() {
    update();
}
