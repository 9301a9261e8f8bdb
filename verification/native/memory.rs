//! Reclamation, memory and the pool's lifecycle as users run them: the process-wide epoch, bursts
//! at scale, exited threads, panics. Each test names the defect it pins down; each failed on the
//! code before its fix.
//!
//! The memory tests count the chain rings (and their slots) alive in the whole process and read
//! the resident set size, so each runs alone in a child process of this test binary.
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use poolqueue::__test_hooks::{collect_retired, live_ring_slots, live_rings};
use poolqueue::{chain, Pool, Pooled};

use crate::support::alloc::allocations;
use crate::support::alone::alone;
use crate::support::crossbeam_collector::{
    defer_on_crossbeams_collector, drain_crossbeams_collector,
};
use crate::support::values::{tracked_pool, Ledger};
use crate::support::watchdog::watchdog;

/// The resident set size of this process, in bytes (Linux; 0 elsewhere), after the allocator
/// returned what it could: what is left is memory still allocated, not the allocator's cache.
pub(crate) fn rss() -> usize {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only releases free memory of glibc's heap.
    unsafe {
        libc::malloc_trim(0);
    }
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<usize>().ok())
        .map_or(0, |pages| pages * 4096)
}

pub(crate) const MIB: usize = 1 << 20;

// ---------------------------------------------------------------------------------------------
// Defect 1: another crate's deferred function ran inside a shard's owner-only state.

#[test]
fn other_crates_deferred_functions_never_run_inside_the_pool() {
    let pool = Arc::new(Pool::new(Vec::<u8>::new));
    let ran = Arc::new(AtomicU64::new(0));
    let reentrant = pool.clone();
    defer_on_crossbeams_collector(256, &ran, move || {
        // What a `Drop` that goes back to the pool does: re-enter it.
        reentrant.put(Vec::with_capacity(8));
        drop(reentrant.get());
    });
    // Slow paths that pin: an empty pool's `try_get` backs up through its chain; stealing
    // pins too; `release` drains chains.
    for _ in 0..5_000 {
        assert!(pool.try_get().is_none() || pool.try_get().is_some());
        drop(pool.try_get());
        pool.release();
    }
    assert_eq!(
        ran.load(Ordering::SeqCst),
        0,
        "the pool's pins ran another crate's deferred functions (user code inside the pool)"
    );
    drain_crossbeams_collector(&ran, 256);
}

// ---------------------------------------------------------------------------------------------
// Defect 2: `release` pinned while holding the victim lock; a deferred `release` deadlocked.

