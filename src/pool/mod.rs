//! A pool of reusable objects (Go's `sync.Pool`) on per-thread shards and the crate's
//! [`chain`].
//!
//! ```
//! # poolqueue::__doc_model(|| {
//! use poolqueue::{Pool, Pooled};
//!
//! let pool = Pool::new(|| Vec::<u8>::with_capacity(4096));
//! {
//!     let mut buf = pool.get(); // a guard: `&mut Vec<u8>` through `DerefMut`
//!     buf.extend_from_slice(b"hello");
//! } // dropped: cleared (`Vec`'s reset) and kept for the next `get`
//! let buf = pool.get();
//! assert!(buf.is_empty() && buf.capacity() >= 4096); // the same allocation, reset
//! let mine: Vec<u8> = Pooled::detach(buf); // keep it: it never returns
//! pool.put(mine); // or give a value back by hand
//! pool.release(); // one "collection": idle values become the victim generation
//! # });
//! ```
//!
//! # How it works
//!
//! Every thread that uses a pool gets its own shard of it, found through a small recycled
//! thread id (and a one-entry thread-local cache of the last shard used). A shard has a
//! *private* slot that only its thread touches (the fast path: a thread-local read, a few
//! loads and a plain write, no atomic read-modify-write), a *stash* of up to 32 more values,
//! also owner-only plain memory, and a [`chain`] for overflow, whose head only that thread
//! pushes and pops and whose tail any thread may steal from.
//!
//! - [`Pool::get`] tries, in order: the private slot, the stash (refilled, when empty, with up
//!   to 16 values from the own chain's head in one batch pop), the other shards' tails
//!   (stealing half of a ring in one batch: one value is returned, the rest land in the own
//!   chain), the victim generation, and finally the `create` function.
//! - [`Pool::get_local`] and [`Pool::try_get_local`] stop after the own shard (private slot,
//!   stash, own chain): they never steal and never take a victim.
//! - Returning a value (dropping the [`Pooled`] guard, or [`Pool::put`]) runs the reset hook,
//!   then the optional [`retain`](Pool::retain) filter, [`max_idle`](Pool::max_idle) bound and
//!   [`max_idle_bytes`](Pool::max_idle_bytes) budget, then stores it in the private slot, or
//!   in the stash when the slot is taken. A full stash first spills its 16 oldest values to
//!   the own chain in one batch push. A bounded pool keeps no stash, and one with a budget no
//!   private slot either: their idle values go to the chains, counted.
//! - How soon other threads find idle values: a thread hides at most 33 of them (the private
//!   slot and a full stash); everything beyond is in its chain at once. A thread that exits
//!   leaves its private slot and stash to the next thread that takes its id, and at the next
//!   `release` its stash goes to the victim generation, which every thread takes from.
//! - [`Pool::release`] plays the role of Go's garbage collection: the victim generation is
//!   dropped and the current contents become the new victim generation, so an idle value
//!   survives exactly one `release`. The chains, and the stashes of the calling thread and of
//!   exited threads, are moved into the victim at once; the private slot and stash of every
//!   other thread age by generation number and their dead values are dropped on that thread's
//!   next use of the pool, or when the pool drops.
//! - When a thread exits, its shards stay in their pools: their chains can still be stolen
//!   from, and the next thread to take the recycled id inherits them, never two threads at once.
//!
//! A value is handed to one user at a time: the guard owns it, and the pool holds only values
//! nobody holds. Every value the pool creates or receives is, in the end, handed out again,
//! detached, or dropped exactly once (by a rejection, an eviction, a `release`, or the pool's
//! own drop), also when a reset hook or a `Drop` panics.
//!
//! Go's ten classic `sync.Pool` misuses, and why each is impossible or harmless here, are in
//! [`pitfalls`] (with `compile_fail` proofs); when not to use a pool at all, too.

use core::fmt;
use core::mem::{ManuallyDrop, MaybeUninit};
use core::ptr;

use crate::chain;
use crate::sync::{AtomicU64, Mutex, Ordering};

mod guard;
pub mod pitfalls;
mod reset;
mod shards;
mod stash;
mod stats;
mod thread_id;

pub use guard::{OwnedPooled, Pooled};
pub use reset::Reset;
pub use stats::PoolStats;

use reset::ResetHook;
use shards::{Local, Shard, Shards};
use stats::{Event, EVENTS, EVENT_ORDER};

type CreateFn<T> = Box<dyn Fn() -> T + Send + Sync>;
type RetainFn<T> = Box<dyn Fn(&T) -> bool + Send + Sync>;
type WeighFn<T> = Box<dyn Fn(&T) -> usize + Send + Sync>;

/// The byte budget of [`Pool::max_idle_bytes`]: the summed weight of the idle values.
struct Budget<T> {
    max: u64,
    weigh: WeighFn<T>,
    /// The weight of the idle values: reserved before a value is pushed, given back after it
    /// is popped, so it never undercounts.
    used: AtomicU64,
}

