//! The `pool` target: `Pool` used by the main thread and up to three workers, each running its
//! own program of gets, returns, puts, detaches, releases and uses, interleaved by the same
//! byte-driven shuttle scheduler as the deque targets.
//!
//! | bytes | meaning |
//! | --- | --- |
//! | `cfg` | bits 0-1: workers `1 + (b & 3) % 3`; bit 2: `max_idle(1 + (b >> 4 & 3))`; bit 3: `retain` rejects every third value; bit 6: bursts, every `get` op takes [`BURST`] values (past the private slot and the 4-value stash of the models, so returns spill and gets refill and steal in batches); bit 7: a byte budget `max_idle_bytes(2 + 2 * (b >> 4 & 3))` (value `id` weighs `id % 3 + 1`), and op byte 1 is a `get_local` |
//! | per thread (main first): `n`, then `n % 17` op bytes | `b % 8`: 0, 1 `get` (held; with bit 7, 1 is `get_local`); 2, 3 return the newest held guard; 4 `put` of a new value; 5 `detach` the newest held value and drop it; 6 `release`; 7 use every held value across a scheduling point |
//! | the rest | the schedule |
//!
//! Checks: a value is never held by two users at once (its `in_use` flag, set from `get` to the
//! return and across every use), a value handed out has been reset since its last use (`dirty`
//! is set by every user and cleared only by the reset hook), no value is dropped while in use,
//! and after the pool is dropped every value ever created was dropped exactly once. With a
//! budget, once the threads are joined: the idle values (all drained by the main thread) weigh
//! at most the budget, and the budget is whole again after the drain (new values are kept
//! exactly while they fit).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use lincheck::identity::{DropCounter, Identity};
use poolqueue::{Pool, Pooled};

use super::ByteScheduler;

/// The most operations in one thread's program.
pub const MAX_OPS: usize = 16;

/// Values one `get` op takes in burst mode: one more than the private slot and the models'
/// stash (4) hold.
pub const BURST: usize = 6;

/// A pool operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolOp {
    /// `get`, keep the guard.
    Get,
    /// `get_local`, keep the guard.
    GetLocal,
    /// Drop the newest held guard (the value goes back through the reset hook).
    Return,
    /// `put` a newly made value.
    Put,
    /// `Pooled::detach` the newest held value, then drop it outside the pool.
    Detach,
    /// `release`: the victim generation is dropped, the idle values become the new one.
    Release,
    /// Use every held value across a scheduling point.
    Use,
}

/// A decoded pool input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolProgram {
    /// `max_idle` bound, if any.
    pub max_idle: Option<usize>,
    /// Whether a `retain` filter rejects values whose id is a multiple of 3.
    pub retain: bool,
    /// Whether every `get` op takes [`BURST`] values.
    pub burst: bool,
    /// `max_idle_bytes` budget, if any (value `id` weighs `id % 3 + 1`).
    pub budget: Option<usize>,
    /// Per thread (the main thread first), its operations.
    pub threads: Vec<Vec<PoolOp>>,
    /// The schedule bytes.
    pub schedule: Vec<u8>,
}

impl PoolProgram {
    /// Decodes any byte string (missing bytes read as zero).
    pub fn decode(data: &[u8]) -> PoolProgram {
        let mut used = 0;
        let mut next = || {
            let b = data.get(used).copied().unwrap_or(0);
            used += 1;
            b
        };
        let cfg = next();
        let workers = 1 + usize::from(cfg & 3) % 3;
        let threads = (0..=workers)
            .map(|_| {
                let n = usize::from(next()) % (MAX_OPS + 1);
                (0..n)
                    .map(|_| match next() % 8 {
                        1 if cfg & 128 != 0 => PoolOp::GetLocal,
                        0 | 1 => PoolOp::Get,
                        2 | 3 => PoolOp::Return,
                        4 => PoolOp::Put,
                        5 => PoolOp::Detach,
                        6 => PoolOp::Release,
                        _ => PoolOp::Use,
                    })
                    .collect()
            })
            .collect();
        let used = used.min(data.len());
        PoolProgram {
            max_idle: (cfg & 4 != 0).then(|| 1 + usize::from((cfg >> 4) & 3)),
            retain: cfg & 8 != 0,
            burst: cfg & 64 != 0,
            budget: (cfg & 128 != 0).then(|| 2 + 2 * usize::from((cfg >> 4) & 3)),
            threads,
            schedule: data[used..].to_vec(),
        }
    }
}

