//! An unbounded lock-free deque built from doubling rings (Go's `poolChain`).
//!
//! The owner pushes into the newest ring and, when it is full, links a ring twice its size
//! (8, 16, 32, … slots, capped at 2^30), so [`Owner::push_head`] never fails. Stealers pop from
//! the oldest ring and unlink it once it is drained for good; its memory is then reclaimed
//! through an epoch, so a thread still looking at it never touches freed memory.
//!
//! ```
//! # poolqueue::__doc_model(|| {
//! let (owner, stealer) = poolqueue::chain::new::<u32>();
//! for i in 0..20 {
//!     owner.push_head(i); // never fails: 8 slots, then a 16-slot ring
//! }
//! assert_eq!(stealer.pop_tail(), Some(0));
//! assert_eq!(owner.pop_head(), Some(19));
//! assert_eq!(owner.len(), 18);
//! # });
//! ```
//!
//! # Invariants
//!
//! Numbered C1–C5, as in `proofs-notes/invariants.md`.
//!
//! Rings form a doubly linked list from the stealers' `tail` (oldest) to the owner's `head`
//! (newest). `next` points toward the head and `prev` toward the tail.
//!
//! - C1. `next` goes from null to non-null once, set by the owner after its last push to that
//!   ring. So a stealer that read a non-null `next` *before* a pop that found the ring empty
//!   knows the ring is empty for good: the owner can still pop its head, but never push.
//! - C2. Only the stealer whose compare-and-swap moves `tail` from a ring to its successor unlinks
//!   that ring: it clears the successor's `prev` (so the owner's `pop_head` stops backing up
//!   into it) and retires the ring to the epoch. It is then unreachable for any thread that
//!   pins afterwards, and threads pinned before keep it alive until they unpin.
//! - C3. The head ring is never retired (its `next` is null), so the owner's pushes and its first
//!   pop need no pin; walking `prev` does.
//! - C4. All rings still linked when the last handle is dropped are freed then, with their values.
//! - C5. A retired ring holds no values, so freeing it runs no user code, wherever the epoch
//!   happens to run the free.
//!
//! # Memory
//!
//! - **Drained rings are given back.** The stealer or the owner that finds the tail ring empty
//!   for good unlinks and retires it; the epoch frees it at its next collection (every
//!   retirement collects, see `sync::reclaim_epoch`). The owner unlinks drained rings itself
//!   when its `pop_head` backs up past the head ring, so a chain drained by its owner alone
//!   shrinks too.
//! - **The head ring shrinks after a burst.** The owner bounds the most values the chain
//!   held over two kinds of measuring window: since its `pop_head` last found the chain empty,
//!   and since its current *countdown window* began (a window that began on a head ring of `C`
//!   slots ends after the owner popped `C` values, and within the slot count of any larger ring
//!   it links meanwhile; a ring of [`FIRST_RING_CAPACITY`] slots never shrinks and runs no
//!   countdown). The bound counts the head ring's largest length, the slots of every ring the
//!   owner outgrew, and the chain's length when the window began. When `pop_head` (or
//!   `pop_head_batch`) finds the chain empty, or a countdown window ends, and that window's
//!   bound is at most a quarter of the head ring's slots, the owner links a fresh ring sized
//!   for twice the bound (the next power of two, at least [`FIRST_RING_CAPACITY`]). The old
//!   head ring keeps its values; once they are taken (by stealers or the owner's pops) it is
//!   unlinked and freed like any drained ring. So after a burst the head ring shrinks the
//!   second time the owner finds the chain empty, or, if the owner keeps working without ever
//!   finding it empty, within `16 + C` of its pops, `C` the burst's head ring. A window whose
//!   bound is above a quarter shrinks nothing, and a ring sized for twice a bound is not shrunk
//!   again by the same bound, so a workload that reaches the same peak in every window (every
//!   `C` pops) allocates nothing once settled. Each shrink links a ring of at most half the
//!   head ring's slots, so the shrinks allocate no more slots than the growth did: O(1) per
//!   value pushed, amortized. The check costs `pop_head` one decrement; the rest runs once
//!   per window (it pins when the chain has more than one ring).

use core::cell::Cell;
use core::fmt;
use core::mem::MaybeUninit;
use core::ptr;
#[cfg(feature = "event")]
use core::time::Duration;

#[cfg(feature = "event")]
use crate::event::EventCount;
use crate::ring::{steal_half, Oldest, Ring};
use crate::sync::{ArcHandle, AtomicPtr, Collector, Guard, LeakTrack, Liveness, Ordering, Reclaim};

/// The first ring's capacity.
pub const FIRST_RING_CAPACITY: usize = 8;

/// The largest ring's capacity; once reached, every new ring has this many slots.
pub const MAX_RING_CAPACITY: usize = crate::CapacityError::MAX;

/// The owner's pops in a measuring window that begins on a head ring of `capacity` slots: as
/// many as it has slots; unbounded (`u32::MAX`) for a ring of [`FIRST_RING_CAPACITY`] slots,
/// which never shrinks.
const fn window_pops(capacity: usize) -> u32 {
    if capacity > FIRST_RING_CAPACITY {
        capacity as u32
    } else {
        u32::MAX
    }
}

/// The capacity of the ring linked after a full ring of `capacity` slots.
///
/// ```
/// use poolqueue::chain::{next_ring_capacity, MAX_RING_CAPACITY};
/// assert_eq!(next_ring_capacity(8), 16);
/// assert_eq!(next_ring_capacity(1 << 29), MAX_RING_CAPACITY);
/// assert_eq!(next_ring_capacity(MAX_RING_CAPACITY), MAX_RING_CAPACITY);
/// ```
pub const fn next_ring_capacity(capacity: usize) -> usize {
    match capacity.checked_mul(2) {
        Some(doubled) if doubled <= MAX_RING_CAPACITY => doubled,
        _ => MAX_RING_CAPACITY,
    }
}

struct Node<T> {
    ring: Ring<T>,
    /// The newer ring; null until the owner outgrows this one (C1).
    next: AtomicPtr<Node<T>>,
    /// The older ring; null once that ring is unlinked (C2).
    prev: AtomicPtr<Node<T>>,
    _track: LeakTrack,
    /// Counts the ring among the live rings (the test hooks' `live_rings`, `RingScope`).
    #[cfg(all(
        feature = "__test-hooks",
        not(any(feature = "loom", feature = "shuttle"))
    ))]
    _counted: ring_count::Counted,
    /// Zero-sized outside loom; under loom the reclaimer marks the node freed here.
    live: Liveness,
}

impl<T> Reclaim for Node<T> {
    fn liveness(&self) -> &Liveness {
        &self.live
    }
}

impl<T> Node<T> {
    // `LeakTrack` and `Liveness` are unit structs only in some builds of the `sync` shim.
    #[allow(clippy::default_constructed_unit_structs)]
    fn boxed(capacity: usize, start: u32, prev: *mut Node<T>) -> *mut Node<T> {
        Box::into_raw(Box::new(Node {
            ring: Ring::new(capacity, start),
            next: AtomicPtr::new(ptr::null_mut()),
            prev: AtomicPtr::new(prev),
            _track: LeakTrack::new(capacity),
            #[cfg(all(
                feature = "__test-hooks",
                not(any(feature = "loom", feature = "shuttle"))
            ))]
            _counted: ring_count::Counted::new(capacity),
            live: Liveness::default(),
        }))
    }

    /// Checks, under loom, that the reclaimer has not freed this node; every access to a node
    /// that may be retired goes through here (a no-op in normal builds).
    #[inline(always)]
    fn alive(&self) -> &Self {
        self.live.check();
        self
    }
}