/// A pool of reusable values of type `T`; see the [module documentation](self).
///
/// `Pool<T>` is `Send + Sync` when `T: Send`. Share it by reference (scoped threads, a
/// `static`) or in an `Arc` (then [`get_owned`](Pool::get_owned) gives `'static` guards).
pub struct Pool<T> {
    /// This pool's process-unique id, the key of the thread's cached shard.
    id: u64,
    shards: Shards<T>,
    /// Bumped by `release`; private slots compare it with their own to age.
    generation: AtomicU64,
    /// The victim generation. Only `release` pushes, under this mutex (one producer at a
    /// time); `get` steals through `victim_stealer`.
    victim: Mutex<chain::Owner<T>>,
    victim_stealer: chain::Stealer<T>,
    create: CreateFn<T>,
    reset: ResetHook<T>,
    retain: Option<RetainFn<T>>,
    /// Bound on values in the shards' chains; `usize::MAX` when unbounded (then `idle` is not
    /// maintained).
    max_idle: usize,
    idle: AtomicU64,
    /// The byte budget, if any. A pool with one keeps every idle value in a chain (no private
    /// slot, no stash), where each push and pop is weighed.
    budget: Option<Budget<T>>,
    /// `retain` or a budget is set: a returned value takes the checked path.
    checked: bool,
    counting: bool,
    /// Events on threads without a shard, and the drops of `release`.
    counters: [AtomicU64; EVENTS],
}

// SAFETY: the pool moves `T`s between threads (hence `T: Send`). Its shards' owner-only parts
// are touched by one thread at a time (see `shards`, S1); everything else is atomics,
// a mutex, the chains (which are `Send + Sync` for `T: Send`) and `Send + Sync` closures.
unsafe impl<T: Send> Send for Pool<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Pool<T> {}

impl<T: Send + Reset> Pool<T> {
    /// A pool that makes values with `create` and cleans them with [`Reset::reset`].
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let pool = poolqueue::Pool::new(|| String::with_capacity(64));
    /// pool.get().push_str("scratch");
    /// assert_eq!(*pool.get(), "");
    /// # });
    /// ```
    pub fn new(create: impl Fn() -> T + Send + Sync + 'static) -> Self {
        let mut pool = Self::with_reset(create, |_| {});
        pool.reset = ResetHook::Trait(T::reset);
        pool
    }
}

