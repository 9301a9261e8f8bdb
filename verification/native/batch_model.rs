//! The batch operations against the sequential model (two `VecDeque`s: a source ring and a
//! destination ring), single-threaded: random mixes of single and batch operations, random
//! capacities and start indices around the 2^32 wrap, drop-counted tokens. Pins down the
//! counts (a batch push stops at the capacity; a batch pop takes `min(max, len)` newest first;
//! a batch steal takes `min(ceil(len / 2), limit, room)` oldest first and appends them to the
//! destination in order; `steal_batch_and_pop` returns the oldest and needs no room for it; a
//! steal into the source's own owner moves the oldest to the head) and that every value is
//! dropped exactly once, by its consumer or by the structure's drop.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use super::model::start_index;
use crate::support::values::{Item, Ledger};
use poolqueue::__test_hooks as hooks;
use poolqueue::dequeue::{Owner, Stealer};
use proptest::prelude::*;

type Token = Item;

/// Drop counts by `usize` id (the models below use `usize` ids).
struct DropLog(Arc<Ledger>);

impl DropLog {
    fn new(_ids: usize) -> Self {
        DropLog(Ledger::new())
    }

    fn token(&self, id: usize) -> Token {
        Item::new(id as u64, &self.0)
    }

    fn drops(&self, id: usize) -> u32 {
        self.0.drops(id as u64)
    }
}

#[derive(Clone, Debug)]
enum Op {
    Push,
    PushBatch(usize),
    PopHead,
    PopHeadBatch(usize),
    PopTail,
    StealBatch(usize),
    StealBatchAndPop,
    StealIntoItself,
    /// The destination's own stealer takes one (so destination slots cycle and wrap too).
    DestPopTail,
    /// The destination's owner pops a batch.
    DestPopHeadBatch(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::Push),
        4 => (0usize..12).prop_map(Op::PushBatch),
        1 => Just(Op::PopHead),
        2 => (0usize..12).prop_map(Op::PopHeadBatch),
        1 => Just(Op::PopTail),
        3 => prop_oneof![Just(usize::MAX), 0usize..6].prop_map(Op::StealBatch),
        2 => Just(Op::StealBatchAndPop),
        1 => Just(Op::StealIntoItself),
        2 => Just(Op::DestPopTail),
        1 => (0usize..12).prop_map(Op::DestPopHeadBatch),
    ]
}

/// The ids of tokens, in order.
fn ids(tokens: &[Token]) -> Vec<usize> {
    tokens.iter().map(|t| t.id() as usize).collect()
}

struct Ring {
    owner: Owner<Token>,
    stealer: Stealer<Token>,
    model: VecDeque<usize>,
    capacity: usize,
}

impl Ring {
    fn new(capacity: usize, start: u32) -> Ring {
        let (owner, stealer) = hooks::dequeue_with_start_index(capacity, start).unwrap();
        Ring {
            owner,
            stealer,
            model: VecDeque::new(),
            capacity,
        }
    }

    fn room(&self) -> usize {
        self.capacity - self.model.len()
    }

    fn check(&self) -> Result<(), TestCaseError> {
        prop_assert_eq!(self.owner.len(), self.model.len());
        prop_assert_eq!(self.stealer.len(), self.model.len());
        Ok(())
    }
}

