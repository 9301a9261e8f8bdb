//! The per-thread shards of one pool, and the table that finds them by thread id.
//!
//! # Invariants
//!
//! - S1. The shard at index `id` is created by, and its [`Local`] part is only ever touched by,
//!   the thread that currently holds thread id `id` ([`super::thread_id`]) once it has recorded
//!   its token in `claimed_by` (at creation, or later under the registry lock), or, while the
//!   recorded token is not the current holder's (the id is free, or its new holder has not
//!   claimed the shard), by a `release` inside [`super::thread_id::with_holders`]. Ids are
//!   unique among live threads and handed over through a mutex, and claims and stand-ins are
//!   ordered by it, so a shard has one owner at a time and the chain's single-producer rule
//!   holds.
//! - S2. Table entries go from null to a pointer once and stay until the pool drops: shards and
//!   buckets are never freed while the pool is shared, so a `&Shard` lives as long as `&Pool`.
//! - S3. Any thread may use a shard's `stealer` and read its counters.

use core::mem::MaybeUninit;
use core::ptr;

use super::stash::Stash;
use super::stats::{Event, EVENTS};
use crate::chain;
use crate::sync::{AtomicPtr, AtomicU64, Ordering, UnsafeCell};

/// How many buckets the table has: bucket `b` holds ids `2^b - 1 .. 2^(b+1) - 1`. Normal builds
/// cover every `usize`; the models keep the table small (their threads are few).
#[cfg(not(any(feature = "loom", feature = "shuttle")))]
const BUCKETS: usize = usize::BITS as usize;
#[cfg(any(feature = "loom", feature = "shuttle"))]
const BUCKETS: usize = 4;

/// A slot for one value. Unlike `Option<T>`, taking the value leaves its bytes alone (only the
/// flag changes), so a value moved in and out whole is never partly overwritten in between: for
/// multi-word values this avoids store-to-load forwarding stalls on the fast path.
pub(crate) struct PrivateSlot<T> {
    full: bool,
    value: MaybeUninit<T>,
}

impl<T> PrivateSlot<T> {
    const fn new() -> Self {
        PrivateSlot {
            full: false,
            value: MaybeUninit::uninit(),
        }
    }

    #[inline(always)]
    pub(crate) fn is_empty(&self) -> bool {
        !self.full
    }

    #[inline(always)]
    pub(crate) fn take(&mut self) -> Option<T> {
        if !self.full {
            return None;
        }
        self.full = false;
        // SAFETY: `full` said the value is initialized; clearing it first means it is read once.
        Some(unsafe { self.value.as_ptr().read() })
    }

    /// Moves the value, if any, to `dst` (a bytewise copy, shaped like the one in `fill_from`,
    /// so the loads match the stores that wrote the slot).
    ///
    /// # Safety
    /// `dst` is valid for writing a `T`, and whatever it holds is not dropped.
    #[inline(always)]
    pub(crate) unsafe fn take_into(&mut self, dst: *mut T) -> bool {
        if !self.full {
            return false;
        }
        self.full = false;
        // SAFETY: `full` said the value is initialized; clearing it first means it is moved
        // out once; `dst` is writable by the caller's contract.
        unsafe { ptr::copy_nonoverlapping(self.value.as_ptr(), dst, 1) };
        true
    }

    /// Moves the value at `src` into the empty slot.
    ///
    /// # Safety
    /// The slot is empty, and `src` is a valid `T` that the caller gives up (never drops or
    /// reads again).
    #[inline(always)]
    pub(crate) unsafe fn fill_from(&mut self, src: *const T) {
        debug_assert!(!self.full);
        // SAFETY: by the caller's contract `src` is a valid value handed over; the slot is
        // empty, so nothing is overwritten.
        unsafe { ptr::copy_nonoverlapping(src, self.value.as_mut_ptr(), 1) };
        self.full = true;
    }
}

