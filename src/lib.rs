//! Go's `sync.Pool` internals as standalone lock-free primitives, checked by machine.
//!
//! | module | Go original | what it is |
//! | --- | --- | --- |
//! | [`dequeue`] | `poolDequeue` | a bounded ring: one owner pushes and pops at the head, any number of stealers pop at the tail |
//! | [`chain`] | `poolChain` | an unbounded list of doubling rings; drained rings are reclaimed through an epoch |
//! | [`worker`] | the pool's private slot, generalised | a chain whose owner keeps its newest values private until a stealer asks, so its pushes and pops need no locked instruction |
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
//!
//! Coming from `crossbeam-deque`, `st3` or Go's `sync` package: [`guide`] maps their calls to
//! this crate's and lists what behaves differently.
//!
//! # Cargo features
//!
//! | feature | default | what it adds | dependencies it pulls in |
//! | --- | --- | --- | --- |
//! | `std` | yes | the standard library; [`chain`] and [`worker`] (their epoch reclamation keeps a per-thread handle) | `crossbeam-epoch` |
//! | `pool` | yes | [`pool`] and [`Pool`] (implies `std`) | — |
//! | `event` | yes | [`event`] and [`EventCount`] (implies `std`) | `atomic-wait`, and `libc` on Linux |
//!
//! With `default-features = false` the crate is `#![no_std]` and needs only `alloc`: [`dequeue`]
//! is built on every target with 64-bit atomics (`cfg(target_has_atomic = "64")`). A crate that
//! needs the ring and the chain but no pool or eventcount depends on
//! `poolqueue = { version = "0.1", default-features = false, features = ["std"] }` and pulls in
//! neither `atomic-wait` nor `libc`.
//!
//! The minimum supported Rust version is 1.70 (the library; the test suites and benchmarks may
//! need a newer toolchain). Raising it is a minor-version change.
//!
//! ## `loom` and `shuttle`: test-only
//!
//! The `loom` and `shuttle` features exist for this crate's own verification suites. They are
//! outside the semver promise, are not built on docs.rs, and cannot be combined. **Never enable
//! one from a dependent crate's `[dependencies]`:** Cargo unifies features, so that one line
//! would switch *every* user of `poolqueue` in the build to the model's atomics, and those panic
//! when used outside `loom::model` or a shuttle check.
// Unit tests link `std` (the test harness needs it); the no_std lane builds the real thing.
#![cfg_attr(not(any(feature = "std", test)), no_std)]
#![deny(missing_docs, unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]
// Reads `rust-version` from Cargo.toml: an API newer than the MSRV is an error in the library.
#![deny(clippy::incompatible_msrv)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(all(feature = "loom", feature = "shuttle"))]
compile_error!("the `loom` and `shuttle` features swap the same `sync` module: enable at most one");

extern crate alloc;

mod error;
#[cfg(target_has_atomic = "64")]
mod ring;
mod sync;

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub mod chain;
#[cfg(target_has_atomic = "64")]
pub mod dequeue;
#[cfg(feature = "event")]
#[cfg_attr(docsrs, doc(cfg(feature = "event")))]
pub mod event;
#[cfg(feature = "std")]
pub mod guide;
#[cfg(feature = "pool")]
#[cfg_attr(docsrs, doc(cfg(feature = "pool")))]
pub mod pool;
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub mod worker;

#[cfg(all(feature = "__test-hooks", feature = "std"))]
mod test_hooks;
// The unit tests' bound on a test that could hang (normal builds: it spawns std threads).
#[cfg(all(test, feature = "std", not(any(feature = "loom", feature = "shuttle"))))]
#[cfg_attr(not(feature = "event"), allow(dead_code))]
mod watchdog;

/// Test hooks for the crate's own test binaries and fuzz targets (`src/test_hooks.rs`):
/// **unstable, not part of the API**, compiled only with the hidden `__test-hooks` feature (which
/// the test targets turn on through the crate's dev-dependency on itself) and `std`.
#[cfg(all(feature = "__test-hooks", feature = "std"))]
#[doc(hidden)]
pub mod __test_hooks {
    pub use crate::test_hooks::*;
}

pub use error::CapacityError;
#[cfg(feature = "event")]
#[cfg_attr(docsrs, doc(cfg(feature = "event")))]
pub use event::{EventCount, WaitResult, Waiter};
#[cfg(feature = "pool")]
#[cfg_attr(docsrs, doc(cfg(feature = "pool")))]
pub use pool::{OwnedPooled, Pool, PoolStats, Pooled, Reset};

/// Runs a documentation example: directly in a normal build, inside `loom::model` or a shuttle
/// check when those features swap the atomics (the model types only work inside a model).
#[doc(hidden)]
pub fn __doc_model<F: Fn() + Send + Sync + 'static>(f: F) {
    sync::model(f)
}

/// The README's examples, compiled and run as doctests (normal builds only: they spawn std
/// threads, which the model features cannot run outside a model).
#[cfg(all(
    doctest,
    feature = "pool",
    feature = "event",
    not(any(feature = "loom", feature = "shuttle"))
))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
