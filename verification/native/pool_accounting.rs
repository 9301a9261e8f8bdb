//! The bounded pool's accounting, one exit path at a time: every path by which an idle value
//! leaves a pool bounded by `max_idle` (the own chain, a steal, a `release`) gives its room
//! back, and the paths that hold no room (the private slot, the victims, a detach) take none.
//! Each test fills the bound exactly after the path ran, so one unit the path forgot to give
//! back shows as an eviction.

use std::thread;

use poolqueue::Pool;

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
