//! Shuttle models of `Pool`: gets, returns, steals, detaches, `release` and thread exits under
//! random and PCT schedules; with a byte budget and local gets too. Checked: a value is never
//! held by two users at once, a reset always precedes reuse, every created value is dropped
//! exactly once by the end, a budget holds and its count ends exact, a bounded pool's count
//! (`max_idle`, alone and under a budget) ends exact, a local get never steals nor takes a
//! victim, a value idle across two releases or rejected by `retain` is not handed out again, and
//! after two releases every chain is back to one small ring.
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use poolqueue::{Pool, Pooled};
use shuttle::thread;

use crate::support::values::{tracked_pool, Item, Ledger};

fn scenario() {
    let ledger = Ledger::new();
    let pool = Arc::new(tracked_pool(&ledger));
    // The main thread takes its shard first and leaves values in its chain for thieves.
    let seeded: Vec<_> = (0..3).map(|_| pool.get()).collect();
    drop(seeded);
    let workers: Vec<_> = (0..3_u64)
        .map(|w| {
            let pool = pool.clone();
            let ledger = ledger.clone();
            thread::spawn(move || {
                for round in 0..3_u64 {
                    // Worker 1 holds bursts past the private slot and the stash (4 under the
                    // models): its returns spill, its gets refill.
                    let n = if w == 1 { 7 } else { 1 + (w + round) % 3 };
                    let mut held: Vec<_> = (0..n).map(|_| pool.get()).collect();
                    for v in &held {
                        v.touch(thread::yield_now);
                    }
                    match (w, round) {
                        (0, 1) => pool.release(),
                        (1, 0) => drop(Pooled::detach(held.pop().unwrap())),
                        (2, 2) => pool.put(ledger.make()),
                        _ => {}
                    }
                }
                // The thread exits with values in its shard: stealable, or inherited.
            })
        })
        .collect();
    for _ in 0..2 {
        let v = pool.get();
        v.touch(thread::yield_now);
    }
    for w in workers {
        w.join().unwrap();
    }
    // Threads spawned after the exits take recycled ids and inherit shards.
    let late = {
        let pool = pool.clone();
        thread::spawn(move || {
            let held: Vec<_> = (0..4).map(|_| pool.get()).collect();
            for v in &held {
                v.touch(thread::yield_now);
            }
        })
    };
    pool.release();
    late.join().unwrap();
    drop(pool);
    ledger.assert_all_dropped();
}

#[test]
fn pool_random_schedules() {
    shuttle::check_random(scenario, if cfg!(miri) { 10 } else { 3000 });
}

#[test]
fn pool_pct_schedules() {
    shuttle::check_pct(scenario, if cfg!(miri) { 10 } else { 3000 }, 3);
}

/// The stash's paths against each other: an owner spilling and refilling (batch push and pop
/// on its chain), a thief batch-stealing that chain, a `release` moving it to the victim
/// generation, and the thief's exit. Checked as above, plus: a value handed out was reset.
fn stash_scenario() {
    let ledger = Ledger::new();
    let pool = Arc::new(tracked_pool(&ledger));
    let owner = {
        let pool = pool.clone();
        thread::spawn(move || {
            for _ in 0..3 {
                let mut held: Vec<_> = (0..7).map(|_| pool.get()).collect();
                for v in &mut held {
                    assert_eq!(v.uses, 0, "value {} handed out without a reset", v.id());
                    v.touch(thread::yield_now);
                    v.uses = 1;
                }
            }
        })
    };
    let thief = {
        let pool = pool.clone();
        thread::spawn(move || {
            for _ in 0..4 {
                let mut v = pool.get();
                assert_eq!(v.uses, 0, "value {} handed out without a reset", v.id());
                v.touch(thread::yield_now);
                v.uses = 1;
                drop(Pooled::detach(v)); // keeps nothing: every steal is a fresh one
            }
        })
    };
    pool.release();
    owner.join().unwrap();
    thief.join().unwrap();
    pool.release();
    drop(pool);
    ledger.assert_all_dropped();
}

#[test]
fn pool_stash_random_schedules() {
    shuttle::check_random(stash_scenario, if cfg!(miri) { 10 } else { 2000 });
}

#[test]
fn pool_stash_pct_schedules() {
    shuttle::check_pct(stash_scenario, if cfg!(miri) { 10 } else { 2000 }, 3);
}

