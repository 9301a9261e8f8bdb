//! Real-thread stress of `EventCount`: consumers sleep and wake thousands of times, every value
//! is delivered exactly once, and a lost wake-up shows up as a stall the watchdog reports.
//!
//! `EVENT_STRESS_ROUNDS` scales the run (default 20,000 rounds per producer, 1–3 values a
//! round). Every wait here is untimed: a timed wait would pick a stranded value up and hide the
//! bug. The check is probabilistic (real threads); loom and shuttle are the deterministic ones.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use poolqueue::{chain, EventCount, WaitResult};

/// No progress for this long means a value is stranded while every consumer sleeps.
const STALL: Duration = Duration::from_secs(10);

fn rounds() -> usize {
    crate::support::knobs::knob("EVENT_STRESS_ROUNDS", 20_000)
}

/// Voluntary context switches of the calling thread (each futex sleep is one).
#[cfg(target_os = "linux")]
fn voluntary_switches() -> u64 {
    // SAFETY: `getrusage` writes only into the zeroed struct it is given.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_THREAD, &mut usage);
        usage.ru_nvcsw as u64
    }
}

#[cfg(not(target_os = "linux"))]
fn voluntary_switches() -> u64 {
    0
}

/// One producer, one sleeper: the narrowest setting, where a single missed notify strands a
/// value at once (no other consumer is awake to find it).
#[test]
fn one_producer_one_sleeper() {
    churn(1, 1);
}

/// Two producers, four sleepers (on however few cores): the three waiting styles mixed.
#[test]
fn two_producers_four_sleepers() {
    churn(2, 4);
}

/// `producers` owners push bursts of 1–3 values and wait until their burst is consumed, so the
/// `consumers` run dry and sleep every round. Every value must arrive exactly once.
fn churn(producers: usize, consumers: usize) {
    let rounds = rounds();
    let event = Arc::new(EventCount::new());
    let mut owners = Vec::new();
    let mut stealers = Vec::new();
    for _ in 0..producers {
        let (owner, stealer) = chain::new::<Box<usize>>();
        owners.push(owner);
        stealers.push(stealer);
    }
    let stealers = Arc::new(stealers);
    // Values consumed per producer: a producer waits for its burst to be consumed, so the
    // consumers run dry and go to sleep every round.
    let consumed: Arc<Vec<AtomicUsize>> =
        Arc::new((0..producers).map(|_| AtomicUsize::new(0)).collect());
    let (tx, rx) = channel::<usize>();

    let consumer_threads: Vec<_> = (0..consumers)
        .map(|c| {
            let (event, stealers, consumed, tx) = (
                event.clone(),
                stealers.clone(),
                consumed.clone(),
                tx.clone(),
            );
            thread::spawn(move || {
                let steal = || stealers.iter().find_map(|s| s.pop_tail());
                let switches = voluntary_switches();
                let mut waits = 0u64;
                loop {
                    let got = match c % 3 {
                        // The ticket API written out, counting the waits.
                        1 => loop {
                            if let Some(v) = steal() {
                                break Some(v);
                            }
                            let ticket = event.prepare_wait();
                            if let Some(v) = steal() {
                                break Some(v);
                            }
                            waits += 1;
                            if ticket.wait() == WaitResult::Closed {
                                break steal();
                            }
                        },
                        // The chain helper on the first chain, then the others.
                        2 => event.wait_until(|| stealers[0].pop_tail().or_else(steal)),
                        _ => event.wait_until(steal),
                    };
                    let Some(v) = got else { break };
                    tx.send(*v).unwrap();
                    // Release: the producer's Acquire load that sees the count sees the send.
                    consumed[*v % producers].fetch_add(1, Ordering::Release);
                }
                (waits, voluntary_switches() - switches)
            })
        })
        .collect();
    drop(tx);

    let producer_threads: Vec<_> = owners
        .into_iter()
        .enumerate()
        .map(|(p, owner)| {
            let (event, consumed) = (event.clone(), consumed.clone());
            thread::spawn(move || {
                let mut pushed = 0;
                for round in 0..rounds {
                    let burst = 1 + round % 3;
                    for _ in 0..burst {
                        // Value ids: `id % producers == p`.
                        owner.push_head_notify(Box::new(pushed * producers + p), &event);
                        pushed += 1;
                    }
                    let start = Instant::now();
                    // Acquire: pairs with the consumers' Release increments.
                    while consumed[p].load(Ordering::Acquire) < pushed {
                        assert!(
                            start.elapsed() < STALL,
                            "producer {p}: burst never consumed (lost wake-up)"
                        );
                        thread::yield_now();
                    }
                }
                pushed
            })
        })
        .collect();

    let expected = producers * (0..rounds).map(|r| 1 + r % 3).sum::<usize>();
    let mut seen = vec![0u8; expected];
    for _ in 0..expected {
        match rx.recv_timeout(STALL) {
            Ok(v) => seen[v] += 1,
            Err(RecvTimeoutError::Timeout) => {
                panic!("no value delivered for {STALL:?}: lost wake-up")
            }
            Err(RecvTimeoutError::Disconnected) => panic!("consumers quit early"),
        }
    }
    let total: usize = producer_threads
        .into_iter()
        .map(|p| p.join().unwrap())
        .sum();
    event.close();
    let mut waits = 0;
    let mut switches = 0;
    for c in consumer_threads {
        let (w, s) = c.join().unwrap();
        waits += w;
        switches += s;
    }
    assert_eq!(total, expected);
    // A duplicate would be an extra value past the expected count.
    for v in rx.try_iter() {
        seen[v] += 1;
    }
    assert!(seen.iter().all(|&n| n == 1), "a value arrived twice");
    eprintln!(
        "event_stress: {total} values, {rounds} rounds x {producers} producers, {consumers} consumers; \
         ticket-API waits {waits}, consumer voluntary context switches {switches}"
    );
    if cfg!(target_os = "linux") {
        assert!(
            switches >= 100,
            "consumers hardly slept ({switches} switches): the test lost its teeth"
        );
    }
}

