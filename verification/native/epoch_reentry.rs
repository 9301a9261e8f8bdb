//! Functions deferred on crossbeam's *default* collector (another crate's garbage: a value whose
//! `Drop` goes back to a pool) re-enter the pool, while the pool pins, retires rings and
//! releases on the crate's own collector. Sized for Miri, which runs this module in its
//! process-wide-collector lane (`cargo xtask verify --lanes miri-epoch`): there a deferred
//! function run inside a shard's owner-only state would be a second live `&mut` to it, which
//! Tree Borrows reports; natively the counts below catch it.
//!
//! Miri's leak check cannot follow crossbeam's tagged pointers, so it reports the collectors'
//! own queue nodes and participant entries at exit; that lane runs these tests alone with
//! `-Zmiri-ignore-leaks` (proofs-notes/reclamation.md). The rings are accounted here instead:
//! every ring the test's threads allocated is freed once the pool is dropped and the crate's
//! collector has run (a ring scope of the test hooks), and the values are counted.

use crate::support::watchdog::{watchdog, BOUND};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use poolqueue::__test_hooks::RingScope;
use poolqueue::Pool;

use crate::support::crossbeam_collector::{
    defer_on_crossbeams_collector, drain_crossbeams_collector,
};

/// Values per burst: enough for a shard's chain to outgrow its first ring (8 slots).
const BURST: usize = if cfg!(miri) { 20 } else { 200 };
/// Bursts per test.
const ROUNDS: usize = if cfg!(miri) { 3 } else { 50 };

std::thread_local! {
    /// Set while this thread is inside one of the test's pool calls.
    static IN_POOL: Cell<bool> = const { Cell::new(false) };
}

/// Deferred functions that ran inside a pool call (on any thread, in any test).
static INSIDE: AtomicU64 = AtomicU64::new(0);

/// Runs `f` (pool calls) with this thread marked as inside the pool.
fn in_pool<R>(f: impl FnOnce() -> R) -> R {
    IN_POOL.with(|p| p.set(true));
    let r = f();
    IN_POOL.with(|p| p.set(false));
    r
}

/// Defers `n` functions on crossbeam's default collector that run `f`, each noting first
/// whether it runs inside one of the test's pool calls.
fn defer_on_the_default_collector(
    n: usize,
    ran: &Arc<AtomicU64>,
    f: impl Fn() + Send + Sync + 'static,
) {
    defer_on_crossbeams_collector(n, ran, move || {
        if IN_POOL.with(Cell::get) {
            // SeqCst: read by the tests after their pool calls.
            INSIDE.fetch_add(1, Ordering::SeqCst);
        }
        f();
    });
}

/// Bursts that grow a shard's chain past its first ring and drain it (owner-side unlinks and
/// retirements, each with a flush), and releases that trim the chains; every call is marked as
/// inside the pool.
fn churn(pool: &Pool<Vec<u8>>) {
    for _ in 0..ROUNDS {
        in_pool(|| {
            let held: Vec<_> = (0..BURST).map(|_| pool.get()).collect();
            drop(held);
            let again: Vec<_> = (0..BURST).map(|_| pool.get()).collect();
            drop(again);
            pool.release();
            pool.release();
            drop(pool.try_get());
        });
    }
}

#[track_caller]
fn assert_none_ran_inside() {
    assert_eq!(
        INSIDE.load(Ordering::SeqCst),
        0,
        "the pool's pins or retirements ran another crate's deferred functions inside a pool call"
    );
}

/// Fails unless every ring the scope's threads allocated has been freed.
#[track_caller]
fn assert_rings_freed(scope: &RingScope) {
    // Bounded by time: another test's thread may hold the crate's epoch back for a while.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while scope.collect(0) != 0 && std::time::Instant::now() < deadline {
        std::thread::yield_now();
    }
    assert_eq!(
        scope.live(),
        0,
        "rings of a dropped pool are still allocated once the collector has run"
    );
}

#[test]
fn deferred_functions_that_reenter_the_pool_never_run_inside_it() {
    let scope = RingScope::new();
    let _entered = scope.enter();
    let pool = Arc::new(Pool::new(Vec::<u8>::new));
    let ran = Arc::new(AtomicU64::new(0));
    let reentrant = pool.clone();
    defer_on_the_default_collector(16, &ran, move || {
        reentrant.put(Vec::with_capacity(4));
        drop(reentrant.get());
        reentrant.release();
    });
    churn(&pool);
    assert_none_ran_inside();
    // They run when the default collector is driven (here, or by another test's thread),
    // outside the pool, and their pool calls complete.
    drain_crossbeams_collector(&ran, 16);
    churn(&pool);
    assert_none_ran_inside();
    drop(pool);
    assert_rings_freed(&scope);
}

/// The same from two threads: one churns the pool while the other keeps deferring functions
/// that re-enter it and drives the default collector, so they run concurrently with the
/// churn (on the driving thread, never inside a pool call).
#[test]
fn deferred_functions_reenter_the_pool_while_another_thread_uses_it() {
    watchdog(
        BOUND,
        "deferred functions reenter the pool while another thread uses it",
        || {
            let scope = RingScope::new();
            let _entered = scope.enter();
            let pool = Arc::new(Pool::new(Vec::<u8>::new));
            let ran = Arc::new(AtomicU64::new(0));
            let driver = {
                let (pool, ran, scope) = (pool.clone(), ran.clone(), scope.clone());
                std::thread::spawn(move || {
                    let _entered = scope.enter();
                    for round in 0..ROUNDS as u64 {
                        let reentrant = pool.clone();
                        defer_on_the_default_collector(4, &ran, move || {
                            reentrant.put(Vec::with_capacity(2));
                            drop(reentrant.get());
                        });
                        drain_crossbeams_collector(&ran, 4 * (round + 1));
                        std::thread::yield_now();
                    }
                })
            };
            churn(&pool);
            driver.join().unwrap();
            assert!(ran.load(Ordering::SeqCst) >= 4 * ROUNDS as u64);
            assert_none_ran_inside();
            drop(pool);
            assert_rings_freed(&scope);
        },
    );
}
