//! The embedding workloads (`benches/harness/embed.rs`): `is_empty` on owners and stealers and
//! the fine-grained work-stealing pattern, poolqueue beside crossbeam-deque and st3.
//!
//! `cargo bench --bench embed`; `bash benches/report.sh` runs it with the other benches and puts
//! the rows, with ratios, in the side-by-side report.

mod harness;

use criterion::{criterion_group, criterion_main, Criterion};
use harness::embed::{bench_owner, bench_stealer};
use harness::{CbDeque, PqChain, PqDequeue, PqWorker, St3Lifo};

fn embedding(c: &mut Criterion) {
    bench_owner::<PqDequeue>(c);
    bench_owner::<PqChain>(c);
    bench_owner::<PqWorker>(c);
    bench_owner::<CbDeque>(c);
    bench_owner::<St3Lifo>(c);
    bench_stealer::<PqDequeue>(c);
    bench_stealer::<PqChain>(c);
    bench_stealer::<PqWorker>(c);
    bench_stealer::<CbDeque>(c);
}

criterion_group!(benches, embedding);
criterion_main!(benches);
