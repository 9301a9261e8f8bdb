//! Reclamation under `loom`: an adversarial grace-period reclaimer.
//!
//! crossbeam-epoch does not follow loom without extra cfgs (its participants live in a std
//! thread-local, its collector is process-wide), so under the `loom` feature each structure owns
//! this collector instead. It frees a retired node at the **earliest** moment the epoch contract
//! allows, so a ring that is retired while some thread can still reach it is a model failure:
//!
//! - `pin` publishes "this thread is active with pin number `seq`" in its slot, then issues a
//!   `SeqCst` fence before the caller loads any pointer.
//! - `retire` issues a `SeqCst` fence, then snapshots every slot: the retirement waits for
//!   exactly the guards it sees active (its own guard included) and for nothing pinned later.
//!   The two fences are the store-buffering pair of epoch reclamation: either the snapshot sees
//!   a pin, or that pin's loads see the unlinking stores that precede the retirement.
//! - When the last of those guards ends, the node is freed *there and then*: "freed" means a
//!   write through the node's [`Liveness`] cell (a loom `UnsafeCell`), which the chain reads
//!   before and after every access to a node. A later access therefore either reads the flag
//!   after the free (an assertion) or races with it (loom's "Causality violation").
//! - The memory itself is released when the collector is dropped, so loom's leak checker still
//!   accounts for every node, and no execution ever touches deallocated memory.
//!
//! crossbeam-epoch never frees earlier than "every guard alive at the retirement has ended",
//! so code that passes under this reclaimer is safe under crossbeam, trusting crossbeam itself
//! (which is loom-checked upstream). The slots are per loom thread, so the reclaimer adds no
//! happens-before edges between threads beyond the ones an epoch scheme also creates (a guard's
//! end synchronizes with the free that waited for it).

use std::sync::Mutex;

use loom::cell::UnsafeCell;
use loom::sync::atomic::{fence, AtomicU64, Ordering};
use loom::thread::ThreadId;

/// Liveness flag of a node that may be retired: `true` until the reclaimer frees it.
#[derive(Debug)]
pub(crate) struct Liveness(UnsafeCell<bool>);

impl Default for Liveness {
    fn default() -> Self {
        Liveness(UnsafeCell::new(true))
    }
}

impl Liveness {
    /// Asserts that the node has not been freed. The read is visible to loom's race detector,
    /// so a free that is not ordered after it fails the model as well.
    #[inline]
    #[track_caller]
    pub(crate) fn check(&self) {
        // SAFETY: the cell holds a plain `bool`; loom checks the access for races.
        let live = self.0.with(|p| unsafe { *p });
        assert!(
            live,
            "use after free: a retired ring was accessed after every guard that could reach it had ended"
        );
    }

    /// Marks the node freed (by this reclaimer, or by crossbeam's deferred free in the
    /// loom-epoch lane).
    pub(crate) fn kill(&self) {
        // SAFETY: as in `check`; loom reports any access not ordered with this write.
        self.0.with_mut(|p| unsafe { *p = false });
    }
}

/// A node the collector can retire: it exposes its liveness flag.
pub(crate) trait Reclaim {
    fn liveness(&self) -> &Liveness;
}

struct Retired {
    ptr: *mut (),
    live: *const Liveness,
    free: unsafe fn(*mut ()),
    /// `(slot, seq)` of every guard seen active by the retirement.
    waits: Vec<(usize, u64)>,
    dead: bool,
}

/// A loom thread's slot: pin number and nesting depth (bookkeeping only; what other threads
/// learn about a pin goes through the loom atomic in `Collector::slots`).
struct Participant {
    thread: ThreadId,
    seq: u64,
    depth: u32,
}

/// Per-execution bookkeeping. It lives in a std `Mutex` that is never held across a loom
/// operation: all loom threads run on one OS thread, so it is deterministic and invisible to
/// the model (it creates no happens-before edges).
#[derive(Default)]
struct Book {
    participants: Vec<Participant>,
    retired: Vec<Retired>,
}

