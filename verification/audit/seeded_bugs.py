"""Seeded logic bugs for the pool (src/pool/*), the eventcount (src/event.rs), the dequeue and the
chain's shrink policy (src/chain.rs).

Each entry is (id, description, [(file, old text, new text), ...]) as in audit.py's LOGIC_BUGS:
every `old` must occur exactly once in its file (`cargo xtask audit --check-patches` checks it).
Ids start with `pool-` or `event-`, so `--only pool-` runs one family.
"""

POOL = "src/pool/mod.rs"
SHARDS = "src/pool/shards.rs"
THREAD_ID = "src/pool/thread_id.rs"
RESET = "src/pool/reset.rs"
GUARD = "src/pool/guard.rs"
EVENT = "src/event.rs"

POOL_BUGS = [
    (
        "pool-fast-get-ignores-generation",
        "pool: the fast `get` takes the private value without comparing its generation (a value "
        "left by a thread idle across two releases is handed out again)",
        [(
            POOL,
            """                if local.generation != now {
                    Hit::None // the slow path ages the shard first""",
            """                if local.generation != now && local.private.is_empty() {
                    Hit::None // the slow path ages the shard first""",
        )],
    ),
    (
        "pool-age-always-to-victim",
        "pool: aging moves the private value to the victim slot whatever the gap (it survives "
        "two or more releases when its thread was idle)",
        [(
            SHARDS,
            """                private: [self.private_old.take(), self.private.take()],""",
            """                private: [
                    self.private_old.take(),
                    core::mem::replace(&mut self.private_old, self.private.take()),
                ],""",
        )],
    ),
    (
        "pool-age-not-idempotent",
        "pool: ageing a shard to the generation it already has drops its private values (a "
        "release that adopts the exited shard it just aged kills values that survived no release)",
        [(
            SHARDS,
            "            0 => Dead::none(),",
            """            0 => Dead {
                private: [self.private_old.take(), self.private.take()],
                stashes: [Stash::new(), Stash::new()],
            },""",
        )],
    ),
    (
        "pool-age-drops-newer",
        "pool: aging drops the private value at once instead of keeping it one generation as a "
        "victim (it survives no release)",
        [(
            SHARDS,
            """                self.private_old = self.private.take();
                self.stash_old = self.stash.take();
                Dead {
                    private: [older, None],""",
            """                self.stash_old = self.stash.take();
                Dead {
                    private: [older, self.private.take()],""",
        )],
    ),
    (
        "pool-release-keeps-victims",
        "pool: `release` does not drop the previous victim generation (values survive every "
        "release; memory never comes back)",
        [(
            POOL,
            """            while let Some(value) = self.victim_stealer.pop_tail() {
                dead.push(value);
            }""",
            """            let _ = &self.victim_stealer;""",
        )],
    ),
    (
        "pool-release-drops-chains",
        "pool: `release` drops the shards' chain values instead of making them the victim "
        "generation (they survive no release)",
        [(
            POOL,
            """                            self.idle_sub();
                            victim.push_head(value);""",
            """                            self.idle_sub();
                            dead.push(value);""",
        )],
    ),
    (
        "pool-max-idle-off-by-one",
        "pool: the `max_idle` test keeps one value too many (`>=` becomes `>`)",
        [(
            POOL,
            "if self.idle.fetch_add(1, Ordering::Relaxed) >= self.max_idle as u64 {",
            "if self.idle.fetch_add(1, Ordering::Relaxed) > self.max_idle as u64 {",
        )],
    ),
    (
        "pool-steal-keeps-idle",
        "pool: a steal does not decrement the idle count (a bounded pool evicts returns it has "
        "room for)",
        [(
            POOL,
            """                // Only the returned value leaves the chains; the moved ones stay counted.
                self.idle_sub();""",
            """                // Seeded: the returned value is not uncounted.""",
        )],
    ),
    (
        "pool-release-keeps-idle",
        "pool: `release` moves chain values to the victim without decrementing the idle count",
        [(
            POOL,
            """                            self.idle_sub();
                            victim.push_head(value);""",
            """                            victim.push_head(value);""",
        )],
    ),
    (
        "pool-own-chain-keeps-idle",
        "pool: a pop from the own chain does not decrement the idle count (a bounded pool evicts "
        "returns it has room for)",
        [(
            POOL,
            """                if from_chain {
                    self.idle_sub();""",
            """                if from_chain {""",
        )],
    ),
    (
        "pool-budget-own-chain-keeps-weight",
        "pool: a pop from the own chain does not give its weight back to the byte budget (the "
        "budget leaks weight: returns that fit are evicted)",
        [(
            POOL,
            """                    self.idle_sub();
                    self.unweigh(&value);""",
            """                    self.idle_sub();""",
        )],
    ),
    (
        "pool-budget-steal-keeps-weight",
        "pool: a stolen value does not give its weight back to the byte budget",
        [(
            POOL,
            """                self.idle_sub();
                self.unweigh(&value);
                self.count(shard, Event::StealHit);""",
            """                self.idle_sub();
                self.count(shard, Event::StealHit);""",
        )],
    ),
    (
        "pool-budget-victim-keeps-weight",
        "pool: a value taken from the victim generation does not give its weight back",
        [(
            POOL,
            """            // The victim chain's values came from the shards' chains, weighed.
            self.unweigh(&value);""",
            """            // Seeded: the victim's weight stays reserved.""",
        )],
    ),
    (
        "pool-budget-release-keeps-weight",
        "pool: the victims a `release` drops do not give their weight back",
        [(
            POOL,
            """        for value in &dead[..weighed] {
            self.unweigh(value);
        }""",
            """        let _ = weighed;""",
        )],
    ),
    (
        "pool-budget-eviction-keeps-idle",
        "pool: a value the byte budget refuses keeps the `max_idle` place it took",
        [(
            POOL,
            """                self.idle_sub(); // gives back the place taken above""",
            """                // Seeded: the place taken above is not given back.""",
        )],
    ),
    (
        "pool-budget-check-then-add",
        "pool: the budget is reserved by a load, a check and an add (two returns racing for the "
        "last room both fit, passing the budget)",
        [(
            POOL,
            """            match budget.used.compare_exchange_weak(
                used,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(now) => used = now,
            }""",
            """            let _ = next;
            // Relaxed: seeded (ordering.md P-budget).
            budget.used.fetch_add(weight, Ordering::Relaxed);
            return true;""",
        )],
    ),
    (
        "pool-local-get-steals",
        "pool: `get_local` goes on past the own shard: it steals and takes victims",
        [(
            POOL,
            """        if reach == Reach::Own {
            return None;
        }""",
            """        let _ = reach;""",
        )],
    ),
    (
        "pool-retain-inverted",
        "pool: `retain` drops the values it should keep and keeps the others",
        [(
            POOL,
            "if !keep(value_ref) {",
            "if keep(value_ref) {",
        )],
    ),
    (
        "pool-retain-before-reset",
        "pool: `retain` runs before the reset hook (it judges a value its next user never sees)",
        [(
            POOL,
            """        self.reset.run(value_ref);
        let shard = self.local_shard();
        if self.checked {""",
            """        let shard = self.local_shard();
        if self.checked {""",
        ), (
            POOL,
            """        core::mem::forget(unwind);
        let Some(shard) = shard else {""",
            """        self.reset.run(value_ref);
        core::mem::forget(unwind);
        let Some(shard) = shard else {""",
        )],
    ),
    (
        "pool-put-skips-reset",
        "pool: `put` stores the value without running the reset hook or `retain` (reset on the "
        "`put` path forgotten)",
        [(
            POOL,
            """    pub fn put(&self, value: T) {
        self.give_back(value);
    }""",
            """    pub fn put(&self, value: T) {
        match self.local_shard() {
            Some(shard) => self.give_back_slow(shard, value, 0),
            None => self.give_back(value),
        }
    }""",
        )],
    ),
    (
        "pool-custom-reset-skipped",
        "pool: a hook given to `with_reset` is never run (only `Reset` types are reset)",
        [(
            RESET,
            "            ResetHook::Custom(reset) => reset(value),",
            "            ResetHook::Custom(_) => {}",
        )],
    ),
    (
        "pool-reset-unwind-leaks",
        "pool: the drop-on-unwind guard is disarmed before the reset hook runs (a panicking "
        "reset leaks the value)",
        [(
            POOL,
            """        let unwind = DropOnUnwind(self, value);""",
            """        let unwind = DropOnUnwind(self, value);
        core::mem::forget(unwind);
        let unwind = ();""",
        ), (
            POOL,
            """                core::mem::forget(unwind);
                self.count(shard, Event::Rejected);""",
            """                let _ = unwind;
                self.count(shard, Event::Rejected);""",
        ), (
            POOL,
            """                core::mem::forget(unwind);
                // SAFETY: the value is ours, moved out once, here.""",
            """                let _ = unwind;
                // SAFETY: the value is ours, moved out once, here.""",
        ), (
            POOL,
            """        core::mem::forget(unwind);
        let Some(shard) = shard else {""",
            """        let _ = unwind;
        let Some(shard) = shard else {""",
        )],
    ),
    (
        "pool-unwinding-guard-returns",
        "pool: a guard dropped while its thread panics returns its (maybe half-updated) value "
        "instead of discarding it",
        [(
            GUARD,
            """    fn drop(&mut self) {
        let value = self.value.as_mut_ptr();
        if std::thread::panicking() {""",
            """    fn drop(&mut self) {
        let value = self.value.as_mut_ptr();
        if false {""",
        )],
    ),
    (
        "pool-release-skips-exited",
        "pool: `release` does not age the shards of exited threads (their private values "
        "survive every release)",
        [(
            POOL,
            """                    let aged = unsafe {
                        shard.with_local(|local| Self::age_into_victim(local, now, &victim))
                    };
                    aged.move_into(&mut dead);
                }
            });""",
            """                    let _ = shard;
                }
            });""",
        )],
    ),
    (
        "pool-release-no-trim",
        "pool: aging never trims the chain's idle rings (a released pool keeps a burst's memory)",
        [(
            SHARDS,
            """        let dead = self.age(now);
        self.owner.trim();
        dead""",
            """        self.age(now)""",
        )],
    ),
    (
        "pool-age-local-uncounted",
        "pool stats: values that die when a thread ages its own private slots are not counted "
        "as released",
        [(
            POOL,
            """            for _ in 0..dead.len() {
                self.count(Some(shard), Event::Released);
            }""",
            """            let _ = Event::Released;""",
        )],
    ),
    (
        "pool-private-hit-as-shared",
        "pool stats: a fast-path hit of the private slot is counted as a hit of the own chain",
        [(
            POOL,
            """            Hit::Private => self.count(Some(shard), Event::PrivateHit),""",
            """            Hit::Private => self.count(Some(shard), Event::SharedHit),""",
        )],
    ),
    (
        "pool-victim-before-steal",
        "pool: `get` takes the victim generation before stealing from other shards (victims are "
        "reused while fresher values idle, so they do not age out)",
        [(
            POOL,
            """        // Steal: every other shard's tail, starting after our own (spreads the thieves).
        let end = self.shards.end();""",
            """        if let Some(value) = self.victim_stealer.pop_tail() {
            self.count(shard, Event::VictimHit);
            return Some(value);
        }
        // Steal: every other shard's tail, starting after our own (spreads the thieves).
        let end = self.shards.end();""",
        )],
    ),
    (
        "pool-thread-id-not-advanced",
        "pool thread ids: a new id is handed out without advancing the counter (two live threads "
        "share one id and so one shard)",
        [(
            THREAD_ID,
            """                    ids.next += 1;
                    ids.next - 1""",
            """                    ids.next""",
        )],
    ),
    (
        "pool-thread-id-kept-after-exit",
        "pool thread ids: an exiting thread keeps its cached id after giving it back (a pool "
        "used from a later thread-local destructor touches a shard another thread may own)",
        [(
            THREAD_ID,
            "        let _ = CACHED.try_with(|cached| cached.set(GONE));\n",
            "",
        )],
    ),
]

