//! Linearizability on real threads: short bursts in which an owner and 2–3 stealers, released
//! together by a start gate, run small random programs on a fresh ring or chain (indices starting
//! just below 2^32), each call stamped with the monotonic clock before it starts and after it
//! returns. Every burst's history, drain included, must be linearizable (P3); every value pushed
//! comes out exactly once by identity (P1, P2) and every value is dropped exactly once (P5); after
//! a chain is dropped and the epoch collector has run, none of its rings is still allocated (P5).
//!
//! Real hardware and the real crossbeam-epoch path, but no control over the schedule: this
//! complements the shuttle campaign, it does not replace it. `POOLQUEUE_STRESS_BURSTS` sets the
//! number of bursts per structure (default 400, 20,000 with `POOLQUEUE_LONG`; under Miri 3, or 12
//! with `POOLQUEUE_LONG`, forwarded with `-Zmiri-env-forward`). The start gate is a spin, not a
//! blocking barrier, so the threads' calls overlap.

use crate::support::watchdog::{watchdog, BOUND};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use crate::support::knobs;
use crate::support::values::{self, Item, Ledger};
use lincheck::{self, Call, Log, Op, Spec};
use poolqueue::__test_hooks as hooks;
use poolqueue::{chain, dequeue};

fn bursts() -> usize {
    let long = knobs::flag("POOLQUEUE_LONG");
    let default = match (cfg!(miri), long) {
        (true, true) => 12,
        (true, false) => 3,
        (false, true) => 20_000,
        (false, false) => 400,
    };
    knobs::knob("POOLQUEUE_STRESS_BURSTS", default)
}

/// A small xorshift generator: programs are random but reproducible from the printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A spinning start gate: a blocking barrier wakes threads microseconds apart, longer than a
/// whole program takes, and the calls would hardly overlap.
struct Gate {
    arrived: AtomicUsize,
    parties: usize,
}

