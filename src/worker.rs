//! A chain whose owner keeps its newest values private until a stealer asks for work.
//!
//! A [`chain`] costs its owner one locked read-modify-write per push and one
//! compare-and-swap per pop, on the word every stealer compare-and-swaps. A worker's owner keeps
//! up to `k` of its newest values in a private buffer that no other thread reads, so while the
//! buffer has room (on a push) or values (on a pop) and no stealer has asked for work, its
//! operations are plain memory moves plus one load of a flag that stealers only write to ask.
//! Older values are *published*: they sit in the worker's chain, where stealers take them.
//!
//! ```
//! # poolqueue::__doc_model(|| {
//! let (owner, stealer) = poolqueue::worker::with_private::<u32>(4);
//! for i in 0..4 {
//!     owner.push_head(i); // private: no stealer can see these yet
//! }
//! assert_eq!(stealer.pop_tail(), None); // nothing published: the stealer asks for work
//! owner.push_head(4); // sees the request: publishes the oldest half of its five values
//! assert_eq!(stealer.pop_tail(), Some(0));
//! assert_eq!(stealer.pop_tail(), Some(1));
//! assert_eq!(owner.pop_head(), Some(4)); // the owner pops newest first, private or not
//! owner.flush(); // publishes every private value
//! assert_eq!(stealer.len(), 2);
//! # });
//! ```
//!
//! # Specification
//!
//! The values form one sequence, oldest first: the *published* ones (in the chain), then the
//! *private* ones (in the owner's buffer). So every private value is newer than every published
//! one, and:
//!
//! - [`Owner::pop_head`] takes the newest value of all (LIFO over every value);
//! - [`Stealer::pop_tail`] and the batch steals take the oldest published values (FIFO), and find
//!   nothing only when nothing is published at some instant during the call;
//! - at most `k` values are private at any instant.
//!
//! Values move from private to published only at the oldest end, in order, and only in these
//! steps, each one batch push onto the chain:
//!
//! - **overflow**: a push that finds the buffer full publishes its oldest `⌈k / 2⌉` values first;
//! - **request**: a stealer that finds nothing published leaves a *request* (one flag, on a cache
//!   line of its own, written only when not already set). The owner's next `push_head`,
//!   `pop_head` or `flush` that reads the flag publishes the oldest `⌊m / 2⌋` of the `m` values it
//!   holds privately at that moment (after the push's value joined them, before the pop takes
//!   its value); that is at least one whenever it holds two or more. A lone private value stays:
//!   it is the one a pop is about to take (as in a LIFO slot). The flag stays set until some
//!   publication answers it;
//! - **flush**: [`Owner::flush`] publishes every private value; dropping the owner does too, so the
//!   stealers can still take every value.
//!
//! Every publication clears a pending request before it publishes, so a stealer that takes the
//! published values and finds nothing again asks again. With `k = 0` ([`with_private`]`(0)`) every
//! value is published at once and the worker is a chain with one more branch per operation.
//!
//! # The one weakness
//!
//! A value stays private while its owner runs without touching the worker: a request is only
//! answered by the owner's next operation. An owner that pushes work and then runs a long task
//! keeps up to `k` values out of the stealers' reach for that long (up to one value if a stealer
//! asked before the push). Call [`Owner::flush`] before a long task, or use `k = 0` where that
//! latency matters more than the owner's speed; `benches/` measures both.
//!
//! # Sleeping stealers
//!
//! With the `event` feature, [`Stealer::pop_tail_wait`] sleeps on an
//! [`EventCount`](crate::EventCount) while nothing is published, and the owner's
//! [`push_head_notify`](Owner::push_head_notify), [`pop_head_notify`](Owner::pop_head_notify) and
//! [`flush_notify`](Owner::flush_notify) wake sleepers after every publication, the answer to a
//! request included. The sleeper's search for work leaves the request before it sleeps, so a
//! sleeper is never left asleep by a publication; what an owner holds privately while it runs
//! without touching the worker is the weakness above.
//!
//! The ordering arguments are in the repository's `proofs-notes/worker.md`.

use core::cell::{Cell, UnsafeCell};
use core::fmt;
use core::mem::MaybeUninit;

