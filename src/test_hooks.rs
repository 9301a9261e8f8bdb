//! Hooks for the crate's test binaries (`verification/`) and fuzz targets, exported as
//! `poolqueue::__test_hooks`: compiled only with the hidden `__test-hooks` feature, outside
//! semver, never in the library users build. This module sits above the library and only calls
//! down into it (the chain's ring counters, the epoch's collection round); nothing in the
//! library calls it. The
//! linearizability checker and the drop-counting values live outside the library
//! (`verification/lincheck/`, `verification/support/`).

use crate::{chain, dequeue, CapacityError};
#[cfg(not(any(feature = "loom", feature = "shuttle")))]
use std::marker::PhantomData;

#[cfg(not(any(feature = "loom", feature = "shuttle")))]
use crate::chain::ring_count;
#[cfg(not(any(feature = "loom", feature = "shuttle")))]
use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

/// [`dequeue::new`] with both indices starting at `start` instead of 0. Tests start near 2^32
/// (Go's hooks use `2^32 - 500`) so that every run crosses the index wrap.
pub fn dequeue_with_start_index<T>(
    capacity: usize,
    start: u32,
) -> Result<(dequeue::Owner<T>, dequeue::Stealer<T>), CapacityError> {
    dequeue::with_start_index(capacity, start)
}

/// [`chain::new`] with every ring's indices starting at `start`, so tests cross the 2^32 wrap.
pub fn chain_with_start_index<T>(start: u32) -> (chain::Owner<T>, chain::Stealer<T>) {
    chain::with_start_index(start)
}

/// As [`chain_with_start_index`], with a first ring of `capacity` slots instead of
/// [`chain::FIRST_RING_CAPACITY`], so model checkers can outgrow and drain rings in a few steps.
///
/// # Panics
/// Unless `capacity` is a power of two in `2..=2^30`.
pub fn chain_with_first_capacity<T>(
    capacity: usize,
    start: u32,
) -> (chain::Owner<T>, chain::Stealer<T>) {
    chain::with_first_capacity(capacity, start)
}

/// Chain rings currently allocated in the process, over all chains (normal builds only; under
/// loom, its leak tracker checks every ring instead).
#[cfg(not(any(feature = "loom", feature = "shuttle")))]
pub fn live_rings() -> usize {
    // Relaxed: a statistic, read after a join (ordering.md V-counters).
    ring_count::LIVE_RINGS.load(Ordering::Relaxed)
}

/// The slots of the chain rings currently allocated in the process, over all chains (normal
/// builds only): the memory bound of a chain or a pool, in slots.
#[cfg(not(any(feature = "loom", feature = "shuttle")))]
pub fn live_ring_slots() -> usize {
    // Relaxed: as in `live_rings` (ordering.md V-counters).
    ring_count::LIVE_SLOTS.load(Ordering::Relaxed)
}

/// Normal builds: drives the crate's epoch collector until the rings retired so far by
/// this process have been freed, or gives up after a bounded number of rounds. Call it with no
/// other thread pinned; returns [`live_rings`] afterwards.
///
/// The crate's collector frees garbage only as pins advance the epoch, and never at exit; tests
/// that check ring memory (under Miri in particular, whose leak check cannot see through
/// crossbeam's tagged pointers) call this before counting.
#[cfg(not(any(feature = "loom", feature = "shuttle")))]
pub fn collect_retired(expected_live: usize) -> usize {
    for _ in 0..256 {
        if live_rings() <= expected_live {
            break;
        }
        // Each round seals this thread's bag into the crate collector's queue and tries to
        // advance the epoch; garbage two epochs old is freed.
        crate::sync::collect_round();
    }
    live_rings()
}

/// Chain rings allocated by the threads that entered this scope and not freed yet, wherever they
/// are freed (normal builds only). Unlike [`live_rings`], the count is not disturbed by other
/// tests of the same binary that create chains at the same time.
///
/// ```
/// # poolqueue::__doc_model(|| {
/// use poolqueue::__test_hooks::RingScope;
/// let scope = RingScope::new();
/// let entered = scope.enter();
/// let (mut owner, stealer) = poolqueue::chain::new::<u32>();
/// (0..20).for_each(|i| owner.push_head(i)); // 8 + 16 slots
/// drop(entered);
/// assert_eq!(scope.live(), 2);
/// drop((owner, stealer));
/// assert_eq!(scope.collect(0), 0);
/// # });
/// ```
#[cfg(not(any(feature = "loom", feature = "shuttle")))]
#[derive(Clone, Debug, Default)]
pub struct RingScope(Arc<AtomicUsize>);

/// Leaves the scope entered by [`RingScope::enter`] when dropped.
#[cfg(not(any(feature = "loom", feature = "shuttle")))]
#[derive(Debug)]
pub struct Entered(Option<Arc<AtomicUsize>>);

#[cfg(not(any(feature = "loom", feature = "shuttle")))]
impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.0.take();
        let _ = ring_count::CURRENT.try_with(|c| *c.borrow_mut() = previous);
        // Relaxed: only the entering thread reads the scope (program order) (ordering.md V-scope).
        ring_count::ENTERED.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(not(any(feature = "loom", feature = "shuttle")))]
impl RingScope {
    /// An empty scope.
    pub fn new() -> Self {
        RingScope::default()
    }