impl<T: Send> Pool<T> {
    /// A pool that makes values with `create` and runs `reset` on each value that comes back,
    /// before anyone can get it again.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let pool = poolqueue::Pool::with_reset(|| [0_u8; 64], |block| block.fill(0));
    /// pool.get()[0] = 7;
    /// assert_eq!(pool.get()[0], 0);
    /// # });
    /// ```
    pub fn with_reset(
        create: impl Fn() -> T + Send + Sync + 'static,
        reset: impl Fn(&mut T) + Send + Sync + 'static,
    ) -> Self {
        let (victim, victim_stealer) = chain::new();
        Pool {
            id: thread_id::next_pool_id(),
            shards: Shards::new(),
            generation: AtomicU64::new(0),
            victim: Mutex::new(victim),
            victim_stealer,
            create: Box::new(create),
            reset: ResetHook::Custom(Box::new(reset)),
            retain: None,
            max_idle: usize::MAX,
            idle: AtomicU64::new(0),
            budget: None,
            checked: false,
            counting: false,
            counters: core::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// Keeps only the returned values for which `keep` (run after the reset) says `true`; the
    /// others are dropped. Typical use: drop buffers that grew too large.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let pool = poolqueue::Pool::new(|| Vec::<u8>::with_capacity(16))
    ///     .retain(|v| v.capacity() <= 1024)
    ///     .with_counters();
    /// pool.get().resize(4096, 0); // grew: dropped on return
    /// assert_eq!(pool.get().capacity(), 16);
    /// assert_eq!(pool.stats().unwrap().rejected, 1);
    /// # });
    /// ```
    pub fn retain(mut self, keep: impl Fn(&T) -> bool + Send + Sync + 'static) -> Self {
        self.retain = Some(Box::new(keep));
        self.checked = true;
        self
    }

    /// Bounds the values kept in the shards' chains to `max`: a value returned beyond it is
    /// dropped (its `Drop` is the eviction hook). On top of the bound, each thread keeps at
    /// most one value in its private slot and one of the victim generation, and the victim
    /// generation holds what the last `release` found. A bounded pool keeps no stash (every
    /// value past the private slot goes to the chain, counted) and pays one atomic add per
    /// chain push and pop; the private fast path is unaffected.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let pool = poolqueue::Pool::new(Vec::<u8>::new).max_idle(2).with_counters();
    /// let held: Vec<_> = (0..5).map(|_| pool.get()).collect();
    /// drop(held); // one to the private slot, two to the chain, two evicted
    /// assert_eq!(pool.stats().unwrap().evicted, 2);
    /// # });
    /// ```
    pub fn max_idle(mut self, max: usize) -> Self {
        self.max_idle = max;
        self
    }

    /// Bounds the summed weight of the idle values to `budget`, as measured by `weigh` (say,
    /// a buffer's capacity in bytes). Every idle value counts: those in the chains and the
    /// victim generation, and (none are kept there) the private slots and stashes. A returned
    /// value whose weight does not fit in what is left of the budget is dropped and counted as
    /// evicted; its `Drop` is the eviction hook. A value heavier than the whole budget is never
    /// kept, so one huge buffer cannot stay pinned by the pool.
    ///
    /// `weigh` runs once when a value is returned (after the reset and `retain`) and once when
    /// it leaves the idle set (taken by a get, or dropped by a `release`), and must give the
    /// same weight both times: an idle value is not changed, so a function of the value alone
    /// (its capacity) does. It must not panic; if it does, the pool's count only overstates
    /// the weight (the budget still holds).
    ///
    /// The cost: a pool with a budget keeps no private slot and no stash (every idle value is
    /// in a chain, weighed), so its gets and puts take a chain pop and push, two calls of
    /// `weigh` and an atomic compare-and-swap each. A pool without a budget pays nothing: its
    /// fast path is the same. The budget applies on top of [`max_idle`](Self::max_idle).
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let pool = poolqueue::Pool::new(Vec::<u8>::new)
    ///     .max_idle_bytes(1 << 20, |v: &Vec<u8>| v.capacity())
    ///     .with_counters();
    /// pool.put(Vec::with_capacity(4 << 20)); // heavier than the whole budget: dropped
    /// assert_eq!(pool.stats().unwrap().evicted, 1);
    /// pool.put(Vec::with_capacity(1000)); // fits
    /// assert_eq!(pool.get().capacity(), 1000);
    /// # });
    /// ```
    pub fn max_idle_bytes(
        mut self,
        budget: usize,
        weigh: impl Fn(&T) -> usize + Send + Sync + 'static,
    ) -> Self {
        self.budget = Some(Budget {
            max: budget as u64,
            weigh: Box::new(weigh),
            used: AtomicU64::new(0),
        });
        self.checked = true;
        self
    }

    /// Turns on the counters read by [`stats`](Self::stats). The owner thread of a shard bumps
    /// its counters with a plain load and store, so they cost about a nanosecond per operation.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let pool = poolqueue::Pool::new(String::new).with_counters();
    /// drop(pool.get());
    /// drop(pool.get());
    /// let stats = pool.stats().unwrap();
    /// assert_eq!((stats.gets(), stats.creates, stats.private_hits), (2, 1, 1));
    /// # });
    /// ```
    pub fn with_counters(mut self) -> Self {
        self.counting = true;
        self
    }

    /// Takes an idle value, or creates one, behind a guard that returns it on drop.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let pool = poolqueue::Pool::new(Vec::<u32>::new);
    /// let mut v = pool.get();
    /// v.push(1);
    /// assert_eq!(v.len(), 1);
    /// # });
    /// ```
    #[inline]
    pub fn get(&self) -> Pooled<'_, T> {
        let mut value = MaybeUninit::uninit();
        if !self.take_private_into(value.as_mut_ptr()) {
            value.write(self.take_or_create());
        }
        Pooled { pool: self, value }
    }

    /// Takes an idle value if there is one, without creating (Go's `Get` on a pool without
    /// `New`): the private slot, the own chain, stealing, then the victim generation.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let pool = poolqueue::Pool::new(Vec::<u8>::new);
    /// assert!(pool.try_get().is_none());
    /// pool.put(Vec::with_capacity(10));
    /// assert_eq!(pool.try_get().unwrap().capacity(), 10);
    /// # });
    /// ```
    #[inline]
    pub fn try_get(&self) -> Option<Pooled<'_, T>> {
        let mut value = MaybeUninit::uninit();
        if !self.take_private_into(value.as_mut_ptr()) {
            value.write(self.take()?);
        }
        Some(Pooled { pool: self, value })
    }

