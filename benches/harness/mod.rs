//! One generic harness for the side-by-side benchmarks: every workload is written once against
//! the [`Owner`] / [`Thief`] traits, and each implementation (poolqueue's `dequeue` and `chain`,
//! and the peers) is a thin adapter.
//!
//! Values are `usize` (no allocation per push). Every workload returns the wall time of exactly
//! `iters` repetitions, for criterion's `iter_custom`; the throughput set on each group is the
//! number of items one repetition moves, so `ns/item = median / items`.
//!
//! The file is shared by `benches/poolqueue.rs` (poolqueue), `benches/peers.rs` (the peers) and
//! `benches/tools/alloc_count.rs` (allocations per operation), hence the `dead_code` allowance.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};

/// The embedding rows (`is_empty`, the fine-grained pattern), used by `benches/embed.rs`.
pub(crate) mod embed;

/// The producer side: one thread pushes and pops at the head.
pub(crate) trait Owner: Send + Sized + 'static {
    /// The implementation's name in tables and plots.
    const NAME: &'static str;
    /// The handle a stealing thread uses.
    type Thief: Thief;
    /// A structure for `capacity` items (growable ones may start smaller and grow).
    fn new(capacity: usize) -> Self;
    /// Pushes at the head; `Err(v)` when a bounded structure is full.
    fn push(&mut self, v: usize) -> Result<(), usize>;
    /// Pops at the owner's end (LIFO for all but `ArrayQueue`, which is FIFO only).
    fn pop(&mut self) -> Option<usize>;
    /// A new stealing handle, to be moved to another thread.
    fn thief(&self) -> Self::Thief;
    /// Makes every value pushed so far visible to thieves: the worker's `flush` (it keeps its
    /// newest values private until a thief asks); nothing for the others. Workloads whose
    /// thieves must see every value call it after the owner's pushes.
    #[inline]
    fn publish(&mut self) {}
}

/// The consumer side: takes the oldest item.
pub(crate) trait Thief: Send + 'static {
    /// Takes one item from the tail; `None` when empty (or, for peers that report it, when a
    /// concurrent steal made this attempt give up: the caller just tries again).
    fn steal(&mut self) -> Option<usize>;
}

// ---------------------------------------------------------------------------------------------
// Adapters
// ---------------------------------------------------------------------------------------------

/// `poolqueue::dequeue`: the fixed ring.
pub(crate) struct PqDequeue(
    poolqueue::dequeue::Owner<usize>,
    poolqueue::dequeue::Stealer<usize>,
);
impl Owner for PqDequeue {
    const NAME: &'static str = "poolqueue-dequeue";
    type Thief = poolqueue::dequeue::Stealer<usize>;
    fn new(capacity: usize) -> Self {
        let (o, s) = poolqueue::dequeue::new(capacity).expect("power-of-two capacity");
        PqDequeue(o, s)
    }
    #[inline]
    fn push(&mut self, v: usize) -> Result<(), usize> {
        self.0.push_head(v)
    }
    #[inline]
    fn pop(&mut self) -> Option<usize> {
        self.0.pop_head()
    }
    fn thief(&self) -> Self::Thief {
        self.1.clone()
    }
}

/// `poolqueue::chain`: doubling rings, epoch reclamation.
pub(crate) struct PqChain(
    poolqueue::chain::Owner<usize>,
    poolqueue::chain::Stealer<usize>,
);
impl Owner for PqChain {
    const NAME: &'static str = "poolqueue-chain";
    type Thief = poolqueue::chain::Stealer<usize>;
    fn new(_capacity: usize) -> Self {
        let (o, s) = poolqueue::chain::new();
        PqChain(o, s)
    }
    #[inline]
    fn push(&mut self, v: usize) -> Result<(), usize> {
        self.0.push_head(v);
        Ok(())
    }
    #[inline]
    fn pop(&mut self) -> Option<usize> {
        self.0.pop_head()
    }
    fn thief(&self) -> Self::Thief {
        self.1.clone()
    }
}

/// The worker's `k` in the benchmarks: `POOLQUEUE_WORKER_K` when set (to measure the choice of
/// the default), else `poolqueue::worker::DEFAULT_PRIVATE`.
fn worker_k() -> usize {
    std::env::var("POOLQUEUE_WORKER_K")
        .ok()
        .map(|k| k.parse().expect("POOLQUEUE_WORKER_K: a number"))
        .unwrap_or(poolqueue::worker::DEFAULT_PRIVATE)
}

