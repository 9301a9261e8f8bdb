//! Shuttle campaign for the batch operations on the bounded ring (`dequeue`): the owner runs
//! random batch pushes and batch pops while 2-3 stealers mix `pop_tail`, `steal_batch_with_limit`
//! and `steal_batch_and_pop` into rings of their own, on source rings of 4 or 8 slots whose
//! indices start just below 2^32, under PCT (depth 2 and 3) and random schedules.
//!
//! Every execution checks P1/P2 (each value pushed comes out exactly once), P3 (the whole
//! history is linearizable against the bounded deque specification extended with batches: a
//! batch push is `k` `push_head`s in a row, a batch pop `k` `pop_head`s, a batch steal `k`
//! `pop_tail`s with `1 <= k <= ceil(len/2)`, see `lincheck`), P5 (every value dropped once) and
//! P6 (bounded steps). A failure prints shuttle's schedule; replay it with
//! `POOLQUEUE_SHUTTLE_REPLAY='<schedule>' cargo test --features shuttle -- batch::replay
//! --ignored --nocapture`.

use crate::harness::{self, Campaign, Stats};
use crate::support::values::{self, Item, Ledger};
use lincheck::{Ids, Log, Op, Ret, Spec};
use poolqueue::__test_hooks as hooks;
use poolqueue::dequeue;
use shuttle::rand::{thread_rng, Rng};
use shuttle::thread;

const PROPERTIES: &str = "P1,P2,P3,P5,P6";
const DEFAULT_ITERS: usize = 5_000;

/// Moves what a steal put into the thief's ring out again (oldest first) and reports the ids,
/// after `first` (the value `steal_batch_and_pop` returned).
fn taken(first: Option<Item>, mine: &dequeue::Stealer<Item>, got: &mut Vec<Item>) -> Ret {
    let mut ids = Vec::new();
    for v in first
        .into_iter()
        .chain(std::iter::from_fn(|| mine.pop_tail()))
    {
        ids.push(v.id());
        got.push(v);
    }
    Ret::Taken(Ids::new(&ids))
}

fn scenario(stats: &Stats) {
    let mut rng = thread_rng();
    let capacity = if rng.gen_bool(0.5) { 4 } else { 8 };
    let start = u32::MAX - rng.gen_range(0..2 * capacity as u32);
    let stealers = rng.gen_range(2..=3usize);
    let owner_calls = rng.gen_range(8..=16usize);
    let clock = harness::clock();
    let drops = Ledger::new();
    let (owner, stealer) = hooks::dequeue_with_start_index::<Item>(capacity, start).unwrap();

    let thieves: Vec<_> = (0..stealers)
        .map(|t| {
            let s = stealer.clone();
            let clock = clock.clone();
            let calls = rng.gen_range(3..=8usize);
            let kinds: Vec<u32> = (0..calls).map(|_| rng.gen_range(0..4)).collect();
            thread::spawn(move || {
                // The thief's own ring: room for half of any source, emptied after each steal.
                let (mine, my_stealer) = dequeue::new::<Item>(8).unwrap();
                let mut log = Log::new(clock, t + 1);
                let mut got = Vec::new();
                for kind in kinds {
                    match kind {
                        0 => {
                            log.call(Op::PopTail, || values::keep(&mut got, s.pop_tail()));
                        }
                        1 => {
                            log.call(Op::StealBatch(u32::MAX), || {
                                let first = s.steal_batch_and_pop(&mine);
                                taken(first, &my_stealer, &mut got)
                            });
                        }
                        limit => {
                            let limit = if limit == 2 { 1 } else { 8 };
                            log.call(Op::StealBatch(limit), || {
                                s.steal_batch_with_limit(&mine, limit as usize);
                                taken(None, &my_stealer, &mut got)
                            });
                        }
                    }
                }
                (log.into_calls(), got)
            })
        })
        .collect();

    let mut log = Log::new(clock.clone(), 0);
    let mut next_id = 0u64;
    let mut pushed = Vec::new();
    let mut popped: Vec<Item> = Vec::new();
    let pop_batch = |log: &mut Log<_>, max: u32, popped: &mut Vec<Item>| {
        log.call(Op::PopHeadBatch(max), || {
            let mut out = Vec::new();
            owner.pop_head_batch(max as usize, &mut out);
            let ids: Vec<u64> = out.iter().map(Item::id).collect();
            popped.extend(out);
            Ret::Taken(Ids::new(&ids))
        })
    };
    for _ in 0..owner_calls {
        if rng.gen_bool(0.6) {
            let first = next_id;
            let n = rng.gen_range(1..=4u32);
            log.call(Op::PushHeadBatch { first, n }, || {
                // Values are made only when the ring asks for them.
                let mut values = (first..first + u64::from(n)).map(|id| Item::new(id, &drops));
                let k = owner.push_head_batch(&mut values);
                pushed.extend(first..first + k as u64);
                next_id = first + k as u64;
                Ret::PushedN(k as u32)
            });
        } else {
            let max = rng.gen_range(1..=4u32);
            pop_batch(&mut log, max, &mut popped);
        }
    }
    let mut history = Vec::new();
    harness::join_thieves(thieves, &mut history, &mut popped);
    // Drain (part of the history, so the final state is checked too).
    while pop_batch(&mut log, 8, &mut popped) != Ret::Taken(Ids::new(&[])) {}
    history.extend(log.into_calls());
    Stats::add(&stats.values, next_id);

    let verdict = harness::verdict(
        Spec::Bounded { capacity },
        &pushed,
        &popped,
        &history,
        stats,
    );
    let (owner, stealer, popped) = values::fail_on(verdict, (owner, stealer, popped));

    // Values left in the ring when the last handle goes are dropped there, once.
    let leftover = rng.gen_range(0..=capacity as u64);
    let mut values = (next_id..next_id + leftover).map(|id| Item::new(id, &drops));
    assert_eq!(owner.push_head_batch(&mut values), leftover as usize);
    next_id += leftover;
    drop((owner, stealer));
    drop(popped);
    drops.assert_each_dropped_once(0..next_id);
}

const CAMPAIGN: Campaign = Campaign {
    name: "dequeue-batch",
    properties: PROPERTIES,
    default_iters: DEFAULT_ITERS,
    scenario,
};

#[test]
fn batch_pct_depth_2() {
    CAMPAIGN.pct(2);
}

#[test]
fn batch_pct_depth_3() {
    CAMPAIGN.pct(3);
}

#[test]
fn batch_random() {
    CAMPAIGN.random();
}

#[test]
fn batch_uniform_random_walk() {
    CAMPAIGN.uniform();
}

/// Re-runs one schedule printed by a failing run (see the module docs).
#[test]
#[ignore = "needs POOLQUEUE_SHUTTLE_REPLAY"]
fn replay() {
    CAMPAIGN.replay();
}
