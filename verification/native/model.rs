//! Each structure against its sequential model (a `VecDeque`), single-threaded: random mixes of
//! every operation, random capacities and start indices around the 2^32 wrap. Values are
//! drop-counted tokens, so the model also checks that dropping the structure drops every value
//! it still holds exactly once.
use std::collections::VecDeque;

use crate::support::values::{Item, Ledger};
use poolqueue::__test_hooks as hooks;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Push,
    PopHead,
    PopTail,
    /// A stealer made by `Owner::stealer()` (or a clone) pops the tail.
    PopTailFreshStealer,
    Len,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Push),
        2 => Just(Op::PopHead),
        2 => Just(Op::PopTail),
        1 => Just(Op::PopTailFreshStealer),
        1 => Just(Op::Len),
    ]
}

/// Ring start indices for the models: zero, just below the 2^32 wrap, and anywhere (also used
/// by `batch_model`).
pub(super) fn start_index() -> impl Strategy<Value = u32> {
    prop_oneof![Just(0u32), (u32::MAX - 40)..=u32::MAX, any::<u32>()]
}

/// The calls both models check the same way against `model` (the caller handles `Op::Push`):
/// a pop at the owner's end, at the tail, or at the tail through a fresh stealer; `Op::Len`
/// is checked with the invariants after every call. A macro: the two structures' types differ
/// and `prop_assert_eq!` returns from the test.
macro_rules! check_pop {
    ($op:expr, $owner:ident, $stealer:ident, $model:ident) => {
        match $op {
            Op::PopHead => {
                prop_assert_eq!($owner.pop_head().map(|t| t.id()), $model.pop_back());
            }
            Op::PopTail => {
                prop_assert_eq!($stealer.pop_tail().map(|t| t.id()), $model.pop_front());
            }
            Op::PopTailFreshStealer => {
                let fresh = $owner.stealer().clone();
                prop_assert_eq!(fresh.pop_tail().map(|t| t.id()), $model.pop_front());
            }
            Op::Len => {}
            Op::Push => unreachable!("the caller pushes"),
        }
    };
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 6 } else { 512 },
        // Failures are printed with their minimal input; no files (Miri's isolation forbids
        // them, and a regression belongs in a named test).
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn dequeue_matches_vecdeque(
        log2_cap in 1u32..=5,
        start in start_index(),
        ops in proptest::collection::vec(op(), 0..if cfg!(miri) { 48 } else { 200 }),
    ) {
        let capacity = 1usize << log2_cap;
        let log = Ledger::new();
        {
            let (owner, stealer) = hooks::dequeue_with_start_index(capacity, start).unwrap();
            let mut model: VecDeque<u64> = VecDeque::new();
            for (id, op) in (0u64..).zip(ops.iter()) {
                match op {
                    Op::Push => {
                        let result = owner.push_head(Item::new(id, &log));
                        if model.len() == capacity {
                            let back = result.expect_err("push into a full ring must fail");
                            prop_assert_eq!(back.id(), id, "a full ring hands the same value back");
                            drop(back);
                        } else {
                            prop_assert!(result.is_ok(), "push into a ring with room must succeed");
                            model.push_back(id);
                        }
                    }
                    pop => check_pop!(pop, owner, stealer, model),
                }
                prop_assert_eq!(owner.len(), model.len());
                prop_assert_eq!(stealer.len(), model.len());
                prop_assert_eq!(owner.is_empty(), model.is_empty());
                prop_assert_eq!(owner.capacity(), capacity);
            }
            // Every token not in the model was dropped exactly once already.
            for (id, op) in (0u64..).zip(ops.iter()) {
                let expected = u32::from(!model.contains(&id) && matches!(op, Op::Push));
                prop_assert_eq!(log.drops(id), expected, "token {} before drop", id);
            }
        }
        // Dropping owner and stealer dropped what the ring still held.
        for (id, op) in (0u64..).zip(ops.iter()) {
            prop_assert_eq!(log.drops(id), u32::from(matches!(op, Op::Push)), "token {}", id);
        }
    }

    #[test]
    fn chain_matches_vecdeque(
        start in start_index(),
        ops in proptest::collection::vec(op(), 0..if cfg!(miri) { 64 } else { 300 }),
    ) {
        let log = Ledger::new();
        {
            let (owner, stealer) = hooks::chain_with_start_index(start);
            let mut model: VecDeque<u64> = VecDeque::new();
            for (id, op) in (0u64..).zip(ops.iter()) {
                match op {
                    Op::Push => {
                        owner.push_head(Item::new(id, &log));
                        model.push_back(id);
                    }
                    pop => check_pop!(pop, owner, stealer, model),
                }
                prop_assert_eq!(owner.len(), model.len());
                prop_assert_eq!(stealer.is_empty(), model.is_empty());
                // Ring sizes: each ring twice the one before (growth), or at most half of it
                // (the shrink policy links a smaller ring after a head ring that may still
                // hold values).
                let caps = owner.ring_capacities();
                prop_assert!(!caps.is_empty());
                prop_assert!(
                    caps.windows(2).all(|w| w[1] == 2 * w[0] || 2 * w[1] <= w[0]),
                    "{:?}",
                    caps
                );
                prop_assert!(caps.iter().all(|&c| (8..=poolqueue::chain::MAX_RING_CAPACITY).contains(&c)), "{:?}", caps);
            }
        }
        for (id, op) in (0u64..).zip(ops.iter()) {
            prop_assert_eq!(log.drops(id), u32::from(matches!(op, Op::Push)), "token {}", id);
        }
    }
}
