//! A bounded lock-free ring with one owner and any number of stealers (Go's `poolDequeue`).
//!
//! The [`Owner`] pushes and pops at the head (LIFO); [`Stealer`]s pop at the tail (FIFO). The
//! owner never waits: a push that finds the ring full, or finds the head slot still being read
//! by a stealer that claimed it, hands the value back. Pops are lock-free compare-and-swap loops
//! on one packed 64-bit word.
//!
//! ```
//! # poolqueue::__doc_model(|| {
//! let (owner, stealer) = poolqueue::dequeue::new::<u32>(4).unwrap();
//! for i in 0..4 {
//!     owner.push_head(i).unwrap();
//! }
//! assert_eq!(owner.push_head(9), Err(9)); // full: the value comes back
//! assert_eq!(stealer.pop_tail(), Some(0)); // stealers take the oldest
//! assert_eq!(owner.pop_head(), Some(3)); // the owner takes the newest
//! assert_eq!(owner.len(), 2);
//! # });
//! ```
//!
//! Values are stored inline, and every value pushed is returned exactly once by a pop or dropped
//! exactly once when the owner and every stealer are gone.

use core::cell::Cell;
use core::fmt;
use core::marker::PhantomData;

use crate::error::CapacityError;
use crate::ring::Ring;
use crate::sync::ArcHandle;

/// Creates a ring of `capacity` slots and returns its owner and a first stealer.
///
/// # Errors
/// [`CapacityError`] unless `capacity` is a power of two in `2..=2^30`.
///
/// ```
/// # poolqueue::__doc_model(|| {
/// use poolqueue::dequeue;
/// let (owner, stealer) = dequeue::new::<String>(8).unwrap();
/// assert_eq!(owner.capacity(), 8);
/// assert!(stealer.is_empty());
/// assert!(dequeue::new::<String>(6).is_err());
/// # });
/// ```
pub fn new<T>(capacity: usize) -> Result<(Owner<T>, Stealer<T>), CapacityError> {
    with_start_index(capacity, 0)
}

/// Like [`new`], with both indices starting at `start` instead of 0. Tests start near 2^32
/// (Go's hooks use `2^32 - 500`) so that every run crosses the index wrap.
pub(crate) fn with_start_index<T>(
    capacity: usize,
    start: u32,
) -> Result<(Owner<T>, Stealer<T>), CapacityError> {
    let capacity = CapacityError::check(capacity)?;
    let ring = ArcHandle::new(Ring::new(capacity, start));
    let stealer = Stealer { ring: ring.clone() };
    Ok((
        Owner {
            ring,
            _not_sync: PhantomData,
        },
        stealer,
    ))
}

/// The single owner of a ring: pushes and pops at the head.
///
/// `Owner` is `Send` (when `T: Send`) but neither `Sync` nor `Clone`: exactly one thread at a
/// time may be the producer. Its methods take `&self`, as crossbeam-deque's and st3's `Worker`
/// do, so an owner can sit in a struct that its thread shares by reference:
///
/// ```
/// # poolqueue::__doc_model(|| {
/// use poolqueue::dequeue::{self, Owner};
///
/// struct Worker {
///     local: Owner<u32>,
/// }
/// impl Worker {
///     fn spawn_task(&self, task: u32) -> Result<(), u32> {
///         self.local.push_head(task) // `&self` is enough
///     }
/// }
/// let (local, _stealer) = dequeue::new(4).unwrap();
/// let worker = Worker { local };
/// let shared = &worker;
/// shared.spawn_task(1).unwrap();
/// assert_eq!(worker.local.pop_head(), Some(1));
/// # });
/// ```
///
/// ```compile_fail
/// fn shared<T: Sync>() {}
/// shared::<poolqueue::dequeue::Owner<u32>>(); // an owner cannot be shared between threads
/// ```
///
/// ```compile_fail
/// fn cloned<T: Clone>() {}
/// cloned::<poolqueue::dequeue::Owner<u32>>(); // nor duplicated
/// ```
pub struct Owner<T> {
    ring: ArcHandle<Ring<T>>,
    /// `Cell` is `Send + !Sync`: the owner can move to another thread but not be shared.
    _not_sync: PhantomData<Cell<()>>,
}

/// A handle that pops at the tail; clone it for every thread that steals.
///
/// `Stealer` is `Send + Sync + Clone` when `T: Send`.
///
/// ```
/// fn shareable<T: Send + Sync + Clone>() {}
/// shareable::<poolqueue::dequeue::Stealer<Vec<u8>>>();
/// ```
///
/// ```compile_fail
/// fn shareable<T: Send + Sync>() {}
/// shareable::<poolqueue::dequeue::Stealer<std::rc::Rc<u8>>>(); // values must be Send
/// ```
pub struct Stealer<T> {
    ring: ArcHandle<Ring<T>>,
}

