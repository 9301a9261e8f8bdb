//! The ring (`poolqueue::dequeue`) with the batch operations: the owner's batch pushes and
//! pops, stealers' `steal_batch`, `steal_batch_with_limit` and `steal_batch_and_pop` into rings
//! of their own. Same decoding as `popTail` plus the batch variants (see the harness docs); a
//! separate target so that the committed `popTail` corpus keeps its meaning byte for byte.
#![no_main]
#![allow(non_snake_case)]

use libfuzzer_sys::fuzz_target;
use poolqueue_fuzz_harness::{run, Target};

fuzz_target!(|data: &[u8]| run(Target::DequeueBatch, data));
