//! How many values to pre-warm. Four threads each hold up to 8 values at
//! once; the main thread warms the pool with K values first. Creates during the workload
//! fall with K until the peak demand is covered: the elbow.
//!
//! Run: `cargo run --release --example pool_warmup`

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;

use poolqueue::Pool;

const THREADS: usize = 4;
const HELD: usize = 8;

/// Creates during the workload after warming with `k` values; with `release_every`, the main
/// thread calls `release` that often (a "GC").
fn creates_after_warmup(k: usize, release_every: Option<usize>) -> u64 {
    let created = Arc::new(AtomicU64::new(0));
    let counter = created.clone();
    let pool = Pool::new(move || {
        counter.fetch_add(1, Ordering::Relaxed);
        Vec::<u8>::with_capacity(1024)
    });
    // Warm from a helper thread that exits: its chain stays stealable, its private slot goes
    // to whichever thread takes its id next.
    thread::scope(|s| {
        s.spawn(|| {
            let warm: Vec<_> = (0..k).map(|_| pool.get()).collect();
            drop(warm);
        });
    });
    let before = created.load(Ordering::Relaxed);
    let pool = &pool;
    thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(move || {
                for round in 0..2_000 {
                    let held: Vec<_> = (0..HELD).map(|_| pool.get()).collect();
                    drop(held);
                    if round % 100 == 99 {
                        thread::yield_now();
                    }
                }
            });
        }
        if let Some(every) = release_every {
            s.spawn(move || {
                for _ in 0..20 {
                    thread::sleep(std::time::Duration::from_micros(every as u64));
                    pool.release();
                }
            });
        }
    });
    created.load(Ordering::Relaxed) - before
}

fn main() {
    println!(
        "{THREADS} threads x {HELD} values held at peak = {} values",
        THREADS * HELD
    );
    println!(
        "{:>4} {:>22} {:>30}",
        "K", "creates (no release)", "creates (release every 200us)"
    );
    let mut elbow = None;
    for k in [0, 1, 2, 4, 8, 16, 24, 32, 33, 40, 48, 64, 128] {
        let steady = creates_after_warmup(k, None);
        let churn = creates_after_warmup(k, Some(200));
        println!("{k:>4} {steady:>22} {churn:>30}");
        if steady == 0 && elbow.is_none() {
            elbow = Some(k);
        }
    }
    match elbow {
        Some(k) => println!("elbow: K = {k} removes every create without releases"),
        None => println!("no K removed every create"),
    }
}