/// `ceil(n / 2)`.
fn half(n: usize) -> usize {
    n - n / 2
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 6 } else { 512 },
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn batch_ops_match_the_model(
        log2_src in 1u32..=4,
        log2_dst in 1u32..=4,
        src_start in start_index(),
        dst_start in start_index(),
        ops in proptest::collection::vec(op(), 0..if cfg!(miri) { 40 } else { 160 }),
    ) {
        let log_len = ops.len() * 12 + 1;
        let log = DropLog::new(log_len);
        let mut created = 0usize; // next id to hand out
        let mut made: HashSet<usize> = HashSet::new(); // ids of the tokens actually constructed
        let mut consumed: Vec<usize> = Vec::new(); // dropped by the test (popped)
        {
            let mut src = Ring::new(1 << log2_src, src_start);
            let mut dst = Ring::new(1 << log2_dst, dst_start);
            for op in &ops {
                match *op {
                    Op::Push => {
                        let t = log.token(created);
                        made.insert(created);
                        created += 1;
                        // Through a one-value batch, so the test only needs `&Owner`.
                        let n = src.owner.push_head_batch(&mut std::iter::once(t));
                        if src.room() == 0 {
                            prop_assert_eq!(n, 0);
                            consumed.push(created - 1); // dropped with the iterator
                        } else {
                            prop_assert_eq!(n, 1);
                            src.model.push_back(created - 1);
                        }
                    }
                    Op::PushBatch(n) => {
                        let first = created;
                        let mut values = (first..first + n).map(|id| log.token(id));
                        let pushed = src.owner.push_head_batch(&mut values);
                        let expect = n.min(src.room());
                        prop_assert_eq!(pushed, expect);
                        src.model.extend(first..first + pushed);
                        // The value after the last one pushed is still in the iterator.
                        let next = values.next();
                        prop_assert_eq!(next.as_ref().map(|t| t.id() as usize), (pushed < n).then_some(first + pushed));
                        let pulled = pushed + usize::from(next.is_some());
                        consumed.extend(first + pushed..first + pulled);
                        made.extend(first..first + pulled);
                        drop(next);
                        created = first + pulled;
                        // Ids past `pulled` were never made: skip them.
                        created += n - pulled;
                    }
                    Op::PopHead => {
                        let mut out = Vec::new();
                        src.owner.pop_head_batch(1, &mut out);
                        let expect: Vec<usize> = src.model.pop_back().into_iter().collect();
                        prop_assert_eq!(ids(&out), expect);
                        consumed.extend(ids(&out));
                    }
                    Op::PopHeadBatch(max) => {
                        let mut out = Vec::new();
                        let n = src.owner.pop_head_batch(max, &mut out);
                        let k = max.min(src.model.len());
                        prop_assert_eq!(n, k);
                        let expect: Vec<usize> = (0..k).filter_map(|_| src.model.pop_back()).collect();
                        prop_assert_eq!(ids(&out), expect);
                        consumed.extend(ids(&out));
                    }
                    Op::PopTail => {
                        let got = src.stealer.pop_tail();
                        prop_assert_eq!(got.as_ref().map(|t| t.id() as usize), src.model.pop_front());
                        consumed.extend(got.map(|t| t.id() as usize));
                    }
                    Op::StealBatch(limit) => {
                        let n = src.stealer.steal_batch_with_limit(&dst.owner, limit);
                        let k = half(src.model.len()).min(limit).min(dst.room());
                        prop_assert_eq!(n, k);
                        for _ in 0..k {
                            let v = src.model.pop_front().unwrap();
                            dst.model.push_back(v);
                        }
                    }
                    Op::StealBatchAndPop => {
                        let got = src.stealer.steal_batch_and_pop(&dst.owner);
                        let k = half(src.model.len()).min(dst.room() + 1);
                        prop_assert_eq!(got.as_ref().map(|t| t.id() as usize), src.model.pop_front());
                        for _ in 1..k {
                            let v = src.model.pop_front().unwrap();
                            dst.model.push_back(v);
                        }
                        consumed.extend(got.map(|t| t.id() as usize));
                    }
                    Op::StealIntoItself => {
                        let n = src.stealer.steal_batch(&src.owner);
                        let k = half(src.model.len()).min(src.room());
                        prop_assert_eq!(n, k);
                        for _ in 0..k {
                            let v = src.model.pop_front().unwrap();
                            src.model.push_back(v);
                        }
                    }
                    Op::DestPopTail => {
                        let got = dst.stealer.pop_tail();
                        prop_assert_eq!(got.as_ref().map(|t| t.id() as usize), dst.model.pop_front());
                        consumed.extend(got.map(|t| t.id() as usize));
                    }
                    Op::DestPopHeadBatch(max) => {
                        let mut out = Vec::new();
                        dst.owner.pop_head_batch(max, &mut out);
                        let k = max.min(dst.model.len());
                        let expect: Vec<usize> = (0..k).filter_map(|_| dst.model.pop_back()).collect();
                        prop_assert_eq!(ids(&out), expect);
                        consumed.extend(ids(&out));
                    }
                }
                src.check()?;
                dst.check()?;
            }
            // Popped values were dropped once; values still held were not dropped yet.
            for &id in &consumed {
                prop_assert_eq!(log.drops(id), 1, "consumed token {}", id);
            }
            for &id in src.model.iter().chain(dst.model.iter()) {
                prop_assert_eq!(log.drops(id), 0, "held token {}", id);
            }
            // Leaving the scope tears both rings down; each drops what it holds.
        }
        // Every token made was dropped exactly once (by its consumer or by the teardown of
        // the ring that held it); ids never made were never dropped.
        for id in 0..log_len {
            let expect = u32::from(made.contains(&id));
            prop_assert_eq!(log.drops(id), expect, "token {}", id);
        }
    }
}

#[derive(Clone, Debug)]
enum ChainOp {
    PushBatch(usize),
    PopHeadBatch(usize),
    PopTail,
    StealBatch(usize),
    StealBatchAndPop,
    StealIntoItself,
    DestPopTail,
    DestPopHeadBatch(usize),
}

