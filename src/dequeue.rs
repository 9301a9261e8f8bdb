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
#[cfg(feature = "event")]
use core::time::Duration;

use crate::error::CapacityError;
#[cfg(feature = "event")]
use crate::event::EventCount;
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
        //   and no other owner call can start while this one runs, because it runs no user code
        //   (it moves `T` without calling its methods or `Drop`). This call may itself run
        //   nested inside the user code of a batch call (its iterator or `Extend`), which the
        //   batch methods allow (R5 in `ring`).
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
        // SAFETY: as in `push_head`: the only owner, `!Sync`, and no user code runs inside this
        // call (the value is moved out, not dropped), so no owner call starts during it; nested
        // in a batch call's user code it is allowed by R5 in `ring`.
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

#[cfg(feature = "event")]
#[cfg_attr(docsrs, doc(cfg(feature = "event")))]
impl<T> Owner<T> {
    /// [`push_head`](Self::push_head), then [`event.notify_one()`](EventCount::notify_one) if
    /// the push succeeded.
    ///
    /// # Errors
    /// Hands `value` back when the ring is full (nothing is notified then).
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let event = poolqueue::EventCount::new();
    /// let (owner, _stealer) = poolqueue::dequeue::new::<u32>(2).unwrap();
    /// owner.push_head_notify(1, &event).unwrap();
    /// owner.push_head_notify(2, &event).unwrap();
    /// assert_eq!(owner.push_head_notify(3, &event), Err(3));
    /// # });
    /// ```
    #[inline]
    pub fn push_head_notify(&self, value: T, event: &EventCount) -> Result<(), T> {
        self.push_head(value)?;
        event.notify_one();
        Ok(())
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

#[cfg(feature = "event")]
#[cfg_attr(docsrs, doc(cfg(feature = "event")))]
impl<T> Stealer<T> {
    /// Pops the oldest value, sleeping on `event` while the ring is empty. Returns `None` only
    /// once `event` is closed and the ring is empty.
    ///
    /// The owner must notify `event` after each push ([`push_head_notify`] does both).
    ///
    /// [`push_head_notify`]: Owner::push_head_notify
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let event = poolqueue::EventCount::new();
    /// let (owner, stealer) = poolqueue::dequeue::new::<u32>(4).unwrap();
    /// owner.push_head_notify(3, &event).unwrap();
    /// assert_eq!(stealer.pop_tail_wait(&event), Some(3));
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
    /// let (owner, stealer) = poolqueue::dequeue::new::<u32>(4).unwrap();
    /// assert_eq!(stealer.pop_tail_wait_timeout(&event, Duration::from_micros(10)), None);
    /// owner.push_head_notify(4, &event).unwrap();
    /// assert_eq!(stealer.pop_tail_wait_timeout(&event, Duration::from_micros(10)), Some(4));
    /// # });
    /// ```
    pub fn pop_tail_wait_timeout(&self, event: &EventCount, timeout: Duration) -> Option<T> {
        event.wait_until_timeout(timeout, || self.pop_tail())
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

// Batch operations (proofs-notes/batch.md): one read-modify-write of the packed word per batch.
impl<T> Owner<T> {
    /// Pushes values from `values` at the head until the ring is full (including a slot a
    /// stealer has claimed but not yet released) or the iterator ends, and publishes them all
    /// with one read-modify-write. Returns how many were pushed; the rest stay in the iterator
    /// (a value is taken from it only once a slot for it is free).
    ///
    /// The batch linearizes at its publishing read-modify-write as that many
    /// [`push_head`](Self::push_head)s in a row. If `values.next()` panics, the values taken
    /// before are in the ring (published), and the panic goes on.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, stealer) = poolqueue::dequeue::new::<u32>(4).unwrap();
    /// let mut values = 0..10;
    /// assert_eq!(owner.push_head_batch(&mut values), 4); // the ring holds 4
    /// assert_eq!(values.next(), Some(4)); // nothing was lost: 4.. are still in the iterator
    /// assert_eq!(stealer.pop_tail(), Some(0));
    /// # });
    /// ```
    #[inline]
    pub fn push_head_batch<I>(&self, values: &mut I) -> usize
    where
        I: Iterator<Item = T> + ?Sized,
    {
        // SAFETY: `Owner` is the ring's only owner and `!Sync`, so this runs on the owner's
        // thread; the only owner calls that can overlap it are nested inside `values.next()`
        // (through this `&self`), which the ring tolerates.
        unsafe { self.ring.push_head_batch(values) }
    }

    /// Pops up to `max` of the newest values with one compare-and-swap and hands them to `out`,
    /// newest first. Returns how many `out` took.
    ///
    /// The batch linearizes at its compare-and-swap as that many [`pop_head`](Self::pop_head)s
    /// in a row. If `out.extend` panics (or stops early), the claimed values it did not take
    /// are dropped, each exactly once.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, _stealer) = poolqueue::dequeue::new::<u32>(8).unwrap();
    /// owner.push_head_batch(&mut (1..=5));
    /// let mut out = Vec::new();
    /// assert_eq!(owner.pop_head_batch(3, &mut out), 3);
    /// assert_eq!(out, [5, 4, 3]); // newest first
    /// assert_eq!(owner.len(), 2);
    /// # });
    /// ```
    #[inline]
    pub fn pop_head_batch<E>(&self, max: usize, out: &mut E) -> usize
    where
        E: Extend<T> + ?Sized,
    {
        // SAFETY: as in `push_head_batch`; calls nested in `out.extend` are tolerated.
        unsafe { self.ring.pop_head_batch(max, out) }
    }
}

impl<T> Stealer<T> {
    /// Moves the oldest half (rounded up) of the values into `dest`, never more than `dest`
    /// has room for, and returns how many moved. The values land in `dest` in their order here:
    /// `dest`'s stealers see them oldest first, its owner pops the newest of them first.
    ///
    /// One compare-and-swap on this ring claims them (the steal linearizes there as that many
    /// [`pop_tail`](Self::pop_tail)s in a row), and one read-modify-write on `dest`'s word
    /// publishes them. A ring holding one value still yields it; a `dest` without room moves
    /// nothing and loses nothing. `dest` may be this ring's own owner: the oldest values then
    /// move to the head.
    ///
    /// `dest` is an [`Owner`], which is `!Sync`: a `&Owner` exists only on the owner's
    /// thread, so the steal runs where pushing into `dest` is allowed.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (victim, stealer) = poolqueue::dequeue::new::<u32>(8).unwrap();
    /// let (mine, _) = poolqueue::dequeue::new::<u32>(8).unwrap();
    /// victim.push_head_batch(&mut (0..5));
    /// assert_eq!(stealer.steal_batch(&mine), 3); // ceil(5 / 2)
    /// assert_eq!(mine.stealer().pop_tail(), Some(0)); // the oldest, still first in line
    /// assert_eq!(victim.len(), 2);
    /// # });
    /// ```
    #[inline]
    pub fn steal_batch(&self, dest: &Owner<T>) -> usize {
        self.steal_batch_with_limit(dest, usize::MAX)
    }

    /// As [`steal_batch`](Self::steal_batch), moving at most `limit` values (none when `limit`
    /// is 0).
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (victim, stealer) = poolqueue::dequeue::new::<u32>(16).unwrap();
    /// let (mine, _) = poolqueue::dequeue::new::<u32>(16).unwrap();
    /// victim.push_head_batch(&mut (0..10));
    /// assert_eq!(stealer.steal_batch_with_limit(&mine, 2), 2);
    /// assert_eq!(mine.len(), 2);
    /// # });
    /// ```
    #[inline]
    pub fn steal_batch_with_limit(&self, dest: &Owner<T>, limit: usize) -> usize {
        // SAFETY: `dest` is an `Owner`, which is `!Sync`, so `&Owner` cannot cross threads:
        // this runs on `dest`'s owner thread, the one allowed to push into its ring. No user
        // code runs inside, so no other owner call can overlap.
        unsafe { self.ring.steal_batch_into(&dest.ring, limit) }
    }

    /// As [`steal_batch`](Self::steal_batch), but the oldest stolen value is returned instead of
    /// pushed into `dest` (it needs no room there: with a full `dest`, this is a
    /// [`pop_tail`](Self::pop_tail)). `None` when this ring was empty.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (victim, stealer) = poolqueue::dequeue::new::<u32>(8).unwrap();
    /// let (mine, _) = poolqueue::dequeue::new::<u32>(8).unwrap();
    /// victim.push_head_batch(&mut (0..4));
    /// assert_eq!(stealer.steal_batch_and_pop(&mine), Some(0));
    /// assert_eq!(mine.stealer().pop_tail(), Some(1)); // the other stolen value
    /// assert_eq!(victim.len(), 2);
    /// # });
    /// ```
    #[inline]
    pub fn steal_batch_and_pop(&self, dest: &Owner<T>) -> Option<T> {
        // SAFETY: as in `steal_batch_with_limit`.
        unsafe { self.ring.steal_batch_and_pop_into(&dest.ring) }
    }
}
