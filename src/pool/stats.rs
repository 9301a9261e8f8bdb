//! The opt-in counters: the events a pool records and what [`Pool::stats`](super::Pool::stats)
//! reports.

/// The events the opt-in counters record, as indices into a counter array.
#[derive(Clone, Copy, Debug)]
#[repr(usize)]
pub(crate) enum Event {
    PrivateHit,
    SharedHit,
    StealHit,
    VictimHit,
    Create,
    Put,
    Rejected,
    Evicted,
    Released,
    Detached,
    Discarded,
}

/// How many events there are.
pub(crate) const EVENTS: usize = Event::Discarded as usize + 1;

/// `Event` by index, for summing counter arrays.
pub(crate) const EVENT_ORDER: [Event; EVENTS] = [
    Event::PrivateHit,
    Event::SharedHit,
    Event::StealHit,
    Event::VictimHit,
    Event::Create,
    Event::Put,
    Event::Rejected,
    Event::Evicted,
    Event::Released,
    Event::Detached,
    Event::Discarded,
];

/// What [`Pool::stats`](super::Pool::stats) reports. Every `get` is one of the five hit or create kinds; every
/// value returned (by a guard's drop or by [`Pool::put`](super::Pool::put)) is kept (`puts`), rejected, evicted or
/// discarded; a guard's value that is not returned is detached. So once no guard is alive and
/// the counting threads are joined, `gets() + p == puts + rejected + evicted + discarded +
/// detached`, where `p` is the number of [`Pool::put`](super::Pool::put) calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolStats {
    /// Gets served by the calling thread's private slot (the fast path).
    pub private_hits: u64,
    /// Gets served by the calling thread's stash or own chain.
    pub shared_hits: u64,
    /// Gets served by stealing from another thread's chain.
    pub steal_hits: u64,
    /// Gets served by the victim generation.
    pub victim_hits: u64,
    /// Gets that called the `create` function.
    pub creates: u64,
    /// Values returned and kept.
    pub puts: u64,
    /// Values returned and dropped because `retain` said no.
    pub rejected: u64,
    /// Values returned and dropped because of the `max_idle` bound or the `max_idle_bytes`
    /// budget (or, rarely, because the returning thread's thread-local storage was already torn
    /// down).
    pub evicted: u64,
    /// Idle values dropped by `release` (the victim generation).
    pub released: u64,
    /// Values detached from their guards.
    pub detached: u64,
    /// Values dropped instead of returned: the reset hook or `retain` panicked, or the guard
    /// was dropped while its thread was panicking (the value may be half-updated).
    pub discarded: u64,
}

impl PoolStats {
    /// All gets: hits of every kind plus creates.
    ///
    /// ```
    /// let stats = poolqueue::PoolStats::default();
    /// assert_eq!(stats.gets(), 0);
    /// ```
    pub fn gets(&self) -> u64 {
        self.private_hits + self.shared_hits + self.steal_hits + self.victim_hits + self.creates
    }
}

impl PoolStats {
    /// Sums a counter array indexed by [`Event`].
    pub(crate) fn from_counts(at: impl Fn(Event) -> u64) -> Self {
        PoolStats {
            private_hits: at(Event::PrivateHit),
            shared_hits: at(Event::SharedHit),
            steal_hits: at(Event::StealHit),
            victim_hits: at(Event::VictimHit),
            creates: at(Event::Create),
            puts: at(Event::Put),
            rejected: at(Event::Rejected),
            evicted: at(Event::Evicted),
            released: at(Event::Released),
            detached: at(Event::Detached),
            discarded: at(Event::Discarded),
        }
    }
}
