//! The bounded pool's accounting, one exit path at a time: every path by which an idle value
//! leaves a pool bounded by `max_idle` or `max_idle_bytes` (the own chain, a steal, the victim
//! generation, a `release`, an eviction) gives its room back, and the paths that hold no room
//! take none. Each test fills the bound exactly after the path ran, so one unit the path forgot
//! to give back shows as an eviction. Also: the local gets take only from the calling thread's
//! shard, and a budget holds under threads.

use crate::support::watchdog::{watchdog, BOUND};
use std::thread;

use poolqueue::Pool;

/// A value whose weight is its field (for `max_idle_bytes`).
#[derive(Debug)]
struct W(usize);

/// A pool of `W`s (new ones weigh 10) whose idle weight is bounded by `budget`.
fn budget_pool(budget: usize) -> Pool<W> {
    Pool::with_reset(|| W(10), |_| {})
        .max_idle_bytes(budget, |w: &W| w.0)
        .with_counters()
}

/// Takes the calling thread's id and shard of `pool` before a helper thread starts, so the
/// helper gets another id (an exited thread's id, shard and all, goes to the next thread).
fn claim_own_shard<T: Send>(pool: &Pool<T>) {
    drop(pool.try_get());
}

// ---- max_idle ----------------------------------------------------------------------------

/// Values popped from the own chain leave the idle count: after taking them, the chain has its
/// full room again. Before this test no check noticed a pop from the own chain that forgot its
/// decrement (the lifecycle model lets any return to a bounded pool be evicted). Kills
/// `pool-own-chain-keeps-idle`.
#[test]
fn max_idle_own_chain_pop_gives_room_back() {
    let pool = Pool::new(Vec::<u8>::new).max_idle(2).with_counters();
    // One to the private slot, two to the chain (the bound).
    drop((0..3).map(|_| pool.get()).collect::<Vec<_>>());
    // The private value, then the chain's two.
    let held: Vec<_> = (0..3).map(|_| pool.get()).collect();
    let stats = pool.stats().unwrap();
    assert_eq!((stats.private_hits, stats.shared_hits), (1, 2), "{stats:?}");
    drop(held); // the private slot, and the chain's two places again
    let stats = pool.stats().unwrap();
    assert_eq!(
        stats.evicted, 0,
        "the own chain's pops gave their places back: {stats:?}"
    );
}

/// Values stolen from another thread's chain leave the idle count, also when a batch steal
/// moves part of the ring into the own chain first (those stay counted until popped). Kills
/// `pool-steal-keeps-idle`.
#[test]
fn max_idle_steal_gives_room_back() {
    watchdog(BOUND, "max idle steal gives room back", || {
        let pool = Pool::new(Vec::<u8>::new).max_idle(8).with_counters();
        claim_own_shard(&pool);
        thread::scope(|s| {
            s.spawn(|| drop((0..9).map(|_| pool.get()).collect::<Vec<_>>()));
        });
        // The helper's chain holds 8; its private value is out of reach. Take all 8 (by steals and
        // pops of what the batch steals moved here), plus one new.
        let held: Vec<_> = (0..9).map(|_| pool.get()).collect();
        let stats = pool.stats().unwrap();
        assert!(stats.steal_hits >= 1, "{stats:?}");
        assert_eq!(stats.steal_hits + stats.shared_hits, 8, "{stats:?}");
        drop(held); // the private slot and 8 chain places: exactly the bound
        let stats = pool.stats().unwrap();
        assert_eq!(
            stats.evicted, 0,
            "every stolen value gave its place back: {stats:?}"
        );
    });
}

/// `release` moves the chains to the victim generation, which `max_idle` does not bound: the
/// chains have their full room again, before any victim is taken. Kills
/// `pool-release-keeps-idle`.
#[test]
fn max_idle_release_gives_room_back() {
    let pool = Pool::new(Vec::<u8>::new).max_idle(2).with_counters();
    drop((0..3).map(|_| pool.get()).collect::<Vec<_>>());
    pool.release();
    // New values (not the victims): the private slot and two chain places.
    for _ in 0..3 {
        pool.put(Vec::new());
    }
    let stats = pool.stats().unwrap();
    assert_eq!(stats.evicted, 0, "the release emptied the count: {stats:?}");
}

