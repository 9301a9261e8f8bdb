//! The soak: every structure and the pool under a mixed load for a fixed time, in rounds. Each
//! round an owner pushes fresh values into a chain and a worker (`poolqueue::worker`) while
//! thieves take single values and batches, sleepers wait on an `EventCount`, and other threads
//! get, put and release pool values, some of them threads that start and exit during the round.
//! After each round every value must have come out exactly once (P1, P2), every pool value
//! created so far be dropped at most once, and the resident set stay within its bound (P5); at
//! the end the pool's values are all dropped exactly once.
//!
//! `POOLQUEUE_SOAK_SECS` (default 20; the report's `--long` 600) sets the time,
//! `POOLQUEUE_SOAK_RSS_MIB` (default 256) the growth of the resident set allowed over the first
//! round's. Ignored by plain `cargo test`: the `soak` lane runs it (`-- --ignored`).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use poolqueue::{chain, worker, EventCount, Pool};

use crate::memory::{rss, MIB};
use crate::support::knobs::knob;
use crate::support::watchdog::watchdog;

/// Values each structure receives per round.
const PER_ROUND: u64 = 40_000;
/// The worker's values pushed after the thieves ended.
const TAIL: u64 = 8;

/// Pool values alive (created and not yet dropped), for the drop accounting.
static LIVE: AtomicU64 = AtomicU64::new(0);
/// Pool values created.
static CREATED: AtomicU64 = AtomicU64::new(0);

/// A pool value that counts its creation and its drop; a second drop of the same value shows as
/// more drops than creations.
struct Buf(Vec<u8>);

impl poolqueue::Reset for Buf {
    fn reset(&mut self) {
        self.0.clear();
    }
}

impl Buf {
    fn new() -> Self {
        // Relaxed: counters read after the joins.
        CREATED.fetch_add(1, Ordering::Relaxed);
        LIVE.fetch_add(1, Ordering::Relaxed);
        Buf(Vec::with_capacity(64))
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        // Relaxed: counters read after the joins.
        let before = LIVE.fetch_sub(1, Ordering::Relaxed);
        assert!(before > 0, "P5: a pool value dropped twice");
    }
}

/// What the soak did, summed over its rounds.
#[derive(Default)]
struct Done {
    rounds: u64,
    values: u64,
    steals: u64,
    batch_steals: u64,
    woken: u64,
    pool_ops: u64,
    threads: u64,
}

#[test]
#[ignore = "the soak lane runs it: cargo test --release --test native soak:: -- --ignored"]
fn soak() {
    let secs: u64 = knob("POOLQUEUE_SOAK_SECS", 20);
    let bound_mib: usize = knob("POOLQUEUE_SOAK_RSS_MIB", 256);
    // The bound: the soak's time, then one round's worth of slack.
    watchdog(
        Duration::from_secs(secs + 120),
        "the soak (a round that never ends)",
        move || run(Duration::from_secs(secs), bound_mib),
    );
}

fn run(time: Duration, bound_mib: usize) {
    let start = Instant::now();
    let pool = Arc::new(Pool::new(Buf::new).max_idle(512));
    let mut done = Done::default();
    let mut first_rss = None;
    let mut peak = 0;
    while done.rounds == 0 || start.elapsed() < time {
        round(&pool, done.rounds, &mut done);
        done.rounds += 1;
        let now = rss();
        peak = peak.max(now);
        let base = *first_rss.get_or_insert(now);
        assert!(
            now <= base + bound_mib * MIB,
            "P5: resident set {} MiB after round {}, above the first round's {} MiB + {bound_mib} MiB",
            now / MIB,
            done.rounds,
            base / MIB
        );
    }
    drop(pool);
    // Relaxed: every thread that touched the counters was joined.
    let (created, live) = (
        CREATED.load(Ordering::Relaxed),
        LIVE.load(Ordering::Relaxed),
    );
    assert_eq!(
        live, 0,
        "P5: {live} of {created} pool values never dropped after the pool"
    );
    println!(
        "POOLQUEUE-STAT checker=soak property=P1,P2,P5 test=soak seconds={} rounds={} values={} \
         steals={} batch_steals={} woken={} pool_ops={} pool_values={created} threads={} \
         rss_peak_mib={}",
        start.elapsed().as_secs(),
        done.rounds,
        done.values,
        done.steals,
        done.batch_steals,
        done.woken,
        done.pool_ops,
        done.threads,
        peak / MIB
    );
}

/// Counts one value out; a second count of the same value is a duplicate.
fn take(seen: &[AtomicU8], v: u64) {
    // Relaxed: per-value counters, read after the joins.
    let before = seen[v as usize].fetch_add(1, Ordering::Relaxed);
    assert!(before == 0, "P2: value {v} came out twice");
}

