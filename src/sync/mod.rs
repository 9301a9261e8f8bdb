//! The one place the crate's atomics, cells, `Arc` and reclamation epoch come from.
//!
//! | build | atomics, `Arc` | `UnsafeCell` | reclamation |
//! | --- | --- | --- | --- |
//! | default | `std` | `std`, behind loom's closure API | `crossbeam-epoch` |
//! | `--features loom` | `loom` (weak memory, exhaustive) | `loom` (race detector) | [`reclaim_loom`] (adversarial) |
//! | `--features shuttle` | `shuttle` (sequentially consistent, random/PCT) | `std` | [`reclaim_model`] |
//!
//! The algorithm in `ring`, `dequeue` and `chain` is written once against these names.

#[cfg(not(any(feature = "loom", feature = "shuttle")))]
mod imp {
    pub(crate) use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};
    pub(crate) use std::sync::Arc;

    pub(crate) use super::cell::UnsafeCell;
    pub(crate) use super::reclaim_epoch::Collector;

    /// Nothing to track outside loom.
    #[derive(Debug, Default)]
    pub(crate) struct LeakTrack;

    pub(crate) fn model<F: Fn() + Send + Sync + 'static>(f: F) {
        f()
    }
}

#[cfg(feature = "loom")]
mod imp {
    pub(crate) use loom::cell::UnsafeCell;
    pub(crate) use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};
    pub(crate) use loom::sync::Arc;

    pub(crate) use super::reclaim_loom::{Collector, Liveness, Reclaim};

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
    pub(crate) use shuttle::sync::Arc;

    pub(crate) use super::cell::UnsafeCell;
    pub(crate) use super::reclaim_model::Collector;

    /// Shuttle has no leak tracker; drop-counting tests cover leaks there.
    #[derive(Debug, Default)]
    pub(crate) struct LeakTrack;

    pub(crate) fn model<F: Fn() + Send + Sync + 'static>(f: F) {
        shuttle::check_random(f, 100)
    }
}

#[cfg(not(feature = "loom"))]
mod cell;
#[cfg(not(any(feature = "loom", feature = "shuttle")))]
mod reclaim_epoch;
#[cfg(feature = "loom")]
mod reclaim_loom;
#[cfg(feature = "shuttle")]
mod reclaim_model;

/// Outside loom a node's liveness is not tracked: the flag is zero-sized and the check is empty.
/// Under loom ([`reclaim_loom::Liveness`]) it is a race-checked cell that the reclaimer writes
/// when it frees the node.
#[cfg(not(feature = "loom"))]
#[derive(Debug, Default)]
pub(crate) struct Liveness;

#[cfg(not(feature = "loom"))]
impl Liveness {
    #[inline(always)]
    pub(crate) fn check(&self) {}
}

/// A node that can be retired exposes its liveness flag (read by the loom reclaimer only).
#[cfg(not(feature = "loom"))]
pub(crate) trait Reclaim {
    #[allow(dead_code)]
    fn liveness(&self) -> &Liveness;
}

pub(crate) use imp::*;
