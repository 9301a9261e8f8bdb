//! `chain::Stealer::pop_tail` may return `None` only if the chain was empty at some instant of
//! the call (P3, proofs-notes/properties.md). Checked under shuttle's sequentially consistent PCT scheduler: under
//! weak memory a stealer that has no happens-before edge from the owner may legitimately miss a
//! new ring (see proofs-notes/linearization.md), so this is a shuttle property, not a loom one.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use poolqueue::__test_hooks as hooks;
use shuttle::thread;

/// The first ring (2 slots) is full. The owner's push may outgrow it; a second stealer takes
/// both old values. If the push linked a new ring and returned before the second stealer even
/// started its second pop, the chain held a value at every instant of the first stealer's call
/// (value 1 until that second pop, which comes after the new ring holding 2 is published; and
/// nobody pops 2), so the first stealer must not report the chain empty.
///
/// The "push returned" flag is a std atomic: shuttle runs every task on one OS thread, so it
/// records the true order of steps without adding synchronization the scheduler could see.
#[test]
fn pop_tail_reports_empty_only_when_the_chain_was_empty() {
    shuttle::check_pct(
        || {
            let (owner, stealer) = hooks::chain_with_first_capacity::<u32>(2, u32::MAX - 1);
            owner.push_head(0);
            owner.push_head(1);
            let pushed = Arc::new(AtomicBool::new(false));
            let s2 = stealer.clone();
            let first = thread::spawn(move || stealer.pop_tail());
            let pushed2 = pushed.clone();
            let second = thread::spawn(move || {
                let mut got: Vec<u32> = s2.pop_tail().into_iter().collect();
                let after_push = pushed2.load(Ordering::SeqCst);
                got.extend(s2.pop_tail());
                (got, after_push)
            });
            owner.push_head(2);
            pushed.store(true, Ordering::SeqCst);
            let grew = owner.ring_capacities() != vec![2];
            let first = first.join().unwrap();
            let (mut seen, second_pop_after_push) = second.join().unwrap();
            if grew && second_pop_after_push {
                assert!(
                    first.is_some(),
                    "pop_tail returned None while the chain was never empty"
                );
            }
            seen.extend(first);
            while let Some(v) = owner.pop_head() {
                seen.push(v);
            }
            seen.sort_unstable();
            assert_eq!(seen, vec![0, 1, 2]);
        },
        20_000,
        3,
    );
}
