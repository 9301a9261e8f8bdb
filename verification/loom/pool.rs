//! Loom models of `Pool` (exhaustive interleavings, weak memory, at most 3 preemptions): a steal
//! racing the owner, a `release` racing gets and returns, a thread exit handing its shard to a
//! later thread; and the stash's paths (under the models a stash holds 4 values, spills and
//! refills 2): a spill and a refill racing a batch steal and a `release`, and a `release`
//! ageing an exited thread's stash; a byte budget under racing returns and steals, and a local
//! get racing another thread's returns and a `release`; user code that unwinds (a guard
//! dropped while its thread panics, a reset hook that panics) while a thief steals. Checked: no
//! value has two users, no data race on a shard's owner-only part (loom's cell checker), every
//! created value dropped exactly once (an unwound one at once), no leaked ring.
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use loom::thread;

use crate::support::values::{tracked_pool, Item, Ledger};
use poolqueue::Pool;

/// Runs `f` under loom (preemption bound 3 unless `LOOM_MAX_PREEMPTIONS` says otherwise) and
/// returns how many executions it explored.
fn model(f: impl Fn() + Sync + Send + 'static) -> usize {
    static EXECUTIONS: AtomicUsize = AtomicUsize::new(0);
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(3);
    }
    let start = EXECUTIONS.load(Ordering::SeqCst);
    builder.check(move || {
        EXECUTIONS.fetch_add(1, Ordering::SeqCst);
        f()
    });
    let explored = EXECUTIONS.load(Ordering::SeqCst) - start;
    eprintln!("explored {explored} executions");
    // For the verification report: one user per value and exactly-once drops (P1, P2), the race
    // detector (P4) and the leak tracker (P5).
    println!(
        "POOLQUEUE-STAT checker={} property=P1,P2,P4,P5 test=pool models=1 executions={explored}",
        crate::util::checker()
    );
    explored
}

/// The owner pops its chain's head while a thief steals the tail; the private slot is only
/// the owner's.
#[test]
fn steal_races_the_owner() {
    model(|| {
        let ledger = Ledger::new();
        let pool = Arc::new(tracked_pool(&ledger));
        let held: Vec<_> = (0..2).map(|_| pool.get()).collect();
        drop(held); // one private, one in the chain
        let thief = {
            let pool = pool.clone();
            thread::spawn(move || {
                let v = pool.get(); // steals the chain value or creates
                v.touch(thread::yield_now);
            })
        };
        let a = pool.get(); // private
        let b = pool.get(); // chain head, unless stolen
        a.touch(thread::yield_now);
        b.touch(thread::yield_now);
        drop((a, b));
        thief.join().unwrap();
        drop(pool);
        ledger.assert_all_dropped();
    });
}

/// `release` moves chains to the victim and drops the old victim while another thread gets
/// and returns.
#[test]
fn release_races_get_and_return() {
    model(|| {
        let ledger = Ledger::new();
        let pool = Arc::new(tracked_pool(&ledger));
        let held: Vec<_> = (0..2).map(|_| pool.get()).collect();
        drop(held);
        pool.release(); // the chain value is now a victim
        let worker = {
            let pool = pool.clone();
            thread::spawn(move || {
                let v = pool.get(); // steal nothing, then the victim
                v.touch(thread::yield_now);
            })
        };
        pool.release();
        worker.join().unwrap();
        drop(pool);
        ledger.assert_all_dropped();
    });
}

/// A thread exits with values in its shard; a later thread takes its id and shard.
#[test]
fn exited_shard_goes_to_one_later_thread() {
    model(|| {
        let ledger = Ledger::new();
        let pool = Arc::new(tracked_pool(&ledger));
        let first = {
            let pool = pool.clone();
            thread::spawn(move || {
                let held: Vec<_> = (0..2).map(|_| pool.get()).collect();
                drop(held); // private and chain, left behind at exit
            })
        };
        let second = {
            let pool = pool.clone();
            thread::spawn(move || {
                // Runs before, during or after `first`: inherits its shard if the id is free.
                let v = pool.get();
                v.touch(thread::yield_now);
            })
        };
        first.join().unwrap();
        second.join().unwrap();
        drop(pool);
        ledger.assert_all_dropped();
    });
}

/// Two threads take their first shards at once; their ids (1 and 2) share one bucket of the
/// shard table, so one thread installs the bucket and the other must acquire it (through the
/// bucket load or the failed compare-and-swap in `insert`) before it stores into it. (Found
/// unpinned by the audit: those two loads weakened to Relaxed.)
#[test]
fn two_threads_install_shards_in_one_bucket() {
    model(|| {
        let ledger = Ledger::new();
        let pool = Arc::new(tracked_pool(&ledger));
        drop(pool.get()); // this thread: id 0, bucket 0
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let pool = pool.clone();
                thread::spawn(move || drop(pool.get()))
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let stats_sum = pool.try_get().is_some();
        let _ = stats_sum;
        drop(pool);
        ledger.assert_all_dropped();
    });
}

