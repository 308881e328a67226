use timed_runtime::timed;

unsafe extern "C" {
    #[timed]
    fn abs(value: i32) -> i32;
}

fn main() {}
