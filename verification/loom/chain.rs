//! Loom models of the chain of rings: growth while a stealer works, and retirement of a drained
//! ring while another stealer and the owner's `pop_head` (walking `prev`) may still hold it,
//! and the shrink policy at a window's end (which rings it links and gives back).
//! Retired rings go to the adversarial reclaimer of the `sync` shim, which frees them at the
//! earliest moment the epoch contract allows; touching a freed ring fails the model. Every
//! model checks that each value pushed comes out exactly once.

use crate::util::{
    after_spawn, assert_exactly_once, chain_thief, model, two_stealers_and_the_owner, Val,
};
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::Arc;
use loom::thread;
use poolqueue::__test_hooks as hooks;
use poolqueue::chain;

/// Indices start here so that the first ring crosses 2^32 after a few pushes.
const START: u32 = u32::MAX - 3;

fn drain(owner: &mut chain::Owner<Val>, seen: &mut Vec<u32>) {
    while let Some(v) = owner.pop_head() {
        seen.push(v.id());
    }
}

/// `n` calls of `pop_head` (single-threaded part of a model); the ids they took.
fn pop_head_ids(owner: &mut chain::Owner<Val>, n: usize) -> Vec<u32> {
    (0..n)
        .filter_map(|_| owner.pop_head().map(|v| v.id()))
        .collect()
}

/// `n` calls of `pop_tail` (a thief's whole program); the ids they took.
fn pop_tail_ids(stealer: &chain::Stealer<Val>, n: usize) -> Vec<u32> {
    (0..n)
        .filter_map(|_| stealer.pop_tail().map(|v| v.id()))
        .collect()
}

/// A chain whose first ring has 2 slots, both full (values 0 and 1): the next push links a
/// 4-slot ring.
fn first_ring_of_two_full() -> (chain::Owner<Val>, chain::Stealer<Val>) {
    let (owner, stealer) = hooks::chain_with_first_capacity::<Val>(2, START);
    owner.push_head(Val::new(0));
    owner.push_head(Val::new(1));
    (owner, stealer)
}

/// A chain whose first ring (8 slots) holds only the value 7 and whose second ring (16 slots)
/// is empty: the next pop that finds the first ring empty unlinks and retires it.
fn almost_drained() -> (chain::Owner<Val>, chain::Stealer<Val>) {
    let (owner, stealer) = hooks::chain_with_start_index::<Val>(START);
    for id in 0..9 {
        owner.push_head(Val::new(id));
    }
    assert_eq!(owner.ring_capacities(), vec![8, 16]);
    for id in 0..7 {
        assert_eq!(stealer.pop_tail().map(|v| v.id()), Some(id));
    }
    assert_eq!(owner.pop_head().map(|v| v.id()), Some(8));
    (owner, stealer)
}

/// The owner outgrows a full ring (linking a 16-slot ring) while a stealer pops from it.
#[test]
fn growth_while_a_stealer_works() {
    model(None, || {
        let (mut owner, stealer) = hooks::chain_with_start_index::<Val>(START);
        for id in 0..8 {
            owner.push_head(Val::new(id));
        }
        let thief = thread::spawn(move || pop_tail_ids(&stealer, 2));
        after_spawn();
        owner.push_head(Val::new(8)); // grows unless the steal already released a slot
        owner.push_head(Val::new(9));
        let mut seen = pop_head_ids(&mut owner, 1);
        let stolen = thief.join().unwrap();
        assert_eq!(
            stolen.len(),
            2,
            "the chain never looked empty to the stealer"
        );
        assert!(stolen[0] < stolen[1], "stealers take values oldest first");
        seen.extend(stolen);
        drain(&mut owner, &mut seen);
        assert_exactly_once(seen, 0..10);
    });
}

/// Two stealers and the owner race for the last value of the oldest ring. Whichever stealer
/// finds it empty unlinks and retires it while the other stealer may still be inside it and
/// the owner may be backing up into it through `prev`.
#[test]
fn retirement_while_a_stealer_and_the_owner_hold_the_ring() {
    model(Some(3), || {
        let (mut owner, stealer) = almost_drained();
        let mut seen =
            two_stealers_and_the_owner(&stealer, chain::Stealer::pop_tail, || owner.pop_head());
        assert_eq!(stealer.pop_tail().map(|v| v.id()), None);
        assert_eq!(
            owner.ring_capacities(),
            vec![16],
            "the drained ring is unlinked"
        );
        drain(&mut owner, &mut seen);
        assert_exactly_once(seen, [7]);
    });
}