/// `poolqueue::worker` keeping `K` values private; `K = usize::MAX` stands for the default
/// (`worker_k`).
pub(crate) struct PqWorkerOf<const K: usize>(
    poolqueue::worker::Owner<usize>,
    poolqueue::worker::Stealer<usize>,
);
/// The worker with its default `k`.
pub(crate) type PqWorker = PqWorkerOf<{ usize::MAX }>;
/// The worker with `k = 0`: every value published at once.
pub(crate) type PqWorkerK0 = PqWorkerOf<0>;
impl<const K: usize> Owner for PqWorkerOf<K> {
    const NAME: &'static str = if K == 0 {
        "poolqueue-worker-k0"
    } else {
        "poolqueue-worker"
    };
    type Thief = poolqueue::worker::Stealer<usize>;
    fn new(_capacity: usize) -> Self {
        let k = if K == usize::MAX { worker_k() } else { K };
        let (o, s) = poolqueue::worker::with_private(k);
        PqWorkerOf(o, s)
    }
    #[inline]
    fn push(&mut self, v: usize) -> Result<(), usize> {
        self.0.push_head(v);
        Ok(())
    }
    #[inline]
    fn pop(&mut self) -> Option<usize> {
        self.0.pop_head()
    }
    fn thief(&self) -> Self::Thief {
        self.1.clone()
    }
    #[inline]
    fn publish(&mut self) {
        self.0.flush();
    }
}

/// A poolqueue stealer steals with `pop_tail`.
macro_rules! pop_tail_thief {
    ($($stealer:ty),*) => {$(
        impl Thief for $stealer {
            #[inline]
            fn steal(&mut self) -> Option<usize> {
                self.pop_tail()
            }
        }
    )*};
}
pop_tail_thief!(
    poolqueue::dequeue::Stealer<usize>,
    poolqueue::chain::Stealer<usize>,
    poolqueue::worker::Stealer<usize>
);

/// `st3::lifo`: bounded, owner LIFO, FIFO steals (one steal at a time, `Busy` otherwise).
pub(crate) struct St3Lifo(st3::lifo::Worker<usize>);
/// An `st3` stealer with the destination worker its API needs (never filled: we steal 1).
pub(crate) struct St3Thief(st3::lifo::Stealer<usize>, st3::lifo::Worker<usize>);
impl Owner for St3Lifo {
    const NAME: &'static str = "st3-lifo";
    type Thief = St3Thief;
    fn new(capacity: usize) -> Self {
        St3Lifo(st3::lifo::Worker::new(capacity))
    }
    #[inline]
    fn push(&mut self, v: usize) -> Result<(), usize> {
        self.0.push(v)
    }
    #[inline]
    fn pop(&mut self) -> Option<usize> {
        self.0.pop()
    }
    fn thief(&self) -> Self::Thief {
        St3Thief(self.0.stealer(), st3::lifo::Worker::new(1))
    }
}
impl Thief for St3Thief {
    #[inline]
    fn steal(&mut self) -> Option<usize> {
        self.0.steal_and_pop(&self.1, |_| 1).ok().map(|(v, _)| v)
    }
}

/// `crossbeam_deque::Worker::new_lifo` + `Stealer` (growable, epoch-reclaimed buffers).
pub(crate) struct CbDeque(crossbeam_deque::Worker<usize>);
impl Owner for CbDeque {
    const NAME: &'static str = "crossbeam-deque";
    type Thief = crossbeam_deque::Stealer<usize>;
    fn new(_capacity: usize) -> Self {
        CbDeque(crossbeam_deque::Worker::new_lifo())
    }
    #[inline]
    fn push(&mut self, v: usize) -> Result<(), usize> {
        self.0.push(v);
        Ok(())
    }
    #[inline]
    fn pop(&mut self) -> Option<usize> {
        self.0.pop()
    }
    fn thief(&self) -> Self::Thief {
        self.0.stealer()
    }
}
impl Thief for crossbeam_deque::Stealer<usize> {
    #[inline]
    fn steal(&mut self) -> Option<usize> {
        crossbeam_deque::Stealer::steal(self).success()
    }
}

/// `crossbeam_queue::ArrayQueue`: a bounded MPMC FIFO; the owner's `pop` is FIFO too.
pub(crate) struct CbArrayQueue(Arc<crossbeam_queue::ArrayQueue<usize>>);
/// The shared queue, popped from any thread.
pub(crate) struct CbArrayThief(Arc<crossbeam_queue::ArrayQueue<usize>>);
impl Owner for CbArrayQueue {
    const NAME: &'static str = "crossbeam-arrayqueue";
    type Thief = CbArrayThief;
    fn new(capacity: usize) -> Self {
        CbArrayQueue(Arc::new(crossbeam_queue::ArrayQueue::new(capacity)))
    }
    #[inline]
    fn push(&mut self, v: usize) -> Result<(), usize> {
        self.0.push(v)
    }
    #[inline]
    fn pop(&mut self) -> Option<usize> {
        self.0.pop()
    }
    fn thief(&self) -> Self::Thief {
        CbArrayThief(self.0.clone())
    }
}
impl Thief for CbArrayThief {
    #[inline]
    fn steal(&mut self) -> Option<usize> {
        self.0.pop()
    }
}

