//! Small recycled thread ids: the key every pool uses to find the calling thread's shard.
//!
//! A thread takes the smallest free id on its first pool operation and gives it back from a
//! thread-local destructor when it exits. Ids are unique among live threads, so a shard keyed by
//! an id has one owner at a time; a later thread that takes a recycled id inherits the shards
//! (and the values in them) of every pool the previous holder used. The hand-over goes through
//! the registry's mutex: the exiting thread's unlock happens before the new holder's lock, so
//! the new owner sees everything the old one wrote to its shards.

use core::cell::Cell;
use std::collections::BTreeSet;

use crate::sync::{thread_local, Mutex};

/// The ids handed out so far and the ones given back.
struct Registry {
    /// One past the largest id ever handed out.
    next: usize,
    /// Ids of exited threads, taken smallest first so the id space stays dense (a set, not a
    /// `BinaryHeap`: `BinaryHeap::new` is `const` only from Rust 1.80, above the MSRV).
    free: BTreeSet<usize>,
    /// By id: the token of the thread holding it, [`NO_HOLDER`] while it is free.
    tokens: Vec<u64>,
    /// The next token: each taking of an id gets a new one, so a token names one thread's
    /// tenure of one id.
    next_token: u64,
}

impl Registry {
    const fn new() -> Self {
        Registry {
            next: 0,
            free: BTreeSet::new(),
            tokens: Vec::new(),
            next_token: NO_HOLDER + 1,
        }
    }
}

/// The token of no thread: a free id's.
pub(crate) const NO_HOLDER: u64 = 0;

#[cfg(not(any(feature = "loom", feature = "shuttle")))]
static REGISTRY: Mutex<Registry> = Mutex::new(Registry::new());

// Under the model features the registry must start empty in every execution. Loom drops its
// statics before the main thread's thread-locals, so each id keeps the registry alive itself.
#[cfg(any(feature = "loom", feature = "shuttle"))]
crate::sync::lazy_static! {
    static ref REGISTRY: std::sync::Arc<Mutex<Registry>> =
        std::sync::Arc::new(Mutex::new(Registry::new()));
}

#[cfg(not(any(feature = "loom", feature = "shuttle")))]
type RegistryRef = &'static Mutex<Registry>;
#[cfg(any(feature = "loom", feature = "shuttle"))]
type RegistryRef = std::sync::Arc<Mutex<Registry>>;

fn registry_ref() -> RegistryRef {
    #[cfg(not(any(feature = "loom", feature = "shuttle")))]
    return &REGISTRY;
    #[cfg(any(feature = "loom", feature = "shuttle"))]
    return REGISTRY.clone();
}

fn lock(registry: &RegistryRef) -> impl core::ops::DerefMut<Target = Registry> + '_ {
    // A panic cannot happen while the lock is held (no user code runs under it), but recover
    // from poisoning anyway: the registry's state is valid after every statement.
    registry
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `f` while no thread can take, give back or claim an id, with a lookup from an id to
/// the token of the thread holding it ([`NO_HOLDER`] if none). A shard whose recorded token
/// differs has no owner that has touched it in its current tenure (its thread exited, or the
/// id's new holder has not claimed it yet, which takes this lock): for as long as `f` runs, the
/// caller may stand in for its owner (the mutex orders the last owner's writes before `f`, and
/// `f`'s writes before the next claim). `f` must run no user code: it runs under the registry's
/// lock, which every thread's first pool operation takes.
pub(crate) fn with_holders<R>(f: impl FnOnce(&dyn Fn(usize) -> u64) -> R) -> R {
    let registry = registry_ref();
    let ids = lock(&registry);
    f(&|id| ids.tokens.get(id).copied().unwrap_or(NO_HOLDER))
}

/// Runs `f` (a claim: recording the caller's token in a shard it inherited) under the
/// registry's lock, ordered against every [`with_holders`]. `f` must run no user code.
pub(crate) fn claim<R>(f: impl FnOnce() -> R) -> R {
    let registry = registry_ref();
    let _ids = lock(&registry);
    f()
}

/// The calling thread's id; given back when the thread exits.
struct ThreadId {
    id: usize,
    token: u64,
    registry: RegistryRef,
}

impl ThreadId {
    fn acquire() -> Self {
        let registry = registry_ref();
        let (id, token) = {
            let mut ids = lock(&registry);
            let id = match ids.free.pop_first() {
                Some(id) => id,
                None => {
                    ids.next += 1;
                    ids.next - 1
                }
            };
            let token = ids.next_token;
            ids.next_token += 1;
            if ids.tokens.len() <= id {
                ids.tokens.resize(id + 1, NO_HOLDER);
            }
            ids.tokens[id] = token;
            (id, token)
        };
        debug_assert!(id < GONE);
        CACHED.with(|cached| cached.set(id));
        ThreadId {
            id,
            token,
            registry,
        }
    }
}

