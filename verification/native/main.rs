//! The native test binary: real threads, std atomics and the real crossbeam-epoch path, built by
//! `cargo test` (the README's test command). One module per subject; the helpers every binary
//! shares are in `verification/support/`.
//!
//! | module | what it checks |
//! | --- | --- |
//! | [`edges`] | every public method at its edges: empty, full, capacity errors, drop order, panicking drops |
//! | [`model`] | proptest: each structure against its sequential model |
//! | [`stress`] | Go's `testPoolDequeue` stress: exactly-once delivery with nine stealers |
//! | [`lincheck_threads`] | linearizability of short real-thread bursts (P3) |
//! | [`event_stress`] | `EventCount` sleeps and wake-ups on real threads |
//! | [`event_audit`] | `EventCount` edges the seeded-bug audit found unpinned: deregistration, re-checks, close, deadlines |
//! | [`pool_api`] | `Pool`'s runtime behaviour, exactly-once drops, zero allocations per operation |
//! | [`pool_model`] | proptest: the pool's value lifecycle against a model of its generations |
//! | [`pool_audit`] | `Pool` behaviours the seeded-bug audit found unpinned: aging of a live idle thread, `max_idle` after `release` |
//! | [`support_checks`] | the shared helpers: knobs fail loudly, the ledger reports leaks and duplicates |
//! | [`trust`] | reclamation, memory and the pool lifecycle at scale; one test per defect (memory tests run alone in a child process) |
//!
//! Its types only work outside a model, so the whole binary is compiled out under the `loom` and
//! `shuttle` features (whose binaries are `verification/loom/` and `verification/shuttle/`).
#![cfg(not(any(feature = "loom", feature = "shuttle")))]

#[path = "../support/mod.rs"]
mod support;

mod edges;
mod event_audit;
mod event_stress;
mod lincheck_threads;
mod model;
mod pool_api;
mod pool_audit;
mod pool_model;
mod stress;
mod support_checks;
mod trust;