/// With the hidden `__test-hooks` feature, in normal builds: the chain rings alive in the process
/// and their slots, counted where rings are allocated and freed, and the per-thread scope a ring
/// also counts in. Read by the test hooks (`live_rings`, `live_ring_slots`, `RingScope`) so tests
/// can check that every retired ring is freed and that memory shrinks back. Two relaxed
/// read-modify-writes per ring allocated or freed; nothing on the per-operation paths. Under
/// loom its leak tracker checks every ring instead (the shim's `LeakTrack`).
#[cfg(all(
    feature = "__test-hooks",
    not(any(feature = "loom", feature = "shuttle"))
))]
pub(crate) mod ring_count {
    use std::cell::RefCell;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// Rings alive in the process.
    pub(crate) static LIVE_RINGS: AtomicUsize = AtomicUsize::new(0);
    /// The slots of the rings alive in the process.
    pub(crate) static LIVE_SLOTS: AtomicUsize = AtomicUsize::new(0);
    /// Scopes entered and not yet left, over all threads. While it is 0 (every test that does not
    /// use a scope), ring allocations never touch [`CURRENT`], so no thread gains a thread-local
    /// destructor from this count (an extra destructor would change the timing of thread exits
    /// that the pool's tests observe).
    pub(crate) static ENTERED: AtomicUsize = AtomicUsize::new(0);

    std::thread_local! {
        /// The scope counter the calling thread's ring allocations count in.
        pub(crate) static CURRENT: RefCell<Option<Arc<AtomicUsize>>> = const { RefCell::new(None) };
    }

    /// One ring, counted while it lives.
    #[derive(Debug)]
    pub(super) struct Counted {
        slots: usize,
        scope: Option<Arc<AtomicUsize>>,
    }

    impl Counted {
        pub(super) fn new(slots: usize) -> Self {
            // Relaxed: a test counter, read after a join (ordering.md Y-leak-count).
            LIVE_RINGS.fetch_add(1, Ordering::Relaxed);
            // Relaxed: as above (ordering.md Y-leak-count).
            LIVE_SLOTS.fetch_add(slots, Ordering::Relaxed);
            Counted {
                slots,
                scope: scope_allocated(),
            }
        }
    }

    /// The calling thread's scope, if any, counted one more.
    fn scope_allocated() -> Option<Arc<AtomicUsize>> {
        // Relaxed: a scope entered on this thread was counted before it (ordering.md V-scope).
        if ENTERED.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let scope = CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()?;
        // Relaxed: a statistic, re-read until it settles (ordering.md V-counters).
        scope.fetch_add(1, Ordering::Relaxed);
        Some(scope)
    }

    impl Drop for Counted {
        fn drop(&mut self) {
            // Relaxed: a test counter, read after a join (ordering.md Y-leak-count).
            LIVE_RINGS.fetch_sub(1, Ordering::Relaxed);
            // Relaxed: as above (ordering.md Y-leak-count).
            LIVE_SLOTS.fetch_sub(self.slots, Ordering::Relaxed);
            if let Some(scope) = &self.scope {
                // Relaxed: as in `scope_allocated` (ordering.md V-counters).
                scope.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }
}

/// Two points where a test can stop a thread of the chain, to hold it between two steps that no
/// real schedule separates for long. With the hidden `__test-hooks` feature, in normal builds, a
/// thread that registered a hook (`__test_hooks::pause_at`) runs it at each point it reaches;
/// other threads only read a thread-local flag. In every other build, reaching a point does
/// nothing.
pub(crate) mod pause {
    /// Where a thread of the chain stops (`__test_hooks::ChainPoint`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    #[cfg_attr(not(feature = "__test-hooks"), allow(unreachable_pub))]
    pub enum Point {
        /// A stealer won the compare-and-swap that unlinks a drained ring, between clearing
        /// its successor's `prev` and retiring the ring (C2).
        Unlinking,
        /// The owner, backing up from the head ring, read a non-null `prev` and has not yet
        /// dereferenced it.
        OlderRing,
    }

    #[cfg(not(all(
        feature = "__test-hooks",
        not(any(feature = "loom", feature = "shuttle"))
    )))]
    #[inline(always)]
    pub(crate) fn reached(_point: Point) {}

    #[cfg(all(
        feature = "__test-hooks",
        not(any(feature = "loom", feature = "shuttle"))
    ))]
    pub(crate) use hooked::*;

    #[cfg(all(
        feature = "__test-hooks",
        not(any(feature = "loom", feature = "shuttle"))
    ))]
    mod hooked {
        use super::Point;
        use std::cell::{Cell, RefCell};

        /// A hook: runs on the thread that registered it, at each point it reaches.
        pub(crate) type Hook = Box<dyn FnMut(Point)>;

        std::thread_local! {
            /// Whether the calling thread has a hook: a thread that never registered one reads
            /// only this flag, which has no destructor, so it gains no thread-local destructor
            /// from a point it reaches (the pool's tests observe the timing of thread exits).
            pub(crate) static HOOKED: Cell<bool> = const { Cell::new(false) };
            /// The calling thread's hook.
            pub(crate) static HOOK: RefCell<Option<Hook>> = const { RefCell::new(None) };
        }

        /// Runs the calling thread's hook, if it has one, at `point`.
        #[inline]
        pub(crate) fn reached(point: Point) {
            if !HOOKED.try_with(Cell::get).unwrap_or(false) {
                return;
            }
            // Taken out while it runs, so that it may call into the chain again.
            let hook = HOOK.try_with(|h| h.borrow_mut().take()).ok().flatten();
            if let Some(mut hook) = hook {
                hook(point);
                // Back in place, unless the hook registered another meanwhile.
                let _ = HOOK.try_with(|h| {
                    h.borrow_mut().get_or_insert(hook);
                });
            }
        }
    }
}

/// What the owner and the stealers share.
struct Shared<T> {
    /// The oldest linked ring; stealers start here. Never null.
    tail: AtomicPtr<Node<T>>,
    collector: Collector,
}

// SAFETY: rings move `T`s between threads, hence `T: Send`; the raw pointers are to nodes that
// the shared state owns, and every access to them follows the invariants above.
unsafe impl<T: Send> Send for Shared<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Shared<T> {}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        /// The linked nodes from `0` on, still to free. If a value's `Drop` panics while a
        /// ring is freed, unwinding drops this guard, which frees the remaining rings.
        struct Rest<T>(*mut Node<T>);
        impl<T> Rest<T> {
            fn free_rest(&mut self) {
                while !self.0.is_null() {
                    // SAFETY: linked nodes are owned by the chain (C4) and freed only
                    // here, each once: the cursor moves past a node before it is dropped.
                    let node = unsafe { Box::from_raw(self.0) };
                    // Relaxed: `&mut Shared` orders every other access (ordering.md C-free-next).
                    self.0 = node.next.load(Ordering::Relaxed);
                    drop(node);
                }
            }
        }
        impl<T> Drop for Rest<T> {
            fn drop(&mut self) {
                self.free_rest();
            }
        }
        // Relaxed: the last `Arc` drop orders every other access (ordering.md C-drop-tail).
        Rest(self.tail.load(Ordering::Relaxed)).free_rest();
    }
}

