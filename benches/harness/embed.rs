//! The embedding workloads: what a work-stealing runtime built on a deque calls most often.
//!
//! - `g_*`: `is_empty` on the owner and on a stealer, with one value held (the common case: a
//!   runtime asks before it pushes or parks) and with the structure drained.
//! - `h_fine_grained`: the shape of a fine-grained `join` (rayon): per item the owner checks
//!   `is_empty`, pushes a task, checks again, and pops it back; one item in 64 is stolen by a
//!   stealer instead of popped.
//! - `h_fine_grained_thief`: the same owner loop while an idle thief on another thread polls
//!   `is_empty` and steals when it sees work (the owner's CPU time is measured).
//!
//! Only the implementations with an emptiness check take part: poolqueue's dequeue and chain,
//! crossbeam-deque and st3 (st3's `Stealer` has no `is_empty`, so its stealer rows are empty).
//! Used by `benches/embed.rs`; `benches/report.py` reads the rows below.

use std::hint::black_box;
use std::sync::atomic::Ordering;
use std::time::Duration;

use criterion::Criterion;

use super::{check_accounted, missed, spawn_thief, thread_cpu, warm};
use super::{CbDeque, Owner, PqChain, PqDequeue, PqWorkerOf, St3Lifo, Thief};
use super::{Workload, RING_CAPACITY};

/// An owner that can tell whether its structure is empty.
pub(crate) trait EmptyOwner: Owner {
    /// Whether the structure holds no value (a snapshot).
    fn is_empty(&self) -> bool;
}

/// A thief that can tell whether the structure it steals from is empty.
pub(crate) trait EmptyThief: Thief {
    /// Whether the source holds no value (a snapshot).
    fn is_empty(&self) -> bool;
}

/// Each adapter's structure has an inherent `is_empty`; the trait methods forward to it.
macro_rules! empty_owner {
    ($($adapter:ty),*) => {$(
        impl EmptyOwner for $adapter {
            #[inline]
            fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }
    )*};
}
empty_owner!(PqDequeue, PqChain, CbDeque, St3Lifo);

