//! The worker (`poolqueue::worker`): against its exact sequential model (proptest), at its edges,
//! and on real threads (exactly-once delivery with thieves that steal single values and batches).
//!
//! The model is the specification of `proofs-notes/worker.md`: one sequence of values, oldest
//! first, whose oldest `published` values are in the chain and the rest private; a pending
//! request; overflow, answer and flush steps that publish the oldest private values. On one
//! thread every request is visible to the owner's next operation, so the model is exact.
use crate::support::watchdog::{watchdog, BOUND};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::thread;

use crate::support::values::{Item, Ledger};
use crate::support::NEAR_WRAP;
use poolqueue::__test_hooks as hooks;
use poolqueue::worker;
use proptest::prelude::*;

/// The sequential specification of one worker with private capacity `k`.
#[derive(Debug)]
struct Model {
    k: usize,
    /// Every value, oldest first.
    items: VecDeque<u64>,
    /// How many of the oldest `items` are published.
    published: usize,
    /// A stealer found nothing published and the owner has not published since.
    asked: bool,
}

impl Model {
    fn new(k: usize) -> Self {
        Model {
            k,
            items: VecDeque::new(),
            published: 0,
            asked: false,
        }
    }

    fn private(&self) -> usize {
        self.items.len() - self.published
    }

    /// A publication step: the `n` oldest private values join the published ones.
    fn publish(&mut self, n: usize) {
        if n > 0 {
            self.asked = false;
            self.published += n;
        }
    }

    /// The answer to a pending request: half the private values, rounded down.
    fn answer(&mut self) {
        if self.asked && self.private() >= 2 {
            self.publish(self.private() / 2);
        }
    }

    fn push(&mut self, id: u64) {
        if self.private() == self.k {
            if self.k == 0 {
                self.items.push_back(id);
                self.published += 1;
                return;
            }
            self.publish(self.k - self.k / 2);
        }
        self.items.push_back(id);
        self.answer();
    }

    fn pop_head(&mut self) -> Option<u64> {
        if self.private() == 0 {
            if self.published == 0 {
                return None;
            }
            self.published -= 1;
            return self.items.pop_back();
        }
        self.answer();
        self.items.pop_back()
    }

    /// A stealer's look: the oldest published value, or a request.
    fn pop_tail(&mut self) -> Option<u64> {
        if self.published == 0 {
            self.asked |= self.k > 0;
            return None;
        }
        self.published -= 1;
        self.items.pop_front()
    }

    fn flush(&mut self) {
        self.publish(self.private());
    }

    /// `n` values stolen from `self` join `dest` as its newest published values.
    fn steal_into(&mut self, dest: &mut Model, n: usize) {
        for _ in 0..n {
            let id = self.pop_tail().expect("the steal took a published value");
            dest.items.insert(dest.published, id);
            dest.published += 1;
        }
    }
}

