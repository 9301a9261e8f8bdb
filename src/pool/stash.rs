//! A shard's stash: a small array of idle values that only the shard's owner touches, between
//! the private slot and the chain.
//!
//! # Invariants
//!
//! 1. `values[..len]` are initialized and owned by the stash, the newest at `len - 1`;
//!    `values[len..]` are not. Every operation keeps this at each step where user code could
//!    observe it (none runs inside these methods: values are only moved, bytewise).
//! 2. Only the shard's owner (shards S1) touches a stash, so it is plain memory: no
//!    atomics, no claims. Other threads see its values only after a [`Pool`](super::Pool)
//!    moves them to the shard's chain (a spill) or to the victim generation.
//!
//! A put that finds the stash full spills its oldest [`SPILL`] values to the chain with one
//! batch push; a get that finds it empty refills [`REFILL`] values from the chain with one
//! batch pop. So the chain sees one read-modify-write per `SPILL` values, not one per value,
//! and at most [`CAPACITY`] of a thread's idle values are hidden from other threads.

use core::mem::MaybeUninit;
use core::ptr;

/// How many values a stash holds. The models keep it small, so that a few values reach the
/// spill, refill and steal paths.
#[cfg(not(any(feature = "loom", feature = "shuttle")))]
pub(crate) const CAPACITY: usize = 32;
#[cfg(any(feature = "loom", feature = "shuttle"))]
pub(crate) const CAPACITY: usize = 4;
/// How many of the oldest values a full stash spills to the chain.
pub(crate) const SPILL: usize = CAPACITY / 2;
/// How many values an empty stash takes back from the chain.
pub(crate) const REFILL: usize = CAPACITY / 2;

/// Up to [`CAPACITY`] values, a stack (newest on top).
pub(crate) struct Stash<T> {
    len: usize,
    values: [MaybeUninit<T>; CAPACITY],
}

impl<T> Stash<T> {
    pub(crate) fn new() -> Self {
        Stash {
            len: 0,
            // SAFETY: an array of `MaybeUninit` needs no initialization.
            values: unsafe { MaybeUninit::uninit().assume_init() },
        }
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline(always)]
    pub(crate) fn is_full(&self) -> bool {
        self.len == CAPACITY
    }

    /// Room left.
    #[inline(always)]
    pub(crate) fn room(&self) -> usize {
        CAPACITY - self.len
    }

    /// Pushes `value` on top, or hands it back when full.
    #[inline(always)]
    pub(crate) fn push(&mut self, value: T) -> Result<(), T> {
        if self.len == CAPACITY {
            return Err(value);
        }
        self.values[self.len].write(value);
        self.len += 1;
        Ok(())
    }

    /// The newest value.
    #[inline(always)]
    pub(crate) fn pop(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        // SAFETY: `values[len]` was initialized (invariant 1) and is now outside `..len`, so it
        // is read out once.
        Some(unsafe { self.values[self.len].as_ptr().read() })
    }

    /// Moves the newest value, if any, to `dst` (a bytewise copy).
    ///
    /// # Safety
    /// `dst` is valid for writing a `T`, and whatever it holds is not dropped.
    #[inline(always)]
    pub(crate) unsafe fn pop_into(&mut self, dst: *mut T) -> bool {
        if self.len == 0 {
            return false;
        }
        self.len -= 1;
        // SAFETY: `values[len]` was initialized (invariant 1) and is now outside `..len`, so it
        // is moved out once; `dst` is writable by the caller's contract.
        unsafe { ptr::copy_nonoverlapping(self.values[self.len].as_ptr(), dst, 1) };
        true
    }

    /// Moves the value at `src` on top of the stash, which is not full.
    ///
    /// # Safety
    /// The stash is not full, and `src` is a valid `T` that the caller gives up (never drops or
    /// reads again).
    #[inline(always)]
    pub(crate) unsafe fn push_from(&mut self, src: *const T) {
        debug_assert!(self.len < CAPACITY);
        // SAFETY: `len < CAPACITY` by the contract, so the slot is in bounds and outside
        // `..len` (uninitialized, nothing overwritten); `src` is a valid value handed over.
        unsafe {
            ptr::copy_nonoverlapping(src, self.values.get_unchecked_mut(self.len).as_mut_ptr(), 1)
        };
        self.len += 1;
    }

    /// Moves up to `n` of the oldest values out, oldest first. What the iterator does not yield
    /// stays in the stash (its drop moves the rest back into place).
    pub(crate) fn drain_oldest(&mut self, n: usize) -> Drain<'_, T> {
        let end = n.min(self.len);
        Drain {
            stash: self,
            next: 0,
            end,
        }
    }

    /// Reverses the order of `values[from..len]` (a refill receives the newest value first;
    /// reversed, the newest is on top again).
    pub(crate) fn reverse_from(&mut self, from: usize) {
        self.values[from..self.len].reverse();
    }

    /// Moves every value out, leaving the stash empty.
    pub(crate) fn take(&mut self) -> Stash<T> {
        core::mem::replace(self, Stash::new())
    }
}