/// Creates an empty chain and returns its owner and a first stealer. The first ring (8 slots)
/// is allocated here.
///
/// ```
/// # poolqueue::__doc_model(|| {
/// let (owner, stealer) = poolqueue::chain::new::<&str>();
/// owner.push_head("a");
/// assert_eq!(stealer.pop_tail(), Some("a"));
/// # });
/// ```
pub fn new<T>() -> (Owner<T>, Stealer<T>) {
    with_start_index(0)
}

/// Like [`new`], with every ring's indices starting at `start` so tests cross the 2^32 wrap.
pub(crate) fn with_start_index<T>(start: u32) -> (Owner<T>, Stealer<T>) {
    with_first_capacity(FIRST_RING_CAPACITY, start)
}

/// Like [`with_start_index`], with a first ring of `capacity` slots instead of
/// [`FIRST_RING_CAPACITY`], so model checkers can outgrow and drain rings in a few steps.
///
/// # Panics
/// Unless `capacity` is a power of two in `2..=2^30`.
pub(crate) fn with_first_capacity<T>(capacity: usize, start: u32) -> (Owner<T>, Stealer<T>) {
    let capacity = crate::CapacityError::check(capacity).expect("ring capacity");
    let head = Node::boxed(capacity, start, ptr::null_mut());
    let shared = ArcHandle::new(Shared {
        tail: AtomicPtr::new(head),
        collector: Collector::new(),
    });
    let stealer = Stealer {
        shared: shared.clone(),
    };
    (
        Owner {
            shared,
            head: Cell::new(head),
            peak: Cell::new(0),
            outgrown: Cell::new(0),
            empty_bound: Cell::new(0),
            window_bound: Cell::new(0),
            countdown: Cell::new(window_pops(capacity)),
            start,
            #[cfg(any(test, feature = "__test-hooks"))]
            rings_allocated: Cell::new(1),
        },
        stealer,
    )
}

/// The single owner of a chain: pushes and pops at the head.
///
/// `Owner` is `Send` (when `T: Send`) but neither `Sync` nor `Clone`.
///
/// ```compile_fail
/// fn shared<T: Sync>() {}
/// shared::<poolqueue::chain::Owner<u32>>();
/// ```
///
/// ```compile_fail
/// fn cloned<T: Clone>() {}
/// cloned::<poolqueue::chain::Owner<u32>>();
/// ```
pub struct Owner<T> {
    shared: ArcHandle<Shared<T>>,
    /// The newest ring. Only the owner reads or writes this pointer, and the ring it points to
    /// is never retired (C3). A `Cell`, so `Owner` is `!Sync`.
    head: Cell<*mut Node<T>>,
    /// The most values the head ring held since it was linked or the current segment began
    /// (the shrink policy in the module docs), and at least the chain's length at the
    /// segment's start. A segment begins when the owner finds the chain empty or a window ends.
    /// Owner-only, like `head`.
    peak: Cell<u32>,
    /// The slots of the rings the owner outgrew in the current segment: with `peak`, a bound
    /// on the most values the chain held in it.
    outgrown: Cell<usize>,
    /// The largest such bound of the earlier segments since the owner last found the chain
    /// empty.
    empty_bound: Cell<usize>,
    /// The largest such bound of the earlier segments of the current window.
    window_bound: Cell<usize>,
    /// The owner's pops left before the window ends (see [`window_pops`]); never 0 between
    /// owner calls.
    countdown: Cell<u32>,
    /// Where new rings start their indices (0 outside tests).
    start: u32,
    /// The rings this owner allocated, the first included (tests of the shrink policy: a
    /// steady state allocates none, even one of the same size as the ring it replaces).
    #[cfg(any(test, feature = "__test-hooks"))]
    rings_allocated: Cell<usize>,
}

// SAFETY: the owner may move to another thread (its raw `head` pointer is to a node kept alive
// by `shared`); it stays `!Sync`, so one thread at a time is the producer.
unsafe impl<T: Send> Send for Owner<T> {}

/// A handle that pops at the tail; clone it for every thread that steals.
///
/// `Stealer` is `Send + Sync + Clone` when `T: Send`.
///
/// ```
/// fn shareable<T: Send + Sync + Clone>() {}
/// shareable::<poolqueue::chain::Stealer<String>>();
/// ```
///
/// ```compile_fail
/// fn shareable<T: Send + Sync>() {}
/// shareable::<poolqueue::chain::Stealer<std::rc::Rc<u8>>>();
/// ```
pub struct Stealer<T> {
    shared: ArcHandle<Shared<T>>,
}

impl<T> Owner<T> {
    #[inline(always)]
    fn head(&self) -> &Node<T> {
        // SAFETY: the head node is linked, so `shared` keeps it alive, and it is never retired
        // (C3).
        unsafe { &*self.head.get() }.alive()
    }

    /// Pushes `value` at the head. Never fails: a full ring is followed by one twice its size.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, _stealer) = poolqueue::chain::new::<usize>();
    /// for i in 0..100 {
    ///     owner.push_head(i);
    /// }
    /// assert_eq!(owner.len(), 100);
    /// # });
    /// ```
    #[inline]
    pub fn push_head(&self, value: T) {
        // SAFETY: this `Owner` is the only owner of every ring in the chain, and it is `!Sync`,
        // so no other owner call runs concurrently; none is in progress on this thread either
        // (owner methods run no user code, so they cannot be re-entered).
        match unsafe { self.head().ring.push_head(value) } {
            Ok(len) => self.peak.set(self.peak.get().max(len)),
            Err(value) => self.grow(value),
        }
    }

    /// Links a new head ring holding `value`.
    #[cold]
    fn grow(&self, value: T) {
        let full = self.head().ring.capacity();
        self.outgrown.set(self.outgrown.get().saturating_add(full));
        let node = self.link(next_ring_capacity(full));
        // SAFETY: the node is the new head; this thread is its only owner.
        let pushed = unsafe { (*node).ring.push_head(value) };
        debug_assert!(pushed.is_ok(), "a new ring has room");
        self.peak.set(1);
    }

    /// Links an empty ring of `capacity` slots after the head ring and makes it the head. A
    /// window that began on a smaller ring ends within `capacity` pops.
    fn link(&self, capacity: usize) -> *mut Node<T> {
        self.countdown
            .set(self.countdown.get().min(window_pops(capacity)));
        let node = Node::boxed(capacity, self.start, self.head.get());
        #[cfg(any(test, feature = "__test-hooks"))]
        self.rings_allocated.set(self.rings_allocated.get() + 1);
        // Release: pairs with the Acquire loads of `next` by stealers (ordering.md C-link-next).
        self.head().next.store(node, Ordering::Release);
        self.head.set(node);
        node
    }