/// A pool with a byte budget (every value weighs 1) under three threads that get, get locally,
/// return, put and release at once, then exit. Checked as above, plus: the local gets count no
/// steal or victim hit, and once the threads are joined at most `BUDGET` values are idle and
/// the budget is whole again once they are drained.
fn budget_scenario() {
    const BUDGET: usize = 3;
    let ledger = Ledger::new();
    let pool = Arc::new(
        tracked_pool(&ledger)
            .max_idle_bytes(BUDGET, |_| 1)
            .with_counters(),
    );
    drop(pool.try_get()); // this thread's id first
    let workers: Vec<_> = (0..3_u64)
        .map(|w| {
            let pool = pool.clone();
            let ledger = ledger.clone();
            thread::spawn(move || {
                for round in 0..3_u64 {
                    let n = 1 + (w + round) % 3;
                    let mut held: Vec<_> = (0..n)
                        .map(|i| {
                            if (w + i) % 2 == 0 {
                                pool.get_local()
                            } else {
                                pool.get()
                            }
                        })
                        .collect();
                    for v in &mut held {
                        assert_eq!(v.uses, 0, "value {} handed out without a reset", v.id());
                        v.touch(thread::yield_now);
                        v.uses = 1;
                    }
                    match (w, round) {
                        (0, 1) => pool.release(),
                        (1, 0) => drop(Pooled::detach(held.pop().unwrap())),
                        (2, _) => pool.put(ledger.make()),
                        _ => {}
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let mut idle = Vec::new();
    while let Some(v) = pool.try_get() {
        idle.push(Pooled::detach(v));
    }
    assert!(
        idle.len() <= BUDGET,
        "{} idle values, budget {BUDGET}",
        idle.len()
    );
    let evicted = pool.stats().unwrap().evicted;
    for _ in 0..BUDGET {
        pool.put(ledger.make());
    }
    assert_eq!(
        pool.stats().unwrap().evicted,
        evicted,
        "the drained pool has its whole budget again"
    );
    drop(idle);
    drop(pool);
    ledger.assert_all_dropped();
}

#[test]
fn pool_budget_random_schedules() {
    shuttle::check_random(budget_scenario, if cfg!(miri) { 10 } else { 2000 });
}

#[test]
fn pool_budget_pct_schedules() {
    shuttle::check_pct(budget_scenario, if cfg!(miri) { 10 } else { 2000 }, 3);
}

/// Local gets on a thread whose neighbours leave values in their chains and release: never a
/// steal or a victim hit, whatever the schedule (the neighbours only put, so every get counted
/// is the local thread's).
fn local_scenario() {
    let ledger = Ledger::new();
    let pool = Arc::new(tracked_pool(&ledger).max_idle(8).with_counters());
    let local = {
        let pool = pool.clone();
        thread::spawn(move || {
            for _ in 0..4 {
                let held: Vec<_> = (0..2).map(|_| pool.get_local()).collect();
                for v in &held {
                    v.touch(thread::yield_now);
                }
                drop(held);
                drop(pool.try_get_local());
            }
        })
    };
    let others: Vec<_> = (0..2)
        .map(|w| {
            let pool = pool.clone();
            let ledger = ledger.clone();
            thread::spawn(move || {
                for _ in 0..3 {
                    pool.put(ledger.make()); // one private, then the chain
                }
                if w == 0 {
                    pool.release();
                }
            })
        })
        .collect();
    local.join().unwrap();
    for w in others {
        w.join().unwrap();
    }
    let stats = pool.stats().unwrap();
    assert_eq!((stats.steal_hits, stats.victim_hits), (0, 0), "{stats:?}");
    drop(pool);
    ledger.assert_all_dropped();
}

#[test]
fn pool_local_random_schedules() {
    shuttle::check_random(local_scenario, if cfg!(miri) { 10 } else { 2000 });
}

#[test]
fn pool_local_pct_schedules() {
    shuttle::check_pct(local_scenario, if cfg!(miri) { 10 } else { 2000 }, 3);
}

/// Generations: a value idle across two releases is never handed out again (a victim survives
/// one release, not two). A live thread's next `get` ages its shard first; an exited thread's
/// value is dropped by the releases themselves. Whatever the neighbours put, get locally and
/// release meanwhile: they never steal, and every thread holds its shard before the exit (so
/// none inherits the exited one), so a kept value can come back only from its own shard. The
/// counters agree: the keeper's get before any release hit its private slot, and every value
/// dropped before the pool is counted once (released, evicted, rejected or discarded).
fn generations_scenario() {
    let ledger = Ledger::new();
    let pool = Arc::new(tracked_pool(&ledger).with_counters());
    // Std atomics order the phases; the yields are shuttle's scheduling points.
    let started = Arc::new(AtomicUsize::new(0));
    let exited = Arc::new(AtomicU64::new(u64::MAX)); // the exited thread's value, once gone
    let released = Arc::new(AtomicBool::new(false));
    fn wait_until(done: impl Fn() -> bool) {
        while !done() {
            thread::yield_now();
        }
    }
    let exiting = {
        let (pool, started) = (pool.clone(), started.clone());
        thread::spawn(move || {
            wait_until(|| started.load(Ordering::SeqCst) == 3);
            pool.get_local().id() // returned to its private slot; then the thread exits
        })
    };
    let keeper = {
        let (pool, started, released) = (pool.clone(), started.clone(), released.clone());
        thread::spawn(move || {
            drop(pool.get_local()); // created, returned to this thread's private slot
            let id = pool.get_local().id(); // a private hit (no release yet), returned again
            started.fetch_add(1, Ordering::SeqCst);
            wait_until(|| released.load(Ordering::SeqCst));
            let again = pool.get();
            assert_ne!(
                again.id(),
                id,
                "value {id} handed out again after two releases"
            );
        })
    };
    let neighbours: Vec<_> = (0..2)
        .map(|w| {
            let (pool, ledger) = (pool.clone(), ledger.clone());
            let (started, exited, released) = (started.clone(), exited.clone(), released.clone());
            thread::spawn(move || {
                pool.put(ledger.make());
                started.fetch_add(1, Ordering::SeqCst);
                drop(pool.try_get_local());
                if w == 0 {
                    wait_until(|| exited.load(Ordering::SeqCst) != u64::MAX);
                    pool.release();
                    pool.release();
                    released.store(true, Ordering::SeqCst);
                } else {
                    wait_until(|| exited.load(Ordering::SeqCst) != u64::MAX);
                    pool.release();
                    let v = pool.get_local();
                    v.touch(thread::yield_now);
                }
            })
        })
        .collect();
    exited.store(exiting.join().unwrap(), Ordering::SeqCst);
    keeper.join().unwrap();
    for w in neighbours {
        w.join().unwrap();
    }
    // Three releases have ended since the exit (a release racing another may leave an exited
    // shard to it, so only the joined threads' releases are sure to be done).
    let id = exited.load(Ordering::SeqCst);
    assert_eq!(
        ledger.drops(id),
        1,
        "an exited thread's value {id} outlived the releases"
    );
    let stats = pool.stats().unwrap();
    assert!(
        stats.private_hits >= 1,
        "the keeper's private hit: {stats:?}"
    );
    assert_eq!(
        ledger.dropped(),
        stats.released + stats.evicted + stats.rejected + stats.discarded,
        "every value dropped before the pool, counted once: {stats:?}"
    );
    drop(pool);
    ledger.assert_all_dropped();
}

/// `retain` filters every return, whatever path keeps the value (the private slot, the stash,
/// the chain) and whichever thread later takes it (a steal): a value the predicate rejects is
/// never handed out again.
fn retain_scenario() {
    let ledger = Ledger::new();
    let maker = ledger.clone();
    let pool = Arc::new(
        Pool::with_reset(move || maker.make(), |item: &mut Item| item.uses = 0)
            .retain(|item| item.id() % 2 == 0), // even identities are kept
    );
    // A std lock held only around a set insert: no scheduling point inside.
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let workers: Vec<_> = (0..3_u64)
        .map(|w| {
            let (pool, seen) = (pool.clone(), seen.clone());
            thread::spawn(move || {
                for round in 0..3 {
                    let held: Vec<_> = (0..1 + (w + round) % 3).map(|_| pool.get()).collect();
                    for v in &held {
                        let id = v.id();
                        let again = !seen.lock().unwrap().insert(id);
                        assert!(
                            !again || id % 2 == 0,
                            "value {id}, rejected by `retain`, handed out again"
                        );
                        v.touch(thread::yield_now);
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    drop(pool);
    ledger.assert_all_dropped();
}

#[test]
fn pool_retain_random_schedules() {
    shuttle::check_random(retain_scenario, if cfg!(miri) { 10 } else { 2000 });
}

#[test]
fn pool_retain_pct_schedules() {
    shuttle::check_pct(retain_scenario, if cfg!(miri) { 10 } else { 2000 }, 3);
}

#[test]
fn pool_generations_random_schedules() {
    shuttle::check_random(generations_scenario, if cfg!(miri) { 10 } else { 2000 });
}

#[test]
fn pool_generations_pct_schedules() {
    shuttle::check_pct(generations_scenario, if cfg!(miri) { 10 } else { 2000 }, 3);
}

/// A bounded pool under three threads that get (from their own shard, else by a steal), return,
/// detach, put and release at once, then exit. Checked as above, plus: the bound's count ends
/// exact. Once two releases have dropped every idle value, one thread's returns fill `kept`
/// places and the next is evicted, so every path that took a value out of a chain (a steal, a
/// pop of the own chain, a release, a refusal) gave its place back.
fn bounded_scenario(pool: Pool<Item>, ledger: Arc<Ledger>, kept: usize) {
    let pool = Arc::new(pool.with_counters());
    let workers: Vec<_> = (0..3_u64)
        .map(|w| {
            let pool = pool.clone();
            let ledger = ledger.clone();
            thread::spawn(move || {
                for round in 0..3_u64 {
                    let n = 1 + (w + round) % 3;
                    let mut held: Vec<_> = (0..n).map(|_| pool.get()).collect();
                    for v in &held {
                        v.touch(thread::yield_now);
                    }
                    match (w, round) {
                        (0, 1) => pool.release(),
                        (1, 0) => drop(Pooled::detach(held.pop().unwrap())),
                        (2, _) => pool.put(ledger.make()),
                        _ => {}
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    // The first release moves every idle value to the victim generation, the second drops it.
    pool.release();
    pool.release();
    let evicted = pool.stats().unwrap().evicted;
    for _ in 0..kept {
        pool.put(ledger.make());
    }
    assert_eq!(
        pool.stats().unwrap().evicted,
        evicted,
        "an emptied pool keeps {kept} returns"
    );
    pool.put(ledger.make());
    assert_eq!(
        pool.stats().unwrap().evicted,
        evicted + 1,
        "and evicts the next"
    );
    drop(pool);
    ledger.assert_all_dropped();
}

/// `max_idle(3)`: the private slot (not counted) and three places in the chain.
fn max_idle_scenario() {
    let ledger = Ledger::new();
    bounded_scenario(tracked_pool(&ledger).max_idle(3), ledger, 1 + 3);
}

#[test]
fn pool_max_idle_random_schedules() {
    shuttle::check_random(max_idle_scenario, if cfg!(miri) { 10 } else { 2000 });
}

#[test]
fn pool_max_idle_pct_schedules() {
    shuttle::check_pct(max_idle_scenario, if cfg!(miri) { 10 } else { 2000 }, 3);
}

/// `max_idle(3)` under a byte budget of 2 (each value weighs 1): the budget refuses most
/// returns, and each refusal must give back the `max_idle` place it took first. A pool with a
/// budget keeps no private value, so the budget alone decides: two places.
fn max_idle_under_a_budget_scenario() {
    let ledger = Ledger::new();
    let pool = tracked_pool(&ledger).max_idle(3).max_idle_bytes(2, |_| 1);
    bounded_scenario(pool, ledger, 2);
}

#[test]
fn pool_max_idle_under_a_budget_random_schedules() {
    shuttle::check_random(
        max_idle_under_a_budget_scenario,
        if cfg!(miri) { 10 } else { 2000 },
    );
}

#[test]
fn pool_max_idle_under_a_budget_pct_schedules() {
    shuttle::check_pct(
        max_idle_under_a_budget_scenario,
        if cfg!(miri) { 10 } else { 2000 },
        3,
    );
}

/// A released pool gives its rings back: the main thread returns a burst that outgrows its
/// chain's first ring while another thread gets (stealing from that chain) and releases. After
/// two more releases every chain, each shard's and the victim generation's, is back to one ring
/// of at most the first ring's size.
fn trim_scenario() {
    let ledger = Ledger::new();
    let pool = Arc::new(tracked_pool(&ledger));
    drop(pool.get()); // the main thread's shard first
    let other = {
        let pool = pool.clone();
        thread::spawn(move || {
            drop(pool.get());
            pool.release();
        })
    };
    let held: Vec<_> = (0..40).map(|_| pool.get()).collect();
    drop(held);
    other.join().unwrap();
    pool.release();
    pool.release();
    for (i, rings) in poolqueue::__test_hooks::pool_ring_capacities(&pool)
        .iter()
        .enumerate()
    {
        assert!(
            rings.len() == 1 && rings[0] <= poolqueue::chain::FIRST_RING_CAPACITY,
            "chain {i} keeps rings of {rings:?} slots after two releases"
        );
    }
    drop(pool);
    ledger.assert_all_dropped();
}

#[test]
fn pool_trim_random_schedules() {
    shuttle::check_random(trim_scenario, if cfg!(miri) { 10 } else { 1000 });
}

#[test]
fn pool_trim_pct_schedules() {
    shuttle::check_pct(trim_scenario, if cfg!(miri) { 10 } else { 1000 }, 3);
}