EVENT_BUGS = [
    (
        "event-no-waiter-fence",
        "event: `prepare_wait` has no SeqCst fence between the registration and the ticket "
        "(store-buffering: a waiter and a notifier can miss each other)",
        [(
            EVENT,
            """        self.waiters.fetch_add(1, Ordering::Relaxed);
        // SeqCst: store-load pair with the fence in `has_waiters` (ordering.md E-prepare-fence).
        fence(Ordering::SeqCst);""",
            """        self.waiters.fetch_add(1, Ordering::Relaxed);""",
        )],
    ),
    (
        "event-no-notifier-fence",
        "event: the notifier loads `waiters` with no SeqCst fence after the caller's publication",
        [(
            EVENT,
            """        // SeqCst: store-load pair with the fence in `prepare_wait` (ordering.md E-notify-fence).
        fence(Ordering::SeqCst);""",
            """        // SeqCst: store-load pair with the fence in `prepare_wait` (ordering.md E-notify-fence).""",
        )],
    ),
    (
        "event-notify-no-bump",
        "event: a notify wakes without moving the word (a waiter between its re-check and the "
        "futex sleeps on a still-valid ticket: lost wake-up)",
        [(
            EVENT,
            "        self.epoch.word().fetch_add(EPOCH_ONE, Ordering::Release);\n        if all {",
            "        if all {",
        )],
    ),
    (
        "event-notify-no-wake",
        "event: a notify moves the word but wakes nobody (a sleeper already in the futex stays "
        "asleep)",
        [(
            EVENT,
            """        if all {
            self.epoch.wake_all();
        } else {
            self.epoch.wake_one();
        }""",
            """        let _ = all;""",
        )],
    ),
    (
        "event-notify-all-wakes-one",
        "event: `notify_all` wakes only one sleeper",
        [(
            EVENT,
            """        if all {
            self.epoch.wake_all();
        } else {""",
            """        if all {
            self.epoch.wake_one();
        } else {""",
        )],
    ),
    (
        "event-single-waiter-ignored",
        "event: the notifier skips the slow path unless two or more threads wait (`!= 0` "
        "becomes `> 1`)",
        [(
            EVENT,
            "        self.waiters.load(Ordering::Relaxed) != 0\n",
            "        self.waiters.load(Ordering::Relaxed) > 1\n",
        )],
    ),
    (
        "event-no-deregister",
        "event: a dropped ticket never deregisters (notifies stay on their slow path for good)",
        [(
            EVENT,
            "        self.event.waiters.fetch_sub(1, Ordering::Relaxed);\n",
            "        let _ = &self.event.waiters;\n",
        )],
    ),
    (
        "event-deregister-twice",
        "event: a wait that returns deregisters, and the ticket's drop deregisters again (the "
        "count undercounts, so a notify can miss another sleeper)",
        [(
            EVENT,
            """    pub fn wait(self) -> WaitResult {
        loop {
            if let Some(result) = self.moved() {
                return result;""",
            """    pub fn wait(self) -> WaitResult {
        loop {
            if let Some(result) = self.moved() {
                self.event.waiters.fetch_sub(1, Ordering::Relaxed);
                return result;""",
        )],
    ),
    (
        "event-no-recheck",
        "event: `wait_until` sleeps on its ticket without looking for work again after taking it "
        "(the waiter's re-check dropped)",
        [(
            EVENT,
            """            let waiter = self.prepare_wait();
            // The re-check after the ticket: without it a notify between the first check and
            // `prepare_wait` would be missed (it saw no waiter, and the ticket is newer).
            if let Some(found) = check() {
                return Some(found);
            }
            if waiter.wait() == WaitResult::Closed {""",
            """            let waiter = self.prepare_wait();
            if waiter.wait() == WaitResult::Closed {""",
        )],
    ),
    (
        "event-timeout-no-recheck",
        "event: `wait_until_timeout` sleeps on its ticket without the re-check after taking it",
        [(
            EVENT,
            """            let waiter = self.prepare_wait();
            if let Some(found) = check() {
                return Some(found);
            }
            let result = match deadline {""",
            """            let waiter = self.prepare_wait();
            let result = match deadline {""",
        )],
    ),
    (
        "event-closed-returns-unchecked",
        "event: a wait that ends by `close` returns `None` without a last look (work pushed "
        "before the close is lost)",
        [(
            EVENT,
            """            if waiter.wait() == WaitResult::Closed {
                return check();
            }""",
            """            if waiter.wait() == WaitResult::Closed {
                return None;
            }""",
        )],
    ),
    (
        "event-close-no-wake",
        "event: `close` sets the closed bit but wakes nobody (sleepers stay asleep at shutdown)",
        [(
            EVENT,
            """        self.epoch.word().fetch_or(CLOSED, Ordering::Release);
        // Unconditional: close is rare, so no need for the waiter count (and its fence).
        self.epoch.wake_all();""",
            """        self.epoch.word().fetch_or(CLOSED, Ordering::Release);""",
        )],
    ),
    (
        "event-close-as-notify",
        "event: `close` bumps the counter instead of setting the closed bit (waits never report "
        "`Closed`, so shutdown never ends)",
        [(
            EVENT,
            "        self.epoch.word().fetch_or(CLOSED, Ordering::Release);",
            "        self.epoch.word().fetch_add(EPOCH_ONE, Ordering::Release);",
        )],
    ),
    (
        "event-bump-sets-closed",
        "event: a notify adds 1 to the word, which flips the closed bit (a notify looks like a "
        "close)",
        [(
            EVENT,
            "const EPOCH_ONE: u32 = 2;",
            "const EPOCH_ONE: u32 = 1;",
        )],
    ),
    (
        "event-timeout-ignored",
        "event: a timed wait computes its deadline without the timeout (it times out at once)",
        [(
            EVENT,
            "        let deadline = Instant::now().checked_add(timeout);",
            "        let deadline = Instant::now().checked_add(timeout - timeout);",
        )],
    ),
    (
        "event-timeout-loses-late-notify",
        "event: a timed wait that times out reports `TimedOut` without a last look (a notify "
        "that raced the timeout is dropped)",
        [(
            EVENT,
            "                return self.moved().unwrap_or(WaitResult::TimedOut);",
            "                return WaitResult::TimedOut;",
        )],
    ),
    (
        "event-timed-wait-closed-loops",
        "event: `wait_until_timeout` treats `Closed` like `Notified` (after a close it spins "
        "until the deadline instead of returning)",
        [(
            EVENT,
            "            if result != WaitResult::Notified {",
            "            if result == WaitResult::TimedOut {",
        )],
    ),
]

