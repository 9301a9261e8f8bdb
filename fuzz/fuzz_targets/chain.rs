//! The chain (`poolqueue::chain`): an owner and up to three stealers over doubling rings, with
//! growth and ring retirement a few operations in; the input chooses the operations, the start
//! index near the 2^32 wrap, and the interleaving.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poolqueue_fuzz_harness::{run, Target};

fuzz_target!(|data: &[u8]| run(Target::Chain, data));