/// A stealer takes the last value of the oldest ring, retires it and moves on to the newer
/// ring, while the owner pushes there and pops back (possibly through the retired ring's
/// `prev` link, which the stealer clears).
#[test]
fn retirement_while_the_owner_pushes_and_pops() {
    model(None, || {
        let (mut owner, stealer) = almost_drained();
        let thief = thread::spawn(move || pop_tail_ids(&stealer, 2));
        after_spawn();
        owner.push_head(Val::new(9));
        let mut seen = pop_head_ids(&mut owner, 1);
        seen.extend(owner.pop_head().map(|v| v.id()));
        seen.extend(thief.join().unwrap());
        drain(&mut owner, &mut seen);
        assert_exactly_once(seen, [7, 9]);
    });
}

/// A stealer looks at a fresh chain while the owner fills the first ring (2 slots here) and
/// outgrows it. The stealer may see the ring empty, but it must not unlink it unless it saw the
/// successor *before* that empty pop (once a successor exists the owner never pushes to the
/// ring again).
#[test]
fn a_ring_still_being_filled_is_never_unlinked() {
    model(None, || {
        let (mut owner, stealer) = hooks::chain_with_first_capacity::<Val>(2, START);
        let thief = thread::spawn(move || stealer.pop_tail().map(|v| v.id()));
        after_spawn();
        for id in 0..3 {
            owner.push_head(Val::new(id)); // the third links a second ring
        }
        let mut seen: Vec<u32> = thief.join().unwrap().into_iter().collect();
        drain(&mut owner, &mut seen);
        assert_exactly_once(seen, 0..3);
    });
}

/// The owner links a ring *inside* the model and drains the old one from the head; one stealer
/// swings `tail` to the new ring (retiring the old one) while another enters the chain through
/// `tail` and then walks it for `len`. The second stealer only learns of the new ring through
/// the first stealer's swing or the owner's `next` link, so those must publish it.
#[test]
fn a_stealer_enters_a_ring_another_stealer_swung_to() {
    model(Some(3), || {
        let (mut owner, stealer) = first_ring_of_two_full();
        let s1 = stealer.clone();
        let a = thread::spawn(move || s1.pop_tail().map(|v| v.id()));
        let b = thread::spawn(move || {
            let got = stealer.pop_tail().map(|v| v.id());
            (got, stealer.len())
        });
        after_spawn();
        owner.push_head(Val::new(2)); // links a 4-slot ring
        let mut seen = pop_head_ids(&mut owner, 3);
        seen.extend(a.join().unwrap());
        let (got, len) = b.join().unwrap();
        assert!(len <= 3, "len counts only values that were pushed");
        seen.extend(got);
        drain(&mut owner, &mut seen);
        assert_exactly_once(seen, 0..3);
    });
}

/// Like the previous model, but the second stealer only walks the chain for `len`: its first
/// sight of the new ring is through `tail` (after the first stealer's swing) or the old ring's
/// `next`, so `len`'s own loads must acquire the ring.
#[test]
fn len_walks_into_a_ring_another_stealer_swung_to() {
    model(Some(3), || {
        let (mut owner, stealer) = first_ring_of_two_full();
        let s1 = stealer.clone();
        let a = thread::spawn(move || s1.pop_tail().map(|v| v.id()));
        let b = thread::spawn(move || stealer.len());
        after_spawn();
        owner.push_head(Val::new(2)); // links a 4-slot ring
        let mut seen = pop_head_ids(&mut owner, 3);
        seen.extend(a.join().unwrap());
        assert!(
            b.join().unwrap() <= 3,
            "len counts only values that were pushed"
        );
        drain(&mut owner, &mut seen);
        assert_exactly_once(seen, 0..3);
    });
}

/// A reader (spawned by `spawn_reader` on a clone of the stealer; it returns the ids it took)
/// runs while the owner links a second ring and another stealer drains the first and unlinks
/// it: the reader's first sight of the new ring is through the old ring's `next` or through
/// `tail` after the other stealer's swing, and either load must acquire the ring's construction.
/// The unlinking stealer, not the owner: loom joins the clocks of all threads at a `SeqCst`
/// fence, and the owner pins (a fence) after every link before it can unlink, so only a
/// stealer's swing, read between its compare-and-swap and its retirement's fence, reaches a
/// reader that has not synchronized with the link.
fn reader_walks_into_a_ring_another_stealer_swung_to(
    spawn_reader: fn(chain::Stealer<Val>) -> thread::JoinHandle<Vec<u32>>,
) {
    model(Some(2), move || {
        let (mut owner, stealer) = first_ring_of_two_full();
        let s1 = stealer.clone();
        let a = thread::spawn(move || pop_tail_ids(&s1, 3)); // the third unlinks the first ring
        let b = spawn_reader(stealer);
        after_spawn();
        owner.push_head(Val::new(2)); // links a 4-slot ring
        let mut seen = a.join().unwrap();
        seen.extend(b.join().unwrap());
        drain(&mut owner, &mut seen);
        assert_exactly_once(seen, 0..3);
    });
}