fn chain_op() -> impl Strategy<Value = ChainOp> {
    prop_oneof![
        4 => prop_oneof![3 => 0usize..40, 1 => 60usize..150].prop_map(ChainOp::PushBatch),
        2 => prop_oneof![0usize..12, 60usize..140].prop_map(ChainOp::PopHeadBatch),
        1 => Just(ChainOp::PopTail),
        3 => prop_oneof![Just(usize::MAX), 0usize..6].prop_map(ChainOp::StealBatch),
        2 => Just(ChainOp::StealBatchAndPop),
        1 => Just(ChainOp::StealIntoItself),
        1 => Just(ChainOp::DestPopTail),
        1 => (0usize..30).prop_map(ChainOp::DestPopHeadBatch),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 128 },
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// The chain: a batch push takes everything; a batch pop takes `min(max, len)` newest
    /// first across rings; a steal takes `1..=ceil(r/2)` (limit permitting) of the oldest,
    /// where `r` is the oldest non-empty ring's length (a chain steal stops at a ring
    /// boundary), exactly `ceil(r/2)` here (nothing runs concurrently).
    #[test]
    fn chain_batch_ops_match_the_model(
        src_start in start_index(),
        dst_start in start_index(),
        ops in proptest::collection::vec(chain_op(), 0..if cfg!(miri) { 24 } else { 120 }),
    ) {
        let log_len = ops.len() * 150 + 1;
        let log = DropLog::new(log_len);
        let mut next_id = 0usize;
        let mut made: HashSet<usize> = HashSet::new();
        let mut consumed: Vec<usize> = Vec::new();
        {
            let (src, src_stealer) = hooks::chain_with_start_index::<Token>(src_start);
            let (dst, dst_stealer) = hooks::chain_with_start_index::<Token>(dst_start);
            let mut sm: VecDeque<usize> = VecDeque::new();
            let mut dm: VecDeque<usize> = VecDeque::new();
            for op in &ops {
                match *op {
                    ChainOp::PushBatch(n) => {
                        let first = next_id;
                        let mut values = (first..first + n).map(|id| log.token(id));
                        prop_assert_eq!(src.push_head_batch(&mut values), n);
                        prop_assert!(values.next().is_none());
                        sm.extend(first..first + n);
                        made.extend(first..first + n);
                        next_id += n;
                    }
                    ChainOp::PopHeadBatch(max) => {
                        let mut out = Vec::new();
                        let n = src.pop_head_batch(max, &mut out);
                        let k = max.min(sm.len());
                        prop_assert_eq!(n, k);
                        let expect: Vec<usize> = (0..k).filter_map(|_| sm.pop_back()).collect();
                        prop_assert_eq!(ids(&out), expect);
                        consumed.extend(ids(&out));
                    }
                    ChainOp::PopTail => {
                        let got = src_stealer.pop_tail();
                        prop_assert_eq!(got.as_ref().map(|t| t.id() as usize), sm.pop_front());
                        consumed.extend(got.map(|t| t.id() as usize));
                    }
                    ChainOp::StealBatch(limit) => {
                        let n = src_stealer.steal_batch_with_limit(&dst, limit);
                        if limit > 0 {
                            prop_assert_eq!(n == 0, sm.is_empty(), "a non-empty chain yields");
                        }
                        prop_assert!(n <= (sm.len() - sm.len() / 2).min(limit));
                        for _ in 0..n {
                            dm.push_back(sm.pop_front().unwrap());
                        }
                    }
                    ChainOp::StealBatchAndPop => {
                        let before = sm.len();
                        let got = src_stealer.steal_batch_and_pop(&dst);
                        prop_assert_eq!(got.as_ref().map(|t| t.id() as usize), sm.pop_front());
                        consumed.extend(got.map(|t| t.id() as usize));
                        // The rest moved: dst grew by what the source lost beyond the popped one.
                        let moved = dst.len() - dm.len();
                        prop_assert!(moved + usize::from(before > 0) <= before - before / 2);
                        for _ in 0..moved {
                            dm.push_back(sm.pop_front().unwrap());
                        }
                    }
                    ChainOp::StealIntoItself => {
                        let n = src_stealer.steal_batch(&src);
                        prop_assert_eq!(n == 0, sm.is_empty());
                        for _ in 0..n {
                            let v = sm.pop_front().unwrap();
                            sm.push_back(v);
                        }
                    }
                    ChainOp::DestPopTail => {
                        let got = dst_stealer.pop_tail();
                        prop_assert_eq!(got.as_ref().map(|t| t.id() as usize), dm.pop_front());
                        consumed.extend(got.map(|t| t.id() as usize));
                    }
                    ChainOp::DestPopHeadBatch(max) => {
                        let mut out = Vec::new();
                        dst.pop_head_batch(max, &mut out);
                        let k = max.min(dm.len());
                        let expect: Vec<usize> = (0..k).filter_map(|_| dm.pop_back()).collect();
                        prop_assert_eq!(ids(&out), expect);
                        consumed.extend(ids(&out));
                    }
                }
                prop_assert_eq!(src.len(), sm.len());
                prop_assert_eq!(dst.len(), dm.len());
                let caps = src.ring_capacities();
                prop_assert!(caps.iter().all(|&c| c.is_power_of_two() && c >= 8), "{:?}", caps);
            }
            for &id in &consumed {
                prop_assert_eq!(log.drops(id), 1, "consumed token {}", id);
            }
            for &id in sm.iter().chain(dm.iter()) {
                prop_assert_eq!(log.drops(id), 0, "held token {}", id);
            }
        }
        for id in 0..log_len {
            prop_assert_eq!(log.drops(id), u32::from(made.contains(&id)), "token {}", id);
        }
    }
}
