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
}

impl Registry {
    const fn new() -> Self {
        Registry {
            next: 0,
            free: BTreeSet::new(),
        }
    }
}

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

/// Runs `f` with the ids of the threads that exited (none of which a live thread holds), while
/// no thread can take or give back an id: for as long as `f` runs, the caller stands in for the
/// exited owners of those ids (the mutex orders their last writes to their shards before `f`,
/// and `f`'s writes before the next holder's). `f` must run no user code: it runs under the
/// registry's lock, which every thread's first pool operation takes.
pub(crate) fn with_exited<R>(f: impl FnOnce(&mut dyn Iterator<Item = usize>) -> R) -> R {
    let registry = registry_ref();
    let ids = lock(&registry);
    f(&mut ids.free.iter().copied())
}

/// The calling thread's id; given back when the thread exits.
struct ThreadId {
    id: usize,
    registry: RegistryRef,
}

impl ThreadId {
    fn acquire() -> Self {
        let registry = registry_ref();
        let id = {
            let mut ids = lock(&registry);
            match ids.free.pop_first() {
                Some(id) => id,
                None => {
                    ids.next += 1;
                    ids.next - 1
                }
            }
        };
        debug_assert!(id < GONE);
        CACHED.with(|cached| cached.set(id));
        ThreadId { id, registry }
    }
}

impl Drop for ThreadId {
    fn drop(&mut self) {
        // The thread is done with every shard it owned: no pool operation can run on it any
        // more (its id is gone, so later calls from other thread-local destructors take the
        // shard-less path). Releasing the lock publishes its writes to the next holder.
        let _ = CACHED.try_with(|cached| cached.set(GONE));
        lock(&self.registry).free.insert(self.id);
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

#[cfg(not(any(feature = "loom", feature = "shuttle")))]
thread_local! {
    /// A copy of the id with no destructor: reading it is a plain thread-local load.
    static CACHED: Cell<usize> = const { Cell::new(UNSET) };
}

// The models' `thread_local!` takes no `const` initializer.
#[cfg(any(feature = "loom", feature = "shuttle"))]
thread_local! {
    static CACHED: Cell<usize> = Cell::new(UNSET);
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
