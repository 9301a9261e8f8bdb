//! Shuttle campaign for the chain of rings: one owner and 2–4 stealers run random programs of a
//! few dozen calls, enough pushes to link a second and third ring and enough steals to drain and
//! retire the first, with every ring's indices starting just below 2^32, under PCT (depth 2 and
//! 3) and uniformly random schedules.
//!
//! Every execution checks P1/P2 by identity, P3 (the history, drain included, against the
//! unbounded deque specification) and exactly-once drops of every value, including those left in
//! the rings when the last handle goes (P5 for values; ring memory is covered by loom's leak
//! tracker and Miri). P6: every execution finishes within `harness::MAX_STEPS` scheduling
//! steps. The summary counts the executions in which the chain grew and in which a
//! stealer retired a ring while the owner was still running, and the tests fail if either never
//! happens (the interesting paths must be reached).
//!
//! Beside the campaign: a pool's round of traffic (batch spills and refills), repeated after a
//! stealer took values in the first, allocates no ring once the shrink policy has settled.
//!
//! Replay a failing schedule with `POOLQUEUE_SHUTTLE_REPLAY='<schedule>' cargo test --features
//! shuttle --test shuttle chain::replay -- --ignored --nocapture`.

use std::sync::atomic::Ordering;

use crate::harness::{self, Campaign, Stats};
use crate::support::values::{self, Item, Ledger};
use lincheck::{Log, Op, Ret, Spec};
use poolqueue::__test_hooks as hooks;
use poolqueue::chain;
use shuttle::rand::{thread_rng, Rng};
use shuttle::thread;

const PROPERTIES: &str = "P1,P2,P3,P5,P6";
const DEFAULT_ITERS: usize = 5_000;

fn scenario(stats: &Stats) {
    let mut rng = thread_rng();
    let start = u32::MAX - rng.gen_range(0..12u32);
    let stealers = rng.gen_range(2..=4usize);
    let owner_calls = rng.gen_range(16..=36usize);
    let clock = harness::clock();
    let drops = Ledger::new();
    let (mut owner, stealer) = hooks::chain_with_start_index::<Item>(start);
    let mut log = Log::new(clock.clone(), 0);
    let mut next_id = 0u64;
    let mut pushed = Vec::new();
    let mut popped: Vec<Item> = Vec::new();
    let mut push = |owner: &mut chain::Owner<Item>, log: &mut Log<_>, next_id: &mut u64| {
        let id = *next_id;
        *next_id += 1;
        let item = Item::new(id, &drops);
        log.call(Op::PushHead(id), || {
            owner.push_head(item);
            Ret::Pushed
        });
        pushed.push(id);
    };
    // A head start for the owner: with many stealers a uniformly random schedule runs the owner
    // rarely, and the chain would hardly ever outgrow its first ring before they drain it.
    for _ in 0..rng.gen_range(0..=14) {
        push(&mut owner, &mut log, &mut next_id);
    }

    let thieves: Vec<_> = (0..stealers)
        .map(|t| {
            let s = stealer.clone();
            let clock = clock.clone();
            // Steal until `want` values came out or after `attempts` calls: stealers that gave
            // up on an empty chain early would rarely see a ring drained for good.
            let want = rng.gen_range(4..=10usize);
            let attempts = 40;
            thread::spawn(move || {
                let mut log = Log::new(clock, t + 1);
                let mut got = Vec::new();
                for _ in 0..attempts {
                    if got.len() == want {
                        break;
                    }
                    log.call(Op::PopTail, || values::keep(&mut got, s.pop_tail()));
                }
                (log.into_calls(), got)
            })
        })
        .collect();

    for _ in 0..owner_calls {
        if rng.gen_bool(0.75) {
            push(&mut owner, &mut log, &mut next_id);
        } else {
            log.call(Op::PopHead, || values::keep(&mut popped, owner.pop_head()));
        }
    }
    let mut history = Vec::new();
    harness::join_thieves(thieves, &mut history, &mut popped);
    let rings = owner.ring_capacities();
    let grew = rings.len() > 1 || rings[0] != chain::FIRST_RING_CAPACITY;
    let retired = rings[0] != chain::FIRST_RING_CAPACITY;
    Stats::add(&stats.grew, grew as u64);
    Stats::add(&stats.retired, retired as u64);
    values::drain_logged(
        &mut log,
        &mut popped,
        || stealer.pop_tail(),
        || owner.pop_head(),
    );
    history.extend(log.into_calls());
    Stats::add(&stats.values, next_id);

    let verdict = harness::verdict(Spec::Unbounded, &pushed, &popped, &history, stats);
    let (owner, stealer, popped) = values::fail_on(verdict, (owner, stealer, popped));

    // Leave values in several rings for the drop of the last handle.
    let leftover = rng.gen_range(0..=20u64);
    for _ in 0..leftover {
        owner.push_head(Item::new(next_id, &drops));
        next_id += 1;
    }
    drop((owner, stealer));
    drop(popped);
    drops.assert_each_dropped_once(0..next_id);
}

