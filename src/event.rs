//! An eventcount: idle stealers sleep on a futex and a push wakes them, with no lost wake-ups.
//!
//! A thread that found nothing to do takes a ticket ([`EventCount::prepare_wait`]), looks for
//! work once more, and sleeps ([`Waiter::wait`]) only if nothing was notified since it took the
//! ticket. A producer publishes its work first and then calls [`EventCount::notify_one`], which
//! costs one `SeqCst` fence and one load of a word nobody writes while nobody waits.
//!
//! ```
//! # poolqueue::__doc_model(|| {
//! use poolqueue::{chain, EventCount};
//!
//! let event = EventCount::new();
//! let (owner, stealer) = chain::new::<u32>();
//! owner.push_head_notify(7, &event); // push, then wake one sleeper if there is one
//! assert_eq!(stealer.pop_tail_wait(&event), Some(7));
//! event.close(); // shutdown: sleepers wake, and waits on an empty chain return `None`
//! assert_eq!(stealer.pop_tail_wait(&event), None);
//! # });
//! ```
//!
//! # Protocol
//!
//! Waiter (what [`EventCount::wait_until`] and the `pop_tail_wait` helpers do):
//!
//! 1. look for work; found: done (no atomic write on this path);
//! 2. `let w = event.prepare_wait();` registers as a waiter, `fence(SeqCst)`, reads the ticket;
//! 3. look for work again; found: drop `w` (deregisters) and return it;
//! 4. `w.wait()`: sleeps unless the word moved past the ticket; back to 1 when it returns.
//!
//! Producer: make the work visible (e.g. [`chain::Owner::push_head`](crate::chain::Owner::push_head)),
//! then [`notify_one`](EventCount::notify_one) (one item) or [`notify_all`](EventCount::notify_all).
//! [`chain::Owner::push_head_notify`](crate::chain::Owner::push_head_notify) does both.
//!
//! Shutdown: [`close`](EventCount::close) wakes every sleeper; from then on no wait sleeps, so
//! the helpers drain what is left and return `None` once they find nothing.
//!
//! # Why no wake-up is lost
//!
//! The state is two 32-bit words: `waiters` (threads between step 2 and the end of step 4) and
//! the futex word `epoch` (bit 0: closed; bits 1..: a counter bumped by every notify that saw a
//! waiter). Steps 2–3 of the waiter and "push; notify" of the producer are the store-buffering
//! (Dekker) pattern, so both sides put a `fence(SeqCst)` between their store and their load:
//!
//! ```text
//! waiter:   waiters += 1   ; fence(SeqCst) ; ticket = epoch ; look for work (load)
//! producer: push (store)   ; fence(SeqCst) ; if waiters == 0 { return } ; epoch += 2 ; wake
//! ```
//!
//! The two fences are totally ordered. If the producer's fence comes first, the waiter's second
//! look sees the push. If the waiter's fence comes first, the producer's load sees the waiter's
//! increment (or a later value, which is still at least 1 while the waiter is registered), so it
//! bumps `epoch` and wakes: either the waiter's ticket already holds the bump (then it also sees
//! the push, through the Release/Acquire pair on `epoch`) or its futex wait compares against a
//! stale ticket and returns, or it is asleep and the wake reaches it. A `notify_one` that wakes
//! a different sleeper is fine: that sleeper looks for work after the push, and the late waiter
//! does not sleep on its stale ticket. Every wake leads to a new look for work before the next
//! sleep, so an item is never left behind while everyone who could take it sleeps, provided each
//! item's push is followed by a notify.
//!
//! `loom` models SeqCst loads and stores as AcqRel, so the crate uses explicit fences where the
//! store→load order matters; loom checks exactly that. The epoch counter has 2^31 values: a
//! waiter that took its ticket and was then descheduled for exactly 2^31 notifies (each one
//! with a waiter registered) before entering the kernel could sleep on a recycled value, the same
//! bound std's futex-based `Condvar` accepts.
//!
//! # Bounded waits
//!
//! Both ways out exist: [`close`](EventCount::close) for shutdown, and timed waits
//! ([`Waiter::wait_timeout`], [`EventCount::wait_until_timeout`],
//! [`chain::Stealer::pop_tail_wait_timeout`](crate::chain::Stealer::pop_tail_wait_timeout)).
//! On Linux a timed wait is a `FUTEX_WAIT_PRIVATE` with a timeout (`SYS_futex` through `libc`,
//! since `atomic-wait` has no timed wait); on other targets it polls the word with sleeps of at
//! most 1 ms. Under `loom` and `shuttle` the futex is a model `Mutex` + `Condvar` per word, and a
//! timed wait times out at once when nothing was notified.
//!
//! The model mutex makes each wake *happen before* the woken thread's return, an ordering the
//! real futex does not promise. The code therefore never relies on the wake for ordering: work
//! is published through the epoch word (Release bump, Acquire re-read), and the lost-wake-up
//! argument rests on the two fences, which the no-waiter fast path exercises without any mutex.
//! One limit of the checks: weakening the Release bump to Relaxed is not caught by the loom
//! models (measured), so that ordering rests on the argument above: without it, a waiter that
//! sees the bump may re-check without seeing the push and sleep on the bumped ticket.

