//! Helpers shared by the loom models: identity-tagged values and the exactly-once check.

#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::HashSet;

use crate::support::knobs;
use lincheck::identity::{DropCounter, Identity};
use loom::alloc::Track;

/// Counts the drops of the current execution's values: ids in a std thread-local (bookkeeping
/// only; all loom threads of a model run on the test's OS thread), plus loom's `Track`, which
/// fails the model ("leaked") for a value that is never dropped.
#[derive(Debug)]
pub(crate) struct LoomCount(#[allow(dead_code)] Track<()>);

std::thread_local! {
    /// Ids dropped in the current execution.
    static DROPPED: RefCell<HashSet<u64>> = RefCell::new(HashSet::new());
}

impl DropCounter for LoomCount {
    fn count_drop(&self, id: u64) -> u64 {
        if DROPPED.with(|d| d.borrow_mut().insert(id)) {
            1
        } else {
            2
        }
    }
}

/// A value with an identity ([`Identity`]: a `Box`, so a lost value is a leak, and a second drop
/// of a duplicate fails the model with a clear message instead of a double free), tracked by
/// loom's leak checker.
#[derive(Debug)]
pub(crate) struct Val(Identity<LoomCount>);

impl Val {
    pub(crate) fn new(id: u32) -> Val {
        Val(Identity::new(u64::from(id), LoomCount(Track::new(()))))
    }

    pub(crate) fn id(&self) -> u32 {
        self.0.id() as u32
    }
}

/// Asserts that `seen` holds every id in `expected` exactly once (no loss, no duplicate).
#[track_caller]
pub(crate) fn assert_exactly_once(
    seen: impl IntoIterator<Item = u32>,
    expected: impl IntoIterator<Item = u32>,
) {
    let mut seen: Vec<u32> = seen.into_iter().collect();
    let mut expected: Vec<u32> = expected.into_iter().collect();
    seen.sort_unstable();
    expected.sort_unstable();
    assert_eq!(
        seen, expected,
        "every pushed value must come out exactly once"
    );
}

std::thread_local! {
    static YIELD_FIRST: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Called by a model's main thread right after it spawns: in the second pass of [`model`] the
/// main thread yields, so the spawned threads run first.
///
/// loom's DPOR remembers only the last access to each atomic, so it can miss the order "thread
/// A's load, then thread B's read-modify-write" when B also loaded in between (for example an
/// owner whose push only *loads* the word because the ring looks full, against a stealer's
/// load + compare-and-swap). Starting the exploration once from each side covers both orders.
pub(crate) fn after_spawn() {
    if YIELD_FIRST.with(|y| y.get()) {
        loom::thread::yield_now();
    }
}

/// Two stealers (each on its own clone of `stealer`, one `steal` each) race one `pop` by the
/// owner on the model's main thread; returns the ids the three calls took.
pub(crate) fn two_stealers_and_the_owner<S: Clone + Send + 'static>(
    stealer: &S,
    steal: fn(&S) -> Option<Val>,
    pop: impl FnOnce() -> Option<Val>,
) -> Vec<u32> {
    let thieves: Vec<_> = (0..2)
        .map(|_| {
            let s = stealer.clone();
            loom::thread::spawn(move || steal(&s).map(|v| v.id()))
        })
        .collect();
    after_spawn();
    let mut seen: Vec<u32> = pop().map(|v| v.id()).into_iter().collect();
    for t in thieves {
        seen.extend(t.join().unwrap());
    }
    seen
}

/// The preemption bound of the chain's bounded models (`chain.rs`) with `POOLQUEUE_LONG`
/// (`cargo xtask verify --long`): the re-check at four preemptions, about 450 s for all of them
/// on a 2-core machine (their default bounds, 2 and 3, take seconds).
const LONG_CHAIN_BOUND: usize = 4;

/// Runs `f` under loom with an explicit preemption bound (`None` = exhaustive) and prints how
/// many executions were explored (`cargo test --features loom -- --nocapture` shows it).
/// `LOOM_MAX_PREEMPTIONS` can only raise a bounded model's bound (the audit's re-check at a
/// higher bound), and so does `POOLQUEUE_LONG` for the chain's models (`LONG_CHAIN_BOUND`); an
/// exhaustive model stays exhaustive.
#[track_caller]
pub(crate) fn model<F: Fn() + Sync + Send + 'static>(preemption_bound: Option<usize>, f: F) {
    let caller = std::panic::Location::caller();
    let file = caller.file();
    let structure = if file.contains("chain") || file.contains("epoch") {
        "chain"
    } else if file.contains("worker") {
        "worker"
    } else {
        "dequeue"
    };
    match preemption_bound {
        // Filed under a checker of its own, so the report gives its executions apart.
        Some(bound) if file.ends_with("loom/chain.rs") && knobs::flag("POOLQUEUE_LONG") => {
            let bound = Some(bound.max(LONG_CHAIN_BOUND));
            run_model(bound, None, structure, "loom-chain-bound-4", f)
        }
        _ => model_with(preemption_bound, None, structure, f),
    }
}

