//! The loom-epoch lane (`cargo loom-epoch`): models over the crate's real crossbeam-epoch
//! collector (`src/sync/reclaim_epoch.rs`) on crossbeam's loom build, instead of the adversarial
//! reclaimer. crossbeam decides when a retired ring is freed; the free marks the ring's liveness
//! cell dead (a loom-checked write), so a ring touched after crossbeam freed it, or by an access
//! not ordered before the free, fails the model. Compiled only with `--cfg crossbeam_loom`.
//!
//! | model | what races | seeded bug it catches (proofs-notes/reclamation.md) |
//! | --- | --- | --- |
//! | [`stealer_retires_while_the_owner_pops_older_rings`] | a stealer unlinks and retires the old ring while the owner walks `prev` into it | the ring retired before `prev` is cleared |
//! | [`owner_unlinks_while_a_stealer_holds_a_claimed_slot`] | the owner unlinks a drained ring while a stealer may be reading its claimed last slot | the owner unlinks a ring that still holds a value |
//! | [`growth_racing_retirement_and_a_prompt_free`] | the owner outgrows its head ring while a stealer retires the old one; then one collection frees it | retired rings left in the thread's bag (no flush) |
//! | [`a_deferred_function_reenters_the_pool`] | a function deferred on crossbeam's default collector calls the pool | the crate pinning crossbeam's default collector |

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use loom::thread;
use poolqueue::__test_hooks as hooks;
use poolqueue::{chain, Pool};

use crate::util::{after_spawn, assert_exactly_once, model, model_with, Val};

/// Indices start here so that the first ring crosses 2^32 on its second push.
const START: u32 = u32::MAX - 1;

fn ids(popped: impl IntoIterator<Item = Val>) -> Vec<u32> {
    popped.into_iter().map(|v| v.id()).collect()
}

/// A chain of a full 2-slot ring `[0, 1]` and a 4-slot head ring `[2]`.
fn two_rings() -> (chain::Owner<Val>, chain::Stealer<Val>) {
    let (owner, stealer) = hooks::chain_with_first_capacity::<Val>(2, START);
    for id in 0..3 {
        owner.push_head(Val::new(id));
    }
    assert_eq!(owner.ring_capacities(), vec![2, 4]);
    (owner, stealer)
}

/// A stealer drains the oldest ring and unlinks it (clearing the head ring's `prev`, retiring the
/// ring to crossbeam) while the owner backs up into it through `prev`.
#[test]
fn stealer_retires_while_the_owner_pops_older_rings() {
    model(Some(2), || {
        let (owner, stealer) = two_rings();
        // The head ring is empty and the old ring holds only 0: the owner's next pop walks
        // `prev`, and the stealer's second pop finds the old ring empty for good.
        let mut seen = ids([owner.pop_head(), owner.pop_head()].into_iter().flatten());
        assert_eq!(seen, [2, 1]);
        let thief = thread::spawn(move || {
            let a = stealer.pop_tail();
            let b = stealer.pop_tail();
            ids(a.into_iter().chain(b))
        });
        after_spawn();
        seen.extend(ids(owner.pop_head()));
        seen.extend(thief.join().unwrap());
        seen.extend(ids(std::iter::from_fn(|| owner.pop_head())));
        assert_exactly_once(seen, 0..3);
    });
}

/// The owner pops past its head ring and unlinks the drained older ring itself, while a stealer
/// may have claimed that ring's last slot (the ring then looks empty) and still be reading it.
#[test]
fn owner_unlinks_while_a_stealer_holds_a_claimed_slot() {
    model(Some(2), || {
        let (owner, stealer) = two_rings();
        let thief = thread::spawn(move || ids(stealer.pop_tail()));
        after_spawn();
        let mut seen = ids((0..3).filter_map(|_| owner.pop_head()));
        seen.extend(thief.join().unwrap());
        seen.extend(ids(std::iter::from_fn(|| owner.pop_head())));
        assert_exactly_once(seen, 0..3);
    });
}

