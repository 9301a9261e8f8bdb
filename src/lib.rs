//! Go's `sync.Pool` internals as standalone lock-free primitives, checked by machine.
//!
//! | module | Go original | what it is |
//! | --- | --- | --- |
//! | [`dequeue`] | `poolDequeue` | a bounded ring: one owner pushes and pops at the head, any number of stealers pop at the tail |
//! | [`chain`] | `poolChain` | an unbounded list of doubling rings; drained rings are reclaimed through an epoch |
//! | [`pool`] | `sync.Pool` | [`Pool`]: per-thread shards (a private slot and a chain), stealing, a victim generation |
//! | [`event`] | (the runtime parking goroutines) | [`EventCount`]: idle stealers sleep on a futex, a push wakes them, no lost wake-ups |
//!
//! Both structures keep the head and tail indices as two 32-bit halves of one `AtomicU64`, so a
//! single compare-and-swap decides every race between the owner and the stealers. Values are
//! stored inline; a value pushed is returned exactly once by a pop, or dropped exactly once when
//! the last handle goes away.
//!
//! The private `sync` module is the only place atomics, cells, the futex and the reclamation
//! epoch come from: the `loom` and `shuttle` features swap it for model-checked versions, so the
//! algorithm checked by the verification suites is the one that ships. The arguments behind each
//! claim are in the repository's `proofs-notes/`.
#![deny(missing_docs, unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(all(feature = "loom", feature = "shuttle"))]
compile_error!("the `loom` and `shuttle` features swap the same `sync` module: enable at most one");

mod error;
mod ring;
mod sync;

pub mod chain;
pub mod dequeue;
pub mod event;
pub mod pool;

/// Test hooks for the crate's own test binaries and fuzz targets: **unstable, not part of the
/// API**, compiled only with the hidden `__test-hooks` feature (which the test targets turn on
/// through the crate's dev-dependency on itself).
#[cfg(feature = "__test-hooks")]
#[doc(hidden)]
#[path = "verify/mod.rs"]
pub mod __test_hooks;

pub use error::CapacityError;
pub use event::{EventCount, WaitResult, Waiter};
pub use pool::{OwnedPooled, Pool, PoolStats, Pooled, Reset};

/// Runs a documentation example: directly in a normal build, inside `loom::model` or a shuttle
/// check when those features swap the atomics (the model types only work inside a model).
#[doc(hidden)]
pub fn __doc_model<F: Fn() + Send + Sync + 'static>(f: F) {
    sync::model(f)
}

/// The README's examples, compiled and run as doctests (normal builds only: they spawn std
/// threads, which the model features cannot run outside a model).
#[cfg(all(doctest, not(any(feature = "loom", feature = "shuttle"))))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
