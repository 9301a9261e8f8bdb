//! Model-based property test of the pool's lifecycle across threads: random sequences of gets,
//! returns, detaches, puts, guards dropped while their thread panics, thread exits and
//! releases, run one at a time on a few worker threads (so the run is sequential and the
//! model exact where the docs are), against a model of generations. Each case picks a
//! `max_idle` bound, a `max_idle_bytes` budget or neither; the pool has a `retain` rule and a
//! reset hook that panics for some values. Checked after every step:
//!
//! - a get hands out an idle value (of either generation) or a new one, never a value held by
//!   another user, detached or dropped; a local get never a victim, and it never counts a steal
//!   or a victim hit;
//! - a return or put drops the value exactly when the rules say so (`retain` rejects it, its
//!   reset panics, the guard is dropped while panicking) and otherwise only under `max_idle`,
//!   or, with a budget, exactly when its weight does not fit beside the idle values' (a pool
//!   with a budget keeps every idle value weighed, so the model knows the sum);
//! - with a budget, the idle values' summed weight never passes it;
//! - a thread exit drops nothing;
//! - a `release` drops exactly the values that were idle at the previous release, wherever
//!   they sit (private slots, chains, shards of exited threads), and none returned since;
//! - with no guard alive: `gets + puts_calls == puts + rejected + evicted + discarded +
//!   detached`; and when the pool is dropped every value has been dropped exactly once.

use crate::support::alone::alone;
use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;

use poolqueue::{Pool, Pooled};
use proptest::prelude::*;

use crate::support::values::{Item, Ledger};

/// Worker threads alive at a time.
const THREADS: usize = 3;

/// The reset hook panics for these values (every return of them is discarded).
fn reset_panics(id: u64) -> bool {
    id % 7 == 6
}

/// `retain` rejects these values.
fn rejected(id: u64) -> bool {
    id % 5 == 3
}

/// The weight of value `id` under a budget.
fn weight(id: u64) -> usize {
    (id % 4) as usize + 1
}

/// The bound a case runs under.
#[derive(Clone, Copy, Debug)]
enum Bound {
    None,
    MaxIdle(usize),
    Budget(usize),
}

#[derive(Clone, Debug)]
enum Op {
    Get(usize),
    /// `get_local`.
    GetLocal(usize),
    Return(usize, usize),
    /// The guard is dropped while its thread is panicking.
    PanicDrop(usize, usize),
    Detach(usize, usize),
    Put(usize),
    Exit(usize),
    Release,
}

fn op() -> impl Strategy<Value = Op> {
    let t = 0..THREADS;
    prop_oneof![
        5 => t.clone().prop_map(Op::Get),
        2 => t.clone().prop_map(Op::GetLocal),
        5 => (t.clone(), any::<usize>()).prop_map(|(t, i)| Op::Return(t, i)),
        1 => (t.clone(), any::<usize>()).prop_map(|(t, i)| Op::PanicDrop(t, i)),
        1 => (t.clone(), any::<usize>()).prop_map(|(t, i)| Op::Detach(t, i)),
        2 => t.clone().prop_map(Op::Put),
        1 => t.prop_map(Op::Exit),
        2 => Just(Op::Release),
    ]
}

/// What a worker is asked to do, on its own thread (guards stay on the thread that got them).
enum Cmd {
    Get,
    GetLocal,
    Return(usize),
    PanicDrop(usize),
    Detach(usize),
    Put(Item),
}

enum Reply {
    /// The id handed out, returned, dropped or put.
    Id(u64),
    Detached(Item),
    /// Nothing held to act on.
    Nothing,
}

struct Worker<'s> {
    cmds: mpsc::Sender<Cmd>,
    replies: mpsc::Receiver<Reply>,
    thread: std::thread::ScopedJoinHandle<'s, ()>,
}