use crate::chain;
use crate::ring::Oldest;
use crate::sync::{Arc, AtomicBool, Ordering};

/// The default number of values an owner keeps private (see [`new`] for the measurement).
pub const DEFAULT_PRIVATE: usize = 64;

/// The largest private buffer [`with_private`] accepts.
pub const MAX_PRIVATE: usize = 1 << 16;

/// Creates an empty worker whose owner keeps up to [`DEFAULT_PRIVATE`] of its newest values
/// private, and returns its owner and a first stealer.
///
/// 64 is the smallest size at which an owner that pushes and then pops a burst of 64 values (a
/// fork-join step) never touches the chain, and the largest that keeps the worst case of the
/// weakness (values out of the stealers' reach while the owner runs) within one such burst; the
/// figures behind the choice are in `benches/README.md`.
///
/// ```
/// # poolqueue::__doc_model(|| {
/// let (owner, stealer) = poolqueue::worker::new::<u32>();
/// owner.push_head(1);
/// assert_eq!(owner.pop_head(), Some(1));
/// assert_eq!(stealer.pop_tail(), None);
/// # });
/// ```
pub fn new<T>() -> (Owner<T>, Stealer<T>) {
    with_private(DEFAULT_PRIVATE)
}

/// Creates an empty worker whose owner keeps up to `k` of its newest values private; with
/// `k = 0` every value is published at once.
///
/// # Panics
/// If `k` is larger than [`MAX_PRIVATE`].
///
/// ```
/// # poolqueue::__doc_model(|| {
/// let (owner, stealer) = poolqueue::worker::with_private::<u32>(0);
/// owner.push_head(1);
/// assert_eq!(stealer.pop_tail(), Some(1)); // nothing is ever private
/// # });
/// ```
pub fn with_private<T>(k: usize) -> (Owner<T>, Stealer<T>) {
    let (owner, stealer) = chain::new();
    with_chain(k, owner, stealer)
}

/// A worker over a chain made by the caller (the test hooks start its indices near the wrap).
pub(crate) fn with_chain<T>(
    k: usize,
    owner: chain::Owner<T>,
    stealer: chain::Stealer<T>,
) -> (Owner<T>, Stealer<T>) {
    assert!(
        k <= MAX_PRIVATE,
        "worker::with_private: at most {MAX_PRIVATE} private values, not {k}"
    );
    let request = Arc::new(Request {
        wanted: AtomicBool::new(false),
        asks: k > 0,
    });
    (
        Owner {
            published: owner,
            private: Private::new(k),
            request: request.clone(),
        },
        Stealer {
            published: stealer,
            request,
        },
    )
}

/// The request flag, alone on its cache line: the owner reads it on every operation that holds
/// two or more private values, and stealers write it only to raise it.
#[repr(align(128))]
struct Request {
    /// Set by a stealer that found nothing published; cleared by the owner before it publishes.
    wanted: AtomicBool,
    /// `false` when `k = 0`: nothing is ever private, so stealers never ask.
    asks: bool,
}

impl Request {
    /// A stealer found nothing published: ask the owner for work.
    #[inline]
    fn raise(&self) {
        // Relaxed: a hint that publishes nothing; written only when clear (ordering.md W-raise).
        if self.asks && !self.wanted.load(Ordering::Relaxed) {
            // Relaxed: values travel through the chain, not this flag (ordering.md W-raise).
            self.wanted.store(true, Ordering::Relaxed);
        }
    }

    /// Whether a stealer asked (owner only).
    #[inline(always)]
    fn pending(&self) -> bool {
        // Relaxed: any value read is safe; a stale one delays the answer (ordering.md W-pending).
        self.wanted.load(Ordering::Relaxed)
    }

    /// Clears a pending request before a publication answers it (owner only).
    #[inline]
    fn clear(&self) {
        if self.pending() {
            // Relaxed: ordered before the publication by its Release RMW (ordering.md W-clear).
            self.wanted.store(false, Ordering::Relaxed);
        }
    }
}