/// The checker name the report files a model under: `loom` (adversarial reclaimer) or
/// `loom-epoch` (the crate's crossbeam-epoch collector, `--cfg crossbeam_loom`).
pub(crate) fn checker() -> &'static str {
    if cfg!(crossbeam_loom) {
        "loom-epoch"
    } else {
        "loom"
    }
}

/// As [`model`], with loom's branch limit raised to `max_branches` (for models whose threads
/// run many operations, such as a pool with the real epoch), filed in the report under
/// `structure`.
#[track_caller]
pub(crate) fn model_with<F: Fn() + Sync + Send + 'static>(
    preemption_bound: Option<usize>,
    max_branches: Option<usize>,
    structure: &str,
    f: F,
) {
    run_model(preemption_bound, max_branches, structure, checker(), f)
}

/// [`model_with`], filed in the report under `checker`.
#[track_caller]
fn run_model<F: Fn() + Sync + Send + 'static>(
    preemption_bound: Option<usize>,
    max_branches: Option<usize>,
    structure: &str,
    checker: &str,
    f: F,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let mut b = loom::model::Builder::new();
    // The builder read `LOOM_MAX_PREEMPTIONS` into `b.preemption_bound`.
    let preemption_bound = match (preemption_bound, b.preemption_bound) {
        (Some(own), Some(env)) => Some(own.max(env)),
        (own, _) => own,
    };
    b.preemption_bound = preemption_bound;
    if let Some(max) = max_branches {
        b.max_branches = max;
    }
    // A std counter: not a loom object, so it adds no synchronization to the model.
    let executions = Arc::new(AtomicUsize::new(0));
    let counter = executions.clone();
    let start = std::time::Instant::now();
    let f = Arc::new(f);
    for yield_first in [false, true] {
        YIELD_FIRST.with(|y| y.set(yield_first));
        let (f, counter) = (f.clone(), counter.clone());
        b.check(move || {
            DROPPED.with(|d| d.borrow_mut().clear());
            let n = counter.fetch_add(1, Ordering::Relaxed) + 1;
            if n % 50_000 == 0 {
                eprintln!("  ... {n} executions");
            }
            f()
        });
    }
    YIELD_FIRST.with(|y| y.set(false));
    let caller = std::panic::Location::caller();
    let explored = executions.load(Ordering::Relaxed);
    eprintln!(
        "loom model at {caller}: preemption bound {preemption_bound:?}, {explored} executions, {:.2?}",
        start.elapsed()
    );
    // For the verification report: counts asserted (P1, P2), the race detector (P4), the leak
    // tracker and the liveness cells written by the reclaimer (P5): the adversarial one, or
    // crossbeam's free in the loom-epoch lane.
    let bound = preemption_bound.map_or("exhaustive".to_string(), |b| format!("at-most-{b}"));
    println!(
        "POOLQUEUE-STAT checker={checker} property=P1,P2,P4,P5 test={structure} bound={bound} models=1 \
         executions={explored}"
    );
}

/// A thief with its own chain (a first ring of 2 slots) runs `steal` into it and returns the
/// ids it got, oldest first: what `steal` returned, then what its chain's stealer takes. Its
/// indices start two short of 2^32, so the values it receives cross the wrap.
pub(crate) fn chain_thief(
    steal: impl FnOnce(&poolqueue::chain::Owner<Val>) -> Option<Val> + Send + 'static,
) -> loom::thread::JoinHandle<Vec<u32>> {
    loom::thread::spawn(move || {
        let (mine, my_stealer) =
            poolqueue::__test_hooks::chain_with_first_capacity::<Val>(2, u32::MAX - 1);
        let mut got: Vec<u32> = steal(&mine).map(|v| v.id()).into_iter().collect();
        got.extend(std::iter::from_fn(|| my_stealer.pop_tail().map(|v| v.id())));
        got
    })
}
