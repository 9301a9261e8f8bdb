//! Shuttle campaign for the worker: one owner pushes, pops and flushes while 2–3 thieves take
//! single values and batches (into workers of their own), with `k` from 0 to 4 and every ring's
//! indices just below 2^32, under PCT (depth 2 and 3) and uniformly random schedules.
//!
//! Every execution checks P1/P2 by identity, P3 (the history, final drain included, against the
//! worker's specification `lincheck::Spec::Worker`: publication only by overflow, an answered
//! request or a flush, always of the oldest private values) and exactly-once drops of every
//! value, those left in the worker when the last handle goes included. The tests fail if no
//! execution ever saw the owner answer a request (the handshake must be reached).
//!
//! Replay a failing schedule with `POOLQUEUE_SHUTTLE_REPLAY='<schedule>' cargo test --features
//! shuttle --test shuttle worker::replay -- --ignored --nocapture`.

use std::sync::atomic::Ordering;

use crate::fuzz_harness::answered;
use crate::harness::{self, Campaign, Stats};
use crate::support::values::{self, Item, Ledger};
use lincheck::{Ids, Log, Op, Ret, Spec};
use poolqueue::__test_hooks as hooks;
use poolqueue::worker;
use shuttle::rand::{thread_rng, Rng};
use shuttle::thread;

const PROPERTIES: &str = "P1,P2,P3,P5,P6";
const DEFAULT_ITERS: usize = 4_000;

/// A thief's batch steal into a worker of its own (`k = 0`), logged as one `StealBatch`: the
/// popped value, then the moved ones, oldest first (drained from its own worker inside the
/// call, so the history sees what the steal took from the source).
fn steal_batch_logged<C: lincheck::Clock>(
    log: &mut Log<C>,
    stealer: &worker::Stealer<Item>,
    mine: &(worker::Owner<Item>, worker::Stealer<Item>),
    got: &mut Vec<Item>,
) {
    log.call(Op::StealBatch(u32::MAX), || {
        let mut taken: Vec<Item> = stealer.steal_batch_and_pop(&mine.0).into_iter().collect();
        taken.extend(std::iter::from_fn(|| mine.1.pop_tail()));
        let ids: Vec<u64> = taken.iter().map(Item::id).collect();
        got.extend(taken);
        Ret::Taken(Ids::new(&ids))
    });
}

fn scenario(stats: &Stats) {
    let mut rng = thread_rng();
    let k = rng.gen_range(0..=4usize);
    let start = u32::MAX - rng.gen_range(0..12u32);
    let thieves_n = rng.gen_range(2..=3usize);
    let owner_calls = rng.gen_range(12..=30usize);
    let clock = harness::clock();
    let drops = Ledger::new();
    let (owner, stealer) = hooks::worker_with_start_index::<Item>(k, start);
    let mut log = Log::new(clock.clone(), 0);
    let mut next_id = 0u64;
    let mut pushed = Vec::new();
    let mut popped: Vec<Item> = Vec::new();

    let thieves: Vec<_> = (0..thieves_n)
        .map(|t| {
            let s = stealer.clone();
            let clock = clock.clone();
            let want = rng.gen_range(2..=6usize);
            let batches = rng.gen_bool(0.5);
            thread::spawn(move || {
                let mut log = Log::new(clock, t + 1);
                let mine = worker::with_private::<Item>(0);
                let mut got = Vec::new();
                for _ in 0..20 {
                    if got.len() >= want {
                        break;
                    }
                    if batches {
                        steal_batch_logged(&mut log, &s, &mine, &mut got);
                    } else {
                        log.call(Op::PopTail, || values::keep(&mut got, s.pop_tail()));
                    }
                }
                (log.into_calls(), got)
            })
        })
        .collect();

    let mut answers = 0u64;
    for _ in 0..owner_calls {
        // P6 (a request the owner's call sees is answered) is checked inside the calls
        // (`fuzz_harness::answered`); `asked` only counts the answers for the report.
        let asked = hooks::worker_request_pending(&owner);
        let before = stealer.len();
        match rng.gen_range(0..20) {
            0..=11 => {
                let item = Item::new(next_id, &drops);
                log.call(Op::PushHead(next_id), || {
                    answered::push_head(&owner, item);
                    Ret::Pushed
                });
                pushed.push(next_id);
                next_id += 1;
            }
            12..=17 => {
                log.call(Op::PopHead, || {
                    values::keep(&mut popped, answered::pop_head(&owner))
                });
            }
            _ => {
                log.call(Op::Flush, || {
                    owner.flush();
                    Ret::Done
                });
            }
        }
        answers += u64::from(asked && stealer.len() > before);
    }
    Stats::add(&stats.retired, answers);
    let mut history = Vec::new();
    harness::join_thieves(thieves, &mut history, &mut popped);
    values::drain_logged(
        &mut log,
        &mut popped,
        || stealer.pop_tail(),
        || owner.pop_head(),
    );
    history.extend(log.into_calls());
    Stats::add(&stats.values, next_id);

    let verdict = harness::verdict(
        Spec::Worker { private: k },
        &pushed,
        &popped,
        &history,
        stats,
    );
    let (owner, stealer, popped) = values::fail_on(verdict, (owner, stealer, popped));

    // Leave values, private and published, for the drop of the last handle.
    for _ in 0..rng.gen_range(0..=8u64) {
        owner.push_head(Item::new(next_id, &drops));
        next_id += 1;
    }
    drop((owner, stealer));
    drop(popped);
    drops.assert_each_dropped_once(0..next_id);
}

/// Some execution saw the owner answer a pending request.
fn assert_reached(stats: &Stats) {
    assert!(
        stats.retired.load(Ordering::Relaxed) > 0,
        "the owner never answered a request"
    );
}

const CAMPAIGN: Campaign = Campaign {
    name: "worker",
    properties: PROPERTIES,
    default_iters: DEFAULT_ITERS,
    scenario,
};

#[test]
fn worker_pct_depth_2() {
    assert_reached(CAMPAIGN.pct(2));
}

#[test]
fn worker_pct_depth_3() {
    assert_reached(CAMPAIGN.pct(3));
}

#[test]
fn worker_random() {
    assert_reached(CAMPAIGN.random());
}

#[test]
fn worker_uniform_random_walk() {
    assert_reached(CAMPAIGN.uniform());
}

/// The scenario is deterministic given its schedule, so printed schedules replay.
#[test]
fn worker_schedules_replay_deterministically() {
    CAMPAIGN.determinism();
}

/// Re-runs one schedule printed by a failing run (see the module docs).
#[test]
#[ignore = "needs POOLQUEUE_SHUTTLE_REPLAY"]
fn replay() {
    CAMPAIGN.replay();
}