/// Every value ever made, and how often each was dropped.
#[derive(Default)]
struct Ledger {
    created: AtomicU64,
    dropped: Mutex<Vec<u8>>,
}

impl Ledger {
    fn make(self: &Arc<Self>) -> Item {
        // Relaxed: all shuttle threads run on this OS thread; a plain counter.
        let id = self.created.fetch_add(1, Ordering::Relaxed);
        self.dropped.lock().unwrap().push(0);
        Item {
            value: Identity::new(id, self.clone()),
            in_use: AtomicBool::new(false),
            dirty: AtomicBool::new(false),
        }
    }
}

/// A pooled value: identity, heap allocation, and the flags the checks read. The flags are std
/// atomics: no scheduling points, no modelled synchronization. A bitwise duplicate made by a
/// broken pool is reported by its second drop, which frees nothing ([`Identity`]).
struct Item {
    value: Identity<Arc<Ledger>>,
    in_use: AtomicBool,
    dirty: AtomicBool,
}

impl DropCounter for Ledger {
    fn count_drop(&self, id: u64) -> u64 {
        let mut dropped = self.dropped.lock().unwrap();
        dropped[id as usize] += 1;
        u64::from(dropped[id as usize])
    }
}

impl Item {
    fn id(&self) -> u64 {
        self.value.id()
    }

    /// Called when a user receives the value.
    fn acquire(&self) {
        assert!(
            !self.in_use.swap(true, Ordering::Relaxed),
            "value {} handed to two users",
            self.id()
        );
        assert!(
            !self.dirty.load(Ordering::Relaxed),
            "value {} handed out without a reset since its last use",
            self.id()
        );
        self.dirty.store(true, Ordering::Relaxed);
    }

    /// Called just before the user gives the value up.
    fn give_up(&self) {
        self.in_use.store(false, Ordering::Relaxed);
    }
}

impl Drop for Item {
    fn drop(&mut self) {
        assert!(
            !self.in_use.load(Ordering::Relaxed),
            "value {} dropped while in use",
            self.id()
        );
    }
}

/// The weight of a value under a budget.
fn weight(v: &Item) -> usize {
    (v.id() % 3) as usize + 1
}

/// With every thread joined: drains the idle values (a pool with a budget keeps none in a
/// private slot, so the calling thread reaches all), checks their weight, then checks that the
/// budget is whole again: new values are kept exactly while they fit.
fn check_budget(pool: &Pool<Item>, ledger: &Arc<Ledger>, budget: usize, retain: bool) {
    let mut drained = Vec::new();
    while let Some(v) = pool.try_get() {
        v.acquire();
        drained.push(v);
    }
    let idle: usize = drained.iter().map(|v| weight(v)).sum();
    assert!(
        idle <= budget,
        "the idle values weigh {idle}, the budget is {budget}"
    );
    for v in &drained {
        v.give_up();
    }
    // Detached (their return would take room again), then dropped outside the pool.
    drop(drained.into_iter().map(Pooled::detach).collect::<Vec<_>>());
    let mut kept = 0;
    for _ in 0..4 {
        let v = ledger.make();
        if retain && v.id().is_multiple_of(3) {
            pool.put(v); // `retain` drops it before the budget sees it
            continue;
        }
        let w = weight(&v);
        let fits = kept + w <= budget;
        let evicted = pool.stats().expect("counters on with a budget").evicted;
        pool.put(v);
        let now = pool.stats().expect("counters on with a budget").evicted;
        assert_eq!(
            now == evicted,
            fits,
            "after the drain, a value of weight {w} must be kept exactly if it fits beside \
             {kept} of the budget's {budget}"
        );
        if fits {
            kept += w;
        }
    }
}

