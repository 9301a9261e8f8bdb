//! The one place the crate's atomics, cells, `Arc` and reclamation epoch come from.
//!
//! | build | atomics, `Arc` | `UnsafeCell` | reclamation |
//! | --- | --- | --- | --- |
//! | default | `std` | `std`, behind loom's closure API | `crossbeam-epoch` |
//! | `--features loom` | `loom` (weak memory, exhaustive) | `loom` (race detector) | [`reclaim_loom`] (adversarial) |
//! | `--features shuttle` | `shuttle` (sequentially consistent, random/PCT) | `std` | [`reclaim_model`] |
//!
//! The algorithm in `ring`, `dequeue` and `chain` is written once against these names. The
//! [`futex`] word behind `EventCount` follows the same split: `atomic-wait` (plus a timed
//! `SYS_futex` on Linux) in normal builds, the model's `Mutex` + `Condvar` under the features.
//! `Mutex`, `thread_local!` (and, under the model features, `lazy_static!` for statics that
//! must start fresh in every execution) come from the same place, for the pool's thread ids.

#[cfg(not(any(feature = "loom", feature = "shuttle")))]
mod imp {
    // `core` and `alloc` only, so the ring and the dequeue build `no_std`. Which of these a build
    // uses depends on its features (the dequeue alone needs `AtomicBool`, `AtomicU64`, `Arc`).
    pub(crate) use alloc::sync::Arc;
    #[cfg(target_has_atomic = "64")]
    pub(crate) use core::sync::atomic::AtomicU64;
    #[allow(unused_imports)]
    pub(crate) use core::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, Ordering};

    pub(crate) use super::cell::UnsafeCell;

    // What needs the standard library: the pool's lock and thread-locals, the chain's epoch.
    #[cfg(feature = "std")]
    pub(crate) use super::std_only::*;

    pub(crate) fn model<F: Fn() + Send + Sync + 'static>(f: F) {
        f()
    }
}

/// The `std` half of the normal build: the pool's lock and thread-locals, the chain's epoch.
#[cfg(all(feature = "std", not(any(feature = "loom", feature = "shuttle"))))]
mod std_only {
    #[allow(unused_imports)]
    pub(crate) use std::sync::Mutex;
    #[allow(unused_imports)]
    pub(crate) use std::thread_local;

    #[allow(unused_imports)]
    pub(crate) use super::reclaim_epoch::collect_round;
    pub(crate) use super::reclaim_epoch::{Collector, Guard};

    /// Outside loom a ring allocation is not tracked by the shim: an empty marker.
    #[derive(Debug)]
    pub(crate) struct LeakTrack;

    impl LeakTrack {
        pub(crate) fn new(_slots: usize) -> Self {
            LeakTrack
        }
    }
}

#[cfg(feature = "loom")]
mod imp {
    // Which names a build uses depends on its features (`pool`, `event`).
    #![allow(unused_imports)]
    pub(crate) use loom::cell::UnsafeCell;
    pub(crate) use loom::lazy_static;
    pub(crate) use loom::sync::atomic::{
        fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering,
    };
    pub(crate) use loom::sync::{Arc, Mutex};
    #[cfg(not(crossbeam_loom))]
    pub(crate) use loom::thread_local;

    #[cfg(crossbeam_loom)]
    pub(crate) use super::ordered_local::thread_local;

    // The default loom lane: the adversarial reclaimer. The loom-epoch lane (`--cfg
    // crossbeam_loom`): the crate's real crossbeam-epoch collector on crossbeam's loom build;
    // the liveness cells stay, written by the quarantined free (`reclaim_epoch`).
    #[cfg(crossbeam_loom)]
    pub(crate) use super::reclaim_epoch::{collect_round, freed_rings, Collector, Guard};
    #[cfg(not(crossbeam_loom))]
    pub(crate) use super::reclaim_loom::{Collector, Guard};
    pub(crate) use super::reclaim_loom::{Liveness, Reclaim};

