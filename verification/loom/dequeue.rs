//! Loom models of the fixed ring (`dequeue`): every pair of operations on rings of 2-4 slots
//! whose indices start just below 2^32, with identity-tagged boxed values. Each model checks
//! that every value pushed comes out exactly once (popped, handed back by a failed push, or
//! left in the ring), and loom checks every slot access for data races under weak memory.

use crate::util::{after_spawn, assert_exactly_once, model, two_stealers_and_the_owner, Val};
use loom::thread;
use poolqueue::__test_hooks as hooks;
use poolqueue::dequeue;

/// Pops everything left at the head (single-threaded, after the joins).
fn drain(owner: &mut dequeue::Owner<Val>, seen: &mut Vec<u32>) {
    while let Some(v) = owner.pop_head() {
        seen.push(v.id());
    }
}

/// The owner pushes into a ring that a stealer is emptying: each push either lands or hands its
/// own value back, and the stealer's reads never race with the owner's writes.
#[test]
fn push_head_vs_pop_tail() {
    model(None, || {
        let (mut owner, stealer) = hooks::dequeue_with_start_index::<Val>(2, u32::MAX).unwrap();
        owner.push_head(Val::new(1)).unwrap();
        let thief = thread::spawn(move || stealer.pop_tail().map(|v| v.id()));
        after_spawn();
        let mut seen = Vec::new();
        for id in [2, 3] {
            if let Err(back) = owner.push_head(Val::new(id)) {
                assert_eq!(back.id(), id, "a failed push hands back its own value");
                seen.push(back.id());
            }
        }
        seen.extend(thief.join().unwrap());
        drain(&mut owner, &mut seen);
        assert_exactly_once(seen, [1, 2, 3]);
    });
}

/// The owner and a stealer race for the last value: exactly one of them gets it.
#[test]
fn pop_head_vs_pop_tail_on_the_last_value() {
    model(None, || {
        let (mut owner, stealer) = hooks::dequeue_with_start_index::<Val>(2, u32::MAX).unwrap();
        owner.push_head(Val::new(1)).unwrap();
        let thief = thread::spawn(move || stealer.pop_tail().map(|v| v.id()));
        after_spawn();
        let mine = owner.pop_head().map(|v| v.id());
        let stolen = thief.join().unwrap();
        assert!(
            mine.is_some() != stolen.is_some(),
            "exactly one popper wins"
        );
        let mut seen: Vec<u32> = mine.into_iter().chain(stolen).collect();
        drain(&mut owner, &mut seen);
        assert_exactly_once(seen, [1]);
    });
}

/// Two stealers and the owner race for two values.
#[test]
fn two_stealers_and_the_owner_race() {
    model(None, || {
        let (mut owner, stealer) = hooks::dequeue_with_start_index::<Val>(2, u32::MAX).unwrap();
        owner.push_head(Val::new(1)).unwrap();
        owner.push_head(Val::new(2)).unwrap();
        let mut seen =
            two_stealers_and_the_owner(&stealer, dequeue::Stealer::pop_tail, || owner.pop_head());
        // Three pops on two values: all three can only fail to find one if a value were lost.
        assert_eq!(seen.len(), 2);
        drain(&mut owner, &mut seen);
        assert_exactly_once(seen, [1, 2]);
    });
}

/// Two stealers race on a ring with one value and nothing else: FIFO and exactly-once among
/// stealers, including the failed compare-and-swap retry path.
#[test]
fn two_stealers_race_for_one_value() {
    model(None, || {
        let (mut owner, stealer) = hooks::dequeue_with_start_index::<Val>(4, u32::MAX - 1).unwrap();
        owner.push_head(Val::new(1)).unwrap();
        owner.push_head(Val::new(2)).unwrap();
        let s2 = stealer.clone();
        let a = thread::spawn(move || stealer.pop_tail().map(|v| v.id()));
        let b = thread::spawn(move || s2.pop_tail().map(|v| v.id()));
        after_spawn();
        let (a, b) = (a.join().unwrap(), b.join().unwrap());
        let mut seen: Vec<u32> = a.into_iter().chain(b).collect();
        // Two stealers on two values: both succeed, oldest first is not observable across
        // threads, but both ids appear once.
        assert_eq!(seen.len(), 2);
        drain(&mut owner, &mut seen);
        assert_exactly_once(seen, [1, 2]);
    });
}

/// A full ring whose oldest slot a stealer has claimed but may not have finished reading: the
/// owner's push must hand the value back until the slot is released, and must never overwrite
/// a value being read (loom's race detector watches the slot).
#[test]
fn full_dequeue_with_a_held_slot_hands_the_value_back() {
    model(None, || {
        let (mut owner, stealer) = hooks::dequeue_with_start_index::<Val>(2, u32::MAX).unwrap();
        owner.push_head(Val::new(1)).unwrap();
        owner.push_head(Val::new(2)).unwrap();
        let thief = thread::spawn(move || stealer.pop_tail().map(|v| v.id()));
        after_spawn();
        let mut seen = Vec::new();
        match owner.push_head(Val::new(3)) {
            Ok(()) => {}
            Err(back) => {
                assert_eq!(back.id(), 3, "the full ring hands back the pushed value");
                seen.push(3);
            }
        }
        let stolen = thief.join().unwrap();
        assert_eq!(stolen, Some(1), "a single stealer takes the oldest value");
        seen.extend(stolen);
        if !seen.contains(&3) {
            // 3 went in, so the ring is full again.
            assert_eq!(owner.push_head(Val::new(4)).map_err(|v| v.id()), Err(4));
            seen.push(4);
        } else {
            // The stealer has returned, so it handed its slot back: there is room again.
            assert!(
                owner.push_head(Val::new(4)).is_ok(),
                "a released slot is reusable"
            );
        }
        drain(&mut owner, &mut seen);
        assert_exactly_once(seen, [1, 2, 3, 4]);
    });
}

/// Indices cross 2^32 while the owner pushes and pops and a stealer steals: head wraps to 0
/// while tail is still at 2^32 - 1, so the full/empty tests see the wrapped difference.
#[test]
fn wraparound_under_contention() {
    model(None, || {
        let (mut owner, stealer) = hooks::dequeue_with_start_index::<Val>(2, u32::MAX - 1).unwrap();
        owner.push_head(Val::new(1)).unwrap(); // index 2^32 - 2
        owner.push_head(Val::new(2)).unwrap(); // index 2^32 - 1
        assert_eq!(owner.pop_head().map(|v| v.id()), Some(2));
        let thief = thread::spawn(move || {
            let mut got: Vec<u32> = Vec::new();
            got.extend(stealer.pop_tail().map(|v| v.id()));
            got.extend(stealer.pop_tail().map(|v| v.id()));
            got
        });
        after_spawn();
        let mut seen = Vec::new();
        for id in [3, 4] {
            // Lands at index 2^32 - 1, then 0 (the wrap).
            if let Err(back) = owner.push_head(Val::new(id)) {
                assert_eq!(back.id(), id);
                seen.push(id);
            }
        }
        seen.extend(owner.pop_head().map(|v| v.id()));
        seen.extend(thief.join().unwrap());
        drain(&mut owner, &mut seen);
        assert_exactly_once(seen, [1, 3, 4]);
    });
}