/// Under the models: the private slot (1) and a full stash (4) hold 5 values; the 6th return
/// spills the stash's 2 oldest to the chain.
const PAST_THE_STASH: usize = 6;

/// The owner spills and refills its stash (batch push and batch pop on its chain) while a
/// thief batch-steals from that chain into its own.
#[test]
fn spill_and_refill_race_a_batch_steal() {
    model(|| {
        let ledger = Ledger::new();
        let pool = Arc::new(tracked_pool(&ledger));
        let held: Vec<_> = (0..PAST_THE_STASH).map(|_| pool.get()).collect();
        drop(held); // 1 private, 3 in the stash, 2 spilled to the chain
        let thief = {
            let pool = pool.clone();
            thread::spawn(move || {
                // Its own shard is empty: a batch steal of the owner's chain, or a create.
                let v = pool.get();
                v.touch(thread::yield_now);
            })
        };
        // Private, the stash's 3, then a refill from the chain (racing the steal).
        let held: Vec<_> = (0..PAST_THE_STASH - 1).map(|_| pool.get()).collect();
        for v in &held {
            v.touch(|| {});
        }
        drop(held); // back into the stash, spilling again
        thief.join().unwrap();
        drop(pool);
        ledger.assert_all_dropped();
    });
}

/// `release` (moving the chain to the victim) races the owner's spill and refill.
#[test]
fn release_races_spill_and_refill() {
    model(|| {
        let ledger = Ledger::new();
        let pool = Arc::new(tracked_pool(&ledger));
        let held: Vec<_> = (0..PAST_THE_STASH).map(|_| pool.get()).collect();
        drop(held);
        let releaser = {
            let pool = pool.clone();
            thread::spawn(move || pool.release())
        };
        let held: Vec<_> = (0..PAST_THE_STASH - 1).map(|_| pool.get()).collect();
        for v in &held {
            v.touch(thread::yield_now);
        }
        drop(held);
        releaser.join().unwrap();
        drop(pool);
        ledger.assert_all_dropped();
    });
}

/// A thread leaves values in its stash and exits; `release`, racing the exit, stands in for it
/// once its id is free. Whichever way the race goes, nothing dies at the first `release`, and
/// every value idle since before it is dead after the second once the exit is registered
/// (exactly one survived release, wherever the value sat: private slot or stash).
#[test]
fn release_ages_an_exited_threads_stash() {
    model(|| {
        let ledger = Ledger::new();
        let pool = Arc::new(tracked_pool(&ledger));
        let mine = pool.get(); // this thread's id first: the other cannot inherit it
        let returned = Arc::new(loom::sync::atomic::AtomicBool::new(false));
        let other = {
            let pool = pool.clone();
            let returned = returned.clone();
            thread::spawn(move || {
                let held: Vec<_> = (0..3).map(|_| pool.get()).collect();
                drop(held); // 1 private, 2 in the stash
                            // Release: pairs with the Acquire spin below (the values are idle before R1).
                returned.store(true, Ordering::Release);
            })
        };
        // Acquire: pairs with the store above.
        while !returned.load(Ordering::Acquire) {
            thread::yield_now();
        }
        pool.release(); // before, during or after the exit
        other.join().unwrap();
        assert_eq!(ledger.dropped(), 0, "a value died at its first release");
        pool.release();
        // Under loom `join` returns before the thread's thread-locals (its id) are dropped, so
        // the exit may come after this `release` too: then no release has aged the shard yet
        // (0). Otherwise all three died here (3); anything else is a value that outlived two
        // releases, or died early.
        let dropped = ledger.dropped();
        assert!(
            dropped == 0 || dropped == 3,
            "{dropped} of 3 died at the second release"
        );
        drop(mine);
        drop(pool);
        ledger.assert_all_dropped();
    });
}

/// Drains every idle value (this thread steals the rest; a pool with a budget keeps none in a
/// private slot), checks that at most `budget` were idle (each weighs 1), then that the budget
/// is whole again: `budget` new values all fit.
fn drain_and_check_the_budget(
    pool: &poolqueue::Pool<crate::support::values::Item>,
    ledger: &Arc<Ledger>,
    budget: usize,
) {
    let mut idle = Vec::new();
    while let Some(v) = pool.try_get() {
        idle.push(poolqueue::Pooled::detach(v));
    }
    assert!(
        idle.len() <= budget,
        "{} idle values weigh more than the budget",
        idle.len()
    );
    let evicted = pool.stats().unwrap().evicted;
    for _ in 0..budget {
        pool.put(ledger.make());
    }
    assert_eq!(
        pool.stats().unwrap().evicted,
        evicted,
        "the drained pool has its whole budget again"
    );
}

