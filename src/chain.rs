//! An unbounded lock-free deque built from doubling rings (Go's `poolChain`).
//!
//! The owner pushes into the newest ring and, when it is full, links a ring twice its size
//! (8, 16, 32, … slots, capped at 2^30), so [`Owner::push_head`] never fails. Stealers pop from
//! the oldest ring and unlink it once it is drained for good; its memory is then reclaimed
//! through an epoch, so a thread still looking at it never touches freed memory.
//!
//! ```
//! # poolqueue::__doc_model(|| {
//! let (mut owner, stealer) = poolqueue::chain::new::<u32>();
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
//! Rings form a doubly linked list from the stealers' `tail` (oldest) to the owner's `head`
//! (newest). `next` points toward the head and `prev` toward the tail.
//!
//! 1. `next` goes from null to non-null once, set by the owner after its last push to that
//!    ring. So a stealer that read a non-null `next` *before* a pop that found the ring empty
//!    knows the ring is empty for good: the owner can still pop its head, but never push.
//! 2. Only the stealer whose compare-and-swap moves `tail` from a ring to its successor unlinks
//!    that ring: it clears the successor's `prev` (so the owner's `pop_head` stops backing up
//!    into it) and retires the ring to the epoch. It is then unreachable for any thread that
//!    pins afterwards, and threads pinned before keep it alive until they unpin.
//! 3. The head ring is never retired (its `next` is null), so the owner's pushes and its first
//!    pop need no pin; walking `prev` does.
//! 4. All rings still linked when the last handle is dropped are freed then, with their values.

use core::fmt;
use core::ptr;

use crate::ring::Ring;
use crate::sync::{ArcHandle, AtomicPtr, Collector, LeakTrack, Liveness, Ordering, Reclaim};

/// The first ring's capacity.
pub const FIRST_RING_CAPACITY: usize = 8;

/// The largest ring's capacity; once reached, every new ring has this many slots.
pub const MAX_RING_CAPACITY: usize = 1 << 30;

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
    /// The newer ring; null until the owner outgrows this one (invariant 1).
    next: AtomicPtr<Node<T>>,
    /// The older ring; null once that ring is unlinked (invariant 2).
    prev: AtomicPtr<Node<T>>,
    _track: LeakTrack,
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
            _track: LeakTrack::new(),
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
                    // SAFETY: linked nodes are owned by the chain (invariant 4) and freed only
                    // here, each once: the cursor moves past a node before it is dropped.
                    let node = unsafe { Box::from_raw(self.0) };
                    // Relaxed: `&mut Shared` orders every other access before this.
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
        // Relaxed: the last `Arc` is gone, which orders every other access before this.
        Rest(self.tail.load(Ordering::Relaxed)).free_rest();
    }
}

/// Creates an empty chain and returns its owner and a first stealer. The first ring (8 slots)
/// is allocated here.
///
/// ```
/// # poolqueue::__doc_model(|| {
/// let (mut owner, stealer) = poolqueue::chain::new::<&str>();
/// owner.push_head("a");
/// assert_eq!(stealer.pop_tail(), Some("a"));
/// # });
/// ```
pub fn new<T>() -> (Owner<T>, Stealer<T>) {
    with_start_index(0)
}

/// Like [`new`], with every ring's indices starting at `start` so tests cross the 2^32 wrap.
#[doc(hidden)]
pub fn with_start_index<T>(start: u32) -> (Owner<T>, Stealer<T>) {
    with_first_capacity(FIRST_RING_CAPACITY, start)
}