use core::fmt;
use std::time::{Duration, Instant};

use crate::sync::futex::Futex;
use crate::sync::{fence, AtomicU32, Ordering};

/// Bit 0 of the epoch word: set once by [`EventCount::close`].
const CLOSED: u32 = 1;
/// One notify: the epoch counts in bits 1.. so that it never touches the closed bit.
const EPOCH_ONE: u32 = 2;

/// A futex-backed eventcount: sleep until notified, with no lost wake-ups. See the
/// [module docs](self) for the protocol and the proof sketch.
///
/// ```
/// # poolqueue::__doc_model(|| {
/// use poolqueue::{EventCount, WaitResult};
///
/// let event = EventCount::new();
/// let waiter = event.prepare_wait(); // ticket first …
/// event.notify_one(); // … so a notify after it is never missed
/// assert_eq!(waiter.wait(), WaitResult::Notified); // returns at once
/// # });
/// ```
pub struct EventCount {
    /// The futex word: bit 0 closed, bits 1.. the notify counter.
    epoch: Futex,
    /// Registered waiters (between `prepare_wait` and the drop of their [`Waiter`]).
    waiters: AtomicU32,
}

/// How a [`Waiter::wait`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WaitResult {
    /// A notify came after the ticket was taken (or the futex returned spuriously after one):
    /// look for work again.
    Notified,
    /// The event is closed: no wait will sleep any more.
    Closed,
    /// The timeout passed with no notify since the ticket.
    TimedOut,
}

/// A ticket from [`EventCount::prepare_wait`]: the thread is registered as a waiter until this
/// is dropped or consumed by [`wait`](Self::wait).
///
/// Dropping it without waiting (because the re-check found work) simply deregisters.
///
/// ```
/// # poolqueue::__doc_model(|| {
/// let event = poolqueue::EventCount::new();
/// let found_work = true;
/// let waiter = event.prepare_wait();
/// if found_work {
///     drop(waiter); // no sleep; the thread is no longer counted as a waiter
/// }
/// # });
/// ```
#[must_use = "a ticket that is neither waited on nor dropped keeps notifies on their slow path"]
pub struct Waiter<'a> {
    event: &'a EventCount,
    /// The epoch word when the ticket was taken.
    key: u32,
}

impl EventCount {
    /// A new, open eventcount with no waiters.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let event = poolqueue::EventCount::new();
    /// assert!(!event.is_closed());
    /// # });
    /// ```
    pub fn new() -> Self {
        EventCount {
            epoch: Futex::new(0),
            waiters: AtomicU32::new(0),
        }
    }

