//! `Pool` in normal builds: the runtime halves of "Go's pool pitfalls" (the compile-time halves
//! are `compile_fail` doc tests in `src/pool/mod.rs`), exactly-once drops across threads,
//! releases, thread exits and panics, and zero allocations per operation in steady state.
use crate::support::watchdog::{watchdog, BOUND};
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use poolqueue::{Pool, Pooled, Reset};

use crate::support::alloc::allocations;
use crate::support::values::{self, Item, Ledger};

/// `n`, or a small fraction of it under Miri.
const fn scaled(n: u64) -> u64 {
    if cfg!(miri) {
        n / 100 + 2
    } else {
        n
    }
}

/// The ledger's pool, with the statistics counters on.
fn tracked_pool(ledger: &Arc<Ledger>) -> Pool<Item> {
    values::tracked_pool(ledger).with_counters()
}

// ---------------------------------------------------------------------------------------------
// Go's pitfalls, runtime halves.

/// Bug 1: the reset hook always runs before reuse.
#[test]
fn bug1_values_are_reset_before_reuse() {
    let pool = Pool::new(String::new);
    let greet = |name: &str| {
        let mut b = pool.get();
        b.push_str("Hello, ");
        b.push_str(name);
        b.clone()
    };
    assert_eq!(greet("Alice"), "Hello, Alice");
    assert_eq!(greet("Bob"), "Hello, Bob");
}

/// Bug 2: what leaves the function is a copy or a detached buffer; reuse cannot change it.
#[test]
fn bug2_returned_bytes_do_not_alias_the_pool() {
    let pool = Pool::new(Vec::<u8>::new);
    let render = |items: &[&str]| {
        let mut b = pool.get();
        for s in items {
            b.extend_from_slice(s.as_bytes());
            b.push(b'\n');
        }
        b.to_vec()
    };
    let first = render(&["a", "b"]);
    let _second = render(&["zzzz", "yyyy"]);
    assert_eq!(first, b"a\nb\n");
    let detached = Pooled::detach(pool.get());
    pool.get().extend_from_slice(b"overwrite");
    assert!(detached.is_empty());
}

/// Bugs 3 and 4: a value goes back once (by move); a returned value is reachable by one user.
#[test]
fn bug3_bug4_a_value_returns_once() {
    let ledger = Ledger::new();
    let pool = tracked_pool(&ledger);
    let a = pool.get();
    let id = a.id();
    drop(a);
    let b = pool.get();
    let c = pool.get(); // the only idle value is held by `b`: a new one
    assert_eq!(b.id(), id);
    assert_ne!(c.id(), id);
    drop((b, c));
    drop(pool);
    ledger.assert_all_dropped();
}

/// Bug 5: per-use state is cleared, and a value has one user at a time, across threads.
#[test]
fn bug5_state_is_isolated_between_users() {
    watchdog(BOUND, "bug5 state is isolated between users", || {
        #[derive(Default)]
        struct Encoder {
            schema: HashMap<u64, u64>,
            in_use: AtomicBool,
        }
        impl Reset for Encoder {
            fn reset(&mut self) {
                self.schema.clear();
            }
        }
        let pool = Pool::new(Encoder::default);
        thread::scope(|s| {
            for t in 0..4_u64 {
                let pool = &pool;
                s.spawn(move || {
                    for i in 0..scaled(2_000) {
                        let mut e = pool.get();
                        assert!(!e.in_use.swap(true, Ordering::SeqCst), "shared encoder");
                        assert!(e.schema.is_empty(), "keys of a previous call leaked");
                        e.schema.insert(t, i);
                        e.in_use.store(false, Ordering::SeqCst);
                    }
                });
            }
        });
    });
}

