//! `Pool` against other Rust object pools, in the shapes of Go's `sync` benchmarks:
//!
//! - `pool/fast_path/1-thread`: get + return on one thread (Go's `BenchmarkPool -cpu 1`).
//! - `pool/parallel`: get + return per iteration on every thread (Go's `BenchmarkPool`,
//!   `RunParallel`: time per iteration = wall time / iterations of all threads).
//! - `pool/overflow`: 100 gets held, then 100 returns, on every thread (`BenchmarkPoolOverflow`;
//!   one value goes through the private slot, 99 through the chain).
//! - `pool/starvation`: 67 puts, then 100 gets that do not create, on every thread
//!   (`BenchmarkPoolStarvation`; the 33 misses scan the other threads and the victim).
//!
//! The value is a `Vec<u8>` with 64 bytes of capacity, cleared on return. Before criterion runs,
//! `main` counts allocations per operation for this crate's pool with a counting allocator.
//!
//! Run: `cargo bench --bench pool` (add `-- --quick` for a short run).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion};

type Buf = Vec<u8>;

fn make() -> Buf {
    Vec::with_capacity(64)
}

// ---------------------------------------------------------------------------------------------
// Counting allocator (only read by `allocations_per_op`).

struct Counting;
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to `System`, counting on the way.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, forwarded.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

// ---------------------------------------------------------------------------------------------
// The pools under test, behind one interface.

trait BenchPool: Sync {
    const NAME: &'static str;
    /// Get a value (creating if empty) and return it.
    fn cycle(&self);
    /// Get `n` values, hold them all, return them all.
    fn overflow(&self, n: usize);
    /// Put `puts` values from `stash`, then try `gets` gets without creating, moving hits back
    /// into `stash`. `None` if the pool has no way to get without creating.
    fn starve(&self, stash: &mut Vec<Buf>, puts: usize, gets: usize) -> Option<()>;
}

struct Ours(poolqueue::Pool<Buf>);