/// Per-structure collector.
pub(crate) struct Collector {
    /// Slot `i` holds participant `i`'s current pin number, or 0 while it is not pinned.
    slots: Vec<AtomicU64>,
    book: Mutex<Book>,
}

/// A pin on the model collector. Nested pins of one thread share the outer pin.
pub(crate) struct Guard<'a> {
    collector: &'a Collector,
    slot: usize,
    seq: u64,
}

impl Collector {
    /// Nothing to collect: the reclaimer frees a node as soon as the epoch contract allows.
    pub(crate) fn collect(&self) {}

    pub(crate) fn new() -> Self {
        Collector {
            slots: (0..loom::MAX_THREADS).map(|_| AtomicU64::new(0)).collect(),
            book: Mutex::new(Book::default()),
        }
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn pin(&self) -> Guard<'_> {
        let me = loom::thread::current().id();
        let (slot, seq, outer) = {
            let mut book = self.book();
            let slot = match book.participants.iter().position(|p| p.thread == me) {
                Some(slot) => slot,
                None => {
                    book.participants.push(Participant {
                        thread: me,
                        seq: 0,
                        depth: 0,
                    });
                    book.participants.len() - 1
                }
            };
            let p = &mut book.participants[slot];
            p.depth += 1;
            if p.depth == 1 {
                p.seq += 1;
            }
            (slot, p.seq, p.depth == 1)
        };
        if outer {
            // Relaxed: retirements see it through the fence (ordering.md L-pin-swap).
            self.slots[slot].swap(seq, Ordering::Relaxed);
            // SeqCst: store-load pair with the fence in `retire` (ordering.md L-pin-fence).
            fence(Ordering::SeqCst);
        }
        Guard {
            collector: self,
            slot,
            seq,
        }
    }
}

