//! The fixed-size single-producer, multi-consumer ring behind [`dequeue`](crate::dequeue) and
//! every ring of a [`chain`](crate::chain).
//!
//! # Invariants
//!
//! Numbered R0–R8, as in `proofs-notes/invariants.md`.
//!
//! `head_tail` packs two 32-bit indices into one word: `head` in the high half (the next slot
//! the owner fills), `tail` in the low half (the oldest value). Indices wrap modulo 2^32 and a
//! slot is `index & mask`; the capacity is a power of two no larger than 2^30, so it divides
//! 2^32 and `head - tail` (wrapping) is always the exact number of claimed-but-not-popped
//! positions, `0 ..= capacity` (R0, the index arithmetic; `proofs-notes/wraparound.md`).
//!
//! - R1. Positions in `[tail, head)` hold initialised values. Every value there was written by the
//!   owner before the `fetch_add` that moved `head` past it.
//! - R2. A position leaves `[tail, head)` only through a successful compare-and-swap on
//!   `head_tail`: `pop_head` moves `head` down, `pop_tail` moves `tail` up. Both compare the
//!   whole word, so for the last value exactly one of them wins. The winner owns the slot and
//!   is the only thread that reads it; nothing reads a slot before its claim.
//! - R3. `occupied` is true from the owner's write of a slot until the value is moved out. A stealer
//!   that has claimed a slot clears it with a `Release` store when it is done reading; the
//!   owner writes a slot only after an `Acquire` load sees it clear. So a slot that a stealer
//!   claimed but has not yet read makes the ring report "full", never get overwritten.
//! - R4. Only the owner changes `head` and writes slots; only the owner calls `push_head` and
//!   `pop_head` (the `unsafe` contract of those methods).
//!
//! - R8. Values in `[tail, head)` when the ring is dropped are dropped there, exactly once.

use alloc::boxed::Box;
use core::mem::MaybeUninit;
use core::ptr;

use crate::sync::{AtomicBool, AtomicU64, Ordering, UnsafeCell};

/// One position of the ring.
struct Slot<T> {
    /// Whether `value` holds a value that has not been moved out (R3).
    occupied: AtomicBool,
    value: UnsafeCell<MaybeUninit<T>>,
}

pub(crate) struct Ring<T> {
    /// `head << 32 | tail`.
    head_tail: AtomicU64,
    slots: Box<[Slot<T>]>,
    /// `capacity - 1`; `capacity` is a power of two in `2..=2^30`.
    mask: u32,
}

/// Splits the packed word into `(head, tail)`.
#[inline(always)]
fn unpack(word: u64) -> (u32, u32) {
    ((word >> 32) as u32, word as u32)
}

/// Packs `(head, tail)`. The halves are separate `u32`s, so `tail + 1` can never carry into
/// `head` and `head`'s wrap carries out of bit 63 and is lost.
#[inline(always)]
fn pack(head: u32, tail: u32) -> u64 {
    (u64::from(head) << 32) | u64::from(tail)
}

/// Adding this to `head_tail` increments `head` and leaves `tail` alone.
const ONE_HEAD: u64 = 1 << 32;

// SAFETY: the ring moves `T`s between threads (pushed on the owner's, popped on a stealer's), so
// `T: Send` is required; shared access is mediated by the atomics as argued in the invariants.
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: as above; `&Ring` only gives access to values through claims on `head_tail`.
unsafe impl<T: Send> Sync for Ring<T> {}

impl<T> Ring<T> {
    /// A ring of `capacity` slots whose indices start at `start` (tests start near 2^32 to cross
    /// the wrap). `capacity` must already be checked by `CapacityError::check`.
    pub(crate) fn new(capacity: usize, start: u32) -> Self {
        debug_assert!(
            capacity.is_power_of_two() && (2..=crate::CapacityError::MAX).contains(&capacity)
        );
        let slots = (0..capacity)
            .map(|_| Slot {
                occupied: AtomicBool::new(false),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            })
            .collect();
        Ring {
            head_tail: AtomicU64::new(pack(start, start)),
            slots,
            mask: (capacity - 1) as u32,
        }
    }

    #[inline(always)]
    pub(crate) fn capacity(&self) -> usize {
        self.mask as usize + 1
    }

    #[inline(always)]
    fn slot(&self, index: u32) -> &Slot<T> {
        // SAFETY: `mask == slots.len() - 1` and the length is a power of two, so the masked
        // index is in bounds.
        unsafe { self.slots.get_unchecked((index & self.mask) as usize) }
    }

