//! Shuttle campaign for the bounded ring (`dequeue`): one owner and 2–5 stealers run random
//! programs of a few dozen calls on rings of 2 or 4 slots whose indices start just below 2^32,
//! under PCT (depth 2 and 3) and uniformly random schedules.
//!
//! Every execution checks
//! - P1/P2: each value the owner pushed successfully is popped exactly once (by identity), a value
//!   handed back as "full" is the one pushed and is never popped;
//! - P3: the whole history (concurrent part and the final drain) is linearizable against the
//!   bounded deque specification, including "full while a stealer still holds the slot";
//! - P5 (drops): every value, including those left in the ring when the last handle goes, is
//!   dropped exactly once.
//! - P6 (progress): every execution finishes within `harness::MAX_STEPS` scheduling steps;
//!   a livelocked one fails with its schedule.
//!
//! A failure prints shuttle's schedule string; replay it with
//! `POOLQUEUE_SHUTTLE_REPLAY='<schedule>' cargo test --features shuttle --test shuttle
//! dequeue::replay -- --ignored --nocapture`. Knobs: `POOLQUEUE_SHUTTLE_ITERS` (executions per scheduler),
//! `POOLQUEUE_SHUTTLE_SEED`.

use crate::harness::{self, Campaign, Stats};
use crate::support::values::{self, Item, Ledger};
use lincheck::{Log, Op, Spec};
use poolqueue::__test_hooks as hooks;
use shuttle::rand::{thread_rng, Rng};
use shuttle::thread;

const PROPERTIES: &str = "P1,P2,P3,P5,P6";
const DEFAULT_ITERS: usize = 10_000;

/// One execution: parameters and programs come from shuttle's random source, so a schedule
/// string replays them too.
fn scenario(stats: &Stats) {
    let mut rng = thread_rng();
    let capacity = if rng.gen_bool(0.5) { 2 } else { 4 };
    let start = u32::MAX - rng.gen_range(0..2 * capacity as u32);
    let stealers = rng.gen_range(2..=5usize);
    let owner_calls = rng.gen_range(16..=32usize);
    let clock = harness::clock();
    let drops = Ledger::new();
    let (owner, stealer) = hooks::dequeue_with_start_index::<Item>(capacity, start).unwrap();

    let thieves: Vec<_> = (0..stealers)
        .map(|t| {
            let s = stealer.clone();
            let clock = clock.clone();
            let calls = rng.gen_range(4..=12usize);
            thread::spawn(move || {
                let mut log = Log::new(clock, t + 1);
                let mut got = Vec::new();
                for _ in 0..calls {
                    log.call(Op::PopTail, || values::keep(&mut got, s.pop_tail()));
                }
                (log.into_calls(), got)
            })
        })
        .collect();

    let mut log = Log::new(clock.clone(), 0);
    let mut next_id = 0u64;
    let mut pushed = Vec::new();
    let mut popped: Vec<Item> = Vec::new();
    let mut handed_back = Vec::new();
    for _ in 0..owner_calls {
        if rng.gen_bool(0.6) {
            let item = Item::new(next_id, &drops);
            next_id += 1;
            let push = |item: Item| owner.push_head(item);
            values::push_logged(&mut log, item, push, &mut pushed, &mut handed_back);
        } else {
            log.call(Op::PopHead, || values::keep(&mut popped, owner.pop_head()));
        }
    }
    let mut history = Vec::new();
    harness::join_thieves(thieves, &mut history, &mut popped);
    // Drain through both ends; these calls are part of the history, so the final state is
    // checked too.
    values::drain_logged(
        &mut log,
        &mut popped,
        || stealer.pop_tail(),
        || owner.pop_head(),
    );
    history.extend(log.into_calls());
    Stats::add(&stats.full, handed_back.len() as u64);
    Stats::add(&stats.values, next_id);

    let verdict = harness::verdict(
        Spec::Bounded { capacity },
        &pushed,
        &popped,
        &history,
        stats,
    );
    let (owner, stealer, popped, handed_back) =
        values::fail_on(verdict, (owner, stealer, popped, handed_back));

    // Values still in the ring when the last handle goes are dropped there, once.
    let leftover = rng.gen_range(0..=capacity);
    for _ in 0..leftover {
        let item = Item::new(next_id, &drops);
        next_id += 1;
        assert!(owner.push_head(item).is_ok(), "the drained ring has room");
    }
    drop((owner, stealer));
    drop((popped, handed_back));
    drops.assert_each_dropped_once(0..next_id);
}

const CAMPAIGN: Campaign = Campaign {
    name: "dequeue",
    properties: PROPERTIES,
    default_iters: DEFAULT_ITERS,
    scenario,
};

#[test]
fn dequeue_pct_depth_2() {
    CAMPAIGN.pct(2);
}

#[test]
fn dequeue_pct_depth_3() {
    CAMPAIGN.pct(3);
}

#[test]
fn dequeue_random() {
    CAMPAIGN.random();
}

#[test]
fn dequeue_uniform_random_walk() {
    CAMPAIGN.uniform();
}

/// The scenario is deterministic given its schedule, so printed schedules replay.
#[test]
fn dequeue_schedules_replay_deterministically() {
    CAMPAIGN.determinism();
}

/// Re-runs one schedule printed by a failing run (see the module docs).
#[test]
#[ignore = "needs POOLQUEUE_SHUTTLE_REPLAY"]
fn replay() {
    CAMPAIGN.replay();
}