/// Decodes `data` and runs it as one shuttle execution, panicking on any violated property.
pub fn run(data: &[u8]) {
    run_program(PoolProgram::decode(data));
}

/// Runs a decoded program (see [`run`]).
pub fn run_program(p: PoolProgram) {
    let schedule = p.schedule.clone();
    let mut config = shuttle::Config::new();
    config.silence_warnings = true;
    // The input file is the replayable record; shuttle's own schedule string would need this
    // harness around it to replay.
    config.failure_persistence = shuttle::FailurePersistence::None;
    config.max_steps = shuttle::MaxSteps::FailAfter(100_000);
    let p = Arc::new(p);
    shuttle::Runner::new(ByteScheduler::new(schedule), config).run(move || execute(&p));
}

fn program(pool: &Pool<Item>, ledger: &Arc<Ledger>, ops: &[PoolOp], burst: bool) {
    let mut held: Vec<Pooled<'_, Item>> = Vec::new();
    for op in ops {
        match op {
            PoolOp::Get | PoolOp::GetLocal => {
                for _ in 0..if burst { BURST } else { 1 } {
                    let v = if *op == PoolOp::Get {
                        pool.get()
                    } else {
                        pool.get_local()
                    };
                    v.acquire();
                    held.push(v);
                }
            }
            PoolOp::Return => {
                for _ in 0..if burst { BURST } else { 1 } {
                    if let Some(v) = held.pop() {
                        v.give_up();
                    }
                }
            }
            PoolOp::Put => pool.put(ledger.make()),
            PoolOp::Detach => {
                if let Some(v) = held.pop() {
                    let v = Pooled::detach(v);
                    v.give_up();
                }
            }
            PoolOp::Release => pool.release(),
            PoolOp::Use => {
                for v in &held {
                    v.give_up();
                    shuttle::thread::yield_now();
                    assert!(
                        !v.in_use.swap(true, Ordering::Relaxed),
                        "value {} used by another user meanwhile",
                        v.id()
                    );
                }
            }
        }
    }
    // The thread ends holding values: give them back.
    for v in held.drain(..).rev() {
        v.give_up();
    }
}

fn execute(p: &PoolProgram) {
    let ledger = Arc::new(Ledger::default());
    let maker = ledger.clone();
    let mut pool = Pool::with_reset(
        move || maker.make(),
        |v: &mut Item| v.dirty.store(false, Ordering::Relaxed),
    );
    if let Some(max) = p.max_idle {
        pool = pool.max_idle(max);
    }
    if p.retain {
        pool = pool.retain(|v: &Item| !v.id().is_multiple_of(3));
    }
    if let Some(budget) = p.budget {
        pool = pool.max_idle_bytes(budget, weight).with_counters();
    }
    let pool = Arc::new(pool);
    let workers: Vec<_> = p.threads[1..]
        .iter()
        .map(|ops| {
            let pool = pool.clone();
            let ledger = ledger.clone();
            let ops = ops.clone();
            let burst = p.burst;
            shuttle::thread::spawn(move || program(&pool, &ledger, &ops, burst))
        })
        .collect();
    program(&pool, &ledger, &p.threads[0], p.burst);
    for w in workers {
        w.join().expect("worker panicked");
    }
    if let Some(budget) = p.budget {
        check_budget(&pool, &ledger, budget, p.retain);
    }
    drop(pool);
    let created = ledger.created.load(Ordering::Relaxed);
    let dropped = ledger.dropped.lock().unwrap();
    assert_eq!(dropped.len() as u64, created);
    if let Some(id) = dropped.iter().position(|&d| d != 1) {
        panic!(
            "value {id} dropped {} times after the pool was dropped",
            dropped[id]
        );
    }
}