impl BenchPool for Ours {
    const NAME: &'static str = "poolqueue";
    #[inline]
    fn cycle(&self) {
        let v = self.0.get();
        black_box(&*v);
    }
    fn overflow(&self, n: usize) {
        let mut held: [Option<poolqueue::Pooled<'_, Buf>>; 100] = std::array::from_fn(|_| None);
        for slot in held.iter_mut().take(n) {
            *slot = Some(self.0.get());
        }
        black_box(&held);
    }
    fn starve(&self, stash: &mut Vec<Buf>, puts: usize, gets: usize) -> Option<()> {
        stash.truncate(100); // values stolen from other threads must not pile up
        for _ in 0..puts {
            self.0.put(stash.pop().unwrap_or_else(make));
        }
        for _ in 0..gets {
            if let Some(v) = self.0.try_get() {
                stash.push(poolqueue::Pooled::detach(v));
            }
        }
        Some(())
    }
}

struct LockFree(lockfree_object_pool::LinearObjectPool<Buf>);

impl BenchPool for LockFree {
    const NAME: &'static str = "lockfree-object-pool";
    #[inline]
    fn cycle(&self) {
        let v = self.0.pull();
        black_box(&*v);
    }
    fn overflow(&self, n: usize) {
        let mut held: [Option<lockfree_object_pool::LinearReusable<'_, Buf>>; 100] =
            std::array::from_fn(|_| None);
        for slot in held.iter_mut().take(n) {
            *slot = Some(self.0.pull());
        }
        black_box(&held);
    }
    fn starve(&self, _: &mut Vec<Buf>, _: usize, _: usize) -> Option<()> {
        None // no put of outside values, no get without creating
    }
}

struct ObjectPool(object_pool::Pool<Buf>);

impl BenchPool for ObjectPool {
    const NAME: &'static str = "object-pool";
    #[inline]
    fn cycle(&self) {
        let v = self.0.pull(make);
        black_box(&*v);
    }
    fn overflow(&self, n: usize) {
        let mut held: [Option<object_pool::Reusable<'_, Buf>>; 100] = std::array::from_fn(|_| None);
        for slot in held.iter_mut().take(n) {
            *slot = Some(self.0.pull(make));
        }
        black_box(&held);
    }
    fn starve(&self, stash: &mut Vec<Buf>, puts: usize, gets: usize) -> Option<()> {
        stash.truncate(100); // values stolen from other threads must not pile up
        for _ in 0..puts {
            self.0.attach(stash.pop().unwrap_or_else(make));
        }
        for _ in 0..gets {
            if let Some(v) = self.0.try_pull() {
                stash.push(v.detach().1);
            }
        }
        Some(())
    }
}

/// The hand-rolled baseline: a stack behind a mutex.
struct MutexVec(Mutex<Vec<Buf>>);

impl MutexVec {
    fn get(&self) -> Option<Buf> {
        self.0.lock().unwrap().pop()
    }
    fn put(&self, mut v: Buf) {
        v.clear();
        self.0.lock().unwrap().push(v);
    }
}

impl BenchPool for MutexVec {
    const NAME: &'static str = "Mutex<Vec<T>>";
    #[inline]
    fn cycle(&self) {
        let v = self.get().unwrap_or_else(make);
        black_box(&v);
        self.put(v);
    }
    fn overflow(&self, n: usize) {
        let mut held: [Option<Buf>; 100] = std::array::from_fn(|_| None);
        for slot in held.iter_mut().take(n) {
            *slot = Some(self.get().unwrap_or_else(make));
        }
        black_box(&held);
        for v in held.iter_mut().take(n) {
            self.put(v.take().unwrap());
        }
    }
    fn starve(&self, stash: &mut Vec<Buf>, puts: usize, gets: usize) -> Option<()> {
        stash.truncate(100); // values stolen from other threads must not pile up
        for _ in 0..puts {
            self.put(stash.pop().unwrap_or_else(make));
        }
        for _ in 0..gets {
            if let Some(v) = self.get() {
                stash.push(v);
            }
        }
        Some(())
    }
}

fn pools() -> (Ours, LockFree, ObjectPool, MutexVec) {
    (
        Ours(poolqueue::Pool::new(make)),
        LockFree(lockfree_object_pool::LinearObjectPool::new(make, |v| {
            v.clear()
        })),
        ObjectPool(object_pool::Pool::new(0, make)),
        MutexVec(Mutex::new(Vec::new())),
    )
}

// ---------------------------------------------------------------------------------------------
// Go's `RunParallel`: `iters` iterations split over `threads` threads; the wall time counts.

fn threads() -> usize {
    thread::available_parallelism().map_or(2, |n| n.get())
}

fn parallel<P: BenchPool>(
    pool: &P,
    iters: u64,
    body: impl Fn(&P, &mut Vec<Buf>) + Sync,
) -> Duration {
    let threads = threads();
    let per_thread = (iters + threads as u64 - 1) / threads as u64; // `div_ceil`: Rust 1.73
    let start_line = Barrier::new(threads);
    thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut stash = Vec::with_capacity(128);
                    body(pool, &mut stash); // warm this thread's shard
                    start_line.wait();
                    // Each thread's own clock readings: a descheduled coordinator cannot shrink
                    // the interval (the wall time is from the first start to the last end).
                    let start = Instant::now();
                    for _ in 0..per_thread {
                        body(pool, &mut stash);
                    }
                    (start, Instant::now())
                })
            })
            .collect();
        let spans: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        let first = spans.iter().map(|s| s.0).min().unwrap();
        let last = spans.iter().map(|s| s.1).max().unwrap();
        last - first
    })
}

fn bench_shape<P: BenchPool>(c: &mut Criterion, pool: &P) {
    c.bench_function(&format!("pool/fast_path/1-thread/{}", P::NAME), |b| {
        b.iter(|| pool.cycle())
    });
    c.bench_function(&format!("pool/parallel/{}", P::NAME), |b| {
        b.iter_custom(|iters| parallel(pool, iters, |p, _| p.cycle()))
    });
    c.bench_function(&format!("pool/overflow/{}", P::NAME), |b| {
        b.iter_custom(|iters| parallel(pool, iters, |p, _| p.overflow(100)))
    });
    if pool.starve(&mut Vec::new(), 0, 0).is_some() {
        c.bench_function(&format!("pool/starvation/{}", P::NAME), |b| {
            b.iter_custom(|iters| {
                parallel(pool, iters, |p, stash| {
                    p.starve(stash, 67, 100);
                })
            })
        });
    }
}

