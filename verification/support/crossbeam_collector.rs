//! Garbage of another crate: functions deferred on crossbeam's *default* collector, which the
//! next collection on any thread may run, also from inside a thread's call into poolqueue
//! (native binary only).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use poolqueue::__test_hooks::RingScope;

/// Defers `n` functions on crossbeam's default collector that run `f` and then count themselves
/// in `ran`, and seals them into its global queue. Any test's thread may run them: the rings `f`
/// allocates count in a scope of their own, not in that thread's test's.
pub(crate) fn defer_on_crossbeams_collector(
    n: usize,
    ran: &Arc<AtomicU64>,
    f: impl Fn() + Send + Sync + 'static,
) {
    let f = Arc::new(f);
    let guard = crossbeam_epoch::pin();
    for _ in 0..n {
        let (f, ran) = (f.clone(), ran.clone());
        guard.defer(move || {
            let _unscoped = RingScope::new().enter();
            f();
            // SeqCst: read by the test thread after the collector ran the function.
            ran.fetch_add(1, Ordering::SeqCst);
        });
    }
    guard.flush();
}

/// Drives crossbeam's default collector until `ran` counts `n` functions; fails after 30 s
/// (bounded by time, not rounds: another test's thread may stay pinned for a while).
#[track_caller]
pub(crate) fn drain_crossbeams_collector(ran: &AtomicU64, n: u64) {
    // The functions it runs may be other tests' (their rings are not this test's to count).
    let _unscoped = RingScope::new().enter();
    let deadline = Instant::now() + Duration::from_secs(30);
    while ran.load(Ordering::SeqCst) < n {
        assert!(
            Instant::now() < deadline,
            "crossbeam's default collector never ran the deferred functions"
        );
        crossbeam_epoch::pin().flush();
        std::thread::yield_now();
    }
}