fn spawn<'s, 'p: 's>(scope: &'s std::thread::Scope<'s, '_>, pool: &'p Pool<Item>) -> Worker<'s> {
    let (cmds, inbox) = mpsc::channel::<Cmd>();
    let (outbox, replies) = mpsc::channel::<Reply>();
    let thread = scope.spawn(move || {
        let mut held: Vec<Pooled<'_, Item>> = Vec::new();
        for cmd in inbox {
            let reply = match cmd {
                Cmd::Get | Cmd::GetLocal => {
                    let guard = if matches!(cmd, Cmd::Get) {
                        pool.get()
                    } else {
                        pool.get_local()
                    };
                    let id = guard.id();
                    held.push(guard);
                    Reply::Id(id)
                }
                Cmd::Put(value) => {
                    let id = value.id();
                    // `put` resets the value first: a panicking reset propagates, the value is
                    // discarded.
                    let _ = catch_unwind(AssertUnwindSafe(|| pool.put(value)));
                    Reply::Id(id)
                }
                Cmd::Return(i) | Cmd::PanicDrop(i) | Cmd::Detach(i) if held.is_empty() => {
                    let _ = i;
                    Reply::Nothing
                }
                Cmd::Return(i) => {
                    let guard = held.swap_remove(i % held.len());
                    let id = guard.id();
                    // A panicking reset propagates out of the drop; the value is discarded.
                    let _ = catch_unwind(AssertUnwindSafe(|| drop(guard)));
                    Reply::Id(id)
                }
                Cmd::PanicDrop(i) => {
                    let guard = held.swap_remove(i % held.len());
                    let id = guard.id();
                    let _ = catch_unwind(AssertUnwindSafe(move || {
                        let _guard = guard;
                        panic!("the user's code panics while it holds the value");
                    }));
                    Reply::Id(id)
                }
                Cmd::Detach(i) => Reply::Detached(Pooled::detach(held.swap_remove(i % held.len()))),
            };
            if outbox.send(reply).is_err() {
                break;
            }
        }
        // Exiting: the guards still held go back to the pool here.
        for guard in held {
            let _ = catch_unwind(AssertUnwindSafe(|| drop(guard)));
        }
    });
    Worker {
        cmds,
        replies,
        thread,
    }
}

impl Worker<'_> {
    fn ask(&self, cmd: Cmd) -> Reply {
        self.cmds.send(cmd).expect("worker alive");
        self.replies.recv().expect("worker replies")
    }
}

#[derive(Default, Debug)]
struct Model {
    /// Idle since the last release (survive the next one).
    fresh: BTreeSet<u64>,
    /// Idle at the last release (dropped by the next one).
    old: BTreeSet<u64>,
    /// Old values a release did not drop: they sat in a live thread's private slot, which that
    /// thread ages on its next use. Never handed out again; may be dropped at any step.
    doomed: BTreeSet<u64>,
    /// Held by a guard, per worker.
    held: [BTreeSet<u64>; THREADS],
    /// The worker instance that last returned or put each idle value.
    returner: std::collections::BTreeMap<u64, usize>,
    /// Instance number of the worker in each slot (0 until its first pool call).
    instance: [usize; THREADS],
    /// Workers that made a first pool call so far (each took a thread id).
    spawns: usize,
    /// Exited instances, with the count of first pool calls at their exit.
    exited: std::collections::BTreeMap<usize, usize>,
    dropped: BTreeSet<u64>,
    put_calls: u64,
}

impl Model {
    /// Books value `id` going back to the pool from worker instance `me` (a guard's return, a
    /// `put`, or a guard returned as its thread exits) under the return rules: a value the reset
    /// panics on or `retain` rejects is dropped now (`must_drop`); any other is fresh idle, and
    /// with `max_idle` set it may be dropped as surplus (`may_drop`); with a budget it is
    /// dropped exactly when it does not fit (`exact`), else it may be (several returns at
    /// once, in an order the model does not know).
    fn book_return(
        &mut self,
        id: u64,
        me: usize,
        bound: Bound,
        exact: bool,
        must_drop: &mut BTreeSet<u64>,
        may_drop: &mut BTreeSet<u64>,
    ) {
        if reset_panics(id) || rejected(id) {
            must_drop.insert(id);
            return;
        }
        match bound {
            Bound::None => {}
            Bound::MaxIdle(_) => {
                may_drop.insert(id);
            }
            Bound::Budget(budget) if exact => {
                if self.idle_weight() + weight(id) > budget {
                    must_drop.insert(id);
                    return;
                }
            }
            Bound::Budget(_) => {
                may_drop.insert(id);
            }
        }
        self.fresh.insert(id);
        self.returner.insert(id, me);
    }

