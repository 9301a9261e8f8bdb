//! Every public method at its edges: empty, full, capacity errors, handles dropped in any order,
//! drop counting (each value dropped exactly once), a value whose `Drop` panics, the chain's
//! memory bound after a drain, and a ring unlinked while the owner backs up into it.
use crate::support::watchdog::{watchdog, BOUND};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::thread;

use crate::support::values::{Item, Ledger};
use crate::support::NEAR_WRAP;
use poolqueue::__test_hooks as hooks;
use poolqueue::{chain, dequeue, CapacityError};

#[test]
fn capacity_errors_are_typed_and_clear() {
    for bad in [
        0,
        1,
        3,
        100,
        CapacityError::MAX + 2,
        CapacityError::MAX * 2,
        usize::MAX,
    ] {
        let err: CapacityError = dequeue::new::<u8>(bad).unwrap_err();
        assert_eq!(err.requested(), bad);
        let msg = err.to_string();
        assert!(
            msg.contains(&bad.to_string()) && msg.contains("power of two"),
            "{msg}"
        );
        let _: &dyn std::error::Error = &err;
    }
    assert_eq!(CapacityError::MIN, 2);
    // The documented limit (a power of two in 2..=2^30, proofs-notes/properties.md), pinned here once.
    assert_eq!(CapacityError::MAX, 1 << 30);
    assert_eq!(chain::MAX_RING_CAPACITY, CapacityError::MAX);
}

#[test]
fn empty_dequeue_pops_nothing() {
    let (owner, stealer) = dequeue::new::<String>(2).unwrap();
    assert_eq!(owner.pop_head(), None);
    assert_eq!(stealer.pop_tail(), None);
    assert!(owner.is_empty() && stealer.is_empty());
    assert_eq!((owner.len(), stealer.len()), (0, 0));
    assert_eq!(stealer.capacity(), 2);
}

#[test]
fn empty_chain_pops_nothing() {
    let (owner, stealer) = chain::new::<String>();
    assert_eq!(owner.pop_head(), None);
    assert_eq!(stealer.pop_tail(), None);
    assert!(owner.is_empty() && stealer.is_empty());
    assert_eq!(owner.ring_capacities(), vec![chain::FIRST_RING_CAPACITY]);
}

#[test]
fn a_full_dequeue_hands_the_value_back_and_recovers() {
    let (owner, stealer) = hooks::dequeue_with_start_index::<String>(4, NEAR_WRAP).unwrap();
    for i in 0..4 {
        owner.push_head(i.to_string()).unwrap();
    }
    assert_eq!(owner.push_head("x".into()), Err("x".to_string()));
    assert_eq!(owner.len(), 4);
    assert_eq!(stealer.pop_tail().as_deref(), Some("0"));
    owner.push_head("x".into()).unwrap();
    assert_eq!(owner.pop_head().as_deref(), Some("x"));
    assert_eq!(stealer.pop_tail().as_deref(), Some("1"));
}

#[test]
fn owner_is_lifo_and_stealers_are_fifo_across_the_wrap() {
    let (owner, stealer) = hooks::dequeue_with_start_index::<u32>(8, u32::MAX - 2).unwrap();
    for round in 0..10 {
        for i in 0..6 {
            owner.push_head(round * 10 + i).unwrap();
        }
        assert_eq!(stealer.pop_tail(), Some(round * 10));
        assert_eq!(owner.pop_head(), Some(round * 10 + 5));
        assert_eq!(stealer.pop_tail(), Some(round * 10 + 1));
        while owner.pop_head().is_some() {}
    }
}

#[test]
fn chain_stealers_outlive_the_owner_and_keep_draining() {
    let log = Ledger::new();
    let (owner, stealer) = chain::new();
    for id in 0..30 {
        owner.push_head(Item::new(id, &log));
    }
    let other = owner.stealer();
    drop(owner);
    let got: Vec<u64> = std::iter::from_fn(|| other.pop_tail())
        .map(|t| t.id())
        .collect();
    assert_eq!(got, (0..30).collect::<Vec<_>>());
    assert_eq!(stealer.pop_tail().map(|t| t.id()), None);
    log.assert_each_dropped_once(0..30);
}

#[test]
fn dropping_every_dequeue_handle_drops_each_value_once() {
    // Ring: some values popped from each end, the rest left inside across the wrap.
    let log = Ledger::new();
    let (owner, stealer) = hooks::dequeue_with_start_index(16, u32::MAX - 3).unwrap();
    for id in 0..16 {
        owner.push_head(Item::new(id, &log)).unwrap();
    }
    drop(stealer.pop_tail());
    drop(owner.pop_head());
    let clones: Vec<_> = (0..3).map(|_| stealer.clone()).collect();
    drop(owner);
    drop(stealer);
    assert_eq!(log.drops(5), 0, "values stay alive while a stealer exists");
    drop(clones);
    log.assert_each_dropped_once(0..16);
}