/// `Mutex<VecDeque>`: owner at the back, thieves at the front; grows like the chain.
pub(crate) struct MutexDeque(Arc<Mutex<VecDeque<usize>>>);
/// The shared deque, popped at the front.
pub(crate) struct MutexThief(Arc<Mutex<VecDeque<usize>>>);
impl Owner for MutexDeque {
    const NAME: &'static str = "mutex-vecdeque";
    type Thief = MutexThief;
    fn new(capacity: usize) -> Self {
        MutexDeque(Arc::new(Mutex::new(VecDeque::with_capacity(capacity))))
    }
    #[inline]
    fn push(&mut self, v: usize) -> Result<(), usize> {
        self.0.lock().unwrap().push_back(v);
        Ok(())
    }
    #[inline]
    fn pop(&mut self) -> Option<usize> {
        self.0.lock().unwrap().pop_back()
    }
    fn thief(&self) -> Self::Thief {
        MutexThief(self.0.clone())
    }
}
impl Thief for MutexThief {
    #[inline]
    fn steal(&mut self) -> Option<usize> {
        self.0.lock().unwrap().pop_front()
    }
}

// ---------------------------------------------------------------------------------------------
// Workloads
// ---------------------------------------------------------------------------------------------

/// Ring capacity for the single-item and contended workloads (Go's harness: 1024).
pub(crate) const RING_CAPACITY: usize = 1024;

/// A thief gives up its time slice after this many failed attempts in a row (Go's tests call
/// `runtime.Gosched()` after 100).
const SPINS_BEFORE_YIELD: u32 = 100;

/// One workload: its id (the criterion group and the report's row), the items one repetition
/// moves, and what it does.
pub(crate) struct Workload {
    /// Row id, also the criterion group name and the Go sub-benchmark name.
    pub(crate) id: &'static str,
    /// Items per repetition (ns/item = ns per repetition / items).
    pub(crate) items: u64,
    /// Description for the report.
    pub(crate) what: &'static str,
}

/// Every workload, in report order. `benches/go/pq_bench_test.go` uses the same ids.
pub(crate) const WORKLOADS: &[Workload] = &[
    Workload {
        id: "a_push_pop",
        items: 1,
        what: "owner push then pop, one thread (ring 1024)",
    },
    Workload {
        id: "b_batch64_pop_head",
        items: 64,
        what: "push 64, pop 64 at the head (ring 64; chain pre-grown)",
    },
    Workload {
        id: "b_batch256_pop_head",
        items: 256,
        what: "push 256, pop 256 at the head (ring 256)",
    },
    Workload {
        id: "c_batch64_pop_tail",
        items: 64,
        what: "push 64, steal 64 at the tail, one thread (ring 64)",
    },
    Workload {
        id: "c_batch256_pop_tail",
        items: 256,
        what: "push 256, steal 256 at the tail, one thread (ring 256)",
    },
    Workload {
        id: "d_push_1stealer",
        items: 1,
        what: "owner pushes N, 1 live stealer takes all (ring 1024; exactly-once checked)",
    },
    Workload {
        id: "d_push_3stealers",
        items: 1,
        what: "owner pushes N, 3 live stealers take all (ring 1024; exactly-once checked)",
    },
    Workload {
        id: "e_pushpop_vs_thief",
        items: 1,
        what: "owner push+pop pairs while a thief spins on the tail (ring 1024)",
    },
    Workload {
        id: "i_long_tasks",
        items: 4,
        what: "per round the owner pushes 3 tasks, runs one of 5 µs, then pops and runs the rest, while a thief steals and runs tasks (wall time per task)",
    },
    Workload {
        id: "f_fresh64",
        items: 64,
        what: "new structure, push 64, steal 64, drop (chain grows 8→64)",
    },
    Workload {
        id: "f_fresh1024",
        items: 1024,
        what: "new structure, push 1024, steal 1024, drop (chain grows 8→1024)",
    },
];

/// The calling thread's CPU time. Single-threaded workloads are timed with it, so that time
/// slices given to other processes on a loaded machine do not count (the Go side does the same).
pub(crate) fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and the clock id is a constant the kernel knows.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Pushes `n` items and steals them back, so growable structures reach the size a batch needs
/// (the chain is left with one ring of at least `n` slots, as in Go's harness).
fn warm<O: Owner>(o: &mut O, t: &mut O::Thief, n: usize) {
    for i in 0..n {
        o.push(i).expect("room for the warm-up batch");
    }
    o.publish();
    for _ in 0..n {
        t.steal().expect("warm-up item");
    }
}