    /// The summed weight of the idle values.
    fn idle_weight(&self) -> usize {
        self.fresh
            .iter()
            .chain(&self.old)
            .chain(&self.doomed)
            .map(|&id| weight(id))
            .sum()
    }
}

fn run(bound: Bound, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let ledger = Ledger::new();
    let maker = ledger.clone();
    let mut pool = Pool::with_reset(
        move || maker.make(),
        |item: &mut Item| {
            assert!(
                !reset_panics(item.id()),
                "a validating reset rejects this value"
            );
            item.uses = 0;
        },
    )
    .retain(|item| !rejected(item.id()))
    .with_counters();
    match bound {
        Bound::None => {}
        Bound::MaxIdle(max) => pool = pool.max_idle(max),
        Bound::Budget(budget) => pool = pool.max_idle_bytes(budget, |item| weight(item.id())),
    }
    let pool = pool;
    let mut model = Model::default();
    let mut detached = Vec::new();
    let outcome = std::thread::scope(|scope| -> Result<(), TestCaseError> {
        let mut workers: Vec<Option<Worker<'_>>> = (0..THREADS).map(|_| None).collect();
        for op in ops {
            let before = ledger.dropped_ids();
            let t = match op {
                Op::Get(t)
                | Op::GetLocal(t)
                | Op::Return(t, _)
                | Op::PanicDrop(t, _)
                | Op::Detach(t, _)
                | Op::Put(t)
                | Op::Exit(t) => t,
                Op::Release => 0,
            };
            if !matches!(op, Op::Release | Op::Exit(_)) && workers[t].is_none() {
                workers[t] = Some(spawn(scope, &pool));
                model.instance[t] = 0;
            }
            // A worker takes a thread id (and may adopt an exited thread's shard) at its first
            // pool call: a get or a put.
            if matches!(op, Op::Get(_) | Op::GetLocal(_) | Op::Put(_)) && model.instance[t] == 0 {
                model.spawns += 1;
                model.instance[t] = model.spawns;
            }
            let me = model.instance[t];
            // Values this step must drop, and may drop, besides the doomed ones.
            let mut must_drop = BTreeSet::new();
            let mut may_drop = model.doomed.clone();
            // Release only: the old values it may leave in live threads' private slots.
            let mut spared_old = BTreeSet::new();
            match op {
                Op::Get(t) | Op::GetLocal(t) => {
                    let local = matches!(op, Op::GetLocal(_));
                    let next = ledger.created();
                    let far = |stats: poolqueue::PoolStats| stats.steal_hits + stats.victim_hits;
                    let far_before = far(pool.stats().unwrap());
                    let cmd = if local { Cmd::GetLocal } else { Cmd::Get };
                    let Reply::Id(id) = workers[t].as_ref().unwrap().ask(cmd) else {
                        unreachable!()
                    };
                    if local {
                        prop_assert!(
                            !model.old.contains(&id),
                            "get_local handed out the victim {id} ({model:?})"
                        );
                        prop_assert_eq!(
                            far(pool.stats().unwrap()),
                            far_before,
                            "get_local counted a steal or a victim hit"
                        );
                    }
                    prop_assert!(
                        !model.doomed.contains(&id),
                        "get handed out {id}, which outlived two releases ({model:?})"
                    );
                    let idle = model.fresh.remove(&id) || model.old.remove(&id);
                    prop_assert!(
                        idle || id == next,
                        "get handed out {id}: neither idle nor new ({model:?})"
                    );
                    model.held[t].insert(id);
                }
                Op::Return(t, i) | Op::PanicDrop(t, i) => {
                    let panicking = matches!(op, Op::PanicDrop(..));
                    let cmd = if panicking {
                        Cmd::PanicDrop(i)
                    } else {
                        Cmd::Return(i)
                    };
                    if let Reply::Id(id) = workers[t].as_ref().unwrap().ask(cmd) {
                        model.held[t].remove(&id);
                        if panicking {
                            must_drop.insert(id);
                        } else {
                            model.book_return(id, me, bound, true, &mut must_drop, &mut may_drop);
                        }
                    }
                }
                Op::Detach(t, i) => {
                    if let Reply::Detached(value) = workers[t].as_ref().unwrap().ask(Cmd::Detach(i))
                    {
                        model.held[t].remove(&value.id());
                        detached.push(value);
                    }
                }
                Op::Put(t) => {
                    let value = ledger.make();
                    let id = value.id();
                    model.put_calls += 1;
                    workers[t].as_ref().unwrap().ask(Cmd::Put(value));
                    model.book_return(id, me, bound, true, &mut must_drop, &mut may_drop);
                }
                Op::Exit(t) => {
                    if let Some(worker) = workers[t].take() {
                        drop(worker.cmds);
                        worker.thread.join().expect("worker exits cleanly");
                        // Its guards went back on the way out, under the return rules.
                        for id in std::mem::take(&mut model.held[t]) {
                            model.book_return(id, me, bound, false, &mut must_drop, &mut may_drop);
                        }
                        if me != 0 {
                            model.exited.insert(me, model.spawns);
                        }
                    }
                }
                Op::Release => {
                    pool.release();
                    // Every old value dies now, except in a live thread's private slot (its
                    // owner ages it on its next use). A value whose last returner exited, with
                    // no thread taking an id since (which could adopt its shard), sits in an
                    // exited shard: `release` itself must age it.
                    for id in std::mem::take(&mut model.old) {
                        let owner = model.returner.get(&id).copied().unwrap_or(0);
                        if model.exited.get(&owner) == Some(&model.spawns) {
                            must_drop.insert(id);
                        } else {
                            may_drop.insert(id);
                            spared_old.insert(id);
                        }
                    }
                    model.old = std::mem::take(&mut model.fresh);
                }
            }
            let after = ledger.dropped_ids();
            let new: BTreeSet<u64> = after.difference(&before).copied().collect();
            for id in &must_drop {
                prop_assert!(new.contains(id), "{op:?}: {id} was not dropped ({model:?})");
            }
            for id in &new {
                prop_assert!(
                    must_drop.contains(id) || may_drop.contains(id),
                    "{op:?}: {id} was dropped against the rules ({model:?})"
                );
                model.fresh.remove(id);
                model.doomed.remove(id);
            }
            // Old values a release left alive were in live threads' private slots.
            model.doomed.extend(spared_old.difference(&new).copied());
            model.dropped.extend(new);
            if let Bound::Budget(budget) = bound {
                prop_assert!(
                    model.idle_weight() <= budget,
                    "{op:?}: the idle values weigh {} > {budget} ({model:?})",
                    model.idle_weight()
                );
            }
        }
        for worker in workers.into_iter().flatten() {
            drop(worker.cmds);
            worker.thread.join().expect("worker exits cleanly");
        }
        Ok(())
    });
    outcome?;
    drop(detached);
    let stats = pool.stats().expect("counters on");
    prop_assert_eq!(
        stats.gets() + model.put_calls,
        stats.puts + stats.rejected + stats.evicted + stats.discarded + stats.detached,
        "the stats identity, no guard alive: {:?}",
        stats
    );
    drop(pool);
    prop_assert_eq!(
        ledger.dropped(),
        ledger.created(),
        "every value dropped once"
    );
    Ok(())
}

#[test]
fn pool_lifecycle_across_threads_matches_the_generation_model() {
    alone!(
        "pool_lifecycle_across_threads_matches_the_generation_model",
        || {
            let config = ProptestConfig {
                cases: if cfg!(miri) {
                    4
                } else {
                    crate::support::knobs::knob("POOLQUEUE_LIFECYCLE_CASES", 256)
                },
                failure_persistence: None,
                ..ProptestConfig::default()
            };
            let bound = prop_oneof![
                Just(Bound::None),
                (0usize..4).prop_map(Bound::MaxIdle),
                (0usize..12).prop_map(Bound::Budget),
            ];
            let ops = prop::collection::vec(op(), 0..if cfg!(miri) { 16 } else { 60 });
            let mut runner = proptest::test_runner::TestRunner::new(config);
            if let Err(failure) = runner.run(&(bound, ops), |(bound, ops)| run(bound, ops)) {
                panic!("{failure}");
            }
        },
    );
}
