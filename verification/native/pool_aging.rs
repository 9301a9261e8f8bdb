//! The pool's aging of idle values (a live idle thread's, `max_idle` after `release`): behaviours
//! the seeded-bug audit found unpinned (`proofs-notes/audit.md`). Each test here kills at least one seeded bug of `verification/audit/seeded_bugs.py` that every other check
//! let through; the bug's id is named on the test.

use crate::support::watchdog::{watchdog, BOUND};
use std::sync::mpsc;
use std::thread;

use poolqueue::Pool;

/// A thread that keeps living but does not touch the pool across two `release`s must not get
/// its private value back: it was idle for two generations. After one `release` it still does
/// (the victim generation), and the value that dies counts as released. Kills
/// `pool-fast-get-ignores-generation` (the fast path hands out the stale private value),
/// `pool-age-always-to-victim` (aging keeps it as a victim) and `pool-age-local-uncounted`.
#[test]
fn a_live_threads_private_value_survives_exactly_one_release() {
    watchdog(
        BOUND,
        "a live threads private value survives exactly one release",
        || {
            let pool = Pool::new(|| Vec::<u8>::with_capacity(1)).with_counters();
            let pool = &pool;
            let (after_one, after_two) = thread::scope(|s| {
                let (to_worker, from_main) = mpsc::channel::<()>();
                let (to_main, from_worker) = mpsc::channel::<usize>();
                // The worker stays alive (keeping its thread id and shard) and idle between requests.
                s.spawn(move || {
                    pool.put(Vec::with_capacity(1000)); // into its private slot
                    to_main.send(0).unwrap();
                    while from_main.recv().is_ok() {
                        let capacity = pool.get().capacity(); // the guard returns it to the slot
                        to_main.send(capacity).unwrap();
                    }
                });
                let ask = || {
                    to_worker.send(()).unwrap();
                    from_worker.recv().expect("the worker panicked")
                };
                from_worker.recv().expect("the worker panicked");
                pool.release();
                let after_one = ask();
                pool.release();
                pool.release();
                let after_two = ask();
                (after_one, after_two)
            });
            assert!(
            after_one >= 1000,
            "after one release the thread's private value must still be there (as a victim), got \
             a buffer of capacity {after_one}"
        );
            assert!(
                after_two < 1000,
                "after two releases the thread's private value must be gone, but the same buffer \
             (capacity {after_two}) came back"
            );
            let stats = pool.stats().unwrap();
            assert_eq!(stats.creates, 1, "the last get must create: {stats:?}");
            assert_eq!(
            stats.released, 1,
            "the value that died when its thread aged its own slots counts as released: {stats:?}"
        );
        },
    );
}

/// `release` moves the chains' values to the victim generation, so they no longer count
/// against `max_idle`: afterwards the chain has its full room again. Kills
/// `pool-release-keeps-idle`.
#[test]
fn release_gives_the_max_idle_room_back() {
    watchdog(BOUND, "release gives the max idle room back", || {
        let pool = Pool::new(|| Vec::<u8>::with_capacity(1))
            .max_idle(2)
            .with_counters();
        // Three returns on one thread: one to the private slot, two to the chain (the bound).
        let held: Vec<_> = (0..3).map(|_| pool.get()).collect();
        drop(held);
        assert_eq!(pool.stats().unwrap().evicted, 0);
        pool.release(); // the chain's two values become victims: idle count back to 0
                        // Take the three victims, and return them: the chain must take two again.
        let held: Vec<_> = (0..3).map(|_| pool.get()).collect();
        assert_eq!(pool.stats().unwrap().creates, 3, "the victims were reused");
        drop(held);
        let stats = pool.stats().unwrap();
        assert_eq!(
            stats.evicted, 0,
            "after a release the chain has room for max_idle values again: {stats:?}"
        );
    });
}