fn round(pool: &Arc<Pool<Buf>>, n: u64, done: &mut Done) {
    let seen: Vec<AtomicU8> = (0..2 * PER_ROUND).map(|_| AtomicU8::new(0)).collect();
    let seen = &seen;
    let event = EventCount::new();
    let event = &event;
    let finished = AtomicBool::new(false);
    let finished = &finished;
    let (chain_owner, chain_stealer) = chain::new::<u64>();
    // Values PER_ROUND.. go through a worker; a few private values of varying count.
    let (worker_owner, worker_stealer) = worker::with_private::<u64>((n % 5) as usize);
    let counts = thread::scope(|s| {
        let mut thieves = Vec::new();
        // Single steals, from the chain and from the worker.
        for t in 0..2 {
            let (cs, ws) = (chain_stealer.clone(), worker_stealer.clone());
            thieves.push(s.spawn(move || {
                let mut got = [0u64; 3];
                loop {
                    // Acquire: pairs with the owner's Release store after its last push.
                    let end = finished.load(Ordering::Acquire);
                    let v = if t == 0 { cs.pop_tail() } else { ws.pop_tail() };
                    match v {
                        Some(v) => {
                            take(seen, v);
                            got[0] += 1;
                        }
                        None if end => break,
                        None => thread::yield_now(),
                    }
                }
                got
            }));
        }
        // Batch steals into a chain and a worker of the thief's own.
        for t in 0..2 {
            let (cs, ws) = (chain_stealer.clone(), worker_stealer.clone());
            thieves.push(s.spawn(move || {
                let mut got = [0u64; 3];
                let (mine, _) = chain::new::<u64>();
                let (my_worker, _) = worker::with_private::<u64>(2);
                loop {
                    // Acquire: pairs with the owner's Release store after its last push.
                    let end = finished.load(Ordering::Acquire);
                    let v = if t == 0 {
                        cs.steal_batch_and_pop(&mine)
                    } else {
                        ws.steal_batch_and_pop(&my_worker)
                    };
                    match v {
                        Some(v) => {
                            take(seen, v);
                            got[1] += 1;
                        }
                        None if end => break,
                        None => thread::yield_now(),
                    }
                    while let Some(v) = mine.pop_head() {
                        take(seen, v);
                        got[1] += 1;
                    }
                    while let Some(v) = my_worker.pop_head() {
                        take(seen, v);
                        got[1] += 1;
                    }
                }
                got
            }));
        }
        // Sleepers: they wait on the event until a notify, and end when it is closed.
        for t in 0..2 {
            let (cs, ws) = (chain_stealer.clone(), worker_stealer.clone());
            thieves.push(s.spawn(move || {
                let mut got = [0u64; 3];
                while let Some(v) = if t == 0 {
                    cs.pop_tail_wait(event)
                } else {
                    ws.pop_tail_wait(event)
                } {
                    take(seen, v);
                    got[2] += 1;
                }
                got
            }));
        }
        // The pool: gets, puts and releases from two threads, each starting short-lived threads
        // that use the pool and exit (thread churn: their shards are inherited or stolen).
        let mut pool_threads = Vec::new();
        for t in 0..2u64 {
            let pool = pool.clone();
            pool_threads.push(s.spawn(move || {
                let (mut ops, mut threads) = (0u64, 0u64);
                let mut i = 0u64;
                // Acquire: as the thieves'.
                while !finished.load(Ordering::Acquire) {
                    i += 1;
                    let held: Vec<_> = (0..1 + i % 4).map(|_| pool.get()).collect();
                    drop(held);
                    pool.put(Buf::new());
                    ops += 2 + i % 4;
                    if i % 512 == 0 && t == 0 {
                        pool.release();
                        ops += 1;
                    }
                    if i % 256 == 0 {
                        let pool = pool.clone();
                        thread::spawn(move || {
                            for _ in 0..32 {
                                drop(pool.get());
                                pool.put(Buf::new());
                            }
                        })
                        .join()
                        .expect("a short-lived pool thread panicked");
                        ops += 64;
                        threads += 1;
                    }
                }
                (ops, threads)
            }));
        }
        // The owners: this thread pushes into both, popping its heads now and then.
        for i in 0..PER_ROUND {
            chain_owner.push_head_notify(i, event);
            if i < PER_ROUND - TAIL {
                worker_owner.push_head_notify(PER_ROUND + i, event);
            }
            if i % 7 == 0 {
                if let Some(v) = chain_owner.pop_head() {
                    take(seen, v);
                }
            }
            if i % 5 == 0 {
                if let Some(v) = worker_owner.pop_head_notify(event) {
                    take(seen, v);
                }
            }
            if i % 1000 == 999 {
                worker_owner.flush_notify(event);
            }
        }
        // Release: every push happens before a thief's last look (its Acquire load).
        finished.store(true, Ordering::Release);
        event.close();
        let mut got = [0, 0, 0];
        for t in thieves {
            let g = t.join().expect("a thief panicked");
            for k in 0..3 {
                got[k] += g[k];
            }
        }
        let mut pool_work = (0, 0);
        for p in pool_threads {
            let (ops, threads) = p.join().expect("a pool thread panicked");
            pool_work.0 += ops;
            pool_work.1 += threads;
        }
        (got, pool_work)
    });
    // The worker's last values, pushed with no thief left to ask for them: its private ones
    // reach the stealers only through the owner's drop.
    for i in PER_ROUND - TAIL..PER_ROUND {
        worker_owner.push_head(PER_ROUND + i);
    }
    drop(worker_owner);
    // What the thieves left: a value pushed after a thief's last look, the worker's last ones.
    while let Some(v) = chain_owner.pop_head() {
        take(seen, v);
    }
    while let Some(v) = worker_stealer.pop_tail() {
        take(seen, v);
    }
    let lost: Vec<u64> = (0..2 * PER_ROUND)
        // Relaxed: every thread was joined.
        .filter(|&v| seen[v as usize].load(Ordering::Relaxed) != 1)
        .take(5)
        .collect();
    assert!(
        lost.is_empty(),
        "P1: round {n}: values never taken (first of them): {lost:?}"
    );
    let (got, (ops, threads)) = counts;
    done.values += 2 * PER_ROUND;
    done.steals += got[0];
    done.batch_steals += got[1];
    done.woken += got[2];
    done.pool_ops += ops;
    done.threads += threads + 6 + 2;
}
