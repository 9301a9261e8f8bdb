"""Arguments for the mutants that survive every checker because they cannot change what the
crate does (equivalent mutants), or change it only in a way no test can observe. Keyed by
mutant id (`cargo xtask audit --list`); the audit prints them under "Survivors" in
proofs-notes/audit.md and counts these rows as equivalent, not as misses. A survivor without an
entry here is reported as a missing test.
"""

SURVIVOR_ARGUMENTS = {
    "pool/shards.rs:insert:compare_exchange#1:Release": (
        "equivalent. On success the CAS replaced the null every bucket head starts with: no "
        "other thread's store was read, so the Acquire half of AcqRel acquires nothing. The "
        "bucket another thread installed is acquired on the failure path (Acquire, kept). The "
        "code's AcqRel is stronger than needed and kept (it costs nothing on x86)."
    ),
    "pool/shards.rs:end:load#1:Relaxed": (
        "equivalent. `end` is only the bound of a scan: any value it reads (old or new) is an id "
        "range, and every shard in it is then read through `get`, whose Acquire loads of the "
        "bucket and of the shard pointer pair with `insert`'s Release CAS and Release store. A "
        "stale bound only skips a shard created concurrently, which a racing `get` may do "
        "anyway. The Acquire is redundant; it costs nothing on x86 and is kept as documentation "
        "(proofs-notes/ordering.md, \"Stronger than the search needs\")."
    ),
    "pool/shards.rs:insert:fetch_max#1:Relaxed": (
        "equivalent, for the same reason as the `end` load: the bound publishes no data; the "
        "shard is published by the Release store of its pointer, which `get` acquires."
    ),
    "event.rs:notify_slow:fetch_add#1:Relaxed": (
        "equivalent. `notify_slow` runs only after `has_waiters`, whose `fence(SeqCst)` is "
        "sequenced after the caller's publication and before this bump. A SeqCst fence is also "
        "a release fence, and a release fence followed by a store synchronizes with an acquire "
        "load that reads that store (C++ [atomics.fences]/2; Rust follows C++20): the waiter's "
        "Acquire ticket load or `moved` re-read that sees the bump therefore sees the work "
        "published before the fence, with or without Release on the bump. The code keeps "
        "Release so the pairing stays local to `notify_slow` (proofs-notes/ordering.md, "
        "\"Stronger than the search needs\")."
    ),
    "full-test-gt": (
        "equivalent. When `head - tail == capacity`, slot(`head`) is slot(`tail`), which is "
        "`occupied` unless a stealer has claimed it *and* handed it back; then writing it is safe "
        "and the true count is below capacity. The occupied flag alone keeps the ring safe; the "
        "index test is an early exit that spares the slot's cache line "
        "(proofs-notes/ordering.md, survivor 5)."
    ),
    "clear-prev-before-cas": (
        "equivalent. The clearing runs only after the stealer saw the ring empty for good; if its "
        "CAS then fails, another stealer has unlinked the same ring and clears the same `prev`. "
        "Clearing early only stops the owner from backing into a ring that is empty for good, "
        "and the store can reach a retired ring only while the stealer is pinned, so before "
        "its free (proofs-notes/ordering.md, survivor 6)."
    ),
    "pool-age-not-idempotent": (
        "equivalent under today's pool. `Local::age` is reached only through `age_local` (the "
        "owner's own shard, after it found `local.generation != now`) and `age_into_victim` "
        "(`release`, under the registry lock, after the same check), and a claimed shard's "
        "generation is written only by its owner, an unclaimed one only under that lock: so "
        "`age` never sees zero steps and its `0 =>` arm is a stated contract, not a path. The "
        "defect this bug recreates (a `release` that ages an exited shard and then adopts it "
        "ageing it again) was fixed by that check and the claim tokens; "
        "`memory::a_release_that_adopts_an_exited_shard_ages_it_once` keeps the scenario."
    ),
    "pool-thread-id-kept-after-exit": (
        "equivalent under today's pool. With the cached id left stale, `thread_id::current()` "
        "still answers after the id was given back, but every shard lookup also takes the "
        "thread's token from `OWNER`, whose destructor has run, so it returns `None` and the "
        "operation takes the shard-less path; the cached shard (`LAST_SHARD`) is cleared by the "
        "same destructor, and the one other use of the id, a steal's start position, is a "
        "spreading hint. Setting the cached id to `GONE` is defence in depth (and makes "
        "`current()` answer without touching `OWNER`)."
    ),
    "chain.rs:unlink_drained:load#1:Relaxed": (
        "equivalent. Only the owner calls `unlink_drained` (from `trim` and its own pops), and "
        "the owner allocated every node of its chain, so the node it reaches through `tail` "
        "needs no publication to it; what it reads there is atomic (the ring's word, `next`, its "
        "own stores), and the node cannot be freed while it is pinned. The Acquire stays so the "
        "chain's four `tail` loads share one argument (proofs-notes/ordering.md, \"Stronger "
        "than the search needs\", the chain)."
    ),
}


# Seeded bugs that cannot be caught in depth (by a model checker and by a check of another
# kind), and why the kind they lack cannot see them. `cargo xtask audit --matrix` marks them
# "argued below" and prints these under its table; a bug short of depth without an entry here
# is reported as lacking depth.
_NO_CLOCK = (
    "The models have no clock: under loom and shuttle a timed wait never sleeps (the futex "
    "shim's deadline passes at once, `src/sync/futex.rs`), and `wait_until_timeout` ends with a "
    "last look for work either way. "
)

_SEQUENTIAL_INPUT_CHECK = (
    "The constructor's check of its capacity is a function of one argument, decided before a "
    "ring exists or a second thread can touch it: there is no interleaving for a model checker "
    "to explore, so a model test of it would call the constructor once, as the default tests "
    "and Miri already do, and count the same evidence twice. "
)

DEPTH_ARGUMENTS = {
    "dequeue-capacity-one": _SEQUENTIAL_INPUT_CHECK + (
        "The default tests (`edges::capacity_errors_are_typed_and_clear`, the constructor's "
        "unit tests) and Miri each catch it alone."
    ),
    "dequeue-capacity-not-power-of-two": _SEQUENTIAL_INPUT_CHECK + (
        "What the check guards, the index arithmetic across the 2^32 wrap, is exercised by "
        "every model at a power-of-two capacity; the default tests and Miri each catch the "
        "accepted capacity alone."
    ),
    "event-timeout-ignored": _NO_CLOCK + (
        "A wait that times out at once is what every timed wait does in the models, so the bug "
        "changes nothing they can observe; only a wall clock sees it (the default tests and "
        "Miri, both of which catch it)."
    ),
    "event-timeout-no-recheck": _NO_CLOCK + (
        "Skipping the re-check after the ticket makes a real thread sleep until its deadline "
        "with work available, then find it in the last look: the bug changes how long the "
        "wait lasts, not what it returns, and no model measures time."
    ),
    "event-timeout-loses-late-notify": _NO_CLOCK + (
        "A timed wait racing a notify may report either `Notified` or `TimedOut`; the bug only "
        "turns a notify that came well before the deadline into a time-out, and \"well before\" "
        "is a statement about time. The default tests catch it with a notify long before a long "
        "deadline."
    ),
    "event-timed-wait-closed-loops": _NO_CLOCK + (
        "A closed timed wait that spins until its deadline instead of returning ends at once "
        "in the models, with the same result: the bug costs time, which no model measures."
    ),
}