/// A value stolen from another thread's chain leaves the idle count, so it does not hold a
/// place under `max_idle` after it was taken. Kills `pool-steal-keeps-idle`.
#[test]
fn a_steal_gives_the_max_idle_room_back() {
    watchdog(BOUND, "a steal gives the max idle room back", || {
        let pool = Pool::new(|| Vec::<u8>::with_capacity(1))
            .max_idle(2)
            .with_counters();
        // Take this thread's id and shard first, so the helper thread gets another one (an id
        // given back by an exited thread is inherited, shard and all, by the next thread).
        assert!(pool.try_get().is_none());
        thread::scope(|s| {
            s.spawn(|| {
                // One to this thread's private slot, two to its chain (the bound).
                let held: Vec<_> = (0..3).map(|_| pool.get()).collect();
                drop(held);
            });
        });
        // This thread steals the two chain values (the third get creates: a private slot is not
        // stealable), then returns all three: one to its private slot, two to its chain.
        let held: Vec<_> = (0..3).map(|_| pool.get()).collect();
        let stats = pool.stats().unwrap();
        assert_eq!(stats.steal_hits, 2, "{stats:?}");
        drop(held);
        let stats = pool.stats().unwrap();
        assert_eq!(
            stats.evicted, 0,
            "the stolen values no longer count as idle, so the chain has room for two: {stats:?}"
        );
    });
}

/// `retain` keeps the values it says `true` for and drops the others, and it judges a value
/// after the reset, as its next user would see it. Kills `pool-retain-inverted` and
/// `pool-retain-before-reset`.
#[test]
fn retain_keeps_what_it_accepts_and_sees_reset_values() {
    watchdog(
        BOUND,
        "retain keeps what it accepts and sees reset values",
        || {
            let pool = Pool::new(|| Vec::<u8>::with_capacity(16))
                .retain(|v| v.capacity() <= 1024)
                .with_counters();
            pool.put(Vec::with_capacity(4096)); // refused
            pool.put(Vec::with_capacity(8)); // kept
            let stats = pool.stats().unwrap();
            assert_eq!((stats.rejected, stats.puts), (1, 1), "{stats:?}");
            assert_eq!(
                pool.get().capacity(),
                8,
                "the accepted value is the one kept"
            );

            // A filter that accepts only reset values accepts every returned one.
            let pool = Pool::new(Vec::<u8>::new)
                .retain(|v| v.is_empty())
                .with_counters();
            pool.get().extend_from_slice(b"used");
            let stats = pool.stats().unwrap();
            assert_eq!(
                stats.rejected, 0,
                "retain saw the value before its reset: {stats:?}"
            );
        },
    );
}

/// A fast-path hit counts as a private hit, nothing else. Kills `pool-private-hit-as-shared`.
#[test]
fn a_fast_path_hit_counts_as_private() {
    watchdog(BOUND, "a fast path hit counts as private", || {
        let pool = Pool::new(Vec::<u8>::new).with_counters();
        drop(pool.get()); // creates; returns to the private slot
        drop(pool.get()); // the private slot
        let stats = pool.stats().unwrap();
        assert_eq!(
            (stats.private_hits, stats.shared_hits, stats.creates),
            (1, 0, 1),
            "{stats:?}"
        );
    });
}

/// `get` steals a fresh value from another thread's chain before it takes one of the victim
/// generation, so victims age out while fresher values are idle. Kills
/// `pool-victim-before-steal`.
#[test]
fn get_steals_before_it_takes_a_victim() {
    watchdog(BOUND, "get steals before it takes a victim", || {
        let pool = Pool::new(|| Vec::<u8>::with_capacity(1)).with_counters();
        let pool = &pool;
        assert!(pool.try_get().is_none()); // this thread's id first (see above)
        thread::scope(|s| {
            let (to_worker, from_main) = mpsc::channel::<()>();
            let (to_main, from_worker) = mpsc::channel::<()>();
            s.spawn(move || {
                // Two returns: one to the private slot, one to the chain.
                let held: Vec<_> = (0..2).map(|_| pool.get()).collect();
                drop(held);
                to_main.send(()).unwrap();
                from_main.recv().unwrap();
                // After the release: fresh returns again, past the private slot and the stash
                // (32), so that the last one spills the stash's oldest half to the chain.
                for _ in 0..1 + 32 + 1 {
                    pool.put(Vec::with_capacity(1));
                }
                to_main.send(()).unwrap();
            });
            from_worker.recv().expect("the worker panicked");
            // Victims this thread can take: its own stash goes to the victim chain at the release.
            pool.put(Vec::with_capacity(1));
            pool.put(Vec::with_capacity(1));
            pool.release(); // the chain values and this thread's stash become victims
            to_worker.send(()).unwrap();
            from_worker.recv().expect("the worker panicked");
        });
        let before = pool.stats().unwrap();
        let _value = pool.get();
        let after = pool.stats().unwrap();
        assert_eq!(
            (
                after.steal_hits - before.steal_hits,
                after.victim_hits - before.victim_hits
            ),
            (1, 0),
            "a fresh value in another chain must be taken before a victim: {after:?}"
        );
    });
}