/// Timed waits under the same churn: every value still arrives exactly once, whether a wait
/// ends by a notify or by its timeout, and every consumer returns once the event is closed (a
/// consumer that does not fails the test after `STALL`: `event-timed-wait-closed-loops`).
#[test]
fn timed_waiters_deliver_every_value_once() {
    let event = Arc::new(EventCount::new());
    let (owner, stealer) = chain::new::<Box<usize>>();
    let (tx, rx) = channel::<usize>();
    let consumers: Vec<_> = (0..3)
        .map(|_| {
            let (event, stealer, tx) = (event.clone(), stealer.clone(), tx.clone());
            thread::spawn(move || loop {
                match stealer.pop_tail_wait_timeout(&event, Duration::from_micros(200)) {
                    Some(v) => tx.send(*v).unwrap(),
                    None if event.is_closed() => break,
                    None => {}
                }
            })
        })
        .collect();
    drop(tx);
    let values = 4_000;
    for v in 0..values {
        owner.push_head_notify(Box::new(v), &event);
        if v % 64 == 0 {
            thread::sleep(Duration::from_micros(300)); // let the waits time out now and then
        }
    }
    let mut seen = vec![0u8; values];
    for _ in 0..values {
        seen[rx.recv_timeout(STALL).expect("value stranded")] += 1;
    }
    event.close();
    // Every consumer drops its sender when it returns: the channel disconnects once all have.
    match rx.recv_timeout(STALL) {
        Ok(v) => panic!("value {v} arrived twice"),
        Err(RecvTimeoutError::Disconnected) => {}
        Err(RecvTimeoutError::Timeout) => panic!(
            "a consumer still waits {STALL:?} after close: a timed wait on a closed event did \
             not return"
        ),
    }
    for c in consumers {
        c.join().unwrap();
    }
    assert!(seen.iter().all(|&n| n == 1));
}
