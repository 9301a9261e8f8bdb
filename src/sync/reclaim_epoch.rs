//! Reclamation in normal builds: `crossbeam-epoch`'s global collector.
//!
//! A chain retires a ring once no new reader can reach it; the epoch frees it after every
//! thread that was pinned at the time of the retirement has unpinned.

/// Per-structure handle to the reclamation scheme. Normal builds share crossbeam's global
/// collector, so this is zero-sized.
#[derive(Debug, Default)]
pub(crate) struct Collector;

/// While a `Guard` lives, nothing retired after it was created is freed.
pub(crate) struct Guard(crossbeam_epoch::Guard);

impl Collector {
    pub(crate) fn new() -> Self {
        Collector
    }

    /// Pins the current thread. The pin is a `SeqCst` fence inside crossbeam; it pairs with the
    /// fence in the epoch advance, so a retirement either sees this pin or this thread's later
    /// loads see the unlinking store.
    #[inline]
    pub(crate) fn pin(&self) -> Guard {
        Guard(crossbeam_epoch::pin())
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
            self.0.defer_unchecked(move || {
                let boxed = boxed;
                drop(Box::from_raw(boxed.0));
            })
        }
    }
}
