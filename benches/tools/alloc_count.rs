//! Counts heap allocations per operation in steady state, for poolqueue and the peers, on the
//! workloads of the benchmark harness (`benches/harness/mod.rs`).
//!
//! Each workload is run twice, with `n` and `10 n` repetitions, under a counting global
//! allocator; set-up costs (the structure, threads, bitmaps) are the same in both runs, so
//! `(allocs(10 n) - allocs(n)) / (9 n)` is what one more repetition allocates. The fresh-structure
//! workloads (f) allocate by design and are reported per repetition.
//!
//! ```text
//! cargo run --release --example alloc_count
//! ```
//! Exits non-zero if poolqueue allocates in steady state (a–e; for the chain with live stealers,
//! d and e, rare ring growth below one allocation per thousand items is allowed).

#[path = "../harness/mod.rs"]
mod harness;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use harness::{
    run, CbArrayQueue, CbDeque, MutexDeque, Owner, PqChain, PqDequeue, PqWorker, PqWorkerK0,
    St3Lifo, WORKLOADS,
};

/// The system allocator, counting calls to `alloc` and `realloc`.
struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to `System`, which upholds the `GlobalAlloc`
// contract; the counter is a side effect only.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // Relaxed: a statistic read after the threads that bump it have been joined.
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // Relaxed: as in `alloc`.
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Relaxed: as in `alloc`.
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs_during(f: impl FnOnce()) -> u64 {
    // Relaxed: the workload joins its threads before returning.
    let before = ALLOCS.load(Ordering::Relaxed);
    f();
    ALLOCS.load(Ordering::Relaxed) - before
}

/// Allocations per repetition of `id` for implementation `O`.
fn per_rep<O: Owner>(id: &str) -> f64 {
    let n = if id.starts_with('d') || id.starts_with('e') {
        20_000
    } else if id.starts_with('i') {
        200 // rounds of four 5 µs tasks
    } else {
        2_000
    };
    if id.starts_with('f') {
        return allocs_during(|| {
            run::<O>(id, n);
        }) as f64
            / n as f64;
    }
    // Warm the allocator and crossbeam's epoch machinery first.
    run::<O>(id, n);
    let small = allocs_during(|| {
        run::<O>(id, n);
    });
    let large = allocs_during(|| {
        run::<O>(id, 10 * n);
    });
    // An allocation per operation makes the large run allocate at least 9n more. One more
    // allocation in all is the epoch's own bookkeeping, not a cost per operation: each run
    // builds a fresh chain whose warm-up retires rings, and freeing the garbage of earlier
    // runs defers crossbeam's queue nodes in turn, so a run may seal one more bag (a 2 KiB
    // allocation in `Local::flush`) than the one before it. Counted as zero.
    let extra = large.saturating_sub(small);
    if extra <= EPOCH_BOOKKEEPING {
        return 0.0;
    }
    (large as f64 - small as f64) / (9 * n) as f64
}

/// Allocations the large run may make beyond the small one without any per-operation cost (see
/// `per_rep`).
const EPOCH_BOOKKEEPING: u64 = 1;

fn row<O: Owner>(failures: &mut Vec<String>) {
    print!("| {} |", O::NAME);
    for w in WORKLOADS {
        let per = per_rep::<O>(w.id);
        let per_item = per / w.items as f64;
        print!(" {per_item:.4} |");
        // The chain (and the worker's) links a new ring when the head ring is full, which with
        // live stealers (d, e, i) also happens when a preempted stealer still holds the slot the
        // owner wants: a rare growth step (plus the epoch's bookkeeping when the old ring is
        // retired), not a cost per item. Bounded here to one allocation per thousand items.
        let chain_based = O::NAME == "poolqueue-chain" || O::NAME.starts_with("poolqueue-worker");
        let growth_allowed = w.id.starts_with('f')
            || (chain_based
                && (w.id.starts_with('d') || w.id.starts_with('e') || w.id.starts_with('i'))
                && per_item < 1e-3);
        if O::NAME.starts_with("poolqueue") && !growth_allowed && per_item > 0.0 {
            failures.push(format!(
                "{} {}: {per_item} allocations per item",
                O::NAME,
                w.id
            ));
        }
    }
    println!();
}

fn main() {
    print!("| allocations per item |");
    for w in WORKLOADS {
        print!(" {} |", w.id);
    }
    println!();
    print!("| --- |");
    for _ in WORKLOADS {
        print!(" ---: |");
    }
    println!();
    let mut failures = Vec::new();
    row::<PqDequeue>(&mut failures);
    row::<PqChain>(&mut failures);
    row::<PqWorker>(&mut failures);
    row::<PqWorkerK0>(&mut failures);
    row::<St3Lifo>(&mut failures);
    row::<CbDeque>(&mut failures);
    row::<CbArrayQueue>(&mut failures);
    row::<MutexDeque>(&mut failures);
    if !failures.is_empty() {
        eprintln!("steady-state allocations in poolqueue:");
        for f in &failures {
            eprintln!("  {f}");
        }
        std::process::exit(1);
    }
}