/// Taking a victim changes no count (the victims were uncounted at the `release`), and taking
/// the private value neither: the chain still has exactly `max_idle` places afterwards.
#[test]
fn max_idle_victims_and_private_slot_hold_no_room() {
    let pool = Pool::new(Vec::<u8>::new).max_idle(2).with_counters();
    drop((0..3).map(|_| pool.get()).collect::<Vec<_>>());
    pool.release();
    let held: Vec<_> = (0..3).map(|_| pool.get()).collect();
    assert_eq!(pool.stats().unwrap().victim_hits, 3);
    drop(held);
    let stats = pool.stats().unwrap();
    assert_eq!(stats.evicted, 0, "{stats:?}");
    // The bound still holds: one more value past it is evicted.
    let held: Vec<_> = (0..4).map(|_| pool.get()).collect();
    drop(held);
    let stats = pool.stats().unwrap();
    assert_eq!(stats.evicted, 1, "two in the chain, no more: {stats:?}");
}

/// A detached value left the idle count when it was taken: detaching it gives nothing back
/// twice, so the bound still holds afterwards.
#[test]
fn max_idle_detach_holds_no_room() {
    let pool = Pool::new(Vec::<u8>::new).max_idle(2).with_counters();
    drop((0..3).map(|_| pool.get()).collect::<Vec<_>>());
    for guard in (0..3).map(|_| pool.get()).collect::<Vec<_>>() {
        drop(poolqueue::Pooled::detach(guard));
    }
    drop((0..4).map(|_| pool.get()).collect::<Vec<_>>());
    let stats = pool.stats().unwrap();
    assert_eq!((stats.detached, stats.evicted), (3, 1), "{stats:?}");
}

// ---- max_idle_bytes ----------------------------------------------------------------------

/// A value that does not fit is dropped and counted as evicted, and reserves nothing: a value
/// that fits exactly is still kept afterwards.
#[test]
fn budget_eviction_reserves_nothing() {
    let pool = budget_pool(100);
    pool.put(W(101)); // heavier than the whole budget
    pool.put(W(60));
    pool.put(W(41)); // 60 + 41 > 100
    pool.put(W(40)); // exactly full
    let stats = pool.stats().unwrap();
    assert_eq!((stats.evicted, stats.puts), (2, 2), "{stats:?}");
    pool.put(W(1));
    assert_eq!(pool.stats().unwrap().evicted, 3, "the budget is full");
}

/// Values popped from the own chain give their weight back.
#[test]
fn budget_own_chain_pop_gives_weight_back() {
    let pool = budget_pool(100);
    pool.put(W(60));
    pool.put(W(40));
    let a = pool.try_get().unwrap();
    let b = pool.try_get().unwrap();
    assert_eq!((a.0, b.0), (40, 60), "newest first, from the own chain");
    assert_eq!(pool.stats().unwrap().shared_hits, 2);
    drop((a, b));
    let stats = pool.stats().unwrap();
    assert_eq!(stats.evicted, 0, "the pops gave 100 back: {stats:?}");
}

/// Values stolen from another thread's chain give their weight back (a batch steal moves some
/// into the own chain, still weighed, until they are popped).
#[test]
fn budget_steal_gives_weight_back() {
    watchdog(BOUND, "budget steal gives weight back", || {
        let pool = budget_pool(100);
        claim_own_shard(&pool);
        thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..4 {
                    pool.put(W(25));
                }
            });
        });
        let held: Vec<_> = (0..4).map(|_| pool.try_get().unwrap()).collect();
        let stats = pool.stats().unwrap();
        assert!(stats.steal_hits >= 1, "{stats:?}");
        assert_eq!(stats.steal_hits + stats.shared_hits, 4, "{stats:?}");
        drop(held);
        let stats = pool.stats().unwrap();
        assert_eq!(stats.evicted, 0, "the steals gave 100 back: {stats:?}");
    });
}

