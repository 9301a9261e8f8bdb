//! The chain with the batch operations (see `popTailBatch`): batch pushes that grow the chain,
//! batch pops across rings, and batch steals that stop at a ring boundary and retire drained
//! rings.
#![no_main]
#![allow(non_snake_case)]

use libfuzzer_sys::fuzz_target;
use poolqueue_fuzz_harness::{run, Target};

fuzz_target!(|data: &[u8]| run(Target::ChainBatch, data));
