//! The allocation cost of building a string, without and with a pool.
//!
//! A counting global allocator measures allocations per operation; the pooled version keeps its
//! buffer between calls and only allocates the returned copy.
//!
//! Run: `cargo run --release --example pool_alloc_baseline`

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use poolqueue::Pool;

struct Counting;
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to `System`, counting on the way.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Go's `format(n)`: a fresh buffer per call.
fn format_plain(n: usize) -> String {
    let mut b = String::new();
    for i in 0..n {
        write!(b, "{i},").unwrap();
    }
    b
}

/// The same with a pooled buffer: reset on return, its capacity kept.
fn format_pooled(pool: &Pool<String>, n: usize) -> String {
    let mut b = pool.get();
    for i in 0..n {
        write!(b, "{i},").unwrap();
    }
    b.as_str().to_owned() // the result must outlive the buffer: copy it out
}

fn measure(name: &str, iterations: u64, mut f: impl FnMut()) -> (f64, f64) {
    for _ in 0..1_000 {
        f(); // warm-up: the pool's shard and buffer
    }
    let (a0, b0) = (
        ALLOCATIONS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    );
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    let ns = start.elapsed().as_nanos() as f64 / iterations as f64;
    let allocs = (ALLOCATIONS.load(Ordering::Relaxed) - a0) as f64 / iterations as f64;
    let bytes = (BYTES.load(Ordering::Relaxed) - b0) as f64 / iterations as f64;
    println!("{name:<8} {ns:>10.1} ns/op {bytes:>10.1} B/op {allocs:>6.2} allocs/op");
    (ns, allocs)
}

fn main() {
    let iterations = 200_000;
    let pool = Pool::new(String::new);
    println!("format(100), {iterations} calls each");
    let (plain_ns, plain_allocs) = measure("no pool", iterations, || {
        black_box(format_plain(black_box(100)));
    });
    let (pooled_ns, pooled_allocs) = measure("pool", iterations, || {
        black_box(format_pooled(&pool, black_box(100)));
    });
    println!(
        "allocs/op dropped by {:.2}; time ratio pool/no-pool = {:.2}",
        plain_allocs - pooled_allocs,
        pooled_ns / plain_ns
    );
    assert!(
        plain_allocs - pooled_allocs >= 1.0,
        "the buffer allocations did not disappear"
    );
}
