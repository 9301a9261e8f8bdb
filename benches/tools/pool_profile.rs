//! Instructions per pool operation, for `valgrind --tool=callgrind`: runs one shape `n` times
//! on one thread. Two runs with different `n` give the cost of one more repetition without the
//! set-up: `(Ir(n2) - Ir(n1)) / (n2 - n1)`.
//!
//! ```text
//! cargo build --release --example pool_profile
//! valgrind --tool=callgrind target/release/examples/pool_profile p1 1000000
//! ```
//! Shapes: `p1` (one get and its return), `p2` (100 gets held, then 100 returns); `lf1`/`lf2`
//! the same on lockfree-object-pool, `mv1`/`mv2` on a `Mutex<Vec<T>>`.

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
        "lf1" | "lf2" => {
            let pool = lockfree_object_pool::LinearObjectPool::new(
                || Vec::<u8>::with_capacity(1024),
                |v| v.clear(),
            );
            let per = if shape == "lf1" { 1 } else { 100 };
            let mut held = Vec::with_capacity(100);
            for _ in 0..n {
                for _ in 0..per {
                    held.push(pool.pull());
                }
                black_box(&held);
                held.clear();
            }
        }
        "mv1" | "mv2" => {
            let pool = std::sync::Mutex::new(Vec::<Vec<u8>>::new());
            let per = if shape == "mv1" { 1 } else { 100 };
            let mut held = Vec::with_capacity(100);
            for _ in 0..n {
                for _ in 0..per {
                    let v = pool.lock().unwrap().pop();
                    held.push(v.unwrap_or_else(|| Vec::with_capacity(1024)));
                }
                black_box(&held);
                for mut v in held.drain(..) {
                    v.clear();
                    pool.lock().unwrap().push(v);
                }
            }
        }
        other => panic!("unknown shape {other}: p1, p2, lf1, lf2, mv1 or mv2"),
    }
}
