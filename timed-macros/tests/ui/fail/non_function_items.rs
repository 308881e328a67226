use timed_runtime::timed;

#[timed]
struct Point {
    x: i32,
}

#[timed]
enum Shape {
    Dot,
}

#[timed]
impl Point {
    fn x(&self) -> i32 {
        self.x
    }
}

#[timed]
trait Area {
    fn area(&self) -> f64;
}

#[timed]
mod geometry {}

#[timed]
static ORIGIN: i32 = 0;

#[timed]
const UNIT: i32 = 1;

#[timed]
type Coordinate = i32;

#[timed]
use std::fmt::Debug;

fn main() {
    let _: &dyn Debug = &ORIGIN;
}