#[derive(Clone, Debug)]
enum Op {
    Push,
    PopHead,
    PopTail,
    Flush,
    /// A batch steal from the worker into a second worker (`and_pop`: one value returned).
    StealBatch {
        and_pop: bool,
        limit: usize,
    },
    /// The second worker's owner pops.
    DestPopHead,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => Just(Op::Push),
        3 => Just(Op::PopHead),
        3 => Just(Op::PopTail),
        1 => Just(Op::Flush),
        1 => (any::<bool>(), 0usize..6).prop_map(|(and_pop, limit)| Op::StealBatch {
            and_pop,
            limit: if limit == 5 { usize::MAX } else { limit },
        }),
        1 => Just(Op::DestPopHead),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 6 } else { 512 },
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn worker_matches_its_sequential_model(
        k in prop_oneof![Just(0usize), 1usize..=9, Just(64)],
        dest_k in prop_oneof![Just(0usize), 1usize..=4],
        start in crate::model::start_index(),
        ops in proptest::collection::vec(op(), 0..if cfg!(miri) { 48 } else { 300 }),
    ) {
        let log = Ledger::new();
        let mut pushed = Vec::new();
        {
            let (owner, stealer) = hooks::worker_with_start_index::<Item>(k, start);
            let (dest, _dest_stealer) = worker::with_private::<Item>(dest_k);
            let mut model = Model::new(k);
            let mut dest_model = Model::new(dest_k);
            for (id, op) in (0u64..).zip(ops.iter()) {
                match *op {
                    Op::Push => {
                        owner.push_head(Item::new(id, &log));
                        model.push(id);
                        pushed.push(id);
                    }
                    Op::PopHead => {
                        prop_assert_eq!(owner.pop_head().map(|v| v.id()), model.pop_head());
                    }
                    Op::PopTail => {
                        prop_assert_eq!(stealer.pop_tail().map(|v| v.id()), model.pop_tail());
                    }
                    Op::Flush => {
                        owner.flush();
                        model.flush();
                    }
                    Op::StealBatch { and_pop, limit } => {
                        let before = dest.len();
                        let (moved, popped) = if and_pop {
                            let popped = stealer.steal_batch_and_pop(&dest);
                            (dest.len() - before, popped.map(|v| v.id()))
                        } else {
                            (stealer.steal_batch_with_limit(&dest, limit), None)
                        };
                        prop_assert_eq!(dest.len() - before, moved);
                        let taken = moved + usize::from(popped.is_some());
                        let half = model.published - model.published / 2;
                        let most = if and_pop { half } else { half.min(limit) };
                        prop_assert!(taken <= most, "took {} of {}", taken, model.published);
                        if model.published > 0 && (and_pop || limit > 0) {
                            prop_assert!(taken >= 1, "a steal from published values takes one");
                        }
                        if taken == 0 {
                            if and_pop || limit > 0 {
                                prop_assert_eq!(model.pop_tail(), None); // asks
                            }
                        } else if let Some(popped) = popped {
                            prop_assert_eq!(Some(popped), model.pop_tail());
                            model.steal_into(&mut dest_model, moved);
                        } else {
                            model.steal_into(&mut dest_model, moved);
                        }
                    }
                    Op::DestPopHead => {
                        prop_assert_eq!(dest.pop_head().map(|v| v.id()), dest_model.pop_head());
                    }
                }
                prop_assert!(model.private() <= k, "at most k private");
                prop_assert_eq!(owner.len(), model.items.len());
                prop_assert_eq!(stealer.len(), model.published);
                prop_assert_eq!(stealer.is_empty(), model.published == 0);
                prop_assert_eq!(owner.is_empty(), model.items.is_empty());
                prop_assert_eq!(dest.len(), dest_model.items.len());
            }
        }
        // Dropping both workers dropped every value still held, each once.
        log.assert_each_dropped_once(pushed);
    }
}

/// A stealer asleep on a worker whose values are all private is woken by the owner's
/// `push_head_notify` that answers its request: an answer publishes *and* notifies. (Its loom
/// twin is `a_sleepers_request_is_answered_and_wakes_it`.)
#[test]
fn a_sleeping_stealers_request_is_answered_with_a_wake_up() {
    // A wake-up takes microseconds; a lost one sleeps forever.
    watchdog(
        std::time::Duration::from_secs(30),
        "a sleeping stealer's request is answered with a wake-up",
        || {
            let (owner, stealer) = worker::new::<u32>();
            let event = Arc::new(poolqueue::EventCount::new());
            owner.push_head(1);
            owner.push_head(2);
            let sleeper = {
                let event = event.clone();
                thread::spawn(move || stealer.pop_tail_wait(&event))
            };
            // The stealer finds nothing published and asks; give it time to fall asleep (a
            // notify that comes earlier is not lost either: the eventcount re-checks).
            while !hooks::worker_request_pending(&owner) {
                thread::yield_now();
            }
            thread::sleep(std::time::Duration::from_millis(20));
            owner.push_head_notify(3, &event);
            assert_eq!(sleeper.join().unwrap(), Some(1), "the oldest value");
        },
    );
}

/// A request raised after an answer survives it: a thief that takes what the owner's answer
/// published and then finds nothing again has its request pending when the owner's call
/// returns, because the owner clears a request *before* it publishes. Checked with both sides
/// stopped: a thief whose last look found nothing while the owner holds private values sees
/// either published values or a pending request. Hardware rarely stops the owner between its
/// publication and its return; Miri's random preemption (and the `miri-seeds` lane) does.
#[test]
fn a_request_raised_after_an_answer_survives_it() {
    const ROUNDS: usize = if cfg!(miri) { 30 } else { 300 };
    watchdog(
        BOUND,
        "a request raised after an answer survives it",
        || {
            let (owner, stealer) = worker::with_private::<u32>(8);
            for round in 0..ROUNDS {
                (0..4).for_each(|i| owner.push_head(i)); // private; nothing published
                let stopped = Arc::new(AtomicBool::new(false));
                let thief = {
                    let (stealer, stopped) = (stealer.clone(), stopped.clone());
                    thread::spawn(move || {
                        let mut took = 0;
                        // Each miss leaves a request; stop at the first miss after a take.
                        loop {
                            match stealer.pop_tail() {
                                Some(_) => took += 1,
                                None if took > 0 => break,
                                None => thread::yield_now(),
                            }
                        }
                        stopped.store(true, Ordering::SeqCst);
                    })
                };
                // Each owner call that sees the request answers it.
                while !stopped.load(Ordering::SeqCst) {
                    owner.push_head(round as u32);
                    owner.pop_head();
                }
                thief.join().unwrap();
                let held = hooks::worker_private_len(&owner);
                assert!(
                    held == 0 || !stealer.is_empty() || hooks::worker_request_pending(&owner),
                    "round {round}: the thief's last request was lost: nothing published, no \
                 request pending, {held} private values"
                );
                owner.flush();
                while owner.pop_head().is_some() {}
            }
        },
    );
}

