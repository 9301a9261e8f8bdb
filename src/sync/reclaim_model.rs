//! Reclamation under the `shuttle` feature (lenient: retired nodes are freed when the
//! structure is dropped; the adversarial reclaimer for loom is `reclaim_loom`).
//!
//! crossbeam-epoch keeps its participants in a std thread-local and a process-wide collector, so
//! inside a model (every simulated thread on one OS thread, a fresh state per execution) it
//! would neither separate the threads nor free anything within an execution. Under shuttle
//! each structure owns this collector instead: a retired pointer is parked and freed
//! when the structure itself is dropped, which is never earlier than any epoch would free it.
//! Nothing leaks out of an execution. Shuttle is sequentially consistent and has no race
//! detector, so the grace-period question is left to the loom lane.

use std::sync::Mutex;

struct Retired {
    ptr: *mut (),
    free: unsafe fn(*mut ()),
}

// SAFETY: a retired pointer is only freed by the collector's `Drop`, which has exclusive access.
unsafe impl Send for Retired {}

/// Per-structure collector: parks retired boxes until the structure is dropped.
#[derive(Default)]
pub(crate) struct Collector {
    retired: Mutex<Vec<Retired>>,
}

/// A pin on the model collector.
pub(crate) struct Guard<'a> {
    collector: &'a Collector,
}

impl Collector {
    /// Nothing to collect early: parked nodes are freed when the collector drops.
    pub(crate) fn collect(&self) {}

    pub(crate) fn new() -> Self {
        Collector::default()
    }

    pub(crate) fn pin(&self) -> Guard<'_> {
        Guard { collector: self }
    }
}

impl Guard<'_> {
    /// Parks `ptr` (a `Box`) until the collector is dropped.
    ///
    /// # Safety
    /// As for the epoch collector: `ptr` came from `Box::into_raw` and is retired exactly once.
    pub(crate) unsafe fn retire<T>(&self, ptr: *mut T) {
        unsafe fn free<T>(ptr: *mut ()) {
            // SAFETY: `ptr` was a `Box<T>` handed to `retire` exactly once.
            drop(unsafe { Box::from_raw(ptr.cast::<T>()) });
        }
        self.collector
            .retired
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Retired {
                ptr: ptr.cast(),
                free: free::<T>,
            });
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let retired = self.retired.get_mut().unwrap_or_else(|e| e.into_inner());
        for r in retired.drain(..) {
            // SAFETY: `&mut self`: no guard of this collector is alive, so no reader remains.
            unsafe { (r.free)(r.ptr) }
        }
    }
}