/// Two threads return a value each into the last unit of a budget: exactly one is kept (the
/// reservation is one compare-and-swap), and the count ends exact.
#[test]
fn two_returns_race_for_the_last_room() {
    model(|| {
        let ledger = Ledger::new();
        let pool = Arc::new(
            tracked_pool(&ledger)
                .max_idle_bytes(1, |_| 1)
                .with_counters(),
        );
        let other = {
            let pool = pool.clone();
            let ledger = ledger.clone();
            thread::spawn(move || pool.put(ledger.make()))
        };
        pool.put(ledger.make());
        other.join().unwrap();
        let stats = pool.stats().unwrap();
        assert_eq!((stats.puts, stats.evicted), (1, 1), "{stats:?}");
        drain_and_check_the_budget(&pool, &ledger, 1);
        drop(pool);
        ledger.assert_all_dropped();
    });
}

/// A thief steals from a budget pool's chain and returns the value while the owner pops its
/// chain and returns: the weight given back and reserved on both sides never lets the idle
/// values pass the budget, and the count ends exact.
#[test]
fn budget_holds_while_a_steal_races_the_owner() {
    model(|| {
        let ledger = Ledger::new();
        let pool = Arc::new(
            tracked_pool(&ledger)
                .max_idle_bytes(2, |_| 1)
                .with_counters(),
        );
        pool.put(ledger.make());
        pool.put(ledger.make()); // both in this thread's chain: the budget is full
        let thief = {
            let pool = pool.clone();
            thread::spawn(move || {
                let v = pool.get(); // steals one
                v.touch(thread::yield_now);
            })
        };
        let a = pool.get(); // the own chain's head, or the last one left
        a.touch(thread::yield_now);
        drop(a);
        thief.join().unwrap();
        drain_and_check_the_budget(&pool, &ledger, 2);
        drop(pool);
        ledger.assert_all_dropped();
    });
}

/// A local get racing another thread's returns and a `release` takes nothing from the other
/// thread's shard nor from the victims: no steal or victim hit is ever counted.
#[test]
fn local_get_never_steals_nor_takes_a_victim() {
    model(|| {
        let ledger = Ledger::new();
        let pool = Arc::new(tracked_pool(&ledger).max_idle(4).with_counters());
        drop(pool.try_get_local()); // this thread's id first: the other cannot inherit it
        let other = {
            let pool = pool.clone();
            thread::spawn(move || {
                let held: Vec<_> = (0..2).map(|_| pool.get()).collect();
                drop(held); // one private, one in the chain (stealable)
                pool.release();
            })
        };
        let mine = pool.get_local();
        mine.touch(thread::yield_now);
        drop(mine);
        other.join().unwrap();
        let stats = pool.stats().unwrap();
        assert_eq!((stats.steal_hits, stats.victim_hits), (0, 0), "{stats:?}");
        drop(pool);
        ledger.assert_all_dropped();
    });
}

/// User code that unwinds while a thief steals and returns: a guard dropped while its thread
/// panics discards its value at once (it may be half-updated), and a reset hook that panics
/// drops the value it was given; every value is dropped exactly once.
#[test]
fn unwinding_user_code_drops_its_value_at_once() {
    model(|| {
        let ledger = Ledger::new();
        let maker = ledger.clone();
        let pool = Arc::new(Pool::with_reset(
            move || maker.make(),
            |item: &mut Item| {
                assert!(
                    item.uses != RESET_PANICS,
                    "the reset hook panics on purpose"
                );
                item.uses = 0;
            },
        ));
        let thief = {
            let pool = pool.clone();
            thread::spawn(move || {
                let v = pool.get(); // steals or creates
                v.touch(thread::yield_now);
            })
        };
        let on_purpose = |unwound: std::thread::Result<()>| {
            let payload = unwound.expect_err("the closure panics");
            let text = payload.downcast_ref::<&str>().copied().unwrap_or_default();
            let text = payload
                .downcast_ref::<String>()
                .map_or(text, String::as_str);
            if !text.contains("on purpose") {
                panic::resume_unwind(payload); // a failed check
            }
        };
        let mut half_updated = u64::MAX;
        on_purpose(panic::catch_unwind(AssertUnwindSafe(|| {
            let mut v = pool.get();
            half_updated = v.id();
            v.uses = 7;
            panic!("the user panics on purpose");
        })));
        assert_eq!(
            ledger.drops(half_updated),
            1,
            "a guard dropped while panicking kept its value"
        );
        let mut reset_fails = u64::MAX;
        on_purpose(panic::catch_unwind(AssertUnwindSafe(|| {
            let mut v = pool.get();
            reset_fails = v.id();
            v.uses = RESET_PANICS;
        })));
        assert_eq!(
            ledger.drops(reset_fails),
            1,
            "a value whose reset panicked was not dropped"
        );
        thief.join().unwrap();
        drop(pool);
        ledger.assert_all_dropped();
    });
}

/// The use count on which the reset hook of `unwinding_user_code_drops_its_value_at_once`
/// panics.
const RESET_PANICS: u64 = 99;