/// The single owner of a worker: pushes and pops at the head.
///
/// `Owner` is `Send` (when `T: Send`) but neither `Sync` nor `Clone`; its methods take `&self`.
///
/// ```compile_fail
/// fn shared<T: Sync>() {}
/// shared::<poolqueue::worker::Owner<u32>>();
/// ```
///
/// ```compile_fail
/// fn cloned<T: Clone>() {}
/// cloned::<poolqueue::worker::Owner<u32>>();
/// ```
pub struct Owner<T> {
    /// The published values, older than every private one.
    published: chain::Owner<T>,
    /// The newest values, which only this owner reads or writes.
    private: Private<T>,
    request: Arc<Request>,
}

/// A handle that takes the oldest published values; clone it for every thread that steals.
///
/// `Stealer` is `Send + Sync + Clone` when `T: Send`.
///
/// ```
/// fn shareable<T: Send + Sync + Clone>() {}
/// shareable::<poolqueue::worker::Stealer<String>>();
/// ```
pub struct Stealer<T> {
    published: chain::Stealer<T>,
    request: Arc<Request>,
}

impl<T> Owner<T> {
    /// Pushes `value` at the head. Never fails. The value stays private unless the buffer is full
    /// (then its oldest half is published first) or a stealer asked (see the module docs).
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, stealer) = poolqueue::worker::with_private::<u32>(2);
    /// owner.push_head(0);
    /// owner.push_head(1);
    /// owner.push_head(2); // full: publishes the oldest one
    /// assert_eq!(stealer.pop_tail(), Some(0));
    /// assert_eq!(owner.len(), 2);
    /// # });
    /// ```
    #[inline]
    pub fn push_head(&self, value: T) {
        self.push(value);
    }

    /// `push_head`, returning how many values it published.
    #[inline(always)]
    fn push(&self, value: T) -> usize {
        if self.private.is_full() {
            if self.private.limit() == 0 {
                self.published.push_head(value);
                return 1;
            }
            return self.push_overflowing(value);
        }
        self.private.push(value);
        self.answer_if_asked()
    }

    /// `push_head` into a full buffer: publishes the oldest `⌈k / 2⌉`, then keeps `value`.
    #[cold]
    fn push_overflowing(&self, value: T) -> usize {
        let limit = self.private.limit();
        let published = self.publish_oldest(limit - limit / 2);
        self.private.push(value);
        published
    }

    /// Pops the newest value: the newest private one, or else the newest published one.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, stealer) = poolqueue::worker::with_private::<u32>(2);
    /// (0..4).for_each(|i| owner.push_head(i)); // 0 and 1 published on overflow
    /// assert_eq!(owner.pop_head(), Some(3));
    /// assert_eq!(owner.pop_head(), Some(2));
    /// assert_eq!(owner.pop_head(), Some(1)); // from the chain
    /// assert_eq!(stealer.pop_tail(), Some(0));
    /// assert_eq!(owner.pop_head(), None);
    /// # });
    /// ```
    #[inline]
    pub fn pop_head(&self) -> Option<T> {
        self.pop().0
    }

    /// `pop_head`, also returning how many values it published.
    #[inline(always)]
    fn pop(&self) -> (Option<T>, usize) {
        if self.private.is_empty() {
            return (self.published.pop_head(), 0);
        }
        let published = self.answer_if_asked();
        (self.private.pop(), published)
    }

    /// Publishes the oldest `⌊m / 2⌋` of the `m` private values if `m >= 2` and a stealer asked;
    /// returns how many.
    #[inline(always)]
    fn answer_if_asked(&self) -> usize {
        if self.private.len() >= 2 && self.request.pending() {
            self.answer()
        } else {
            0
        }
    }

    #[cold]
    fn answer(&self) -> usize {
        self.publish_oldest(self.private.len() / 2)
    }

    /// Publishes every private value.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, stealer) = poolqueue::worker::new::<u32>();
    /// owner.push_head(1);
    /// owner.push_head(2);
    /// owner.flush();
    /// assert_eq!(stealer.pop_tail(), Some(1));
    /// assert_eq!(stealer.pop_tail(), Some(2));
    /// # });
    /// ```
    pub fn flush(&self) {
        self.publish_oldest(self.private.len());
    }

    /// Moves the `n` oldest private values to the chain, published with one read-modify-write
    /// (so they become visible at one instant), after clearing a pending request (so that a
    /// stealer that drains them and finds nothing asks again). Returns `n`.
    fn publish_oldest(&self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        self.request.clear();
        self.published
            .push_head_all(&mut self.private.drain_oldest(n));
        n
    }

    /// A new stealer for this worker.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, _) = poolqueue::worker::with_private::<u8>(0);
    /// let stealer = owner.stealer();
    /// owner.push_head(1);
    /// assert_eq!(stealer.pop_tail(), Some(1));
    /// # });
    /// ```
    pub fn stealer(&self) -> Stealer<T> {
        Stealer {
            published: self.published.stealer(),
            request: self.request.clone(),
        }
    }

    /// The number of values, private ones included (published ones counted at some instant
    /// during the call).
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, stealer) = poolqueue::worker::new::<u8>();
    /// owner.push_head(1);
    /// assert_eq!((owner.len(), stealer.len()), (1, 0));
    /// # });
    /// ```
    pub fn len(&self) -> usize {
        self.private.len() + self.published.len()
    }

    /// Whether [`len`](Self::len) is zero.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, _) = poolqueue::worker::new::<u8>();
    /// assert!(owner.is_empty());
    /// owner.push_head(1);
    /// assert!(!owner.is_empty());
    /// # });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.private.is_empty() && self.published.is_empty()
    }

    /// How many values this owner keeps private at most (its `k`).
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// assert_eq!(poolqueue::worker::with_private::<u8>(8).0.private_capacity(), 8);
    /// # });
    /// ```
    pub fn private_capacity(&self) -> usize {
        self.private.limit()
    }

    /// Whether a stealer's request is pending (for the test hooks).
    #[cfg(feature = "__test-hooks")]
    pub(crate) fn request_pending(&self) -> bool {
        self.request.pending()
    }

    /// How many values are private (for the test hooks).
    #[cfg(feature = "__test-hooks")]
    pub(crate) fn private_len(&self) -> usize {
        self.private.len()
    }
}