/// (a) `iters` pairs of push then pop by the owner.
pub(crate) fn push_pop<O: Owner>(iters: u64) -> Duration {
    let mut o = O::new(RING_CAPACITY);
    let start = thread_cpu();
    for i in 0..iters as usize {
        let _ = o.push(black_box(i));
        black_box(o.pop());
    }
    thread_cpu() - start
}

/// (b) `iters` batches: push `batch`, pop `batch` at the owner's end.
pub(crate) fn batch_pop_head<O: Owner>(iters: u64, batch: usize) -> Duration {
    push_then_take::<O>(iters, batch, |_| {}, |o, _| o.pop())
}

/// (c) `iters` batches: push `batch`, publish them (the worker's flush), then steal `batch`
/// from the tail on the same thread.
pub(crate) fn batch_pop_tail<O: Owner>(iters: u64, batch: usize) -> Duration {
    push_then_take::<O>(iters, batch, O::publish, |_, t| t.steal())
}

/// (b) and (c): on a structure warmed to `batch` items, `iters` times push `batch` items, call
/// `before_take`, and take `batch` back with `take` (the owner's pop or the thief's steal), on
/// one thread.
#[inline(always)]
fn push_then_take<O: Owner>(
    iters: u64,
    batch: usize,
    mut before_take: impl FnMut(&mut O),
    mut take: impl FnMut(&mut O, &mut O::Thief) -> Option<usize>,
) -> Duration {
    let mut o = O::new(batch);
    let mut t = o.thief();
    warm(&mut o, &mut t, batch);
    let start = thread_cpu();
    for _ in 0..iters {
        for i in 0..batch {
            let _ = o.push(black_box(i));
        }
        before_take(&mut o);
        for _ in 0..batch {
            black_box(take(&mut o, &mut t));
        }
    }
    thread_cpu() - start
}

