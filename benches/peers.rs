//! The peers on every workload of the shared harness: `st3::lifo`, `crossbeam-deque` (LIFO
//! worker + stealer), `crossbeam-queue::ArrayQueue` and `Mutex<VecDeque>`.
//!
//! `cargo bench --bench peers`; `bash benches/report.sh` runs it beside `ring` and Go.

mod harness;

use criterion::{criterion_group, criterion_main, Criterion};
use harness::{bench_all, bench_batch, CbArrayQueue, CbDeque, MutexDeque, St3Lifo};

fn peers(c: &mut Criterion) {
    bench_all::<St3Lifo>(c);
    bench_all::<CbDeque>(c);
    bench_all::<CbArrayQueue>(c);
    bench_all::<MutexDeque>(c);
    bench_batch::<St3Lifo>(c);
    bench_batch::<CbDeque>(c);
}

criterion_group!(benches, peers);
criterion_main!(benches);