impl Drop for ThreadId {
    fn drop(&mut self) {
        // The thread is done with every shard it owned: no pool operation can run on it any
        // more (its id is gone, so later calls from other thread-local destructors take the
        // shard-less path). Releasing the lock publishes its writes to the next holder.
        let _ = CACHED.try_with(|cached| cached.set(GONE));
        // Forget the cached shard before the id can go to another thread: from here on a pool
        // operation on this thread finds no shard at all.
        let _ = LAST_SHARD.try_with(|last| last.set((NO_POOL, core::ptr::null())));
        let mut ids = lock(&self.registry);
        ids.tokens[self.id] = NO_HOLDER;
        ids.free.insert(self.id);
    }
}

/// `CACHED` before the thread's first pool operation.
const UNSET: usize = usize::MAX;
/// `CACHED` once the thread's id has been given back.
const GONE: usize = usize::MAX - 1;

thread_local! {
    /// Owns the id and gives it back from its destructor.
    static OWNER: ThreadId = ThreadId::acquire();
}

/// A pool id no pool has: the empty [`LAST_SHARD`] entry.
pub(crate) const NO_POOL: u64 = 0;

/// The thread's most recently used shard: `(pool id, shard)`. An entry is only ever written by
/// its thread, for a pool it is using and its own shard of that pool (see [`last_shard`]).
type LastShard = Cell<(u64, *const ())>;

#[cfg(not(any(feature = "loom", feature = "shuttle")))]
thread_local! {
    /// A copy of the id with no destructor: reading it is a plain thread-local load.
    static CACHED: Cell<usize> = const { Cell::new(UNSET) };
    /// No destructor either, so it stays readable while other thread-locals are torn down.
    static LAST_SHARD: LastShard = const { Cell::new((NO_POOL, core::ptr::null())) };
}

// The models' `thread_local!` takes no `const` initializer.
#[cfg(any(feature = "loom", feature = "shuttle"))]
thread_local! {
    static CACHED: Cell<usize> = Cell::new(UNSET);
    static LAST_SHARD: LastShard = Cell::new((NO_POOL, core::ptr::null()));
}

/// A fresh pool id, never handed out before in this process (ids are 64-bit: they do not
/// wrap). `Pool::new` takes one, so a cached `(pool id, shard)` pair can never be mistaken for
/// a pair of a later pool that happens to sit at a dropped pool's address.
pub(crate) fn next_pool_id() -> u64 {
    // Not a model type: an id only has to be unique, which any atomic counter gives, and the
    // models need not explore its interleavings.
    static NEXT: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(NO_POOL + 1);
    // Relaxed: uniqueness needs only the atomicity of the increment (ordering.md T-next-id).
    NEXT.fetch_add(1, core::sync::atomic::Ordering::Relaxed)
}

/// The shard this thread last cached for pool `pool`, if it is the most recent one: the fast
/// path's one thread-local read and compare instead of the id lookup and two table loads.
///
/// The pointer is valid as long as the pool with id `pool` is: it was cached by this thread,
/// while it held its current id, from that pool's table (whose shards live until the pool
/// drops, shards S2); the entry is cleared before the thread gives its id back.
#[inline(always)]
pub(crate) fn last_shard(pool: u64) -> Option<*const ()> {
    let (cached, shard) = LAST_SHARD
        .try_with(Cell::get)
        .unwrap_or((NO_POOL, core::ptr::null()));
    (cached == pool).then_some(shard) // `pool` is never `NO_POOL`
}

/// Caches `shard`, this thread's shard of pool `pool`, for [`last_shard`]. Does nothing once
/// the thread's id is given back.
#[inline]
pub(crate) fn set_last_shard(pool: u64, shard: *const ()) {
    if CACHED.try_with(Cell::get).unwrap_or(GONE) < GONE {
        let _ = LAST_SHARD.try_with(|last| last.set((pool, shard)));
    }
}

/// The calling thread's id, or `None` once its thread-local storage is being torn down.
#[inline(always)]
pub(crate) fn current() -> Option<usize> {
    let id = CACHED.try_with(Cell::get).unwrap_or(GONE);
    if id < GONE {
        Some(id)
    } else {
        current_slow(id)
    }
}

#[cold]
fn current_slow(cached: usize) -> Option<usize> {
    if cached == GONE {
        return None;
    }
    OWNER.try_with(|owner| owner.id).ok()
}

/// The calling thread's token (its tenure of its id), or `None` once its thread-local storage
/// is being torn down.
pub(crate) fn current_token() -> Option<u64> {
    current()?;
    OWNER.try_with(|owner| owner.token).ok()
}