#[test]
fn dropping_every_chain_handle_drops_each_value_once() {
    watchdog(
        BOUND,
        "dropping every chain handle drops each value once",
        || {
            // Values in several rings, some rings already unlinked and retired.
            let log = Ledger::new();
            let (owner, stealer) = chain::new();
            for id in 0..200 {
                owner.push_head(Item::new(id, &log));
            }
            for _ in 0..30 {
                drop(stealer.pop_tail()); // drains the 8- and 16-slot rings: both retired
            }
            assert_eq!(owner.ring_capacities(), vec![32, 64, 128]);
            drop(owner.pop_head());
            let moved = thread::spawn(move || owner).join().unwrap(); // the owner is Send
            drop(stealer);
            drop(moved);
            log.assert_each_dropped_once(0..200);
        },
    );
}

#[test]
fn dequeue_panicking_drop_neither_leaks_nor_double_drops_the_rest() {
    let log = Ledger::new();
    let (owner, stealer) = dequeue::new(16).unwrap();
    for id in 0..12 {
        let token = if id == 4 {
            log.panicking(id)
        } else {
            Item::new(id, &log)
        };
        owner.push_head(token).unwrap();
    }
    drop(stealer);
    let unwound = catch_unwind(AssertUnwindSafe(|| drop(owner)));
    assert!(unwound.is_err(), "the panic reaches the caller");
    log.assert_each_dropped_once(0..12);
}

#[test]
fn chain_panicking_drop_neither_leaks_nor_double_drops_the_rest() {
    // The panic hits an older ring; the newer rings must still be freed.
    let log = Ledger::new();
    let (owner, stealer) = chain::new();
    for id in 0..50 {
        let token = if id == 3 {
            log.panicking(id)
        } else {
            Item::new(id, &log)
        };
        owner.push_head(token);
    }
    drop(owner);
    let unwound = catch_unwind(AssertUnwindSafe(|| drop(stealer)));
    assert!(unwound.is_err(), "the panic reaches the caller");
    log.assert_each_dropped_once(0..50);
}

#[test]
fn a_drained_chain_keeps_only_its_newest_ring() {
    let (owner, stealer) = chain::new::<u32>();
    for i in 0..1000 {
        owner.push_head(i);
    }
    let grown = owner.ring_capacities();
    assert_eq!(grown, vec![8, 16, 32, 64, 128, 256, 512]); // 1016 slots >= 1000

    // Drained by stealers: every older ring is unlinked on the way.
    while stealer.pop_tail().is_some() {}
    assert_eq!(owner.ring_capacities(), vec![512]);

    // Drained by the owner: unlike Go, `pop_head` unlinks the rings it drains for good ...
    for i in 0..1500 {
        owner.push_head(i);
    }
    assert_eq!(owner.ring_capacities(), vec![512, 1024]);
    while owner.pop_head().is_some() {}
    assert_eq!(owner.ring_capacities(), vec![1024]);
    // ... and keeps the head ring, which held more than a quarter of its slots.
    assert_eq!(stealer.pop_tail(), None);
    assert_eq!(owner.ring_capacities(), vec![1024]);
    // Once drained, pushes fill the remaining ring before any growth.
    for i in 0..1024 {
        owner.push_head(i);
    }
    assert_eq!(owner.ring_capacities(), vec![1024]);
}

#[test]
fn chain_pop_head_backs_up_through_older_rings() {
    let (owner, stealer) = hooks::chain_with_start_index::<u32>(u32::MAX - 1);
    for i in 0..30 {
        owner.push_head(i); // rings of 8, 16 and 32
    }
    let popped: Vec<u32> = std::iter::from_fn(|| owner.pop_head()).collect();
    assert_eq!(popped, (0..30).rev().collect::<Vec<_>>());
    assert_eq!(stealer.pop_tail(), None);
}

#[test]
fn dequeue_debug_output_names_the_handle() {
    let (owner, stealer) = dequeue::new::<u8>(4).unwrap();
    assert!(format!("{owner:?}").contains("capacity: 4"));
    assert!(format!("{stealer:?}").contains("len: 0"));
}

#[test]
fn chain_debug_output_names_the_handle() {
    let (owner, stealer) = chain::new::<u8>();
    assert!(format!("{owner:?} {stealer:?}").contains("chain::Stealer"));
}

/// A chain of two rings counted in their own scope: the older ring (2 slots) holds 0 and 1, the
/// head ring (4 slots) is empty, so the owner's next `pop_head` backs up through `prev`.
fn two_rings_with_an_empty_head() -> (hooks::RingScope, chain::Owner<u32>, chain::Stealer<u32>) {
    let scope = hooks::RingScope::new();
    let entered = scope.enter();
    let (owner, stealer) = hooks::chain_with_first_capacity::<u32>(2, NEAR_WRAP);
    (0..3).for_each(|i| owner.push_head(i));
    drop(entered);
    assert_eq!(owner.pop_head(), Some(2));
    assert_eq!(owner.ring_capacities(), [2, 4]);
    (scope, owner, stealer)
}