    /// Pops the newest value (LIFO), backing up into older rings when the newest is empty.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, _stealer) = poolqueue::chain::new::<usize>();
    /// for i in 0..10 {
    ///     owner.push_head(i);
    /// }
    /// assert_eq!(owner.pop_head(), Some(9));
    /// assert_eq!(owner.pop_head(), Some(8)); // from the first ring
    /// # });
    /// ```
    #[inline]
    pub fn pop_head(&self) -> Option<T> {
        // SAFETY: the single owner, no concurrent or re-entered owner call (see `push_head`).
        match unsafe { self.head().ring.pop_head() } {
            Some(value) => {
                let left = self.countdown.get().wrapping_sub(1);
                self.countdown.set(left);
                if left == 0 {
                    self.countdown_ran_out();
                }
                Some(value)
            }
            None => self.pop_head_older(),
        }
    }

    /// `pop_head` once the head ring is empty: backs up into the older rings (which may be
    /// unlinked and retired meanwhile), gives back those that are drained for good, and ends
    /// the measuring window when its countdown runs out or the whole chain is empty (shrinking
    /// an oversized head ring).
    #[cold]
    fn pop_head_older(&self) -> Option<T> {
        let (popped, retired) = {
            let guard = self.shared.collector.pin();
            let popped = self.pop_older(&guard);
            if popped.is_none() {
                self.found_empty();
            } else if self.count_pops(1) {
                self.end_window();
            }
            (popped, self.shared.unlink_drained(&guard, self.head.get()))
        };
        if retired {
            self.shared.collector.collect();
        }
        popped
    }

    /// Pops the newest value of the rings older than the head ring, while pinned.
    fn pop_older(&self, _guard: &Guard<'_>) -> Option<T> {
        // Relaxed: the owner's own rings; the pin guards the free (ordering.md C-older-prev).
        let mut node = self.head().prev.load(Ordering::Relaxed);
        while !node.is_null() {
            pause::reached(pause::Point::OlderRing);
            // SAFETY: reached through `prev` while pinned: alive until the guard drops
            // (C2).
            let older = unsafe { &*node };
            // SAFETY: the single owner pops the head of every ring of its chain.
            let popped = unsafe { older.alive().ring.pop_head() };
            if let Some(value) = popped {
                older.alive();
                return Some(value);
            }
            // Relaxed: as the first `prev` load above (ordering.md C-older-prev).
            node = older.alive().prev.load(Ordering::Relaxed);
        }
        None
    }

    /// Counts `n` values the owner popped; returns whether the window's countdown ran out (the
    /// caller then ends the window).
    #[inline]
    fn count_pops(&self, n: u32) -> bool {
        let left = self.countdown.get().saturating_sub(n);
        self.countdown.set(left);
        left == 0
    }

    /// `pop_head`'s countdown ran out on the head ring: ends the window and gives back the old
    /// head ring if it was replaced and is empty.
    #[cold]
    #[inline(never)]
    fn countdown_ran_out(&self) {
        if self.end_window() {
            let retired = self
                .shared
                .unlink_drained(&self.shared.collector.pin(), self.head.get());
            if retired {
                self.shared.collector.collect();
            }
        }
    }

    /// The bound of the current segment: `peak` plus the slots outgrown in it.
    fn segment_bound(&self) -> usize {
        (self.peak.get() as usize).saturating_add(self.outgrown.get())
    }

    /// The shrink policy (module docs) when the owner found the chain empty: shrinks by the
    /// bound since it last found it empty; the window goes on.
    fn found_empty(&self) {
        let segment = self.segment_bound();
        let bound = self.empty_bound.replace(0).max(segment);
        self.window_bound.set(self.window_bound.get().max(segment));
        self.shrink_to(bound);
        self.peak.set(0);
        self.outgrown.set(0);
    }

    /// The shrink policy (module docs) when the window's countdown ran out: shrinks by the
    /// bound of the window, then starts the next one. Returns whether it linked a ring.
    fn end_window(&self) -> bool {
        let segment = self.segment_bound();
        let bound = self.window_bound.replace(0).max(segment);
        self.empty_bound.set(self.empty_bound.get().max(segment));
        let linked = self.shrink_to(bound);
        // The next segment's peak starts at what the chain holds now, older rings included.
        self.peak.set(self.len().min(u32::MAX as usize) as u32);
        self.outgrown.set(0);
        self.countdown.set(window_pops(self.head().ring.capacity()));
        linked
    }

    /// A head ring with more than [`FIRST_RING_CAPACITY`] slots and more than four times
    /// `bound` is followed by a fresh ring sized for twice `bound`; the old one keeps its values
    /// and leaves the chain once drained. Returns whether it linked a ring.
    fn shrink_to(&self, bound: usize) -> bool {
        let capacity = self.head().ring.capacity();
        if capacity > FIRST_RING_CAPACITY && bound <= capacity / 4 {
            let fitted = (2 * bound).next_power_of_two().max(FIRST_RING_CAPACITY);
            self.link(fitted);
            return true;
        }
        false
    }

    /// Gives back what an idle chain holds beyond one small ring: when every ring is empty,
    /// links a fresh ring of [`FIRST_RING_CAPACITY`] slots (unless the head ring is already that
    /// small) and unlinks the drained ones. The pool calls it after a `release`.
    #[cfg_attr(not(feature = "pool"), allow(dead_code))] // only the pool trims
    pub(crate) fn trim(&self) {
        if !self.is_empty() {
            return;
        }
        if self.head().ring.capacity() > FIRST_RING_CAPACITY {
            self.link(FIRST_RING_CAPACITY);
        }
        self.peak.set(0);
        self.outgrown.set(0);
        self.empty_bound.set(0);
        self.window_bound.set(0);
        self.countdown.set(window_pops(self.head().ring.capacity()));
        let retired = self
            .shared
            .unlink_drained(&self.shared.collector.pin(), self.head.get());
        if retired {
            self.shared.collector.collect();
        }
    }

    /// A new stealer for this chain.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, _) = poolqueue::chain::new::<u8>();
    /// let stealer = owner.stealer();
    /// owner.push_head(1);
    /// assert_eq!(stealer.pop_tail(), Some(1));
    /// # });
    /// ```
    pub fn stealer(&self) -> Stealer<T> {
        Stealer {
            shared: self.shared.clone(),
        }
    }

    /// The number of values, summed over the linked rings while stealers may be popping. When
    /// the head ring is the only ring, this reads one word and does not pin.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, _) = poolqueue::chain::new::<u8>();
    /// owner.push_head(1);
    /// assert_eq!(owner.len(), 1);
    /// # });
    /// ```
    pub fn len(&self) -> usize {
        if self.only_ring() {
            return self.head().ring.len();
        }
        self.shared.len()
    }

    /// Whether [`len`](Self::len) is zero. When the head ring holds a value (the common case in
    /// a work-stealing loop) or is the only ring, this reads one or two words and does not pin.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, _) = poolqueue::chain::new::<u8>();
    /// assert!(owner.is_empty());
    /// owner.push_head(1);
    /// assert!(!owner.is_empty());
    /// # });
    /// ```
    pub fn is_empty(&self) -> bool {
        if self.head().ring.len() != 0 {
            return false;
        }
        self.only_ring() || self.shared.is_empty()
    }

    /// Whether the head ring is the oldest linked ring, at some instant during the call.
    #[inline]
    fn only_ring(&self) -> bool {
        // Relaxed: a pointer compare; only this thread can make it false (ordering.md C-only-ring).
        self.shared.tail.load(Ordering::Relaxed) == self.head.get()
    }

