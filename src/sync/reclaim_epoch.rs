//! Reclamation in normal builds: `crossbeam-epoch`.
//!
//! A chain retires a ring once no new reader can reach it; the epoch frees it after every
//! thread that was pinned at the time of the retirement has unpinned.
//!
//! Normal builds use crossbeam's global collector (a pin is a thread-local counter bump and a
//! fence). Under Miri each structure owns a private crossbeam collector instead, registered
//! afresh for every pin: slower, but the same epoch algorithm, and dropping the structure drops
//! the collector with every deferred free still pending, so Miri's leak check sees exactly the
//! memory this crate owns (the global collector keeps garbage past the end of the program,
//! behind tagged pointers Miri cannot follow).

/// Per-structure handle to the reclamation scheme: zero-sized over crossbeam's global collector,
/// a private collector under Miri.
#[derive(Debug, Default)]
pub(crate) struct Collector {
    #[cfg(miri)]
    private: crossbeam_epoch::Collector,
}

/// While a `Guard` lives, nothing retired after it was created is freed.
pub(crate) struct Guard {
    guard: crossbeam_epoch::Guard,
    /// Under Miri the participant registered for this pin; unregistered when dropped.
    #[cfg(miri)]
    _handle: crossbeam_epoch::LocalHandle,
}

impl Collector {
    pub(crate) fn new() -> Self {
        Collector::default()
    }

    /// Pins the current thread. The pin is a `SeqCst` fence inside crossbeam; it pairs with the
    /// fence in the epoch advance, so a retirement either sees this pin or this thread's later
    /// loads see the unlinking store.
    #[inline]
    pub(crate) fn pin(&self) -> Guard {
        #[cfg(not(miri))]
        {
            Guard {
                guard: crossbeam_epoch::pin(),
            }
        }
        #[cfg(miri)]
        {
            let handle = self.private.register();
            Guard {
                guard: handle.pin(),
                _handle: handle,
            }
        }
    }
}

impl Guard {
    /// Frees `ptr` (a `Box`) once every guard alive now has been dropped.
    ///
    /// # Safety
    /// `ptr` came from `Box::into_raw`, is retired exactly once, and is already unreachable for
    /// any thread that pins after this call. Dropping the box must not drop values of a type
    /// whose lifetime may have ended (the chain retires only empty rings).
    pub(crate) unsafe fn retire<T>(&self, ptr: *mut T) {
        struct SendPtr<T>(*mut T);
        // SAFETY: the pointer is only dereferenced by the deferred drop, which runs once, after
        // every reader is gone; the chain's `T: Send` bound makes moving the box across threads
        // sound.
        unsafe impl<T> Send for SendPtr<T> {}
        let boxed = SendPtr(ptr);
        // SAFETY: the caller guarantees `ptr` is an unreachable, once-retired `Box`; the epoch
        // runs the closure only after all guards that could still hold `ptr` are dropped.
        unsafe {
            self.guard.defer_unchecked(move || {
                let boxed = boxed;
                drop(Box::from_raw(boxed.0));
            })
        }
    }
}