/// A stealer unlinks a drained ring while the owner backs up into it, the stealer held by a
/// pause hook between the two steps of its unlink (clearing the successor's `prev`, retiring the
/// ring). If the owner can still reach the ring through `prev` (C2), the epoch may free it under
/// the owner's feet: once the owner has read the pointer, the stealer finishes and unpins and
/// the owner drives the epoch as far as it goes. The ring must outlive the owner's read.
#[test]
fn chain_owner_never_backs_up_into_a_ring_a_stealer_unlinked() {
    use hooks::ChainPoint;
    use std::sync::mpsc;
    watchdog(BOUND, "a stealer's unlink held against the owner", || {
        let (scope, owner, stealer) = two_rings_with_an_empty_head();
        let (paused_tx, paused) = mpsc::channel();
        let (go, go_rx) = mpsc::channel::<()>();
        let (done_tx, done) = mpsc::channel();
        let thief = thread::spawn(move || {
            let _hook = hooks::pause_at(move |point| {
                if point == ChainPoint::Unlinking {
                    let _ = paused_tx.send(());
                    let _ = go_rx.recv();
                }
            });
            // The third pop finds the older ring drained for good and unlinks it.
            let taken: Vec<Option<u32>> = (0..3).map(|_| stealer.pop_tail()).collect();
            let _ = done_tx.send(());
            taken
        });
        if paused.recv().is_err() {
            panic!(
                "the stealer never unlinked the drained ring: {:?}",
                thief.join()
            );
        }
        // Every thread but the paused stealer is unpinned: the epoch moves as far as it can.
        (0..4).for_each(|_| hooks::epoch_collect_round());

        let owner_go = go.clone();
        let owner_scope = scope.clone();
        let hook = hooks::pause_at(move |point| {
            if point == ChainPoint::OlderRing {
                // The owner, pinned, holds a pointer it read through `prev`: let the stealer
                // finish and unpin, then collect all the epoch allows.
                let _ = owner_go.send(());
                let _ = done.recv();
                let live = owner_scope.collect(1);
                assert_eq!(
                    live, 2,
                    "a ring was freed while the owner held a pointer to it from `prev`"
                );
            }
        });
        assert_eq!(owner.pop_head(), None);
        drop(hook);
        let _ = go.send(());
        assert_eq!(thief.join().unwrap(), [Some(0), Some(1), None]);
        drop(owner);
        assert_eq!(scope.collect(0), 0, "every ring of the chain is freed");
    });
}

/// The owner, pinned, holds the older ring it reached through `prev` (held there by a pause
/// hook) while a stealer drains that ring, unlinks it and retires it, and the epoch is driven as
/// far as it goes: a ring retired while a thread that can still reach it is pinned is not freed
/// until that thread unpins (the grace period, C2).
#[test]
fn chain_ring_the_owner_holds_outlives_its_retirement() {
    use hooks::ChainPoint;
    use std::sync::mpsc;
    watchdog(BOUND, "a retirement while the owner holds the ring", || {
        let (scope, owner, stealer) = two_rings_with_an_empty_head();
        let (go, go_rx) = mpsc::channel::<()>();
        let (done_tx, done) = mpsc::channel();
        let thief = thread::spawn(move || {
            let _ = go_rx.recv();
            // Two values, then the drained ring is unlinked and retired.
            let taken: Vec<Option<u32>> = (0..3).map(|_| stealer.pop_tail()).collect();
            let _ = done_tx.send(());
            taken
        });
        let owner_scope = scope.clone();
        let mut held = false;
        let hook = hooks::pause_at(move |point| {
            if point == ChainPoint::OlderRing && !held {
                held = true;
                let _ = go.send(());
                let _ = done.recv();
                let live = owner_scope.collect(1);
                assert_eq!(
                    live, 2,
                    "a retired ring was freed while the owner, pinned, held a pointer to it"
                );
            }
        });
        // The owner reads `prev` and stops there; the values are the stealer's by then.
        assert_eq!(owner.pop_head(), None);
        drop(hook);
        assert_eq!(thief.join().unwrap(), [Some(0), Some(1), None]);
        assert_eq!(
            owner.ring_capacities().len(),
            1,
            "the drained ring is unlinked"
        );
        assert_eq!(
            scope.collect(1),
            1,
            "the retired ring is freed once the owner unpins"
        );
        drop(owner);
        assert_eq!(scope.collect(0), 0, "every ring of the chain is freed");
    });
}
