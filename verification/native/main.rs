//! The native test binary: real threads, std atomics and the real crossbeam-epoch path, built by
//! `cargo test` (the README's test command). One module per subject; the helpers every binary
//! shares are in `verification/support/`.
//!
//! | module | what it checks |
//! | --- | --- |
//! | [`epoch_reentry`] | functions deferred on crossbeam's default collector re-enter the pool; the pool never runs them (sized for Miri) |
//! | [`edges`] | every public method at its edges: empty, full, capacity errors, drop order, panicking drops |
//! | [`batch_model`] | proptest: the batch operations of both structures against two `VecDeque`s |
//! | [`model`] | proptest: each structure against its sequential model |
//! | [`stress`] | Go's `testPoolDequeue` stress: exactly-once delivery with nine stealers |
//! | [`lincheck_threads`] | linearizability of short real-thread bursts (P3) |
//! | [`event_stress`] | `EventCount` sleeps and wake-ups on real threads |
//! | [`event_edges`] | `EventCount` edges the seeded-bug audit found unpinned: deregistration, re-checks, close, deadlines, `notify_all`, the store-buffering pair of waiter and notifier |
//! | [`pool_accounting`] | the bounded pool's accounting per exit path (`max_idle`, `max_idle_bytes`): each path that forgets its decrement fails one test; the local gets; a budget under threads |
//! | [`pool_api`] | `Pool`'s runtime behaviour, exactly-once drops, zero allocations per operation |
//! | [`pool_model`] | proptest: the pool's value lifecycle against a model of its generations |
//! | [`pool_lifecycle`] | proptest: the pool's lifecycle across threads (exits, releases, `max_idle`, `retain`, panicking resets and unwinding guards, the stats identity) against a model of generations |
//! | [`pool_aging`] | `Pool` behaviours the seeded-bug audit found unpinned: aging of a live idle thread, `max_idle` after `release` |
//! | [`support_checks`] | the shared helpers: knobs fail loudly, the ledger reports leaks and duplicates |
//! | [`memory`] | reclamation, memory and the pool lifecycle at scale; one test per defect (memory tests run alone in a child process) |
//! | [`worker`] | the worker against its exact sequential model, its edges, exactly-once delivery on real threads |
//!
//! Its types only work outside a model, so the whole binary is compiled out under the `loom` and
//! `shuttle` features (whose binaries are `verification/loom/` and `verification/shuttle/`).
#![cfg(not(any(feature = "loom", feature = "shuttle")))]
// The test binaries build on the stable toolchain only (their dev-dependencies need it); the
// MSRV lane checks the library.
#![allow(clippy::incompatible_msrv)]

#[path = "../support/mod.rs"]
mod support;

mod batch_model;
mod edges;
mod epoch_reentry;
mod event_edges;
mod event_stress;
mod lincheck_threads;
mod memory;
mod model;
mod pool_accounting;
mod pool_aging;
mod pool_api;
mod pool_lifecycle;
mod pool_model;
mod soak;
mod stress;
mod support_checks;
mod worker;
