//! Loom models of the batch operations on the fixed ring (`dequeue`): a batch steal against
//! the owner's push, pop and batch pop, two batch stealers, a batch steal against a single
//! steal, `steal_batch_and_pop` into the thief's own ring, a steal into the source's own owner,
//! a batch push against a stealer, all on rings of 2-4 slots whose indices cross 2^32. Each
//! model checks that every value comes out exactly once, that the counts follow the "oldest
//! half, rounded up, at most the room" rule, and that every slot was handed back (the owner
//! can refill the whole ring afterwards); loom checks every slot access for races.
//!
//! Only batch methods (all `&self`) are called on owners, so the models compile whether the
//! single-value owner methods take `&self` or `&mut self`.

use crate::util::{after_spawn, assert_exactly_once, model, Val};
use loom::thread;
use poolqueue::__test_hooks as hooks;
use poolqueue::dequeue::Owner;

/// Indices start two below the wrap, so a few pushes cross 2^32.
const START: u32 = u32::MAX - 1;

fn push(owner: &Owner<Val>, ids: impl IntoIterator<Item = u32>) -> usize {
    owner.push_head_batch(&mut ids.into_iter().map(Val::new))
}

/// Pushes `ids` and asserts that all of them went in.
fn push_all(owner: &Owner<Val>, ids: impl IntoIterator<Item = u32> + Clone) {
    let n = ids.clone().into_iter().count();
    assert_eq!(push(owner, ids), n, "the ring had room for every value");
}

/// Pops everything left (after the joins) and records the ids.
fn drain(owner: &Owner<Val>, seen: &mut Vec<u32>) {
    let mut out = Vec::new();
    owner.pop_head_batch(usize::MAX, &mut out);
    seen.extend(out.iter().map(Val::id));
}

/// After the joins the ring is empty and every slot was handed back: a full refill fits. The
/// refill's ids start at `base` (distinct per ring: an id may be dropped once per execution).
#[track_caller]
fn assert_refills_from(owner: &Owner<Val>, base: u32) {
    assert!(owner.is_empty());
    let cap = owner.capacity() as u32;
    let ids = base..base + cap;
    assert_eq!(
        push(owner, ids.clone()),
        cap as usize,
        "a slot was never handed back"
    );
    let mut seen = Vec::new();
    drain(owner, &mut seen);
    assert_exactly_once(seen, ids);
}

/// [`assert_refills_from`] for the source ring of a model.
#[track_caller]
fn assert_refills(owner: &Owner<Val>) {
    assert_refills_from(owner, 1000);
}

/// A thief with its own ring of `cap` slots: runs `steal` into it, then hands back the ids it
/// holds (oldest first), plus what `steal` returned, and checks its ring refills (ids from
/// `refill_base`).
fn thief(
    cap: usize,
    refill_base: u32,
    steal: impl FnOnce(&Owner<Val>) -> Option<Val> + Send + 'static,
) -> thread::JoinHandle<(Vec<u32>, Option<u32>)> {
    thread::spawn(move || {
        let (mine, my_stealer) = hooks::dequeue_with_start_index::<Val>(cap, START).unwrap();
        let popped = steal(&mine).map(|v| v.id());
        let got: Vec<u32> = std::iter::from_fn(|| my_stealer.pop_tail().map(|v| v.id())).collect();
        assert_refills_from(&mine, refill_base);
        (got, popped)
    })
}

/// A run of consecutive ids, oldest first: a batch steal takes a contiguous run of the oldest.
#[track_caller]
fn assert_run(ids: &[u32]) {
    assert!(
        ids.windows(2).all(|w| w[1] == w[0] + 1),
        "a batch steal moves consecutive values, oldest first: {ids:?}"
    );
}