    /// The number of values in the ring at some instant during the call.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        // Relaxed: a snapshot; any value of the word is in bounds (ordering.md R-len).
        let (head, tail) = unpack(self.head_tail.load(Ordering::Relaxed));
        head.wrapping_sub(tail) as usize
    }

    /// Adds `value` at the head, or hands it back when the ring is full, including when the head
    /// slot was claimed by a stealer that has not finished reading it. On success, returns the
    /// number of values in the ring just after the push, as far as the owner can tell (a stale
    /// tail makes it an overestimate; the chain's shrink policy reads it as an upper bound).
    ///
    /// # Safety
    /// Only the ring's single owner calls `push_head` and `pop_head`, never concurrently.
    #[inline]
    pub(crate) unsafe fn push_head(&self, value: T) -> Result<u32, T> {
        // Relaxed: `head` is the owner's; a stale tail only reads "full" (ordering.md R-push-word).
        let (head, tail) = unpack(self.head_tail.load(Ordering::Relaxed));
        if head.wrapping_sub(tail) >= self.capacity() as u32 {
            return Err(value);
        }
        let slot = self.slot(head);
        // Acquire: pairs with the Release store in `take_claimed` (ordering.md R-push-occupied).
        if slot.occupied.load(Ordering::Acquire) {
            return Err(value);
        }
        // SAFETY: the slot is outside `[tail, head)` and released (R3), and only the
        // owner writes slots (R4): no other thread accesses it.
        slot.value.with_mut(|p| unsafe { (*p).write(value) });
        // Relaxed: owner-only; the `fetch_add` below orders it (ordering.md R-push-mark).
        slot.occupied.store(true, Ordering::Relaxed);
        // Release: pairs with the Acquire CAS in `claim_tail` (ordering.md R-push-publish).
        self.head_tail.fetch_add(ONE_HEAD, Ordering::Release);
        Ok(head.wrapping_sub(tail) + 1)
    }

    /// Removes the newest value.
    ///
    /// # Safety
    /// Only the ring's single owner calls `push_head` and `pop_head`, never concurrently.
    #[inline]
    pub(crate) unsafe fn pop_head(&self) -> Option<T> {
        // Relaxed: re-validated by the CAS below (ordering.md R-pop-word).
        let mut word = self.head_tail.load(Ordering::Relaxed);
        let head = loop {
            let (head, tail) = unpack(word);
            if head == tail {
                return None;
            }
            let head = head.wrapping_sub(1);
            // Relaxed/Relaxed: only decides the race with `claim_tail` (ordering.md R-pop-cas).
            match self.head_tail.compare_exchange(
                word,
                pack(head, tail),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => break head,
                Err(current) => word = current,
            }
        };
        let slot = self.slot(head);
        // SAFETY: the CAS moved `head` below this position, so it left `[tail, head)` and this
        // thread owns it; it was written by this thread and not yet moved out (R1).
        let value = slot.value.with(|p| unsafe { ptr::read(p).assume_init() });
        // Relaxed: the owner is the only reader of the flag (ordering.md R-pop-clear).
        slot.occupied.store(false, Ordering::Relaxed);
        Some(value)
    }

    /// Removes the oldest value; any thread may call it.
    #[inline]
    pub(crate) fn pop_tail(&self) -> Option<T> {
        let tail = self.claim_tail()?;
        // SAFETY: `claim_tail` just claimed `tail` for this thread.
        Some(unsafe { self.take_claimed(tail) })
    }

    /// Claims the newest `min(len, max)` values with one compare-and-swap on `head` and returns
    /// `(low, head)`: the positions `low..head` are now this thread's (R6). `None` when the
    /// ring is empty or `max` is 0. Owner thread only.
    #[inline]
    fn claim_head_batch(&self, max: usize) -> Option<(u32, u32)> {
        let max = max.min(self.capacity()) as u32;
        // Relaxed: re-validated by the CAS below (ordering.md B-pop-word).
        let mut word = self.head_tail.load(Ordering::Relaxed);
        loop {
            let (head, tail) = unpack(word);
            let n = head.wrapping_sub(tail).min(max);
            if n == 0 {
                return None;
            }
            let low = head.wrapping_sub(n);
            // Relaxed/Relaxed: as `pop_head`'s CAS (ordering.md B-pop-cas).
            match self.head_tail.compare_exchange(
                word,
                pack(low, tail),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some((low, head)),
                Err(current) => word = current,
            }
        }
    }

    /// Claims the oldest position by moving `tail` past it; the slot then belongs to the
    /// caller, who must hand it back with [`take_claimed`](Self::take_claimed).
    #[inline(always)]
    fn claim_tail(&self) -> Option<u32> {
        // Relaxed: re-validated by the CAS below, which acquires (ordering.md R-claim-word).
        let mut word = self.head_tail.load(Ordering::Relaxed);
        loop {
            let (head, tail) = unpack(word);
            if head == tail {
                return None;
            }
            // Acquire/Relaxed: pairs with the Release `fetch_add` (ordering.md R-claim-cas).
            match self.head_tail.compare_exchange(
                word,
                pack(head, tail.wrapping_add(1)),
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(tail),
                Err(current) => word = current,
            }
        }
    }

    /// Moves the value out of a claimed slot and hands the slot back to the owner.
    ///
    /// # Safety
    /// `tail` was returned by `claim_tail` on this ring and is taken exactly once.
    #[inline(always)]
    unsafe fn take_claimed(&self, tail: u32) -> T {
        let slot = self.slot(tail);
        // SAFETY: the claim moved `tail` past this position, so this thread alone owns the
        // slot; the owner will not write it while `occupied` is set (R3).
        let value = slot.value.with(|p| unsafe { ptr::read(p).assume_init() });
        // Release: pairs with the Acquire `occupied` load in `push_head` (ordering.md R-handback).
        slot.occupied.store(false, Ordering::Release);
        value
    }

    /// The packed word, for tests that look at the raw indices.
    #[cfg(all(test, not(any(feature = "loom", feature = "shuttle"))))]
    pub(crate) fn indices(&self) -> (u32, u32) {
        // Relaxed: a test-only snapshot of the indices (ordering.md R-indices).
        unpack(self.head_tail.load(Ordering::Relaxed))
    }
}