impl<T> Drop for Owner<T> {
    /// Publishes the private values, so the stealers can still take every value.
    fn drop(&mut self) {
        self.flush();
    }
}

impl<T> Stealer<T> {
    /// Takes the oldest published value. Finding none, leaves a request for the owner.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, stealer) = poolqueue::worker::with_private::<u32>(0);
    /// owner.push_head(7);
    /// assert_eq!(stealer.pop_tail(), Some(7));
    /// assert_eq!(stealer.pop_tail(), None);
    /// # });
    /// ```
    #[inline]
    pub fn pop_tail(&self) -> Option<T> {
        let value = self.published.pop_tail();
        if value.is_none() {
            self.request.raise();
        }
        value
    }

    /// Moves the oldest half (rounded up) of the oldest non-empty ring of published values into
    /// `dest`, as [`chain::Stealer::steal_batch`] does, and returns how many moved. They join
    /// `dest`'s published values as their newest (older than any value `dest` holds privately),
    /// so `dest`'s stealers can take them at once. Finding none, leaves a request.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (victim, stealer) = poolqueue::worker::with_private::<u32>(0);
    /// let (mine, _) = poolqueue::worker::new::<u32>();
    /// (0..5).for_each(|i| victim.push_head(i));
    /// assert_eq!(stealer.steal_batch(&mine), 3);
    /// assert_eq!(mine.pop_head(), Some(2));
    /// # });
    /// ```
    pub fn steal_batch(&self, dest: &Owner<T>) -> usize {
        self.steal(dest, usize::MAX, Oldest::Push).0
    }

    /// As [`steal_batch`](Self::steal_batch), moving at most `limit` values (none when `limit`
    /// is 0, and then no request is left).
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (victim, stealer) = poolqueue::worker::with_private::<u32>(0);
    /// let (mine, _) = poolqueue::worker::new::<u32>();
    /// (0..8).for_each(|i| victim.push_head(i));
    /// assert_eq!(stealer.steal_batch_with_limit(&mine, 3), 3);
    /// # });
    /// ```
    pub fn steal_batch_with_limit(&self, dest: &Owner<T>, limit: usize) -> usize {
        if limit == 0 {
            return 0;
        }
        self.steal(dest, limit, Oldest::Push).0
    }