/// The paths that matter were reached at least once.
fn assert_reached(stats: &Stats) {
    assert!(
        stats.grew.load(Ordering::Relaxed) > 0,
        "the chain never grew"
    );
    assert!(
        stats.retired.load(Ordering::Relaxed) > 0,
        "no ring was ever retired while the owner ran"
    );
}

const CAMPAIGN: Campaign = Campaign {
    name: "chain",
    properties: PROPERTIES,
    default_iters: DEFAULT_ITERS,
    scenario,
};

#[test]
fn chain_pct_depth_2() {
    assert_reached(CAMPAIGN.pct(2));
}

#[test]
fn chain_pct_depth_3() {
    assert_reached(CAMPAIGN.pct(3));
}

#[test]
fn chain_random() {
    assert_reached(CAMPAIGN.random());
}

#[test]
fn chain_uniform_random_walk() {
    assert_reached(CAMPAIGN.uniform());
}

/// The scenario is deterministic given its schedule, so printed schedules replay.
#[test]
fn chain_schedules_replay_deterministically() {
    CAMPAIGN.determinism();
}

/// Re-runs one schedule printed by a failing run (see the module docs).
#[test]
#[ignore = "needs POOLQUEUE_SHUTTLE_REPLAY"]
fn replay() {
    CAMPAIGN.replay();
}

/// One round of a pool's traffic on its own chain: five batch pushes of 16 values (a full
/// stash's spills), then batch pops of 16 (its refills) until the chain is empty. Returns how
/// many values the owner popped.
fn spill_and_refill_round(owner: &chain::Owner<u64>) -> usize {
    for spill in 0..5 {
        owner.push_head_batch(&mut (16 * spill..16 * spill + 16));
    }
    let mut popped = 0;
    loop {
        let n = owner.pop_head_batch(16, &mut Vec::new());
        if n == 0 {
            return popped;
        }
        popped += n;
    }
}

/// The shrink policy in a steady state: the same round, repeated, with a stealer taking values
/// during the first, allocates no ring after the third round, not even one of the size of the
/// ring it would replace. (The first round grows the chain and the second sizes its head ring;
/// rings the stealer unlinked in the first delay that by a round. Each window is measured from
/// its own start: a window restarted at every empty find, with a peak of the head ring only,
/// settles a round or two later.)
fn steady_rounds_scenario() {
    let (owner, stealer) = hooks::chain_with_start_index::<u64>(u32::MAX - 3);
    let thief = thread::spawn(move || (0..3).filter_map(|_| stealer.pop_tail()).count());
    let popped = spill_and_refill_round(&owner);
    let stolen = thief.join().unwrap();
    assert_eq!(
        popped + stolen,
        80,
        "every value of the first round came out once"
    );
    spill_and_refill_round(&owner);
    spill_and_refill_round(&owner);
    let settled = owner.rings_allocated();
    for round in 3..9 {
        assert_eq!(spill_and_refill_round(&owner), 80);
        assert_eq!(
            owner.rings_allocated(),
            settled,
            "round {round} allocated a ring ({settled} rings after the third)"
        );
    }
}

#[test]
fn chain_steady_rounds_allocate_no_ring_random() {
    shuttle::check_random(steady_rounds_scenario, if cfg!(miri) { 10 } else { 500 });
}

#[test]
fn chain_steady_rounds_allocate_no_ring_pct() {
    shuttle::check_pct(steady_rounds_scenario, if cfg!(miri) { 10 } else { 500 }, 3);
}
