//! The one place the crate's atomics, cells, `Arc` and reclamation epoch come from.
//!
//! | build | atomics, `Arc` | `UnsafeCell` | reclamation |
//! | --- | --- | --- | --- |
//! | default | `std` | `std`, behind loom's closure API | `crossbeam-epoch` |
//! | `--features loom` | `loom` (weak memory, exhaustive) | `loom` (race detector) | [`reclaim_model`] |
//! | `--features shuttle` | `shuttle` (sequentially consistent, random/PCT) | `std` | [`reclaim_model`] |
//!
//! `Mutex`, `thread_local!` (and, under the model features, `lazy_static!` for statics that
//! must start fresh in every execution) come from the same place, for the pool's thread ids.
//!
//! The algorithm in `ring`, `dequeue` and `chain` is written once against these names.

#[cfg(not(any(feature = "loom", feature = "shuttle")))]
mod imp {
    pub(crate) use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};
    pub(crate) use std::sync::{Arc, Mutex};
    pub(crate) use std::thread_local;

    pub(crate) use super::cell::UnsafeCell;
    pub(crate) use super::reclaim_epoch::Collector;

    /// Outside loom: counts the live tracked allocations (chain rings), so tests can check that
    /// every retired ring is eventually freed (`__verify::live_rings`). One relaxed
    /// read-modify-write per ring allocated or freed; nothing on the per-operation paths.
    #[derive(Debug)]
    pub(crate) struct LeakTrack {
        _counted: (),
    }

    /// Tracked allocations alive in the process. Relaxed: a statistic read by tests after the
    /// threads that changed it were joined (the join orders the updates before the read).
    pub(crate) static LIVE_TRACKED: std::sync::atomic::AtomicUsize =
        std::sync::atomic::AtomicUsize::new(0);

    impl Default for LeakTrack {
        fn default() -> Self {
            LIVE_TRACKED.fetch_add(1, Ordering::Relaxed);
            LeakTrack { _counted: () }
        }
    }

    impl Drop for LeakTrack {
        fn drop(&mut self) {
            LIVE_TRACKED.fetch_sub(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn model<F: Fn() + Send + Sync + 'static>(f: F) {
        f()
    }
}

#[cfg(feature = "loom")]
mod imp {
    pub(crate) use loom::cell::UnsafeCell;
    pub(crate) use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};
    pub(crate) use loom::sync::{Arc, Mutex};
    pub(crate) use loom::{lazy_static, thread_local};

    pub(crate) use super::reclaim_model::Collector;

    /// A loom-tracked allocation: a node that is never dropped fails the model with
    /// "Allocation leaked".
    #[derive(Debug)]
    pub(crate) struct LeakTrack(#[allow(dead_code)] loom::alloc::Track<()>);

    impl Default for LeakTrack {
        fn default() -> Self {
            LeakTrack(loom::alloc::Track::new(()))
        }
    }

    pub(crate) fn model<F: Fn() + Send + Sync + 'static>(f: F) {
        loom::model(f)
    }
}

#[cfg(feature = "shuttle")]
mod imp {
    pub(crate) use shuttle::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};
    pub(crate) use shuttle::sync::{Arc, Mutex};
    pub(crate) use shuttle::{lazy_static, thread_local};

    pub(crate) use super::cell::UnsafeCell;
    pub(crate) use super::reclaim_model::Collector;

    /// Shuttle has no leak tracker; drop-counting tests cover leaks there.
    #[derive(Debug, Default)]
    pub(crate) struct LeakTrack {
        _untracked: (),
    }

    pub(crate) fn model<F: Fn() + Send + Sync + 'static>(f: F) {
        shuttle::check_random(f, 100)
    }
}

#[cfg(not(feature = "loom"))]
mod cell;
#[cfg(not(any(feature = "loom", feature = "shuttle")))]
mod reclaim_epoch;
#[cfg(any(feature = "loom", feature = "shuttle"))]
mod reclaim_model;

pub(crate) use imp::*;