/// The owner, on another thread, fills and outgrows the head ring while a stealer drains and
/// retires the oldest ring. Then, with no thread pinned, collection rounds on a fresh thread
/// free the retired ring: it was handed to the collector, not left in the retiring thread's bag
/// (which a fresh thread's collection cannot reach).
#[test]
fn growth_racing_retirement_and_a_prompt_free() {
    model(Some(2), || {
        let (owner, stealer) = two_rings();
        let grower = thread::spawn(move || {
            for id in 3..6 {
                owner.push_head(Val::new(id)); // [2, 3, 4, 5]: the 4-slot ring is full
            }
            owner.push_head(Val::new(6)); // links an 8-slot ring
            owner
        });
        after_spawn();
        let mut seen = ids((0..3).filter_map(|_| stealer.pop_tail()));
        let owner = grower.join().unwrap();
        if seen.len() >= 2 {
            // 0 and 1 came out: this thread drained the first ring and retired it.
            thread::spawn(|| {
                for _ in 0..3 {
                    hooks::epoch_collect_round();
                    thread::yield_now();
                }
            })
            .join()
            .unwrap();
            assert!(
                hooks::epoch_freed_rings() >= 1,
                "a retired ring outlived its grace period: it never reached the collector's queue"
            );
        }
        seen.extend(ids(std::iter::from_fn(|| owner.pop_head())));
        assert_exactly_once(seen, 0..7);
    });
}

loom::thread_local! {
    /// Set by the model while the thread is inside a pool operation.
    static IN_POOL: std::cell::Cell<bool> = std::cell::Cell::new(false);
}

fn pool_op<R>(f: impl FnOnce() -> R) -> R {
    IN_POOL.with(|p| p.set(true));
    let r = f();
    IN_POOL.with(|p| p.set(false));
    r
}

/// A function deferred on crossbeam's *default* collector re-enters the pool (`put`, `get`,
/// `release`), like another crate's garbage whose drop goes back to a pool. The pool's own pins
/// and retirements (a shard chain that grows past one ring and is drained, two releases that
/// trim it) must never run it; once the model drives the default collector itself, the function
/// runs, outside the pool, and its pool calls complete (no deadlock, no second `&mut` to a
/// shard: loom's cell checker).
#[test]
fn a_deferred_function_reenters_the_pool() {
    model_with(Some(1), Some(100_000), "pool", || {
        let pool = Arc::new(Pool::new(Vec::<u32>::new));
        let ran = Arc::new(AtomicBool::new(false));
        // On a thread that never uses the pool: loom drops a thread's locals in random order,
        // and on this thread only crossbeam's participant does loom operations when dropped.
        let deferring = {
            let (pool, ran) = (pool.clone(), ran.clone());
            thread::spawn(move || {
                let guard = crossbeam_epoch::pin();
                guard.defer(move || {
                    assert!(
                        !IN_POOL.with(|f| f.get()),
                        "the pool ran another crate's deferred function inside one of its operations"
                    );
                    pool.put(vec![7]);
                    drop(pool.get());
                    pool.release();
                    // Relaxed: read by this model's threads after a join or on this thread.
                    ran.store(true, Ordering::Relaxed);
                });
                guard.flush();
            })
        };
        deferring.join().unwrap();
        pool_op(|| (0..10).for_each(|i| pool.put(vec![i])));
        pool_op(|| {
            let held: Vec<_> = (0..10).map(|_| pool.get()).collect();
            drop(held);
            pool.release();
            pool.release();
        });
        assert!(!ran.load(Ordering::Relaxed));
        // Drive the default collector; yield so that the exited thread finishes tearing down
        // its locals (loom lets `join` return before that).
        for _ in 0..8 {
            if ran.load(Ordering::Relaxed) {
                break;
            }
            crossbeam_epoch::pin().flush();
            thread::yield_now();
        }
        assert!(
            ran.load(Ordering::Relaxed),
            "driving the default collector ran the deferred function"
        );
    });
}