/// The victim generation counts against the budget, and a victim taken gives its weight back.
#[test]
fn budget_victims_count_and_give_weight_back() {
    let pool = budget_pool(100);
    pool.put(W(60));
    pool.put(W(40));
    pool.release();
    pool.put(W(1)); // the victims still weigh 100
    assert_eq!(pool.stats().unwrap().evicted, 1);
    let held: Vec<_> = (0..2).map(|_| pool.try_get().unwrap()).collect();
    assert_eq!(pool.stats().unwrap().victim_hits, 2);
    drop(held);
    let stats = pool.stats().unwrap();
    assert_eq!(
        stats.evicted, 1,
        "the victims taken gave 100 back: {stats:?}"
    );
}

/// A `release` that drops the victim generation gives its weight back.
#[test]
fn budget_release_gives_weight_back() {
    let pool = budget_pool(100);
    pool.put(W(100));
    pool.release(); // a victim, still weighed
    pool.release(); // dropped
    let stats = pool.stats().unwrap();
    assert_eq!(stats.released, 1, "{stats:?}");
    pool.put(W(100));
    let stats = pool.stats().unwrap();
    assert_eq!(
        stats.evicted, 0,
        "the dropped victim gave 100 back: {stats:?}"
    );
}

/// `max_idle` and the budget together: a value the budget refuses gives back the `max_idle`
/// place it took, and a value `max_idle` refuses reserves no weight.
#[test]
fn budget_and_max_idle_undo_each_other() {
    let pool = Pool::with_reset(|| W(10), |_| {})
        .max_idle(2)
        .max_idle_bytes(100, |w: &W| w.0)
        .with_counters();
    pool.put(W(100));
    pool.put(W(1)); // over the budget: evicted, its place given back
    drop(pool.try_get().unwrap()); // W(100) leaves (and comes back)
    assert_eq!(pool.stats().unwrap().evicted, 1);
    let w100 = pool.try_get().unwrap();
    pool.put(W(50));
    pool.put(W(50)); // two places, 100 weight: both fit
    let stats = pool.stats().unwrap();
    assert_eq!(stats.evicted, 1, "{stats:?}");
    pool.put(W(0)); // no place left
    drop(w100); // no place, no weight
    assert_eq!(pool.stats().unwrap().evicted, 3);
    // The refused ones reserved no weight: with both 50s taken, 100 fits again.
    let held: Vec<_> = (0..2).map(|_| pool.try_get().unwrap()).collect();
    assert!(pool.try_get().is_none());
    drop(held);
    pool.release();
    pool.release();
    pool.put(W(100));
    pool.put(W(0));
    let stats = pool.stats().unwrap();
    assert_eq!(stats.evicted, 3, "{stats:?}");
}

/// A detached value's weight went back when it was taken: detaching gives nothing twice.
#[test]
fn budget_detach_holds_no_weight() {
    let pool = budget_pool(100);
    pool.put(W(100));
    let w = poolqueue::Pooled::detach(pool.try_get().unwrap());
    assert_eq!(w.0, 100);
    pool.put(W(100));
    pool.put(W(1));
    let stats = pool.stats().unwrap();
    assert_eq!((stats.detached, stats.evicted), (1, 1), "{stats:?}");
}

/// Under threads that get, return, put and release values of random weights, the weight left
/// in the pool never passes the budget whenever the threads stop (all of it is drained and
/// summed then), and the count ends exact: once drained, a value of the whole budget fits.
#[test]
fn budget_holds_under_threads() {
    watchdog(BOUND, "budget holds under threads", || {
        const BUDGET: usize = 1000;
        let pool = budget_pool(BUDGET);
        for round in 0..if cfg!(miri) { 2 } else { 20_u64 } {
            thread::scope(|s| {
                for t in 0..3_u64 {
                    let pool = &pool;
                    s.spawn(move || {
                        let mut x = round * 31 + t * 7 + 1;
                        let mut held = Vec::new();
                        for _ in 0..if cfg!(miri) { 40 } else { 2000 } {
                            x ^= x << 13;
                            x ^= x >> 7;
                            x ^= x << 17;
                            match x % 8 {
                                0..=2 => held.push(pool.get()),
                                3..=5 => drop(held.pop()),
                                6 => pool.put(W((x >> 8) as usize % 400)),
                                _ if x % 64 == 7 => pool.release(),
                                _ => drop(pool.try_get_local()),
                            }
                        }
                    });
                }
            });
            let mut idle = 0;
            let mut drained = Vec::new();
            while let Some(value) = pool.try_get() {
                idle += value.0;
                drained.push(poolqueue::Pooled::detach(value));
            }
            assert!(
                idle <= BUDGET,
                "round {round}: {idle} idle weight over the budget"
            );
            pool.put(W(BUDGET));
            assert!(
                pool.try_get().is_some_and(|w| w.0 == BUDGET),
                "round {round}: the drained pool has its whole budget again"
            );
            let _ = pool.try_get().map(poolqueue::Pooled::detach);
        }
    });
}