/// A batch steal against the owner's batch push into the same ring: the steal takes the
/// oldest half of whatever it saw, the push stops at a slot the thief still holds.
#[test]
fn steal_batch_vs_push_head_batch() {
    model(None, || {
        let (owner, stealer) = hooks::dequeue_with_start_index::<Val>(2, START).unwrap();
        push_all(&owner, [1, 2]);
        let t = thief(2, 2000, move |mine| {
            let n = stealer.steal_batch(mine);
            assert_eq!(n, 1, "ceil(2 / 2) of the two values");
            None
        });
        after_spawn();
        let mut seen = Vec::new();
        let mut values = [3, 4].into_iter().map(Val::new);
        owner.push_head_batch(&mut values);
        seen.extend(values.map(|v| v.id())); // not pushed: still ours
        let (got, _) = t.join().unwrap();
        assert_eq!(got, [1], "the oldest value");
        seen.extend(got);
        drain(&owner, &mut seen);
        assert_exactly_once(seen, [1, 2, 3, 4]);
        assert_refills(&owner);
    });
}

/// A batch steal against the owner's batch pop: one compare-and-swap on each side decides
/// who gets which values; together they never take more than there is.
#[test]
fn steal_batch_vs_pop_head_batch() {
    model(None, || {
        let (owner, stealer) = hooks::dequeue_with_start_index::<Val>(4, START).unwrap();
        push_all(&owner, [1, 2, 3]);
        let t = thief(4, 2000, move |mine| {
            stealer.steal_batch(mine);
            None
        });
        after_spawn();
        let mut out = Vec::new();
        let popped = owner.pop_head_batch(2, &mut out);
        let mine: Vec<u32> = out.iter().map(Val::id).collect();
        let (got, _) = t.join().unwrap();
        assert_run(&got);
        assert!(
            mine.windows(2).all(|w| w[0] > w[1]),
            "newest first: {mine:?}"
        );
        // Steal first: it takes ceil(3/2) = 2, the pop takes the 1 left. Pop first: it takes 2,
        // the steal ceil(1/2) = 1. Interleaved claims compare the whole word: same two cases.
        assert_eq!(popped + got.len(), 3, "pop {mine:?}, steal {got:?}");
        let mut seen = mine;
        seen.extend(got);
        drain(&owner, &mut seen);
        assert_exactly_once(seen, [1, 2, 3]);
        assert_refills(&owner);
    });
}

/// `steal_batch_and_pop` against the owner's single-value pops, on the last values.
#[test]
fn steal_batch_and_pop_vs_pop_head_batch_on_the_last_values() {
    model(None, || {
        let (owner, stealer) = hooks::dequeue_with_start_index::<Val>(2, START).unwrap();
        push_all(&owner, [1, 2]);
        let t = thief(2, 2000, move |mine| stealer.steal_batch_and_pop(mine));
        after_spawn();
        let mut out = Vec::new();
        owner.pop_head_batch(1, &mut out);
        let mut seen: Vec<u32> = out.iter().map(Val::id).collect();
        let (got, popped) = t.join().unwrap();
        assert!(
            got.is_empty(),
            "ceil(n / 2) <= 1 here: the one stolen is popped"
        );
        assert!(popped.is_some(), "the ring is never empty for the thief");
        seen.extend(popped);
        drain(&owner, &mut seen);
        assert_exactly_once(seen, [1, 2]);
        assert_refills(&owner);
    });
}

/// Two batch stealers on three values: the first takes ceil(3/2) = 2, the second
/// ceil(1/2) = 1, whatever the interleaving; each takes a contiguous run of the oldest.
#[test]
fn two_batch_stealers() {
    model(None, || {
        let (owner, stealer) = hooks::dequeue_with_start_index::<Val>(4, START).unwrap();
        push_all(&owner, [1, 2, 3]);
        let s2 = stealer.clone();
        let a = thief(4, 2000, move |mine| {
            stealer.steal_batch(mine);
            None
        });
        let b = thief(4, 3000, move |mine| {
            s2.steal_batch(mine);
            None
        });
        after_spawn();
        let (a, _) = a.join().unwrap();
        let (b, _) = b.join().unwrap();
        assert_run(&a);
        assert_run(&b);
        let mut sizes = [a.len(), b.len()];
        sizes.sort_unstable();
        assert_eq!(sizes, [1, 2], "halves rounded up: {a:?} {b:?}");
        let mut seen = a;
        seen.extend(b);
        drain(&owner, &mut seen);
        assert_exactly_once(seen, [1, 2, 3]);
        assert_refills(&owner);
    });
}