impl<T> Drop for PrivateSlot<T> {
    fn drop(&mut self) {
        drop(self.take());
    }
}

/// What only the owning thread touches.
pub(crate) struct Local<T> {
    /// One value, reachable only by this thread: the fast path, no atomic read-modify-write.
    pub(crate) private: PrivateSlot<T>,
    /// The private value of the previous generation (the victim generation of the slot).
    pub(crate) private_old: Option<T>,
    /// Overflow of the private slot, owner-only plain memory; spills to `owner` in batches.
    /// Ages with `private` (same `generation`).
    pub(crate) stash: Stash<T>,
    /// The stash of the previous generation (victims, like `private_old`).
    pub(crate) stash_old: Stash<T>,
    /// The pool generation `private` and `stash` belong to.
    pub(crate) generation: u64,
    /// Overflow: this thread pushes and pops the head, other threads steal the tail.
    pub(crate) owner: chain::Owner<T>,
}

/// What aging a shard's owner-only part takes out of it: the values that died. Dropping it
/// runs user code (the values' `Drop`), so it is dropped outside the shard access.
pub(crate) struct Dead<T> {
    pub(crate) private: [Option<T>; 2],
    pub(crate) stashes: [Stash<T>; 2],
}

impl<T> Dead<T> {
    /// Nothing died.
    pub(crate) fn none() -> Self {
        Dead {
            private: [None, None],
            stashes: [Stash::new(), Stash::new()],
        }
    }

    /// How many values died.
    pub(crate) fn len(&self) -> usize {
        self.private.iter().flatten().count() + self.stashes.iter().map(Stash::len).sum::<usize>()
    }

    /// Moves every dead value into `out`.
    pub(crate) fn move_into(self, out: &mut Vec<T>) {
        let Dead { private, stashes } = self;
        out.extend(private.into_iter().flatten());
        for stash in stashes {
            out.extend(stash);
        }
    }
}

impl<T> Local<T> {
    /// Moves the private slot and the stash to generation `now` and returns what died on the
    /// way: a value survives exactly one generation change. Ageing to the generation they
    /// already have changes nothing (a `release` may age an exited thread's shard and then
    /// adopt it).
    #[cold]
    pub(crate) fn age(&mut self, now: u64) -> Dead<T> {
        let steps = now.wrapping_sub(self.generation);
        self.generation = now;
        match steps {
            0 => Dead::none(),
            1 => {
                let older = self.private_old.take();
                let older_stash = self.stash_old.take();
                self.private_old = self.private.take();
                self.stash_old = self.stash.take();
                Dead {
                    private: [older, None],
                    stashes: [older_stash, Stash::new()],
                }
            }
            _ => Dead {
                private: [self.private_old.take(), self.private.take()],
                stashes: [self.stash_old.take(), self.stash.take()],
            },
        }
    }

    /// [`age`](Self::age), then gives back the chain's rings beyond one small one if it is
    /// empty (a `release` moved its values to the victim generation). Runs no user code.
    #[cold]
    pub(crate) fn age_and_trim(&mut self, now: u64) -> Dead<T> {
        let dead = self.age(now);
        self.owner.trim();
        dead
    }
}

/// One thread's part of a pool. Aligned to 128 bytes so that two threads' hot fields never
/// share a cache line (adjacent-line prefetch pairs 64-byte lines).
#[repr(align(128))]
pub(crate) struct Shard<T> {
    local: UnsafeCell<Local<T>>,
    pub(crate) stealer: chain::Stealer<T>,
    /// The token of the thread that last claimed the shard (S1): written at creation
    /// (before the shard is published) and by claims under the registry lock.
    pub(crate) claimed_by: AtomicU64,
    /// Written only by the owner, with a plain load and store (no read-modify-write); read by
    /// anyone for statistics.
    counters: [AtomicU64; EVENTS],
}