    /// As [`steal_batch`](Self::steal_batch), but the oldest stolen value is returned instead of
    /// moved into `dest`.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (victim, stealer) = poolqueue::worker::with_private::<u32>(0);
    /// let (mine, _) = poolqueue::worker::new::<u32>();
    /// (0..4).for_each(|i| victim.push_head(i));
    /// assert_eq!(stealer.steal_batch_and_pop(&mine), Some(0));
    /// assert_eq!(mine.pop_head(), Some(1));
    /// # });
    /// ```
    pub fn steal_batch_and_pop(&self, dest: &Owner<T>) -> Option<T> {
        self.steal(dest, usize::MAX, Oldest::Pop).1
    }

    /// The chain's batch steal into `dest`'s chain (with [`Oldest::Pop`], the oldest stolen
    /// value is returned); a steal that finds nothing asks the owner for work.
    fn steal(&self, dest: &Owner<T>, limit: usize, oldest: Oldest) -> (usize, Option<T>) {
        let (moved, popped) = self.published.steal_into(&dest.published, limit, oldest);
        if moved == 0 && popped.is_none() {
            self.request.raise();
        }
        (moved, popped)
    }

    /// The number of published values.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, stealer) = poolqueue::worker::with_private::<u8>(0);
    /// owner.push_head(1);
    /// assert_eq!(stealer.len(), 1);
    /// # });
    /// ```
    pub fn len(&self) -> usize {
        self.published.len()
    }

    /// Whether no value was published at some instant during the call. Leaves no request.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let (owner, stealer) = poolqueue::worker::new::<u8>();
    /// owner.push_head(1); // private
    /// assert!(stealer.is_empty());
    /// # });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.published.is_empty()
    }
}

#[cfg(feature = "event")]
impl<T> Owner<T> {
    /// [`push_head`](Self::push_head), then, if it published values (overflow or a request),
    /// wakes sleepers on `event`: one for one value, all for more.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let event = poolqueue::EventCount::new();
    /// let (owner, stealer) = poolqueue::worker::with_private::<u32>(0);
    /// owner.push_head_notify(5, &event);
    /// assert_eq!(stealer.pop_tail_wait(&event), Some(5));
    /// # });
    /// ```
    #[inline]
    pub fn push_head_notify(&self, value: T, event: &crate::EventCount) {
        notify(self.push(value), event);
    }

    /// [`pop_head`](Self::pop_head), then wakes sleepers on `event` if it published values.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let event = poolqueue::EventCount::new();
    /// let (owner, _stealer) = poolqueue::worker::new::<u32>();
    /// owner.push_head(1);
    /// assert_eq!(owner.pop_head_notify(&event), Some(1));
    /// # });
    /// ```
    #[inline]
    pub fn pop_head_notify(&self, event: &crate::EventCount) -> Option<T> {
        let (value, published) = self.pop();
        notify(published, event);
        value
    }

    /// [`flush`](Self::flush), then wakes sleepers on `event` if it published values. Call it
    /// before a long task, or before dropping the owner, when stealers may sleep.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let event = poolqueue::EventCount::new();
    /// let (owner, stealer) = poolqueue::worker::new::<u32>();
    /// owner.push_head(1);
    /// owner.flush_notify(&event);
    /// assert_eq!(stealer.pop_tail_wait(&event), Some(1));
    /// # });
    /// ```
    pub fn flush_notify(&self, event: &crate::EventCount) {
        notify(self.publish_oldest(self.private.len()), event);
    }
}

/// Wakes sleepers after `published` values were published: one per value, as the eventcount's
/// contract asks (one notify per item), or all at once for more than one.
#[cfg(feature = "event")]
#[inline(always)]
fn notify(published: usize, event: &crate::EventCount) {
    match published {
        0 => {}
        1 => event.notify_one(),
        _ => event.notify_all(),
    }
}