/// A batch steal against a single steal, into a destination that has room for only one
/// value: the batch never writes past the destination's room.
#[test]
fn steal_batch_into_a_nearly_full_ring_vs_pop_tail() {
    model(None, || {
        let (owner, stealer) = hooks::dequeue_with_start_index::<Val>(4, START).unwrap();
        push_all(&owner, [1, 2, 3, 4]);
        let single = stealer.clone();
        let a = thread::spawn(move || {
            let (mine, my_stealer) = hooks::dequeue_with_start_index::<Val>(2, START).unwrap();
            push_all(&mine, [10]);
            let n = stealer.steal_batch(&mine);
            assert_eq!(n, 1, "room for one");
            let got: Vec<u32> =
                std::iter::from_fn(|| my_stealer.pop_tail().map(|v| v.id())).collect();
            assert_refills_from(&mine, 2000);
            got
        });
        let b = thread::spawn(move || single.pop_tail().map(|v| v.id()));
        after_spawn();
        let a = a.join().unwrap();
        let b = b.join().unwrap();
        assert_eq!(a[0], 10, "the destination's own value stays first");
        let mut seen: Vec<u32> = a[1..].to_vec();
        seen.extend(b);
        drain(&owner, &mut seen);
        assert_exactly_once(seen, [1, 2, 3, 4]);
        assert_refills(&owner);
    });
}

/// The owner steals from its own ring (the oldest values move to the head) while another
/// thief steals: nothing is lost, and the self-steal never writes a slot the other thief or
/// its own claim still holds.
#[test]
fn steal_batch_into_its_own_owner_vs_a_batch_stealer() {
    model(None, || {
        let (owner, stealer) = hooks::dequeue_with_start_index::<Val>(4, START).unwrap();
        push_all(&owner, [1, 2, 3]);
        let other = stealer.clone();
        let t = thief(4, 2000, move |mine| {
            other.steal_batch(mine);
            None
        });
        after_spawn();
        stealer.steal_batch(&owner);
        let (got, _) = t.join().unwrap();
        assert_run(&got);
        let mut seen = got;
        drain(&owner, &mut seen);
        assert_exactly_once(seen, [1, 2, 3]);
        assert_refills(&owner);
    });
}

/// The owner's batch push publishes its slots to a stealer that pops them: no read of a slot
/// before its write is published (the race detector watches every slot), across the wrap.
#[test]
fn push_head_batch_vs_pop_tail_across_the_wrap() {
    model(None, || {
        let (owner, stealer) = hooks::dequeue_with_start_index::<Val>(4, START).unwrap();
        push_all(&owner, [1]);
        let mut out = Vec::new();
        owner.pop_head_batch(1, &mut out); // head and tail now at START + 1 = 2^32 - 1
        drop(out);
        let t = thread::spawn(move || {
            let mut got: Vec<u32> = Vec::new();
            got.extend(stealer.pop_tail().map(|v| v.id()));
            got.extend(stealer.pop_tail().map(|v| v.id()));
            got
        });
        after_spawn();
        push_all(&owner, [2, 3, 4]); // positions 2^32 - 1, 0, 1
        let got = t.join().unwrap();
        assert_run(&got);
        if let Some(&first) = got.first() {
            assert_eq!(first, 2, "the batch is published at once, oldest first");
        }
        let mut seen = got;
        drain(&owner, &mut seen);
        assert_exactly_once(seen, [2, 3, 4]);
        assert_refills(&owner);
    });
}