DEQUEUE = "src/dequeue.rs"
ERROR = "src/error.rs"

DEQUEUE_BUGS = [
    (
        "dequeue-capacity-not-power-of-two",
        "dequeue: any capacity in range is accepted, also one that does not divide 2^32 (the "
        "index arithmetic breaks at the wrap)",
        [(
            ERROR,
            "if capacity.is_power_of_two() && (Self::MIN..=Self::MAX).contains(&capacity) {",
            "if (Self::MIN..=Self::MAX).contains(&capacity) {",
        )],
    ),
    (
        "dequeue-capacity-one",
        "dequeue: a capacity of 1 is accepted (below the documented minimum of 2)",
        [(
            ERROR,
            "if capacity.is_power_of_two() && (Self::MIN..=Self::MAX).contains(&capacity) {",
            "if capacity.is_power_of_two() && (Self::MIN - 1..=Self::MAX).contains(&capacity) {",
        )],
    ),
    (
        "dequeue-owner-pops-tail",
        "dequeue: the owner's `pop_head` takes the oldest value (FIFO instead of LIFO)",
        [(
            DEQUEUE,
            "unsafe { self.ring.pop_head() }",
            "self.ring.pop_tail()",
        )],
    ),
]

CHAIN = "src/chain.rs"

# The chain's shrink policy (proofs-notes/reclamation.md, "The shrink policy"). Ids start with
# `chain-shrink-`, so `--only chain-shrink-` runs the family.
CHAIN_BUGS = [
    (
        "chain-shrink-countdown-ignored",
        "chain: the owner's pops never end a countdown window (the head ring of a burst stays "
        "while the owner keeps working without finding the chain empty)",
        [(
            CHAIN,
            """                if left == 0 {
                    self.countdown_ran_out();
                }""",
            """                if left == 0 {
                    self.countdown.set(1);
                }""",
        )],
    ),
    (
        "chain-shrink-old-head-kept",
        "chain: a shrink at the end of a countdown window leaves the drained old head ring "
        "linked (nothing unlinks it while the owner works on the new head ring)",
        [(
            CHAIN,
            """    fn countdown_ran_out(&self) {
        if self.end_window() {""",
            """    fn countdown_ran_out(&self) {
        if self.end_window() && self.head.get().is_null() {""",
        )],
    ),
    (
        "chain-shrink-half",
        "chain: a window shrinks a head ring that held up to half its slots (a ring sized for "
        "twice a power-of-two peak is shrunk again every window: an allocation per window)",
        [(
            CHAIN,
            "        if capacity > FIRST_RING_CAPACITY && bound <= capacity / 4 {",
            "        if capacity > FIRST_RING_CAPACITY && bound <= capacity / 2 {",
        )],
    ),
    (
        "chain-shrink-windows-restart-together",
        "chain: finding the chain empty also restarts the countdown window, whose next segment "
        "counts only the head ring (a window that began mid-drain shrinks a ring every round)",
        [(
            CHAIN,
            """        self.window_bound.set(self.window_bound.get().max(segment));
        self.shrink_to(bound);""",
            """        self.window_bound.set(0);
        self.countdown.set(window_pops(self.head().ring.capacity()));
        self.shrink_to(bound);""",
        ), (
            CHAIN,
            "        self.peak.set(self.len().min(u32::MAX as usize) as u32);",
            "        self.peak.set(self.head().ring.len() as u32);",
        )],
    ),
]

