//! The shuttle test binary (`cargo test --features shuttle`): more threads and longer histories
//! under PCT and random schedules (sequentially consistent: logic and histories, not orderings).
//! Built only with the `shuttle` feature (`required-features` in Cargo.toml).
//!
//! | module | what it runs |
//! | --- | --- |
//! | [`smoke`] | the `sync` seam really switched to shuttle |
//! | [`batch`] | the batch operations of the dequeue against the batch-extended sequential spec |
//! | [`dequeue`] | dequeue campaign: P1–P3, P5 drops, P6 |
//! | [`chain`] | chain campaign with growth and retirement |
//! | [`chain_empty`] | the chain's `pop_tail` returns `None` only when empty at some instant |
//! | [`event`] | `EventCount` with several sleepers and producers |
//! | [`pool`] | `Pool` gets, returns, steals, `release`, thread exits |
//! | [`fuzz_replay`] | every committed `fuzz/corpus/*` input through the fuzz harness |
//! | [`worker`] | worker campaign: request handshake, overflow and flush against the worker specification |
//! | [`harness`] | schedulers, statistics, replay of a printed schedule |
// The test binaries build on the stable toolchain only (their dev-dependencies need it); the
// MSRV lane checks the library.
#![allow(clippy::incompatible_msrv)]

#[path = "../support/mod.rs"]
mod support;

/// The fuzz targets' harness (`fuzz/harness/`, a library of its own), so the corpus replays on
/// stable.
use poolqueue_fuzz_harness as fuzz_harness;

mod batch;
mod chain;
mod chain_empty;
mod dequeue;
mod event;
mod fuzz_replay;
mod harness;
mod pool;
mod programs;
mod smoke;
mod worker;