/// The owner's batch push runs user code (its iterator), which here pops from the same ring,
/// lowering the head below the slot where the batch began, while a thief pops: the batch moves
/// its values down to the head before it publishes them, so no empty slot is published, the
/// thief sees the values in order, and every slot is handed back.
#[test]
fn push_head_batch_with_a_nested_pop_vs_pop_tail() {
    model(None, || {
        let (owner, stealer) = hooks::dequeue_with_start_index::<Val>(4, START).unwrap();
        push_all(&owner, [0, 1]);
        let t = thread::spawn(move || {
            (0..3)
                .filter_map(|_| stealer.pop_tail().map(|v| v.id()))
                .collect::<Vec<u32>>()
        });
        after_spawn();
        let mut nested = Vec::new();
        let mut step = 0;
        let pushed = owner.push_head_batch(&mut std::iter::from_fn(|| {
            step += 1;
            if step == 1 {
                owner.pop_head_batch(1, &mut nested); // a nested pop: the head moves down
            }
            (step <= 2).then(|| Val::new(9 + step))
        }));
        assert_eq!(pushed, 2, "the ring had room for both values");
        let got = t.join().unwrap();
        assert!(
            got.windows(2).all(|w| w[0] < w[1]),
            "the thief takes the values oldest first: {got:?}"
        );
        let mut seen: Vec<u32> = nested.iter().map(Val::id).collect();
        seen.extend(got);
        drain(&owner, &mut seen);
        assert_exactly_once(seen, [0, 1, 10, 11]);
        assert_refills(&owner);
    });
}

/// Workload d' in miniature: the owner pushes while a thief `steal_batch_and_pop`s into its
/// own ring and then pops from it.
#[test]
fn steal_batch_and_pop_into_the_thiefs_ring_while_the_owner_pushes() {
    model(Some(3), || {
        let (owner, stealer) = hooks::dequeue_with_start_index::<Val>(4, START).unwrap();
        push_all(&owner, [1, 2, 3]);
        let t = thread::spawn(move || {
            let (mine, _) = hooks::dequeue_with_start_index::<Val>(2, START).unwrap();
            let mut got: Vec<u32> = Vec::new();
            got.extend(stealer.steal_batch_and_pop(&mine).map(|v| v.id()));
            let mut out = Vec::new();
            mine.pop_head_batch(usize::MAX, &mut out);
            got.extend(out.iter().map(Val::id));
            assert_refills_from(&mine, 2000);
            got
        });
        after_spawn();
        let mut seen = Vec::new();
        let mut values = [4, 5].into_iter().map(Val::new);
        owner.push_head_batch(&mut values);
        seen.extend(values.map(|v| v.id()));
        let got = t.join().unwrap();
        assert!(!got.is_empty(), "the source never looked empty");
        assert_eq!(got[0], 1, "steal_batch_and_pop returns the oldest");
        seen.extend(got);
        drain(&owner, &mut seen);
        assert_exactly_once(seen, [1, 2, 3, 4, 5]);
        assert_refills(&owner);
    });
}

/// A batch steal publishes into a destination whose own stealer is popping it: the
/// destination's slots are written before its head moves past them (the race detector
/// watches every slot), and the destination's stealer sees the moved values oldest first.
#[test]
fn steal_batch_publishes_to_the_destinations_stealer() {
    model(None, || {
        let (owner, stealer) = hooks::dequeue_with_start_index::<Val>(4, START).unwrap();
        push_all(&owner, [1, 2, 3, 4]);
        let (mine, my_stealer) = hooks::dequeue_with_start_index::<Val>(2, START).unwrap();
        let a = thread::spawn(move || {
            let n = stealer.steal_batch(&mine);
            assert_eq!(n, 2, "ceil(4 / 2), and the destination has room for 2");
            mine
        });
        let b = thread::spawn(move || my_stealer.pop_tail().map(|v| v.id()));
        after_spawn();
        let mine = a.join().unwrap();
        let b = b.join().unwrap();
        if let Some(first) = b {
            assert_eq!(first, 1, "the oldest stolen value is the first in line");
        }
        let mut seen: Vec<u32> = b.into_iter().collect();
        drain(&mine, &mut seen);
        drain(&owner, &mut seen);
        assert_exactly_once(seen, [1, 2, 3, 4]);
        assert_refills(&owner);
        assert_refills_from(&mine, 2000);
    });
}