impl<T> Shard<T> {
    fn new(generation: u64, token: u64) -> Self {
        let (owner, stealer) = chain::new();
        Shard {
            local: UnsafeCell::new(Local {
                private: PrivateSlot::new(),
                private_old: None,
                stash: Stash::new(),
                stash_old: Stash::new(),
                generation,
                owner,
            }),
            stealer,
            claimed_by: AtomicU64::new(token),
            counters: core::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// Runs `f` on the owner-only part.
    ///
    /// # Safety
    /// The caller is the shard's owner (S1), and `f` runs no user code (no `create`,
    /// reset, `Drop` of a `T`, epoch-deferred function of another crate), so the access cannot
    /// be re-entered. Chain operations qualify: the crate's epoch collector runs only its own
    /// deferred frees of empty rings.
    #[inline(always)]
    pub(crate) unsafe fn with_local<R>(&self, f: impl FnOnce(&mut Local<T>) -> R) -> R {
        // SAFETY: by the caller's contract this thread is the only one that touches `local`,
        // and no other access of this thread is in progress.
        self.local.with_mut(|local| f(unsafe { &mut *local }))
    }

    /// Adds one to an owner-written counter.
    ///
    /// # Safety
    /// The caller is the shard's owner (S1), the only writer of `counters`.
    #[inline(always)]
    pub(crate) unsafe fn count(&self, event: Event) {
        let counter = &self.counters[event as usize];
        // Relaxed: the owner is the only writer; readers order nothing by it (ordering.md S-count).
        counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }

    pub(crate) fn counter(&self, event: Event) -> u64 {
        // Relaxed: a statistic (ordering.md S-count).
        self.counters[event as usize].load(Ordering::Relaxed)
    }
}

/// Bucket `b` and index in it of thread id `id`.
#[inline(always)]
fn locate(id: usize) -> (usize, usize) {
    let key = id + 1; // ids < usize::MAX: there cannot be that many live threads
    let bucket = (usize::BITS - 1 - key.leading_zeros()) as usize;
    (bucket, key - (1 << bucket))
}

/// The table of a pool's shards, indexed by thread id.
pub(crate) struct Shards<T> {
    /// Bucket `b`: null, or an array of `2^b` shard pointers, each null or a `Box<Shard>`.
    buckets: [AtomicPtr<AtomicPtr<Shard<T>>>; BUCKETS],
    /// One past the largest id that has a shard; stealers scan ids below it.
    end: AtomicU64,
}

impl<T> Shards<T> {
    pub(crate) fn new() -> Self {
        Shards {
            buckets: core::array::from_fn(|_| AtomicPtr::new(ptr::null_mut())),
            end: AtomicU64::new(0),
        }
    }

    /// One past the largest id that may have a shard.
    #[inline]
    pub(crate) fn end(&self) -> usize {
        // Acquire: pairs with the Release `fetch_max` in `insert` (ordering.md S-end).
        self.end.load(Ordering::Acquire) as usize
    }

    /// The shard of thread id `id`, if it has one.
    #[inline(always)]
    pub(crate) fn get(&self, id: usize) -> Option<&Shard<T>> {
        let (bucket, index) = locate(id);
        // Acquire: pairs with the bucket CAS in `insert` (ordering.md S-get-bucket).
        let slots = self.buckets.get(bucket)?.load(Ordering::Acquire);
        if slots.is_null() {
            return None;
        }
        // SAFETY: bucket `bucket` has `2^bucket` entries and `index < 2^bucket`; buckets live
        // until the table drops (S2).
        let slot = unsafe { &*slots.add(index) };
        // Acquire: pairs with the Release shard store in `insert` (ordering.md S-get-shard).
        let shard = slot.load(Ordering::Acquire);
        // SAFETY: a non-null entry is a live `Box<Shard>` until the table drops (S2).
        (!shard.is_null()).then(|| unsafe { &*shard })
    }

    /// The calling thread's shard (it holds `id`), created on first use. `None` if the table
    /// cannot hold `id` (only under the model features, whose table is small).
    #[inline(always)]
    pub(crate) fn get_or_insert(
        &self,
        id: usize,
        token: u64,
        generation: &AtomicU64,
    ) -> Option<&Shard<T>> {
        match self.get(id) {
            Some(shard) => Some(shard),
            None => self.insert(id, token, generation),
        }
    }

    #[cold]
    fn insert(&self, id: usize, token: u64, generation: &AtomicU64) -> Option<&Shard<T>> {
        let (bucket, index) = locate(id);
        let head = self.buckets.get(bucket)?;
        // Acquire: as the bucket load in `get` (ordering.md S-insert-bucket).
        let mut slots = head.load(Ordering::Acquire);
        if slots.is_null() {
            let fresh: Box<[AtomicPtr<Shard<T>>]> = (0..1usize << bucket)
                .map(|_| AtomicPtr::new(ptr::null_mut()))
                .collect();
            let fresh = Box::into_raw(fresh).cast::<AtomicPtr<Shard<T>>>();
            // AcqRel/Acquire: publish ours or acquire the winner's (ordering.md S-insert-cas).
            match head.compare_exchange(ptr::null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => slots = fresh,
                Err(winner) => {
                    // SAFETY: `fresh` is the box built above, never shared.
                    drop(unsafe {
                        Box::from_raw(ptr::slice_from_raw_parts_mut(fresh, 1 << bucket))
                    });
                    slots = winner;
                }
            }
        }
        // Relaxed: a stale value only ages empty slots (ordering.md S-insert-generation).
        let shard = Box::into_raw(Box::new(Shard::new(
            generation.load(Ordering::Relaxed),
            token,
        )));
        // SAFETY: `index < 2^bucket` entries, bucket alive (S2).
        let slot = unsafe { &*slots.add(index) };
        // Release: pairs with the Acquire shard load in `get` (ordering.md S-insert-shard).
        slot.store(shard, Ordering::Release);
        // Release: pairs with the Acquire load in `end` (ordering.md S-insert-end).
        self.end.fetch_max(id as u64 + 1, Ordering::Release);
        // SAFETY: just stored; lives until the table drops (S2).
        Some(unsafe { &*shard })
    }

    /// Every shard, in id order (for stealing, `release` and statistics).
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Shard<T>> + '_ {
        self.iter_ids().map(|(_, shard)| shard)
    }

    /// Every shard with its id, in id order.
    pub(crate) fn iter_ids(&self) -> impl Iterator<Item = (usize, &Shard<T>)> + '_ {
        (0..self.end()).filter_map(move |id| Some((id, self.get(id)?)))
    }
}

impl<T> Drop for Shards<T> {
    fn drop(&mut self) {
        // Collect first, then drop: if a value's `Drop` panics, dropping the rest of the
        // vector continues with the other shards, so nothing leaks.
        let mut shards = Vec::new();
        let mut buckets = Vec::new();
        for (bucket, head) in self.buckets.iter().enumerate() {
            // Relaxed: `&mut self` orders every other access before this (ordering.md S-drop).
            let slots = head.load(Ordering::Relaxed);
            if slots.is_null() {
                continue;
            }
            for index in 0..1usize << bucket {
                // Relaxed: `&mut self` orders every other access before this (ordering.md S-drop).
                // SAFETY: in bounds of a live bucket.
                let shard = unsafe { &*slots.add(index) }.load(Ordering::Relaxed);
                if !shard.is_null() {
                    // SAFETY: a `Box<Shard>` from `insert`, freed only here, once.
                    shards.push(unsafe { Box::from_raw(shard) });
                }
            }
            // SAFETY: the bucket box built in `insert` with `2^bucket` entries, freed once.
            buckets
                .push(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(slots, 1 << bucket)) });
        }
        drop(buckets);
        drop(shards);
    }
}