// Batch operations. Each moves many values with one read-modify-write of `head_tail`; the
// invariants above still hold, with these additions (proofs-notes/batch.md):
//
// - R5. The owner may mark a slot above `head` `occupied` before it holds a value (a
//   *reservation*): `push_head_batch` reserves the next slot before it asks the iterator for a
//   value. Every owner-side write checks `occupied` first, so code that runs inside the
//   iterator (user code that may reach the same owner through `&self`) can only pop below
//   `head` or refill up to the reservation, never overwrite it. Such nested calls can leave
//   `head` *lower* than where the batch started; `PushBatch::finish` then slides the batch
//   down before it publishes, so the published range is always `[tail, head)`, contiguous.
// - R6. A batch claim moves `tail` (steal) or `head` (pop) by `k` with one compare-and-swap; the
//   claimed positions then belong to the claimer exactly as one claimed position does
//   (R2), and each slot is handed back with its own `occupied` store.
// - R7. A batch steal moves values into the destination ring's slots starting at its `head`, only
//   into slots it saw free (`Acquire` load of `occupied`) before its claim, and publishes
//   them with one `fetch_add` on the destination's word. When the destination is the source
//   itself, those slots are disjoint from the claimed ones: the room was measured with a tail
//   `t0` no newer than the claimed tail `t1`: a destination position `p` is below
//   `t0 + capacity` and at or above `head`, and a claimed position `q` is in `[t1, head)`, so
//   `0 < p - q < capacity`: no two of them share a slot.

/// `n` values at the head, published with one `fetch_add`.
#[inline(always)]
fn heads(n: u32) -> u64 {
    u64::from(n) << 32
}

/// The state of one `push_head_batch`: `written` values sit in the slots from `base` on, and
/// the slot after them may be reserved. Dropping it (normally, or when the iterator panics)
/// publishes what was written: nothing pulled from the iterator is lost.
struct PushBatch<'a, T> {
    ring: &'a Ring<T>,
    base: u32,
    written: u32,
    reserved: bool,
}

impl<T> PushBatch<'_, T> {
    fn finish(&mut self) {
        let ring = self.ring;
        if self.reserved {
            self.reserved = false;
            // Relaxed: an owner-only reservation flag (R5) (ordering.md B-finish-unreserve).
            ring.slot(self.base.wrapping_add(self.written))
                .occupied
                .store(false, Ordering::Relaxed);
        }
        if self.written == 0 {
            return;
        }
        // Relaxed: only the owner (this thread) moves `head` (ordering.md B-finish-word).
        let (head, _) = unpack(ring.head_tail.load(Ordering::Relaxed));
        if head != self.base {
            ring.slide_down(self.base, head, self.written);
        }
        // Release: pairs with the stealers' Acquire claim CAS (ordering.md B-finish-publish).
        ring.head_tail
            .fetch_add(heads(self.written), Ordering::Release);
        self.written = 0;
    }
}

impl<T> Drop for PushBatch<'_, T> {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The values a `pop_head_batch` claimed, yielded newest first. Each is moved out of its slot
/// (and the slot freed) as it is yielded; the ones never yielded are dropped with the iterator,
/// each once, the lowest position last (so a nested push cannot reach a slot still to be read).
struct Claimed<'a, T> {
    ring: &'a Ring<T>,
    /// The lowest claimed position.
    low: u32,
    /// One past the newest position not yet yielded.
    next: u32,
}

impl<T> Iterator for Claimed<'_, T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        if self.next == self.low {
            return None;
        }
        self.next = self.next.wrapping_sub(1);
        let slot = self.ring.slot(self.next);
        // SAFETY: `pop_head_batch`'s compare-and-swap moved `head` below this position, so it
        // belongs to this thread (R6); it holds a value written by the owner (this
        // thread) and is read once: `next` moved past it first.
        let value = slot.value.with(|p| unsafe { ptr::read(p).assume_init() });
        // Relaxed: the owner is the only reader of the flag (ordering.md B-claimed-clear).
        slot.occupied.store(false, Ordering::Relaxed);
        Some(value)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.next.wrapping_sub(self.low) as usize;
        (n, Some(n))
    }
}

impl<T> ExactSizeIterator for Claimed<'_, T> {}

impl<T> Drop for Claimed<'_, T> {
    fn drop(&mut self) {
        /// Goes on dropping if one value's `Drop` panics (a second panic aborts, as in `Vec`).
        struct Guard<'b, 'a, T>(&'b mut Claimed<'a, T>);
        impl<T> Drop for Guard<'_, '_, T> {
            fn drop(&mut self) {
                for value in &mut *self.0 {
                    drop(value);
                }
            }
        }
        let guard = Guard(self);
        for value in &mut *guard.0 {
            drop(value);
        }
        core::mem::forget(guard);
    }
}

impl<T> Ring<T> {
    /// Pushes values from `values` at the head until the ring is full, the next slot is still
    /// held by a stealer, or the iterator ends, and publishes them all with one `fetch_add`.
    /// A value is pulled only once a slot for it is known free and reserved, so what is not
    /// pushed stays in the iterator. If `values.next()` panics, the values written so far are
    /// published (they are in the ring, not lost) and the panic continues. Returns the count.
    ///
    /// # Safety
    /// Only the ring's owner thread calls the owner methods (`push_head`, `pop_head`, the
    /// batch methods, and `steal_batch_into` with this ring as `dest`). Calls nested inside
    /// `values.next()` are allowed (R5); other concurrent owner calls are not.
    pub(crate) unsafe fn push_head_batch<I>(&self, values: &mut I) -> usize
    where
        I: Iterator<Item = T> + ?Sized,
    {
        // Relaxed: as `push_head`'s load of the word (ordering.md B-push-word).
        let (head, tail) = unpack(self.head_tail.load(Ordering::Relaxed));
        let free = (self.capacity() as u32).wrapping_sub(head.wrapping_sub(tail));
        let mut batch = PushBatch {
            ring: self,
            base: head,
            written: 0,
            reserved: false,
        };
        while batch.written < free {
            let slot = self.slot(head.wrapping_add(batch.written));
            // Acquire: pairs with `take_claimed`'s Release store (ordering.md B-push-occupied).
            if slot.occupied.load(Ordering::Acquire) {
                break;
            }
            // Relaxed: a reservation read only by this thread (R5) (ordering.md B-push-reserve).
            slot.occupied.store(true, Ordering::Relaxed);
            batch.reserved = true;
            let Some(value) = values.next() else { break };
            // SAFETY: the slot is above `head`, was seen released and is reserved, and only the
            // owner writes slots; nested owner calls skip reserved slots (R5).
            slot.value.with_mut(|p| unsafe { (*p).write(value) });
            batch.reserved = false;
            batch.written += 1;
        }
        let pushed = batch.written as usize;
        batch.finish();
        pushed
    }

