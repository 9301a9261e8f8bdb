//! Runs one benchmark workload on one implementation, for profilers (callgrind, perf) and for
//! A/B comparisons of two builds without criterion in the way.
//!
//! ```text
//! cargo run --release --example bench_one -- <workload> <implementation> [repetitions] [runs]
//! cargo run --release --example bench_one -- a_push_pop poolqueue-dequeue 1000000 5
//! ```
//! Prints one line per run: `<workload> <implementation> <ns per item>`. Workload ids and
//! implementation names are those of the report (`benches/harness/mod.rs`).

#[path = "../harness/mod.rs"]
mod harness;

use harness::{
    run, run_batch, Batch, CbArrayQueue, CbDeque, MutexDeque, Owner, PqChain, PqDequeue, PqWorker,
    PqWorkerK0, St3Lifo, BATCH_WORKLOADS, WORKLOADS,
};

fn go<O: Owner>(id: &str, reps: u64, runs: u32) {
    let items = WORKLOADS
        .iter()
        .find(|w| w.id == id)
        .unwrap_or_else(|| panic!("unknown workload {id}"))
        .items;
    for _ in 0..runs {
        let d = run::<O>(id, reps);
        println!(
            "{id} {} {:.2}",
            O::NAME,
            d.as_nanos() as f64 / reps as f64 / items as f64
        );
    }
}

/// The batch workloads (b', c', d'), for implementations with batch operations.
fn go_batch<O: Batch>(id: &str, reps: u64, runs: u32) {
    let items = BATCH_WORKLOADS
        .iter()
        .find(|w| w.id == id)
        .unwrap_or_else(|| panic!("unknown batch workload {id}"))
        .items;
    for _ in 0..runs {
        let d = run_batch::<O>(id, reps);
        println!(
            "{id} {} {:.2}",
            O::NAME,
            d.as_nanos() as f64 / reps as f64 / items as f64
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let id = args.first().map(String::as_str).unwrap_or("a_push_pop");
    let name = args
        .get(1)
        .map(String::as_str)
        .unwrap_or("poolqueue-dequeue");
    let reps = args
        .get(2)
        .map_or(1_000_000, |s| s.parse().expect("repetitions"));
    let runs = args.get(3).map_or(1, |s| s.parse().expect("runs"));
    if BATCH_WORKLOADS.iter().any(|w| w.id == id) {
        match name {
            "poolqueue-dequeue" => go_batch::<PqDequeue>(id, reps, runs),
            "poolqueue-chain" => go_batch::<PqChain>(id, reps, runs),
            "poolqueue-worker" => go_batch::<PqWorker>(id, reps, runs),
            "st3-lifo" => go_batch::<St3Lifo>(id, reps, runs),
            "crossbeam-deque" => go_batch::<CbDeque>(id, reps, runs),
            other => panic!("no batch operations for {other}"),
        }
        return;
    }
    match name {
        "poolqueue-dequeue" => go::<PqDequeue>(id, reps, runs),
        "poolqueue-chain" => go::<PqChain>(id, reps, runs),
        "poolqueue-worker" => go::<PqWorker>(id, reps, runs),
        "poolqueue-worker-k0" => go::<PqWorkerK0>(id, reps, runs),
        "st3-lifo" => go::<St3Lifo>(id, reps, runs),
        "crossbeam-deque" => go::<CbDeque>(id, reps, runs),
        "crossbeam-arrayqueue" => go::<CbArrayQueue>(id, reps, runs),
        "mutex-vecdeque" => go::<MutexDeque>(id, reps, runs),
        other => panic!("unknown implementation {other}"),
    }
}