impl Gate {
    fn wait(&self) {
        // AcqRel/Acquire: only to start together; the ring's own orderings are under test, and
        // everything the threads share was created before they were spawned.
        self.arrived.fetch_add(1, Ordering::AcqRel);
        let mut spins = 0u32;
        while self.arrived.load(Ordering::Acquire) < self.parties {
            spins += 1;
            if spins.is_multiple_of(64) {
                thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
    }
}

/// Spins for a random short while between calls so the threads' programs interleave.
fn pause(rng: &mut Rng) {
    for _ in 0..rng.below(if cfg!(miri) { 4 } else { 256 }) {
        std::hint::spin_loop();
    }
}

/// The owner side of either structure.
trait OwnerSide: Send {
    fn push(&mut self, item: Item) -> Result<(), Item>;
    fn pop(&mut self) -> Option<Item>;
}

/// The stealer side of either structure.
trait StealerSide: Send + Sync + Clone {
    fn steal(&self) -> Option<Item>;
}

impl OwnerSide for dequeue::Owner<Item> {
    fn push(&mut self, item: Item) -> Result<(), Item> {
        self.push_head(item)
    }
    fn pop(&mut self) -> Option<Item> {
        self.pop_head()
    }
}

impl StealerSide for dequeue::Stealer<Item> {
    fn steal(&self) -> Option<Item> {
        self.pop_tail()
    }
}

impl OwnerSide for chain::Owner<Item> {
    fn push(&mut self, item: Item) -> Result<(), Item> {
        self.push_head(item);
        Ok(())
    }
    fn pop(&mut self) -> Option<Item> {
        self.pop_head()
    }
}

impl StealerSide for chain::Stealer<Item> {
    fn steal(&self) -> Option<Item> {
        self.pop_tail()
    }
}

#[derive(Default)]
struct Totals {
    histories: u64,
    calls: u64,
    states: u64,
    values: u64,
    /// Calls whose interval overlaps a call of another thread.
    overlapping: u64,
    /// Chains whose every ring was seen freed after the drop.
    rings_freed: u64,
}

fn overlapping(history: &[Call]) -> u64 {
    history
        .iter()
        .filter(|a| {
            history
                .iter()
                .any(|b| b.thread != a.thread && b.invoke <= a.response && a.invoke <= b.response)
        })
        .count() as u64
}

/// One burst; returns how many values it created (identities `0..n`) or the failure.
fn burst<O: OwnerSide, S: StealerSide>(
    mut owner: O,
    stealer: S,
    spec: Spec,
    rng: &mut Rng,
    drops: &std::sync::Arc<Ledger>,
    totals: &mut Totals,
) -> Result<u64, String> {
    let small = cfg!(miri);
    let stealers = 2 + rng.below(2) as usize;
    // Under Miri a dozen pushes or more, so a chain still outgrows its first ring.
    let owner_calls = if small {
        20
    } else {
        16 + rng.below(24) as usize
    };
    let owner_program: Vec<bool> = (0..owner_calls).map(|_| rng.below(10) < 6).collect();
    let steal_calls: Vec<usize> = (0..stealers)
        .map(|_| if small { 6 } else { 6 + rng.below(12) as usize })
        .collect();
    // On hardware, real time (the monotonic clock). Under Miri, which emulates the C11 model's
    // weak memory, a relaxed load may legally read a stale word after another thread's call has
    // returned by any clock; precedence there is happens-before, recorded by `HbClock`.
    #[cfg(not(miri))]
    let clock = lincheck::WallClock::new();
    #[cfg(miri)]
    let clock = &lincheck::HbClock::new();
    let gate = Gate {
        arrived: AtomicUsize::new(0),
        parties: stealers + 1,
    };
    let thief_seeds: Vec<u64> = (0..stealers).map(|_| rng.next() | 1).collect();
    let mut next_id = 0u64;
    let mut pushed = Vec::new();
    let mut popped: Vec<Item> = Vec::new();
    let mut handed_back = Vec::new();
    let mut history: Vec<Call> = Vec::new();

    let owner_log = thread::scope(|scope| {
        let thieves: Vec<_> = steal_calls
            .iter()
            .enumerate()
            .map(|(t, &calls)| {
                let s = stealer.clone();
                let gate = &gate;
                let mut rng = Rng(thief_seeds[t]);
                scope.spawn(move || {
                    let mut log = Log::new(clock, t + 1);
                    let mut got = Vec::new();
                    gate.wait();
                    for _ in 0..calls {
                        pause(&mut rng);
                        log.call(Op::PopTail, || values::keep(&mut got, s.steal()));
                    }
                    (log.into_calls(), got)
                })
            })
            .collect();
        let mut log = Log::new(clock, 0);
        gate.wait();
        for (i, &is_push) in owner_program.iter().enumerate() {
            // Under Miri: fill past the first ring early, so the stealers can drain and retire
            // it while the owner still runs.
            let is_push = is_push || (small && i < 10);
            pause(rng);
            if is_push {
                let item = Item::new(next_id, drops);
                next_id += 1;
                let push = |item: Item| owner.push(item);
                values::push_logged(&mut log, item, push, &mut pushed, &mut handed_back);
            } else {
                log.call(Op::PopHead, || values::keep(&mut popped, owner.pop()));
            }
        }
        for t in thieves {
            let (calls, got) = t.join().unwrap();
            history.extend(calls);
            popped.extend(got);
        }
        log
    });
    let mut log = owner_log;
    values::drain_logged(&mut log, &mut popped, || stealer.steal(), || owner.pop());
    history.extend(log.into_calls());
    totals.values += next_id;

    let ids: Vec<u64> = popped.iter().map(Item::id).collect();
    let verdict = values::exactly_once(&pushed, &ids).and_then(|()| {
        let checked = lincheck::check(spec, &history).map_err(|v| format!("P3: {v}"))?;
        totals.histories += 1;
        totals.calls += checked.calls as u64;
        totals.states += checked.states as u64;
        totals.overlapping += overlapping(&history);
        Ok(())
    });
    if verdict.is_err() {
        // A duplicated value shares its allocation with its twin: never drop them.
        std::mem::forget((owner, stealer, popped, handed_back));
        return verdict.map(|()| 0);
    }
    // Leave a value or two inside for the drop of the last handle.
    for _ in 0..rng.below(3) {
        let item = Item::new(next_id, drops);
        next_id += 1;
        if let Err(back) = owner.push(item) {
            drop(back);
        }
    }
    drop((owner, stealer, popped, handed_back));
    Ok(next_id)
}

fn campaign(
    name: &str,
    seed: u64,
    mut one: impl FnMut(&mut Rng, &mut Totals) -> Result<(), String>,
) {
    let mut totals = Totals::default();
    let n = bursts();
    for i in 0..n {
        let burst_seed = seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut rng = Rng(burst_seed);
        if let Err(failure) = one(&mut rng, &mut totals) {
            panic!("{name}: burst {i} (seed {burst_seed:#x}) failed:\n{failure}");
        }
    }
    assert_eq!(totals.histories, n as u64);
    println!(
        "POOLQUEUE-STAT checker=threads property=P1,P2,P3,P5 test={name} bursts={n} histories={} \
         calls={} overlapping={} states={} values={} rings_freed={}",
        totals.histories,
        totals.calls,
        totals.overlapping,
        totals.states,
        totals.values,
        totals.rings_freed
    );
}

fn seed() -> u64 {
    knobs::knob("POOLQUEUE_STRESS_SEED", 0x005e_ed0f_9001)
}

#[test]
fn dequeue_bursts_are_linearizable() {
    watchdog(BOUND, "dequeue bursts are linearizable", || {
        campaign("dequeue", seed(), |rng, totals| {
            let capacity = 2 << rng.below(3); // 2, 4 or 8
            let start = u32::MAX - rng.below(2 * capacity as u64) as u32;
            let drops = Ledger::new();
            let (owner, stealer) =
                hooks::dequeue_with_start_index::<Item>(capacity, start).unwrap();
            let created = burst(
                owner,
                stealer,
                Spec::Bounded { capacity },
                rng,
                &drops,
                totals,
            )?;
            drops.assert_each_dropped_once(0..created);
            Ok(())
        });
    });
}

#[test]
fn chain_bursts_are_linearizable() {
    watchdog(BOUND, "chain bursts are linearizable", || {
        campaign("chain", seed(), |rng, totals| {
            let start = u32::MAX - rng.below(16) as u32;
            let drops = Ledger::new();
            // Every ring of the chain is allocated on this thread (the owner runs here).
            let rings = hooks::RingScope::new();
            let entered = rings.enter();
            let (owner, stealer) = hooks::chain_with_start_index::<Item>(start);
            let created = burst(owner, stealer, Spec::Unbounded, rng, &drops, totals)?;
            drop(entered);
            drops.assert_each_dropped_once(0..created);
            // P5 for ring memory on the real epoch path: once the chain is gone and the collector
            // has run, none of its rings is left.
            let live = rings.collect(0);
            if live != 0 {
                return Err(format!(
                    "P5: {live} rings still allocated after the chain was dropped"
                ));
            }
            totals.rings_freed += 1;
            Ok(())
        });
    });
}

/// Plain `Box`es left inside when the last handle goes: Miri's leak and double-free checks are
/// the assertion here (the bursts above count drops with their own values).
#[test]
fn dequeue_boxes_left_inside_are_freed() {
    watchdog(BOUND, "dequeue boxes left inside are freed", || {
        let (owner, stealer) =
            hooks::dequeue_with_start_index::<Box<u64>>(4, u32::MAX - 1).unwrap();
        for i in 0..4 {
            owner.push_head(Box::new(i)).unwrap();
        }
        assert_eq!(stealer.pop_tail().as_deref(), Some(&0));
        drop((owner, stealer));
    });
}

/// As above for a chain of several rings; the rings themselves must be freed too.
#[test]
fn chain_boxes_left_inside_are_freed() {
    watchdog(BOUND, "chain boxes left inside are freed", || {
        let rings = hooks::RingScope::new();
        let entered = rings.enter();
        let (owner, stealer) = hooks::chain_with_start_index::<Box<u64>>(u32::MAX - 2);
        for i in 0..30 {
            owner.push_head(Box::new(i));
        }
        assert_eq!(owner.ring_capacities(), vec![8, 16, 32]);
        for i in 0..10 {
            assert_eq!(stealer.pop_tail().as_deref(), Some(&i));
        }
        assert_eq!(owner.pop_head().as_deref(), Some(&29));
        assert_eq!(
            owner.ring_capacities(),
            vec![16, 32],
            "the drained first ring was unlinked"
        );
        drop(entered);
        drop((owner, stealer));
        assert_eq!(rings.collect(0), 0, "a ring was never freed");
    });
}