/// A batch steal into a full destination whose stealer is taking its oldest value: the freed
/// index is room only once that stealer has handed its slot back, so the steal never writes a
/// slot still being read.
#[test]
fn steal_batch_waits_for_the_destinations_held_slot() {
    model(None, || {
        let (owner, stealer) = hooks::dequeue_with_start_index::<Val>(2, START).unwrap();
        push_all(&owner, [1, 2]);
        let (mine, my_stealer) = hooks::dequeue_with_start_index::<Val>(2, START).unwrap();
        push_all(&mine, [10, 11]);
        // The destination's stealer starts first, so the exploration begins with its claim
        // before the steal measures the room (loom's DPOR can miss that order otherwise).
        let b = thread::spawn(move || my_stealer.pop_tail().map(|v| v.id()));
        let a = thread::spawn(move || {
            let n = stealer.steal_batch(&mine);
            assert!(n <= 1, "room for at most the one slot freed");
            mine
        });
        after_spawn();
        let mine = a.join().unwrap();
        let b = b.join().unwrap();
        assert_eq!(b, Some(10));
        let mut seen: Vec<u32> = b.into_iter().collect();
        drain(&mine, &mut seen);
        drain(&owner, &mut seen);
        assert_exactly_once(seen, [1, 2, 10, 11]);
        assert_refills(&owner);
        assert_refills_from(&mine, 2000);
    });
}

mod chains {
    //! The chain's batch steal racing the owner's growth and the retirement of a drained ring
    //! (the adversarial reclaimer frees a retired ring at the earliest moment the epoch
    //! allows; touching it afterwards fails the model).
    use super::*;
    use crate::util::chain_thief;
    use poolqueue::chain;

    fn drain(owner: &chain::Owner<Val>, seen: &mut Vec<u32>) {
        let mut out = Vec::new();
        owner.pop_head_batch(usize::MAX, &mut out);
        seen.extend(out.iter().map(Val::id));
        assert!(owner.is_empty());
    }

    /// The owner outgrows its full first ring (linking a second) while a thief batch-steals
    /// from the first: the steal takes the oldest half of what it saw, the push lands in
    /// whichever ring has room, nothing is lost.
    #[test]
    fn chain_steal_batch_vs_growth() {
        model(None, || {
            let (owner, stealer) = hooks::chain_with_first_capacity::<Val>(2, START);
            owner.push_head(Val::new(1));
            owner.push_head(Val::new(2));
            let t = chain_thief(move |mine| {
                let n = stealer.steal_batch(mine);
                assert_eq!(n, 1, "ceil(2 / 2)");
                None
            });
            after_spawn();
            owner.push_head(Val::new(3)); // grows unless the steal released a slot first
            let got = t.join().unwrap();
            assert_eq!(got, [1], "the oldest value");
            let mut seen = got;
            drain(&owner, &mut seen);
            assert_exactly_once(seen, [1, 2, 3]);
        });
    }