    /// The capacities of the linked rings, oldest first (for tests of the memory bound).
    #[doc(hidden)]
    #[cfg(any(test, feature = "__test-hooks"))]
    pub fn ring_capacities(&self) -> Vec<usize> {
        self.shared.ring_capacities()
    }

    /// The rings this owner has allocated, the first included (for tests of the shrink
    /// policy).
    #[doc(hidden)]
    #[cfg(any(test, feature = "__test-hooks"))]
    pub fn rings_allocated(&self) -> usize {
        self.rings_allocated.get()
    }
}

#[cfg(feature = "event")]
#[cfg_attr(docsrs, doc(cfg(feature = "event")))]
impl<T> Owner<T> {
    /// [`push_head`](Self::push_head), then [`event.notify_one()`](EventCount::notify_one).
    /// With nobody asleep the notify adds one fence and one load.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let event = poolqueue::EventCount::new();
    /// let (owner, stealer) = poolqueue::chain::new::<u32>();
    /// owner.push_head_notify(5, &event);
    /// assert_eq!(stealer.pop_tail_wait(&event), Some(5));
    /// # });
    /// ```
    #[inline]
    pub fn push_head_notify(&self, value: T, event: &EventCount) {
        self.push_head(value);
        event.notify_one();
    }
}

impl<T> Stealer<T> {
    /// Pops the oldest value (FIFO across rings), or `None` when the chain is empty. Drained
    /// rings are unlinked on the way and their memory retired to the epoch.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, stealer) = poolqueue::chain::new::<usize>();
    /// for i in 0..10 {
    ///     owner.push_head(i);
    /// }
    /// assert_eq!(stealer.pop_tail(), Some(0));
    /// # });
    /// ```
    pub fn pop_tail(&self) -> Option<T> {
        let mut retired = false;
        let popped = self.pop_tail_pinned(&self.shared.collector.pin(), &mut retired);
        if retired {
            // Unpinned now, so the collection can free what this call retired.
            self.shared.collector.collect();
        }
        popped
    }

    /// `pop_tail` while pinned by `guard`; sets `retired` when it retired a ring.
    #[inline]
    fn pop_tail_pinned(&self, guard: &Guard<'_>, retired: &mut bool) -> Option<T> {
        // Acquire: pairs with the Release CAS in `unlink` (ordering.md C-pop-tail).
        let mut node = self.shared.tail.load(Ordering::Acquire);
        loop {
            // SAFETY: `node` was read from `tail` or `next` while pinned (C2).
            let current = unsafe { &*node };
            // Acquire: pairs with the Release store in `Owner::link` (ordering.md C-pop-next).
            let next = current.alive().next.load(Ordering::Acquire);
            let popped = current.alive().ring.pop_tail();
            current.alive();
            if let Some(value) = popped {
                return Some(value);
            }
            if next.is_null() {
                // Empty, and no successor when `next` was loaded. The owner may have outgrown
                // the ring since (filling it, then pushing into a new one) while other stealers
                // emptied it, so the chain need not have been empty at the pop. `next` only goes
                // from null to non-null: null now means there was no successor at the pop,
                // so the whole chain was empty then. Otherwise retry this ring, now knowing its
                // successor.
                // Relaxed: non-null only sends us round again (ordering.md C-pop-recheck).
                if current.alive().next.load(Ordering::Relaxed).is_null() {
                    return None;
                }
                continue;
            }
            // `current` is empty for good (C1): unlink it, or see it unlinked.
            // SAFETY: `node` is empty for good and `next` is its successor, both read while
            // pinned by `guard`.
            *retired |= unsafe { self.shared.unlink(guard, node, next) };
            node = next;
        }
    }

    /// The number of values, summed over the linked rings.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, stealer) = poolqueue::chain::new::<u8>();
    /// owner.push_head(1);
    /// assert_eq!(stealer.len(), 1);
    /// # });
    /// ```
    pub fn len(&self) -> usize {
        self.shared.len()
    }

    /// Whether the chain was empty at some instant during the call. It looks at the rings from
    /// the oldest on and stops at the first one that holds a value.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, stealer) = poolqueue::chain::new::<u8>();
    /// assert!(stealer.is_empty());
    /// owner.push_head(1);
    /// assert!(!stealer.is_empty());
    /// # });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.shared.is_empty()
    }

    /// The capacities of the linked rings, oldest first, as [`Owner::ring_capacities`] (for
    /// tests that cannot reach the owner, such as those of a pool's shards).
    #[doc(hidden)]
    #[cfg(any(test, feature = "__test-hooks"))]
    pub fn ring_capacities(&self) -> Vec<usize> {
        self.shared.ring_capacities()
    }
}

#[cfg(feature = "event")]
#[cfg_attr(docsrs, doc(cfg(feature = "event")))]
impl<T> Stealer<T> {
    /// Pops the oldest value, sleeping on `event` while the chain is empty. Returns `None` only
    /// once `event` is closed and the chain is empty.
    ///
    /// The owner must notify `event` after each push ([`push_head_notify`] does both).
    ///
    /// [`push_head_notify`]: Owner::push_head_notify
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// use poolqueue::{chain, EventCount};
    /// let event = EventCount::new();
    /// let (owner, stealer) = chain::new::<u32>();
    /// owner.push_head_notify(1, &event);
    /// assert_eq!(stealer.pop_tail_wait(&event), Some(1));
    /// event.close();
    /// assert_eq!(stealer.pop_tail_wait(&event), None);
    /// # });
    /// ```
    pub fn pop_tail_wait(&self, event: &EventCount) -> Option<T> {
        event.wait_until(|| self.pop_tail())
    }

    /// Like [`pop_tail_wait`](Self::pop_tail_wait), but returns `None` after `timeout`.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// use std::time::Duration;
    /// let event = poolqueue::EventCount::new();
    /// let (owner, stealer) = poolqueue::chain::new::<u32>();
    /// assert_eq!(stealer.pop_tail_wait_timeout(&event, Duration::from_micros(10)), None);
    /// owner.push_head_notify(2, &event);
    /// assert_eq!(stealer.pop_tail_wait_timeout(&event, Duration::from_micros(10)), Some(2));
    /// # });
    /// ```
    pub fn pop_tail_wait_timeout(&self, event: &EventCount, timeout: Duration) -> Option<T> {
        event.wait_until_timeout(timeout, || self.pop_tail())
    }
}

impl<T> Shared<T> {
    /// Moves `tail` from `node`, a ring that is empty for good, to its successor `next`; the
    /// winner of the compare-and-swap unlinks `node` and retires it (and gets `true`).
    ///
    /// # Safety
    /// `node` and `next` were read while pinned by `guard` (from `tail` or a `next` pointer),
    /// `next` is `node`'s successor, and `node` holds no values and never will (C1).
    unsafe fn unlink(&self, guard: &Guard<'_>, node: *mut Node<T>, next: *mut Node<T>) -> bool {
        // Release/Relaxed: publishes `next` to `tail` loads (ordering.md C-unlink-cas).
        if self
            .tail
            .compare_exchange(node, next, Ordering::Release, Ordering::Relaxed)
            .is_ok()
        {
            // SAFETY: `next` was read while pinned and is linked.
            let successor = unsafe { &*next };
            // Relaxed: a null publishes nothing (ordering.md C-unlink-prev).
            successor
                .alive()
                .prev
                .store(ptr::null_mut(), Ordering::Relaxed);
            pause::reached(pause::Point::Unlinking);
            // SAFETY: `node` came from `Box::into_raw`, only this CAS winner retires it, and it
            // is now unreachable from `tail` and from `prev`; it holds no values (C5).
            unsafe { guard.retire(node) };
            return true;
        }
        false
    }