/// `is_empty` reads the ring it reaches (`C-empty-tail`, `C-empty-next`).
#[test]
fn is_empty_walks_into_a_ring_another_stealer_swung_to() {
    reader_walks_into_a_ring_another_stealer_swung_to(|stealer| {
        thread::spawn(move || {
            // Either answer is right: the chain was full, then empty.
            let _ = stealer.is_empty();
            Vec::new()
        })
    });
}

/// A batch steal (`steal_into`: `C-steal-tail`, `C-steal-next`) into the thief's own chain.
#[test]
fn batch_steal_walks_into_a_ring_another_stealer_swung_to() {
    reader_walks_into_a_ring_another_stealer_swung_to(|stealer| {
        chain_thief(move |mine| stealer.steal_batch_and_pop(mine))
    });
}

/// A 2-slot ring `[0, 1]` followed by a 4-slot head ring `[2]` (indices across the wrap).
fn two_small_rings() -> (chain::Owner<Val>, chain::Stealer<Val>) {
    let (owner, stealer) = hooks::chain_with_first_capacity::<Val>(2, u32::MAX - 1);
    for id in 0..3 {
        owner.push_head(Val::new(id));
    }
    assert_eq!(owner.ring_capacities(), vec![2, 4]);
    (owner, stealer)
}

/// The owner's `pop_head` backs up past the head ring, empties the older ring and unlinks it
/// itself (the owner-side unlink), while a stealer may have claimed that ring's last slot (so
/// the ring already looks empty) and still be reading it.
#[test]
fn owner_unlinks_a_drained_ring_while_a_stealer_is_mid_claim() {
    model(Some(2), || {
        let (mut owner, stealer) = two_small_rings();
        let thief = thread::spawn(move || stealer.pop_tail().map(|v| v.id()));
        after_spawn();
        let mut seen = pop_head_ids(&mut owner, 3);
        seen.extend(thief.join().unwrap());
        drain(&mut owner, &mut seen);
        assert_eq!(
            owner.ring_capacities(),
            vec![4],
            "the drained ring is unlinked"
        );
        assert_exactly_once(seen, 0..3);
    });
}

/// `trim` (what the pool runs after a `release`) on a chain whose 16-slot head ring was just
/// emptied: it links a fresh 8-slot head ring and unlinks the big one, while a stealer that
/// claimed the last value may still be inside the big ring and races the owner to unlink it.
/// Afterwards the chain works on the fresh ring. Four preemptions: with two, a stealer's
/// `tail` load and the unlink CAS weakened to Relaxed (C-pop-tail, C-unlink-cas) both pass; the
/// orderings search's re-check at four found them (`orderings-search-ring-chain.md`).
#[test]
fn trim_while_a_stealer_is_in_the_old_head_ring() {
    model(Some(4), || {
        let (mut owner, stealer) = hooks::chain_with_first_capacity::<Val>(16, START);
        owner.push_head(Val::new(0));
        let thief = {
            let stealer = stealer.clone();
            thread::spawn(move || {
                let first = stealer.pop_tail().map(|v| v.id());
                (first, stealer.pop_tail().map(|v| v.id()))
            })
        };
        after_spawn();
        let mut seen = pop_head_ids(&mut owner, 1);
        hooks::chain_trim(&owner);
        owner.push_head(Val::new(1));
        let (first, second) = thief.join().unwrap();
        seen.extend(first);
        seen.extend(second);
        seen.extend(stealer.pop_tail().map(|v| v.id()));
        drain(&mut owner, &mut seen);
        assert_eq!(owner.ring_capacities(), vec![8], "trim left one small ring");
        assert_exactly_once(seen, 0..2);
    });
}