#[test]
fn a_steal_into_a_worker_lands_beneath_its_private_values() {
    watchdog(
        BOUND,
        "a steal into a worker lands beneath its private values",
        || {
            let (victim, stealer) = worker::with_private::<u32>(0);
            let (mine, mine_stealer) = worker::with_private::<u32>(4);
            mine.push_head(100); // private
            (0..4).for_each(|i| victim.push_head(i));
            assert_eq!(stealer.steal_batch(&mine), 2);
            assert_eq!(
                mine_stealer.pop_tail(),
                Some(0),
                "stolen values are published in `mine`"
            );
            assert_eq!(
                mine.pop_head(),
                Some(100),
                "the private value is still the newest"
            );
            assert_eq!(mine.pop_head(), Some(1));
        },
    );
}

#[test]
fn owner_drop_publishes_and_the_last_handle_drops_every_value_once() {
    watchdog(
        BOUND,
        "owner drop publishes and the last handle drops every value once",
        || {
            let log = Ledger::new();
            let (owner, stealer) = worker::with_private::<Item>(8);
            (0..20).for_each(|i| owner.push_head(Item::new(i, &log)));
            assert_eq!(stealer.len(), 12, "three overflows of four");
            drop(owner);
            assert_eq!(
                stealer.len(),
                20,
                "the owner's drop published its private values"
            );
            assert_eq!(stealer.pop_tail().map(|v| v.id()), Some(0));
            drop(stealer);
            log.assert_each_dropped_once(0..20);
        },
    );
}

/// One owner pushes `n` values (popping its head now and then, flushing now and then) while
/// thieves take single values and batches into workers of their own; every value is taken
/// exactly once. The thieves stop once the owner is done and everything published is gone; the
/// owner's final `flush` makes every value reachable.
fn exactly_once(k: usize, thieves: usize, n: usize) {
    let seen: Arc<Vec<AtomicU8>> = Arc::new((0..n).map(|_| AtomicU8::new(0)).collect());
    let done = Arc::new(AtomicBool::new(false));
    let record = |seen: &[AtomicU8], v: usize| {
        // Relaxed: per-value counters, read after the joins.
        assert_eq!(
            seen[v].fetch_add(1, Ordering::Relaxed),
            0,
            "value {v} twice"
        );
    };
    let (owner, stealer) = hooks::worker_with_start_index::<usize>(k, NEAR_WRAP);
    let handles: Vec<_> = (0..thieves)
        .map(|t| {
            let (stealer, seen, done) = (stealer.clone(), seen.clone(), done.clone());
            thread::spawn(move || {
                let (mine, _) = worker::with_private::<usize>(4);
                loop {
                    // Acquire: pairs with the owner's Release store of `done` after its flush.
                    let finished = done.load(Ordering::Acquire);
                    let got = if t % 2 == 0 {
                        stealer.pop_tail()
                    } else {
                        stealer.steal_batch_and_pop(&mine)
                    };
                    match got {
                        Some(v) => record(&seen, v),
                        None if finished => break,
                        None => thread::yield_now(),
                    }
                    while let Some(v) = mine.pop_head() {
                        record(&seen, v);
                    }
                }
            })
        })
        .collect();
    for i in 0..n {
        owner.push_head(i);
        if i % 7 == 0 {
            if let Some(v) = owner.pop_head() {
                record(&seen, v);
            }
        }
        if i % 1000 == 999 {
            owner.flush();
        }
    }
    owner.flush();
    // Release: the flush happens before a thief's final look (pairs with its Acquire load).
    done.store(true, Ordering::Release);
    for h in handles {
        h.join().unwrap();
    }
    while let Some(v) = owner.pop_head() {
        record(&seen, v);
    }
    // Relaxed: after the joins.
    let missing: Vec<usize> = (0..n)
        .filter(|&v| seen[v].load(Ordering::Relaxed) != 1)
        .collect();
    assert!(
        missing.is_empty(),
        "values lost: {:?}",
        &missing[..missing.len().min(10)]
    );
}

#[test]
fn thieves_take_every_value_exactly_once() {
    watchdog(BOUND, "thieves take every value exactly once", || {
        let n = if cfg!(miri) { 200 } else { 100_000 };
        for k in [0, 1, 4, worker::DEFAULT_PRIVATE] {
            exactly_once(k, if cfg!(miri) { 2 } else { 3 }, n);
        }
    });
}
