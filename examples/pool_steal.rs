//! Cross-thread stealing. One thread only puts 10 000 values, three threads
//! only get 3 000 each; the getters' hits come from stealing the putter's chain (or, once the
//! putter has exited, from its shard, which the next thread to take its id inherits).
//!
//! The getters' hit ratio is the cross-thread hit ratio: every value they get was put by
//! another thread. A steal moves half of a ring of the producer's chain in one batch: one value
//! is returned, the rest land in the thief's own chain, so most hits show as own-chain hits and
//! the steals column counts batches. The producer hides at most 33 values from the getters (its
//! private slot and a full stash; see the pool's module documentation), so they see its other
//! 9 967 at once.
//!
//! Run: `cargo run --release --example pool_steal`

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Barrier;
use std::thread;

use poolqueue::{Pool, Pooled};

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// The producer puts everything, then waits (alive) while the consumers get.
    ProducerFirst,
    /// The consumers start once 1 000 values are in and race the producer.
    Race,
    /// The producer puts everything and exits before the consumers start.
    ProducerExits,
}

fn run(mode: Mode) {
    let pool = Pool::with_reset(|| Box::new(0_u64), |b| **b = 0).with_counters();
    let (hits, misses) = (AtomicU64::new(0), AtomicU64::new(0));
    let go = AtomicBool::new(false);
    let done = Barrier::new(4);
    let consume = || {
        while !go.load(Ordering::Acquire) {
            std::hint::spin_loop();
        }
        for _ in 0..3_000 {
            match pool.try_get() {
                // Keep it: Go's consumers never put back either.
                Some(v) => drop(Pooled::detach(v)),
                None => {
                    misses.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            }
            hits.fetch_add(1, Ordering::Relaxed);
        }
    };
    thread::scope(|s| {
        let producer = s.spawn(|| {
            for i in 0..10_000 {
                pool.put(Box::new(i));
                if (mode == Mode::Race && i == 1_000) || (mode == Mode::ProducerFirst && i == 9_999)
                {
                    go.store(true, Ordering::Release);
                }
            }
            if mode != Mode::ProducerExits {
                done.wait(); // stay alive until the consumers are done
            }
        });
        if mode == Mode::ProducerExits {
            producer.join().unwrap();
            go.store(true, Ordering::Release);
        }
        for _ in 0..3 {
            s.spawn(|| {
                consume();
                if mode != Mode::ProducerExits {
                    done.wait();
                }
            });
        }
    });
    let st = pool.stats().unwrap();
    let name = match mode {
        Mode::ProducerFirst => "producer first (alive):",
        Mode::Race => "consumers race the producer:",
        Mode::ProducerExits => "producer exits first:",
    };
    let (hits, misses) = (hits.load(Ordering::Relaxed), misses.load(Ordering::Relaxed));
    println!(
        "{name:<30} hits {:>5} misses {:>5} ({:>5.1}% cross-thread hits) | steals {:>4} own-chain {:>4} private {:>4} | left {:>5}",
        hits,
        misses,
        100.0 * hits as f64 / (hits + misses).max(1) as f64,
        st.steal_hits,
        st.shared_hits,
        st.private_hits,
        st.puts - st.gets(),
    );
}

fn main() {
    run(Mode::ProducerFirst);
    run(Mode::Race);
    run(Mode::ProducerExits);
    println!("steals come from the producer's chain tail; after it exits, a consumer that takes");
    println!("its thread id inherits its shard and pops the same values from the chain head.");
}