impl<T> Extend<T> for Stash<T> {
    /// Pushes every value of `iter`. A caller asks the chain for at most [`room`](Stash::room)
    /// values, so none is left over; if one were, it would be dropped here, so this panics
    /// rather than run user code in the middle of a shard access.
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for value in iter {
            if let Err(value) = self.push(value) {
                core::mem::forget(value);
                panic!("a stash was given more values than it has room for");
            }
        }
    }
}

impl<T> IntoIterator for Stash<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter(self)
    }
}

/// The values of a stash, newest first.
pub(crate) struct IntoIter<T>(Stash<T>);

impl<T> Iterator for IntoIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.0.pop()
    }
}

impl<T> Drop for Stash<T> {
    fn drop(&mut self) {
        /// Goes on if a value's `Drop` panics (a second panic aborts, as in `Vec`).
        struct Rest<'a, T>(&'a mut Stash<T>);
        impl<T> Drop for Rest<'_, T> {
            fn drop(&mut self) {
                while let Some(value) = self.0.pop() {
                    drop(value);
                }
            }
        }
        let rest = Rest(self);
        while let Some(value) = rest.0.pop() {
            drop(value);
        }
        core::mem::forget(rest);
    }
}

/// The oldest values of a stash, moved out one by one (for a spill).
pub(crate) struct Drain<'a, T> {
    stash: &'a mut Stash<T>,
    /// `values[next..end]` are still to be yielded; `values[..next]` are moved out.
    next: usize,
    end: usize,
}

impl<T> Iterator for Drain<'_, T> {
    type Item = T;
    #[inline]
    fn next(&mut self) -> Option<T> {
        if self.next == self.end {
            return None;
        }
        // SAFETY: `next < end <= len`: initialized (invariant 1), and `next` moves past it, so
        // it is read once; the drop below never reads below `next`.
        let value = unsafe { self.stash.values[self.next].as_ptr().read() };
        self.next += 1;
        Some(value)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.end - self.next, Some(self.end - self.next))
    }
}

impl<T> Drop for Drain<'_, T> {
    fn drop(&mut self) {
        // Close the gap: `values[next..len]` (not yielded, and the ones above the drained
        // range) move down to the bottom.
        let keep = self.stash.len - self.next;
        let base = self.stash.values.as_mut_ptr();
        // SAFETY: both ranges are inside the array; `copy` allows overlap; the moved-out
        // `values[..next]` are overwritten, never dropped; the new `len` covers exactly the
        // moved values (invariant 1).
        unsafe { ptr::copy(base.add(self.next), base, keep) };
        self.stash.len = keep;
    }
}

#[cfg(all(test, not(any(feature = "loom", feature = "shuttle"))))]
mod tests {
    use super::*;

    #[test]
    fn push_pop_is_a_stack_and_full_hands_back() {
        let mut stash = Stash::new();
        for i in 0..CAPACITY {
            assert!(stash.push(i).is_ok());
        }
        assert!(stash.is_full());
        assert_eq!(stash.push(99), Err(99));
        assert_eq!(stash.pop(), Some(CAPACITY - 1));
        assert_eq!(stash.len(), CAPACITY - 1);
    }

    #[test]
    fn drain_oldest_moves_the_bottom_and_keeps_the_rest_in_order() {
        let mut stash = Stash::new();
        for i in 0..CAPACITY {
            stash.push(i).unwrap();
        }
        let spilled: Vec<_> = stash.drain_oldest(SPILL).collect();
        assert_eq!(spilled, (0..SPILL).collect::<Vec<_>>());
        assert_eq!(stash.len(), CAPACITY - SPILL);
        let rest: Vec<_> = stash.take().into_iter().collect();
        assert_eq!(rest, (SPILL..CAPACITY).rev().collect::<Vec<_>>());
    }

    #[test]
    fn a_partly_consumed_drain_keeps_what_it_did_not_yield() {
        let mut stash = Stash::new();
        for i in 0..6 {
            stash.push(Box::new(i)).unwrap();
        }
        {
            let mut drain = stash.drain_oldest(4);
            assert_eq!(drain.next().map(|b| *b), Some(0));
        }
        let rest: Vec<_> = stash.take().into_iter().map(|b| *b).collect();
        assert_eq!(rest, [5, 4, 3, 2, 1]);
    }

    #[test]
    fn reverse_from_puts_the_newest_refilled_value_on_top() {
        let mut stash = Stash::new();
        stash.push(0).unwrap();
        stash.extend([3, 2, 1]); // a refill hands the newest first
        stash.reverse_from(1);
        assert_eq!(stash.take().into_iter().collect::<Vec<_>>(), [3, 2, 1, 0]);
    }

    #[test]
    fn drop_drops_every_value_once() {
        let counter = std::rc::Rc::new(());
        let mut stash = Stash::new();
        for _ in 0..7 {
            stash.push(counter.clone()).unwrap();
        }
        drop(stash.drain_oldest(2).next());
        assert_eq!(std::rc::Rc::strong_count(&counter), 7);
        drop(stash);
        assert_eq!(std::rc::Rc::strong_count(&counter), 1);
    }
}