/// Bug 7: pooling is allocation-free in steady state, even for a tiny value.
#[test]
fn bug7_no_allocation_per_operation() {
    #[derive(Default, Clone, Copy)]
    struct Point {
        x: i64,
        y: i64,
    }
    let pool = Pool::with_reset(Point::default, |p| *p = Point::default());
    let buffers = Pool::new(|| Vec::<u8>::with_capacity(4096));
    // Warm up: the shard, the chains' rings, the thread id.
    for _ in 0..4 {
        let held: Vec<_> = (0..100).map(|_| buffers.get()).collect();
        drop(held);
        drop(pool.get());
    }
    let before = allocations();
    for i in 0..scaled(10_000) as i64 {
        let mut p = pool.get();
        p.x = i;
        p.y = i + 1;
        assert_eq!(p.x + 1, p.y);
        drop(p);
        let mut b = buffers.get();
        b.extend_from_slice(&i.to_le_bytes());
        drop(b);
    }
    for _ in 0..scaled(100) {
        let held: Vec<_> = (0..100).map(|_| buffers.get()).collect();
        for b in held {
            drop(b);
        }
    }
    // `held` vectors: one allocation per round; nothing else.
    assert_eq!(allocations() - before, scaled(100));
}

/// Bug 8: a pool is not a cache: contents are reset, and values are gone after two releases.
#[test]
fn bug8_pool_is_not_a_cache() {
    let ledger = Ledger::new();
    let pool = tracked_pool(&ledger);
    let pool_of_strings = Pool::new(String::new);
    pool_of_strings.put("key=value".into());
    assert_eq!(*pool_of_strings.get(), "");

    drop(pool.get());
    pool.release();
    pool.release();
    assert_eq!(ledger.dropped(), 1, "two releases drop an idle value");
    assert_eq!(pool.get().id(), 1, "a new value was created");
}

/// Bug 9: `get` never returns "nothing"; an empty pool creates.
#[test]
fn bug9_get_never_returns_nothing() {
    let pool = Pool::with_reset(|| Box::new(7_i32), |b| **b = 7);
    assert_eq!(**pool.get(), 7);
}

/// The stash's capacity (`src/pool/stash.rs`): a thread's idle values beyond its private slot
/// and this many are in its chain, where other threads find them.
const STASH: usize = 32;

/// Bug 10: no thread affinity: values put on one thread are stolen by another. The values
/// past the private slot and the stash are in the chain at once; the stash's own are taken by
/// other threads after the next `release` (as victims), since their thread exited.
#[test]
fn bug10_values_move_between_threads() {
    watchdog(BOUND, "bug10 values move between threads", || {
        let ledger = Ledger::new();
        let pool = Arc::new(tracked_pool(&ledger));
        // Take a thread id (and shard) first, so this thread cannot inherit the other's shard.
        let mine = pool.get();
        // Joined through its handle, so its thread id is given back before `release` below.
        thread::spawn({
            let pool = pool.clone();
            move || {
                let held: Vec<_> = (0..1 + STASH + 9).map(|_| pool.get()).collect();
                // One private; the stash fills, then spills its oldest half to the chain.
                drop(held);
            }
        })
        .join()
        .unwrap();
        let created = ledger.created();
        let spilled = STASH / 2;
        let stolen: Vec<_> = (0..spilled).map(|_| pool.get()).collect();
        assert_eq!(
            ledger.created(),
            created,
            "every spilled value was stolen, none created"
        );
        let stats = pool.stats().unwrap();
        // A batch steal moves half of the victim's values into this thread's chain: the first get
        // is a steal, later ones may be hits of its own.
        assert!(stats.steal_hits >= 1, "{stats:?}");
        assert_eq!(
            stats.steal_hits + stats.shared_hits,
            spilled as u64,
            "{stats:?}"
        );
        drop(stolen); // this thread: 1 private, the rest in its stash
                      // The exited thread's stash (STASH + 9 - spilled values) becomes victims at a release,
                      // which any thread takes: more than this thread's own `spilled` victims are found.
        pool.release();
        let left = STASH + 9 - spilled;
        let victims: Vec<_> = (0..left).map(|_| pool.get()).collect();
        assert_eq!(
            ledger.created(),
            created,
            "the exited thread's stash was found after a release"
        );
        drop(mine);
        drop(victims);
        drop(pool);
        ledger.assert_all_dropped();
    });
}

// ---------------------------------------------------------------------------------------------
// Lifecycle: exactly-once drops, victim generation, thread exit, panics.

