//! The loom test binary (`cargo test --features loom`): exhaustive interleavings under weak
//! memory, with the adversarial reclaimer of the `sync` shim freeing retired rings at the
//! earliest moment the epoch contract allows. Built only with the `loom` feature
//! (`required-features` in Cargo.toml).
//!
//! | module | what it models |
//! | --- | --- |
//! | [`smoke`] | the `sync` seam really switched to loom |
//! | [`dequeue`] | every pair of operations on a dequeue of 2–4 slots, across the index wrap |
//! | [`chain`] | ring growth and retirement while stealers and the owner may hold a ring; the shrink policy's window end (the ring it drained given back, a ring above a quarter kept) |
//! | [`event`] | `EventCount`: no lost wake-up |
//! | [`pool`] | `Pool`: steals, `release` and thread exits racing gets and returns; a byte budget under racing returns and steals; a local get racing returns and `release` |
//! | [`batch`] | the batch operations: batch steals against pushes, pops, batch pops, each other and single steals, into the thief's ring or the source's own owner; the chain's batch steals racing growth and retirement, a steal into a full destination, a batch push of one-value chunks; a batch push whose iterator pops the same ring (the batch slides down to the head) |
//! | `epoch` | the loom-epoch lane only (`cargo loom-epoch`, `--cfg crossbeam_loom`): ring retirement and a deferred function re-entering the pool, over the crate's real crossbeam-epoch collector |
//! | [`worker`] | the worker's request handshake: the owner against one and two thieves, a request raised while the owner publishes, `flush` and the owner's drop racing steals, a sleeper's request answered and its wake-up |
//! | [`util`] | the loom identity value (`Val`, a loom-tracked allocation) and the model runner |
// The test binaries build on the stable toolchain only (their dev-dependencies need it); the
// MSRV lane checks the library.
#![allow(clippy::incompatible_msrv)]

#[path = "../support/mod.rs"]
mod support;

mod batch;
mod chain;
mod dequeue;
#[cfg(crossbeam_loom)]
mod epoch;
mod event;
mod pool;
mod smoke;
mod util;
mod worker;