impl<const K: usize> EmptyOwner for PqWorkerOf<K> {
    #[inline]
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Each stealer has an inherent `is_empty` (st3's has none); the trait method forwards to it.
macro_rules! empty_thief {
    ($($stealer:ty),*) => {$(
        impl EmptyThief for $stealer {
            #[inline]
            fn is_empty(&self) -> bool {
                <$stealer>::is_empty(self)
            }
        }
    )*};
}
empty_thief!(
    poolqueue::dequeue::Stealer<usize>,
    poolqueue::chain::Stealer<usize>,
    poolqueue::worker::Stealer<usize>,
    crossbeam_deque::Stealer<usize>
);

/// The embedding rows, in report order (`benches/report.py` reads them from this file).
pub(crate) const EMBED_WORKLOADS: &[Workload] = &[
    Workload {
        id: "g_owner_is_empty",
        items: 1,
        what: "owner is_empty while one value is held (fresh structure, one push)",
    },
    Workload {
        id: "g_owner_is_empty_drained",
        items: 1,
        what: "owner is_empty on a drained structure (chain: after growing to 1024 and draining)",
    },
    Workload {
        id: "g_stealer_is_empty",
        items: 1,
        what: "stealer is_empty while one value is held (st3: no Stealer::is_empty)",
    },
    Workload {
        id: "g_stealer_is_empty_drained",
        items: 1,
        what: "stealer is_empty on a drained structure (chain: after growing to 1024 and draining)",
    },
    Workload {
        id: "h_fine_grained",
        items: 1,
        what: "per item: is_empty, push, is_empty, pop; every 64th item stolen instead (one thread)",
    },
    Workload {
        id: "h_fine_grained_thief",
        items: 1,
        what: "h_fine_grained while an idle thief polls is_empty and steals what it sees (owner CPU time)",
    },
];

/// Steal one item in this many instead of popping it (`h_fine_grained`).
const STEAL_EVERY: usize = 64;

/// `iters` calls of `check` on `o` (and its thief), timed with the thread's CPU clock.
fn time_checks<O: EmptyOwner>(o: &O, iters: u64, check: impl Fn(&O) -> bool) -> Duration {
    let start = thread_cpu();
    for _ in 0..iters {
        black_box(check(black_box(o)));
    }
    thread_cpu() - start
}

/// (g) Owner `is_empty`, one value held, or drained after growth to `RING_CAPACITY`.
pub(crate) fn owner_is_empty<O: EmptyOwner>(iters: u64, drained: bool) -> Duration {
    let mut o = O::new(RING_CAPACITY);
    if drained {
        let mut t = o.thief();
        warm(&mut o, &mut t, RING_CAPACITY); // a chain grows to a ring this size
    } else {
        o.push(1).expect("room for one value");
    }
    let want = drained;
    assert_eq!(o.is_empty(), want, "{}: wrong emptiness", O::NAME);
    time_checks(&o, iters, |o| o.is_empty())
}

/// (g) Stealer `is_empty`, one value held, or drained after growth to `RING_CAPACITY`.
pub(crate) fn stealer_is_empty<O: EmptyOwner>(iters: u64, drained: bool) -> Duration
where
    O::Thief: EmptyThief,
{
    let mut o = O::new(RING_CAPACITY);
    let mut t = o.thief();
    if drained {
        warm(&mut o, &mut t, RING_CAPACITY); // a chain grows to a ring this size
    } else {
        o.push(1).expect("room for one value");
        o.publish(); // a worker's thief sees only published values
    }
    assert_eq!(t.is_empty(), drained, "{}: wrong emptiness", O::NAME);
    let start = thread_cpu();
    for _ in 0..iters {
        black_box(black_box(&t).is_empty());
    }
    thread_cpu() - start
}

/// (h) The fine-grained pattern on one thread. Checks that every item pushed came back.
pub(crate) fn fine_grained<O: EmptyOwner>(iters: u64) -> Duration {
    let mut o = O::new(RING_CAPACITY);
    let mut t = o.thief();
    let mut back = 0u64;
    let start = thread_cpu();
    for i in 0..iters as usize {
        black_box(o.is_empty());
        o.push(black_box(i))
            .expect("the structure holds at most one item");
        black_box(o.is_empty());
        let got = if i % STEAL_EVERY == 0 {
            o.publish(); // a worker publishes what a thief asked for
            t.steal()
        } else {
            o.pop()
        };
        back += got.is_some() as u64;
    }
    let elapsed = thread_cpu() - start;
    assert_eq!(back, iters, "{}: an item was lost", O::NAME);
    elapsed
}

/// (h) The fine-grained owner loop beside a thief that polls `is_empty` and steals when it sees
/// work. Pops, steals and leftovers must account for every push.
pub(crate) fn fine_grained_thief<O: EmptyOwner>(iters: u64) -> Duration
where
    O::Thief: EmptyThief,
{
    let mut o = O::new(RING_CAPACITY);
    let (stop, barrier, thief) = spawn_thief(o.thief(), |t, idle| {
        if !t.is_empty() {
            *idle = 0;
            t.steal().is_some() as u64
        } else {
            missed(idle);
            0
        }
    });
    barrier.wait();
    let (mut pushed, mut popped) = (0u64, 0u64);
    let start = thread_cpu();
    for i in 0..iters as usize {
        black_box(o.is_empty());
        pushed += o.push(black_box(i)).is_ok() as u64;
        black_box(o.is_empty());
        popped += o.pop().is_some() as u64;
    }
    let elapsed = thread_cpu() - start;
    stop.store(true, Ordering::Relaxed);
    let stolen = thief.join().expect("thief thread");
    check_accounted(&mut o, pushed, popped + stolen);
    elapsed
}

/// Runs one embedding workload by id.
pub(crate) fn run_owner_rows<O: EmptyOwner>(id: &str, iters: u64) -> Option<Duration> {
    Some(match id {
        "g_owner_is_empty" => owner_is_empty::<O>(iters, false),
        "g_owner_is_empty_drained" => owner_is_empty::<O>(iters, true),
        "h_fine_grained" => fine_grained::<O>(iters),
        _ => return None,
    })
}

/// Registers the rows `O` supports (owner rows always; stealer rows when its thief has
/// `is_empty`) with criterion.
fn register<O: EmptyOwner>(c: &mut Criterion, id: &str, run: impl Fn(u64) -> Duration) {
    let w = EMBED_WORKLOADS
        .iter()
        .find(|w| w.id == id)
        .expect("a listed workload");
    super::register::<O>(c, w, run);
}

/// The owner-side rows, for every implementation with an owner `is_empty`.
pub(crate) fn bench_owner<O: EmptyOwner>(c: &mut Criterion) {
    for id in [
        "g_owner_is_empty",
        "g_owner_is_empty_drained",
        "h_fine_grained",
    ] {
        register::<O>(c, id, |iters| {
            run_owner_rows::<O>(id, iters).expect("an owner row")
        });
    }
}

/// The stealer-side rows, for implementations whose thief has `is_empty`.
pub(crate) fn bench_stealer<O: EmptyOwner>(c: &mut Criterion)
where
    O::Thief: EmptyThief,
{
    register::<O>(c, "g_stealer_is_empty", |iters| {
        stealer_is_empty::<O>(iters, false)
    });
    register::<O>(c, "g_stealer_is_empty_drained", |iters| {
        stealer_is_empty::<O>(iters, true)
    });
    register::<O>(c, "h_fine_grained_thief", fine_grained_thief::<O>);
}
