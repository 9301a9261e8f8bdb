//! The victim generation. Contents survive one `release` and are gone after
//! two, which is why Go needs two garbage collections to empty a pool.
//!
//! Run: `cargo run --example pool_victim_drain`

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use poolqueue::Pool;

fn main() {
    let created = Arc::new(AtomicU64::new(0));
    let counter = created.clone();
    let pool = Pool::with_reset(
        move || {
            counter.fetch_add(1, Ordering::Relaxed);
            Box::new(0_u64)
        },
        |b| **b = 0,
    )
    .with_counters();
    let cycle = |pool: &Pool<Box<u64>>| {
        for _ in 0..100 {
            let v = pool.get(); // Go: pool.Put(pool.Get())
            drop(v);
        }
    };
    let created_now = || created.load(Ordering::Relaxed);

    cycle(&pool);
    println!("before release:           created = {}", created_now());
    pool.release();
    cycle(&pool);
    println!(
        "after 1 release:          created = {} (served by the victim generation)",
        created_now()
    );
    assert_eq!(created_now(), 1);
    pool.release();
    pool.release();
    cycle(&pool);
    println!(
        "after 2 more releases:    created = {} (victim dropped: a new value)",
        created_now()
    );
    assert_eq!(created_now(), 2);
    let s = pool.stats().unwrap();
    println!(
        "stats: {} gets = {} private + {} victim hits + {} creates; {} dropped by release",
        s.gets(),
        s.private_hits,
        s.victim_hits,
        s.creates,
        s.released
    );
}
