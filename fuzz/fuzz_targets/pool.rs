//! `Pool`: the main thread and up to three workers get, return, put, detach, release and use
//! values; the input chooses each thread's program and the interleaving.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| poolqueue_fuzz_harness::pool::run(data));