    /// A loom-tracked allocation: a node that is never dropped fails the model with
    /// "Allocation leaked".
    #[derive(Debug)]
    pub(crate) struct LeakTrack(#[allow(dead_code)] loom::alloc::Track<()>);

    impl LeakTrack {
        pub(crate) fn new(_slots: usize) -> Self {
            LeakTrack(loom::alloc::Track::new(()))
        }
    }

    pub(crate) fn model<F: Fn() + Send + Sync + 'static>(f: F) {
        loom::model(f)
    }
}

#[cfg(feature = "shuttle")]
mod imp {
    // Which names a build uses depends on its features (`pool`, `event`).
    #![allow(unused_imports)]
    pub(crate) use shuttle::sync::atomic::{
        fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering,
    };
    pub(crate) use shuttle::sync::{Arc, Mutex};
    pub(crate) use shuttle::{lazy_static, thread_local};

    pub(crate) use super::cell::UnsafeCell;
    pub(crate) use super::reclaim_model::{Collector, Guard};

    /// Shuttle has no leak tracker; drop-counting tests cover leaks there.
    #[derive(Debug)]
    pub(crate) struct LeakTrack;

    impl LeakTrack {
        pub(crate) fn new(_slots: usize) -> Self {
            LeakTrack
        }
    }

    pub(crate) fn model<F: Fn() + Send + Sync + 'static>(f: F) {
        shuttle::check_random(f, 100)
    }
}

#[cfg(not(feature = "loom"))]
mod cell;
#[cfg(feature = "event")]
pub(crate) mod futex;
#[cfg(all(feature = "loom", crossbeam_loom))]
pub(crate) mod ordered_local;
#[cfg(any(
    all(feature = "std", not(any(feature = "loom", feature = "shuttle"))),
    all(feature = "loom", crossbeam_loom)
))]
mod reclaim_epoch;
#[cfg(feature = "loom")]
#[cfg_attr(crossbeam_loom, allow(dead_code))]
mod reclaim_loom;
#[cfg(feature = "shuttle")]
mod reclaim_model;

/// Outside loom a node's liveness is not tracked: the flag is zero-sized and the check is empty.
/// Under loom ([`reclaim_loom::Liveness`]) it is a race-checked cell that the reclaimer writes
/// when it frees the node.
#[cfg(all(feature = "std", not(feature = "loom")))]
#[derive(Debug, Default)]
pub(crate) struct Liveness;

#[cfg(all(feature = "std", not(feature = "loom")))]
impl Liveness {
    #[inline(always)]
    pub(crate) fn check(&self) {}
}

/// A node that can be retired exposes its liveness flag (read by the loom reclaimer only).
#[cfg(all(feature = "std", not(feature = "loom")))]
pub(crate) trait Reclaim {
    #[allow(dead_code)]
    fn liveness(&self) -> &Liveness;
}

pub(crate) use imp::*;

/// An `Arc` whose last handle moves the value out before dropping it. If a value's `Drop`
/// panics while the structure is dropped, the `Arc`'s own allocation is already freed: std's
/// `Arc` would skip freeing it when the inner drop unwinds.
pub(crate) struct ArcHandle<T>(core::mem::ManuallyDrop<Arc<T>>);

impl<T> ArcHandle<T> {
    pub(crate) fn new(value: T) -> Self {
        ArcHandle(core::mem::ManuallyDrop::new(Arc::new(value)))
    }
}

impl<T> Clone for ArcHandle<T> {
    fn clone(&self) -> Self {
        ArcHandle(core::mem::ManuallyDrop::new(Arc::clone(&self.0)))
    }
}

impl<T> core::ops::Deref for ArcHandle<T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Drop for ArcHandle<T> {
    fn drop(&mut self) {
        // SAFETY: the field is taken once, here, and never used again.
        let arc = unsafe { core::mem::ManuallyDrop::take(&mut self.0) };
        // `into_inner` is race-free: exactly one of several concurrent last drops gets `Some`.
        #[cfg(not(feature = "loom"))]
        drop(Arc::into_inner(arc));
        // loom's `Arc` has no `into_inner`; its models never panic in drops.
        #[cfg(feature = "loom")]
        drop(arc);
    }
}
