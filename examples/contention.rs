//! Runs the ring and the chain under contention and prints what was checked: one owner pushes
//! distinct values (popping its own head now and then), stealers pop the tail, and afterwards
//! every value must have been seen exactly once.
//!
//! `cargo run --release --example contention [values] [stealers]`

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use poolqueue::{chain, dequeue};

struct Outcome {
    by_owner: usize,
    by_stealers: usize,
    lost: usize,
    duplicated: usize,
}

fn run(
    n: usize,
    stealers: usize,
    mut push: impl FnMut(usize) -> bool,
    mut pop_head: impl FnMut() -> Option<usize>,
    steal: impl Fn() -> Option<usize> + Clone + Send + 'static,
) -> Outcome {
    let seen: Arc<Vec<AtomicU8>> = Arc::new((0..n).map(|_| AtomicU8::new(0)).collect());
    let done = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = (0..stealers)
        .map(|_| {
            let (seen, done, steal) = (seen.clone(), done.clone(), steal.clone());
            thread::spawn(move || {
                let mut count = 0;
                loop {
                    match steal() {
                        Some(v) => {
                            seen[v].fetch_add(1, Ordering::Relaxed);
                            count += 1;
                        }
                        None if done.load(Ordering::Acquire) => return count,
                        None => thread::yield_now(),
                    }
                }
            })
        })
        .collect();
    let mut by_owner = 0;
    for i in 0..n {
        while !push(i) {
            thread::yield_now();
        }
        if i % 10 == 0 {
            if let Some(v) = pop_head() {
                seen[v].fetch_add(1, Ordering::Relaxed);
                by_owner += 1;
            }
        }
    }
    done.store(true, Ordering::Release);
    let by_stealers = handles.into_iter().map(|h| h.join().unwrap()).sum();
    while let Some(v) = pop_head() {
        seen[v].fetch_add(1, Ordering::Relaxed);
        by_owner += 1;
    }
    let counts: Vec<u8> = seen.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    Outcome {
        by_owner,
        by_stealers,
        lost: counts.iter().filter(|&&c| c == 0).count(),
        duplicated: counts.iter().filter(|&&c| c > 1).count(),
    }
}

fn report(name: &str, n: usize, stealers: usize, started: Instant, o: &Outcome) -> bool {
    let ok = o.lost == 0 && o.duplicated == 0 && o.by_owner + o.by_stealers == n;
    println!(
        "{name:<28} {n:>9} values, 1 owner + {stealers} stealers: owner popped {:>7}, stealers {:>9}, lost {}, duplicated {} -> {} ({:.0} ms)",
        o.by_owner,
        o.by_stealers,
        o.lost,
        o.duplicated,
        if ok { "ok" } else { "FAILED" },
        started.elapsed().as_secs_f64() * 1e3
    );
    ok
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let stealers: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(9);
    let mut all_ok = true;

    let started = Instant::now();
    let (mut owner, stealer) = dequeue::with_start_index::<usize>(16, u32::MAX - 499).unwrap();
    let owner = std::cell::RefCell::new(&mut owner);
    let o = run(
        n,
        stealers,
        |v| owner.borrow_mut().push_head(v).is_ok(),
        || owner.borrow_mut().pop_head(),
        move || stealer.pop_tail(),
    );
    all_ok &= report("dequeue (16 slots, wraps)", n, stealers, started, &o);

    let started = Instant::now();
    let (mut owner, stealer) = chain::new::<usize>();
    let owner = std::cell::RefCell::new(&mut owner);
    let o = run(
        n,
        stealers,
        |v| {
            owner.borrow_mut().push_head(v);
            true
        },
        || owner.borrow_mut().pop_head(),
        move || stealer.pop_tail(),
    );
    all_ok &= report("chain (rings from 8 slots)", n, stealers, started, &o);

    if !all_ok {
        std::process::exit(1);
    }
}