    /// Registers the calling thread as a waiter and takes a ticket. Look for work once more
    /// after this, then call [`Waiter::wait`] only if there is none.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// use poolqueue::{EventCount, WaitResult};
    /// let event = EventCount::new();
    /// let waiter = event.prepare_wait();
    /// event.notify_all();
    /// assert_eq!(waiter.wait(), WaitResult::Notified);
    /// # });
    /// ```
    pub fn prepare_wait(&self) -> Waiter<'_> {
        // Relaxed: ordered by the two SeqCst fences (ordering.md E-prepare-inc).
        self.waiters.fetch_add(1, Ordering::Relaxed);
        // SeqCst: store-load pair with the fence in `has_waiters` (ordering.md E-prepare-fence).
        fence(Ordering::SeqCst);
        // Acquire: pairs with the Release bump and `close` (ordering.md E-prepare-ticket).
        let key = self.epoch.word().load(Ordering::Acquire);
        Waiter { event: self, key }
    }

    /// Wakes one sleeping waiter, if any. Call it after publishing one unit of work.
    ///
    /// With no registered waiter it is a `SeqCst` fence and one load of a word that nobody
    /// writes while nobody waits (no read-modify-write, no shared cache line written).
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let event = poolqueue::EventCount::new();
    /// event.notify_one(); // nobody waits: nothing happens
    /// # });
    /// ```
    #[inline]
    pub fn notify_one(&self) {
        if self.has_waiters() {
            self.notify_slow(false);
        }
    }

    /// Wakes every sleeping waiter. Call it after publishing work for many threads.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let event = poolqueue::EventCount::new();
    /// event.notify_all();
    /// # });
    /// ```
    #[inline]
    pub fn notify_all(&self) {
        if self.has_waiters() {
            self.notify_slow(true);
        }
    }

    /// The notifier's half of the Dekker pattern: is anyone registered?
    #[inline(always)]
    fn has_waiters(&self) -> bool {
        // SeqCst: store-load pair with the fence in `prepare_wait` (ordering.md E-notify-fence).
        fence(Ordering::SeqCst);
        // Relaxed: ordered by the two SeqCst fences (ordering.md E-notify-waiters).
        self.waiters.load(Ordering::Relaxed) != 0
    }

    #[cold]
    #[inline(never)]
    fn notify_slow(&self, all: bool) {
        // Release: pairs with the Acquire ticket loads of waiters (ordering.md E-notify-bump).
        self.epoch.word().fetch_add(EPOCH_ONE, Ordering::Release);
        if all {
            self.epoch.wake_all();
        } else {
            self.epoch.wake_one();
        }
    }

    /// Closes the event: every sleeping waiter wakes and no wait sleeps from now on
    /// ([`WaitResult::Closed`]). Use it to shut workers down. Idempotent.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// use poolqueue::{EventCount, WaitResult};
    /// let event = EventCount::new();
    /// event.close();
    /// assert!(event.is_closed());
    /// assert_eq!(event.prepare_wait().wait(), WaitResult::Closed);
    /// assert_eq!(event.wait_until(|| None::<u8>), None); // never sleeps once closed
    /// # });
    /// ```
    pub fn close(&self) {
        // Release: pairs with the Acquire loads of the word (ordering.md E-close).
        self.epoch.word().fetch_or(CLOSED, Ordering::Release);
        // Unconditional: close is rare, so no need for the waiter count (and its fence).
        self.epoch.wake_all();
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let event = poolqueue::EventCount::new();
    /// assert!(!event.is_closed());
    /// # });
    /// ```
    pub fn is_closed(&self) -> bool {
        // Acquire: pairs with the Release `fetch_or` in `close` (ordering.md E-is-closed).
        self.epoch.word().load(Ordering::Acquire) & CLOSED != 0
    }

    /// Runs `check` until it returns `Some`, sleeping between tries until notified. Returns
    /// `None` only when the event is closed and `check` (run once more after the close was seen)
    /// still finds nothing.
    ///
    /// This is the waiter's side of the protocol in the module docs; `check` must look at
    /// everything a notifier might have published (e.g. try to steal from every queue).
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// use poolqueue::{chain, EventCount};
    /// let event = EventCount::new();
    /// let (mut a, sa) = chain::new::<u8>();
    /// let (mut b, sb) = chain::new::<u8>();
    /// b.push_head_notify(2, &event);
    /// // a worker steals from every queue before it sleeps
    /// assert_eq!(event.wait_until(|| sa.pop_tail().or_else(|| sb.pop_tail())), Some(2));
    /// # let _ = &mut a;
    /// # });
    /// ```
    pub fn wait_until<R>(&self, mut check: impl FnMut() -> Option<R>) -> Option<R> {
        loop {
            if let Some(found) = check() {
                return Some(found);
            }
            let waiter = self.prepare_wait();
            // The re-check after the ticket: without it a notify between the first check and
            // `prepare_wait` would be missed (it saw no waiter, and the ticket is newer).
            if let Some(found) = check() {
                return Some(found);
            }
            if waiter.wait() == WaitResult::Closed {
                return check();
            }
        }
    }

    /// Like [`wait_until`](Self::wait_until), but gives up after `timeout`: returns `None` when
    /// `check` still finds nothing once the timeout passed or the event is closed.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// use std::time::Duration;
    /// let event = poolqueue::EventCount::new();
    /// assert_eq!(event.wait_until_timeout(Duration::from_millis(1), || None::<u8>), None);
    /// # });
    /// ```
    pub fn wait_until_timeout<R>(
        &self,
        timeout: Duration,
        mut check: impl FnMut() -> Option<R>,
    ) -> Option<R> {
        let deadline = Instant::now().checked_add(timeout);
        loop {
            if let Some(found) = check() {
                return Some(found);
            }
            let waiter = self.prepare_wait();
            if let Some(found) = check() {
                return Some(found);
            }
            let result = match deadline {
                Some(deadline) => waiter.wait_deadline(deadline),
                None => waiter.wait(), // a timeout past the clock's range: no timeout
            };
            if result != WaitResult::Notified {
                return check();
            }
        }
    }
}