/// (d) The owner pushes `0..iters` (yielding while a bounded structure is full) while
/// `stealers` threads steal until the last item is taken. Timed from the moment every thread is
/// running until all have joined. Afterwards it asserts that every item was taken exactly once.
pub(crate) fn push_with_stealers<O: Owner>(iters: u64, stealers: usize) -> Duration {
    let n = iters as usize;
    let last = n - 1;
    let mut o = O::new(RING_CAPACITY);
    let stop = Arc::new(AtomicBool::new(false));
    let barrier = Arc::new(Barrier::new(stealers + 1));
    let handles: Vec<_> = (0..stealers)
        .map(|_| {
            let mut t = o.thief();
            let stop = stop.clone();
            let barrier = barrier.clone();
            thread::spawn(move || {
                // One bit per item: set by this thief, merged and checked after the run.
                let mut seen = vec![0u64; (n + 63) / 64];
                let mut dup = 0usize;
                barrier.wait();
                let mut fails = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    match t.steal() {
                        Some(v) => {
                            fails = 0;
                            dup += mark(&mut seen, v);
                            if v == last {
                                // FIFO steals: every earlier item has been claimed.
                                stop.store(true, Ordering::Relaxed);
                            }
                        }
                        None => missed(&mut fails),
                    }
                }
                (seen, dup)
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    push_all(&mut o, n, start, &stop);
    o.publish();
    // Guard against a lost item hanging the benchmark: give the thieves ten seconds.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
        thread::yield_now();
    }
    let timed_out = !stop.load(Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let elapsed = start.elapsed();
    assert!(!timed_out, "{}: item {last} never stolen", O::NAME);
    check_exactly_once(O::NAME, n, &results);
    assert!(
        o.pop().is_none(),
        "{}: items left after the last one was stolen",
        O::NAME
    );
    elapsed
}

/// A thief's failed attempt: after `SPINS_BEFORE_YIELD` in a row it gives up its time slice.
#[inline]
fn missed(fails: &mut u32) {
    *fails += 1;
    if *fails >= SPINS_BEFORE_YIELD {
        *fails = 0;
        thread::yield_now();
    }
}

/// Starts a thief on its own thread for the workloads with one live thief: after the start
/// barrier (this thread and the thief) it calls `attempt` until `stop` is set. `attempt` gets
/// the thief and its count of failed attempts (for [`missed`]) and returns how many items it
/// took; the thread returns the items taken in all.
fn spawn_thief<T: Thief>(
    mut t: T,
    mut attempt: impl FnMut(&mut T, &mut u32) -> u64 + Send + 'static,
) -> (Arc<AtomicBool>, Arc<Barrier>, thread::JoinHandle<u64>) {
    let stop = Arc::new(AtomicBool::new(false));
    let barrier = Arc::new(Barrier::new(2));
    let thief = {
        let (stop, barrier) = (stop.clone(), barrier.clone());
        thread::spawn(move || {
            let mut stolen = 0u64;
            let mut fails = 0u32;
            barrier.wait();
            while !stop.load(Ordering::Relaxed) {
                stolen += attempt(&mut t, &mut fails);
            }
            stolen
        })
    };
    (stop, barrier, thief)
}

/// Sets item `v`'s bit in a thief's bitmap; returns 1 when it was set already (a duplicate).
#[inline]
fn mark(seen: &mut [u64], v: usize) -> usize {
    let (w, b) = (v / 64, 1u64 << (v % 64));
    let dup = (seen[w] & b != 0) as usize;
    seen[w] |= b;
    dup
}

/// The owner pushes `0..n` one at a time, yielding while a bounded structure is full. A slot
/// that is never handed back would make it full forever: after 60 s since `start` it sets
/// `stop` (so the thieves end) and panics.
fn push_all<O: Owner>(o: &mut O, n: usize, start: Instant, stop: &AtomicBool) {
    for i in 0..n {
        let mut v = i;
        let mut fails = 0u32;
        while let Err(back) = o.push(v) {
            v = back;
            fails += 1;
            if fails % 1024 == 0 && start.elapsed() > Duration::from_secs(60) {
                stop.store(true, Ordering::Relaxed);
                panic!("{}: push of item {i} still refused after 60 s", O::NAME);
            }
            thread::yield_now();
        }
    }
}

/// Pops what is left in `o` and asserts that `taken` (pops and steals) plus the leftovers
/// account for every one of the `pushed` items.
fn check_accounted<O: Owner>(o: &mut O, pushed: u64, taken: u64) {
    let mut left = 0u64;
    while o.pop().is_some() {
        left += 1;
    }
    assert_eq!(
        taken + left,
        pushed,
        "{}: items lost or duplicated",
        O::NAME
    );
}

/// Registers one workload for `O` with criterion: group = workload id, function = the
/// implementation's name, throughput = items per repetition.
fn register<O: Owner>(c: &mut Criterion, w: &Workload, run: impl Fn(u64) -> Duration) {
    let mut g = c.benchmark_group(w.id);
    g.throughput(Throughput::Elements(w.items));
    g.bench_function(BenchmarkId::from_parameter(O::NAME), |b| {
        b.iter_custom(&run)
    });
    g.finish();
}

/// Asserts that the thieves' bitmaps together cover `0..n` with no item taken twice.
fn check_exactly_once(name: &str, n: usize, results: &[(Vec<u64>, usize)]) {
    let dups: usize = results.iter().map(|r| r.1).sum();
    assert_eq!(dups, 0, "{name}: an item was stolen twice by one thief");
    for w in 0..(n + 63) / 64 {
        let mut acc = 0u64;
        for (seen, _) in results {
            assert_eq!(
                acc & seen[w],
                0,
                "{name}: an item near {} was stolen twice",
                w * 64
            );
            acc |= seen[w];
        }
        let want = if (w + 1) * 64 <= n {
            !0
        } else {
            (1u64 << (n % 64)) - 1
        };
        assert_eq!(acc, want, "{name}: an item near {} was lost", w * 64);
    }
}

/// (e) The owner does `iters` push+pop pairs (the shape of a pool's fast path) while one thief
/// spins on the tail. Timed with the owner's CPU clock (cache lines taken by the thief show up as
/// the owner's stalls; time slices given to other processes do not count). Checks that pops +
/// steals + leftovers account for every push.
pub(crate) fn pushpop_vs_thief<O: Owner>(iters: u64) -> Duration {
    let mut o = O::new(RING_CAPACITY);
    let (stop, barrier, thief) = spawn_thief(o.thief(), |t, fails| match t.steal() {
        Some(v) => {
            black_box(v);
            1
        }
        None => {
            missed(fails);
            0
        }
    });
    barrier.wait();
    let start = thread_cpu();
    let (mut pushed, mut popped) = (0u64, 0u64);
    for i in 0..iters as usize {
        pushed += o.push(black_box(i)).is_ok() as u64;
        popped += o.pop().is_some() as u64;
    }
    let elapsed = thread_cpu() - start;
    stop.store(true, Ordering::Relaxed);
    let stolen = thief.join().unwrap();
    check_accounted(&mut o, pushed, popped + stolen);
    elapsed
}

/// How long one task of (i) keeps a thread busy.
const TASK: Duration = Duration::from_micros(5);

/// Keeps the calling thread busy for `TASK` (a task of the long-task workload).
fn run_task() {
    let start = Instant::now();
    while start.elapsed() < TASK {
        std::hint::spin_loop();
    }
}

/// (i) `iters` rounds: the owner pushes three tasks, runs a task of its own (`TASK` of busy
/// work, without touching the structure), then pops and runs tasks until it finds none; one
/// thief steals and runs tasks meanwhile. A worker keeps the three private while its owner runs
/// (the one weakness of the private buffer); with `k = 0` or a peer the thief can take them.
/// Wall time from the start barrier until every task ran; each task is counted once.
pub(crate) fn long_tasks<O: Owner>(iters: u64) -> Duration {
    let mut o = O::new(RING_CAPACITY);
    let (stop, barrier, thief) = spawn_thief(o.thief(), |t, fails| match t.steal() {
        Some(_) => {
            run_task();
            1
        }
        None => {
            missed(fails);
            0
        }
    });
    barrier.wait();
    let start = Instant::now();
    let (mut pushed, mut popped) = (0u64, 0u64);
    for round in 0..iters as usize {
        for i in 0..3 {
            pushed += o.push(black_box(3 * round + i)).is_ok() as u64;
        }
        run_task();
        while o.pop().is_some() {
            popped += 1;
            run_task();
        }
    }
    stop.store(true, Ordering::Relaxed);
    let stolen = thief.join().unwrap();
    let elapsed = start.elapsed();
    check_accounted(&mut o, pushed, popped + stolen);
    elapsed
}

/// (f) `iters` times: a new structure, push `batch`, steal `batch`, drop it (allocation and,
/// for growable structures, growth included).
pub(crate) fn fresh<O: Owner>(iters: u64, batch: usize) -> Duration {
    let start = thread_cpu();
    for _ in 0..iters {
        let mut o = O::new(batch);
        let mut t = o.thief();
        for i in 0..batch {
            let _ = o.push(black_box(i));
        }
        o.publish();
        for _ in 0..batch {
            black_box(t.steal());
        }
        drop(t);
        drop(o);
    }
    thread_cpu() - start
}

/// Runs one repetition-count of the workload with this id (for the allocation counter).
pub(crate) fn run<O: Owner>(id: &str, iters: u64) -> Duration {
    match id {
        "a_push_pop" => push_pop::<O>(iters),
        "b_batch64_pop_head" => batch_pop_head::<O>(iters, 64),
        "b_batch256_pop_head" => batch_pop_head::<O>(iters, 256),
        "c_batch64_pop_tail" => batch_pop_tail::<O>(iters, 64),
        "c_batch256_pop_tail" => batch_pop_tail::<O>(iters, 256),
        "d_push_1stealer" => push_with_stealers::<O>(iters, 1),
        "d_push_3stealers" => push_with_stealers::<O>(iters, 3),
        "e_pushpop_vs_thief" => pushpop_vs_thief::<O>(iters),
        "i_long_tasks" => long_tasks::<O>(iters),
        "f_fresh64" => fresh::<O>(iters, 64),
        "f_fresh1024" => fresh::<O>(iters, 1024),
        other => panic!("unknown workload {other}"),
    }
}

/// Registers every workload for implementation `O` with criterion (group = workload id,
/// function = implementation name, throughput = items per repetition).
pub(crate) fn bench_all<O: Owner>(c: &mut Criterion) {
    for w in WORKLOADS {
        register::<O>(c, w, |iters| run::<O>(w.id, iters));
    }
}

// ---------------------------------------------------------------------------------------------
// Batch workloads (b', c', d'): only for implementations with batch operations
// ---------------------------------------------------------------------------------------------

/// The batch side of an implementation. Each uses the best batch operation it has and falls
/// back to single operations where it has none (named in each adapter).
pub(crate) trait Batch: Owner {
    /// Pushes every value of `values` (the structure has room for them).
    fn push_batch(&mut self, values: &mut std::ops::Range<usize>);
    /// Pops up to `max` at the owner's end; returns how many.
    fn pop_batch(&mut self, max: usize) -> usize;
    /// Moves about half of `thief`'s source into `dest`; `false` once the source was empty.
    fn steal_batch(thief: &mut Self::Thief, dest: &Self) -> bool;
    /// As `steal_batch`, returning one stolen value.
    fn steal_batch_and_pop(thief: &mut Self::Thief, dest: &Self) -> Option<usize>;
}

/// A batch pop made of single pops, for the peers with none: pops up to `max`, returns how many.
#[inline]
fn pop_singly(max: usize, mut pop: impl FnMut() -> Option<usize>) -> usize {
    let mut n = 0;
    while n < max {
        match pop() {
            Some(v) => black_box(v),
            None => break,
        };
        n += 1;
    }
    n
}

/// Sums what a batch pop hands over, so the values are used.
struct Sink(usize, usize);
impl Extend<usize> for Sink {
    #[inline]
    fn extend<I: IntoIterator<Item = usize>>(&mut self, iter: I) {
        for v in iter {
            self.0 = self.0.wrapping_add(v);
            self.1 += 1;
        }
    }
}

/// poolqueue's `dequeue` and `chain` have the same batch API: one impl for both.
macro_rules! poolqueue_batch {
    ($($adapter:ty),*) => {$(
        impl Batch for $adapter {
            #[inline]
            fn push_batch(&mut self, values: &mut std::ops::Range<usize>) {
                self.0.push_head_batch(values);
            }
            #[inline]
            fn pop_batch(&mut self, max: usize) -> usize {
                let mut sink = Sink(0, 0);
                self.0.pop_head_batch(max, &mut sink);
                black_box(sink.0);
                sink.1
            }
            #[inline]
            fn steal_batch(thief: &mut Self::Thief, dest: &Self) -> bool {
                thief.steal_batch(&dest.0) > 0
            }
            #[inline]
            fn steal_batch_and_pop(thief: &mut Self::Thief, dest: &Self) -> Option<usize> {
                thief.steal_batch_and_pop(&dest.0)
            }
        }
    )*};
}
poolqueue_batch!(PqDequeue, PqChain);

/// The worker: no batch push or pop (single operations); its batch steals are the chain's.
impl<const K: usize> Batch for PqWorkerOf<K> {
    #[inline]
    fn push_batch(&mut self, values: &mut std::ops::Range<usize>) {
        values.for_each(|v| self.0.push_head(v));
    }
    #[inline]
    fn pop_batch(&mut self, max: usize) -> usize {
        pop_singly(max, || self.0.pop_head())
    }
    #[inline]
    fn steal_batch(thief: &mut Self::Thief, dest: &Self) -> bool {
        thief.steal_batch(&dest.0) > 0
    }
    #[inline]
    fn steal_batch_and_pop(thief: &mut Self::Thief, dest: &Self) -> Option<usize> {
        thief.steal_batch_and_pop(&dest.0)
    }
}

/// st3: `extend` pushes a batch; no batch pop (single `pop`s); steals take half, rounded up.
impl Batch for St3Lifo {
    #[inline]
    fn push_batch(&mut self, values: &mut std::ops::Range<usize>) {
        self.0.extend(values);
    }
    #[inline]
    fn pop_batch(&mut self, max: usize) -> usize {
        pop_singly(max, || self.0.pop())
    }
    #[inline]
    fn steal_batch(thief: &mut Self::Thief, dest: &Self) -> bool {
        loop {
            match thief.0.steal(&dest.0, |n| n - n / 2) {
                Ok(_) => return true,
                Err(st3::StealError::Empty) => return false,
                Err(st3::StealError::Busy) => std::hint::spin_loop(),
            }
        }
    }
    #[inline]
    fn steal_batch_and_pop(thief: &mut Self::Thief, dest: &Self) -> Option<usize> {
        loop {
            match thief.0.steal_and_pop(&dest.0, |n| n - n / 2) {
                Ok((v, _)) => return Some(v),
                Err(st3::StealError::Empty) => return None,
                Err(st3::StealError::Busy) => std::hint::spin_loop(),
            }
        }
    }
}

/// crossbeam-deque: no batch push or pop (single operations); `steal_batch` /
/// `steal_batch_and_pop` take about half, at most 32.
impl Batch for CbDeque {
    #[inline]
    fn push_batch(&mut self, values: &mut std::ops::Range<usize>) {
        for v in values {
            self.0.push(v);
        }
    }
    #[inline]
    fn pop_batch(&mut self, max: usize) -> usize {
        pop_singly(max, || self.0.pop())
    }
    #[inline]
    fn steal_batch(thief: &mut Self::Thief, dest: &Self) -> bool {
        loop {
            match thief.steal_batch(&dest.0) {
                crossbeam_deque::Steal::Success(()) => return true,
                crossbeam_deque::Steal::Empty => return false,
                crossbeam_deque::Steal::Retry => std::hint::spin_loop(),
            }
        }
    }
    #[inline]
    fn steal_batch_and_pop(thief: &mut Self::Thief, dest: &Self) -> Option<usize> {
        loop {
            match thief.steal_batch_and_pop(&dest.0) {
                crossbeam_deque::Steal::Success(v) => return Some(v),
                crossbeam_deque::Steal::Empty => return None,
                crossbeam_deque::Steal::Retry => std::hint::spin_loop(),
            }
        }
    }
}

/// The batch workloads, in report order (compare with b, c and d above).
pub(crate) const BATCH_WORKLOADS: &[Workload] = &[
    Workload {
        id: "b2_batch64_batch_ops",
        items: 64,
        what: "b': push 64 with one batch push, pop 64 with one batch pop (ring 64; peers: their batch ops, else single)",
    },
    Workload {
        id: "c2_batch64_steal_batch",
        items: 64,
        what: "c': push 64 (batch), batch-steal them all into a second deque, batch-pop that (one thread, rings 64)",
    },
    Workload {
        id: "d2_push_1stealer_batch",
        items: 1,
        what: "d': owner pushes N while 1 thief steal_batch_and_pops into its own deque and pops it (rings 1024; exactly-once checked)",
    },
];

/// (b') `iters` times: one batch push of `batch`, one batch pop of `batch`.
pub(crate) fn batch_ops<O: Batch>(iters: u64, batch: usize) -> Duration {
    let mut o = O::new(batch);
    let mut t = o.thief();
    warm(&mut o, &mut t, batch);
    let start = thread_cpu();
    for _ in 0..iters {
        o.push_batch(&mut (0..black_box(batch)));
        let n = o.pop_batch(batch);
        debug_assert_eq!(n, batch);
    }
    thread_cpu() - start
}

/// (c') `iters` times: batch-push `batch`, batch-steal until the source is empty into a second
/// structure, batch-pop that one. One thread; every value moves through both structures.
pub(crate) fn batch_steals<O: Batch>(iters: u64, batch: usize) -> Duration {
    let mut o = O::new(batch);
    let mut t = o.thief();
    warm(&mut o, &mut t, batch);
    let mut dest = O::new(batch);
    let mut dt = dest.thief();
    warm(&mut dest, &mut dt, batch);
    let start = thread_cpu();
    for _ in 0..iters {
        o.push_batch(&mut (0..black_box(batch)));
        o.publish();
        while O::steal_batch(&mut t, &dest) {}
        let n = dest.pop_batch(batch);
        assert_eq!(n, batch, "{}: every value reached the destination", O::NAME);
    }
    thread_cpu() - start
}

/// (d') The owner pushes `0..iters` one at a time (yielding while full) while one thief takes
/// work with `steal_batch_and_pop` into its own structure and pops that one first. Wall time
/// from the start barrier to the join; asserts that every item was taken exactly once.
pub(crate) fn push_with_batch_thief<O: Batch>(iters: u64) -> Duration {
    let n = iters as usize;
    let mut o = O::new(RING_CAPACITY);
    let stop = Arc::new(AtomicBool::new(false));
    let barrier = Arc::new(Barrier::new(2));
    let thief = {
        let mut t = o.thief();
        let (stop, barrier) = (stop.clone(), barrier.clone());
        thread::spawn(move || {
            let mut local = O::new(RING_CAPACITY);
            let mut seen = vec![0u64; (n + 63) / 64];
            let (mut dup, mut got) = (0usize, 0usize);
            barrier.wait();
            let mut fails = 0u32;
            while got < n && !stop.load(Ordering::Relaxed) {
                let v = match local.pop() {
                    Some(v) => Some(v),
                    None => O::steal_batch_and_pop(&mut t, &local),
                };
                match v {
                    Some(v) => {
                        fails = 0;
                        got += 1;
                        dup += mark(&mut seen, v);
                    }
                    None => missed(&mut fails),
                }
            }
            (seen, dup)
        })
    };
    barrier.wait();
    let start = Instant::now();
    push_all(&mut o, n, start, &stop);
    o.publish();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !thief.is_finished() && Instant::now() < deadline {
        thread::yield_now();
    }
    stop.store(true, Ordering::Relaxed);
    let result = thief.join().unwrap();
    let elapsed = start.elapsed();
    check_exactly_once(O::NAME, n, &[result]);
    elapsed
}

/// Runs one repetition-count of the batch workload with this id.
pub(crate) fn run_batch<O: Batch>(id: &str, iters: u64) -> Duration {
    match id {
        "b2_batch64_batch_ops" => batch_ops::<O>(iters, 64),
        "c2_batch64_steal_batch" => batch_steals::<O>(iters, 64),
        "d2_push_1stealer_batch" => push_with_batch_thief::<O>(iters),
        other => panic!("unknown batch workload {other}"),
    }
}

/// Registers the batch workloads for `O`, as [`bench_all`] does for the others.
pub(crate) fn bench_batch<O: Batch>(c: &mut Criterion) {
    for w in BATCH_WORKLOADS {
        register::<O>(c, w, |iters| run_batch::<O>(w.id, iters));
    }
}