    /// Moves values out of `values[0..n]` into the slots from `head` on, until the ring is full,
    /// the next slot is still held by a stealer, or `n` are moved, and publishes them with one
    /// `fetch_add`; returns how many it moved (the first ones of `values`). The chain's own moves
    /// use it (so it needs `std`): with no user code in the loop, no slot needs a reservation (R5)
    /// and the counters stay in registers.
    ///
    /// # Safety
    /// As for [`push_head_batch`](Self::push_head_batch), with no nested call possible (nothing
    /// here runs user code); `values[0..n]` are initialised, and the caller treats the first
    /// `returned` of them as moved out.
    #[cfg(feature = "std")]
    pub(crate) unsafe fn push_head_moved(&self, values: *const T, n: usize) -> usize {
        // Relaxed: as `push_head`'s load of the word (ordering.md B-push-word).
        let (head, tail) = unpack(self.head_tail.load(Ordering::Relaxed));
        let free = (self.capacity() as u32).wrapping_sub(head.wrapping_sub(tail));
        let want = free.min(n.min(self.capacity()) as u32);
        let mut moved = 0;
        while moved < want {
            let slot = self.slot(head.wrapping_add(moved));
            // Acquire: pairs with `take_claimed`'s Release store (ordering.md B-push-occupied).
            if slot.occupied.load(Ordering::Acquire) {
                break;
            }
            // SAFETY: the caller's `values[moved]` is initialised and read once; the slot is
            // above `head`, seen released, and only the owner (this thread) writes slots.
            unsafe {
                let value = ptr::read(values.add(moved as usize));
                slot.value.with_mut(|p| (*p).write(value));
            }
            // Relaxed: owner-only; the `fetch_add` below orders it (ordering.md B-steal-mark).
            slot.occupied.store(true, Ordering::Relaxed);
            moved += 1;
        }
        if moved > 0 {
            // Release: pairs with the stealers' Acquire claim CAS (ordering.md B-finish-publish).
            self.head_tail.fetch_add(heads(moved), Ordering::Release);
        }
        moved as usize
    }

    /// Pops up to `max` of the newest values with one compare-and-swap and moves them into
    /// `out[0..returned]`, newest first. The chain's own moves use it (no user code runs).
    ///
    /// # Safety
    /// As for [`push_head_moved`](Self::push_head_moved); `out` has room for `max` values.
    #[cfg(feature = "std")]
    pub(crate) unsafe fn pop_head_moved(&self, max: usize, out: *mut T) -> usize {
        let Some((low, head)) = self.claim_head_batch(max) else {
            return 0;
        };
        let n = head.wrapping_sub(low);
        for i in 0..n {
            let slot = self.slot(head.wrapping_sub(1).wrapping_sub(i));
            // SAFETY: the CAS moved `head` below this position, so it is this thread's (R6);
            // it holds a value this thread wrote, read once here into `out[i]` (`i < max`).
            unsafe {
                let value = slot.value.with(|p| ptr::read(p).assume_init());
                ptr::write(out.add(i as usize), value);
            }
            // Relaxed: the owner is the only reader of the flag (ordering.md B-claimed-clear).
            slot.occupied.store(false, Ordering::Relaxed);
        }
        n as usize
    }

    /// Moves `n` values written at `from..from + n` (unpublished) down to `to..to + n`, where
    /// `to` is below `from`: nested owner calls popped the positions `to..from` meanwhile.
    #[cold]
    fn slide_down(&self, from: u32, to: u32, n: u32) {
        let gap = from.wrapping_sub(to);
        debug_assert!(
            gap as usize <= self.capacity(),
            "nested calls only lower the head"
        );
        for i in 0..n {
            let src = self.slot(from.wrapping_add(i));
            let dst = self.slot(to.wrapping_add(i));
            // SAFETY: positions from `to` on are above `head`: only this (owner) thread touches
            // them. `src` holds an unpublished value; `dst` is either a position the nested
            // calls popped (value moved out) or one already moved down in an earlier round
            // (ascending order), so it holds nothing. `i < n` keeps both distinct (gap > 0).
            unsafe {
                let value = src.value.with(|p| ptr::read(p).assume_init());
                dst.value.with_mut(|p| (*p).write(value));
            }
            // Relaxed: owner-only flags above `head` (R5) (ordering.md B-slide-mark).
            dst.occupied.store(true, Ordering::Relaxed);
        }
        // The positions the batch no longer covers are empty again.
        for i in n.max(gap)..n.wrapping_add(gap) {
            // Relaxed: owner-only flags above `head` (R5) (ordering.md B-slide-clear).
            self.slot(to.wrapping_add(i))
                .occupied
                .store(false, Ordering::Relaxed);
        }
    }

    /// Pops up to `max` of the newest values with one compare-and-swap and hands them to `out`
    /// newest first. Values that `out` does not take (its `extend` panics or stops early) are
    /// dropped, each once. Returns the number `out` took.
    ///
    /// # Safety
    /// As for [`push_head_batch`](Self::push_head_batch); calls nested inside `out.extend` (or
    /// a value's `Drop`) are allowed: the claimed slots stay marked until they are read.
    pub(crate) unsafe fn pop_head_batch<E>(&self, max: usize, out: &mut E) -> usize
    where
        E: Extend<T> + ?Sized,
    {
        let Some((low, head)) = self.claim_head_batch(max) else {
            return 0;
        };
        let mut claimed = Claimed {
            ring: self,
            low,
            next: head,
        };
        out.extend(&mut claimed);
        let taken = head.wrapping_sub(claimed.next) as usize;
        drop(claimed);
        taken
    }