fn benches(c: &mut Criterion) {
    // Calibration: what the pools save, a fresh allocation and its free.
    c.bench_function("pool/fast_path/1-thread/no-pool (allocate + free)", |b| {
        b.iter(|| black_box(make()))
    });
    let (ours, lockfree, object, mutex) = pools();
    bench_shape(c, &ours);
    bench_shape(c, &lockfree);
    bench_shape(c, &object);
    bench_shape(c, &mutex);
}

criterion_group! {
    name = group;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    targets = benches
}

/// Allocations per operation of this crate's pool in each shape, after a warm-up.
fn allocations_per_op() {
    let pool = Ours(poolqueue::Pool::new(make));
    let mut stash = Vec::with_capacity(128);
    type Shape<'a> = (&'a str, u64, &'a dyn Fn(&mut Vec<Buf>));
    let shapes: [Shape<'_>; 3] = [
        ("fast path (get + return)", 1, &|_| pool.cycle()),
        ("overflow (100 + 100)", 200, &|_| pool.overflow(100)),
        ("starvation (67 puts + 100 gets)", 167, &|s| {
            pool.starve(s, 67, 100);
        }),
    ];
    for (name, ops, run) in shapes {
        for _ in 0..100 {
            run(&mut stash);
        }
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        let rounds = 10_000;
        for _ in 0..rounds {
            run(&mut stash);
        }
        let allocs = ALLOCATIONS.load(Ordering::Relaxed) - before;
        println!(
            "poolqueue {name}: {:.4} allocations per operation",
            allocs as f64 / (rounds * ops) as f64
        );
    }
}

/// Best-of-batches time per operation on one thread: the minimum over many short batches
/// filters out preemption by other processes on a shared machine, which criterion's mean does
/// not.
fn best_of_batches() {
    fn best(shape: &str, name: &str, per_batch: u32, mut op: impl FnMut()) {
        for _ in 0..1_000 {
            op();
        }
        let mut best = f64::MAX;
        for _ in 0..2_000 {
            let start = Instant::now();
            for _ in 0..per_batch {
                op();
            }
            best = best.min(start.elapsed().as_nanos() as f64 / per_batch as f64);
        }
        println!("best-of-batches {shape} {name:<28} {best:>9.2} ns per iteration");
    }
    let (ours, lockfree, object, mutex) = pools();
    let shape = "fast path (get + return)";
    best(shape, "no pool (allocate + free)", 1_000, || {
        black_box(make());
    });
    best(shape, "poolqueue", 1_000, || ours.cycle());
    best(shape, "lockfree-object-pool", 1_000, || lockfree.cycle());
    best(shape, "object-pool", 1_000, || object.cycle());
    best(shape, "Mutex<Vec<T>>", 1_000, || mutex.cycle());
    let shape = "overflow (100 gets, 100 returns)";
    best(shape, "poolqueue", 10, || ours.overflow(100));
    best(shape, "lockfree-object-pool", 10, || lockfree.overflow(100));
    best(shape, "object-pool", 10, || object.overflow(100));
    best(shape, "Mutex<Vec<T>>", 10, || mutex.overflow(100));

    // Two threads (or all of them): Go's `RunParallel` wall time per iteration, best of 30 runs.
    fn best_parallel<P: BenchPool>(shape: &str, pool: &P, iters: u64, body: fn(&P)) {
        let mut best = f64::MAX;
        for _ in 0..30 {
            let wall = parallel(pool, iters, |p, _| body(p));
            best = best.min(wall.as_nanos() as f64 / iters as f64);
        }
        println!(
            "best-of-batches {shape} {}-threads {:<28} {best:>9.2} ns per iteration",
            threads(),
            P::NAME
        );
    }
    fn all_parallel<P: BenchPool>(pool: &P) {
        best_parallel("fast path (get + return)", pool, 200_000, |p| p.cycle());
        best_parallel("overflow (100 gets, 100 returns)", pool, 2_000, |p| {
            p.overflow(100)
        });
    }
    all_parallel(&ours);
    all_parallel(&lockfree);
    all_parallel(&object);
    all_parallel(&mutex);
}

fn main() {
    allocations_per_op();
    best_of_batches();
    group();
    Criterion::default().configure_from_args().final_summary();
}
