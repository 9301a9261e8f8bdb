//! Instructions per pool operation, for `valgrind --tool=callgrind`: runs one shape `n` times
//! on one thread. Two runs with different `n` give the cost of one more repetition without the
//! set-up: `(Ir(n2) - Ir(n1)) / (n2 - n1)`.
//!
//! ```text
//! cargo build --release --example pool_profile
//! valgrind --tool=callgrind target/release/examples/pool_profile p1 1000000
//! ```
//! Shapes: `p1` (one get and its return), `p2` (100 gets held, then 100 returns).

use std::hint::black_box;

fn main() {
    let mut args = std::env::args().skip(1);
    let shape = args.next().unwrap_or_else(|| "p1".into());
    let n: u64 = args
        .next()
        .map_or(1_000_000, |s| s.parse().expect("a count"));
    let pool = poolqueue::Pool::new(|| Vec::<u8>::with_capacity(1024));
    match shape.as_str() {
        "p1" => {
            for _ in 0..n {
                let v = pool.get();
                black_box(&*v);
            }
        }
        "p2" => {
            let mut held = Vec::with_capacity(100);
            for _ in 0..n {
                for _ in 0..100 {
                    held.push(pool.get());
                }
                black_box(&held);
                held.clear();
            }
        }
        other => panic!("unknown shape {other}: p1 or p2"),
    }
}