    /// Claims the oldest `min(steal_half(n), limit)` of the `n` values with one compare-and-swap
    /// on `tail` and returns the first claimed position and the count; `None` when the ring is
    /// empty or `limit` is 0.
    #[inline]
    fn claim_tail_batch(&self, limit: u32) -> Option<(u32, u32)> {
        // Relaxed: re-validated by the CAS below, which acquires (ordering.md B-claim-word).
        let mut word = self.head_tail.load(Ordering::Relaxed);
        loop {
            let (head, tail) = unpack(word);
            let n = head.wrapping_sub(tail);
            let k = (steal_half(n as usize) as u32).min(limit);
            if k == 0 {
                return None;
            }
            // Acquire/Relaxed: pairs with a push's Release `fetch_add` (ordering.md B-claim-cas).
            match self.head_tail.compare_exchange(
                word,
                pack(head, tail.wrapping_add(k)),
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some((tail, k)),
                Err(current) => word = current,
            }
        }
    }

    /// How many slots from `head` on the owner of this ring may write now, up to `want`: the
    /// index room (with a possibly stale, hence conservative, tail), cut at the first slot a
    /// stealer still holds. Returns `(head, room)`. Owner thread only.
    #[inline]
    fn room(&self, want: u32) -> (u32, u32) {
        // Relaxed: as `push_head`'s load of the word (ordering.md B-room-word).
        let (head, tail) = unpack(self.head_tail.load(Ordering::Relaxed));
        let free = (self.capacity() as u32).wrapping_sub(head.wrapping_sub(tail));
        let mut room = 0;
        while room < free.min(want) {
            // Acquire: pairs with `take_claimed`'s Release store (ordering.md B-room-occupied).
            if self
                .slot(head.wrapping_add(room))
                .occupied
                .load(Ordering::Acquire)
            {
                break;
            }
            room += 1;
        }
        (head, room)
    }

    /// `(head, room)`: how many slots from `head` on the owner could write now, up to `want`
    /// (see `room`). Owner thread only. (Used by the chain, which needs `std`.)
    #[cfg(feature = "std")]
    pub(crate) fn room_from_head(&self, want: usize) -> (u32, u32) {
        self.room(want.min(self.capacity()) as u32)
    }

    /// Steals the oldest half (rounded up, [`steal_half`]) of this ring, at most `limit` values
    /// and at most `dest`'s room, with one compare-and-swap here, and pushes them into `dest`
    /// with one `fetch_add` there, oldest lowest (so `dest`'s stealers see them in the order
    /// this ring's would have). Returns the number pushed. `dest` may be this very ring (R7).
    ///
    /// # Safety
    /// The caller is `dest`'s owner thread, as in [`push_head_batch`](Self::push_head_batch).
    pub(crate) unsafe fn steal_batch_into(&self, dest: &Ring<T>, limit: usize) -> usize {
        // SAFETY: the caller's contract.
        unsafe { self.steal_into(dest, limit, Oldest::Push).0 }
    }

    /// As [`steal_batch_into`](Self::steal_batch_into), but the oldest stolen value is returned
    /// instead of pushed (it needs no room in `dest`); `None` when this ring was empty.
    ///
    /// # Safety
    /// As [`steal_batch_into`](Self::steal_batch_into).
    pub(crate) unsafe fn steal_batch_and_pop_into(&self, dest: &Ring<T>) -> Option<T> {
        // SAFETY: the caller's contract.
        unsafe { self.steal_into(dest, usize::MAX, Oldest::Pop).1 }
    }

    /// The batch steal behind both: returns the number pushed into `dest` and, with
    /// [`Oldest::Pop`], the oldest stolen value.
    ///
    /// # Safety
    /// As [`steal_batch_into`](Self::steal_batch_into).
    pub(crate) unsafe fn steal_into(
        &self,
        dest: &Ring<T>,
        limit: usize,
        oldest: Oldest,
    ) -> (usize, Option<T>) {
        let limit = limit.min(1 << 31) as u32;
        let extra = oldest.kept() as u32;
        // Measure the room before the claim (R7), for as many as could be claimed.
        let len = self.len();
        let want = (steal_half(len) as u32).min(limit).saturating_sub(extra);
        // SAFETY: the caller's contract; the room is measured here, before the claim.
        unsafe { self.steal_into_room(dest, dest.room(want), limit as usize, oldest) }
    }

    /// As [`steal_into`](Self::steal_into), with `dest`'s `(head, room)` already measured by
    /// its owner (this thread) before the claim (R7): the chain measures it while it makes
    /// room.
    ///
    /// # Safety
    /// As [`steal_batch_into`](Self::steal_batch_into), and `room` is what `dest.room` returned
    /// on this thread with no owner call on `dest` since.
    pub(crate) unsafe fn steal_into_room(
        &self,
        dest: &Ring<T>,
        (dest_head, room): (u32, u32),
        limit: usize,
        oldest: Oldest,
    ) -> (usize, Option<T>) {
        let limit = limit.min(1 << 31) as u32;
        let extra = oldest.kept() as u32;
        let Some((tail, k)) = self.claim_tail_batch(limit.min(room + extra)) else {
            return (0, None);
        };
        let mut first = tail;
        let popped = if oldest == Oldest::Pop {
            first = tail.wrapping_add(1);
            // SAFETY: the claim covered `tail`; it is taken once, here.
            Some(unsafe { self.take_claimed(tail) })
        } else {
            None
        };
        let moved = k - extra;
        for i in 0..moved {
            // SAFETY: claimed by the compare-and-swap above (R6), each taken once.
            let value = unsafe { self.take_claimed(first.wrapping_add(i)) };
            let slot = dest.slot(dest_head.wrapping_add(i));
            // SAFETY: `i < room`: the slot is above `dest`'s head, was seen released by
            // `room`, is disjoint from the claimed slots (R7), and only `dest`'s owner
            // (this thread) writes `dest`'s slots; no user code runs in this loop.
            slot.value.with_mut(|p| unsafe { (*p).write(value) });
            // Relaxed: owner-only; the `fetch_add` below orders it (ordering.md B-steal-mark).
            slot.occupied.store(true, Ordering::Relaxed);
        }
        if moved > 0 {
            // Release: pairs with the Acquire claim CAS on `dest` (ordering.md B-steal-publish).
            dest.head_tail.fetch_add(heads(moved), Ordering::Release);
        }
        (moved as usize, popped)
    }
}

