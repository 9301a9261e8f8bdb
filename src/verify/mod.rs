//! Verification support shared by the test suites, the fuzz targets and the report: not part of
//! the public API, no stability promise. Always compiled, std only, so every checker (shuttle,
//! real threads, loom, fuzzing) uses the same code.

pub mod lincheck;

/// Chain rings currently allocated in the process, over all chains (normal builds only; under
/// loom, its leak tracker checks every ring instead).
#[cfg(not(any(feature = "loom", feature = "shuttle")))]
pub fn live_rings() -> usize {
    crate::sync::LIVE_TRACKED.load(crate::sync::Ordering::Relaxed)
}

/// The slots of the chain rings currently allocated in the process, over all chains (normal
/// builds only): the memory bound of a chain or a pool, in slots.
#[cfg(not(any(feature = "loom", feature = "shuttle")))]
pub fn live_ring_slots() -> usize {
    crate::sync::LIVE_SLOTS.load(crate::sync::Ordering::Relaxed)
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