#[cfg(feature = "event")]
impl<T> Stealer<T> {
    /// Takes the oldest published value, sleeping on `event` while there is none. Each look that
    /// finds nothing leaves a request, so the owner's next operation publishes (and, through the
    /// `_notify` methods, wakes this thread). Returns `None` only once `event` is closed and
    /// nothing is published.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let event = poolqueue::EventCount::new();
    /// let (owner, stealer) = poolqueue::worker::new::<u32>();
    /// owner.push_head(1);
    /// owner.flush_notify(&event);
    /// assert_eq!(stealer.pop_tail_wait(&event), Some(1));
    /// event.close();
    /// assert_eq!(stealer.pop_tail_wait(&event), None);
    /// # });
    /// ```
    pub fn pop_tail_wait(&self, event: &crate::EventCount) -> Option<T> {
        event.wait_until(|| self.pop_tail())
    }

    /// As [`pop_tail_wait`](Self::pop_tail_wait), giving up after `timeout`.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// use std::time::Duration;
    /// let event = poolqueue::EventCount::new();
    /// let (_owner, stealer) = poolqueue::worker::new::<u32>();
    /// assert_eq!(stealer.pop_tail_wait_timeout(&event, Duration::from_micros(10)), None);
    /// # });
    /// ```
    pub fn pop_tail_wait_timeout(
        &self,
        event: &crate::EventCount,
        timeout: std::time::Duration,
    ) -> Option<T> {
        event.wait_until_timeout(timeout, || self.pop_tail())
    }
}

impl<T> Clone for Stealer<T> {
    fn clone(&self) -> Self {
        Stealer {
            published: self.published.clone(),
            request: self.request.clone(),
        }
    }
}

impl<T> fmt::Debug for Owner<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("worker::Owner")
            .field("private", &self.private.len())
            .field("published", &self.published.len())
            .finish()
    }
}

impl<T> fmt::Debug for Stealer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("worker::Stealer")
            .field("published", &self.len())
            .finish()
    }
}

/// The owner's private values: a stack of at most `limit` values, oldest at the bottom. Only the
/// owner thread touches it, and no user code runs while a method of it runs (values are only
/// moved), so no call can overlap another. Pushes and pops work at the top; a publication takes
/// values from the bottom and moves the rest down, which costs at most `limit` moves on a path
/// that also makes a read-modify-write on the chain.
struct Private<T> {
    slots: Box<[UnsafeCell<MaybeUninit<T>>]>,
    /// The values are in `slots[..len]`.
    len: Cell<usize>,
}

impl<T> Private<T> {
    fn new(limit: usize) -> Self {
        Private {
            slots: (0..limit)
                .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
                .collect(),
            len: Cell::new(0),
        }
    }

    #[inline(always)]
    fn limit(&self) -> usize {
        self.slots.len()
    }

    #[inline(always)]
    fn len(&self) -> usize {
        self.len.get()
    }

    #[inline(always)]
    fn is_empty(&self) -> bool {
        self.len.get() == 0
    }

    #[inline(always)]
    fn is_full(&self) -> bool {
        self.len.get() == self.slots.len()
    }

    /// The slot at `index`, which is below `limit`.
    #[inline(always)]
    fn slot(&self, index: usize) -> *mut MaybeUninit<T> {
        debug_assert!(index < self.slots.len());
        // SAFETY: callers pass an index below `len <= limit` (or `len < limit` for a push).
        unsafe { self.slots.get_unchecked(index) }.get()
    }

    /// Adds the newest value. The buffer is not full.
    #[inline(always)]
    fn push(&self, value: T) {
        let len = self.len.get();
        // SAFETY: `len < limit` (the caller checked `is_full`), the slot above the values is
        // free, and only the owner thread touches the buffer, one call at a time.
        unsafe { (*self.slot(len)).write(value) };
        self.len.set(len + 1);
    }

    /// Removes the newest value, if any.
    #[inline(always)]
    fn pop(&self) -> Option<T> {
        let len = self.len.get().checked_sub(1)?;
        self.len.set(len);
        // SAFETY: the slot held the newest value, which is now outside `len` and read once.
        Some(unsafe { (*self.slot(len)).assume_init_read() })
    }

    /// Moves out the `n` oldest values, oldest first. When the iterator is dropped, the values
    /// it did not take and the newer ones move down to the bottom.
    fn drain_oldest(&self, n: usize) -> DrainOldest<'_, T> {
        debug_assert!(n <= self.len());
        DrainOldest {
            private: self,
            taken: 0,
            n,
        }
    }
}