/// How many of `n` values a batch steal takes: half, rounded up, so a steal from a non-empty
/// structure takes at least one (proofs-notes/properties.md, "Batch operations"). The one
/// definition for the ring and the chain.
#[inline]
pub(crate) const fn steal_half(n: usize) -> usize {
    n - n / 2
}

/// What a batch steal does with the oldest value it claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Oldest {
    /// Pushes it into the destination with the rest (`steal_batch`).
    Push,
    /// Hands it to the caller (`steal_batch_and_pop`); it needs no room in the destination.
    Pop,
}

impl Oldest {
    /// How many of the stolen values the caller keeps instead of pushing them.
    #[inline]
    pub(crate) const fn kept(self) -> usize {
        match self {
            Oldest::Push => 0,
            Oldest::Pop => 1,
        }
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        /// The positions `next..end` still to drop. The loop runs in `drop_rest`; if a value's
        /// `Drop` panics, unwinding drops this guard, whose `Drop` goes on with the rest. So
        /// nothing leaks and nothing drops twice (a second panic aborts, as in `Vec`).
        struct Rest<'a, T> {
            ring: &'a Ring<T>,
            next: u32,
            end: u32,
        }
        impl<T> Rest<'_, T> {
            fn drop_rest(&mut self) {
                while self.next != self.end {
                    let slot = self.ring.slot(self.next);
                    // Advance first: a panic in this value's drop must not drop it again.
                    self.next = self.next.wrapping_add(1);
                    // SAFETY: `&mut Ring`: no other thread holds the ring; positions in
                    // `[tail, head)` are initialised (R1) and each is dropped once.
                    slot.value
                        .with_mut(|p| unsafe { ptr::drop_in_place((*p).as_mut_ptr()) });
                }
            }
        }
        impl<T> Drop for Rest<'_, T> {
            fn drop(&mut self) {
                self.drop_rest();
            }
        }
        // Relaxed: `&mut self`: every other access happened before (ordering.md R-drop-word).
        let (head, tail) = unpack(self.head_tail.load(Ordering::Relaxed));
        Rest {
            ring: self,
            next: tail,
            end: head,
        }
        .drop_rest();
    }
}

#[cfg(all(test, not(any(feature = "loom", feature = "shuttle"))))]
mod tests {
    use super::*;

    #[test]
    fn pack_round_trips_and_keeps_halves_apart() {
        for &(h, t) in &[
            (0, 0),
            (1, u32::MAX),
            (u32::MAX, 0),
            (0x8000_0000, 0x7fff_ffff),
        ] {
            assert_eq!(unpack(pack(h, t)), (h, t));
        }
        // head wraps without touching tail
        let w = pack(u32::MAX, 7).wrapping_add(ONE_HEAD);
        assert_eq!(unpack(w), (0, 7));
    }

    #[test]
    fn indices_wrap_modulo_2_pow_32() {
        let ring = Ring::new(4, u32::MAX - 1);
        // SAFETY: single-threaded test: this thread is the owner.
        unsafe {
            for i in 0..4 {
                ring.push_head(i).unwrap();
            }
            assert_eq!(ring.indices(), (2, u32::MAX - 1));
            assert_eq!(ring.len(), 4);
            assert_eq!(ring.push_head(9), Err(9));
            assert_eq!(ring.pop_tail(), Some(0));
            assert_eq!(ring.pop_tail(), Some(1));
            assert_eq!(ring.indices(), (2, 0));
            assert_eq!(ring.pop_head(), Some(3));
            assert_eq!(ring.pop_head(), Some(2));
            assert_eq!(ring.pop_head(), None);
        }
    }

    #[test]
    fn a_claimed_but_unread_slot_keeps_the_ring_full() {
        let ring = Ring::new(2, u32::MAX);
        // SAFETY: single-threaded test: this thread is the owner and plays the stealer.
        unsafe {
            ring.push_head(String::from("a")).unwrap();
            ring.push_head(String::from("b")).unwrap();
            let claimed = ring.claim_tail().unwrap();
            assert_eq!(ring.len(), 1, "the claim moved tail");
            // The index test says there is room, but the slot is still being read.
            assert_eq!(ring.push_head(String::from("c")), Err(String::from("c")));
            assert_eq!(ring.take_claimed(claimed), "a");
            assert_eq!(ring.push_head(String::from("c")), Ok(2));
            assert_eq!(ring.pop_tail().as_deref(), Some("b"));
            assert_eq!(ring.pop_tail().as_deref(), Some("c"));
        }
    }