#[test]
fn victim_generation_survives_exactly_one_release() {
    watchdog(
        BOUND,
        "victim generation survives exactly one release",
        || {
            let ledger = Ledger::new();
            let pool = Arc::new(tracked_pool(&ledger));
            // Take a thread id (and shard) first, so this thread cannot inherit the other's shard.
            let mine = pool.get();
            // A joined `JoinHandle`, not a scoped thread: `join` returns only after the thread's
            // thread-local destructors ran (which register its exit with the pool), while a scope may
            // return as soon as the closure has, and the first `release` would race the exit.
            let theirs = pool.clone();
            thread::spawn(move || {
                let held: Vec<_> = (0..20).map(|_| theirs.get()).collect();
                drop(held); // one in that thread's private slot, 19 in its chain
            })
            .join()
            .unwrap();
            pool.release(); // the 19 chain values become victims
            assert_eq!(ledger.dropped(), 0);
            let back: Vec<_> = (0..19).map(|_| pool.get()).collect();
            assert_eq!(ledger.created(), 21, "victims served before creating");
            assert_eq!(pool.stats().unwrap().victim_hits, 19);
            drop(back); // primary again, in this thread's shard (private slot and chain)
            drop(mine);
            // The exited thread's private value, idle since before the first release, dies at the
            // second: `release` ages the shards of exited threads too.
            pool.release(); // the victim generation is empty; these 20 become it
            assert_eq!(
                ledger.dropped(),
                1,
                "only the exited thread's value, at its second release"
            );
            pool.release();
            assert_eq!(ledger.dropped(), 21, "dropped at their second release");
            assert_eq!(pool.stats().unwrap().released, 21);
            drop(pool);
            ledger.assert_all_dropped();
        },
    );
}

#[test]
fn exited_threads_shards_are_inherited_or_stolen() {
    watchdog(
        BOUND,
        "exited threads shards are inherited or stolen",
        || {
            let ledger = Ledger::new();
            let pool = tracked_pool(&ledger);
            for round in 0..scaled(200) {
                thread::scope(|s| {
                    for _ in 0..3 {
                        s.spawn(|| {
                            let held: Vec<_> = (0..5).map(|_| pool.get()).collect();
                            for t in &held {
                                t.enter();
                                t.leave();
                            }
                        });
                    }
                });
                // Threads exit; new threads take the recycled ids (and shards) in the next round.
                assert!(
                    ledger.created() <= 15 + round * 3,
                    "exited threads' values were reused"
                );
            }
            assert_eq!(ledger.dropped(), 0);
            drop(pool);
            ledger.assert_all_dropped();
        },
    );
}

#[test]
fn concurrent_gets_puts_and_releases_drop_everything_once() {
    watchdog(
        BOUND,
        "concurrent gets puts and releases drop everything once",
        || {
            let ledger = Ledger::new();
            let pool = tracked_pool(&ledger).max_idle(16);
            thread::scope(|s| {
                for t in 0..4 {
                    let pool = &pool;
                    s.spawn(move || {
                        for i in 0..scaled(3_000) {
                            let n = 1 + (i * 7 + t) % 5;
                            let mut held: Vec<_> = (0..n).map(|_| pool.get()).collect();
                            for v in &mut held {
                                v.enter();
                                v.uses += 1;
                                assert_eq!(v.uses, 1, "a reset was skipped");
                                v.leave();
                            }
                            if i % 97 == 0 {
                                let kept = Pooled::detach(held.pop().unwrap());
                                drop(kept);
                            }
                            if t == 0 && i % 250 == 0 {
                                pool.release();
                            }
                        }
                    });
                }
            });
            let stats = pool.stats().unwrap();
            assert_eq!(
                stats.gets(),
                stats.puts + stats.rejected + stats.evicted + stats.detached
            );
            drop(pool);
            ledger.assert_all_dropped();
        },
    );
}

#[test]
fn panicking_reset_drops_the_value_once() {
    let ledger = Ledger::new();
    let maker = ledger.clone();
    let pool = Pool::with_reset(
        move || maker.make(),
        |t| {
            if t.uses > 0 {
                panic!("reset failed");
            }
        },
    );
    let mut v = pool.get();
    v.uses = 1;
    let panicked = catch_unwind(AssertUnwindSafe(|| drop(v)));
    assert!(panicked.is_err());
    assert_eq!(ledger.dropped(), 1);
    drop(pool.get()); // the pool still works
    drop(pool);
    ledger.assert_all_dropped();
}