impl Waiter<'_> {
    /// Sleeps until a notify or [`close`](EventCount::close) that comes after the ticket.
    /// Returns at once if one already came. Deregisters the waiter on return.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// use poolqueue::{EventCount, WaitResult};
    /// let event = EventCount::new();
    /// let waiter = event.prepare_wait();
    /// event.close();
    /// assert_eq!(waiter.wait(), WaitResult::Closed);
    /// # });
    /// ```
    pub fn wait(self) -> WaitResult {
        loop {
            if let Some(result) = self.moved() {
                return result;
            }
            // Sleeps only while the word still equals the ticket (the kernel compares
            // atomically); a spurious return goes round the loop.
            self.event.epoch.wait(self.key);
        }
    }

    /// Like [`wait`](Self::wait), for at most `timeout`.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// use poolqueue::{EventCount, WaitResult};
    /// use std::time::Duration;
    /// let event = EventCount::new();
    /// let waiter = event.prepare_wait();
    /// assert_eq!(waiter.wait_timeout(Duration::from_micros(50)), WaitResult::TimedOut);
    /// # });
    /// ```
    pub fn wait_timeout(self, timeout: Duration) -> WaitResult {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => self.wait_deadline(deadline),
            None => self.wait(),
        }
    }

    /// Like [`wait`](Self::wait), until `deadline` at the latest.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// use poolqueue::{EventCount, WaitResult};
    /// use std::time::Instant;
    /// let event = EventCount::new();
    /// let waiter = event.prepare_wait();
    /// event.notify_one();
    /// assert_eq!(waiter.wait_deadline(Instant::now()), WaitResult::Notified);
    /// # });
    /// ```
    pub fn wait_deadline(self, deadline: Instant) -> WaitResult {
        loop {
            if let Some(result) = self.moved() {
                return result;
            }
            if self.event.epoch.wait_until(self.key, deadline) {
                // One last look: a notify that raced the timeout still counts.
                return self.moved().unwrap_or(WaitResult::TimedOut);
            }
        }
    }

    /// `Some` once the word moved past the ticket.
    #[inline]
    fn moved(&self) -> Option<WaitResult> {
        // Acquire: pairs with the Release bump and `close` (ordering.md E-moved).
        let now = self.event.epoch.word().load(Ordering::Acquire);
        if now & CLOSED != 0 {
            Some(WaitResult::Closed)
        } else if now != self.key {
            Some(WaitResult::Notified)
        } else {
            None
        }
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        // Relaxed: a stale count only costs a wake-up in vain (ordering.md E-waiter-drop).
        self.event.waiters.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Default for EventCount {
    fn default() -> Self {
        EventCount::new()
    }
}

impl fmt::Debug for EventCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Relaxed: a snapshot for display only (ordering.md E-fmt).
        let word = self.epoch.word().load(Ordering::Relaxed);
        f.debug_struct("EventCount")
            .field("closed", &(word & CLOSED != 0))
            .field("epoch", &(word >> 1))
            // Relaxed: a snapshot for display only (ordering.md E-fmt).
            .field("waiters", &self.waiters.load(Ordering::Relaxed))
            .finish()
    }
}