/// Like [`with_start_index`], with a first ring of `capacity` slots instead of
/// [`FIRST_RING_CAPACITY`], so model checkers can outgrow and drain rings in a few steps.
///
/// # Panics
/// Unless `capacity` is a power of two in `2..=2^30`.
#[doc(hidden)]
pub fn with_first_capacity<T>(capacity: usize, start: u32) -> (Owner<T>, Stealer<T>) {
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
            head,
            start,
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
    /// is never retired (invariant 3). A raw pointer, so `Owner` is `!Sync`.
    head: *mut Node<T>,
    /// Where new rings start their indices (0 outside tests).
    start: u32,
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
        // (invariant 3).
        unsafe { &*self.head }.alive()
    }

    /// Pushes `value` at the head. Never fails: a full ring is followed by one twice its size.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (mut owner, _stealer) = poolqueue::chain::new::<usize>();
    /// for i in 0..100 {
    ///     owner.push_head(i);
    /// }
    /// assert_eq!(owner.len(), 100);
    /// # });
    /// ```
    #[inline]
    pub fn push_head(&mut self, value: T) {
        // SAFETY: this `Owner` is the only owner of every ring in the chain, and `&mut self`
        // rules out concurrent owner calls.
        let value = match unsafe { self.head().ring.push_head(value) } {
            Ok(()) => return,
            Err(value) => value,
        };
        self.grow(value);
    }

    /// Links a new head ring holding `value`.
    #[cold]
    fn grow(&mut self, value: T) {
        let capacity = next_ring_capacity(self.head().ring.capacity());
        let node = Node::boxed(capacity, self.start, self.head);
        // SAFETY: the node is not yet shared, and this thread is its owner.
        let pushed = unsafe { (*node).ring.push_head(value) };
        debug_assert!(pushed.is_ok(), "a new ring has room");
        // Release: publishes the new node (its ring and the value in it); pairs with the Acquire
        // load of `next` in `Stealer::pop_tail`. After this store the owner never pushes to the
        // old ring again (invariant 1).
        self.head().next.store(node, Ordering::Release);
        self.head = node;
    }

    /// Pops the newest value (LIFO), backing up into older rings when the newest is empty.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (mut owner, _stealer) = poolqueue::chain::new::<usize>();
    /// for i in 0..10 {
    ///     owner.push_head(i);
    /// }
    /// assert_eq!(owner.pop_head(), Some(9));
    /// assert_eq!(owner.pop_head(), Some(8)); // from the first ring
    /// # });
    /// ```
    #[inline]
    pub fn pop_head(&mut self) -> Option<T> {
        // SAFETY: the single owner, no concurrent owner calls.
        match unsafe { self.head().ring.pop_head() } {
            Some(value) => Some(value),
            None => self.pop_head_older(),
        }
    }

    /// `pop_head` past the head ring: the older rings may be unlinked and retired meanwhile.
    #[cold]
    fn pop_head_older(&mut self) -> Option<T> {
        let _guard = self.shared.collector.pin();
        // Relaxed: the older rings were all created and filled by this thread, so nothing needs
        // to be acquired to read them, and a null published by `Stealer::pop_tail` carries no
        // data. Reclamation does not need Acquire either: the pin's SeqCst fence orders this
        // load after any unlink the reclaimer did not see us pinned for (proofs-notes/ordering.md).
        let mut node = self.head().prev.load(Ordering::Relaxed);
        while !node.is_null() {
            // SAFETY: reached through `prev` while pinned: alive until the guard drops
            // (invariant 2).
            let older = unsafe { &*node };
            // SAFETY: the single owner pops the head of every ring of its chain.
            let popped = unsafe { older.alive().ring.pop_head() };
            if let Some(value) = popped {
                older.alive();
                return Some(value);
            }
            // Relaxed: as above.
            node = older.alive().prev.load(Ordering::Relaxed);
        }
        None
    }

    /// A new stealer for this chain.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (mut owner, _) = poolqueue::chain::new::<u8>();
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

    /// The number of values, summed over the linked rings while stealers may be popping.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (mut owner, _) = poolqueue::chain::new::<u8>();
    /// owner.push_head(1);
    /// assert_eq!(owner.len(), 1);
    /// # });
    /// ```
    pub fn len(&self) -> usize {
        self.shared.len()
    }

    /// Whether [`len`](Self::len) is zero.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, _) = poolqueue::chain::new::<u8>();
    /// assert!(owner.is_empty());
    /// # });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The capacities of the linked rings, oldest first (for tests of the memory bound).
    #[doc(hidden)]
    pub fn ring_capacities(&self) -> Vec<usize> {
        self.shared.ring_capacities()
    }
}

