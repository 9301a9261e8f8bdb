//! Loom models of the worker's request handshake: the owner's operations against one and two
//! thieves, a request raised while the owner publishes, `flush` and the owner's drop racing a
//! steal, and a sleeping stealer on an `EventCount` whose request is answered. Each model checks
//! that every value comes out exactly once; the handshake models also check that no request is
//! lost, and the sleeper model that the sleeper is woken (a lost wake-up is a loom deadlock).
//!
//! Workers here keep 2 or 4 values private over a chain whose first ring has 2 slots and whose
//! indices start just short of 2^32, so publications grow the chain and cross the wrap.

use crate::util::{after_spawn, assert_exactly_once, model, two_stealers_and_the_owner, Val};
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::Arc;
use loom::thread;
use poolqueue::__test_hooks as hooks;
use poolqueue::{worker, EventCount};

const START: u32 = u32::MAX - 1;

/// A worker that keeps `k` values private, holding `ids` (pushed in order, none published).
fn holding(k: usize, ids: std::ops::Range<u32>) -> (worker::Owner<Val>, worker::Stealer<Val>) {
    let (owner, stealer) = hooks::worker_with_first_capacity::<Val>(k, 2, START);
    for id in ids {
        owner.push_head(Val::new(id));
    }
    (owner, stealer)
}

/// Everything still in the worker, after the threads joined: flushed, then taken by a stealer.
fn drain(owner: worker::Owner<Val>, stealer: &worker::Stealer<Val>) -> Vec<u32> {
    owner.flush();
    drop(owner);
    std::iter::from_fn(|| stealer.pop_tail().map(|v| v.id())).collect()
}

/// The owner pops twice while two thieves each take one value: one value published by the
/// overflow (`k = 2`, three pushes), two private. A thief that finds nothing asks, and the
/// owner's pops may answer (publishing the older of two), so every interleaving of a publication
/// with the steals is explored.
#[test]
fn owner_pops_while_two_thieves_steal_and_ask() {
    model(Some(3), || {
        let (owner, stealer) = holding(2, 0..3);
        let mut seen =
            two_stealers_and_the_owner(&stealer, worker::Stealer::pop_tail, || owner.pop_head());
        seen.extend(owner.pop_head().map(|v| v.id()));
        seen.extend(drain(owner, &stealer));
        assert_exactly_once(seen, 0..3);
    });
}

/// A thief that found nothing published asked; the owner's push answers (clear, then publish
/// the oldest two of five) while the thief takes what it finds, stopping at its first miss. If
/// the thief's last look missed while the owner still holds two or more values and nothing is
/// published, its request must still be pending: otherwise nobody would ever publish them for
/// it. (Clearing the request after the publication instead of before loses it.)
#[test]
fn a_request_raised_while_the_owner_publishes_is_not_lost() {
    model(Some(3), || {
        let (owner, stealer) = holding(4, 0..4);
        assert!(stealer.pop_tail().is_none(), "nothing is published yet");
        assert!(hooks::worker_request_pending(&owner));
        let thief = {
            let stealer = stealer.clone();
            thread::spawn(move || {
                let mut got = Vec::new();
                for _ in 0..3 {
                    match stealer.pop_tail() {
                        Some(v) => got.push(v.id()),
                        None => return (got, true),
                    }
                }
                (got, false)
            })
        };
        after_spawn();
        owner.push_head(Val::new(4));
        let (mut seen, missed_last) = thief.join().unwrap();
        let private = owner.len() - stealer.len();
        if missed_last && stealer.is_empty() && private >= 2 {
            assert!(
                hooks::worker_request_pending(&owner),
                "the thief found nothing while the owner holds {private} private values, \
                 and its request is gone"
            );
        }
        seen.extend(drain(owner, &stealer));
        assert_exactly_once(seen, 0..5);
    });
}

/// `flush` races a thief's batch steal into a worker of its own: the thief sees nothing, or a
/// prefix of the flushed values, oldest first.
#[test]
fn flush_races_a_batch_steal() {
    model(Some(3), || {
        let (owner, stealer) = holding(4, 0..3);
        let thief = {
            let stealer = stealer.clone();
            thread::spawn(move || {
                let (mine, _) = hooks::worker_with_first_capacity::<Val>(0, 2, START);
                let mut got: Vec<u32> = stealer
                    .steal_batch_and_pop(&mine)
                    .map(|v| v.id())
                    .into_iter()
                    .collect();
                let rest = mine.stealer();
                got.extend(std::iter::from_fn(|| rest.pop_tail().map(|v| v.id())));
                got
            })
        };
        after_spawn();
        owner.flush();
        let got = thief.join().unwrap();
        assert!(
            got.iter().copied().eq(0..got.len() as u32),
            "a thief takes the oldest values, in order: {got:?}"
        );
        let mut seen = got;
        seen.extend(std::iter::from_fn(|| owner.pop_head().map(|v| v.id())));
        seen.extend(drain(owner, &stealer));
        assert_exactly_once(seen, 0..3);
    });
}

/// The owner is dropped while a thief steals: the drop publishes the private values, so the
/// thief and the stealer left behind take every value (a value left private at the drop is
/// lost, which loom reports as a leak and the count as a loss).
#[test]
fn owner_drop_races_a_steal() {
    model(Some(3), || {
        let (owner, stealer) = holding(4, 0..3);
        let thief = {
            let stealer = stealer.clone();
            thread::spawn(move || {
                (0..2)
                    .filter_map(|_| stealer.pop_tail().map(|v| v.id()))
                    .collect::<Vec<_>>()
            })
        };
        after_spawn();
        drop(owner);
        let mut seen = thief.join().unwrap();
        seen.extend(std::iter::from_fn(|| stealer.pop_tail().map(|v| v.id())));
        assert_exactly_once(seen, 0..3);
    });
}

/// A stealer sleeps on an `EventCount` while the owner holds two private values. Its search for
/// work leaves a request and then tells the owner it looked; the owner's next `push_head_notify`
/// must answer (publish the oldest of three) and wake it. A request the owner ignores, or an
/// answer without a notify, leaves the sleeper asleep for good: a loom deadlock.
#[test]
fn a_sleepers_request_is_answered_and_wakes_it() {
    model(Some(3), || {
        let event = Arc::new(EventCount::new());
        let looked = Arc::new(AtomicBool::new(false));
        let (owner, stealer) = holding(4, 0..2);
        let sleeper = {
            let (event, looked, stealer) = (event.clone(), looked.clone(), stealer.clone());
            thread::spawn(move || {
                event
                    .wait_until(|| {
                        let found = stealer.pop_tail();
                        if found.is_none() {
                            // Release: the request was raised before (pairs with the owner's
                            // Acquire load).
                            looked.store(true, Ordering::Release);
                        }
                        found
                    })
                    .map(|v| v.id())
            })
        };
        after_spawn();
        // Acquire: sees the request the sleeper raised before it said it looked.
        while !looked.load(Ordering::Acquire) {
            thread::yield_now();
        }
        owner.push_head_notify(Val::new(2), &event);
        let mut seen: Vec<u32> = sleeper.join().unwrap().into_iter().collect();
        assert_eq!(seen, [0], "the sleeper takes the oldest value");
        seen.extend(drain(owner, &stealer));
        assert_exactly_once(seen, 0..3);
    });
}