impl Guard<'_> {
    /// Retires `ptr` (a `Box`): it is freed when every guard active now has ended.
    ///
    /// # Safety
    /// As for the epoch collector: `ptr` came from `Box::into_raw`, is retired exactly once and
    /// is unreachable for threads that pin after this call.
    pub(crate) unsafe fn retire<T: Reclaim>(&self, ptr: *mut T) {
        unsafe fn free<T>(ptr: *mut ()) {
            // SAFETY: `ptr` was a `Box<T>` handed to `retire` exactly once.
            drop(unsafe { Box::from_raw(ptr.cast::<T>()) });
        }
        let c = self.collector;
        // SeqCst: pairs with the fence in `pin` (ordering.md L-retire-fence).
        fence(Ordering::SeqCst);
        let others: Vec<usize> = (0..c.book().participants.len())
            .filter(|&s| s != self.slot)
            .collect();
        let mut waits = vec![(self.slot, self.seq)];
        for s in others {
            // Acquire: pairs with the Release unpin store (ordering.md L-retire-snapshot).
            let seq = c.slots[s].load(Ordering::Acquire);
            if seq != 0 {
                waits.push((s, seq));
            }
        }
        // SAFETY: the caller passes a live `Box<T>`; the node stays allocated until the
        // collector is dropped.
        let live: *const Liveness = unsafe { (*ptr).liveness() };
        let mut book = c.book();
        assert!(
            book.retired.iter().all(|r| r.ptr != ptr.cast()),
            "a node was retired twice"
        );
        book.retired.push(Retired {
            ptr: ptr.cast(),
            live,
            free: free::<T>,
            waits,
            dead: false,
        });
    }
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        let c = self.collector;
        let outer = {
            let mut book = c.book();
            let p = &mut book.participants[self.slot];
            p.depth -= 1;
            p.depth == 0
        };
        if !outer {
            return;
        }
        // Release: pairs with the Acquire slot loads (ordering.md L-unpin-store).
        c.slots[self.slot].store(0, Ordering::Release);
        // SeqCst: the last guard to end sees every other one ended (ordering.md L-unpin-fence).
        fence(Ordering::SeqCst);
        // The retirements that waited for this guard and are not freed yet.
        let pending: Vec<(usize, Vec<(usize, u64)>)> = c
            .book()
            .retired
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.dead && r.waits.contains(&(self.slot, self.seq)))
            .map(|(i, r)| (i, r.waits.clone()))
            .collect();
        for (i, waits) in pending {
            let mut ended = true;
            for (s, seq) in waits {
                // This thread's own pins up to `self.seq` have all ended now.
                // Acquire: pairs with the awaited Release unpin (ordering.md L-unpin-wait).
                if s != self.slot && c.slots[s].load(Ordering::Acquire) == seq {
                    ended = false;
                    break;
                }
            }
            if ended {
                let live = {
                    let mut book = c.book();
                    let r = &mut book.retired[i];
                    let first = !r.dead;
                    r.dead = true;
                    first.then_some(r.live)
                };
                if let Some(live) = live {
                    // SAFETY: the node stays allocated until the collector is dropped.
                    unsafe { (*live).kill() };
                }
            }
        }
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let book = self.book.get_mut().unwrap_or_else(|e| e.into_inner());
        let mut undead = 0;
        for r in book.retired.drain(..) {
            undead += usize::from(!r.dead);
            // SAFETY: `&mut self`: no guard of this collector is alive; each record is a
            // distinct `Box` retired once.
            unsafe { (r.free)(r.ptr) }
        }
        if !std::thread::panicking() {
            assert_eq!(
                undead, 0,
                "reclaimer: a retired node outlived every guard that was active at its retirement"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    //! The reclaimer's own teeth, on a one-pointer toy structure: a node unlinked before its
    //! retirement survives every reader; a node retired while still reachable, or used under a
    //! later guard than the one that loaded it, fails the model.
    use super::*;
    use loom::sync::atomic::AtomicPtr;
    use loom::sync::Arc;
    use loom::thread;

    struct Toy {
        live: Liveness,
    }

    impl Reclaim for Toy {
        fn liveness(&self) -> &Liveness {
            &self.live
        }
    }

    /// One reader pins, loads the pointer and uses the node, possibly re-pinning in between;
    /// the main thread unlinks and retires it in the given order.
    fn scenario(unlink_first: bool, repin: bool) {
        loom::model(move || {
            let collector = Arc::new(Collector::new());
            let node = Box::into_raw(Box::new(Toy {
                live: Liveness::default(),
            }));
            let shared = Arc::new(AtomicPtr::new(node));
            let (c, s) = (collector.clone(), shared.clone());
            let reader = thread::spawn(move || {
                let mut guard = c.pin();
                // Acquire: pairs only with the node's publication by `Arc` (ordering.md L-toy).
                let p = s.load(Ordering::Acquire);
                if repin {
                    drop(guard);
                    guard = c.pin();
                }
                if !p.is_null() {
                    // SAFETY: the node stays allocated until the collector drops.
                    unsafe { (*p).live.check() };
                }
                drop(guard);
            });
            let guard = collector.pin();
            // SAFETY: `node` is a `Box` retired once.
            unsafe {
                if unlink_first {
                    // Release: the toy's unlink (ordering.md L-toy).
                    shared.store(core::ptr::null_mut(), Ordering::Release);
                    guard.retire(node);
                } else {
                    guard.retire(node);
                    // Release: the toy's unlink (ordering.md L-toy).
                    shared.store(core::ptr::null_mut(), Ordering::Release);
                }
            }
            drop(guard);
            reader.join().unwrap();
        });
    }

    #[test]
    fn unlink_then_retire_is_safe() {
        scenario(true, false);
    }

    /// Runs a scenario that must fail the model, and checks it fails for the right reason:
    /// loom's race detector or the liveness assertion, not some unrelated panic.
    fn assert_caught(unlink_first: bool, repin: bool) {
        let err = std::panic::catch_unwind(|| scenario(unlink_first, repin))
            .expect_err("the model must fail");
        let msg = err
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        assert!(
            msg.contains("Causality violation") || msg.contains("use after free"),
            "unexpected failure: {msg}"
        );
    }

    #[test]
    fn retire_while_reachable_is_caught() {
        assert_caught(false, false);
    }

    #[test]
    fn a_pointer_kept_across_guards_is_caught() {
        assert_caught(true, true);
    }
}