    /// Unlinks the drained rings at the tail, up to the head ring `head`; returns whether it
    /// retired one. The owner calls it: every ring but the head is then past its last push, so
    /// an empty one is empty for good.
    fn unlink_drained(&self, guard: &Guard<'_>, head: *mut Node<T>) -> bool {
        let mut retired = false;
        loop {
            // Acquire: as `pop_tail_pinned`'s load of `tail` (ordering.md C-drained-tail).
            let node = self.tail.load(Ordering::Acquire);
            if node == head {
                return retired;
            }
            // SAFETY: read from `tail` while pinned (C2).
            let current = unsafe { &*node }.alive();
            if current.ring.len() != 0 {
                return retired;
            }
            // Relaxed: `next` is this thread's own store (ordering.md C-drained-next).
            let next = current.next.load(Ordering::Relaxed);
            // SAFETY: `node` is not the head, so past its last push, and empty: empty for good;
            // `next` is its successor; both read while pinned.
            retired |= unsafe { self.unlink(guard, node, next) };
        }
    }

    /// Whether the chain was empty at some instant during the call; stops at the first ring
    /// that holds a value.
    fn is_empty(&self) -> bool {
        let _guard = self.collector.pin();
        // Acquire: as `pop_tail_pinned`'s load of `tail` (ordering.md C-empty-tail).
        let mut node = self.tail.load(Ordering::Acquire);
        loop {
            // SAFETY: read from `tail` or `next` while pinned (C2).
            let current = unsafe { &*node }.alive();
            // Acquire: pairs with the Release store in `Owner::link` (ordering.md C-empty-next).
            let next = current.next.load(Ordering::Acquire);
            if current.ring.len() != 0 {
                return false;
            }
            if next.is_null() {
                // As in `pop_tail_pinned`: still no successor means every ring was empty when the
                // length was read (older rings are empty for good).
                // Relaxed: non-null only sends us round again (ordering.md C-empty-recheck).
                if current.next.load(Ordering::Relaxed).is_null() {
                    return true;
                }
                continue;
            }
            node = next;
        }
    }

    /// Calls `f` on each linked ring, oldest first, while pinned.
    fn for_each_ring(&self, mut f: impl FnMut(&Ring<T>)) {
        let _guard = self.collector.pin();
        // Acquire: as `pop_tail_pinned`'s load of `tail` (ordering.md C-walk-tail).
        let mut node = self.tail.load(Ordering::Acquire);
        while !node.is_null() {
            // SAFETY: read from `tail` or `next` while pinned.
            let current = unsafe { &*node };
            f(&current.alive().ring);
            // Acquire: pairs with the Release store in `Owner::link` (ordering.md C-walk-next).
            node = current.alive().next.load(Ordering::Acquire);
        }
    }

    fn len(&self) -> usize {
        let mut len = 0;
        self.for_each_ring(|ring| len += ring.len());
        len
    }

    #[cfg(any(test, feature = "__test-hooks"))]
    fn ring_capacities(&self) -> Vec<usize> {
        let mut capacities = Vec::new();
        self.for_each_ring(|ring| capacities.push(ring.capacity()));
        capacities
    }
}

impl<T> Clone for Stealer<T> {
    fn clone(&self) -> Self {
        Stealer {
            shared: self.shared.clone(),
        }
    }
}

impl<T> fmt::Debug for Owner<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("chain::Owner")
            .field("len", &self.len())
            .finish()
    }
}

impl<T> fmt::Debug for Stealer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("chain::Stealer")
            .field("len", &self.len())
            .finish()
    }
}

// Batch operations (proofs-notes/batch.md). A chain's batch goes through a small buffer on the stack
// (`Chunk`), so that user code (the caller's iterator, its `Extend`, a value's `Drop`) never
// runs while a ring holds a reservation or an unread claim: such code may reach this owner
// through `&self`, and a nested push that outgrows the head ring would otherwise link a new
// ring after one this batch is still filling (breaking C1), or leave claimed slots of
// a ring that stealers may retire once it looks empty. Rings see only the chain's own moves:
// one read-modify-write per ring touched per chunk.

/// Values moved out of an iterator or out of rings and not yet handed on: `buf[start..end]`
/// is initialised. Dropping it drops those, each once.
struct Chunk<T, const N: usize> {
    buf: [MaybeUninit<T>; N],
    start: usize,
    end: usize,
}

impl<T, const N: usize> Chunk<T, N> {
    fn new() -> Self {
        Chunk {
            // SAFETY: an array of `MaybeUninit` needs no initialisation.
            buf: unsafe { MaybeUninit::uninit().assume_init() },
            start: 0,
            end: 0,
        }
    }

    fn len(&self) -> usize {
        self.end - self.start
    }

    /// The values not yet handed on, as a pointer to the first of `len()`.
    fn held(&self) -> *const T {
        self.buf[self.start..].as_ptr().cast()
    }

    /// The first `n` held values were moved out (by a ring's `push_head_moved`).
    fn moved_out(&mut self, n: usize) {
        debug_assert!(n <= self.len());
        self.start += n;
    }

    /// Where the next value goes: room for `N - end` more, for a ring's `pop_head_moved`.
    fn spare(&mut self) -> *mut T {
        self.buf[self.end..].as_mut_ptr().cast()
    }

    /// `n` values were written into the spare room.
    fn moved_in(&mut self, n: usize) {
        debug_assert!(self.end + n <= N);
        self.end += n;
    }

    /// Fills the chunk from `values` (user code runs here, with no ring state outstanding);
    /// returns whether the iterator may have more.
    fn fill<I: Iterator<Item = T> + ?Sized>(&mut self, values: &mut I) -> bool {
        debug_assert_eq!(self.len(), 0);
        self.start = 0;
        self.end = 0;
        while self.end < N {
            match values.next() {
                Some(value) => {
                    self.buf[self.end].write(value);
                    self.end += 1;
                }
                None => return false,
            }
        }
        true
    }
}

impl<T, const N: usize> Iterator for Chunk<T, N> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        if self.start == self.end {
            return None;
        }
        self.start += 1;
        // SAFETY: `start - 1` was in `start..end`, initialised, and is moved out once (the
        // range no longer covers it).
        Some(unsafe { self.buf[self.start - 1].assume_init_read() })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), Some(self.len()))
    }
}

impl<T, const N: usize> Drop for Chunk<T, N> {
    fn drop(&mut self) {
        /// Goes on if a value's `Drop` panics (a second panic aborts, as in `Vec`).
        struct Rest<'a, T, const N: usize>(&'a mut Chunk<T, N>);
        impl<T, const N: usize> Drop for Rest<'_, T, N> {
            fn drop(&mut self) {
                self.0.for_each(drop);
            }
        }
        let rest = Rest(self);
        rest.0.for_each(drop);
        core::mem::forget(rest);
    }
}