    /// Like [`get`](Self::get), but takes only from the calling thread's own shard: its
    /// private slot, its stash and its own chain. It never steals from another thread's chain
    /// and never takes a value of the victim generation (not even the calling thread's own):
    /// when the own shard has nothing idle, it creates. What the own shard holds is what this
    /// thread returned, what its own `get`s' batch steals moved there, and what a thread that
    /// exited left in it (the shard goes with the recycled thread id); so buffers stay with the
    /// thread (and core, and NUMA node) that used them last, instead of crossing caches. The
    /// counters see it as a get: a private or shared hit, or a create (never a steal or victim
    /// hit), so the [`PoolStats`] identity holds as it is.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let pool = poolqueue::Pool::new(|| Vec::<u8>::with_capacity(8)).with_counters();
    /// pool.put(Vec::with_capacity(100));
    /// assert_eq!(pool.get_local().capacity(), 100); // this thread's own value
    /// pool.release(); // now a victim: `get_local` leaves it alone
    /// assert_eq!(pool.get_local().capacity(), 8);
    /// let stats = pool.stats().unwrap();
    /// assert_eq!((stats.creates, stats.victim_hits, stats.steal_hits), (1, 0, 0));
    /// # });
    /// ```
    #[inline]
    pub fn get_local(&self) -> Pooled<'_, T> {
        let mut value = MaybeUninit::uninit();
        if !self.take_private_into(value.as_mut_ptr()) {
            let shard = self.local_shard();
            match self.take_slow(shard, Reach::Own) {
                Some(taken) => value.write(taken),
                None => value.write(self.create_value(shard)),
            };
        }
        Pooled { pool: self, value }
    }

    /// Like [`try_get`](Self::try_get), but takes only from the calling thread's own shard,
    /// as [`get_local`](Self::get_local) does: `None` when it has nothing idle, even if other
    /// threads or the victim generation have.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let pool = poolqueue::Pool::new(Vec::<u8>::new);
    /// assert!(pool.try_get_local().is_none());
    /// pool.put(Vec::with_capacity(10));
    /// assert_eq!(pool.try_get_local().unwrap().capacity(), 10);
    /// pool.put(Vec::new());
    /// pool.release(); // a victim now: only `try_get` takes it
    /// assert!(pool.try_get_local().is_none());
    /// assert!(pool.try_get().is_some());
    /// # });
    /// ```
    #[inline]
    pub fn try_get_local(&self) -> Option<Pooled<'_, T>> {
        let mut value = MaybeUninit::uninit();
        if !self.take_private_into(value.as_mut_ptr()) {
            value.write(self.take_slow(self.local_shard(), Reach::Own)?);
        }
        Some(Pooled { pool: self, value })
    }

    /// Like [`get`](Self::get), with a guard that owns an `Arc` of the pool instead of
    /// borrowing it: it can be moved into a spawned thread or stored in a struct without a
    /// lifetime. It costs an `Arc` clone and drop per use.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// use std::sync::Arc;
    /// let pool = Arc::new(poolqueue::Pool::new(String::new));
    /// let mut s = pool.get_owned();
    /// s.push_str("moved");
    /// let owned: String = poolqueue::OwnedPooled::detach(s);
    /// assert_eq!(owned, "moved");
    /// # });
    /// ```
    pub fn get_owned(self: &std::sync::Arc<Self>) -> OwnedPooled<T> {
        OwnedPooled {
            value: ManuallyDrop::new(self.take_or_create()),
            pool: self.clone(),
        }
    }

    /// Gives `value` to the pool: it is reset, filtered by [`retain`](Self::retain) and the
    /// [`max_idle`](Self::max_idle) bound, and kept for a later [`get`](Self::get).
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let pool = poolqueue::Pool::new(|| Vec::<u8>::with_capacity(8));
    /// pool.put(Vec::with_capacity(1000));
    /// assert_eq!(pool.get().capacity(), 1000);
    /// # });
    /// ```
    #[inline]
    pub fn put(&self, value: T) {
        self.give_back(value);
    }

    /// One "collection", like a Go garbage-collection cycle: the values of the victim
    /// generation are dropped and the idle values become the new victim generation. `get`
    /// takes victims only when nothing else is idle, so an idle value survives exactly one
    /// `release`. Values returned concurrently with a `release` may land on either side of it.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let pool = poolqueue::Pool::new(|| Vec::<u8>::with_capacity(8));
    /// pool.put(Vec::with_capacity(100));
    /// pool.release(); // survives one release, as a victim
    /// assert_eq!(pool.get().capacity(), 100);
    /// pool.release();
    /// pool.release(); // ... but not two
    /// assert_eq!(pool.get().capacity(), 8);
    /// # });
    /// ```
    pub fn release(&self) {
        let mut dead = Vec::new();
        // How many of `dead` come from the victim chain (its first ones): weighed values.
        let weighed;
        let now;
        {
            // No user code runs while this lock is held: chain operations run none (the
            // crate's epoch collector frees only empty rings), and the values that die are
            // dropped after the lock is released.
            let victim = self.victim.lock().unwrap_or_else(|p| p.into_inner());
            // Only this thread pushes to the victim (under the lock), so the drain ends.
            while let Some(value) = self.victim_stealer.pop_tail() {
                dead.push(value);
            }
            weighed = dead.len();
            // Empty now: give back the rings a burst of victims grew.
            victim.trim();
            // Relaxed: a number, not a publication (ordering.md P-generation-bump).
            now = self
                .generation
                .fetch_add(1, Ordering::Relaxed)
                .wrapping_add(1);
            for shard in self.shards.iter() {
                // Bounded by the length seen now, so an owner pushing meanwhile cannot keep
                // `release` running; what it pushes stays in the new generation.
                for _ in 0..shard.stealer.len() {
                    match shard.stealer.pop_tail() {
                        Some(value) => {
                            self.idle_sub();
                            victim.push_head(value);
                        }
                        None => break,
                    }
                }
            }
            // The shards of exited threads (and those inherited with an id but not yet
            // claimed) have no owner to age them on its next use: age them now, standing in
            // for their owners. Their stashes' survivors go to the victim chain, where every
            // thread can take them (no owner would).
            thread_id::with_holders(|holder| {
                for (id, shard) in self.shards.iter_ids() {
                    // Relaxed: claims are written under this lock (ordering.md P-claim-read).
                    if shard.claimed_by.load(Ordering::Relaxed) == holder(id) {
                        continue; // a live owner ages it on its next use
                    }
                    // SAFETY: the shard's recorded token is not its id's holder's, so no
                    // thread may touch it until a claim, which waits for this lock (shards,
                    // S1); aging and chain pushes run no user code (the dead values
                    // are returned).
                    let aged = unsafe {
                        shard.with_local(|local| Self::age_into_victim(local, now, &victim))
                    };
                    aged.move_into(&mut dead);
                }
            });
            // The calling thread ages its own shard now rather than on its next use.
            if let Some(shard) = self.local_shard() {
                // `now` is this thread's own increment: the newest generation it can see,
                // unless a concurrent `release` added more, which `age` handles like any gap.
                // SAFETY: the caller holds the shard's id; no user code, as above.
                let aged =
                    unsafe { shard.with_local(|local| Self::age_into_victim(local, now, &victim)) };
                aged.move_into(&mut dead);
            }
        }
        if self.counting {
            // Relaxed: a statistic (ordering.md P-stat).
            self.counters[Event::Released as usize].fetch_add(dead.len() as u64, Ordering::Relaxed);
        }
        // Outside the lock (`weigh` and a `Drop` may use the pool again). Only the victim
        // chain's values were weighed: a pool with a budget keeps no private slot or stash.
        for value in &dead[..weighed] {
            self.unweigh(value);
        }
        drop(dead);
    }

    /// Ages `local` to generation `now` (for `release`, which holds the victim lock and stands
    /// in for the shard's owner) and moves the stash's survivors, now victims, to the victim
    /// chain: they die at the next `release` there, as they would have in the stash. Runs no
    /// user code; returns the values that died.
    fn age_into_victim(
        local: &mut Local<T>,
        now: u64,
        victim: &chain::Owner<T>,
    ) -> shards::Dead<T> {
        if local.generation == now {
            return shards::Dead::none(); // aged already (the caller's own shard, unclaimed)
        }
        let dead = local.age_and_trim(now);
        batch::push_all(victim, &mut local.stash_old.drain_oldest(stash::CAPACITY));
        dead
    }

    /// The counters, if [`with_counters`](Self::with_counters) turned them on. Each figure is
    /// exact once the threads that used the pool are synchronized with the caller (joined).
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let pool = poolqueue::Pool::new(String::new);
    /// assert!(pool.stats().is_none());
    /// # });
    /// ```
    pub fn stats(&self) -> Option<PoolStats> {
        if !self.counting {
            return None;
        }
        let mut sum = [0_u64; EVENTS];
        for (i, total) in sum.iter_mut().enumerate() {
            // Relaxed: a statistic (ordering.md P-stat).
            *total = self.counters[i].load(Ordering::Relaxed);
        }
        for shard in self.shards.iter() {
            for (i, total) in sum.iter_mut().enumerate() {
                *total += shard.counter(EVENT_ORDER[i]);
            }
        }
        Some(PoolStats::from_counts(|event| sum[event as usize]))
    }

    /// The calling thread's shard, created on first use; `None` while the thread's
    /// thread-local storage is torn down.
    #[inline(always)]
    fn local_shard(&self) -> Option<&Shard<T>> {
        match thread_id::last_shard(self.id) {
            // SAFETY: cached by this thread for this pool (ids are unique), from this pool's
            // table, while it held its current id: a live shard of this thread's until the
            // pool drops (`thread_id::last_shard`).
            Some(shard) => Some(unsafe { &*shard.cast::<Shard<T>>() }),
            None => self.local_shard_slow(),
        }
    }

    /// The id lookup behind [`local_shard`](Self::local_shard), on a miss of the thread's cached
    /// shard (first use, or another pool used since).
    #[cold]
    #[inline(never)]
    fn local_shard_slow(&self) -> Option<&Shard<T>> {
        let id = thread_id::current()?;
        let token = thread_id::current_token()?;
        let shard = self.shards.get_or_insert(id, token, &self.generation)?;
        // Relaxed: equal only if this thread wrote it (ordering.md P-claim-check).
        if shard.claimed_by.load(Ordering::Relaxed) != token {
            // Inherited with the id: claim it, ordered after any `release` standing in for the
            // previous owner (shards, S1).
            // Relaxed: ordered by the registry lock (ordering.md P-claim-store).
            thread_id::claim(|| shard.claimed_by.store(token, Ordering::Relaxed));
        }
        thread_id::set_last_shard(self.id, (shard as *const Shard<T>).cast());
        Some(shard)
    }

    #[inline(always)]
    fn count(&self, shard: Option<&Shard<T>>, event: Event) {
        if !self.counting {
            return;
        }
        match shard {
            // SAFETY: every `Some(shard)` passed here is the calling thread's own.
            Some(shard) => unsafe { shard.count(event) },
            None => {
                // Relaxed: a statistic (ordering.md P-stat).
                self.counters[event as usize].fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    #[inline(always)]
    fn idle_sub(&self) {
        if self.max_idle != usize::MAX {
            // Relaxed: `idle` only bounds a count; it publishes nothing (ordering.md P-idle).
            self.idle.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// The fast path of `get`: moves the private value, or else the stash's newest, if any, to
    /// `dst`.
    #[inline(always)]
    fn take_private_into(&self, dst: *mut T) -> bool {
        let Some(shard) = self.local_shard() else {
            return false;
        };
        // Relaxed: a number, not a publication (ordering.md P-generation-read).
        let now = self.generation.load(Ordering::Relaxed);
        // SAFETY: our own shard; a bytewise move runs no user code; `dst` is the caller's
        // uninitialized, writable slot (written at most once: the stash is tried only when the
        // private slot moved nothing).
        let hit = unsafe {
            shard.with_local(|local| {
                if local.generation != now {
                    Hit::None // the slow path ages the shard first
                } else if local.private.take_into(dst) {
                    Hit::Private
                } else if local.stash.pop_into(dst) {
                    Hit::Stash
                } else {
                    Hit::None
                }
            })
        };
        match hit {
            Hit::None => return false,
            Hit::Private => self.count(Some(shard), Event::PrivateHit),
            Hit::Stash => self.count(Some(shard), Event::SharedHit),
        }
        true
    }

    /// An idle value, or a new one.
    #[inline(always)]
    fn take_or_create(&self) -> T {
        let shard = self.local_shard();
        match self.take_slow(shard, Reach::Any) {
            Some(value) => value,
            None => self.create_value(shard),
        }
    }

    /// An idle value, if the pool has one.
    #[inline(always)]
    fn take(&self) -> Option<T> {
        self.take_slow(self.local_shard(), Reach::Any)
    }

    /// A new value from the pool's `create` (user code: the crate holds nothing here).
    #[cold]
    fn create_value(&self, shard: Option<&Shard<T>>) -> T {
        self.count(shard, Event::Create);
        (self.create)()
    }

    /// An idle value from where `reach` allows, if there is one.
    #[cold]
    fn take_slow(&self, shard: Option<&Shard<T>>, reach: Reach) -> Option<T> {
        let mut own_id = 0;
        if let Some(shard) = shard {
            self.age_local(shard);
            let bounded = !self.keeps_stash();
            // SAFETY: our own shard; stash moves and chain pops run no user code.
            let (value, from_chain) = unsafe {
                shard.with_local(|local| {
                    if let Some(value) = local.private.take() {
                        return (Some((value, Event::PrivateHit)), false);
                    }
                    if let Some(value) = local.stash.pop() {
                        return (Some((value, Event::SharedHit)), false);
                    }
                    if bounded {
                        // A bounded pool keeps no stash (every idle value is counted).
                        let value = local.owner.pop_head();
                        return (value.map(|v| (v, Event::SharedHit)), true);
                    }
                    // Refill: one batch pop for up to `REFILL` gets.
                    batch::refill(&local.owner, &mut local.stash);
                    (local.stash.pop().map(|v| (v, Event::SharedHit)), false)
                })
            };
            if let Some((value, event)) = value {
                if from_chain {
                    self.idle_sub();
                    self.unweigh(&value);
                }
                self.count(Some(shard), event);
                return Some(value);
            }
            own_id = thread_id::current().unwrap_or(0);
        }
        if reach == Reach::Own {
            return None;
        }
        // Steal: every other shard's tail, starting after our own (spreads the thieves).
        let end = self.shards.end();
        for step in 1..=end {
            let id = (own_id + step) % end;
            let Some(victim) = self.shards.get(id) else {
                continue;
            };
            if shard.is_some_and(|own| core::ptr::eq(own, victim)) {
                continue;
            }
            let stolen = match shard {
                // Half of the victim's oldest ring in one claim: the rest lands in our chain,
                // for the next gets (and for other thieves).
                // SAFETY: our own shard; a batch steal runs no user code.
                Some(own) => unsafe {
                    own.with_local(|local| batch::steal(&victim.stealer, &local.owner))
                },
                None => victim.stealer.pop_tail(),
            };
            if let Some(value) = stolen {
                // Only the returned value leaves the chains; the moved ones stay counted.
                self.idle_sub();
                self.unweigh(&value);
                self.count(shard, Event::StealHit);
                return Some(value);
            }
        }
        // The victim generation, last, so that it ages out if it can.
        if let Some(shard) = shard {
            // SAFETY: our own shard; no user code.
            let old = unsafe {
                shard.with_local(|local| local.private_old.take().or_else(|| local.stash_old.pop()))
            };
            if let Some(value) = old {
                self.count(Some(shard), Event::VictimHit);
                return Some(value);
            }
        }
        if let Some(value) = self.victim_stealer.pop_tail() {
            self.count(shard, Event::VictimHit);
            // The victim chain's values came from the shards' chains, weighed.
            self.unweigh(&value);
            return Some(value);
        }
        None
    }

    /// Whether returned values may go to the stash: only without a bound on idle values (a
    /// bounded pool counts every value past the private slot, in the chain).
    #[inline(always)]
    fn keeps_stash(&self) -> bool {
        self.max_idle == usize::MAX && self.budget.is_none()
    }

    /// Gives `value`'s weight back to the budget, if there is one: it leaves the idle set.
    #[inline(always)]
    fn unweigh(&self, value: &T) {
        if let Some(budget) = &self.budget {
            let weight = (budget.weigh)(value) as u64;
            // Relaxed: `used` only bounds a sum; it publishes nothing (ordering.md P-budget).
            budget.used.fetch_sub(weight, Ordering::Relaxed);
        }
    }

    /// Reserves `weight` of the budget for a value about to become idle; `false` if it does
    /// not fit (then nothing is reserved).
    fn reserve(budget: &Budget<T>, weight: u64) -> bool {
        // Relaxed: `used` only bounds a sum; it publishes nothing (ordering.md P-budget).
        let mut used = budget.used.load(Ordering::Relaxed);
        loop {
            let Some(next) = used.checked_add(weight).filter(|&next| next <= budget.max) else {
                return false;
            };
            // A compare-and-swap, so the sum never passes the budget, not even for an instant.
            // Relaxed: as above (ordering.md P-budget).
            match budget.used.compare_exchange_weak(
                used,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(now) => used = now,
            }
        }
    }

    /// Ages the own private slots, and gives back the chain's idle rings, if a `release`
    /// happened since they were last touched.
    #[inline]
    fn age_local(&self, shard: &Shard<T>) {
        // Relaxed: a number, not a publication (ordering.md P-generation-read).
        let now = self.generation.load(Ordering::Relaxed);
        // SAFETY: our own shard; a comparison runs no user code.
        if unsafe { shard.with_local(|local| local.generation == now) } {
            return;
        }
        self.age_local_slow(shard, now);
    }

    #[cold]
    fn age_local_slow(&self, shard: &Shard<T>, now: u64) {
        // SAFETY: our own shard; `age_and_trim` runs no user code (it returns the dead values).
        let dead = unsafe { shard.with_local(|local| local.age_and_trim(now)) };
        if self.counting {
            for _ in 0..dead.len() {
                self.count(Some(shard), Event::Released);
            }
        }
        drop(dead); // user `Drop`s run outside the shard access
    }

    /// Resets `value` and keeps it, or drops it.
    #[inline]
    fn give_back(&self, value: T) {
        let mut value = ManuallyDrop::new(value);
        // SAFETY: `value` is a valid `T`, never used or dropped here again.
        unsafe { self.give_back_from(&mut *value) }
    }

    /// Resets the value at `value` and keeps it, or drops it. The fast path moves it straight
    /// from the caller's memory (a guard) into the private slot.
    ///
    /// # Safety
    /// `value` points to a valid `T` that the caller gives up: it never reads or drops it again.
    #[inline(always)]
    unsafe fn give_back_from(&self, value: *mut T) {
        /// Discards the value if a user hook unwinds, so it is dropped exactly once, and
        /// counted.
        struct DropOnUnwind<'a, T: Send>(&'a Pool<T>, *mut T);
        impl<T: Send> Drop for DropOnUnwind<'_, T> {
            fn drop(&mut self) {
                // SAFETY: only reached by unwinding out of a hook, before the value was moved.
                unsafe { self.0.discard(self.1) }
            }
        }
        let unwind = DropOnUnwind(self, value);
        // User code first, while no part of the pool is borrowed: it may panic (then the value
        // is dropped) or use the pool itself.
        // SAFETY: the caller hands over a valid value; no other reference to it exists.
        let value_ref = unsafe { &mut *value };
        self.reset.run(value_ref);
        let shard = self.local_shard();
        if self.checked {
            // `retain` and `weigh` are user code too: `unwind` is still armed.
            let Some(weight) = self.check(value_ref) else {
                core::mem::forget(unwind);
                self.count(shard, Event::Rejected);
                // SAFETY: the value is ours and dropped once, here.
                unsafe { ptr::drop_in_place(value) };
                return;
            };
            if self.budget.is_some() {
                core::mem::forget(unwind);
                // SAFETY: the value is ours, moved out once, here.
                return self.give_back_weighed(shard, unsafe { ptr::read(value) }, weight);
            }
        }
        core::mem::forget(unwind);
        let Some(shard) = shard else {
            // This thread's thread-local storage is gone, so it owns no shard to push to.
            self.count(None, Event::Evicted);
            // SAFETY: the value is ours and dropped once, here.
            unsafe { ptr::drop_in_place(value) };
            return;
        };
        // Relaxed: a number, not a publication (ordering.md P-generation-read).
        let now = self.generation.load(Ordering::Relaxed);
        // A bounded pool keeps no stash (every idle value past the private slot is counted);
        // a pool with a budget does not come here.
        let unbounded = self.max_idle == usize::MAX;
        // SAFETY: our own shard; moving a value into an empty slot runs no user code. The value
        // is moved exactly once: into the private slot or the stash, or out by `read` for the
        // slow path.
        let stored = unsafe {
            shard.with_local(|local| {
                if local.generation != now {
                    false // the slow path ages the shard first
                } else if local.private.is_empty() {
                    local.private.fill_from(value);
                    true
                } else if unbounded && !local.stash.is_full() {
                    local.stash.push_from(value);
                    true
                } else {
                    false
                }
            })
        };
        if stored {
            self.count(Some(shard), Event::Put);
        } else {
            // SAFETY: not moved into the slot, so still ours: moved out once, here.
            self.give_back_slow(shard, unsafe { ptr::read(value) }, 0);
        }
    }

    /// Runs `retain` and `weigh` on a returned value: `None` if `retain` rejects it, else its
    /// weight (0 without a budget).
    #[cold]
    fn check(&self, value_ref: &T) -> Option<u64> {
        if let Some(keep) = &self.retain {
            if !keep(value_ref) {
                return None;
            }
        }
        Some(
            self.budget
                .as_ref()
                .map_or(0, |budget| (budget.weigh)(value_ref) as u64),
        )
    }

    /// Keeps a value of a pool with a budget, weighing `weight`, or drops it.
    #[cold]
    fn give_back_weighed(&self, shard: Option<&Shard<T>>, value: T, weight: u64) {
        match shard {
            Some(shard) => self.give_back_slow(shard, value, weight),
            None => {
                // This thread's thread-local storage is gone, so it owns no shard to push to.
                self.count(None, Event::Evicted);
                drop(value);
            }
        }
    }

    /// Drops the value at `value` instead of returning it (a hook panicked, or a guard is
    /// dropped while its thread panics), and counts it as discarded.
    ///
    /// # Safety
    /// As for [`give_back_from`](Self::give_back_from).
    #[cold]
    unsafe fn discard(&self, value: *mut T) {
        self.count(self.local_shard(), Event::Discarded);
        // SAFETY: the caller gives the value up; it is dropped once, here.
        unsafe { ptr::drop_in_place(value) }
    }

    /// Keeps `value` (of weight `weight` if the pool has a budget) in the private slot, the
    /// stash or the own chain, or drops it as evicted.
    #[cold]
    fn give_back_slow(&self, shard: &Shard<T>, value: T, weight: u64) {
        self.age_local(shard);
        let value = if self.budget.is_some() {
            Some(value) // a pool with a budget keeps every idle value in a chain, weighed
        } else {
            // SAFETY: our own shard; no user code.
            unsafe {
                shard.with_local(|local| {
                    if local.private.is_empty() {
                        let value = ManuallyDrop::new(value);
                        // SAFETY: the slot is empty; `value` is forgotten, so moved once.
                        local.private.fill_from(&*value);
                        None
                    } else {
                        Some(value)
                    }
                })
            }
        };
        let Some(value) = value else {
            self.count(Some(shard), Event::Put);
            return;
        };
        let value = if self.keeps_stash() {
            // SAFETY: our own shard; stash moves and a batch push run no user code.
            let kept = unsafe {
                shard.with_local(|local| {
                    if local.stash.is_full() {
                        // Spill: the oldest half to the chain in one batch, for other threads.
                        batch::push_all(&local.owner, &mut local.stash.drain_oldest(stash::SPILL));
                    }
                    // Never `Err` (a spill made room); if it were, the chain takes the value.
                    local.stash.push(value)
                })
            };
            match kept {
                Ok(()) => {
                    self.count(Some(shard), Event::Put);
                    return;
                }
                Err(value) => value,
            }
        } else {
            value
        };
        if self.max_idle != usize::MAX {
            // Relaxed: `idle` only bounds a count; it publishes nothing (ordering.md P-idle).
            if self.idle.fetch_add(1, Ordering::Relaxed) >= self.max_idle as u64 {
                // Relaxed: undoes the increment above (ordering.md P-idle).
                self.idle.fetch_sub(1, Ordering::Relaxed);
                self.count(Some(shard), Event::Evicted);
                drop(value);
                return;
            }
        }
        if let Some(budget) = &self.budget {
            if !Self::reserve(budget, weight) {
                self.idle_sub(); // gives back the place taken above
                self.count(Some(shard), Event::Evicted);
                drop(value);
                return;
            }
        }
        // SAFETY: our own shard; `push_head` runs no user code.
        unsafe { shard.with_local(|local| local.owner.push_head(value)) };
        self.count(Some(shard), Event::Put);
    }
}

impl<T> Pool<T> {
    /// The capacities of the rings of every shard's chain, in shard order, then of the victim
    /// chain (for tests of the memory a released pool keeps).
    #[cfg(feature = "__test-hooks")]
    pub(crate) fn ring_capacities(&self) -> Vec<Vec<usize>> {
        let mut chains: Vec<Vec<usize>> = self
            .shards
            .iter()
            .map(|shard| shard.stealer.ring_capacities())
            .collect();
        chains.push(self.victim_stealer.ring_capacities());
        chains
    }
}

impl<T> fmt::Debug for Pool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            // Relaxed: a snapshot for display only (ordering.md P-fmt).
            .field("generation", &self.generation.load(Ordering::Relaxed))
            .field("counting", &self.counting)
            .finish_non_exhaustive()
    }
}

