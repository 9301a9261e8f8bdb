//! A 32-bit futex word: sleep while the word holds an expected value, wake one or all sleepers.
//!
//! | build | `wait` / `wake_*` | `wait_until` (bounded) |
//! | --- | --- | --- |
//! | default, Linux | `atomic-wait` (`FUTEX_WAIT_PRIVATE` / `FUTEX_WAKE_PRIVATE`) | `SYS_futex` with a relative timeout, through `libc` |
//! | default, other targets | `atomic-wait` (ulock, `WaitOnAddress`, umtx) | sleeps of at most 1 ms, re-reading the word (a poll) |
//! | `loom`, `shuttle` | the model's `Mutex` + `Condvar`, one pair per word | the deadline passes at once: returns "timed out" if the word still holds the expected value |
//!
//! The contract the callers rely on is the futex one: `wait(expected)` returns at once if the
//! word no longer holds `expected`; otherwise it sleeps until a `wake_*` that comes after the
//! change of the word, and it may also return spuriously. Callers loop and re-read the word.
//!
//! # The model and what it adds
//!
//! Under loom and shuttle a waiter locks the model mutex, loads the word and, if it still holds
//! `expected`, sleeps on the condition variable (which releases the mutex); a waker locks the
//! same mutex and notifies. A wake that comes after the change of the word therefore either
//! finds the waiter asleep or makes it see the new value, as the kernel's futex hash-bucket lock
//! does. The model mutex also makes every wake *happen before* the waiter's return, an ordering
//! the real futex does not promise (the kernel gives no memory-ordering guarantee to user space
//! beyond the atomic compare of the word). Code above this shim must therefore not rely on the
//! wake for ordering: it publishes through the word itself (Release on the change, Acquire on
//! the waiter's re-read), and the lost-wake-up argument rests only on the SeqCst fences, which
//! the no-waiter fast path checks without any mutex at all.

#[cfg(not(any(feature = "loom", feature = "shuttle")))]
pub(crate) use std_impl::Futex;

#[cfg(any(feature = "loom", feature = "shuttle"))]
pub(crate) use model_impl::Futex;

#[cfg(not(any(feature = "loom", feature = "shuttle")))]
mod std_impl {
    use std::sync::atomic::AtomicU32;
    use std::time::Instant;

    /// A futex word on `atomic-wait`.
    #[derive(Debug, Default)]
    pub(crate) struct Futex {
        word: AtomicU32,
    }

    impl Futex {
        pub(crate) const fn new(value: u32) -> Self {
            Futex {
                word: AtomicU32::new(value),
            }
        }

        /// The word itself; all reads and changes go through it.
        #[inline(always)]
        pub(crate) fn word(&self) -> &AtomicU32 {
            &self.word
        }

        /// Sleeps while the word holds `expected` (may return spuriously).
        #[inline]
        pub(crate) fn wait(&self, expected: u32) {
            atomic_wait::wait(&self.word, expected);
        }

        /// Like [`wait`](Self::wait), but returns by `deadline` at the latest. Returns whether
        /// the deadline has passed.
        pub(crate) fn wait_until(&self, expected: u32, deadline: Instant) -> bool {
            let now = Instant::now();
            if now >= deadline {
                return true;
            }
            sleep_until(&self.word, expected, deadline - now);
            Instant::now() >= deadline
        }

        /// Wakes at most one thread sleeping on the word.
        #[inline]
        pub(crate) fn wake_one(&self) {
            atomic_wait::wake_one(&self.word);
        }

        /// Wakes every thread sleeping on the word.
        #[inline]
        pub(crate) fn wake_all(&self) {
            atomic_wait::wake_all(&self.word);
        }
    }

    /// One timed `FUTEX_WAIT_PRIVATE`: the flag matches the `FUTEX_WAKE_PRIVATE` that
    /// `atomic-wait` issues, so its wakes reach this sleeper.
    #[cfg(target_os = "linux")]
    fn sleep_until(word: &AtomicU32, expected: u32, timeout: std::time::Duration) {
        // A relative timeout; saturate absurd durations instead of overflowing `time_t`.
        let secs = libc::time_t::try_from(timeout.as_secs()).unwrap_or(libc::time_t::MAX);
        let ts = libc::timespec {
            tv_sec: secs,
            // Below 10^9: fits every target's `tv_nsec` type.
            tv_nsec: timeout.subsec_nanos() as _,
        };
        // SAFETY: `word` is a live, aligned `AtomicU32` for the whole call (the kernel reads it
        // atomically), and `ts` outlives the call. FUTEX_WAIT has no other memory effect. The
        // result (0, ETIMEDOUT, EAGAIN, EINTR) is not needed: the caller re-reads the word and
        // the clock.
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                word.as_ptr(),
                libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
                expected,
                &ts as *const libc::timespec,
            );
        }
    }

    /// Without a timed futex in `atomic-wait`, other targets poll: one short sleep, after which
    /// the caller re-reads the word and the clock.
    #[cfg(not(target_os = "linux"))]
    fn sleep_until(word: &AtomicU32, expected: u32, timeout: std::time::Duration) {
        use std::sync::atomic::Ordering;
        // Relaxed: only a hint; the caller re-reads (ordering.md F-poll).
        if word.load(Ordering::Relaxed) == expected {
            std::thread::sleep(timeout.min(std::time::Duration::from_millis(1)));
        }
    }
}

#[cfg(any(feature = "loom", feature = "shuttle"))]
mod model_impl {
    #[cfg(feature = "loom")]
    use loom::sync::{atomic::AtomicU32, Condvar, Mutex};
    #[cfg(feature = "shuttle")]
    use shuttle::sync::{atomic::AtomicU32, Condvar, Mutex};
    use std::time::Instant;

    use std::sync::atomic::Ordering;

    /// A futex word modelled by a mutex and a condition variable (see the module docs for the
    /// ordering this adds).
    #[derive(Debug)]
    pub(crate) struct Futex {
        word: AtomicU32,
        lock: Mutex<()>,
        sleepers: Condvar,
    }

    impl Futex {
        pub(crate) fn new(value: u32) -> Self {
            Futex {
                word: AtomicU32::new(value),
                lock: Mutex::new(()),
                sleepers: Condvar::new(),
            }
        }

        #[inline(always)]
        pub(crate) fn word(&self) -> &AtomicU32 {
            &self.word
        }

        /// Sleeps while the word holds `expected`: the compare happens under the model mutex,
        /// as the kernel compares under its hash-bucket lock.
        pub(crate) fn wait(&self, expected: u32) {
            let guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            // Relaxed: the mutex orders it against the waker (ordering.md F-model-wait).
            if self.word.load(Ordering::Relaxed) == expected {
                drop(self.sleepers.wait(guard).unwrap_or_else(|e| e.into_inner()));
            }
        }

        /// The model has no clock: a timed wait whose word still holds `expected` times out at
        /// once (a deadline may pass at any moment), one whose word changed returns "not yet".
        pub(crate) fn wait_until(&self, expected: u32, _deadline: Instant) -> bool {
            let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            // Relaxed: as in `wait` (ordering.md F-model-wait).
            self.word.load(Ordering::Relaxed) == expected
        }

        pub(crate) fn wake_one(&self) {
            let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.sleepers.notify_one();
        }

        pub(crate) fn wake_all(&self) {
            let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.sleepers.notify_all();
        }
    }
}