#[test]
fn panicking_drop_during_pool_drop_leaks_nothing_else() {
    watchdog(
        BOUND,
        "panicking drop during pool drop leaks nothing else",
        || {
            struct Bomb {
                _inner: Item,
                explode: bool,
            }
            impl Drop for Bomb {
                fn drop(&mut self) {
                    if self.explode {
                        panic!("boom");
                    }
                }
            }
            let ledger = Ledger::new();
            let maker = ledger.clone();
            let pool = Pool::with_reset(
                move || Bomb {
                    _inner: maker.make(),
                    explode: false,
                },
                |_| {},
            );
            thread::scope(|s| {
                s.spawn(|| {
                    let held: Vec<_> = (0..12).map(|_| pool.get()).collect();
                    drop(held);
                });
            });
            let mut held: Vec<_> = (0..30).map(|_| pool.get()).collect();
            held[20].explode = true; // one: a second panic while unwinding would abort
            drop(held);
            assert!(catch_unwind(AssertUnwindSafe(|| drop(pool))).is_err());
            assert_eq!(ledger.dropped(), ledger.created(), "a panic leaked values");
        },
    );
}

#[test]
fn retain_and_max_idle_drop_what_they_refuse() {
    let ledger = Ledger::new();
    let maker = ledger.clone();
    let pool = Pool::with_reset(move || maker.make(), |_| {})
        .retain(|t| t.id() % 2 == 0)
        .max_idle(3)
        .with_counters();
    let held: Vec<_> = (0..10).map(|_| pool.get()).collect();
    drop(held); // 5 odd ids rejected; of 5 even: 1 private, 3 chain, 1 evicted
    let stats = pool.stats().unwrap();
    assert_eq!((stats.rejected, stats.puts, stats.evicted), (5, 4, 1));
    assert_eq!(ledger.dropped(), 6);
    drop(pool);
    ledger.assert_all_dropped();
}

#[test]
fn owned_guards_cross_threads() {
    watchdog(BOUND, "owned guards cross threads", || {
        let pool = Arc::new(Pool::new(Vec::<u8>::new).with_counters());
        let mut guard = pool.get_owned();
        guard.push(1);
        let handle = thread::spawn(move || {
            assert_eq!(*guard, [1]);
            drop(guard); // returned to (and reset in) this thread's shard
        });
        handle.join().unwrap();
        assert_eq!(pool.get().len(), 0);
        assert_eq!(
            pool.stats().unwrap().steal_hits,
            0,
            "a private value cannot be stolen"
        );
    });
}

#[test]
#[cfg_attr(
    miri,
    ignore = "the pool lives in a static that is never dropped, and crossbeam-epoch keeps its \
              participant records behind tagged integers, which Miri's leak check cannot follow \
              from the static; every other pool test runs under Miri with the leak check on"
)]
fn guards_in_thread_local_destructors_are_dropped_once() {
    static LEDGER: std::sync::OnceLock<Arc<Ledger>> = std::sync::OnceLock::new();
    static POOL: std::sync::OnceLock<Pool<Item>> = std::sync::OnceLock::new();
    let ledger = LEDGER.get_or_init(Default::default).clone();
    let pool = POOL.get_or_init(|| tracked_pool(&ledger));
    struct Holder(Option<Pooled<'static, Item>>);
    impl Drop for Holder {
        fn drop(&mut self) {
            // Runs during thread teardown, before or after the pool's thread id is given back.
            drop(self.0.take());
            drop(POOL.get().unwrap().get());
        }
    }
    thread_local! {
        static HOLDER: std::cell::RefCell<Holder> = const { std::cell::RefCell::new(Holder(None)) };
    }
    thread::spawn(move || {
        HOLDER.with(|h| h.borrow_mut().0 = Some(pool.get()));
        drop(pool.get());
    })
    .join()
    .unwrap();
    let stats = pool.stats().unwrap();
    assert_eq!(stats.gets(), stats.puts + stats.evicted);
    assert_eq!(ledger.created() - ledger.dropped(), stats.puts);
}
