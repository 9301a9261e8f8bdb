//! Reclamation in normal builds: `crossbeam-epoch`, on a collector of the crate's own.
//!
//! A chain retires a ring once no new reader can reach it; the epoch frees it after every
//! thread that was pinned at the time of the retirement has unpinned.
//!
//! Why not crossbeam's default collector: an outermost pin of that collector now and then runs
//! *every* crate's deferred functions, and those are user code (a value whose `Drop` goes back
//! to a pool, an entry of another crate's map). The pool pins while it holds a shard's
//! owner-only state or its victim lock, so such a function could re-enter it (two live `&mut`
//! to one shard, or a deadlock). The crate's own collector runs only the crate's own deferred
//! functions, which free *empty* rings: no user code, ever (proofs-notes/reclamation.md).
//!
//! Retired rings are freed promptly: every retirement seals this thread's bag into the
//! collector's queue and collects (`flush`), so a ring never waits in a thread-local bag for 63
//! more, and it is freed by the first collection after the epoch has advanced twice (the next
//! retirement anywhere, or one of crossbeam's periodic collections in a later pin).
//!
//! Miri runs this same code: the collector is process-wide, as crossbeam's default one is.

use core::marker::PhantomData;

use crossbeam_epoch::{Collector as EpochCollector, LocalHandle};
use std::sync::OnceLock;

/// The crate's process-wide epoch collector.
fn collector() -> &'static EpochCollector {
    static COLLECTOR: OnceLock<EpochCollector> = OnceLock::new();
    COLLECTOR.get_or_init(EpochCollector::new)
}

std::thread_local! {
    /// This thread's participant in the crate's collector, registered on first use.
    static HANDLE: LocalHandle = collector().register();
}

/// Per-structure handle to the reclamation scheme: zero-sized; every structure shares the
/// crate's collector (a per-structure collector would cost a registration per pin).
#[derive(Debug, Default)]
pub(crate) struct Collector;

/// While a `Guard` lives, nothing retired after it was created is freed. (The lifetime matches
/// the model collectors' guards, which borrow their structure's collector.)
pub(crate) struct Guard<'a> {
    guard: crossbeam_epoch::Guard,
    _collector: PhantomData<&'a Collector>,
}

impl Collector {
    pub(crate) fn new() -> Self {
        Collector
    }

    /// Pins the current thread. The pin is a `SeqCst` fence inside crossbeam; it pairs with the
    /// fence in the epoch advance, so a retirement either sees this pin or this thread's later
    /// loads see the unlinking store.
    #[inline]
    pub(crate) fn pin(&self) -> Guard<'_> {
        // While the thread's locals are torn down (a pool used from another thread-local's
        // destructor), a temporary participant serves the one pin.
        let guard = HANDLE
            .try_with(LocalHandle::pin)
            .unwrap_or_else(|_| collector().register().pin());
        Guard {
            guard,
            _collector: PhantomData,
        }
    }

    /// Called right after a retirement, unpinned: two rounds of advancing the epoch and
    /// collecting, so that the ring retired just now is freed at once unless another thread
    /// stays pinned since before it (a pinned thread holds the epoch back).
    #[cold]
    pub(crate) fn collect(&self) {
        for _ in 0..2 {
            self.pin().guard.flush();
        }
    }
}

impl Guard<'_> {
    /// Frees `ptr` (a `Box`) once every guard alive now has been dropped, and collects.
    ///
    /// # Safety
    /// `ptr` came from `Box::into_raw`, is retired exactly once, and is already unreachable for
    /// any thread that pins after this call. Dropping the box runs no user code (the chain
    /// retires only empty rings).
    pub(crate) unsafe fn retire<T>(&self, ptr: *mut T) {
        struct SendPtr<T>(*mut T);
        // SAFETY: the pointer is only dereferenced by the deferred drop, which runs once, after
        // every reader is gone; the box holds no `T` values, only atomics and uninitialized
        // slots, so moving it across threads is sound.
        unsafe impl<T> Send for SendPtr<T> {}
        let boxed = SendPtr(ptr);
        // SAFETY: the caller guarantees `ptr` is an unreachable, once-retired `Box`; the epoch
        // runs the closure only after all guards that could still hold `ptr` are dropped.
        unsafe {
            self.guard.defer_unchecked(move || {
                let boxed = boxed;
                drop(Box::from_raw(boxed.0));
            })
        }
        // Seal the bag and collect now: only the crate's own deferred frees can run here.
        self.guard.flush();
    }
}

/// One collection round on the crate's collector: seals this thread's bag and frees what every
/// thread has moved past. Tests that count rings call it (`collect_retired`).
#[allow(dead_code)]
pub(crate) fn collect_round() {
    Collector.pin().guard.flush();
}