/// Runs `$body` with a `Chunk` type alias `$C` sized for `T`: 64 values when they are small,
/// fewer when large, so a chunk stays within about 2 KiB of stack.
macro_rules! with_chunk {
    ($T:ty, $C:ident => $body:expr) => {
        if core::mem::size_of::<$T>() <= 32 {
            type $C<X> = Chunk<X, 64>;
            $body
        } else if core::mem::size_of::<$T>() <= 256 {
            type $C<X> = Chunk<X, 8>;
            $body
        } else {
            type $C<X> = Chunk<X, 1>;
            $body
        }
    };
}

impl<T> Owner<T> {
    /// Pushes every value of `values` at the head, growing as needed, and returns how many.
    /// The values are published one chunk at a time (up to 64 small values) with one
    /// read-modify-write per ring they land in; each chunk linearizes as that many
    /// [`push_head`](Self::push_head)s in a row. If `values.next()` panics, the values taken
    /// before it are in the chain.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, stealer) = poolqueue::chain::new::<u32>();
    /// assert_eq!(owner.push_head_batch(&mut (0..20)), 20); // 8 slots, then a 16-slot ring
    /// assert_eq!(stealer.pop_tail(), Some(0));
    /// assert_eq!(owner.pop_head(), Some(19));
    /// # });
    /// ```
    pub fn push_head_batch<I>(&self, values: &mut I) -> usize
    where
        I: Iterator<Item = T> + ?Sized,
    {
        with_chunk!(T, C => {
            let mut chunk = C::<T>::new();
            let mut pushed = 0;
            loop {
                let more = chunk.fill(values);
                pushed += chunk.len();
                self.push_chunk(&mut chunk);
                if !more {
                    return pushed;
                }
            }
        })
    }

    /// Moves a chunk into the head ring, linking larger rings while it does not fit. No user
    /// code runs: the chunk's iterator only moves values.
    fn push_chunk<const N: usize>(&self, chunk: &mut Chunk<T, N>) {
        while chunk.len() > 0 {
            let ring = &self.head().ring;
            let before = ring.len() as u32;
            // SAFETY: this `Owner` is the only owner of its rings and `!Sync`; nothing here runs
            // user code, so no other owner call can overlap or nest. The chunk holds `len()`
            // initialised values and gives up the ones moved.
            let n = unsafe { ring.push_head_moved(chunk.held(), chunk.len()) };
            chunk.moved_out(n);
            let n = n as u32;
            if n > 0 {
                // `before + n` bounds the ring's length after the publish (its tail only grows).
                self.peak.set(self.peak.get().max(before + n));
            }
            if chunk.len() > 0 {
                // The head ring is full (or its next slot is still held): outgrow it, as
                // `grow` does, with a ring big enough for the rest of the chunk.
                let full = self.head().ring.capacity();
                self.outgrown.set(self.outgrown.get().saturating_add(full));
                let mut capacity = next_ring_capacity(full);
                while capacity < chunk.len() && capacity < MAX_RING_CAPACITY {
                    capacity = next_ring_capacity(capacity);
                }
                self.link(capacity);
                self.peak.set(0);
            }
        }
    }

    /// Pops up to `max` of the newest values (from the head ring, then older ones) and hands
    /// them to `out`, newest first; returns how many `out` took. One compare-and-swap per ring
    /// per chunk (up to 64 small values); each chunk linearizes as that many
    /// [`pop_head`](Self::pop_head)s in a row. The values are moved out of the rings before
    /// `out.extend` runs; if it panics or stops early, the ones it did not take are dropped,
    /// each once.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, _stealer) = poolqueue::chain::new::<u32>();
    /// owner.push_head_batch(&mut (0..12)); // two rings: 0..8 and 8..12
    /// let mut out = Vec::new();
    /// assert_eq!(owner.pop_head_batch(6, &mut out), 6);
    /// assert_eq!(out, [11, 10, 9, 8, 7, 6]); // newest first, across the ring boundary
    /// # });
    /// ```
    pub fn pop_head_batch<E>(&self, max: usize, out: &mut E) -> usize
    where
        E: Extend<T> + ?Sized,
    {
        with_chunk!(T, C => {
            let mut taken = 0;
            while taken < max {
                let mut chunk = C::<T>::new();
                let want = (max - taken).min(chunk.buf.len());
                self.pop_chunk(want, &mut chunk);
                let got = chunk.len();
                // User code from here on; the rings hold no claim of ours.
                out.extend(&mut chunk);
                taken += got - chunk.len();
                if got < want || chunk.len() > 0 {
                    // The chain ran out, or `out` stopped taking.
                    break;
                }
            }
            taken
        })
    }

    /// Pops up to `want` of the newest values into `chunk`: the head ring first, then, pinned,
    /// the older rings through `prev`; with the chain found empty, applies the shrink policy and
    /// gives back drained rings, as `pop_head` does.
    fn pop_chunk<const N: usize>(&self, want: usize, chunk: &mut Chunk<T, N>) {
        // SAFETY: the single owner, no concurrent or nested owner call (nothing here runs user
        // code); `want <= N` and the chunk is empty, so it has room for `want`.
        let n = unsafe { self.head().ring.pop_head_moved(want, chunk.spare()) };
        chunk.moved_in(n);
        if chunk.len() == want {
            if self.count_pops(want as u32) {
                self.countdown_ran_out();
            }
            return;
        }
        let retired = {
            let guard = self.shared.collector.pin();
            // Relaxed: as in `pop_older` (ordering.md C-chunk-prev).
            let mut node = self.head().prev.load(Ordering::Relaxed);
            while !node.is_null() && chunk.len() < want {
                // SAFETY: reached through `prev` while pinned: alive until the guard drops
                // (C2).
                let older = unsafe { &*node };
                let spare = chunk.spare();
                // SAFETY: the single owner pops the head of every ring of its chain; the chunk
                // has room for `want - len()` more.
                let n = unsafe { older.alive().ring.pop_head_moved(want - chunk.len(), spare) };
                chunk.moved_in(n);
                // Relaxed: as in `pop_older` (ordering.md C-chunk-prev).
                node = older.alive().prev.load(Ordering::Relaxed);
            }
            if chunk.len() < want {
                self.found_empty();
            } else if self.count_pops(chunk.len() as u32) {
                self.end_window();
            }
            self.shared.unlink_drained(&guard, self.head.get())
        };
        if retired {
            self.shared.collector.collect();
        }
    }

    /// Pushes every value of `values` with one publishing read-modify-write, so they become
    /// visible to stealers at one instant (as that many [`push_head`](Self::push_head)s in a row):
    /// first links a ring with room for all of them if the head ring lacks it. `values` must run
    /// no user code (the worker's private buffer moving its values out).
    pub(crate) fn push_head_all<I: ExactSizeIterator<Item = T>>(&self, values: &mut I) {
        let n = values.len();
        self.reserve_room(n);
        let ring = &self.head().ring;
        let before = ring.len() as u32;
        // SAFETY: this `Owner` is the only owner of its rings and `!Sync`; `values` runs no user
        // code, so no other owner call can overlap or nest.
        let pushed = unsafe { ring.push_head_batch(values) };
        debug_assert_eq!(pushed, n, "the head ring had room for every value");
        self.peak.set(self.peak.get().max(before + pushed as u32));
    }