impl<T> Stealer<T> {
    /// Pops the oldest value (FIFO across rings), or `None` when the chain is empty. Drained
    /// rings are unlinked on the way and their memory retired to the epoch.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (mut owner, stealer) = poolqueue::chain::new::<usize>();
    /// for i in 0..10 {
    ///     owner.push_head(i);
    /// }
    /// assert_eq!(stealer.pop_tail(), Some(0));
    /// # });
    /// ```
    pub fn pop_tail(&self) -> Option<T> {
        let guard = self.shared.collector.pin();
        // Acquire: pairs with the Release compare-and-swap below that moved `tail` (or with the
        // `Arc` that published the first ring); the node read stays alive while pinned.
        let mut node = self.shared.tail.load(Ordering::Acquire);
        loop {
            // SAFETY: `node` was read from `tail` or `next` while pinned (invariant 2).
            let current = unsafe { &*node };
            // Acquire: pairs with the Release store in `Owner::grow`. Read *before* the pop: a
            // successor seen now means no push to `current` can follow (invariant 1).
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
                // successor. Relaxed: a non-null value only sends us round the loop, whose
                // Acquire load of `next` then reads it (or later) and synchronizes.
                if current.alive().next.load(Ordering::Relaxed).is_null() {
                    return None;
                }
                continue;
            }
            // `current` is empty for good. The winner of this CAS unlinks it. Release on
            // success: publishes `next` (acquired above from the owner) to stealers that load
            // `tail`. No Acquire needed: this thread already synchronized with whoever made
            // `node` reachable (the Acquire load of `tail` or of the previous `next`; rings are
            // never relinked, so the CAS reads that same store), and it reads nothing new from
            // `current` afterwards. Relaxed on failure: another stealer unlinked it, and we
            // move on to `next` either way.
            if self
                .shared
                .tail
                .compare_exchange(node, next, Ordering::Release, Ordering::Relaxed)
                .is_ok()
            {
                // SAFETY: `next` was read while pinned and is linked.
                let successor = unsafe { &*next };
                // Relaxed: after it the owner cannot reach `current` any more. A null publishes
                // no data; the reclaimer's SeqCst fence (in `retire`, below) orders this store
                // before its snapshot of pinned threads.
                successor
                    .alive()
                    .prev
                    .store(ptr::null_mut(), Ordering::Relaxed);
                // SAFETY: `current` came from `Box::into_raw`, only this CAS winner retires it,
                // and it is now unreachable from `tail` and from `prev`; it holds no values.
                unsafe { guard.retire(node) };
            }
            node = next;
        }
    }

    /// The number of values, summed over the linked rings.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (mut owner, stealer) = poolqueue::chain::new::<u8>();
    /// owner.push_head(1);
    /// assert_eq!(stealer.len(), 1);
    /// # });
    /// ```
    pub fn len(&self) -> usize {
        self.shared.len()
    }

    /// Whether [`len`](Self::len) is zero.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (_, stealer) = poolqueue::chain::new::<u8>();
    /// assert!(stealer.is_empty());
    /// # });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Shared<T> {
    /// Calls `f` on each linked ring, oldest first, while pinned.
    fn for_each_ring(&self, mut f: impl FnMut(&Ring<T>)) {
        let _guard = self.collector.pin();
        // Acquire: as in `pop_tail`.
        let mut node = self.tail.load(Ordering::Acquire);
        while !node.is_null() {
            // SAFETY: read from `tail` or `next` while pinned.
            let current = unsafe { &*node };
            f(&current.alive().ring);
            // Acquire: pairs with the Release store in `Owner::grow`.
            node = current.alive().next.load(Ordering::Acquire);
        }
    }

    fn len(&self) -> usize {
        let mut len = 0;
        self.for_each_ring(|ring| len += ring.len());
        len
    }

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
        let (mut owner, stealer) = new::<u32>();
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