impl<T> Owner<T> {
    /// Pushes `value` at the head.
    ///
    /// # Errors
    /// Hands `value` back when the ring is full. That includes the moment right after a stealer
    /// claimed the oldest value but before it finished reading it: the slot is not yet free.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, _stealer) = poolqueue::dequeue::new::<u8>(2).unwrap();
    /// assert_eq!(owner.push_head(1), Ok(()));
    /// assert_eq!(owner.push_head(2), Ok(()));
    /// assert_eq!(owner.push_head(3), Err(3));
    /// # });
    /// ```
    #[inline]
    pub fn push_head(&self, value: T) -> Result<(), T> {
        // SAFETY: the ring's owner contract (one owner, no concurrent owner calls) holds:
        // - one owner: this `Owner` is the only one made for the ring, and it is not `Clone`;
        // - no concurrent calls: `Owner` is `!Sync`, so `&self` cannot reach a second thread,
        //   and on this thread a call cannot start while another one is still running, because
        //   no user code runs inside one (the ring moves `T` without calling its methods or
        //   `Drop`), so nothing can re-enter.
        unsafe { self.ring.push_head(value) }.map(drop)
    }

    /// Pops the newest value (LIFO), or `None` when the ring is empty.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, _stealer) = poolqueue::dequeue::new::<u8>(4).unwrap();
    /// owner.push_head(1).unwrap();
    /// owner.push_head(2).unwrap();
    /// assert_eq!(owner.pop_head(), Some(2));
    /// assert_eq!(owner.pop_head(), Some(1));
    /// assert_eq!(owner.pop_head(), None);
    /// # });
    /// ```
    #[inline]
    pub fn pop_head(&self) -> Option<T> {
        // SAFETY: as in `push_head`: the only owner, `!Sync`, and no user code runs inside a
        // call (the value is moved out, not dropped), so owner calls never overlap.
        unsafe { self.ring.pop_head() }
    }

    /// The number of slots.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, _) = poolqueue::dequeue::new::<u8>(16).unwrap();
    /// assert_eq!(owner.capacity(), 16);
    /// # });
    /// ```
    pub fn capacity(&self) -> usize {
        self.ring.capacity()
    }

    /// The number of values, as of some instant during the call (stealers may change it at any
    /// time).
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, _) = poolqueue::dequeue::new::<u8>(4).unwrap();
    /// owner.push_head(7).unwrap();
    /// assert_eq!(owner.len(), 1);
    /// # });
    /// ```
    pub fn len(&self) -> usize {
        self.ring.len()
    }

    /// Whether [`len`](Self::len) is zero.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, _) = poolqueue::dequeue::new::<u8>(4).unwrap();
    /// assert!(owner.is_empty());
    /// # });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A new stealer for this ring.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, _) = poolqueue::dequeue::new::<u8>(4).unwrap();
    /// let stealer = owner.stealer();
    /// owner.push_head(5).unwrap();
    /// assert_eq!(stealer.pop_tail(), Some(5));
    /// # });
    /// ```
    pub fn stealer(&self) -> Stealer<T> {
        Stealer {
            ring: self.ring.clone(),
        }
    }
}

impl<T> Stealer<T> {
    /// Pops the oldest value (FIFO), or `None` when the ring is empty. Lock-free: it retries
    /// only when another thread's operation on the ring succeeded.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, stealer) = poolqueue::dequeue::new::<u8>(4).unwrap();
    /// owner.push_head(1).unwrap();
    /// owner.push_head(2).unwrap();
    /// assert_eq!(stealer.pop_tail(), Some(1));
    /// assert_eq!(stealer.pop_tail(), Some(2));
    /// assert_eq!(stealer.pop_tail(), None);
    /// # });
    /// ```
    #[inline]
    pub fn pop_tail(&self) -> Option<T> {
        self.ring.pop_tail()
    }

    /// The number of slots.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (_, stealer) = poolqueue::dequeue::new::<u8>(8).unwrap();
    /// assert_eq!(stealer.capacity(), 8);
    /// # });
    /// ```
    pub fn capacity(&self) -> usize {
        self.ring.capacity()
    }

    /// The number of values, as of some instant during the call.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, stealer) = poolqueue::dequeue::new::<u8>(4).unwrap();
    /// owner.push_head(1).unwrap();
    /// assert_eq!(stealer.len(), 1);
    /// # });
    /// ```
    pub fn len(&self) -> usize {
        self.ring.len()
    }

    /// Whether [`len`](Self::len) is zero.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (_, stealer) = poolqueue::dequeue::new::<u8>(4).unwrap();
    /// assert!(stealer.is_empty());
    /// # });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Clone for Stealer<T> {
    fn clone(&self) -> Self {
        Stealer {
            ring: self.ring.clone(),
        }
    }
}

impl<T> fmt::Debug for Owner<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("dequeue::Owner")
            .field("capacity", &self.capacity())
            .field("len", &self.len())
            .finish()
    }
}

impl<T> fmt::Debug for Stealer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("dequeue::Stealer")
            .field("capacity", &self.capacity())
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
    fn rejects_bad_capacities() {
        for bad in [0, 1, 3, 6, 12, (1 << 30) + 1, 1 << 31, usize::MAX] {
            let err = new::<u8>(bad).unwrap_err();
            assert_eq!(err.requested(), bad);
        }
        for good in [2, 4, 1024] {
            assert_eq!(new::<u8>(good).unwrap().0.capacity(), good);
        }
    }
}
