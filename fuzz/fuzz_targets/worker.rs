//! The worker (`poolqueue::worker`): an owner that keeps 0, 1, 2 or 4 values private, pushes,
//! pops and flushes, and up to three thieves that take single values and batches (which leave
//! requests when they find nothing); the input chooses the operations, `k`, the start index near
//! the 2^32 wrap, and the interleaving. Histories are checked against the worker's
//! specification.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poolqueue_fuzz_harness::{run, Target};

fuzz_target!(|data: &[u8]| run(Target::Worker, data));