impl fmt::Debug for Waiter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Waiter")
            .field("ticket", &(self.key >> 1))
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(any(feature = "loom", feature = "shuttle"))))]
mod tests {
    use super::*;
    use crate::watchdog::watchdog;
    use std::sync::Arc;
    use std::thread;

    const fn assert_send_sync<T: Send + Sync>() {}
    const _: () = assert_send_sync::<EventCount>();

    /// Each test's bound: a lost wake-up, a close that wakes nobody or a timed wait that never
    /// times out fails the test with a message instead of hanging it.
    const LIMIT: Duration = Duration::from_secs(20);

    #[test]
    fn notify_before_ticket_does_not_count() {
        watchdog(LIMIT, "a timed wait after an earlier notify", || {
            let event = EventCount::new();
            event.notify_one();
            let waiter = event.prepare_wait();
            assert_eq!(
                waiter.wait_timeout(Duration::from_millis(5)),
                WaitResult::TimedOut
            );
            // Relaxed: a test's own thread reads its own decrement (ordering.md E-test).
            assert_eq!(event.waiters.load(Ordering::Relaxed), 0);
        });
    }

    #[test]
    fn sleeper_is_woken_by_a_later_notify() {
        watchdog(LIMIT, "a sleeper woken by a later notify", || {
            let event = Arc::new(EventCount::new());
            let (owner, stealer) = crate::chain::new::<u32>();
            let sleeper = {
                let event = event.clone();
                thread::spawn(move || stealer.pop_tail_wait(&event))
            };
            // Wait until the sleeper registered, so the push takes the notify's slow path.
            // Relaxed: a test's progress poll; orders nothing (ordering.md E-test).
            while event.waiters.load(Ordering::Relaxed) == 0 {
                thread::yield_now();
            }
            owner.push_head_notify(9, &event);
            assert_eq!(sleeper.join().unwrap(), Some(9));
        });
    }

    #[test]
    fn timed_wait_times_out_then_close_wakes() {
        watchdog(LIMIT, "a timed wait, then sleepers woken by close", || {
            let event = Arc::new(EventCount::new());
            let start = Instant::now();
            assert_eq!(
                event.wait_until_timeout(Duration::from_millis(20), || None::<()>),
                None
            );
            assert!(start.elapsed() >= Duration::from_millis(20));
            let sleepers: Vec<_> = (0..3)
                .map(|_| {
                    let event = event.clone();
                    thread::spawn(move || event.wait_until(|| None::<()>))
                })
                .collect();
            // Relaxed: a test's progress poll; orders nothing (ordering.md E-test).
            while event.waiters.load(Ordering::Relaxed) < 3 {
                thread::yield_now();
            }
            event.close();
            for s in sleepers {
                assert_eq!(s.join().unwrap(), None);
            }
        });
    }
}