    /// Two thieves on a chain whose first ring holds its last value and whose second ring holds
    /// two more: a batch steal and a `steal_batch_and_pop` race; whichever finds the first ring
    /// empty unlinks and retires it while the other may still be inside it.
    #[test]
    fn chain_batch_steals_vs_retirement() {
        model(Some(3), || {
            let (owner, stealer) = hooks::chain_with_first_capacity::<Val>(2, START);
            for id in 0..4 {
                owner.push_head(Val::new(id)); // rings [0, 1] and [2, 3]
            }
            assert_eq!(stealer.pop_tail().map(|v| v.id()), Some(0));
            let other = stealer.clone();
            let a = chain_thief(move |mine| {
                stealer.steal_batch(mine);
                None
            });
            let b = chain_thief(move |mine| other.steal_batch_and_pop(mine));
            after_spawn();
            let a = a.join().unwrap();
            let b = b.join().unwrap();
            assert!(
                !a.is_empty() && !b.is_empty(),
                "three values, two steals: both get some"
            );
            assert_run(&a);
            assert_run(&b);
            let mut seen = a;
            seen.extend(b);
            drain(&owner, &mut seen);
            assert_exactly_once(seen, 1..4);
        });
    }

    /// The owner batch-pops (walking back into the older ring) while a thief batch-steals from
    /// that ring and may retire it.
    #[test]
    fn chain_steal_batch_vs_pop_head_batch_across_rings() {
        model(Some(3), || {
            let (owner, stealer) = hooks::chain_with_first_capacity::<Val>(2, START);
            for id in 0..3 {
                owner.push_head(Val::new(id)); // rings [0, 1] and [2]
            }
            let t = chain_thief(move |mine| {
                stealer.steal_batch(mine);
                None
            });
            after_spawn();
            let mut out = Vec::new();
            owner.pop_head_batch(2, &mut out);
            let mine: Vec<u32> = out.iter().map(Val::id).collect();
            assert!(
                mine.windows(2).all(|w| w[0] > w[1]),
                "newest first: {mine:?}"
            );
            let got = t.join().unwrap();
            assert_run(&got);
            let mut seen = mine;
            seen.extend(got);
            drain(&owner, &mut seen);
            assert_exactly_once(seen, 0..3);
        });
    }

    /// The owner batch-pushes into a full ring whose oldest slot a thief has just claimed and
    /// may still be reading: the index room says one slot is free, but the slot is the
    /// thief's until it hands it back, so the batch must skip it (and outgrow the ring).
    #[test]
    fn chain_push_head_batch_vs_a_stealer_still_reading_the_slot() {
        model(None, || {
            let (owner, stealer) = hooks::chain_with_first_capacity::<Val>(2, START);
            owner.push_head(Val::new(1));
            owner.push_head(Val::new(2)); // the first ring is full
            let t = thread::spawn(move || stealer.pop_tail().map(|v| v.id()));
            after_spawn();
            let pushed = owner.push_head_batch(&mut [3, 4].into_iter().map(Val::new));
            assert_eq!(pushed, 2, "a chain takes every value");
            let got = t.join().unwrap();
            assert_eq!(got, Some(1), "the oldest value");
            let mut seen: Vec<u32> = got.into_iter().collect();
            drain(&owner, &mut seen);
            assert_exactly_once(seen, 1..=4);
        });
    }

    /// A thief batch-steals from an empty chain while the owner fills its first ring and
    /// outgrows it: a steal that found the ring empty must not unlink it unless it saw the
    /// successor *before* finding it empty (the ring may have been filled in between).
    #[test]
    fn chain_steal_batch_on_a_ring_being_filled() {
        model(None, || {
            let (owner, stealer) = hooks::chain_with_first_capacity::<Val>(2, START);
            let t = chain_thief(move |mine| {
                stealer.steal_batch(mine);
                None
            });
            after_spawn();
            for id in 1..=3 {
                owner.push_head(Val::new(id)); // the third links a second ring
            }
            let got = t.join().unwrap();
            assert_run(&got);
            let mut seen = got;
            drain(&owner, &mut seen);
            assert_exactly_once(seen, 1..=3);
        });
    }

