//! The dequeue (`poolqueue::dequeue`): an owner and up to three stealers; the input chooses the
//! operations, the capacity, the start index near the 2^32 wrap, and the interleaving.
#![no_main]
// The target is named after the operation it stresses, as cargo-fuzz users will type it.
#![allow(non_snake_case)]

use libfuzzer_sys::fuzz_target;
use poolqueue_fuzz_harness::{run, Target};

fuzz_target!(|data: &[u8]| run(Target::Dequeue, data));
