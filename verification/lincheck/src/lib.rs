//! A linearizability checker for histories of the deque operations.
//!
//! A *history* is a list of completed [`Call`]s: which thread called which operation, what it
//! returned, and two stamps, taken just before the call (`invoke`) and just after it returned
//! (`response`). [`check`] searches for a *linearization*: one total order of the calls that
//! respects real time (a call whose response precedes another's invocation comes first) and in
//! which every call returns what the sequential specification says it returns.
//!
//! # The sequential specification
//!
//! The model is a double-ended queue of value identities (`u64`), bounded by the ring capacity
//! ([`Spec::Bounded`], the `dequeue`) or unbounded ([`Spec::Unbounded`], the `chain`):
//!
//! - `push_head(v)` appends `v` at the head and returns [`Ret::Pushed`]. On a bounded ring it may
//!   instead return [`Ret::Full`], but only when the model is full **or** the slot the push
//!   targets is still *held*: a `pop_tail` that emptied that slot has claimed its value but has
//!   not handed the slot back yet (Go's ring has the same "full while the tail is still being
//!   cleaned up"). In the model a push into a held slot must report full; since a release may
//!   be placed anywhere between its claim and its response, the held state only ever widens
//!   when "full" is allowed (an overwrite of a slot being read shows up in the values popped).
//!   On an unbounded chain a push never fails.
//! - `pop_head()` removes and returns the newest value (LIFO), `pop_tail()` the oldest (FIFO).
//!   Either returns [`Ret::Empty`] only when the model is empty at its linearization point.
//!
//! Batches: on a bounded ring, `push_head_batch` of `n` values returning `k` is `k`
//! `push_head`s in a row at one step; if `k < n` it also needs an earlier step at which the ring
//! was full counting those `k` (or the next slot was held): the ring decides to stop at a load
//! before its publishing read-modify-write. On an unbounded chain it pushes all `n`, in order,
//! but in as many steps as the rings it fills (one publishing read-modify-write per ring), so
//! the model pushes its values one step at a time, in order, with other calls free to
//! linearize between two of them. `pop_head_batch(max)` is exactly `min(max, len)` `pop_head`s in
//! a row, newest first. A batch steal (limit `l`) is `k` `pop_tail`s in a row with
//! `1 <= k <= min(ceil(len / 2), l)` (`k = 0` only when empty), each slot held until released.
//!
//! A worker ([`Spec::Worker`]) is the unbounded deque with a *publication* boundary: its
//! oldest `published` values are in the chain, the newer ones in the owner's private buffer of
//! `k` values. `pop_head` takes the newest value (private ones first); `pop_tail` and a batch
//! steal take only published values and may find nothing while private values exist. The
//! publication step moves the oldest private values across the boundary, at the linearization
//! point of the owner call that publishes: a push into a full buffer publishes `⌈k / 2⌉` first,
//! `flush` publishes all, and an owner push or pop that holds `m >= 2` private values while a
//! request is pending *may* publish `⌊m / 2⌋` (the owner answers when its load of the flag
//! sees the request, which the history cannot tell, so the search tries both). Any publication
//! clears the request, at some instant between the call's invocation and its publication, so a
//! request raised after the invocation survives it. A steal that finds nothing raises the
//! request in a step of its own, placed anywhere between its linearization point and its
//! response (the flag is stored after the look).
//!
//! A `pop_tail` therefore has two atomic steps in the model: the *claim* (its linearization point,
//! where it takes the value) and the *release* of the slot, somewhere between the claim and its
//! response. The checker places both.
//!
//! # Algorithm
//!
//! Wing & Gong's search with Lowe's memoisation. The invocation and response events are sorted by
//! stamp (invocations first on a tie, so equal stamps count as overlapping). Walking the events,
//! invocations are passed at once; before the response of a call that is not yet linearized, the
//! search linearizes some open call (invoked, not linearized) whose result the model agrees with,
//! or releases a held slot, and backtracks when it gets stuck. A state is the position in the
//! events, the set of linearized calls, the held slots and the model's contents; a state already
//! explored is never explored again, which keeps the search polynomial in practice for histories
//! of a few hundred calls with a handful of threads. The search is iterative (no recursion), so it
//! also runs on the small stacks of model-checker threads.
//!
//! # Recording histories without adding synchronization
//!
//! Stamps must not create the ordering they observe. Under shuttle every simulated thread runs on
//! one OS thread and every atomic is sequentially consistent, so a plain std counter
//! ([`StepClock`]) gives the true execution order and is invisible to the model. On real threads,
//! [`WallClock`] reads the monotonic clock: a stamp taken after one call returned that is smaller
//! than a stamp taken before another call started proves real-time order, and reading the clock
//! synchronizes nothing. Under a weak-memory model (loom, Miri) there is no real time: a relaxed
//! load may return a stale value however late it runs, so "precedes" must mean "happens before",
//! which [`HbClock`] records (see its caveat).
//!
//! ```
//! use lincheck::{check, Call, Op, Ret, Spec};
//! let call = |thread, op, ret, invoke, response| Call { thread, op, ret, invoke, response };
//! // The owner pushes 1 and 2; a stealer's pop_tail overlaps the pushes and takes 1.
//! let history = [
//!     call(0, Op::PushHead(1), Ret::Pushed, 0, 1),
//!     call(0, Op::PushHead(2), Ret::Pushed, 2, 3),
//!     call(1, Op::PopTail, Ret::Popped(1), 0, 4),
//! ];
//! assert!(check(Spec::Bounded { capacity: 2 }, &history).is_ok());
//! // A pop_head that returns the oldest value is not linearizable.
//! let lifo_broken = [
//!     call(0, Op::PushHead(1), Ret::Pushed, 0, 1),
//!     call(0, Op::PushHead(2), Ret::Pushed, 2, 3),
//!     call(0, Op::PopHead, Ret::Popped(1), 4, 5),
//! ];
//! assert!(check(Spec::Unbounded, &lifo_broken).is_err());
//! ```

pub mod identity;

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// An operation on the deque; values are identified by a `u64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// The owner pushes the value with this identity at the head.
    PushHead(u64),
    /// The owner pops at the head.
    PopHead,
    /// A stealer pops at the tail.
    PopTail,
    /// The owner's `push_head_batch` of the `n` values `first, first + 1, ...`, in that order.
    PushHeadBatch {
        /// The identity of the first value.
        first: u64,
        /// How many values the iterator offered.
        n: u32,
    },
    /// The owner's `pop_head_batch` of at most this many values.
    PopHeadBatch(u32),
    /// A stealer's batch steal of at most this many values (`steal_batch_with_limit`, or
    /// `steal_batch_and_pop` with the popped value first); the thief's destination always has
    /// room for half the source, so the destination never limits it.
    StealBatch(u32),
    /// A worker owner's `flush` (every private value published).
    Flush,
}

/// The most values a batch call of a checked history may move.
pub const MAX_BATCH: usize = 64;