/// The iterator of [`Private::drain_oldest`]: `slots[..taken]` are moved out already, the rest
/// of `slots[..len]` still holds values.
struct DrainOldest<'a, T> {
    private: &'a Private<T>,
    taken: usize,
    n: usize,
}

impl<T> ExactSizeIterator for DrainOldest<'_, T> {}

impl<T> Iterator for DrainOldest<'_, T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        if self.taken == self.n {
            return None;
        }
        let index = self.taken;
        self.taken += 1;
        // SAFETY: `index < n <= len`, so the slot holds a value; `taken` moved past it, so it
        // is read once.
        Some(unsafe { (*self.private.slot(index)).assume_init_read() })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.n - self.taken;
        (left, Some(left))
    }
}

impl<T> Drop for DrainOldest<'_, T> {
    fn drop(&mut self) {
        let private = self.private;
        let len = private.len.get();
        let rest = len - self.taken;
        if self.taken > 0 && rest > 0 {
            // SAFETY: `slots[taken..len]` hold the values left and `slots[..taken]` are moved
            // out; `copy` handles the overlap. Owner thread only, no user code.
            unsafe {
                core::ptr::copy(private.slot(self.taken), private.slot(0), rest);
            }
        }
        private.len.set(rest);
    }
}

impl<T> Drop for Private<T> {
    fn drop(&mut self) {
        // Values are left here only if the owner's `Drop` could not publish them (it unwound
        // before). Each is moved out before its `Drop` runs, so none is dropped twice.
        let n = self.len();
        self.drain_oldest(n).for_each(drop);
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

    fn drain<T>(stealer: &Stealer<T>) -> Vec<T> {
        core::iter::from_fn(|| stealer.pop_tail()).collect()
    }

    #[test]
    fn overflow_publishes_the_oldest_half_rounded_up() {
        for k in 1..=9 {
            let (owner, stealer) = with_private::<usize>(k);
            (0..=k).for_each(|i| owner.push_head(i));
            let half = k - k / 2;
            assert_eq!(drain(&stealer), (0..half).collect::<Vec<_>>(), "k {k}");
            assert_eq!(owner.len(), k + 1 - half);
        }
    }

    #[test]
    fn a_request_is_answered_by_the_next_operation_with_two_or_more_values() {
        let (owner, stealer) = with_private::<usize>(8);
        owner.push_head(0);
        assert_eq!(stealer.pop_tail(), None); // asks
        assert_eq!(owner.pop_head(), Some(0)); // a lone value stays (and is popped)
        owner.push_head(1); // still one: stays
        assert_eq!(stealer.pop_tail(), None);
        owner.push_head(2); // two: publishes the older one
        assert_eq!(stealer.pop_tail(), Some(1)); // found one: asks nothing
        (3..8).for_each(|i| owner.push_head(i)); // answered: all six stay private
        assert!(stealer.is_empty()); // looking leaves no request
        assert_eq!(owner.len(), 6);
        assert_eq!(stealer.pop_tail(), None); // asks again
        assert_eq!(owner.pop_head(), Some(7)); // six held: publishes three, pops the newest
        assert_eq!(drain(&stealer), [2, 3, 4]);
        owner.flush();
        assert_eq!(drain(&stealer), [5, 6]);
        assert!(owner.is_empty());
    }

    #[test]
    fn k_zero_publishes_everything_and_never_asks() {
        let (owner, stealer) = with_private::<usize>(0);
        owner.push_head(1);
        owner.push_head(2);
        assert_eq!(stealer.pop_tail(), Some(1));
        assert_eq!(owner.pop_head(), Some(2));
        assert_eq!(stealer.pop_tail(), None);
        assert!(!owner.request.pending());
    }

    #[test]
    fn dropping_the_owner_publishes_its_private_values() {
        let (owner, stealer) = new::<String>();
        owner.push_head("a".into());
        owner.push_head("b".into());
        drop(owner);
        assert_eq!(drain(&stealer), ["a", "b"]);
    }

    #[test]
    #[should_panic(expected = "at most 65536 private values")]
    fn too_large_a_buffer_is_refused() {
        let _ = with_private::<u8>(MAX_PRIVATE + 1);
    }
}