    /// Counts the rings the calling thread allocates in this scope until the guard drops.
    pub fn enter(&self) -> Entered {
        // Relaxed: as in `Entered::drop` (ordering.md V-scope).
        ring_count::ENTERED.fetch_add(1, Ordering::Relaxed);
        Entered(ring_count::CURRENT.with(|c| c.borrow_mut().replace(self.0.clone())))
    }

    /// Rings of this scope still allocated.
    pub fn live(&self) -> usize {
        // Relaxed: a statistic, re-read by `collect` until it settles (ordering.md V-counters).
        self.0.load(Ordering::Relaxed)
    }

    /// As [`collect_retired`], until this scope has at most `expected_live` rings; returns
    /// [`RingScope::live`] afterwards.
    pub fn collect(&self, expected_live: usize) -> usize {
        for _ in 0..1024 {
            if self.live() <= expected_live {
                break;
            }
            crate::sync::collect_round();
            // Another test's thread may hold a pin or be freeing this scope's ring right now.
            std::thread::yield_now();
        }
        self.live()
    }
}

/// Where a [`pause_at`] hook runs: between two steps of a chain operation.
pub use crate::chain::pause::Point as ChainPoint;

/// Runs `hook` on the calling thread at each [`ChainPoint`] it reaches, until the returned guard
/// drops (normal builds only). The hook may block, to hold this thread between the two steps
/// while others run; one hook per thread, the newest wins.
#[cfg(not(any(feature = "loom", feature = "shuttle")))]
pub fn pause_at(hook: impl FnMut(ChainPoint) + 'static) -> PauseHook {
    use crate::chain::pause::{HOOK, HOOKED};
    let previous = HOOK.with(|h| h.borrow_mut().replace(Box::new(hook)));
    HOOKED.with(|flag| flag.set(true));
    drop(previous);
    PauseHook(PhantomData)
}

/// Removes the calling thread's [`pause_at`] hook when dropped (on the thread that set it: the
/// guard is neither `Send` nor `Sync`).
#[cfg(not(any(feature = "loom", feature = "shuttle")))]
#[derive(Debug)]
#[must_use = "the hook is removed when this guard drops"]
pub struct PauseHook(PhantomData<*const ()>);

#[cfg(not(any(feature = "loom", feature = "shuttle")))]
impl Drop for PauseHook {
    fn drop(&mut self) {
        use crate::chain::pause::{HOOK, HOOKED};
        let _ = HOOKED.try_with(|flag| flag.set(false));
        // The hook itself (test code) is dropped after the slot's borrow ends.
        let hook = HOOK.try_with(|h| h.borrow_mut().take()).ok().flatten();
        drop(hook);
    }
}

/// One collection round on the crate's epoch collector from the calling thread: pins, seals
/// this thread's bag, tries to advance the epoch and frees what has expired (normal builds and
/// the loom-epoch lane).
#[cfg(any(
    not(any(feature = "loom", feature = "shuttle")),
    all(feature = "loom", crossbeam_loom)
))]
pub fn epoch_collect_round() {
    crate::sync::collect_round()
}

/// The loom-epoch lane (`cargo loom-epoch`, `--cfg crossbeam_loom`): the chain rings the crate's
/// crossbeam collector has freed so far in the current loom execution.
#[cfg(all(feature = "loom", crossbeam_loom))]
pub fn epoch_freed_rings() -> usize {
    crate::sync::freed_rings()
}

/// The ring capacities of each of `pool`'s chains, oldest ring first: every shard's, in shard
/// order, then the victim generation's (under the model checkers too).
#[cfg(feature = "pool")]
pub fn pool_ring_capacities<T>(pool: &crate::Pool<T>) -> Vec<Vec<usize>> {
    pool.ring_capacities()
}

/// The chain owner's trim, which the pool runs after a `release`: when every ring is empty,
/// links a small fresh head ring and unlinks the drained ones.
pub fn chain_trim<T>(owner: &chain::Owner<T>) {
    owner.trim()
}

/// [`worker::with_private`](crate::worker::with_private) over a chain whose rings start their
/// indices at `start`, so tests cross the 2^32 wrap.
pub fn worker_with_start_index<T>(
    k: usize,
    start: u32,
) -> (crate::worker::Owner<T>, crate::worker::Stealer<T>) {
    let (owner, stealer) = chain::with_start_index(start);
    crate::worker::with_chain(k, owner, stealer)
}

/// As [`worker_with_start_index`], with a first ring of `capacity` slots (see
/// [`chain_with_first_capacity`]).
pub fn worker_with_first_capacity<T>(
    k: usize,
    capacity: usize,
    start: u32,
) -> (crate::worker::Owner<T>, crate::worker::Stealer<T>) {
    let (owner, stealer) = chain::with_first_capacity(capacity, start);
    crate::worker::with_chain(k, owner, stealer)
}

/// Whether a stealer's request is pending on `owner`'s worker (read by the owner's thread).
pub fn worker_request_pending<T>(owner: &crate::worker::Owner<T>) -> bool {
    owner.request_pending()
}

/// How many of `owner`'s values are private (read by the owner's thread).
pub fn worker_private_len<T>(owner: &crate::worker::Owner<T>) -> usize {
    owner.private_len()
}