WORKER = "src/worker.rs"

# The worker's request handshake and publication (proofs-notes/worker.md). Ids start with
# `worker-`, so `--only worker-` runs the family; its models are the worker's (`MODELS`).
WORKER_BUGS = [
    (
        "worker-request-ignored",
        "worker: the owner never answers a request (private values stay out of reach until an "
        "overflow or a flush)",
        [(
            WORKER,
            """        if self.private.len() >= 2 && self.request.pending() {""",
            """        if self.private.len() >= 2 && self.request.pending() && false {""",
        )],
    ),
    (
        "worker-publish-without-request",
        "worker: the owner publishes half its private values on every operation that holds two, "
        "asked or not",
        [(
            WORKER,
            """        if self.private.len() >= 2 && self.request.pending() {""",
            """        if self.private.len() >= 2 {""",
        )],
    ),
    (
        "worker-clear-after-publish",
        "worker: the owner clears the request after the publication instead of before (a "
        "stealer that drained it and found nothing again loses its request)",
        [(
            WORKER,
            """        self.request.clear();
        self.published
            .push_head_all(&mut self.private.drain_oldest(n));""",
            """        self.published
            .push_head_all(&mut self.private.drain_oldest(n));
        self.request.clear();""",
        )],
    ),
    (
        "worker-newest-published",
        "worker: a publication takes the newest private values instead of the oldest",
        [(
            WORKER,
            """        let index = self.taken;
        self.taken += 1;""",
            """        let index = self.private.len.get() - 1 - self.taken;
        self.taken += 1;""",
        ), (
            WORKER,
            """        if self.taken > 0 && rest > 0 {""",
            """        if false && self.taken > 0 && rest > 0 {""",
        )],
    ),
    (
        "worker-drop-keeps-private",
        "worker: dropping the owner does not publish its private values (they are dropped "
        "with it, out of the stealers' reach)",
        [(
            WORKER,
            """    fn drop(&mut self) {
        self.flush();""",
            """    fn drop(&mut self) {
        let _ = Self::flush;""",
        )],
    ),
    (
        "worker-answer-without-notify",
        "worker: `push_head_notify` publishes in answer to a request but wakes nobody",
        [(
            WORKER,
            """        notify(self.push(value), event);""",
            """        let _ = (self.push(value), event);""",
        )],
    ),
    (
        "worker-stealer-never-asks",
        "worker: a stealer that finds nothing leaves no request",
        [(
            WORKER,
            """        if self.asks && !self.wanted.load(Ordering::Relaxed) {""",
            """        if false && self.asks && !self.wanted.load(Ordering::Relaxed) {""",
        )],
    ),
    (
        "worker-overflow-floor",
        "worker: a push into a full buffer publishes `⌊k / 2⌋` instead of `⌈k / 2⌉` (none when "
        "k = 1, overfilling the buffer)",
        [(
            WORKER,
            """        let published = self.publish_oldest(limit - limit / 2);""",
            """        let published = self.publish_oldest(limit / 2);""",
        )],
    ),
    (
        "worker-publish-before-write",
        "worker: the publication's ring batch push moves head past each slot before writing it "
        "(the ring's `batch-push-publish-before-write`, run against the worker's checks)",
        [(
            "src/ring.rs",
            """            slot.value.with_mut(|p| unsafe { (*p).write(value) });
            batch.reserved = false;
            batch.written += 1;""",
            """            self.head_tail.fetch_add(ONE_HEAD, Ordering::Release);
            slot.value.with_mut(|p| unsafe { (*p).write(value) });
            batch.reserved = false;
            batch.written += 1;""",
        ), (
            "src/ring.rs",
            """        ring.head_tail
            .fetch_add(heads(self.written), Ordering::Release);""",
            """        let _ = heads;""",
        ), (
            "src/ring.rs",
            """        if head != self.base {""",
            """        if false {""",
        )],
    ),
]
