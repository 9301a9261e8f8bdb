//! Go-style stress tests (Go's `testPoolDequeue`): one producer pushes N distinct values,
//! retrying while the ring is full and popping its head after every 10th push; nine stealers
//! pop the tail. Every value must be seen exactly once (P1 no loss, P2 no duplicate).
//!
//! Rings start near the 2^32 index wrap, so every run crosses it. N defaults to 200,000;
//! `POOLQUEUE_STRESS_N` overrides it, and the `#[ignore]`d `*_long` tests use Go's 2,000,000.
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use crate::support::NEAR_WRAP;
use poolqueue::__test_hooks as hooks;
use poolqueue::{chain, dequeue};

const STEALERS: usize = if cfg!(miri) { 2 } else { 9 };

fn default_n() -> usize {
    if cfg!(miri) {
        return 200;
    }
    crate::support::knobs::knob("POOLQUEUE_STRESS_N", 200_000)
}

/// The owner side of either structure, as the stress test drives it.
trait Producer: Send + 'static {
    /// Pushes `value`, handing it back if there is no room right now.
    fn try_push(&mut self, value: Box<usize>) -> Result<(), Box<usize>>;
    fn pop_head(&mut self) -> Option<Box<usize>>;
}

impl Producer for dequeue::Owner<Box<usize>> {
    fn try_push(&mut self, value: Box<usize>) -> Result<(), Box<usize>> {
        self.push_head(value)
    }
    fn pop_head(&mut self) -> Option<Box<usize>> {
        dequeue::Owner::pop_head(self)
    }
}

impl Producer for chain::Owner<Box<usize>> {
    fn try_push(&mut self, value: Box<usize>) -> Result<(), Box<usize>> {
        self.push_head(value);
        Ok(())
    }
    fn pop_head(&mut self) -> Option<Box<usize>> {
        chain::Owner::pop_head(self)
    }
}

/// Runs the stress test and returns how many values the producer's `pop_head` got back. The
/// producer pops its head after every `pop_every`-th push (Go: 10; 1 keeps the ring at one
/// value, so `pop_head` and `pop_tail` race for the last value all the time).
fn stress<P, S>(mut producer: P, steal: S, n: usize, pop_every: usize) -> usize
where
    P: Producer,
    S: Fn() -> Option<Box<usize>> + Clone + Send + 'static,
{
    let seen: Arc<Vec<AtomicU8>> = Arc::new((0..n).map(|_| AtomicU8::new(0)).collect());
    let done = Arc::new(AtomicBool::new(false));
    let record = |seen: &[AtomicU8], v: Box<usize>| {
        seen[*v].fetch_add(1, Ordering::Relaxed);
    };

    let stealers: Vec<_> = (0..STEALERS)
        .map(|_| {
            let (seen, done, steal) = (seen.clone(), done.clone(), steal.clone());
            thread::spawn(move || loop {
                match steal() {
                    Some(v) => record(&seen, v),
                    // `done` is set after the last push, so an empty pop after seeing it means
                    // nothing is left for this stealer.
                    None if done.load(Ordering::Acquire) => break,
                    None => thread::yield_now(),
                }
            })
        })
        .collect();

    let pushed = Arc::new(AtomicUsize::new(0));
    let watchdog = progress_watchdog(pushed.clone(), done.clone());

    let popped_by_head = AtomicUsize::new(0);
    for i in 0..n {
        let mut value = Box::new(i);
        while let Err(back) = producer.try_push(value) {
            value = back;
            thread::yield_now();
        }
        pushed.store(i + 1, Ordering::Relaxed);
        if i % pop_every == 0 {
            if let Some(v) = producer.pop_head() {
                popped_by_head.fetch_add(1, Ordering::Relaxed);
                record(&seen, v);
            }
        }
    }
    done.store(true, Ordering::Release);
    watchdog.join().unwrap();
    for s in stealers {
        s.join().expect("stealer panicked");
    }
    // Whatever the stealers left (none, normally) is drained by the owner.
    while let Some(v) = producer.pop_head() {
        record(&seen, v);
    }
    for (i, c) in seen.iter().enumerate() {
        let c = c.load(Ordering::Relaxed);
        assert_eq!(
            c, 1,
            "value {i} was seen {c} times (0 = lost, >1 = duplicated)"
        );
    }
    popped_by_head.into_inner()
}

/// P6 progress: with stealers draining, a full ring must become pushable again. If the
/// producer makes no progress for a minute, report it and abort (a lost slot hand-back would
/// otherwise hang the test forever). This is a liveness bound, not a speed target.
fn progress_watchdog(pushed: Arc<AtomicUsize>, done: Arc<AtomicBool>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut last = (pushed.load(Ordering::Relaxed), std::time::Instant::now());
        while !done.load(Ordering::Acquire) {
            thread::sleep(std::time::Duration::from_millis(50));
            let now = pushed.load(Ordering::Relaxed);
            if now != last.0 {
                last = (now, std::time::Instant::now());
            } else if last.1.elapsed() > std::time::Duration::from_secs(60) {
                eprintln!("no push succeeded for 60 s after {now} values: the producer is stuck");
                std::process::abort();
            }
        }
    })
}

fn stress_ring(n: usize, pop_every: usize) {
    let (owner, stealer) = hooks::dequeue_with_start_index::<Box<usize>>(16, NEAR_WRAP).unwrap();
    let heads = stress(owner, move || stealer.pop_tail(), n, pop_every);
    assert!(
        heads > 0,
        "pop_head never succeeded: the test did not exercise the owner side"
    );
}

fn stress_chain(n: usize, pop_every: usize) {
    // Every ring of the chain starts a few positions before the wrap.
    let (owner, stealer) = hooks::chain_with_start_index::<Box<usize>>(u32::MAX - 5);
    let heads = stress(owner, move || stealer.pop_tail(), n, pop_every);
    assert!(
        heads > 0,
        "pop_head never succeeded: the test did not exercise the owner side"
    );
}

#[test]
fn dequeue_every_value_seen_exactly_once() {
    stress_ring(default_n(), 10);
}

#[test]
fn chain_every_value_seen_exactly_once() {
    stress_chain(default_n(), 10);
}

/// The owner pops right after every push, so nearly every value is the last one and both ends
/// race for it. This is the shape that exposes a stealer reading its slot before the claiming
/// compare-and-swap: the owner's pop and re-push restore the same packed word in between.
#[test]
fn dequeue_last_value_raced_by_both_ends() {
    stress_ring(default_n(), 1);
}

#[test]
fn chain_last_value_raced_by_both_ends() {
    stress_chain(default_n(), 1);
}

#[test]
#[ignore = "long: Go's N = 2,000,000"]
fn dequeue_every_value_seen_exactly_once_long() {
    stress_ring(2_000_000, 10);
    stress_ring(2_000_000, 1);
}

#[test]
#[ignore = "long: Go's N = 2,000,000"]
fn chain_every_value_seen_exactly_once_long() {
    stress_chain(2_000_000, 10);
    stress_chain(2_000_000, 1);
}