/// The owner's countdown window ends on a pop while its 16-slot head ring still holds a value
/// that a stealer is popping: the owner links a fresh 8-slot head ring after it (the shrink
/// policy) and unlinks the old one if it is drained, racing the stealer that may unlink it
/// too. Every value comes out once and the chain ends on the fresh ring.
#[test]
fn a_countdown_shrink_while_a_stealer_is_in_the_old_head_ring() {
    model(Some(3), || {
        let (mut owner, stealer) = hooks::chain_with_first_capacity::<Val>(16, START);
        // 15 of the window's 16 pops, one value held at a time.
        for id in 100..115 {
            owner.push_head(Val::new(id));
            assert_eq!(owner.pop_head().map(|v| v.id()), Some(id));
        }
        owner.push_head(Val::new(0));
        owner.push_head(Val::new(1));
        let thief = {
            let stealer = stealer.clone();
            thread::spawn(move || pop_tail_ids(&stealer, 2))
        };
        after_spawn();
        // The 16th pop: the window held at most 2 values, a quarter of 16 at most.
        let mut seen = pop_head_ids(&mut owner, 1);
        let head = *owner.ring_capacities().last().unwrap();
        assert_eq!(head, 8, "the window's end linked an 8-slot head ring");
        owner.push_head(Val::new(2));
        seen.extend(thief.join().unwrap());
        seen.extend(pop_tail_ids(&stealer, 3));
        drain(&mut owner, &mut seen);
        assert_eq!(owner.ring_capacities(), vec![8], "the head ring shrank");
        assert_exactly_once(seen, 0..3);
    });
}

/// A 16-slot chain (indices across the wrap) after 15 of its window's 16 pops, one value held
/// at a time: the next pop from the head ring ends the window.
fn window_one_pop_from_its_end() -> (chain::Owner<Val>, chain::Stealer<Val>) {
    let (owner, stealer) = hooks::chain_with_first_capacity::<Val>(16, START);
    for id in 100..115 {
        owner.push_head(Val::new(id));
        assert_eq!(owner.pop_head().map(|v| v.id()), Some(id));
    }
    (owner, stealer)
}

/// The window ends on the owner's pop that drains its 16-slot head ring, while a stealer takes
/// the ring's other value: the shrink links an 8-slot head ring, and when the stealer finished
/// before that pop, the shrink itself unlinks the drained ring: an owner that goes on working in
/// the new ring (no stealer comes back) must not keep the old one. Whichever order, every value
/// comes out once and the chain ends on the fresh ring.
#[test]
fn a_countdown_shrink_gives_back_the_ring_it_drained() {
    model(None, || {
        let (mut owner, stealer) = window_one_pop_from_its_end();
        owner.push_head(Val::new(0));
        owner.push_head(Val::new(1));
        let stolen = Arc::new(AtomicBool::new(false));
        let thief = {
            let (stealer, stolen) = (stealer.clone(), stolen.clone());
            thread::spawn(move || {
                let got = stealer.pop_tail().map(|v| v.id());
                // Release: pairs with the owner's Acquire load below (the ring was drained
                // before that load, so before the owner's pop).
                stolen.store(true, Ordering::Release);
                got
            })
        };
        after_spawn();
        let stolen_first = stolen.load(Ordering::Acquire);
        // The 16th pop: the window held 2 values, a quarter of 16 at most.
        let mut seen = pop_head_ids(&mut owner, 1);
        if stolen_first {
            assert_eq!(
                owner.ring_capacities(),
                vec![8],
                "the pop that drained the ring ended the window: the shrink unlinks that ring"
            );
        }
        for id in 2..4 {
            owner.push_head(Val::new(id));
            seen.extend(owner.pop_head().map(|v| v.id()));
        }
        seen.extend(thief.join().unwrap());
        seen.extend(stealer.pop_tail().map(|v| v.id()));
        assert_eq!(owner.ring_capacities(), vec![8], "the head ring shrank");
        assert_exactly_once(seen, 0..4);
    });
}

/// A window whose peak (5 values) is more than a quarter of its 16-slot head ring ends while
/// a stealer pops: the ring is kept (no shrink, no new ring), since a ring sized for twice
/// its peak would be shrunk and regrown window after window.
#[test]
fn a_window_above_a_quarter_keeps_its_ring() {
    model(None, || {
        let (mut owner, stealer) = window_one_pop_from_its_end();
        for id in 0..5 {
            owner.push_head(Val::new(id));
        }
        let thief = {
            let stealer = stealer.clone();
            thread::spawn(move || pop_tail_ids(&stealer, 1))
        };
        after_spawn();
        // The 16th pop ends the window.
        let mut seen = pop_head_ids(&mut owner, 1);
        assert_eq!(
            owner.ring_capacities(),
            vec![16],
            "a window that held 5 of 16 slots keeps its ring"
        );
        seen.extend(thief.join().unwrap());
        drain(&mut owner, &mut seen);
        assert_exactly_once(seen, 0..5);
    });
}
