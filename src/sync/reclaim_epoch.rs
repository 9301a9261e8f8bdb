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
//!
//! The loom-epoch lane (`cargo loom-epoch`: the `loom` feature plus `--cfg crossbeam_loom`, with
//! crossbeam-epoch's own `loom` feature) runs this same code too, on crossbeam's loom build:
//! the collector is a `loom::lazy_static` and the participant a `loom::thread_local`, so both
//! start fresh in every execution. One thing differs there, the free itself: the deferred
//! function marks the ring's [`Liveness`](super::Liveness) cell dead (a race-checked write, so
//! an access to the ring not ordered before it fails the model) and parks the memory in a
//! quarantine that is released when the execution ends, so a later access reads "dead" instead
//! of freed memory. *When* the free happens is crossbeam's decision alone.

use core::marker::PhantomData;

use crossbeam_epoch::{Collector as EpochCollector, LocalHandle};

/// The crate's process-wide epoch collector.
#[cfg(not(crossbeam_loom))]
fn collector() -> &'static EpochCollector {
    static COLLECTOR: std::sync::OnceLock<EpochCollector> = std::sync::OnceLock::new();
    COLLECTOR.get_or_init(EpochCollector::new)
}

/// Under loom: the same collector, fresh in every execution.
#[cfg(crossbeam_loom)]
fn collector() -> &'static EpochCollector {
    &loom_lane::epoch().collector
}

#[cfg(crossbeam_loom)]
use super::thread_local;
#[cfg(not(crossbeam_loom))]
use std::thread_local;

thread_local! {
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
    pub(crate) unsafe fn retire<T: super::Reclaim>(&self, ptr: *mut T) {
        struct SendPtr<T>(*mut T);
        // SAFETY: the pointer is only dereferenced by the deferred drop, which runs once, after
        // every reader is gone; the box holds no `T` values, only atomics and uninitialized
        // slots, so moving it across threads is sound.
        unsafe impl<T> Send for SendPtr<T> {}
        let boxed = SendPtr(ptr);
        // SAFETY: the caller guarantees `ptr` is an unreachable, once-retired `Box`; the epoch
        // runs the closure only after all guards that could still hold `ptr` are dropped.
        unsafe {
            #[cfg(not(crossbeam_loom))]
            self.guard.defer_unchecked(move || {
                let boxed = boxed;
                drop(Box::from_raw(boxed.0));
            });
            #[cfg(crossbeam_loom)]
            self.guard.defer_unchecked({
                let quarantine = loom_lane::epoch().quarantine.clone();
                move || {
                    let boxed = boxed;
                    quarantine.free(boxed.0);
                }
            });
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

/// The loom-epoch lane's per-execution state: the collector, and the quarantine where freed
/// rings wait for the end of the execution.
#[cfg(crossbeam_loom)]
mod loom_lane {
    use super::EpochCollector;
    use crate::sync::Reclaim;
    use std::sync::{Arc, Mutex, PoisonError};

    pub(super) struct Epoch {
        pub(super) collector: EpochCollector,
        pub(super) quarantine: Arc<Quarantine>,
    }

    loom::lazy_static! {
        static ref EPOCH: Epoch = Epoch {
            collector: EpochCollector::new(),
            quarantine: Arc::new(Quarantine::default()),
        };
    }

    pub(super) fn epoch() -> &'static Epoch {
        &EPOCH
    }

    /// Rings crossbeam has freed in this execution. A std `Mutex`, never held across a loom
    /// operation (all loom threads run on one OS thread): bookkeeping, invisible to the model.
    /// Its last `Arc` goes with the collector's last deferred function or with the execution's
    /// statics, whichever is later, still inside the execution (the rings hold loom objects).
    #[derive(Default)]
    pub(super) struct Quarantine(Mutex<Vec<Grave>>);

    struct Grave {
        ptr: *mut (),
        free: unsafe fn(*mut ()),
    }

    // SAFETY: a grave's pointer is only used by the quarantine's `Drop`, which has `&mut`.
    unsafe impl Send for Grave {}

    impl Quarantine {
        /// What the real lane's `drop(Box::from_raw(ptr))` is: marks the ring dead (a loom
        /// cell write, race-checked against every earlier liveness check), keeps its memory.
        ///
        /// # Safety
        /// `ptr` is a `Box<T>` retired once, and crossbeam has decided to free it.
        pub(super) unsafe fn free<T: Reclaim>(&self, ptr: *mut T) {
            unsafe fn release<T>(ptr: *mut ()) {
                // SAFETY: `ptr` was a `Box<T>`, quarantined once.
                drop(unsafe { Box::from_raw(ptr.cast::<T>()) });
            }
            // SAFETY: the memory stays allocated until the quarantine drops.
            unsafe { (*ptr).liveness().kill() };
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(Grave {
                    ptr: ptr.cast(),
                    free: release::<T>,
                });
        }

        /// Rings freed by crossbeam so far in this execution (test hook).
        pub(super) fn freed(&self) -> usize {
            self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
        }
    }

    impl Drop for Quarantine {
        fn drop(&mut self) {
            let graves = self.0.get_mut().unwrap_or_else(PoisonError::into_inner);
            for grave in graves.drain(..) {
                // SAFETY: each grave is a distinct box, released once, here.
                unsafe { (grave.free)(grave.ptr) };
            }
        }
    }
}

/// Loom-epoch lane: how many rings crossbeam has freed in this execution.
#[cfg(crossbeam_loom)]
#[allow(dead_code)]
pub(crate) fn freed_rings() -> usize {
    loom_lane::epoch().quarantine.freed()
}