    /// The owner links a ring inside the model and batch-pops from the head while one thief's
    /// batch steal swings `tail` to the new ring (retiring the old one) and another thief
    /// enters through `tail`: it learns of the new ring only through that swing or the old
    /// ring's `next`, so both must publish it (the batch steal's own `tail` load acquires).
    #[test]
    fn chain_batch_steal_enters_a_ring_another_thief_swung_to() {
        model(Some(2), || {
            let (owner, stealer) = hooks::chain_with_first_capacity::<Val>(2, START);
            owner.push_head(Val::new(0));
            owner.push_head(Val::new(1)); // the first ring is full
            let s1 = stealer.clone();
            let a = chain_thief(move |mine| {
                s1.steal_batch(mine);
                None
            });
            let b = chain_thief(move |mine| stealer.steal_batch_and_pop(mine));
            after_spawn();
            owner.push_head(Val::new(2)); // links a 4-slot ring
            let mut out = Vec::new();
            owner.pop_head_batch(3, &mut out);
            let mut seen: Vec<u32> = out.iter().map(Val::id).collect();
            seen.extend(a.join().unwrap());
            seen.extend(b.join().unwrap());
            drain(&owner, &mut seen);
            assert_exactly_once(seen, 0..3);
        });
    }

    /// A thief batch-steals into its own chain, whose only ring is full, while the source's
    /// owner pops: the steal links a larger ring in the destination for the room it needs, so
    /// it moves the oldest half of what it saw (2 of 3 or 4 values), not fewer for want of
    /// room.
    #[test]
    fn chain_steal_batch_into_a_full_destination_links_room() {
        model(None, || {
            let (owner, stealer) = hooks::chain_with_first_capacity::<Val>(4, START);
            for id in 0..4 {
                owner.push_head(Val::new(id));
            }
            let t = thread::spawn(move || {
                let (mine, my_stealer) = hooks::chain_with_first_capacity::<Val>(2, u32::MAX - 1);
                mine.push_head(Val::new(100));
                mine.push_head(Val::new(101)); // the destination's ring is full
                let moved = stealer.steal_batch(&mine);
                assert_eq!(moved, 2, "the oldest half of 3 or 4 values");
                let got: Vec<u32> =
                    std::iter::from_fn(|| my_stealer.pop_tail().map(|v| v.id())).collect();
                assert_eq!(got[..2], [100, 101], "the destination's own values first");
                assert_run(&got[2..]);
                got
            });
            after_spawn();
            let mut out = Vec::new();
            owner.pop_head_batch(1, &mut out);
            let mut seen: Vec<u32> = out.iter().map(Val::id).collect();
            seen.extend(t.join().unwrap());
            drain(&owner, &mut seen);
            assert_exactly_once(seen, (0..4).chain(100..102));
        });
    }

    /// A value too large to share a chunk (one value per chunk, so a batch of three is three
    /// chunks).
    #[derive(Debug)]
    struct Large {
        val: Val,
        _bytes: [u8; 300],
    }

    /// The owner batch-pushes three large values, one chunk each, into a chain whose 2-slot
    /// first ring holds one value, while a thief pops: every chunk is published (the third
    /// outgrows the ring), and every value comes out once.
    #[test]
    fn chain_push_head_batch_of_one_value_chunks_vs_a_stealer() {
        model(None, || {
            let large = |id| Large {
                val: Val::new(id),
                _bytes: [0; 300],
            };
            let (owner, stealer) = hooks::chain_with_first_capacity::<Large>(2, START);
            owner.push_head(large(0));
            let t = thread::spawn(move || {
                (0..2)
                    .filter_map(|_| stealer.pop_tail().map(|l| l.val.id()))
                    .collect::<Vec<u32>>()
            });
            after_spawn();
            let pushed = owner.push_head_batch(&mut (1..4).map(large));
            assert_eq!(pushed, 3, "a chain takes every value");
            let mut seen = t.join().unwrap();
            let mut out = Vec::new();
            owner.pop_head_batch(usize::MAX, &mut out);
            seen.extend(out.iter().map(|l| l.val.id()));
            assert_exactly_once(seen, 0..4);
        });
    }
}