#[test]
fn a_deferred_release_does_not_deadlock() {
    watchdog(
        Duration::from_secs(30),
        "release deadlocked on its own victim lock",
        || {
            let pool = Arc::new(Pool::new(Vec::<u8>::new));
            let ran = Arc::new(AtomicU64::new(0));
            let reentrant = pool.clone();
            defer_on_crossbeams_collector(64, &ran, move || reentrant.release());
            for i in 0..5_000 {
                pool.put(Vec::with_capacity(i % 7));
                pool.put(Vec::with_capacity(i % 5));
                pool.release();
            }
            drain_crossbeams_collector(&ran, 64);
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Defect 3: retired rings waited in the retiring thread's bag while it kept working.

#[test]
fn retired_rings_are_freed_while_the_thread_keeps_working() {
    alone!(
        "retired_rings_are_freed_while_the_thread_keeps_working",
        || {
            let rss_before = rss();
            let (owner, stealer) = chain::new::<u64>();
            for i in 0..1 << 22 {
                owner.push_head(i);
            }
            assert!(live_rings() >= 20, "the burst grew the chain");
            while stealer.pop_tail().is_some() {}
            // The thread keeps working on the head ring only: no pins, no collections.
            for i in 0..1_000_000 {
                owner.push_head(i);
                owner.pop_head();
            }
            assert!(
                live_rings() <= 2,
                "{} rings alive after the drain (retired rings are not freed)",
                live_rings()
            );
            println!(
                "rss: {} MiB before the burst, {} MiB after the drain",
                rss_before / MIB,
                rss() / MIB
            );
        },
    );
}

// ---------------------------------------------------------------------------------------------
// The head ring kept the burst's peak size for good.

#[test]
fn the_head_ring_shrinks_back_after_a_burst() {
    alone!("the_head_ring_shrinks_back_after_a_burst", || {
        let rss_before = rss();
        let (owner, stealer) = chain::new::<u64>();
        for i in 0..1 << 22 {
            owner.push_head(i);
        }
        let rss_peak = rss();
        while stealer.pop_tail().is_some() {}
        // Back to ordinary use: the owner finds the chain empty twice after the burst.
        for round in 0..2 {
            for i in 0..5 {
                owner.push_head(i);
            }
            while owner.pop_head().is_some() {}
            assert_eq!(owner.pop_head(), None, "round {round}");
        }
        assert_eq!(collect_retired(1), 1, "one ring left");
        assert!(
            live_ring_slots() <= 64,
            "the head ring kept {} slots after the burst",
            live_ring_slots()
        );
        let rss_after = rss();
        println!(
            "rss: {} MiB before, {} MiB at the peak, {} MiB after",
            rss_before / MIB,
            rss_peak / MIB,
            rss_after / MIB
        );
        // The burst's rings (128 MiB of slots) are returned to the system: the largest ones
        // are mapped separately by any allocator, so at least half of the growth comes back.
        assert!(
            rss_after < rss_before + (rss_peak - rss_before) / 2,
            "resident memory stayed high after the drain"
        );
    });
}

#[test]
fn a_chain_refilled_to_the_same_peak_never_shrinks() {
    alone!("a_chain_refilled_to_the_same_peak_never_shrinks", || {
        // The steady state allocates nothing: the same rings serve every round.
        for k in [5, 9, 100, 1500, 5000] {
            let (owner, stealer) = chain::new::<u64>();
            let mut shapes = Vec::with_capacity(6);
            let mut allocated = Vec::with_capacity(6);
            for _ in 0..6 {
                let before = allocations();
                for i in 0..k {
                    owner.push_head(i);
                }
                while owner.pop_head().is_some() {}
                assert_eq!(stealer.pop_tail(), None);
                allocated.push(allocations() - before);
                shapes.push(owner.ring_capacities());
            }
            // Two rounds to settle (older rings unlinked), then the same single ring, and not
            // one allocation per round.
            assert!(
                shapes[2..]
                    .windows(2)
                    .all(|w| w[0] == w[1] && w[0].len() == 1),
                "k = {k}: rings changed in a steady state: {shapes:?}"
            );
            assert!(shapes[5][0] >= k as usize, "k = {k}: {shapes:?}");
            assert_eq!(
                allocated[3..],
                [0, 0, 0],
                "k = {k}: a steady state allocates (rounds: {allocated:?})"
            );
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Defect 5: a chain whose owner kept working after a burst kept the burst's head ring (the
// shrink policy waited for the owner to find the chain empty twice).

#[test]
fn a_working_owner_gets_the_memory_back_after_a_burst() {
    alone!("a_working_owner_gets_the_memory_back_after_a_burst", || {
        const BURST: usize = 1 << 21;
        let rss_before = rss();
        let (owner, stealer) = chain::new::<u64>();
        for i in 0..BURST as u64 {
            owner.push_head(i);
        }
        let rss_peak = rss();
        while stealer.pop_tail().is_some() {}
        assert_eq!(
            owner.ring_capacities(),
            [BURST],
            "the stealer drained the burst"
        );
        // The owner keeps working and never finds the chain empty. The bound: the window that
        // saw the burst ends within 16 pops (it began on the first ring), the next one within
        // as many pops as the head ring has slots.
        let bound = 2 * (BURST + 16);
        let mut shrunk_after = None;
        for round in 0..bound {
            owner.push_head(round as u64);
            assert_eq!(owner.pop_head(), Some(round as u64));
            if live_ring_slots() <= 64 {
                shrunk_after = Some(2 * (round + 1));
                break;
            }
        }
        let ops = shrunk_after.unwrap_or_else(|| {
            panic!(
                "{} ring slots alive after {} owner operations (the head ring kept the burst's \
                 size)",
                live_ring_slots(),
                2 * bound
            )
        });
        assert!(owner.ring_capacities().iter().sum::<usize>() <= 64);
        let rss_after = rss();
        println!(
            "shrunk after {ops} owner operations; rss: {} MiB before, {} MiB at the peak, {} MiB \
             after",
            rss_before / MIB,
            rss_peak / MIB,
            rss_after / MIB
        );
        assert!(
            rss_after < rss_before + (rss_peak - rss_before) / 2,
            "resident memory stayed high after the shrink"
        );
    });
}

/// Runs `round` `warm` times, then `rounds` times, and fails unless the counted rounds
/// allocate nothing (no ring, no epoch bag) and leave the ring shapes of `owners` as they were.
fn steady<T>(
    what: &str,
    owners: &[&chain::Owner<T>],
    warm: usize,
    rounds: usize,
    round: impl Fn(),
) {
    for _ in 0..warm {
        round();
    }
    let shapes: Vec<Vec<usize>> = owners.iter().map(|o| o.ring_capacities()).collect();
    let (before, rings) = (allocations(), live_rings());
    for _ in 0..rounds {
        round();
    }
    let allocated = allocations() - before;
    let after: Vec<Vec<usize>> = owners.iter().map(|o| o.ring_capacities()).collect();
    assert_eq!(
        (allocated, live_rings()),
        (0, rings),
        "{what}: {allocated} allocations in {rounds} rounds of a steady state (rings: \
         {shapes:?} -> {after:?})"
    );
    assert_eq!(shapes, after, "{what}: the rings changed in a steady state");
}

#[test]
fn steady_states_allocate_retire_and_collect_no_ring() {
    alone!("steady_states_allocate_retire_and_collect_no_ring", || {
        // Push N, pop N (never finding the chain empty), after a spike of 16 N values that
        // leaves a head ring of up to 32 N slots: the warm-up (two windows of that ring) shrinks
        // it once; then enough rounds for several windows allocate nothing.
        for n in [1u64, 5, 9, 16, 100, 256, 1500, 5000] {
            let rounds = (4 * 16_384 / n as usize).max(64);
            let spike = |owner: &chain::Owner<u64>| {
                owner.push_head_batch(&mut (0..16 * n));
                while owner.pop_head().is_some() {}
            };
            let (owner, _stealer) = chain::new::<u64>();
            spike(&owner);
            steady(&format!("push {n}, pop {n}"), &[&owner], 80, rounds, || {
                for i in 0..n {
                    owner.push_head(i);
                }
                for _ in 0..n {
                    assert!(owner.pop_head().is_some());
                }
            });
            let (owner, _stealer) = chain::new::<u64>();
            spike(&owner);
            steady(
                &format!("batch push {n}, batch pop {n}"),
                &[&owner],
                80,
                rounds,
                || {
                    owner.push_head_batch(&mut (0..n));
                    assert_eq!(owner.pop_head_batch(n as usize, &mut Sink), n as usize);
                },
            );
        }
        // The batch-steal workload of the benchmarks (c2): push 64, batch-steal into a second
        // chain until the first is empty, pop that one.
        let (source, thief) = chain::new::<u64>();
        let (dest, _) = chain::new::<u64>();
        steady("c2", &[&source, &dest], 8, 4096, || {
            source.push_head_batch(&mut (0..64));
            let mut moved = 0;
            loop {
                let n = thief.steal_batch(&dest);
                if n == 0 {
                    break;
                }
                moved += n;
            }
            assert_eq!(moved, 64);
            assert_eq!(dest.pop_head_batch(64, &mut Sink), 64);
        });
    });
}

/// Takes every value a batch pop hands over, allocating nothing.
struct Sink;
impl Extend<u64> for Sink {
    fn extend<I: IntoIterator<Item = u64>>(&mut self, iter: I) {
        iter.into_iter().for_each(drop);
    }
}

// ---------------------------------------------------------------------------------------------
// Defect 4: a drained, released pool never gave its rings back.

#[test]
fn a_released_pool_gives_its_memory_back() {
    alone!("a_released_pool_gives_its_memory_back", || {
        const BURST: usize = 200_000;
        let pool = Pool::new(|| Vec::<u8>::with_capacity(1024)).with_counters();
        drop(pool.get()); // this thread's shard, and the victim chain
        let slots_before = live_ring_slots();
        let rss_before = rss();
        {
            let held: Vec<_> = (0..BURST).map(|_| pool.get()).collect();
            drop(held); // all pooled: one private, the rest in this thread's chain
        }
        let rss_peak = rss();
        pool.release(); // idle values become victims
        pool.release(); // ... and are dropped
        assert_eq!(pool.stats().unwrap().released, BURST as u64);
        assert!(pool.try_get().is_none(), "nothing is pooled");
        collect_retired(2);
        let slots_after = live_ring_slots();
        let rss_after = rss();
        println!(
            "ring slots: {slots_before} before, {slots_after} after; rss: {} MiB before, {} MiB at the peak, {} MiB after",
            rss_before / MIB,
            rss_peak / MIB,
            rss_after / MIB
        );
        // The guarantee: after two releases, the calling thread's shard and the victim
        // generation are back to one small ring each.
        assert!(
            slots_after <= slots_before + 2 * chain::FIRST_RING_CAPACITY,
            "{slots_after} ring slots held after two releases ({slots_before} before the burst)"
        );
        assert!(
            rss_after < rss_before + (rss_peak - rss_before) / 2,
            "resident memory stayed high after two releases"
        );
    });
}

// ---------------------------------------------------------------------------------------------
// Defect 5: the values of exited threads survived every release.

#[test]
fn release_ages_the_values_of_exited_threads() {
    let ledger = Ledger::new();
    let pool = tracked_pool(&ledger);
    drop(pool.get()); // this thread's own value, reused below
    let values_before = ledger.created();
    // `JoinHandle::join`, not a scope: a scope may return before a thread's thread-local
    // destructors (which give its id back) have run, and such a thread has not exited yet.
    let pool = Arc::new(pool);
    let threads: Vec<_> = (0..100)
        .map(|_| {
            let pool = pool.clone();
            // A value in that thread's private slot, then exit.
            thread::spawn(move || drop(pool.get()))
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let exited = ledger.created() - values_before;
    assert!(exited >= 1);
    pool.release();
    assert_eq!(ledger.dropped(), 0, "idle values survive one release");
    pool.release();
    // Every value, this thread's included, was idle since before the first release.
    assert_eq!(
        ledger.dropped(),
        ledger.created(),
        "values of exited threads survived two releases"
    );
}

/// Found by the pool lifecycle model: a thread whose first pool call is a `release` takes its
/// thread id inside that call, and the smallest free id may be one whose shard the same
/// `release` has just aged for its exited owner. Ageing it again for the same generation
/// dropped its private values, which had survived no release.
#[test]
fn a_release_that_adopts_an_exited_shard_ages_it_once() {
    alone!("a_release_that_adopts_an_exited_shard_ages_it_once", || {
        let ledger = Ledger::new();
        let pool = Arc::new(tracked_pool(&ledger));
        // A thread with the smallest free id leaves one value in its private slot and exits.
        let worker = pool.clone();
        thread::spawn(move || drop(worker.get())).join().unwrap();
        assert_eq!(ledger.created(), 1);
        // A fresh thread's first pool call is a release: it takes the exited thread's id.
        let releaser = pool.clone();
        thread::spawn(move || releaser.release()).join().unwrap();
        assert_eq!(ledger.dropped(), 0, "the value died at its first release");
        pool.release();
        assert_eq!(ledger.dropped(), 1, "... and dies at its second");
    });
}

// ---------------------------------------------------------------------------------------------
// Defect 6: a guard dropped while unwinding reset and re-pooled its (half-updated) value.

#[test]
fn a_guard_dropped_while_panicking_drops_its_value() {
    let resets = Arc::new(AtomicU64::new(0));
    let counted = resets.clone();
    let pool = Pool::with_reset(
        || vec![0_u8; 4],
        move |v: &mut Vec<u8>| {
            counted.fetch_add(1, Ordering::SeqCst);
            v.fill(0);
        },
    )
    .with_counters();
    let owned = Arc::new(Pool::new(String::new).with_counters());
    let unwound = catch_unwind(AssertUnwindSafe(|| {
        let mut buf = pool.get();
        buf[0] = 1; // half-way through an update ...
        let mut s = owned.get_owned();
        s.push_str("half");
        panic!("... the caller panics");
    }));
    assert!(unwound.is_err());
    assert_eq!(
        resets.load(Ordering::SeqCst),
        0,
        "no reset during unwinding"
    );
    assert_eq!(pool.stats().unwrap().discarded, 1);
    assert_eq!(
        pool.stats().unwrap().puts,
        0,
        "the value was not pooled again"
    );
    assert_eq!(owned.stats().unwrap().discarded, 1);
    assert!(pool.try_get().is_none() && owned.try_get().is_none());
}

#[test]
fn a_validating_reset_does_not_abort_an_unwinding_thread() {
    // A reset hook that panics on a value it finds inconsistent; run during unwinding, that
    // panic would abort the process.
    let pool = Pool::with_reset(Vec::<u8>::new, |v: &mut Vec<u8>| {
        assert!(v.len() < 3, "inconsistent value");
        v.clear();
    });
    let unwound = catch_unwind(AssertUnwindSafe(|| {
        let mut v = pool.get();
        v.extend_from_slice(b"abc");
        panic!("caller panics with an inconsistent value in hand");
    }));
    assert!(unwound.is_err());
}

// ---------------------------------------------------------------------------------------------
// Defect 7: a value whose reset panicked was dropped but counted nowhere.

#[test]
fn every_drop_is_counted_also_when_reset_panics() {
    let pool = Pool::with_reset(Vec::<u8>::new, |v: &mut Vec<u8>| {
        let poisoned = v.first() == Some(&0xff);
        v.clear();
        assert!(!poisoned, "reset refuses a poisoned value");
    })
    .with_counters()
    .max_idle(3);
    let mut puts = 0;
    for round in 0..50_u8 {
        let mut held: Vec<Pooled<'_, Vec<u8>>> = (0..5).map(|_| pool.get()).collect();
        held[0].push(if round % 2 == 0 { 0xff } else { 1 });
        let mut detached = held.pop().map(Pooled::detach).unwrap();
        for guard in held {
            let _ = catch_unwind(AssertUnwindSafe(move || drop(guard)));
        }
        detached.push(0xff);
        if round % 3 == 0 {
            let _ = catch_unwind(AssertUnwindSafe(|| pool.put(detached)));
            puts += 1;
        }
    }
    let stats = pool.stats().unwrap();
    assert_eq!(
        stats.discarded,
        25 + 17,
        "each panicking reset is counted once"
    );
    assert_eq!(
        stats.gets() + puts,
        stats.puts + stats.rejected + stats.evicted + stats.discarded + stats.detached,
        "{stats:?}"
    );
}
