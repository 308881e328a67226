use timed_runtime::timed;

trait Service {
    #[timed]
    fn call(&self, request: u32) -> u32;
}

fn main() {}