/// The identities a batch call returned, in the order the specification gives them (newest
/// first for `pop_head_batch`, oldest first for a steal). `Copy`, so [`Call`] stays `Copy`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ids {
    len: u8,
    ids: [u64; MAX_BATCH],
}

impl Ids {
    /// # Panics
    /// If `ids` holds more than [`MAX_BATCH`] values.
    pub fn new(ids: &[u64]) -> Self {
        assert!(
            ids.len() <= MAX_BATCH,
            "a checked batch moves at most {MAX_BATCH} values"
        );
        let mut out = Ids {
            len: ids.len() as u8,
            ids: [0; MAX_BATCH],
        };
        out.ids[..ids.len()].copy_from_slice(ids);
        out
    }

    /// The identities.
    pub fn as_slice(&self) -> &[u64] {
        &self.ids[..self.len as usize]
    }
}

impl fmt::Debug for Ids {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

/// What an operation returned.
// `Taken` holds its ids inline so that `Call` stays `Copy` for the search; histories are a few
// hundred calls, so the size is of no concern.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ret {
    /// `push_head` stored the value.
    Pushed,
    /// `push_head` handed the value back.
    Full,
    /// A pop returned the value with this identity.
    Popped(u64),
    /// A pop returned `None`.
    Empty,
    /// `push_head_batch` pushed this many values (the first ones offered).
    PushedN(u32),
    /// A batch pop or steal took these values (possibly none).
    Taken(Ids),
    /// A call with no result (`flush`) returned.
    Done,
}

/// One completed call of a history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call {
    /// The calling thread (any label; calls of one thread must not overlap).
    pub thread: usize,
    /// The operation.
    pub op: Op,
    /// Its result.
    pub ret: Ret,
    /// Stamp taken just before the call.
    pub invoke: u64,
    /// Stamp taken just after the call returned; `invoke <= response`.
    pub response: u64,
}

/// Which sequential specification a history is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spec {
    /// A `dequeue` ring of `capacity` slots: pushes may report full (see the module docs).
    Bounded {
        /// The ring's capacity.
        capacity: usize,
    },
    /// A `chain`: pushes never fail.
    Unbounded,
    /// A `worker` whose owner keeps up to `private` values private (module docs).
    Worker {
        /// Its `k`.
        private: usize,
    },
}

/// A source of stamps for [`Call::invoke`] and [`Call::response`].
pub trait Clock {
    /// The current stamp; never smaller than a stamp returned earlier (on any thread) in real
    /// time.
    fn now(&self) -> u64;
}

/// A counter for model checkers (shuttle, loom, byte-scheduled fuzzing), whose simulated threads
/// all run on one OS thread: the counter is a plain std atomic, so it orders nothing in the model.
#[derive(Debug, Default)]
pub struct StepClock(AtomicU64);

impl StepClock {
    /// A counter starting at 0.
    pub fn new() -> Self {
        StepClock::default()
    }
}

impl Clock for StepClock {
    fn now(&self) -> u64 {
        // Relaxed: the simulated threads share one OS thread, so program order on that thread is
        // the execution order; the counter only numbers the steps.
        self.0.fetch_add(1, Ordering::Relaxed)
    }
}

/// A shared counter bumped with acquire-release read-modify-writes, for checkers of the C11
/// memory model itself (loom, Miri), where "real time" is not defined and a relaxed load may
/// legally return an old value long after a newer store. Linearizability there orders a call
/// before another only if its response *happens before* the other's invocation, and this clock
/// gives exactly that: a stamp smaller than another was taken by a read-modify-write that the
/// later one reads from (through the counter's release sequence), so it synchronizes with it.
///
/// The price: every stamp synchronizes with every earlier stamp, so the threads are less
/// unsynchronized than in production, and an ordering bug that needs them fully unsynchronized
/// can hide. Use [`StepClock`] under shuttle (sequentially consistent, nothing to hide) and
/// [`WallClock`] on hardware.
#[derive(Debug)]
pub struct HbClock(AtomicU64);

impl HbClock {
    /// A counter starting at 0 (a std atomic: for real threads and Miri; loom would need its own).
    pub fn new() -> Self {
        HbClock(AtomicU64::new(0))
    }
}

impl Default for HbClock {
    fn default() -> Self {
        HbClock::new()
    }
}

impl Clock for HbClock {
    fn now(&self) -> u64 {
        // AcqRel: each stamp reads from the previous one (read-modify-writes extend the release
        // sequence), so a call stamped earlier happens before a call stamped later.
        self.0.fetch_add(1, Ordering::AcqRel)
    }
}

/// Nanoseconds on the monotonic clock since a shared origin, for histories on real threads.
#[derive(Clone, Copy, Debug)]
pub struct WallClock(Instant);

impl WallClock {
    /// A clock whose origin is now; copy it to every thread of the history.
    pub fn new() -> Self {
        WallClock(Instant::now())
    }
}

impl Default for WallClock {
    fn default() -> Self {
        WallClock::new()
    }
}

impl Clock for WallClock {
    fn now(&self) -> u64 {
        self.0.elapsed().as_nanos() as u64
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> u64 {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> u64 {
        (**self).now()
    }
}

/// The calls of one thread, stamped by a shared clock.
#[derive(Debug)]
pub struct Log<C: Clock> {
    clock: C,
    thread: usize,
    calls: Vec<Call>,
}

impl<C: Clock> Log<C> {
    /// An empty log for `thread`.
    pub fn new(clock: C, thread: usize) -> Self {
        Log {
            clock,
            thread,
            calls: Vec::new(),
        }
    }

    /// Runs `f` (one operation, returning its result) between two stamps and records it.
    pub fn call(&mut self, op: Op, f: impl FnOnce() -> Ret) -> Ret {
        let invoke = self.clock.now();
        let ret = f();
        let response = self.clock.now();
        self.calls.push(Call {
            thread: self.thread,
            op,
            ret,
            invoke,
            response,
        });
        ret
    }

    /// The calls recorded so far.
    pub fn calls(&self) -> &[Call] {
        &self.calls
    }

    /// The recorded calls.
    pub fn into_calls(self) -> Vec<Call> {
        self.calls
    }
}

/// Figures about a successful check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checked {
    /// Calls in the history.
    pub calls: usize,
    /// Search states explored.
    pub states: usize,
}

/// Why a history was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No linearization exists.
    NotLinearizable,
    /// The history itself is inconsistent (a response before its invocation, overlapping calls
    /// on one thread, a result that does not fit the operation).
    Malformed,
    /// The search gave up after [`STATE_LIMIT`] states; nothing was proved either way.
    SearchLimit,
}

/// The most search states [`check`] explores before giving up with [`Failure::SearchLimit`].
pub const STATE_LIMIT: usize = 2_000_000;

