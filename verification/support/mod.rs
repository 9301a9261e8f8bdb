//! Helpers shared by every test binary (`native`, `loom`, `shuttle`), each included once through
//! one `#[path]` at the top of the binary's `main.rs`. A `#[path]` rather than a support crate:
//! the helpers name `poolqueue`'s types, and a separate crate depending on `poolqueue` would be
//! compiled against a second copy of it whenever the test binary's feature set differs.
//!
//! | module | what |
//! | --- | --- |
//! | [`values`] | [`values::Item`]: a value with an identity in a `Box` that records its drop in a [`values::Drops`] ledger |
//! | [`drop_log`] | index-keyed drop counting for the single-threaded edge and model tests |
//! | [`ledger`] | the pool's tracked value: one user at a time, dropped exactly once |
//! | [`alloc`] | the counting global allocator (native binary only: it installs it) |
//! | [`knobs`] | environment knobs, read one way: a bad value fails the test loudly |
#![allow(dead_code)] // each binary uses a different part

pub(crate) mod drop_log;
pub(crate) mod knobs;
pub(crate) mod ledger;
pub(crate) mod values;

#[cfg(not(any(feature = "loom", feature = "shuttle")))]
pub(crate) mod alloc;