/// Where a get may take a value from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Anywhere: the own shard, other shards, the victim generation.
    Any,
    /// The calling thread's own shard only (its private slot, stash and chain).
    Own,
}

/// Where the fast path of `get` found a value.
#[derive(Clone, Copy)]
enum Hit {
    None,
    Private,
    Stash,
}

/// The chain operations of the stash: batches, so that the chain sees one read-modify-write per
/// spill, refill or steal instead of one per value. None runs user code: the chain's batch
/// methods move values only, and the stash's `Extend` never drops one.
mod batch {
    use super::stash::{Stash, REFILL};
    use crate::chain;

    /// Pushes every value of `values` on `owner`'s head, in one publishing read-modify-write
    /// per ring (a chain batch push takes the whole iterator).
    #[inline]
    pub(super) fn push_all<T>(owner: &chain::Owner<T>, values: &mut impl Iterator<Item = T>) {
        owner.push_head_batch(values);
    }

    /// Moves up to [`REFILL`] of the newest values of `owner` into the empty `stash` in one
    /// batch pop, the newest on top.
    #[inline]
    pub(super) fn refill<T>(owner: &chain::Owner<T>, stash: &mut Stash<T>) {
        debug_assert_eq!(stash.len(), 0);
        // At most the stash's room, so its `Extend` takes every value (and never drops one).
        owner.pop_head_batch(REFILL.min(stash.room()), stash);
        stash.reverse_from(0); // the batch hands the newest first
    }

    /// Steals about half of `victim`'s oldest ring into `own` with one claim, returning one of
    /// the stolen values.
    #[inline]
    pub(super) fn steal<T>(victim: &chain::Stealer<T>, own: &chain::Owner<T>) -> Option<T> {
        victim.steal_batch_and_pop(own)
    }
}