/// A rejected history, with enough context to read the failure.
#[derive(Clone, Debug)]
pub struct Violation {
    /// What went wrong.
    pub failure: Failure,
    /// A sentence about where.
    pub detail: String,
    /// The specification checked against.
    pub spec: Spec,
    /// The history, sorted by invocation.
    pub history: Vec<Call>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:?} against {:?}: {}",
            self.failure, self.spec, self.detail
        )?;
        writeln!(f, "history ({} calls, by invocation):", self.history.len())?;
        for (i, c) in self.history.iter().enumerate() {
            writeln!(
                f,
                "  #{i:<4} thread {:<2} [{:>8} ..{:>8}] {:?} -> {:?}",
                c.thread, c.invoke, c.response, c.op, c.ret
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Violation {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    Invoke(usize),
    Response(usize),
}

/// A search state (see the module docs).
#[derive(Clone, Debug)]
struct State {
    /// Index of the next event to pass.
    pos: usize,
    /// Bit set of linearized calls.
    done: Vec<u64>,
    /// Claimed `pop_tail` calls whose slot is not released yet: `(call, slot)`, sorted by call.
    held: Vec<(usize, u64)>,
    /// The model's values, oldest first.
    items: VecDeque<u64>,
    /// The absolute position of the oldest value (its slot is `tail % capacity`).
    tail: u64,
    /// How many calls are linearized.
    count: usize,
    /// Batch pushes that stopped early and whose stop is already justified (see `justify`),
    /// not yet linearized; sorted.
    justified: Vec<usize>,
    /// Unbounded batch pushes under way: `(call, values pushed so far)`, sorted by call.
    partial: Vec<(usize, u32)>,
    /// A worker's published values: the oldest `published` of `items`.
    published: u64,
    /// A worker's request is pending.
    asked: bool,
    /// The event position at which the latest request was raised (0: none yet).
    raised_at: usize,
    /// Worker steals that found nothing and have not raised their request yet; sorted.
    raising: Vec<usize>,
}

impl State {
    fn is_done(&self, c: usize) -> bool {
        self.done[c / 64] & (1 << (c % 64)) != 0
    }

    fn is_held(&self, c: usize) -> bool {
        self.held.iter().any(|&(h, _)| h == c) || self.raising.binary_search(&c).is_ok()
    }

    fn key(&self, capacity: Option<u64>) -> Vec<u64> {
        let mut k =
            Vec::with_capacity(4 + self.done.len() + 2 * self.held.len() + self.items.len());
        k.push(self.pos as u64);
        k.extend_from_slice(&self.done);
        k.push(self.justified.len() as u64);
        k.extend(self.justified.iter().map(|&c| c as u64));
        k.push(self.partial.len() as u64);
        for &(c, pushed) in &self.partial {
            k.push(c as u64);
            k.push(u64::from(pushed));
        }
        k.push(self.held.len() as u64);
        for &(c, slot) in &self.held {
            k.push(c as u64);
            k.push(slot);
        }
        k.push(capacity.map_or(0, |cap| self.tail % cap));
        k.push(self.published);
        k.push(u64::from(self.asked));
        k.push(self.raised_at as u64);
        k.push(self.raising.len() as u64);
        k.extend(self.raising.iter().map(|&c| c as u64));
        k.extend(self.items.iter().copied());
        k
    }

    /// Applies call `c` to the model if its recorded result is what the model returns.
    fn apply(&mut self, capacity: Option<u64>, c: usize, call: &Call) -> bool {
        let len = self.items.len() as u64;
        let head_slot_held = |s: &State| {
            capacity.is_some_and(|cap| {
                let slot = (s.tail + len) % cap;
                s.held.iter().any(|&(_, h)| h == slot)
            })
        };
        match (call.op, call.ret) {
            (Op::PushHead(v), Ret::Pushed) => {
                if capacity.is_some_and(|cap| len >= cap) || head_slot_held(self) {
                    return false;
                }
                self.items.push_back(v);
            }
            (Op::PushHead(_), Ret::Full) => {
                let full = capacity.is_some_and(|cap| len >= cap) || head_slot_held(self);
                if !full {
                    return false;
                }
            }
            (Op::PopHead, Ret::Popped(v)) => {
                if self.items.back() != Some(&v) {
                    return false;
                }
                self.items.pop_back();
            }
            (Op::PopTail, Ret::Popped(v)) => {
                if self.items.front() != Some(&v) {
                    return false;
                }
                self.items.pop_front();
                if let Some(cap) = capacity {
                    let at = self.held.partition_point(|&(h, _)| h < c);
                    self.held.insert(at, (c, self.tail % cap));
                }
                self.tail += 1;
            }
            (Op::PopHead | Op::PopTail, Ret::Empty) => {
                if !self.items.is_empty() {
                    return false;
                }
            }
            // On a chain, a batch push of all `n` values, one value per step (module docs); the
            // call is linearized with its last value.
            (Op::PushHeadBatch { first, n }, Ret::PushedN(k)) if capacity.is_none() => {
                if k != n {
                    return false;
                }
                let at = self.partial.partition_point(|&(p, _)| p < c);
                let pushed = match self.partial.get(at) {
                    Some(&(p, pushed)) if p == c => pushed,
                    _ => {
                        self.partial.insert(at, (c, 0));
                        0
                    }
                };
                if pushed < k {
                    self.items.push_back(first + u64::from(pushed));
                }
                if pushed + 1 < k {
                    self.partial[at].1 = pushed + 1;
                    return true;
                }
                self.partial.remove(at);
            }
            // A batch push: `k` pushes in a row, each into a free, unheld slot; it stops early
            // only at a full ring or a held slot.
            (Op::PushHeadBatch { first, n }, Ret::PushedN(k)) => {
                if k > n {
                    return false;
                }
                let blocked = |s: &State, at: u64| {
                    capacity.is_some_and(|cap| {
                        at >= cap || s.held.iter().any(|&(_, h)| h == (s.tail + at) % cap)
                    })
                };
                for i in 0..u64::from(k) {
                    if blocked(self, len + i) {
                        return false;
                    }
                }
                if k < n {
                    // The early stop must have been justified at an earlier step (`justify`).
                    match self.justified.binary_search(&c) {
                        Ok(i) => {
                            self.justified.remove(i);
                        }
                        Err(_) => return false,
                    }
                }
                self.items.extend((0..u64::from(k)).map(|i| first + i));
            }
            // A batch pop: exactly `min(max, len)` pops at the head in a row, newest first.
            (Op::PopHeadBatch(max), Ret::Taken(ids)) => {
                let ids = ids.as_slice();
                if ids.len() as u64 != u64::from(max).min(len) {
                    return false;
                }
                if !ids
                    .iter()
                    .rev()
                    .eq(self.items.iter().skip(len as usize - ids.len()))
                {
                    return false;
                }
                self.items.truncate(len as usize - ids.len());
            }
            // A batch steal: `k` pops at the tail in a row, `1 <= k <= min(ceil(len/2), limit)`
            // (none only when empty), each slot held until released.
            (Op::StealBatch(limit), Ret::Taken(ids)) => {
                let ids = ids.as_slice();
                let k = ids.len() as u64;
                let most = (len - len / 2).min(u64::from(limit));
                if (len > 0 && limit > 0 && k == 0) || k > most {
                    return false;
                }
                if !ids.iter().eq(self.items.iter().take(ids.len())) {
                    return false;
                }
                for _ in 0..k {
                    self.items.pop_front();
                    if let Some(cap) = capacity {
                        let at = self.held.partition_point(|&(h, _)| h <= c);
                        self.held.insert(at, (c, self.tail % cap));
                    }
                    self.tail += 1;
                }
            }
            _ => return false,
        }
        self.done[c / 64] |= 1 << (c % 64);
        self.count += 1;
        true
    }
}

impl State {
    /// The worker's private values.
    fn private(&self) -> u64 {
        self.items.len() as u64 - self.published
    }

    /// A publication step of an owner call invoked at event `invoked`: the `n` oldest private
    /// values join the published ones. The call cleared the request before it published, at
    /// some instant after its invocation; a request raised since then may have come after the
    /// clear, so it stays (the permissive choice, which accepts every real order).
    fn publish(&mut self, n: u64, invoked: usize) {
        if n > 0 {
            if self.raised_at <= invoked {
                self.asked = false;
            }
            self.published += n;
        }
    }

    /// A worker steal found nothing published: its request is raised in a later step.
    fn will_raise(&mut self, k: u64, c: usize) {
        if k > 0 {
            let at = self.raising.partition_point(|&r| r < c);
            self.raising.insert(at, c);
        }
    }

    /// Applies call `c` to a worker with private capacity `k`; with `answer`, the owner call
    /// also answers a pending request (only allowed when one is pending and it holds two or more
    /// private values at that point).
    fn apply_worker(
        &mut self,
        k: u64,
        (c, invoked): (usize, usize),
        call: &Call,
        answer: bool,
    ) -> bool {
        let answerable = |s: &State, private: u64| s.asked && private >= 2;
        match (call.op, call.ret) {
            (Op::PushHead(v), Ret::Pushed) => {
                if self.private() == k {
                    if k == 0 {
                        self.items.push_back(v);
                        self.published += 1;
                        return !answer && self.mark(c);
                    }
                    self.publish(k - k / 2, invoked);
                }
                self.items.push_back(v);
                if answer {
                    if !answerable(self, self.private()) {
                        return false;
                    }
                    self.publish(self.private() / 2, invoked);
                }
            }
            (Op::PopHead, Ret::Empty) => {
                if answer || !self.items.is_empty() {
                    return false;
                }
            }
            (Op::PopHead, Ret::Popped(v)) => {
                let private = self.private();
                if private == 0 {
                    if answer || self.items.back() != Some(&v) {
                        return false;
                    }
                    self.published -= 1;
                    self.items.pop_back();
                } else {
                    if answer {
                        if !answerable(self, private) {
                            return false;
                        }
                        self.publish(private / 2, invoked);
                    }
                    if self.items.back() != Some(&v) {
                        return false;
                    }
                    self.items.pop_back();
                }
            }
            (Op::PopTail, Ret::Popped(v)) => {
                if answer || self.published == 0 || self.items.front() != Some(&v) {
                    return false;
                }
                self.items.pop_front();
                self.published -= 1;
            }
            (Op::PopTail, Ret::Empty) => {
                if answer || self.published > 0 {
                    return false;
                }
                self.will_raise(k, c);
            }
            (Op::StealBatch(limit), Ret::Taken(ids)) => {
                let ids = ids.as_slice();
                let n = ids.len() as u64;
                let most = (self.published - self.published / 2).min(u64::from(limit));
                if answer || (self.published > 0 && limit > 0 && n == 0) || n > most {
                    return false;
                }
                if !ids.iter().eq(self.items.iter().take(ids.len())) {
                    return false;
                }
                self.items.drain(..ids.len());
                self.published -= n;
                if n == 0 && limit > 0 {
                    self.will_raise(k, c);
                }
            }
            (Op::Flush, Ret::Done) => {
                if answer {
                    return false;
                }
                self.publish(self.private(), invoked);
            }
            _ => return false,
        }
        self.mark(c)
    }

    /// Marks call `c` linearized.
    fn mark(&mut self, c: usize) -> bool {
        self.done[c / 64] |= 1 << (c % 64);
        self.count += 1;
        true
    }

    /// The first step of a batch push that stopped early (`PushedN(k)` with `k < n`): the
    /// ring decides to stop at a load *before* the publishing read-modify-write, so the stop
    /// is a step of its own: at some instant before the push takes effect, the values in the
    /// ring plus the `k` it is pushing filled the ring, or the slot after them was held.
    fn justify(&mut self, capacity: Option<u64>, c: usize, call: &Call) -> bool {
        let (Op::PushHeadBatch { n, .. }, Ret::PushedN(k)) = (call.op, call.ret) else {
            return false;
        };
        let Some(cap) = capacity else { return false };
        if k >= n || self.justified.binary_search(&c).is_ok() {
            return false;
        }
        let at = self.items.len() as u64 + u64::from(k);
        let held = self.held.iter().any(|&(_, h)| h == (self.tail + at) % cap);
        if at < cap && !held {
            return false;
        }
        let i = self.justified.partition_point(|&j| j < c);
        self.justified.insert(i, c);
        true
    }
}

/// Checks that `history` is linearizable with respect to `spec`.
///
/// # Errors
/// A [`Violation`]: no linearization exists, the history is malformed, or the search hit
/// [`STATE_LIMIT`].
pub fn check(spec: Spec, history: &[Call]) -> Result<Checked, Violation> {
    let mut calls = history.to_vec();
    calls.sort_by_key(|c| (c.invoke, c.response, c.thread));
    let violation = |failure, detail: String, calls: &[Call]| Violation {
        failure,
        detail,
        spec,
        history: calls.to_vec(),
    };
    let capacity = match spec {
        Spec::Bounded { capacity } => Some(capacity as u64),
        Spec::Unbounded | Spec::Worker { .. } => None,
    };
    let worker = match spec {
        Spec::Worker { private } => Some(private as u64),
        _ => None,
    };

    // Well-formedness.
    for (i, c) in calls.iter().enumerate() {
        if c.invoke > c.response {
            return Err(violation(
                Failure::Malformed,
                format!("call #{i} responds before it is invoked"),
                &calls,
            ));
        }
        let fits = match worker {
            // The worker's calls: no batch push or pop, and `flush`.
            Some(_) => matches!(
                (c.op, c.ret),
                (Op::PushHead(_), Ret::Pushed)
                    | (Op::PopHead | Op::PopTail, Ret::Popped(_) | Ret::Empty)
                    | (Op::StealBatch(_), Ret::Taken(_))
                    | (Op::Flush, Ret::Done)
            ),
            None => matches!(
                (c.op, c.ret),
                (Op::PushHead(_), Ret::Pushed | Ret::Full)
                    | (Op::PopHead | Op::PopTail, Ret::Popped(_) | Ret::Empty)
                    | (Op::PushHeadBatch { .. }, Ret::PushedN(_))
                    | (Op::PopHeadBatch(_) | Op::StealBatch(_), Ret::Taken(_))
            ),
        };
        if !fits || (capacity.is_none() && c.ret == Ret::Full) {
            return Err(violation(
                Failure::Malformed,
                format!(
                    "call #{i}: {:?} cannot return {:?} under {spec:?}",
                    c.op, c.ret
                ),
                &calls,
            ));
        }
    }
    let mut threads: Vec<usize> = calls.iter().map(|c| c.thread).collect();
    threads.sort_unstable();
    threads.dedup();
    for t in threads {
        let mut last: Option<(usize, &Call)> = None;
        for (i, c) in calls.iter().enumerate().filter(|(_, c)| c.thread == t) {
            if let Some((j, prev)) = last {
                if prev.response > c.invoke {
                    return Err(violation(
                        Failure::Malformed,
                        format!("calls #{j} and #{i} of thread {t} overlap"),
                        &calls,
                    ));
                }
            }
            last = Some((i, c));
        }
    }

    let mut events: Vec<(u64, u8, usize)> = Vec::with_capacity(2 * calls.len());
    for (i, c) in calls.iter().enumerate() {
        events.push((c.invoke, 0, i));
        events.push((c.response, 1, i));
    }
    events.sort_unstable();
    let mut invoked_at = vec![0; calls.len()];
    let mut responds_at = vec![0; calls.len()];
    let events: Vec<Event> = events
        .iter()
        .enumerate()
        .map(|(pos, &(_, kind, c))| {
            if kind == 0 {
                invoked_at[c] = pos;
                Event::Invoke(c)
            } else {
                responds_at[c] = pos;
                Event::Response(c)
            }
        })
        .collect();

    let mut stack = vec![State {
        pos: 0,
        done: vec![0; calls.len().div_ceil(64)],
        held: Vec::new(),
        justified: Vec::new(),
        partial: Vec::new(),
        published: 0,
        asked: false,
        raised_at: 0,
        raising: Vec::new(),
        items: VecDeque::new(),
        tail: 0,
        count: 0,
    }];
    let mut seen: HashSet<Vec<u64>> = HashSet::new();
    let mut deepest = (0usize, 0usize); // (linearized calls, stuck before event)
    while let Some(mut state) = stack.pop() {
        // Pass invocations, and responses of calls that are linearized and released: neither
        // changes what can happen next.
        loop {
            match events.get(state.pos) {
                None => {
                    return Ok(Checked {
                        calls: calls.len(),
                        states: seen.len(),
                    })
                }
                Some(&Event::Invoke(_)) => state.pos += 1,
                Some(&Event::Response(c)) if state.is_done(c) && !state.is_held(c) => {
                    state.pos += 1
                }
                Some(&Event::Response(_)) => break,
            }
        }
        if state.count > deepest.0 || (state.count == deepest.0 && state.pos > deepest.1) {
            deepest = (state.count, state.pos);
        }
        if !seen.insert(state.key(capacity)) {
            continue;
        }
        if seen.len() > STATE_LIMIT {
            return Err(violation(
                Failure::SearchLimit,
                format!("gave up after {STATE_LIMIT} states"),
                &calls,
            ));
        }
        let Event::Response(due) = events[state.pos] else {
            unreachable!("the loop above stops only at a response")
        };
        // Releases of held slots (any order), then linearizations of open calls; the call whose
        // response is due goes last so that it is explored first.
        for i in 0..state.held.len() {
            let mut next = state.clone();
            next.held.remove(i);
            stack.push(next);
        }
        // A worker steal's request, raised (any order).
        for i in 0..state.raising.len() {
            let mut next = state.clone();
            next.raising.remove(i);
            next.asked = true;
            next.raised_at = state.pos;
            stack.push(next);
        }
        let open = (0..calls.len())
            .filter(|&c| c != due && invoked_at[c] < state.pos && responds_at[c] >= state.pos);
        for c in open.chain((!state.is_done(due)).then_some(due)) {
            if state.is_done(c) {
                continue;
            }
            if let Some(k) = worker {
                for answer in [true, false] {
                    let mut next = state.clone();
                    if next.apply_worker(k, (c, invoked_at[c]), &calls[c], answer) {
                        stack.push(next);
                    }
                }
                continue;
            }
            let mut next = state.clone();
            if next.justify(capacity, c, &calls[c]) {
                stack.push(next);
            }
            let mut next = state.clone();
            if next.apply(capacity, c, &calls[c]) {
                stack.push(next);
            }
        }
    }
    let (linearized, stuck) = deepest;
    let detail = match events.get(stuck) {
        Some(&Event::Response(c)) => format!(
            "at best {linearized} of {} calls linearize; stuck before the response of #{c} \
             (thread {}, {:?} -> {:?})",
            calls.len(),
            calls[c].thread,
            calls[c].op,
            calls[c].ret
        ),
        _ => format!("at best {linearized} of {} calls linearize", calls.len()),
    };
    Err(violation(Failure::NotLinearizable, detail, &calls))
}

#[cfg(test)]
mod tests {
    use super::*;

    use Op::*;
    use Ret::*;

    fn c(thread: usize, op: Op, ret: Ret, invoke: u64, response: u64) -> Call {
        Call {
            thread,
            op,
            ret,
            invoke,
            response,
        }
    }

    const RING2: Spec = Spec::Bounded { capacity: 2 };

    fn rejects(spec: Spec, h: &[Call]) -> Failure {
        let v = check(spec, h).expect_err("history must be rejected");
        // The report names the history.
        assert!(v.to_string().contains("history"));
        v.failure
    }

    fn taken(ids: &[u64]) -> Ret {
        Taken(Ids::new(ids))
    }

    #[test]
    fn worker_publication_steps() {
        let w2 = Spec::Worker { private: 2 };
        // Overflow: the third push publishes the oldest one (⌈2 / 2⌉).
        let h = [
            c(0, PushHead(1), Pushed, 0, 1),
            c(0, PushHead(2), Pushed, 2, 3),
            c(1, PopTail, Empty, 4, 5),
            c(0, PushHead(3), Pushed, 6, 7),
            c(1, PopTail, Popped(1), 8, 9),
            c(1, PopTail, Empty, 10, 11),
            c(0, PopHead, Popped(3), 12, 13),
            c(0, PopHead, Popped(2), 14, 15),
        ];
        check(w2, &h).unwrap();
        // Without a request, nothing private is published: a steal cannot take 1.
        let h = [
            c(0, PushHead(1), Pushed, 0, 1),
            c(0, PushHead(2), Pushed, 2, 3),
            c(1, PopTail, Popped(1), 4, 5),
        ];
        assert_eq!(rejects(w2, &h), Failure::NotLinearizable);
        // A request lets the owner's next call publish half (rounded down)...
        let w4 = Spec::Worker { private: 4 };
        let asked = [
            c(0, PushHead(1), Pushed, 0, 1),
            c(0, PushHead(2), Pushed, 2, 3),
            c(1, PopTail, Empty, 4, 5),
            c(0, PushHead(3), Pushed, 6, 7),
        ];
        let mut h = asked.to_vec();
        h.push(c(1, PopTail, Popped(1), 8, 9));
        h.push(c(1, PopTail, Empty, 10, 11));
        check(w4, &h).unwrap();
        // ... but not more, and never the newest.
        let mut h = asked.to_vec();
        h.push(c(1, PopTail, Popped(1), 8, 9));
        h.push(c(1, PopTail, Popped(2), 10, 11));
        assert_eq!(rejects(w4, &h), Failure::NotLinearizable);
        let mut h = asked.to_vec();
        h.push(c(1, PopTail, Popped(3), 8, 9));
        assert_eq!(rejects(w4, &h), Failure::NotLinearizable);
        // The owner pops newest first over private and published values; flush publishes all.
        let h = [
            c(0, PushHead(1), Pushed, 0, 1),
            c(0, PushHead(2), Pushed, 2, 3),
            c(0, Flush, Done, 4, 5),
            c(0, PushHead(3), Pushed, 6, 7),
            c(0, PopHead, Popped(3), 8, 9),
            c(1, StealBatch(8), taken(&[1]), 10, 11),
            c(0, PopHead, Popped(2), 12, 13),
            c(0, PopHead, Empty, 14, 15),
        ];
        check(w4, &h).unwrap();
        // A batch steal or a pop_tail on a worker never reports full, and no batch push exists.
        let h = [c(0, PushHead(1), Full, 0, 1)];
        assert_eq!(rejects(w4, &h), Failure::Malformed);
    }

    /// A worker history from a shuttle campaign (k = 4): the owner clears a request when its
    /// call begins and publishes at its end, so a steal that looks before the publication and
    /// raises after the clear leaves a request that survives the answer. Here #38 asks during
    /// the push of 6 (#37), whose publication #39's look keeps late; the model must let #38's
    /// request survive #37's answer, or the publications of 6 and 7 cannot be explained.
    #[test]
    fn a_request_raised_between_clear_and_publication_survives() {
        let h = [
            c(1, StealBatch(u32::MAX), taken(&[]), 0, 12),
            c(2, PopTail, Empty, 1, 2),
            c(2, PopTail, Empty, 3, 6),
            c(0, PushHead(0), Pushed, 4, 5),
            c(2, PopTail, Empty, 7, 8),
            c(2, PopTail, Empty, 9, 19),
            c(0, PopHead, Popped(0), 10, 11),
            c(1, StealBatch(u32::MAX), taken(&[]), 13, 17),
            c(0, PushHead(1), Pushed, 14, 15),
            c(0, PushHead(2), Pushed, 16, 23),
            c(1, StealBatch(u32::MAX), taken(&[]), 18, 26),
            c(2, PopTail, Empty, 20, 21),
            c(2, PopTail, Popped(1), 22, 24),
            c(2, PopTail, Empty, 25, 28),
            c(1, StealBatch(u32::MAX), taken(&[]), 27, 38),
            c(2, PopTail, Empty, 29, 31),
            c(0, PushHead(3), Pushed, 30, 35),
            c(2, PopTail, Empty, 32, 33),
            c(2, PopTail, Empty, 34, 36),
            c(2, PopTail, Popped(2), 37, 40),
            c(1, StealBatch(u32::MAX), taken(&[]), 39, 44),
            c(2, PopTail, Empty, 41, 46),
            c(0, PopHead, Popped(3), 42, 43),
            c(1, StealBatch(u32::MAX), taken(&[]), 45, 56),
            c(2, PopTail, Empty, 47, 49),
            c(0, PopHead, Empty, 48, 51),
            c(2, PopTail, Empty, 50, 52),
            c(2, PopTail, Empty, 53, 58),
            c(0, PushHead(4), Pushed, 54, 55),
            c(1, StealBatch(u32::MAX), taken(&[]), 57, 65),
            c(2, PopTail, Empty, 59, 60),
            c(2, PopTail, Empty, 61, 63),
            c(0, PushHead(5), Pushed, 62, 69),
            c(2, PopTail, Empty, 64, 67),
            c(1, StealBatch(u32::MAX), taken(&[]), 66, 70),
            c(2, PopTail, Popped(4), 68, 73),
            c(1, StealBatch(u32::MAX), taken(&[]), 71, 76),
            c(0, PushHead(6), Pushed, 72, 78),
            c(2, PopTail, Empty, 74, 75),
            c(1, StealBatch(u32::MAX), taken(&[]), 77, 80),
            c(0, PushHead(7), Pushed, 79, 82),
            c(1, StealBatch(u32::MAX), taken(&[5]), 81, 83),
            c(1, StealBatch(u32::MAX), taken(&[6]), 84, 87),
            c(0, PushHead(8), Pushed, 85, 86),
            c(1, StealBatch(u32::MAX), taken(&[7]), 88, 95),
            c(0, PopHead, Popped(8), 89, 90),
            c(0, PushHead(9), Pushed, 91, 92),
            c(0, PushHead(10), Pushed, 93, 94),
            c(1, StealBatch(u32::MAX), taken(&[]), 96, 100),
            c(0, PopHead, Popped(10), 97, 98),
            c(0, PushHead(11), Pushed, 99, 104),
            c(1, StealBatch(u32::MAX), taken(&[]), 101, 102),
            c(1, StealBatch(u32::MAX), taken(&[9]), 103, 109),
            c(0, PopHead, Popped(11), 105, 106),
            c(0, PopHead, Empty, 107, 108),
            c(0, PushHead(12), Pushed, 110, 111),
            c(0, PopHead, Popped(12), 112, 113),
            c(0, PopHead, Empty, 114, 115),
            c(0, PopHead, Empty, 116, 117),
            c(0, PopTail, Empty, 118, 119),
            c(0, PopHead, Empty, 120, 121),
        ];
        check(Spec::Worker { private: 4 }, &h).unwrap();
    }

    #[test]
    fn batch_semantics() {
        let ring4 = Spec::Bounded { capacity: 4 };
        let h = [
            c(0, PushHeadBatch { first: 1, n: 6 }, PushedN(4), 0, 1),
            c(1, StealBatch(8), taken(&[1, 2]), 2, 3),
            c(0, PushHeadBatch { first: 5, n: 1 }, PushedN(1), 4, 5),
            c(0, PopHeadBatch(2), taken(&[5, 4]), 6, 7),
            c(1, StealBatch(1), taken(&[3]), 8, 9),
            c(1, StealBatch(8), taken(&[]), 10, 11),
            c(0, PopHeadBatch(3), taken(&[]), 12, 13),
        ];
        check(ring4, &h).unwrap();
    }

    #[test]
    fn a_chain_batch_push_takes_effect_one_ring_at_a_time() {
        // The shrunk history of a shuttle campaign: the batch `6..9` fills the first ring's
        // last two slots and links a new ring for 8; a stealer takes 6 and 7 and finds the
        // chain empty before 8 is published.
        let h = [
            c(0, PushHead(0), Pushed, 0, 1),
            c(0, PushHead(1), Pushed, 2, 3),
            c(0, PushHeadBatch { first: 2, n: 4 }, PushedN(4), 4, 5),
            c(0, PushHeadBatch { first: 6, n: 3 }, PushedN(3), 6, 20),
            c(1, PopTail, Popped(0), 7, 8),
            c(1, StealBatch(u32::MAX), taken(&[1, 2, 3, 4]), 9, 10),
            c(1, StealBatch(u32::MAX), taken(&[5, 6]), 11, 12),
            c(1, PopTail, Popped(7), 13, 14),
            c(1, PopTail, Empty, 15, 16),
        ];
        check(Spec::Unbounded, &h).unwrap();
        // ... but in order: 8 cannot be seen before 7 has been pushed.
        let h = [
            c(0, PushHeadBatch { first: 6, n: 3 }, PushedN(3), 0, 20),
            c(1, PopTail, Popped(6), 1, 2),
            c(1, PopTail, Popped(8), 3, 4),
        ];
        assert_eq!(rejects(Spec::Unbounded, &h), Failure::NotLinearizable);
        // ... and all of it by the response: a chain pushes everything.
        let h = [
            c(0, PushHeadBatch { first: 6, n: 3 }, PushedN(3), 0, 1),
            c(1, PopTail, Popped(6), 2, 3),
            c(1, PopTail, Popped(7), 4, 5),
            c(1, PopTail, Empty, 6, 7),
        ];
        assert_eq!(rejects(Spec::Unbounded, &h), Failure::NotLinearizable);
        let h = [c(0, PushHeadBatch { first: 6, n: 3 }, PushedN(2), 0, 1)];
        assert_eq!(rejects(Spec::Unbounded, &h), Failure::NotLinearizable);
    }

    #[test]
    fn batch_violations_are_rejected() {
        let ring4 = Spec::Bounded { capacity: 4 };
        let pushed = c(0, PushHeadBatch { first: 1, n: 3 }, PushedN(3), 0, 1);
        // More than half (rounded up) of three.
        let h = [pushed, c(1, StealBatch(8), taken(&[1, 2, 3]), 2, 3)];
        assert_eq!(rejects(ring4, &h), Failure::NotLinearizable);
        // Fewer than ceil(3/2) is allowed (a concurrent push may have made the half stale)...
        check(ring4, &[pushed, c(1, StealBatch(8), taken(&[1]), 2, 3)]).unwrap();
        // ... but not nothing from a non-empty ring, nor values out of order.
        let h = [pushed, c(1, StealBatch(8), taken(&[]), 2, 3)];
        assert_eq!(rejects(ring4, &h), Failure::NotLinearizable);
        let h = [pushed, c(1, StealBatch(8), taken(&[2, 1]), 2, 3)];
        assert_eq!(rejects(ring4, &h), Failure::NotLinearizable);
        // A batch pop takes exactly min(max, len), newest first.
        let h = [pushed, c(0, PopHeadBatch(2), taken(&[3]), 2, 3)];
        assert_eq!(rejects(ring4, &h), Failure::NotLinearizable);
        let h = [pushed, c(0, PopHeadBatch(2), taken(&[2, 3]), 2, 3)];
        assert_eq!(rejects(ring4, &h), Failure::NotLinearizable);
        // A batch push stops early only when full (or at a held slot).
        let h = [c(0, PushHeadBatch { first: 1, n: 3 }, PushedN(2), 0, 1)];
        assert_eq!(rejects(ring4, &h), Failure::NotLinearizable);
        // A steal's slots stay held until it returns: a push overlapping it may stop there.
        let h = [
            c(0, PushHeadBatch { first: 1, n: 4 }, PushedN(4), 0, 1),
            c(1, StealBatch(8), taken(&[1, 2]), 2, 7),
            c(0, PushHeadBatch { first: 5, n: 2 }, PushedN(1), 3, 4),
        ];
        check(ring4, &h).unwrap();
        // The stop is decided before the publish: stealers may empty the ring in between.
        let h = [
            c(0, PushHeadBatch { first: 1, n: 3 }, PushedN(3), 0, 1),
            c(0, PushHeadBatch { first: 4, n: 2 }, PushedN(1), 2, 9),
            c(1, StealBatch(8), taken(&[1, 2]), 3, 4),
            c(1, PopTail, Popped(3), 5, 6),
            c(1, PopTail, Empty, 7, 8),
            c(0, PopHeadBatch(4), taken(&[4]), 10, 11),
        ];
        check(ring4, &h).unwrap();
        // A chain never stops a batch push early.
        let h = [c(0, PushHeadBatch { first: 1, n: 3 }, PushedN(2), 0, 1)];
        assert_eq!(rejects(Spec::Unbounded, &h), Failure::NotLinearizable);
    }

    #[test]
    fn sequential_deque_semantics() {
        let h = [
            c(0, PushHead(1), Pushed, 0, 1),
            c(0, PushHead(2), Pushed, 2, 3),
            c(0, PushHead(3), Full, 4, 5),
            c(0, PopHead, Popped(2), 6, 7),
            c(1, PopTail, Popped(1), 8, 9),
            c(1, PopTail, Empty, 10, 11),
            c(0, PopHead, Empty, 12, 13),
        ];
        let ok = check(RING2, &h).unwrap();
        assert_eq!(ok.calls, 7);
    }

    #[test]
    fn overlapping_calls_may_take_effect_in_either_order() {
        // The stealer's pop overlaps both pushes and the owner's pop: it must be placed after
        // the first push and before the pop_head for the history to fit, which needs backtracking
        // if the search tries it last.
        let h = [
            c(0, PushHead(1), Pushed, 1, 2),
            c(0, PushHead(2), Pushed, 3, 4),
            c(0, PopHead, Popped(2), 5, 6),
            c(0, PopHead, Empty, 7, 8),
            c(1, PopTail, Popped(1), 0, 9),
        ];
        check(Spec::Unbounded, &h).unwrap();
        // A None that overlaps a push may be placed before it.
        let h = [
            c(0, PushHead(1), Pushed, 0, 3),
            c(1, PopTail, Empty, 1, 2),
            c(1, PopTail, Popped(1), 4, 5),
        ];
        check(RING2, &h).unwrap();
    }

    #[test]
    fn stale_none_is_rejected() {
        let h = [
            c(0, PushHead(1), Pushed, 0, 1),
            c(1, PopTail, Empty, 2, 3),
            c(0, PopHead, Popped(1), 4, 5),
        ];
        assert_eq!(rejects(Spec::Unbounded, &h), Failure::NotLinearizable);
        // Also when the None overlaps a pop of another value that leaves one behind.
        let h = [
            c(0, PushHead(1), Pushed, 0, 1),
            c(0, PushHead(2), Pushed, 2, 3),
            c(1, PopTail, Popped(1), 4, 7),
            c(2, PopTail, Empty, 5, 6),
            c(0, PopHead, Popped(2), 8, 9),
        ];
        assert_eq!(rejects(RING2, &h), Failure::NotLinearizable);
    }

    #[test]
    fn duplicate_is_rejected() {
        let h = [
            c(0, PushHead(7), Pushed, 0, 1),
            c(0, PopHead, Popped(7), 2, 5),
            c(1, PopTail, Popped(7), 3, 4),
        ];
        assert_eq!(rejects(Spec::Unbounded, &h), Failure::NotLinearizable);
    }

    #[test]
    fn lost_value_shows_as_a_wrong_empty() {
        // A drain that ends empty although a pushed value was never popped.
        let h = [
            c(0, PushHead(1), Pushed, 0, 1),
            c(0, PushHead(2), Pushed, 2, 3),
            c(1, PopTail, Popped(1), 4, 5),
            c(0, PopHead, Empty, 6, 7),
        ];
        assert_eq!(rejects(Spec::Unbounded, &h), Failure::NotLinearizable);
    }

    #[test]
    fn lifo_fifo_swap_is_rejected() {
        let pushes = [
            c(0, PushHead(1), Pushed, 0, 1),
            c(0, PushHead(2), Pushed, 2, 3),
        ];
        let mut h = pushes.to_vec();
        h.push(c(0, PopHead, Popped(1), 4, 5));
        assert_eq!(rejects(Spec::Unbounded, &h), Failure::NotLinearizable);
        let mut h = pushes.to_vec();
        h.push(c(1, PopTail, Popped(2), 4, 5));
        assert_eq!(rejects(RING2, &h), Failure::NotLinearizable);
    }

    #[test]
    fn full_is_allowed_only_when_full_or_while_the_slot_is_held() {
        let base = [
            c(0, PushHead(1), Pushed, 0, 1),
            c(0, PushHead(2), Pushed, 2, 3),
        ];
        // Stealer 1 claimed value 1 (slot 0) and returns only after the owner's push; stealer 2
        // took value 2 before the push, so the push cannot be placed while the ring was full.
        // It targets slot 0, still held: "full" is allowed although the model is empty.
        let mut h = base.to_vec();
        h.push(c(1, PopTail, Popped(1), 4, 12));
        h.push(c(2, PopTail, Popped(2), 5, 6));
        h.push(c(0, PushHead(3), Full, 7, 8));
        check(RING2, &h).unwrap();
        // The same push after stealer 1 returned: the slot was released, so "full" is wrong.
        let mut h = base.to_vec();
        h.push(c(1, PopTail, Popped(1), 4, 6));
        h.push(c(2, PopTail, Popped(2), 5, 6));
        h.push(c(0, PushHead(3), Full, 7, 8));
        assert_eq!(rejects(RING2, &h), Failure::NotLinearizable);
        // A held slot excuses only a push that targets it: capacity 4, the held slot is 0, the
        // push goes to slot 2.
        let mut h = base.to_vec();
        h.push(c(1, PopTail, Popped(1), 4, 12));
        h.push(c(2, PopTail, Popped(2), 5, 6));
        h.push(c(0, PushHead(3), Full, 7, 8));
        assert_eq!(
            rejects(Spec::Bounded { capacity: 4 }, &h),
            Failure::NotLinearizable
        );
        // "Full" on an empty ring with nothing held.
        let h = [c(0, PushHead(1), Full, 0, 1)];
        assert_eq!(rejects(RING2, &h), Failure::NotLinearizable);
        // A chain never reports full.
        assert_eq!(rejects(Spec::Unbounded, &h), Failure::Malformed);
    }

    #[test]
    fn a_push_into_a_held_slot_must_wait_for_the_release() {
        // Push 3 succeeds while the stealer that took value 1 from slot 0 is still running. That
        // is fine if the release can be placed before the push ...
        let h = [
            c(0, PushHead(1), Pushed, 0, 1),
            c(0, PushHead(2), Pushed, 2, 3),
            c(1, PopTail, Popped(1), 4, 9),
            c(0, PushHead(3), Pushed, 6, 7),
        ];
        check(RING2, &h).unwrap();
        // (a release can always be placed right after its claim, so an overwrite of a held slot
        // shows up in the values that come out, not here) ... but a push into a ring that was
        // full until after the push returned is rejected.
        let h = [
            c(0, PushHead(1), Pushed, 0, 1),
            c(0, PushHead(2), Pushed, 2, 3),
            c(0, PushHead(3), Pushed, 4, 5),
            c(1, PopTail, Popped(1), 6, 9),
        ];
        assert_eq!(rejects(RING2, &h), Failure::NotLinearizable);
    }

    #[test]
    fn malformed_histories_are_rejected() {
        let h = [c(0, PushHead(1), Pushed, 3, 2)];
        assert_eq!(rejects(RING2, &h), Failure::Malformed);
        let h = [c(0, PushHead(1), Pushed, 0, 3), c(0, PopHead, Empty, 2, 4)];
        assert_eq!(rejects(RING2, &h), Failure::Malformed);
        let h = [c(0, PopHead, Pushed, 0, 1)];
        assert_eq!(rejects(RING2, &h), Failure::Malformed);
    }

    /// A long history generated from the model itself with overlapping intervals: the search
    /// must accept it quickly (the memo table keeps it polynomial).
    #[test]
    fn long_concurrent_history_is_checked_quickly() {
        let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let n = if cfg!(miri) { 40 } else { 600 };
        let mut model = VecDeque::new();
        let mut h = Vec::new();
        let mut id = 0;
        // Calls take effect at time 10 * i; each thread's calls are stretched around that point
        // as far as its neighbours allow, so many calls overlap.
        let threads = 4;
        let mut last_response = vec![0u64; threads];
        for i in 0..n {
            let t = (next() % threads as u64) as usize;
            let at = 10 * (i as u64 + 1);
            let op = match (t, next() % 3) {
                (0, 0 | 1) => PushHead(id),
                (0, _) => PopHead,
                _ => PopTail,
            };
            let ret = match op {
                PushHead(v) => {
                    id += 1;
                    model.push_back(v);
                    Pushed
                }
                PopHead => model.pop_back().map_or(Empty, Popped),
                PopTail => model.pop_front().map_or(Empty, Popped),
                PushHeadBatch { .. } | PopHeadBatch(_) | StealBatch(_) | Flush => unreachable!(),
            };
            let invoke = last_response[t].max(at.saturating_sub(25));
            let response = at + (next() % 5);
            last_response[t] = response;
            h.push(c(t, op, ret, invoke, response));
        }
        let ok = check(Spec::Unbounded, &h).unwrap();
        assert_eq!(ok.calls, n);
    }
}