// ---- get_local ---------------------------------------------------------------------------

/// The local gets take the own private slot, stash and chain, and nothing else: another
/// thread's chain is left alone (a `try_get` would steal from it).
#[test]
fn local_get_never_steals() {
    watchdog(BOUND, "local get never steals", || {
        let pool = Pool::new(Vec::<u8>::new).max_idle(64).with_counters();
        claim_own_shard(&pool);
        thread::scope(|s| {
            s.spawn(|| drop((0..9).map(|_| pool.get()).collect::<Vec<_>>()));
        });
        assert!(pool.try_get_local().is_none());
        let mine = pool.get_local(); // created
        let stats = pool.stats().unwrap();
        assert_eq!((stats.steal_hits, stats.creates), (0, 10), "{stats:?}");
        assert!(pool.try_get().is_some(), "there was something to steal");
        assert_eq!(pool.stats().unwrap().steal_hits, 1);
        drop(mine);
    });
}

/// The local gets never take a victim, not even the calling thread's own.
#[test]
fn local_get_never_takes_a_victim() {
    let pool = Pool::new(Vec::<u8>::new).with_counters();
    drop((0..40).map(|_| pool.get()).collect::<Vec<_>>()); // private, stash, chain
    pool.release();
    assert!(pool.try_get_local().is_none());
    let fresh = pool.get_local(); // created
    assert!(pool.try_get_local().is_none());
    let stats = pool.stats().unwrap();
    assert_eq!((stats.victim_hits, stats.creates), (0, 41), "{stats:?}");
    drop((0..40).map(|_| pool.try_get().unwrap()).collect::<Vec<_>>());
    assert_eq!(
        pool.stats().unwrap().victim_hits,
        40,
        "the victims were there"
    );
    drop(fresh);
}

/// Everything the calling thread left in its own shard (private slot, stash, spilled chain) is
/// the local gets' to take.
#[test]
fn local_get_takes_the_whole_own_shard() {
    for pool in [
        Pool::new(Vec::<u8>::new).with_counters(),
        Pool::new(Vec::<u8>::new).max_idle(64).with_counters(),
    ] {
        drop((0..40).map(|_| pool.get()).collect::<Vec<_>>());
        let held: Vec<_> = (0..40).map(|_| pool.try_get_local().unwrap()).collect();
        assert!(pool.try_get_local().is_none());
        let stats = pool.stats().unwrap();
        assert_eq!(stats.private_hits + stats.shared_hits, 40, "{stats:?}");
        drop(held);
        let stats = pool.stats().unwrap();
        assert_eq!(stats.puts + stats.evicted, 80, "{stats:?}");
        assert_eq!(stats.evicted, 0, "{stats:?}");
    }
}

/// With a budget, a local get from the own chain gives the weight back as a get does.
#[test]
fn local_get_gives_weight_back() {
    let pool = budget_pool(100);
    pool.put(W(100));
    let w = pool.get_local();
    assert_eq!(w.0, 100);
    pool.put(W(100)); // fits: the local get gave 100 back
    drop(w); // does not fit
    let stats = pool.stats().unwrap();
    assert_eq!((stats.shared_hits, stats.evicted), (1, 1), "{stats:?}");
}