    /// Makes sure the head ring has `want` slots free from its head (by index, and not held by
    /// a stealer), linking a larger ring if not, and returns the head ring's `(head, room)`
    /// (`room >= want` unless `want` exceeds the largest ring). For steals into this chain.
    fn reserve_room(&self, want: usize) -> (u32, u32) {
        let room = self.head().ring.room_from_head(want);
        if room.1 as usize >= want {
            return room;
        }
        let full = self.head().ring.capacity();
        self.outgrown.set(self.outgrown.get().saturating_add(full));
        let mut capacity = next_ring_capacity(full);
        while capacity < want && capacity < MAX_RING_CAPACITY {
            capacity = next_ring_capacity(capacity);
        }
        self.link(capacity);
        self.peak.set(0);
        self.head().ring.room_from_head(want)
    }
}

impl<T> Stealer<T> {
    /// Moves the oldest half (rounded up) of the oldest non-empty ring into `dest`'s head ring
    /// (linking a larger ring there if it lacks room) and returns how many moved; the steal
    /// stops at that ring's boundary. The values land in `dest` in their order here: `dest`'s
    /// stealers see them oldest first, its owner pops the newest of them first.
    ///
    /// One compare-and-swap on the source ring claims them (the steal linearizes there as that
    /// many [`pop_tail`](Self::pop_tail)s in a row) and one read-modify-write on `dest`'s head
    /// ring publishes them. A chain holding one value still yields it. `dest` may be this
    /// chain's own owner. `dest` is an [`Owner`], which is `!Sync`, so the steal runs on
    /// `dest`'s thread, the one allowed to push into it.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (victim, stealer) = poolqueue::chain::new::<u32>();
    /// let (mine, _) = poolqueue::chain::new::<u32>();
    /// victim.push_head_batch(&mut (0..5));
    /// assert_eq!(stealer.steal_batch(&mine), 3); // ceil(5 / 2)
    /// assert_eq!(mine.stealer().pop_tail(), Some(0));
    /// assert_eq!(victim.len(), 2);
    /// # });
    /// ```
    pub fn steal_batch(&self, dest: &Owner<T>) -> usize {
        self.steal_into(dest, usize::MAX, Oldest::Push).0
    }

    /// As [`steal_batch`](Self::steal_batch), moving at most `limit` values (none when `limit`
    /// is 0).
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (victim, stealer) = poolqueue::chain::new::<u32>();
    /// let (mine, _) = poolqueue::chain::new::<u32>();
    /// victim.push_head_batch(&mut (0..8));
    /// assert_eq!(stealer.steal_batch_with_limit(&mine, 3), 3);
    /// assert_eq!(mine.len(), 3);
    /// # });
    /// ```
    pub fn steal_batch_with_limit(&self, dest: &Owner<T>, limit: usize) -> usize {
        self.steal_into(dest, limit, Oldest::Push).0
    }

    /// As [`steal_batch`](Self::steal_batch), but the oldest stolen value is returned instead
    /// of pushed into `dest`. `None` when the chain was empty.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (victim, stealer) = poolqueue::chain::new::<u32>();
    /// let (mine, _) = poolqueue::chain::new::<u32>();
    /// victim.push_head_batch(&mut (0..4));
    /// assert_eq!(stealer.steal_batch_and_pop(&mine), Some(0));
    /// assert_eq!(mine.pop_head(), Some(1));
    /// # });
    /// ```
    pub fn steal_batch_and_pop(&self, dest: &Owner<T>) -> Option<T> {
        self.steal_into(dest, usize::MAX, Oldest::Pop).1
    }

    pub(crate) fn steal_into(
        &self,
        dest: &Owner<T>,
        limit: usize,
        oldest: Oldest,
    ) -> (usize, Option<T>) {
        if limit == 0 {
            return (0, None);
        }
        let mut retired = false;
        let result = {
            let guard = self.shared.collector.pin();
            // Acquire: as `pop_tail_pinned`'s load of `tail` (ordering.md C-steal-tail).
            let mut node = self.shared.tail.load(Ordering::Acquire);
            loop {
                // SAFETY: `node` was read from `tail` or `next` while pinned (C2).
                let current = unsafe { &*node };
                // Acquire: pairs with the Release store in `link` (ordering.md C-steal-next).
                let next = current.alive().next.load(Ordering::Acquire);
                let len = current.alive().ring.len();
                let want = steal_half(len).min(limit).saturating_sub(oldest.kept());
                // May link a new head ring in `dest` (possibly this very chain, after
                // `current`: `next` was read before, so this pass still treats `current` as
                // it was; the next pass sees the link).
                let room = dest.reserve_room(want);
                // SAFETY: `dest` is an `Owner`, `!Sync`, so this runs on its owner thread, the
                // only one that pushes into its head ring; nothing here runs user code, and
                // `room` was measured on that ring just now.
                let (moved, popped) = unsafe {
                    current
                        .alive()
                        .ring
                        .steal_into_room(&dest.head().ring, room, limit, oldest)
                };
                current.alive();
                if moved > 0 || popped.is_some() {
                    let ring = &dest.head().ring;
                    dest.peak.set(dest.peak.get().max(ring.len() as u32));
                    break (moved, popped);
                }
                if next.is_null() {
                    // As in `pop_tail_pinned`: empty with no successor before and after.
                    // Relaxed: as `pop_tail_pinned`'s re-check (ordering.md C-steal-recheck).
                    if current.alive().next.load(Ordering::Relaxed).is_null() {
                        break (0, None);
                    }
                    continue;
                }
                // SAFETY: `node` is empty for good (a successor was seen before it was found
                // empty) and `next` is its successor, both read while pinned by `guard`.
                retired |= unsafe { self.shared.unlink(&guard, node, next) };
                node = next;
            }
        };
        if retired {
            self.shared.collector.collect();
        }
        result
    }
}

#[cfg(all(test, not(any(feature = "loom", feature = "shuttle"))))]
mod tests {
    use super::*;

    const fn assert_send<T: Send>() {}
    const fn assert_sync<T: Sync>() {}
    const _: () = {
        assert_send::<Owner<Vec<u8>>>();
        assert_send::<Stealer<Vec<u8>>>();
        assert_sync::<Stealer<Vec<u8>>>();
    };

    #[test]
    fn capacities_double_up_to_the_cap() {
        let mut c = FIRST_RING_CAPACITY;
        let mut seen = vec![c];
        while c < MAX_RING_CAPACITY {
            c = next_ring_capacity(c);
            seen.push(c);
        }
        assert_eq!(seen.len(), 28); // 2^3 ..= 2^30
        assert!(seen.windows(2).all(|w| w[1] == 2 * w[0]));
        assert_eq!(next_ring_capacity(MAX_RING_CAPACITY), MAX_RING_CAPACITY);
        assert_eq!(next_ring_capacity(usize::MAX), MAX_RING_CAPACITY);
    }

    #[test]
    fn stealers_drain_down_to_the_newest_ring() {
        let (owner, stealer) = new::<u32>();
        for i in 0..100 {
            owner.push_head(i);
        }
        assert_eq!(owner.ring_capacities(), vec![8, 16, 32, 64]);
        for i in 0..100 {
            assert_eq!(stealer.pop_tail(), Some(i));
        }
        assert_eq!(stealer.pop_tail(), None);
        assert_eq!(owner.ring_capacities(), vec![64]);
    }
}