    /// Counts drops in a shared counter, so tests see every value dropped exactly once.
    struct Counted<'a>(u32, &'a core::cell::Cell<u32>);
    impl Drop for Counted<'_> {
        fn drop(&mut self) {
            self.1.set(self.1.get() + 1);
        }
    }

    fn drain_tail<T>(ring: &Ring<T>) -> Vec<T> {
        core::iter::from_fn(|| ring.pop_tail()).collect()
    }

    #[test]
    fn push_head_batch_fills_the_ring_and_leaves_the_rest_in_the_iterator() {
        let ring = Ring::new(4, u32::MAX - 1);
        let mut pulled = 0;
        let mut values = (0..10).inspect(|_| pulled += 1);
        // SAFETY: single-threaded test: this thread is the owner.
        let n = unsafe { ring.push_head_batch(&mut values) };
        assert_eq!(n, 4);
        assert_eq!(
            values.next(),
            Some(4),
            "value 4 was not pulled, so not lost"
        );
        drop(values);
        assert_eq!(pulled, 5);
        assert_eq!(
            ring.indices(),
            (2, u32::MAX - 1),
            "one publish across the wrap"
        );
        // SAFETY: as above.
        assert_eq!(unsafe { ring.push_head_batch(&mut (7..9)) }, 0);
        assert_eq!(drain_tail(&ring), [0, 1, 2, 3]);
        // SAFETY: as above.
        assert_eq!(unsafe { ring.push_head_batch(&mut core::iter::empty()) }, 0);
        assert_eq!(ring.len(), 0);
    }

    #[test]
    fn push_head_batch_stops_at_a_slot_a_stealer_still_holds() {
        let ring = Ring::new(4, 0);
        // SAFETY: single-threaded test: this thread is the owner and plays the stealers.
        unsafe {
            assert_eq!(ring.push_head_batch(&mut (0..4)), 4);
            let a = ring.claim_tail().unwrap(); // position 0, held
            assert_eq!(ring.pop_tail(), Some(1)); // position 1, released
            let mut values = 10..20;
            // Position 4 shares slot 0, still held: nothing can be pushed, nothing pulled.
            assert_eq!(ring.push_head_batch(&mut values), 0);
            assert_eq!(values.clone().next(), Some(10));
            assert_eq!(ring.take_claimed(a), 0);
            assert_eq!(ring.push_head_batch(&mut values), 2);
            assert_eq!(values.next(), Some(12));
            assert_eq!(drain_tail(&ring), [2, 3, 10, 11]);
        }
    }

    #[test]
    fn push_head_batch_publishes_what_it_took_when_the_iterator_panics() {
        let drops = core::cell::Cell::new(0);
        let ring = Ring::new(8, u32::MAX - 2);
        let mut i = 0;
        let mut values = core::iter::from_fn(|| {
            i += 1;
            assert!(i <= 3, "iterator failure");
            Some(Counted(i, &drops))
        });
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            // SAFETY: single-threaded test: this thread is the owner.
            unsafe { ring.push_head_batch(&mut values) }
        }));
        assert!(result.is_err());
        assert_eq!(ring.len(), 3, "the three values taken are published");
        assert_eq!(drops.get(), 0);
        let ids: Vec<u32> = drain_tail(&ring).iter().map(|c| c.0).collect();
        assert_eq!(ids, [1, 2, 3]);
        assert_eq!(drops.get(), 3);
        // The reserved slot was released, so the ring takes values again.
        // SAFETY: as above.
        let refill = unsafe { ring.push_head_batch(&mut (0..8).map(|j| Counted(j, &drops))) };
        assert_eq!(refill, 8);
        drop(ring);
        assert_eq!(drops.get(), 11);
    }

    #[test]
    fn push_head_batch_survives_owner_calls_nested_in_the_iterator() {
        let ring = Ring::new(8, u32::MAX - 3);
        // SAFETY: single-threaded test: this thread is the owner; the nested calls run on it.
        unsafe {
            assert_eq!(ring.push_head_batch(&mut (100..103)), 3);
            let mut step = 0;
            let mut popped = Vec::new();
            let mut values = core::iter::from_fn(|| {
                step += 1;
                match step {
                    // A nested push cannot take the reserved slot: it reports "full".
                    1 => assert_eq!(ring.push_head(999), Err(999)),
                    // Nested pops lower the head below the batch's start.
                    2 => popped.extend(ring.pop_head()),
                    3 => popped.extend(ring.pop_head()),
                    _ => {}
                }
                (step <= 4).then_some(step)
            });
            assert_eq!(ring.push_head_batch(&mut values), 4);
            assert_eq!(popped, [102, 101]);
            assert_eq!(ring.len(), 5);
            assert_eq!(drain_tail(&ring), [100, 1, 2, 3, 4]);
            // The slots vacated by the slide hold nothing and are free again.
            assert_eq!(ring.push_head_batch(&mut (0..100)), 8);
        }
    }

    #[test]
    fn pop_head_batch_takes_the_newest_first_with_one_claim() {
        let ring = Ring::new(8, u32::MAX - 2);
        let mut out = Vec::new();
        // SAFETY: single-threaded test: this thread is the owner.
        unsafe {
            assert_eq!(ring.pop_head_batch(4, &mut out), 0);
            ring.push_head_batch(&mut (0..6));
            assert_eq!(ring.pop_head_batch(4, &mut out), 4);
            assert_eq!(out, [5, 4, 3, 2]);
            assert_eq!(ring.pop_head_batch(0, &mut out), 0);
            assert_eq!(ring.pop_head_batch(usize::MAX, &mut out), 2);
            assert_eq!(out, [5, 4, 3, 2, 1, 0]);
            assert_eq!(ring.indices(), (u32::MAX - 2, u32::MAX - 2));
        }
    }

    #[test]
    fn pop_head_batch_drops_what_a_panicking_extend_did_not_take() {
        struct Picky(Vec<u32>);
        impl<'a> Extend<Counted<'a>> for Picky {
            fn extend<I: IntoIterator<Item = Counted<'a>>>(&mut self, iter: I) {
                for c in iter {
                    self.0.push(c.0);
                    assert!(self.0.len() < 2, "extend failure");
                }
            }
        }
        let drops = core::cell::Cell::new(0);
        let ring = Ring::new(8, 0);
        let mut out = Picky(Vec::new());
        // SAFETY: single-threaded test: this thread is the owner.
        unsafe { ring.push_head_batch(&mut (0..6).map(|i| Counted(i, &drops))) };
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            // SAFETY: as above.
            unsafe { ring.pop_head_batch(5, &mut out) }
        }));
        assert!(result.is_err());
        assert_eq!(out.0, [5, 4]);
        assert_eq!(
            drops.get(),
            5,
            "two taken (and dropped by Picky), three claimed and dropped"
        );
        assert_eq!(ring.len(), 1);
        drop(ring);
        assert_eq!(drops.get(), 6);
    }

    #[test]
    fn steal_batch_takes_the_oldest_half_rounded_up_into_the_destination() {
        let src = Ring::new(16, u32::MAX - 4);
        let dst = Ring::new(8, u32::MAX - 1);
        // SAFETY: single-threaded test: this thread owns both rings.
        unsafe {
            assert_eq!(src.steal_batch_into(&dst, usize::MAX), 0);
            src.push_head_batch(&mut (0..7));
            assert_eq!(src.steal_batch_into(&dst, usize::MAX), 4);
            assert_eq!(src.len(), 3);
            assert_eq!(src.steal_batch_into(&dst, 1), 1);
            assert_eq!(src.steal_batch_into(&dst, 0), 0);
            assert_eq!(
                dst.pop_head(),
                Some(4),
                "the owner pops the newest stolen first"
            );
            assert_eq!(drain_tail(&dst), [0, 1, 2, 3]);
            // One value left of two: the last one still comes.
            assert_eq!(src.steal_batch_into(&dst, usize::MAX), 1);
            assert_eq!(src.steal_batch_into(&dst, usize::MAX), 1);
            assert_eq!(src.len(), 0);
            assert_eq!(drain_tail(&dst), [5, 6]);
        }
    }

    #[test]
    fn steal_batch_never_exceeds_the_destination_room() {
        let src = Ring::new(8, 0);
        let dst = Ring::new(4, 0);
        // SAFETY: single-threaded test: this thread owns both rings and plays a stealer.
        unsafe {
            src.push_head_batch(&mut (0..8));
            dst.push_head_batch(&mut (100..103));
            assert_eq!(src.steal_batch_into(&dst, usize::MAX), 1);
            assert_eq!(src.len(), 7);
            // Full destination: nothing moves, nothing is lost.
            assert_eq!(src.steal_batch_into(&dst, usize::MAX), 0);
            assert_eq!(src.len(), 7);
            // ... but `and_pop` still yields one value.
            assert_eq!(src.steal_batch_and_pop_into(&dst), Some(1));
            // A destination slot held by its own stealer is not room.
            let held = dst.claim_tail().unwrap();
            assert_eq!(dst.len(), 3);
            assert_eq!(src.steal_batch_into(&dst, usize::MAX), 0);
            assert_eq!(dst.take_claimed(held), 100);
            assert_eq!(src.steal_into(&dst, usize::MAX, Oldest::Pop), (1, Some(2)));
            assert_eq!(drain_tail(&dst), [101, 102, 0, 3]);
            assert_eq!(drain_tail(&src), [4, 5, 6, 7]);
        }
    }

    #[test]
    fn steal_batch_into_its_own_ring_loses_nothing() {
        for start in [0, u32::MAX - 2] {
            for len in 0..=8 {
                let ring = Ring::new(8, start);
                // SAFETY: single-threaded test: this thread owns the ring and steals from it.
                unsafe {
                    ring.push_head_batch(&mut (0..len));
                    let moved = ring.steal_batch_into(&ring, usize::MAX);
                    let free = 8 - len;
                    assert_eq!(
                        moved as u32,
                        (steal_half(len as usize) as u32).min(free),
                        "len {len}"
                    );
                    let mut all = drain_tail(&ring);
                    assert_eq!(all.len() as u32, len);
                    all.sort_unstable();
                    assert_eq!(all, (0..len).collect::<Vec<_>>());
                    ring.push_head_batch(&mut (0..len));
                    let (moved, popped) = ring.steal_into(&ring, usize::MAX, Oldest::Pop);
                    assert_eq!(popped, (len > 0).then_some(0));
                    let rest = drain_tail(&ring);
                    assert_eq!(rest.len() as u32 + u32::from(len > 0), len);
                    if len > 0 {
                        let k = (steal_half(len as usize) as u32).min(free + 1);
                        assert_eq!(moved as u32, k - 1);
                        // The stolen ones moved to the head, oldest lowest.
                        let expect: Vec<u32> = (k..len).chain(1..k).collect();
                        assert_eq!(rest, expect);
                    }
                }
            }
        }
    }

    #[test]
    fn batches_drop_every_value_exactly_once() {
        let drops = core::cell::Cell::new(0);
        {
            let a = Ring::new(8, u32::MAX);
            let b = Ring::new(4, u32::MAX - 1);
            // SAFETY: single-threaded test: this thread owns both rings.
            unsafe {
                a.push_head_batch(&mut (0..8).map(|i| Counted(i, &drops)));
                a.steal_batch_into(&b, usize::MAX);
                drop(a.steal_batch_and_pop_into(&b));
                let mut out = Vec::new();
                b.pop_head_batch(2, &mut out);
                assert_eq!(drops.get(), 1);
                drop(out);
                assert_eq!(drops.get(), 3);
            }
        }
        assert_eq!(drops.get(), 8);
    }
}
