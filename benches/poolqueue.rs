//! poolqueue's `dequeue` and `chain` on every workload of the shared harness.
//!
//! `cargo bench --bench poolqueue` (and `--bench peers` for the peers); `bash benches/report.sh`
//! runs both plus Go's counterparts and writes the side-by-side report.

mod harness;

use criterion::{criterion_group, criterion_main, Criterion};
use harness::{bench_all, bench_batch, PqChain, PqDequeue, PqWorker, PqWorkerK0};

fn poolqueue(c: &mut Criterion) {
    bench_all::<PqDequeue>(c);
    bench_all::<PqChain>(c);
    bench_all::<PqWorker>(c);
    bench_all::<PqWorkerK0>(c);
    bench_batch::<PqDequeue>(c);
    bench_batch::<PqChain>(c);
    bench_batch::<PqWorker>(c);
}

criterion_group!(benches, poolqueue);
criterion_main!(benches);
