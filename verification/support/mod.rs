//! Helpers shared by every test binary (`native`, `loom`, `shuttle`), each included once through
//! one `#[path]` at the top of the binary's `main.rs`. A `#[path]` rather than a support crate:
//! the helpers name `poolqueue`'s types, and a separate crate depending on `poolqueue` would be
//! one more package for cargo to build per feature set, for a few hundred lines.
//!
//! | module | what |
//! | --- | --- |
//! | [`values`] | the drop-counting value [`values::Item`] and its [`values::Ledger`]; the exactly-once check |
//! | [`alloc`] | the counting global allocator (native binary only: it installs it) |
//! | [`knobs`] | environment knobs, read one way: a bad value fails the test loudly |
//! | [`alone`] | runs one test alone in a child process (native binary only): [`alone!`] |
//! | [`watchdog`] | fails a test that could hang, with a message (native binary only) |
//! | [`crossbeam_collector`] | functions deferred on crossbeam's default collector, and draining it (native binary only) |
#![allow(dead_code)] // each binary uses a different part

pub(crate) mod knobs;
pub(crate) mod values;

#[cfg(not(any(feature = "loom", feature = "shuttle")))]
pub(crate) mod alloc;
#[cfg(not(any(feature = "loom", feature = "shuttle")))]
pub(crate) mod alone;
#[cfg(not(any(feature = "loom", feature = "shuttle")))]
pub(crate) mod crossbeam_collector;
#[cfg(not(any(feature = "loom", feature = "shuttle")))]
pub(crate) mod watchdog;

/// An index start close to the 2^32 wrap, as Go's test hooks use (`2^32 - 500`).
pub(crate) const NEAR_WRAP: u32 = u32::MAX - 499;
