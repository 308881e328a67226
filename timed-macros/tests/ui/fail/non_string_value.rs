use timed_runtime::timed;

const PHASE: &str = "training";

#[timed(phase = 5)]
fn number() {}

#[timed(name = PHASE)]
fn constant() {}

#[timed(component = concat!("a", "b"))]
fn macro_call() {}

#[timed(phase = "x"suffix)]
fn suffixed() {}

fn main() {
    number();
    constant();
    macro_call();
    suffixed();
}
