//! The fixed-size single-producer, multi-consumer ring behind [`dequeue`](crate::dequeue) and
//! every ring of a [`chain`](crate::chain).
//!
//! # Invariants
//!
//! `head_tail` packs two 32-bit indices into one word: `head` in the high half (the next slot
//! the owner fills), `tail` in the low half (the oldest value). Indices wrap modulo 2^32 and a
//! slot is `index & mask`; the capacity is a power of two no larger than 2^30, so it divides
//! 2^32 and `head - tail` (wrapping) is always the exact number of claimed-but-not-popped
//! positions, `0 ..= capacity`.
//!
//! 1. Positions in `[tail, head)` hold initialised values. Every value there was written by the
//!    owner before the `fetch_add` that moved `head` past it.
//! 2. A position leaves `[tail, head)` only through a successful compare-and-swap on
//!    `head_tail`: `pop_head` moves `head` down, `pop_tail` moves `tail` up. Both compare the
//!    whole word, so for the last value exactly one of them wins. The winner owns the slot and
//!    is the only thread that reads it; nothing reads a slot before its claim.
//! 3. `occupied` is true from the owner's write of a slot until the value is moved out. A stealer
//!    that has claimed a slot clears it with a `Release` store when it is done reading; the
//!    owner writes a slot only after an `Acquire` load sees it clear. So a slot that a stealer
//!    claimed but has not yet read makes the ring report "full", never get overwritten.
//! 4. Only the owner changes `head` and writes slots; only the owner calls `push_head` and
//!    `pop_head` (the `unsafe` contract of those methods).
//!
//! Values in `[tail, head)` when the ring is dropped are dropped there, exactly once.

use alloc::boxed::Box;
use core::mem::MaybeUninit;
use core::ptr;

use crate::sync::{AtomicBool, AtomicU64, Ordering, UnsafeCell};

/// One position of the ring.
struct Slot<T> {
    /// Whether `value` holds a value that has not been moved out (invariant 3).
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
        // Relaxed: a snapshot that synchronizes with nothing; every value of the word satisfies
        // `head - tail <= capacity`.
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
        // Relaxed: only the owner moves `head`, so the head half is current; the tail half may
        // be stale, which is older and only makes the ring look fuller (a conservative "full").
        let (head, tail) = unpack(self.head_tail.load(Ordering::Relaxed));
        if head.wrapping_sub(tail) >= self.capacity() as u32 {
            return Err(value);
        }
        let slot = self.slot(head);
        // Acquire: pairs with the Release store in `pop_tail` that hands the slot back, so the
        // stealer's read of the old value happens before the write below.
        if slot.occupied.load(Ordering::Acquire) {
            return Err(value);
        }
        // SAFETY: the slot is outside `[tail, head)` and released (invariant 3), and only the
        // owner writes slots (invariant 4): no other thread accesses it.
        slot.value.with_mut(|p| unsafe { (*p).write(value) });
        // Relaxed: the flag is read only by the owner; the stealer that will clear it is ordered
        // after this store by the Release `fetch_add` below.
        slot.occupied.store(true, Ordering::Relaxed);
        // Release: publishes the slot write; pairs with the Acquire compare-and-swap in
        // `pop_tail` (directly or through the release sequence of later RMWs on the word).
        self.head_tail.fetch_add(ONE_HEAD, Ordering::Release);
        Ok(head.wrapping_sub(tail) + 1)
    }

    /// Removes the newest value.
    ///
    /// # Safety
    /// Only the ring's single owner calls `push_head` and `pop_head`, never concurrently.
    #[inline]
    pub(crate) unsafe fn pop_head(&self) -> Option<T> {
        // Relaxed: the word is re-validated by the compare-and-swap; the value to be read was
        // written by this thread.
        let mut word = self.head_tail.load(Ordering::Relaxed);
        let head = loop {
            let (head, tail) = unpack(word);
            if head == tail {
                return None;
            }
            let head = head.wrapping_sub(1);
            // Relaxed: the CAS only decides the race for the slot against `pop_tail`'s CAS on
            // the same word (invariant 2); the slot's contents come from this thread. A failure
            // means a stealer moved `tail`: retry with the fresh word.
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
        // thread owns it; it was written by this thread and not yet moved out (invariant 1).
        let value = slot.value.with(|p| unsafe { ptr::read(p).assume_init() });
        // Relaxed: the owner is the only reader of the flag.
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

    /// Claims the oldest position by moving `tail` past it; the slot then belongs to the
    /// caller, who must hand it back with [`take_claimed`](Self::take_claimed).
    #[inline(always)]
    fn claim_tail(&self) -> Option<u32> {
        // Relaxed: the word is re-validated by the compare-and-swap below, which acquires.
        let mut word = self.head_tail.load(Ordering::Relaxed);
        loop {
            let (head, tail) = unpack(word);
            if head == tail {
                return None;
            }
            // Acquire on success: pairs with the Release `fetch_add` in `push_head` that
            // published this position, so the slot's value is visible. Relaxed on failure: we
            // only retry with the fresh word.
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
        // slot; the owner will not write it while `occupied` is set (invariant 3).
        let value = slot.value.with(|p| unsafe { ptr::read(p).assume_init() });
        // Release: hands the slot back to the owner; pairs with the Acquire load in `push_head`.
        slot.occupied.store(false, Ordering::Release);
        value
    }

    /// The packed word, for tests that look at the raw indices.
    #[cfg(all(test, not(any(feature = "loom", feature = "shuttle"))))]
    pub(crate) fn indices(&self) -> (u32, u32) {
        unpack(self.head_tail.load(Ordering::Relaxed))
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
                    // `[tail, head)` are initialised (invariant 1) and each is dropped once.
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
        // Relaxed: `&mut self` means every other access happened before (the last `Arc` drop
        // or the epoch's free synchronizes).
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
}
