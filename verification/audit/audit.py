#!/usr/bin/env python3
"""Ordering and seeded-bug audit for poolqueue, and the weakest-orderings search.

In scratch copies of the crate (one per checker group, each with its own cargo target dir, so
builds are reused from mutant to mutant), applies one mutation at a time -- every atomic
ordering in the audited modules (ring, batch, dequeue, chain, pool, event; the `sync` shim
excepted) weakened one step or more, plus the seeded logic bugs (LOGIC_BUGS below; POOL_BUGS,
EVENT_BUGS, DEQUEUE_BUGS, CHAIN_BUGS and WORKER_BUGS in seeded_bugs.py) -- runs the checkers of the
registry (verification/checkers.toml) against it, and
writes a markdown table (module, site or bug, variant, one column per checker, verdict) with
the kill rate and the survivors' arguments (equivalent.py) to proofs-notes/audit.md.

`--search-orderings` is a greedy search for the weakest orderings the loom models accept (see
`run_search`), with a re-check of the result at a higher preemption bound; its table goes to
proofs-notes/orderings-search.md.

Table-driven: a checker is one entry of verification/checkers.toml (name, timeout in seconds, scope, shell
command run in the scratch crate); a logic bug is one entry of a bug list.

Usage: cargo xtask audit [--only SUBSTR] [--module M,..] [--checkers C,..] [--all-checkers]
                         [--matrix] [--merge DIR] [--out FILE] [--list] [--check-patches] [--check-notes]
       cargo xtask audit --search-orderings [--module M,..] [--recheck-bound N]
  --only S1,S2,..      run only mutants whose id contains one of the substrings
  --module M,..        only these modules (ring, batch, dequeue, chain, pool, event)
  --checkers C,..      only these checkers (names or groups of the registry)
  --all-checkers       run every checker on every mutant (default: stop at the first catch)
  --matrix             every checker on every seeded logic bug (the orderings are left out):
                       `--all-checkers` over the logic bugs; the table's matrix section gives
                       each checker's standalone kill rate and the bugs caught by one kind of
                       checker only. Resumable: a row already run through every checker is
                       reused while its sources and tests are unchanged
  --merge DIR          add the matrix cells another scratch directory recorded for the same
                       sources and tests (a second audit process on other checkers, e.g.
                       `--checkers shuttle,fuzz` beside `--checkers default,miri,loom` on a
                       2-core machine) to this one's results and exit; `--matrix` then writes
                       the table
  --list               print the mutants and exit
  --check-patches      only check that every seeded bug still applies (each `old` text occurs
                       exactly once in the file it names) and every audited file exists; exit 1
                       otherwise (a CI lane: a move or an edit must not silently retire a bug)
  --check-notes        only check that every atomic operation of src/ has its one-line ordering
                       note citing a site id of proofs-notes/ordering.md; exit 1 otherwise
  --search-orderings   the weakest-orderings search instead of the audit
  --recheck-bound N    preemption bound of the search's final re-check (default 4; 0: none)
Environment: AUDIT_SCRATCH (default /tmp/poolqueue-audit): scratch crates, target dirs, logs,
and verdicts.json (cached verdicts of ordering combinations, keyed by the sources' hash; a
pass is reused only while the checker's tests are unchanged, see `TEST_TREES`).
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from seeded_bugs import CHAIN_BUGS, DEQUEUE_BUGS, EVENT_BUGS, POOL_BUGS, WORKER_BUGS  # noqa: E402
from equivalent import DEPTH_ARGUMENTS, SURVIVOR_ARGUMENTS  # noqa: E402

ORDERING_FILES = ["src/ring.rs", "src/dequeue.rs", "src/chain.rs", "src/worker.rs",
                  "src/pool/mod.rs", "src/pool/shards.rs", "src/pool/thread_id.rs", "src/event.rs"]

# ---------------------------------------------------------------------------------------------
# Seeded logic bugs: (id, description, [(file, old text, new text), ...]).
# Each `old` must occur exactly once; a stale patch is reported, never silently skipped.
# ---------------------------------------------------------------------------------------------
LOGIC_BUGS = [
    (
        "read-before-claim",
        "pop_tail reads the slot before its claiming CAS (speculative read)",
        [(
            "src/ring.rs",
            """    pub(crate) fn pop_tail(&self) -> Option<T> {
        let tail = self.claim_tail()?;
        // SAFETY: `claim_tail` just claimed `tail` for this thread.
        Some(unsafe { self.take_claimed(tail) })
    }""",
            """    pub(crate) fn pop_tail(&self) -> Option<T> {
        let mut word = self.head_tail.load(Ordering::Relaxed);
        loop {
            let (head, tail) = unpack(word);
            if head == tail {
                return None;
            }
            let slot = self.slot(tail);
            let early = slot.value.with(|p| unsafe { ptr::read(p) });
            match self.head_tail.compare_exchange(
                word,
                pack(head, tail.wrapping_add(1)),
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    slot.occupied.store(false, Ordering::Release);
                    return Some(unsafe { early.assume_init() });
                }
                Err(current) => word = current,
            }
        }
    }""",
        )],
    ),
    (
        "skip-slot-handback",
        "pop_tail never hands the slot back (occupied stays set)",
        [(
            "src/ring.rs",
            """        slot.occupied.store(false, Ordering::Release);
        value
    }""",
            """        value
    }""",
        )],
    ),
    (
        "full-test-gt",
        "full test `>= capacity` becomes `> capacity` (off by one, lets a push reach a full ring)",
        [(
            "src/ring.rs",
            "if head.wrapping_sub(tail) >= self.capacity() as u32 {",
            "if head.wrapping_sub(tail) > self.capacity() as u32 {",
        )],
    ),
    (
        "full-test-cap-minus-1",
        "full test `>= capacity` becomes `>= capacity - 1` (off by one, the other way)",
        [(
            "src/ring.rs",
            "if head.wrapping_sub(tail) >= self.capacity() as u32 {",
            "if head.wrapping_sub(tail) >= self.capacity() as u32 - 1 {",
        )],
    ),
    (
        "pop-head-by-store",
        "pop_head takes the value with a plain store instead of a CAS (loses the race with a steal)",
        [(
            "src/ring.rs",
            """            match self.head_tail.compare_exchange(
                word,
                pack(head, tail),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => break head,
                Err(current) => word = current,
            }""",
            """            self.head_tail.store(pack(head, tail), Ordering::Relaxed);
            let _ = &mut word;
            break head;""",
        )],
    ),
    (
        "claim-by-store",
        "claim_tail claims with a plain store instead of a CAS (two stealers can take one value)",
        [(
            "src/ring.rs",
            """            match self.head_tail.compare_exchange(
                word,
                pack(head, tail.wrapping_add(1)),
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(tail),
                Err(current) => word = current,
            }""",
            """            let _ = self.head_tail.load(Ordering::Acquire);
            self.head_tail.store(pack(head, tail.wrapping_add(1)), Ordering::Relaxed);
            let _ = &mut word;
            return Some(tail);""",
        )],
    ),
    (
        "next-after-pop",
        "chain pop_tail loads `next` after the empty pop (unlinks a ring not yet empty for good)",
        [(
            "src/chain.rs",
            """            let next = current.alive().next.load(Ordering::Acquire);
            let popped = current.alive().ring.pop_tail();""",
            """            let popped = current.alive().ring.pop_tail();
            let next = current.alive().next.load(Ordering::Acquire);""",
        )],
    ),
    (
        "free-immediately",
        "the reclaimer frees a retired ring at once (no grace period; both reclaimers)",
        [
            (
                "src/sync/reclaim_loom.rs",
                """        book.retired.push(Retired {
            ptr: ptr.cast(),
            live,
            free: free::<T>,
            waits,
            dead: false,
        });""",
                """        unsafe { (*live).kill() };
        book.retired.push(Retired {
            ptr: ptr.cast(),
            live,
            free: free::<T>,
            waits,
            dead: true,
        });""",
            ),
            (
                "src/sync/reclaim_epoch.rs",
                """            self.guard.defer_unchecked(move || {
                let boxed = boxed;
                drop(Box::from_raw(boxed.0));
            })""",
                """            let _ = &self.guard;
            drop(Box::from_raw(boxed.0));""",
            ),
        ],
    ),
    (
        "clear-prev-before-cas",
        "the unlinking stealer clears `next.prev` before its tail CAS (even if it loses it)",
        [(
            "src/chain.rs",
            """        if self
            .tail
            .compare_exchange(node, next, Ordering::Release, Ordering::Relaxed)
            .is_ok()
        {
            // SAFETY: `next` was read while pinned and is linked.
            let successor = unsafe { &*next };
            // Relaxed: a null publishes nothing (ordering.md C-unlink-prev).
            successor
                .alive()
                .prev
                .store(ptr::null_mut(), Ordering::Relaxed);""",
            """        unsafe { &*next }
            .alive()
            .prev
            .store(ptr::null_mut(), Ordering::Relaxed);
        if self
            .tail
            .compare_exchange(node, next, Ordering::Release, Ordering::Relaxed)
            .is_ok()
        {""",
        )],
    ),
    (
        "clear-prev-after-retire",
        "the unlinking stealer retires the ring before clearing `next.prev`",
        [(
            "src/chain.rs",
            """            successor
                .alive()
                .prev
                .store(ptr::null_mut(), Ordering::Relaxed);
            pause::reached(pause::Point::Unlinking);
            // SAFETY: `node` came from `Box::into_raw`, only this CAS winner retires it, and it
            // is now unreachable from `tail` and from `prev`; it holds no values (C5).
            unsafe { guard.retire(node) };""",
            """            unsafe { guard.retire(node) };
            pause::reached(pause::Point::Unlinking);
            successor
                .alive()
                .prev
                .store(ptr::null_mut(), Ordering::Relaxed);""",
        )],
    ),
    (
        "never-clear-prev",
        "the unlinking stealer never clears `next.prev` (the owner can walk into a retired ring)",
        [(
            "src/chain.rs",
            """            successor
                .alive()
                .prev
                .store(ptr::null_mut(), Ordering::Relaxed);""",
            """            let _ = successor;""",
        )],
    ),
    (
        "retire-before-cas",
        "every stealer that finds the ring drained retires it before the tail CAS",
        [(
            "src/chain.rs",
            """        if self
            .tail
            .compare_exchange(node, next, Ordering::Release, Ordering::Relaxed)""",
            """        unsafe { guard.retire(node) };
        if self
            .tail
            .compare_exchange(node, next, Ordering::Release, Ordering::Relaxed)""",
        ), (
            "src/chain.rs",
            """            // SAFETY: `node` came from `Box::into_raw`, only this CAS winner retires it, and it
            // is now unreachable from `tail` and from `prev`; it holds no values (C5).
            unsafe { guard.retire(node) };""",
            "",
        )],
    ),
    # --- batch operations (models in verification/loom/batch.rs) ---
    (
        "batch-half-floor",
        "a batch steal claims floor(n/2) instead of ceil(n/2) (\"half\" off by one)",
        [(
            "src/ring.rs",
            """    n - n / 2
}""",
            """    n / 2
}""",
        )],
    ),
    (
        "batch-handback-k-minus-1",
        "a batch steal of k hands back only k-1 source slots (the last stays occupied)",
        [(
            "src/ring.rs",
            """            // SAFETY: claimed by the compare-and-swap above (R6), each taken once.
            let value = unsafe { self.take_claimed(first.wrapping_add(i)) };""",
            """            let value = if i + 1 == moved {
                let slot = self.slot(first.wrapping_add(i));
                slot.value.with(|p| unsafe { ptr::read(p).assume_init() })
            } else {
                unsafe { self.take_claimed(first.wrapping_add(i)) }
            };""",
        )],
    ),
    (
        "batch-room-ignored",
        "a batch steal ignores the destination's room (moves as many as it wants)",
        [(
            "src/ring.rs",
            """        let Some((tail, k)) = self.claim_tail_batch(limit.min(room + extra)) else {""",
            """        let _ = room;
        let Some((tail, k)) = self.claim_tail_batch(limit) else {""",
        )],
    ),
    (
        "batch-room-ignores-held-slot",
        "the destination's room counts index room only, not slots its stealers still hold",
        [(
            "src/ring.rs",
            """            if self
                .slot(head.wrapping_add(room))
                .occupied
                .load(Ordering::Acquire)
            {""",
            """            if false {""",
        )],
    ),
    (
        "batch-steal-publish-before-write",
        "a batch steal publishes the destination's head before writing the slots",
        [(
            "src/ring.rs",
            """        let moved = k - extra;
        for i in 0..moved {""",
            """        let moved = k - extra;
        dest.head_tail.fetch_add(heads(moved), Ordering::Release);
        for i in 0..moved {""",
        ), (
            "src/ring.rs",
            """        if moved > 0 {
            // Release: pairs with the Acquire claim CAS on `dest` (ordering.md B-steal-publish).
            dest.head_tail.fetch_add(heads(moved), Ordering::Release);
        }""",
            "",
        )],
    ),
    (
        "batch-push-publish-before-write",
        "push_head_batch moves head past each slot before writing it",
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
    (
        "batch-pop-store-not-cas",
        "the owner's batch pop claims with a plain store instead of a compare-and-swap",
        [(
            "src/ring.rs",
            """            match self.head_tail.compare_exchange(
                word,
                pack(low, tail),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some((low, head)),
                Err(current) => word = current,
            }""",
            """            let _ = &mut word;
            self.head_tail.store(pack(low, tail), Ordering::Relaxed);
            return Some((low, head));""",
        )],
    ),
    (
        "batch-no-slide",
        "push_head_batch publishes at its start index after nested pops lowered the head",
        [(
            "src/ring.rs",
            """        if head != self.base {""",
            """        if false && head != self.base {""",
        )],
    ),
    (
        "batch-chain-no-room",
        "a chain steal never links a ring for the room it needs in the destination",
        [(
            "src/chain.rs",
            """                let room = dest.reserve_room(want);""",
            """                let room = dest.head().ring.room_from_head(want);""",
        )],
    ),
    (
        "batch-chain-chunk-overwrite",
        "a chain batch push starts each chunk over without publishing the previous one",
        [(
            "src/chain.rs",
            """                pushed += chunk.len();
                self.push_chunk(&mut chunk);""",
            """                pushed += chunk.len();
                if !more {
                    self.push_chunk(&mut chunk);
                } else {
                    chunk.start = chunk.end;
                }""",
        )],
    ),
    (
        "batch-chain-next-after-steal",
        "a chain steal reads the ring's successor after finding it empty (not before)",
        [(
            "src/chain.rs",
            """                let next = current.alive().next.load(Ordering::Acquire);
                let len = current.alive().ring.len();""",
            """                let len = current.alive().ring.len();""",
        ), (
            "src/chain.rs",
            """                current.alive();
                if moved > 0 || popped.is_some() {""",
            """                current.alive();
                let next = current.alive().next.load(Ordering::Acquire);
                if moved > 0 || popped.is_some() {""",
        )],
    ),
    (
        "pool-stash-not-aged",
        "a generation change leaves the stash as it is (its values outlive their releases)",
        [(
            "src/pool/shards.rs",
            """                self.stash_old = self.stash.take();
                Dead {""",
            """                Dead {""",
        ), (
            "src/pool/shards.rs",
            """                stashes: [self.stash_old.take(), self.stash.take()],""",
            """                stashes: [self.stash_old.take(), Stash::new()],""",
        )],
    ),
    (
        "pool-spill-loses-a-value",
        "a spill forgets one of the values it moves to the chain",
        [(
            "src/pool/mod.rs",
            """        owner.push_head_batch(values);""",
            """        core::mem::forget(values.next());
        owner.push_head_batch(values);""",
        )],
    ),
    (
        "pool-stash-skips-reset",
        "a value returned into the stash (the private slot is taken) is not reset",
        [(
            "src/pool/mod.rs",
            """        self.reset.run(value_ref);""",
            """        // SAFETY: seeded bug; our own shard, no user code.
        let to_stash = self
            .local_shard()
            .is_some_and(|s| unsafe { s.with_local(|l| !l.private.is_empty()) });
        if !to_stash {
            self.reset.run(value_ref);
        }""",
        )],
    ),
    (
        "pool-steal-ignores-generation",
        "a get batch-steals from the victim generation into its own chain (the victims become primary)",
        [(
            "src/pool/mod.rs",
            """        if let Some(value) = self.victim_stealer.pop_tail() {
            self.count(shard, Event::VictimHit);""",
            """        let victim = match shard {
            // SAFETY: seeded bug; our own shard, no user code.
            Some(own) => unsafe {
                own.with_local(|l| self.victim_stealer.steal_batch_and_pop(&l.owner))
            },
            None => self.victim_stealer.pop_tail(),
        };
        if let Some(value) = victim {
            self.count(shard, Event::VictimHit);""",
        )],
    ),
]

# ---------------------------------------------------------------------------------------------
# Modules, and the models that check each
# ---------------------------------------------------------------------------------------------
def module_of(rel, fn=""):
    """The audited module a source site belongs to (the table's first column)."""
    if rel == "src/ring.rs":
        return "batch" if "batch" in fn or fn in ("room", "heads") else "ring"
    if rel.startswith("src/pool/"):
        return "pool"
    return os.path.splitext(os.path.basename(rel))[0]


def bug_module(bug_id, edits):
    for prefix in ("pool", "event", "batch", "dequeue", "worker"):
        if bug_id.startswith(prefix + "-"):
            return prefix
    module = module_of(edits[0][0], bug_id)
    # The reclaimers in `sync` serve the chain's retired rings.
    return module if module in MODELS else "chain"


# The test-name filters (libtest substrings) of the loom and shuttle binaries that exercise each
# module: a mutant in a module runs these models only (`{filters}` in the registry). Both binaries
# name their modules alike (`verification/{loom,shuttle}/<module>.rs`).
MODELS = {
    "ring": ["dequeue::", "chain::", "chain_empty::", "batch", "fuzz_replay::"],
    "batch": ["batch", "dequeue::"],
    "dequeue": ["dequeue::", "batch", "fuzz_replay::"],
    "chain": ["chain::", "chain_empty::", "pool::", "event::", "fuzz_replay::"],
    "pool": ["pool::", "fuzz_replay::"],
    "event": ["event::"],
    "worker": ["worker::", "fuzz_replay::worker"],
}


# The Miri subset per module (libtest filters over `--lib --test native`): Miri runs the unit
# and edge tests of the structures, the pool's API tests, and the eventcount's unit tests.
MIRI = {
    "ring": ["edges::", "ring::tests"],
    "batch": ["edges::", "ring::tests"],
    "dequeue": ["edges::", "dequeue::tests"],
    "chain": ["edges::", "chain::tests"],
    "pool": ["pool_api::", "pool_aging::", "pool_accounting::"],
    "event": ["event::tests", "event_edges::"],
    "worker": ["worker::"],
}


def miri_for(modules):
    out = []
    for module in sorted(modules):
        out += [f for f in MIRI[module] if f not in out]
    return " ".join(out)


def filters_for(modules):
    out = []
    for module in sorted(modules):
        for f in MODELS[module]:
            if f not in out:
                out.append(f)
    return " ".join(out)


# ---------------------------------------------------------------------------------------------
# Ordering sites
# ---------------------------------------------------------------------------------------------
CALL_RE = re.compile(
    r"\.(load|store|swap|fetch_add|fetch_sub|fetch_or|fetch_and|fetch_xor|fetch_max|fetch_min|"
    r"fetch_update|compare_exchange_weak|compare_exchange)\s*\(|\bfence\s*\("
)
ORD_RE = re.compile(r"Ordering::(SeqCst|AcqRel|Acquire|Release|Relaxed)")
FN_RE = re.compile(r"\bfn\s+(\w+)")

# Strictly weaker valid orderings per role, strongest first (the audit tries each on its own).
WEAKER = {
    "load": {"SeqCst": ["Acquire", "Relaxed"], "Acquire": ["Relaxed"]},
    "store": {"SeqCst": ["Release", "Relaxed"], "Release": ["Relaxed"]},
    "rmw": {
        "SeqCst": ["AcqRel", "Acquire", "Release", "Relaxed"],
        "AcqRel": ["Acquire", "Release", "Relaxed"],
        "Acquire": ["Relaxed"],
        "Release": ["Relaxed"],
    },
    "cas-fail": {"SeqCst": ["Acquire", "Relaxed"], "Acquire": ["Relaxed"]},
    # `none`: the fence removed (a `Relaxed` fence is not allowed).
    "fence": {"SeqCst": ["AcqRel", "Acquire", "Release", "none"],
              "AcqRel": ["Acquire", "Release", "none"],
              "Acquire": ["none"], "Release": ["none"]},
}

# The order in which the weakest-orderings search tries a site: Relaxed (or no fence) first,
# then the one-sided orderings, then the two-sided one; only those weaker than the code's.
SEARCH_ORDER = {
    "load": ["Relaxed", "Acquire"],
    "store": ["Relaxed", "Release"],
    "rmw": ["Relaxed", "Acquire", "Release", "AcqRel"],
    "cas-fail": ["Relaxed", "Acquire"],
    "fence": ["none", "Acquire", "Release", "AcqRel"],
}


def test_code_start(text):
    """Offset where the file's test module starts (sites there are not audited)."""
    m = re.search(r"#\[cfg\(all\(test[^\n]*\]\s*\n\s*mod tests", text)
    return m.start() if m else len(text)


def ordering_sites(root):
    sites = []
    for rel in ORDERING_FILES:
        text = open(os.path.join(root, rel)).read()
        end = test_code_start(text)
        for m in ORD_RE.finditer(text, 0, end):
            line_start = text.rfind("\n", 0, m.start()) + 1
            if text[line_start:m.start()].lstrip().startswith("//"):
                continue  # a comment naming an ordering
            calls = list(CALL_RE.finditer(text, 0, m.start()))
            if not calls:
                continue
            call = calls[-1]
            fns = list(FN_RE.finditer(text, 0, m.start()))
            fn = fns[-1].group(1) if fns else "?"
            if fn in ("indices", "fmt"):  # test-only accessor, Debug output
                continue
            method = call.group(1) or "fence"
            if method == "load":
                role = "load"
            elif method == "store":
                role = "store"
            elif method == "fence":
                role = "fence"
            elif method.startswith("compare_exchange") or method == "fetch_update":
                before = len(ORD_RE.findall(text[call.end():m.start()]))
                role = "rmw" if before == 0 else "cas-fail"
            else:
                role = "rmw"
            line = text.count("\n", 0, m.start()) + 1
            op = method + ("(failure)" if role == "cas-fail" else "")
            sites.append({
                "file": rel, "line": line, "fn": fn, "op": op, "role": role,
                "ordering": m.group(1), "start": m.start(), "end": m.end(),
                "call_start": call.start(), "module": module_of(rel, fn),
                "key": f"{rel}:{fn}:{op}:{m.start()}",
            })
    # Stable keys: the n-th site of an operation in a function (offsets move with every edit).
    seen = {}
    for s in sites:
        base = f"{s['file']}:{s['fn']}:{s['op']}"
        seen[base] = seen.get(base, 0) + 1
        s["key"] = f"{base}#{seen[base]}"
    return sites


def ordering_edit(site, new):
    """(file, start, end, replacement) turning `site` into ordering `new` (`none`: no fence)."""
    if new == "none":
        return (site["file"], site["call_start"], site["end"] + 1, "()")
    return (site["file"], site["start"], site["end"], f"Ordering::{new}")


def all_logic_bugs():
    return LOGIC_BUGS + POOL_BUGS + EVENT_BUGS + DEQUEUE_BUGS + CHAIN_BUGS + WORKER_BUGS


def mutants(root):
    out = []
    for s in ordering_sites(root):
        site = f"{s['file']}:{s['line']} `{s['fn']}` {s['op']}"
        weaker = WEAKER[s["role"]].get(s["ordering"], [])
        if not weaker:
            out.append({"id": f"{s['key'][4:]}",
                        "site": site,
                        "module": s["module"], "kind": "ordering",
                        "variant": f"{s['ordering']} (already the weakest)", "patch": None})
        for w in weaker:
            out.append({
                "id": f"{s['key'][4:]}:{w}",
                "site": site, "module": s["module"], "kind": "ordering",
                "variant": f"{s['ordering']} -> {'no fence' if w == 'none' else w}",
                "patch": ("ordering", [ordering_edit(s, w)]),
                "combo": {s["key"]: w},
            })
    for bug_id, desc, edits in all_logic_bugs():
        out.append({"id": bug_id, "site": desc, "variant": "seeded bug", "kind": "logic",
                    "module": bug_module(bug_id, edits), "patch": ("text", edits)})
    return out


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------
REGISTRY = os.path.join(ROOT, "verification", "checkers.toml")


def read_registry():
    """The registry of checkers (verification/checkers.toml): its `[[checker]]` entries."""
    with open(REGISTRY, "rb") as f:
        return tomllib.load(f)["checker"]


def read_checkers():
    """The audit's checkers: the registry's entries with an `audit` command, in its order, one
    per `each` item (named `<audit_name>:<item>`). Each has a name, a timeout (s), a scope (`all`,
    or `logic` for a checker that is sequentially consistent and so cannot see an ordering), a
    command, a group (the name before `:`) and the source paths it never executes
    (`audit_unreached`)."""
    checkers = []
    for entry in read_registry():
        if "audit" not in entry:
            continue
        base = entry.get("audit_name", entry["name"])
        unreached = {}
        for line in entry.get("audit_unreached", []):
            item, _, paths = line.rpartition(":") if "each" in entry else ("", "", line)
            unreached[item.strip() or None] = paths.split()
        for item in entry.get("each", [None]):
            name = base if item is None else f"{base}:{item}"
            cmd = entry["audit"] if item is None else entry["audit"].replace("{each}", item)
            checkers.append({"name": name, "timeout": int(entry["audit_timeout"]),
                             "scope": entry["audit_scope"], "cmd": cmd,
                             "kind": entry["audit_kind"], "group": name.split(":")[0],
                             "unreached": unreached.get(item, [])})
    return checkers


# The test files each checker group compiles or reads (beside the sources). A verdict that let a
# mutant pass holds only for these very files: a model added later may catch it. A verdict that
# caught a mutant stays (tests are added, not weakened: a test that stops failing on a broken
# variant is a defect of its own), so adding a test re-runs exactly the passes it may overturn.
SHARED_TESTS = ["Cargo.toml", "verification/support"]
TEST_TREES = {entry.get("audit_name", entry["name"]): entry["audit_tests"]
              for entry in read_registry() if "audit_tests" in entry}
ALL_TESTS = ["verification", "fuzz"]  # a checker not named above
NOT_TESTS = {"audit", "target", "artifacts", "coverage", ".git"}


def tests_hash(root, group):
    """A hash of the test files checker group `group` runs (`TEST_TREES`)."""
    h = hashlib.sha256()
    for top in SHARED_TESTS + TEST_TREES.get(group, ALL_TESTS):
        path = os.path.join(root, top)
        files = [path] if os.path.isfile(path) else []
        for base, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d not in NOT_TESTS)
            files += [os.path.join(base, n) for n in sorted(names)]
        for f in files:
            h.update(os.path.relpath(f, root).encode() + b"\0" + open(f, "rb").read() + b"\0")
    return h.hexdigest()[:16]


def copy_crate(src, dst):
    if os.path.exists(dst):
        shutil.rmtree(dst)
    ignore = shutil.ignore_patterns("target", "target-*", ".git", "artifacts", "proofs-notes",
                                    "*.orig")
    # `copy`, not `copy2`: fresh modification times, so cargo never mistakes a source for the
    # older one a previous mutant's build saw (a kept mtime would reuse that stale build).
    shutil.copytree(src, dst, ignore=ignore, copy_function=shutil.copy)


def write_if_changed(path, text):
    """Writes only when the content differs, so cargo rebuilds only what a mutant touched."""
    try:
        if open(path).read() == text:
            return
    except FileNotFoundError:
        pass
    with open(path, "w") as f:
        f.write(text)


def patched_files(mutant, pristine):
    """{file: text} of the mutant applied to `pristine`, or an error string for a stale patch."""
    files = dict(pristine)
    patch = mutant["patch"]
    if patch is None:
        return files
    if patch[0] == "ordering":
        by_file = {}
        for rel, start, end, new in patch[1]:
            by_file.setdefault(rel, []).append((start, end, new))
        for rel, edits in by_file.items():
            text = pristine[rel]
            for start, end, new in sorted(edits, reverse=True):
                text = text[:start] + new + text[end:]
            files[rel] = text
        return files
    for rel, old, new in patch[1]:
        text = files[rel]
        if text.count(old) != 1:
            return f"stale patch: {old.splitlines()[0].strip()!r} found {text.count(old)}x in {rel}"
        files[rel] = text.replace(old, new)
    return files


def apply(mutant, root, pristine):
    files = patched_files(mutant, pristine)
    if isinstance(files, str):
        return files
    for rel, text in files.items():
        write_if_changed(os.path.join(root, rel), text)
    return None


def run_checker(cmd, timeout, cwd, env):
    t0 = time.time()
    p = subprocess.Popen(cmd, shell=True, cwd=cwd, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        code = p.returncode
    except subprocess.TimeoutExpired:
        # The whole process group: cargo, the test binary and its threads.
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, _ = p.communicate()
        out = out or ""
        # A checker that only hangs has not caught the mutant: its tests bound every wait with
        # a watchdog that fails with a message, so a hang is a missing bound, not a verdict. One
        # that reported a failing test before another test hung (memory corrupted by the bug
        # can send a single-threaded test into a loop) has caught it: the failure is named.
        if re.search(r"^test \S+ \.\.\. FAILED", out, re.M):
            return "fail", time.time() - t0, out + "\n(then hung: killed at the time-out)\n"
        return "hung", time.time() - t0, out
    dt = time.time() - t0
    if code == 0:
        return "pass", dt, out
    if "could not compile" in out or "error[E" in out:
        return "build-error", dt, out
    return "fail", dt, out


# A failure with a message: the only verdict that counts as a catch. A hang (`hung`, recorded as
# `timeout` by older runs) is not one.
CAUGHT = ("fail",)
HUNG = ("hung", "timeout")


def first_reason(out):
    """The failing tests and the first failure message found in a checker's output."""
    tests = sorted(set(re.findall(r"^test (\S+) \.\.\. FAILED", out, re.M)))
    if not tests:  # a model that aborts the binary prints no summary: the panicking threads
        tests = sorted(set(re.findall(r"^thread '([\w:]+)' \(\d+\) panicked", out, re.M)))
    names = ", ".join(t.split("::")[-1] for t in tests[:3]) + (" ..." if len(tests) > 3 else "")
    msg = first_message(out)
    return f"{names}: {msg}" if names else msg


def first_message(out):
    for pat in ("Causality violation[^\n]*", "use after free[^\n]*", "retired twice",
                "Model deadlocked[^\n]*", "^deadlock; threads[^\n]*", "watchdog: [^\n]*",
                "every pushed value must come out exactly once",
                "Undefined Behavior[^\n]*", "memory leaked[^\n]*",
                "assertion[^\n]*failed[^\n]*", "panicked at [^\n]*", "Allocation leaked",
                "SUMMARY: [^\n]*", "deadly signal", "SIGSEGV[^\n]*", "signal: [^\n]*"):
        m = re.search(pat, out, re.M)
        if m:
            return m.group(0)[:100]
    return ""


class Runner:
    """One scratch crate and one cargo target dir per checker group, so each checker's build is
    reused from mutant to mutant; verdicts of ordering combinations are cached on disk (the
    audit's single-site loom runs seed the weakest-orderings search)."""

    def __init__(self, checkers, scratch, copy=True):
        self.checkers = checkers
        self.scratch = scratch
        self.logs = os.path.join(scratch, "logs")
        os.makedirs(self.logs, exist_ok=True)
        mutable = set(ORDERING_FILES)
        for _, _, edits in all_logic_bugs():
            mutable.update(rel for rel, _, _ in edits)
        self.pristine = {rel: open(os.path.join(ROOT, rel)).read() for rel in sorted(mutable)}
        self.source_hash = hashlib.sha256(
            "".join(self.pristine[r] for r in sorted(self.pristine)).encode()).hexdigest()[:16]
        self.tests = {c["name"]: tests_hash(ROOT, c["group"]) for c in checkers}
        self.crates = {}
        for c in checkers:
            crate = os.path.join(scratch, f"crate-{c['group']}")
            if c["group"] not in self.crates and copy:
                copy_crate(ROOT, crate)
                self.crates[c["group"]] = crate
        self.cache_path = os.path.join(scratch, "verdicts.json")
        try:
            self.cache = json.load(open(self.cache_path))
        except (FileNotFoundError, ValueError):
            self.cache = {}

    def env(self, checker, extra=None):
        env = dict(os.environ)
        env.pop("RUSTFLAGS", None)
        env["CARGO_TARGET_DIR"] = os.path.join(self.scratch, f"target-{checker['group']}")
        env.update(extra or {})
        return env

    def run(self, checker, mutant, modules, log_id, extra_env=None):
        crate = self.crates[checker["group"]]
        err = apply(mutant, crate, self.pristine)
        if err:
            return "stale", 0.0, err
        cmd = checker["cmd"].format(filters=filters_for(modules), miri=miri_for(modules),
                                    target=self.env(checker)["CARGO_TARGET_DIR"])
        verdict, dt, out = run_checker(cmd, checker["timeout"], crate,
                                       self.env(checker, extra_env))
        with open(self.log_path(log_id, checker["name"]), "w") as f:
            f.write(f"$ {cmd}\n{out}")
        return verdict, dt, out

    def cache_key(self, checker, combo, filters, extra_env):
        parts = [self.source_hash, checker["cmd"], filters, json.dumps(extra_env or {})]
        parts += [f"{k}={v}" for k, v in sorted(combo.items())]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()

    def remember(self, checker, key, verdict, dt, reason):
        self.cache[key] = {"verdict": verdict, "seconds": round(dt), "reason": reason,
                           "tests": self.tests[checker["name"]]}
        tmp = self.cache_path + ".tmp"
        json.dump(self.cache, open(tmp, "w"), indent=0)
        os.replace(tmp, self.cache_path)

    def cached(self, checker, key):
        """A recorded verdict for `key` that still holds: a catch always (see `TEST_TREES`),
        a pass only if the checker's tests are the ones it ran."""
        hit = self.cache.get(key)
        if hit and (hit["verdict"] in CAUGHT
                    or hit.get("tests") == self.tests[checker["name"]]):
            return hit
        return None

    def results(self):
        try:
            store = json.load(open(os.path.join(self.scratch, "results.json")))
        except (FileNotFoundError, ValueError):
            store = {}
        store.setdefault("baseline", {})
        store.setdefault("rows", {})
        return store

    def save_results(self, store):
        path = os.path.join(self.scratch, "results.json")
        json.dump(store, open(path + ".tmp", "w"), indent=0)
        os.replace(path + ".tmp", path)

    def log_path(self, log_id, checker_name):
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", log_id)[:120]
        return os.path.join(self.logs, f"{safe}-{checker_name.replace(':', '_')}.log")

    def reason_from_logs(self, m, rec):
        """The first failure, re-read from the log of the first checker that caught `m`."""
        for name, verdict in rec["results"].items():
            if verdict.startswith(CAUGHT + HUNG):
                try:
                    return f"{name}: " + first_reason(open(self.log_path(m["id"], name)).read())
                except FileNotFoundError:
                    return None
        return None

    def restore(self):
        for crate in self.crates.values():
            apply({"patch": None}, crate, self.pristine)


def row_matches(runner, m, checkers, rec):
    """A recorded row still holds for these sources, this patch and these checkers, and no
    checker's tests changed since it let the mutant pass (`stale_passes`)."""
    return (rec["hash"] in (row_hash(runner, m, checkers, rec["results"]),
                            row_hash(runner, m, checkers))
            and not stale_passes(runner, rec))


def stale_passes(runner, rec):
    """The checkers of a row that caught nothing whose passes ran older tests than today's
    (empty for a row that caught its mutant: a catch stays, see `TEST_TREES`)."""
    results = rec["results"]
    if any(v.startswith(CAUGHT) for v in results.values()):
        return []
    return [n for n, v in results.items() if v.startswith("pass")
            and rec.get("tests", {}).get(n) != runner.tests.get(n)]


def current_cells(runner, rec):
    """The checkers whose verdict in row `rec` still holds: a catch always, a pass or a hang
    only while the checker's tests are the ones it ran (a matrix row re-runs the others)."""
    return {n for n, v in rec["results"].items()
            if v.startswith(CAUGHT) or rec.get("tests", {}).get(n) == runner.tests.get(n)}


def out_of_reach(checker, m):
    """Whether every file mutant `m` patches is one `checker` never executes (`audit_unreached`
    in the registry): run there, it could only pass."""
    if not checker["unreached"] or m["patch"] is None or m["patch"][0] != "text":
        return False
    return all(any(rel == p or (p.endswith("/") and rel.startswith(p))
                   for p in checker["unreached"]) for rel, _, _ in m["patch"][1])


def row_hash(runner, m, checkers, names=None):
    """What a mutant's verdicts depend on: the sources, the patch and the checkers that ran
    (`names`: those in the recorded row)."""
    parts = [runner.source_hash, json.dumps(m["patch"]), m["module"]]
    parts += [c["cmd"] + str(c["timeout"]) + " ".join(c["unreached"]) for c in checkers
              if names is None or c["name"] in names]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def baseline_id(runner, c, modules):
    """A baseline's name and key: per module set for a checker whose command names the
    mutated module's models, one for all modules otherwise."""
    if "{filters}" not in c["cmd"] and "{miri}" not in c["cmd"]:
        modules = []
    name = f"{c['name']} [{'+'.join(modules) or 'all'}]"
    key = hashlib.sha256((runner.source_hash + c["cmd"] + filters_for(modules)
                          + miri_for(modules) + runner.tests[c["name"]]).encode()).hexdigest()[:20]
    return name, key, modules


def run_audit(args, checkers, runner):
    everything = mutants(ROOT)
    selected = everything
    if args.only:
        selected = [m for m in selected if any(o in m["id"] for o in args.only.split(","))]
    if args.module:
        selected = [m for m in selected if m["module"] in args.module.split(",")]
    if args.matrix:
        selected = [m for m in selected if m["kind"] == "logic"]
    skip = set((args.skip or "").split(","))
    # Logic bugs first: most are caught by the cheapest checker; orderings need loom.
    selected = sorted(selected, key=lambda m: m["kind"] == "ordering")
    store = runner.results()

    # Baseline: a checker must pass on the unmodified crate, or its verdicts mean nothing. Each
    # checker's baseline runs before its first use (a checker no mutant reaches costs nothing);
    # one already passed on these very sources (results.json) is not run again.
    baseline = {}

    def ensure_baseline(c, modules):
        name, key, modules = baseline_id(runner, c, modules)
        if name in baseline:
            return baseline[name][0] == "pass"
        hit = store["baseline"].get(name)
        if hit and hit["hash"] == key and hit["verdict"] == "pass" and not args.rerun:
            verdict, dt = "pass", hit["seconds"]
            print(f"baseline {name}: pass ({dt:.0f} s, recorded)", flush=True)
        else:
            verdict, dt, out = runner.run(c, {"patch": None}, modules or list(MODELS),
                                          f"baseline-{name}")
            print(f"baseline {name}: {verdict} ({dt:.0f} s)", flush=True)
            store["baseline"][name] = {"hash": key, "verdict": verdict, "seconds": round(dt),
                                       "checker": c["name"]}
            runner.save_results(store)
        baseline[name] = (verdict, dt)
        if verdict != "pass":
            print(f"checker {c['name']} fails on the unmodified crate; see {runner.logs}",
                  file=sys.stderr)
        return verdict == "pass"

    started = time.time()
    for i, m in enumerate(selected):
        if m["patch"] is None:
            continue
        old = store["rows"].get(m["id"])
        ran_all = old and all(c["name"] in current_cells(runner, old) for c in checkers)
        if (old and row_matches(runner, m, checkers, old) and not args.rerun
                and (ran_all if args.all_checkers else old["complete"])):
            print(f"[{i + 1}/{len(selected)}] {m['id']}: recorded {old['results']}", flush=True)
            continue
        row = {"hash": "", "results": {}, "reason": "", "complete": False, "tests": {}}
        # A survivor whose only change is newer tests of some checkers: run just those again.
        only_stale = None
        if (old and not args.rerun and stale_passes(runner, old) and old.get("complete")
                and old["hash"] == row_hash(runner, m, checkers, old["results"])):
            only_stale = set(stale_passes(runner, old))
            row["results"] = {n: v for n, v in old["results"].items() if n not in only_stale}
            row["tests"] = {n: h for n, h in old.get("tests", {}).items() if n not in only_stale}
            row["complete"] = True
        # Every checker on this mutant (`--all-checkers`, `--matrix`): keep what a recorded row
        # for the same sources and checkers already holds and run only the checkers it lacks.
        have = set()
        if args.all_checkers and old and not args.rerun and row_matches(runner, m, checkers, old):
            have = current_cells(runner, old)
            row["results"] = {n: v for n, v in old["results"].items() if n in have}
            row["tests"] = {n: h for n, h in old.get("tests", {}).items() if n in have}
            row["reason"] = old.get("reason", "")
        modules = [m["module"]]
        filters = filters_for(modules)
        # An ordering can only be seen by a checker with weak memory, and the eventcount's bugs
        # hang real threads (loom reports the deadlock at once): loom first for both.
        loom_first = m["kind"] == "ordering" or m["module"] == "event"
        order = sorted(checkers, key=lambda c: loom_first and c["group"] != "loom")
        for c in order:
            if only_stale is not None and c["name"] not in only_stale:
                continue
            if c["name"] in have:
                continue
            if c["scope"] == "logic" and m["kind"] == "ordering":
                row["results"][c["name"]] = "n/a (SC)"
                continue
            if out_of_reach(c, m):
                row["results"][c["name"]] = "unreached"
                row["tests"][c["name"]] = runner.tests[c["name"]]
                continue
            if c["name"] in skip:
                continue  # left out of this run (`--skip`): the cell stays `-`
            if not ensure_baseline(c, modules):
                return 2
            combo = m.get("combo")
            key = runner.cache_key(c, combo, filters, None) if combo else None
            verdict, dt, out = runner.run(c, m, modules, m["id"])
            if verdict == "stale":
                row["reason"] = out
                row["results"] = {c2["name"]: "stale" for c2 in checkers}
                break
            row["results"][c["name"]] = f"{verdict} ({dt:.0f} s)"
            row["tests"][c["name"]] = runner.tests[c["name"]]
            reason = first_reason(out) if verdict in CAUGHT + HUNG else ""
            if key and verdict in ("pass",) + CAUGHT + HUNG:
                runner.remember(c, key, verdict, dt, reason)
            if reason and not row["reason"]:
                row["reason"] = f"{c['name']}: {reason}"
            if verdict in CAUGHT + ("build-error",) and not args.all_checkers:
                break  # a hang is no catch: the next checker runs
        else:
            row["complete"] = (only_stale is not None
                               or not skip.intersection(c["name"] for c in checkers))
        row["complete"] = row["complete"] or args.all_checkers
        row["hash"] = row_hash(runner, m, checkers, row["results"])
        store["rows"][m["id"]] = row
        runner.save_results(store)
        print(f"[{i + 1}/{len(selected)}] {m['id']}: {row['results']} {row['reason']}",
              flush=True)
    runner.restore()
    # The table covers every mutant and every checker: this run's rows and those recorded for
    # the same sources.
    checkers = runner.checkers
    rows = []
    for m in everything:
        rec = store["rows"].get(m["id"])
        if m["patch"] is not None and rec and row_matches(runner, m, checkers, rec):
            # The matrix shows only verdicts that still hold (a pass on older tests is re-run).
            results = rec["results"]
            if args.matrix:
                results = {n: v for n, v in results.items() if n in current_cells(runner, rec)}
            rows.append({"m": m, "results": results,
                         "reason": runner.reason_from_logs(m, rec) or rec["reason"]})
        else:
            rows.append({"m": m, "results": {}, "reason": ""})
    for name, rec in store["baseline"].items():
        c = next((c for c in checkers if c["name"] == rec.get("checker")), None)
        module_list = name[name.find("[") + 1:-1].split("+") if "[" in name else []
        module_list = [mod for mod in module_list if mod != "all"]
        if c is None or name in baseline or not all(mod in MODELS for mod in module_list):
            continue
        if rec["hash"] == baseline_id(runner, c, module_list)[1]:
            baseline[name] = (rec["verdict"], rec["seconds"])
    if args.matrix:
        out = args.out if args.out_given else os.path.join(ROOT, "proofs-notes",
                                                           "audit-matrix.md")
        write_matrix_file(out, rows, checkers, baseline, time.time() - started)
    else:
        write_table(args.out, rows, checkers, baseline, time.time() - started, args)
    return 0


# ---------------------------------------------------------------------------------------------
# Weakest-orderings search
# ---------------------------------------------------------------------------------------------
def run_search(args, checkers, runner):
    """Greedy: every atomic site in turn is tried at Relaxed (or without its fence), then at the
    one-sided orderings, then AcqRel, on top of the weakenings accepted so far; the first that
    the loom models of the touched modules accept is kept. Then the final combination is checked
    once more at a higher preemption bound."""
    loom = next(c for c in checkers if c["group"] == "loom")
    sites = ordering_sites(ROOT)
    if args.module:
        sites = [s for s in sites if s["module"] in args.module.split(",")]
    accepted = {}  # site key -> ordering
    modules_of = {s["key"]: s["module"] for s in sites}
    by_key = {s["key"]: s for s in sites}
    rows = []
    started = time.time()

    def trial(combo, extra_env=None, log_id=""):
        modules = sorted({modules_of[k] for k in combo})
        filters = filters_for(modules)
        key = runner.cache_key(loom, combo, filters, extra_env)
        hit = runner.cached(loom, key)
        if hit:
            return hit["verdict"], hit["seconds"], hit["reason"], True
        mutant = {"patch": ("ordering", [ordering_edit(by_key[k], v) for k, v in combo.items()])}
        verdict, dt, out = runner.run(loom, mutant, modules, log_id, extra_env)
        reason = first_reason(out) if verdict in CAUGHT + HUNG else ""
        if verdict in ("pass",) + CAUGHT + HUNG:
            runner.remember(loom, key, verdict, dt, reason)
        return verdict, dt, reason, False

    for n, s in enumerate(sites):
        current = s["ordering"]
        candidates = [w for w in SEARCH_ORDER[s["role"]]
                      if w in WEAKER[s["role"]].get(current, [])]
        tried = []
        kept = current
        for w in candidates:
            combo = dict(accepted)
            combo[s["key"]] = w
            verdict, dt, reason, cached = trial(combo, log_id=f"search-{s['key']}-{w}")
            tried.append((w, verdict, dt, reason, cached))
            print(f"[search {n + 1}/{len(sites)}] {s['key']} {current} -> {w}: {verdict}"
                  f"{' (cached)' if cached else ''} {reason}", flush=True)
            if verdict == "pass":
                accepted[s["key"]] = w
                kept = w
                break
            if verdict not in CAUGHT + HUNG:
                break  # a build error: the candidate is not valid Rust here; keep the code's
        rows.append((s, tried, kept))

    recheck = None
    repair = []  # (site key, weakening, verdict alone at the higher bound, reason)
    repaired = None  # (weakenings kept, seconds of their passing combined check)
    final = dict(accepted)
    if accepted and args.recheck_bound > 0:
        env = {"LOOM_MAX_PREEMPTIONS": str(args.recheck_bound)}
        verdict, dt, reason, cached = trial(dict(accepted), env, log_id="search-recheck")
        recheck = (verdict, dt, reason)
        print(f"[search] re-check of {len(accepted)} weakenings at preemption bound "
              f"{args.recheck_bound}: {verdict} {reason}", flush=True)
        if verdict != "pass":
            # Repair: the combination is wrong at the higher bound. Keep the weakenings that the
            # higher bound accepts on their own, then drop the latest-accepted of those until
            # their combination passes too; the rest go back to the code's ordering.
            final = {}
            for k, w in accepted.items():
                v, _, r, _ = trial({k: w}, env, log_id=f"search-repair-{k}")
                repair.append((k, w, v, r))
                print(f"[search] repair: {k} -> {w} alone at bound {args.recheck_bound}: {v} {r}",
                      flush=True)
                if v == "pass":
                    final[k] = w
            while final:
                v, dt2, r, _ = trial(dict(final), env, log_id="search-repair-combined")
                print(f"[search] repair: {len(final)} weakenings combined at bound "
                      f"{args.recheck_bound}: {v} {r}", flush=True)
                if v == "pass":
                    repaired = (len(final), dt2)
                    break
                final.pop(next(reversed(final)))
    runner.restore()
    write_search_table(args.search_out, rows, accepted, recheck, args, loom,
                       time.time() - started, repair, repaired, final)
    return 0


def write_search_table(path, rows, accepted, recheck, args, loom, elapsed, repair=(),
                       repaired=None, final=None):
    final = dict(accepted) if final is None else final
    with open(path, "w") as f:
        f.write("# Weakest-orderings search\n\n")
        f.write("Generated by `cargo xtask audit --search-orderings`"
                + (f" (`--module {args.module}`)" if args.module else "")
                + f". Wall time {elapsed / 60:.1f} min (verdicts cached from the audit's single-"
                  "site runs are reused). Do not edit by hand: rerun the tool.\n\n")
        f.write("A greedy pass over every atomic site, in file order: each site is tried at "
                "`Relaxed` (a fence: removed), then at the one-sided orderings, then `AcqRel`, "
                "on top of the weakenings accepted before it; the first variant that the loom "
                "models of the touched modules accept is kept. Checker: `" + loom["cmd"]
                + "` with `{filters}` the models of the modules of every weakened site "
                "(`MODELS` in audit.py).\n\n")
        n_weak = len(accepted)
        f.write(f"**{len(rows)} sites; {n_weak} accepted a weaker ordering than the code's.**")
        if not recheck and accepted:
            f.write(" The re-check of the final combination at a higher preemption bound was "
                    "not run (`--recheck-bound 0`).")
        if recheck:
            f.write(f" Re-check of the final combination at `LOOM_MAX_PREEMPTIONS="
                    f"{args.recheck_bound}`: **{recheck[0]}** ({recheck[1]:.0f} s)"
                    + (f": {recheck[2]}" if recheck[2] else "") + ".")
        if repair:
            f.write(" Repair (the combination failed at the higher bound): each accepted "
                    "weakening alone at that bound, then the latest-accepted survivor dropped "
                    "until the survivors' combination passes.")
            if repaired:
                f.write(f" **{repaired[0]} weakenings survive**, their combination passing at "
                        f"bound {args.recheck_bound} ({repaired[1]:.0f} s).")
            else:
                f.write(" **No weakening survives** the higher bound.")
            f.write("\n\n| site | weakening | alone at bound "
                    f"{args.recheck_bound} | kept |\n| --- | --- | --- | --- |\n")
            for k, w, v, r in repair:
                why = f" ({r.replace('|', '/')[:90]})" if r else ""
                f.write(f"| {k} | {w} | {v}{why} | {'yes' if k in final else 'no'} |\n")
        f.write("\n\n| module | site | code | tried (verdict) | search result | matches code |\n")
        f.write("| --- | --- | --- | --- | --- | --- |\n")
        for s, tried, kept in rows:
            t = "; ".join(f"{'no fence' if w == 'none' else w}: {v}"
                          + (f" ({r.replace('|', '/')[:70]})" if r else "")
                          for w, v, _, r, _ in tried) or "(already the weakest)"
            if s["key"] in accepted and s["key"] not in final:
                t += f"; rejected by the re-check at bound {args.recheck_bound}"
            result = final.get(s["key"], s["ordering"])
            shown = "no fence" if result == "none" else result
            f.write(f"| {s['module']} | {s['file']}:{s['line']} `{s['fn']}` {s['op']} | "
                    f"{s['ordering']} | {t} | {shown} | "
                    f"{'yes' if result == s['ordering'] else '**no**'} |\n")
    print(f"wrote {path}: {len(accepted)} weaker orderings accepted by the greedy pass, "
          f"{len(final)} after the re-check")


# ---------------------------------------------------------------------------------------------
# Entry
# ---------------------------------------------------------------------------------------------
NOTE_RE = re.compile(
    r"^\s*// (SeqCst|AcqRel|Acquire|Release|Relaxed)(?:/(SeqCst|AcqRel|Acquire|Release|Relaxed))?"
    r": \S.* \(ordering\.md ([A-Z]-[\w-]+)\)\.$"
)
NOTE_START_RE = re.compile(r"^\s*// (SeqCst|AcqRel|Acquire|Release|Relaxed)\b")


def check_notes(root):
    """Every atomic operation of `src/` (test modules included) has exactly one ordering note:
    the comment line directly above its statement (attributes and `// SAFETY:` blocks may sit
    between), `// <Ordering>: <why> (ordering.md <id>).`, at most 100 columns, naming the
    operation's (first) ordering, with an id that has a row in proofs-notes/ordering.md, and
    no further ordering comment line above it (the argument lives in ordering.md). Returns the
    list of problems and the number of operations checked."""
    table = open(os.path.join(root, "proofs-notes", "ordering.md")).read()
    ids = set(re.findall(r"^\| `([A-Z]-[\w-]+)` \|", table, re.M))
    problems, checked = [], 0
    for dirpath, _, names in sorted(os.walk(os.path.join(root, "src"))):
        for name in sorted(names):
            if not name.endswith(".rs"):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            lines = open(path).read().split("\n")
            done = set()
            for i, line in enumerate(lines):
                found = ORD_RE.findall(line)
                if not found or line.lstrip().startswith("//"):
                    continue
                where = f"{rel}:{i + 1}"
                # Up to the statement's first line: continuation lines end in none of `;{}`.
                j = i
                while j > 0:
                    prev = lines[j - 1].strip()
                    if prev.startswith("//") or prev.startswith("#[") or prev == "":
                        break
                    if prev.endswith((";", "{", "}")):
                        break
                    j -= 1
                # Between the note and the statement: attributes, and a `// SAFETY:` block.
                k = j - 1
                while k >= 0 and lines[k].strip().startswith("#["):
                    k -= 1
                top = k
                while top > 0 and lines[top - 1].strip().startswith("//"):
                    top -= 1
                safety = [m for m in range(top, k + 1)
                          if lines[m].strip().startswith("// SAFETY")]
                if safety and k >= 0 and not NOTE_RE.match(lines[k]):
                    k = safety[0] - 1
                if k in done:
                    continue  # another ordering of a statement already checked
                checked += 1
                note = lines[k] if k >= 0 else ""
                m = NOTE_RE.match(note)
                if not m:
                    problems.append(f"{where}: no one-line ordering note above the operation "
                                    f"(found {note.strip()[:60]!r})")
                    continue
                done.add(k)
                if len(note) > 100:
                    problems.append(f"{where}: the note is {len(note)} columns (at most 100)")
                if m.group(3) not in ids:
                    problems.append(f"{where}: site id {m.group(3)} has no row in ordering.md")
                # The statement may go on below this line (a CAS's failure ordering).
                end = i
                while not lines[end].rstrip().endswith((";", "{", "}")) and end + 1 < len(lines):
                    end += 1
                used = ORD_RE.findall(" ".join(lines[j:end + 1]))
                named = [o for o in (m.group(1), m.group(2)) if o]
                # One name: an ordering the statement uses; two (a CAS): success/failure.
                if (named != used) if len(named) == 2 else (named[0] not in used):
                    problems.append(f"{where}: the note names {'/'.join(named)}, the operation "
                                    f"uses {'/'.join(used)}")
                if k > 0 and NOTE_START_RE.match(lines[k - 1]):
                    problems.append(f"{where}: two ordering comment lines above the operation "
                                    f"(one line, the argument in ordering.md)")
    return problems, checked


def check_patches(root):
    """Every seeded bug's edits apply to the tree at `root`, in order, each `old` text exactly
    once. Returns the list of problems (empty when all apply)."""
    problems = []
    for rel in ORDERING_FILES:
        if not os.path.exists(os.path.join(root, rel)):
            problems.append(f"ordering file {rel} does not exist")
    for bug_id, _, edits in all_logic_bugs():
        files = {}
        for rel, old, new in edits:
            path = os.path.join(root, rel)
            if rel not in files:
                if not os.path.exists(path):
                    problems.append(f"{bug_id}: {rel} does not exist")
                    break
                files[rel] = open(path).read()
            n = files[rel].count(old)
            if n != 1:
                first = old.strip().splitlines()[0].strip()
                problems.append(f"{bug_id}: {first!r} occurs {n}x in {rel} (must be exactly once)")
                break
            files[rel] = files[rel].replace(old, new)
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only")
    ap.add_argument("--module", help="comma-separated modules: ring,batch,dequeue,chain,pool,event")
    ap.add_argument("--all-checkers", action="store_true")
    ap.add_argument("--matrix", action="store_true",
                    help="every checker on every seeded logic bug (implies --all-checkers)")
    ap.add_argument("--checkers", help="comma-separated checker names (default: all)")
    ap.add_argument("--skip", help="comma-separated checkers to leave out of this run while "
                    "keeping their columns (cells `-`)")
    ap.add_argument("--merge", metavar="DIR",
                    help="add the matrix cells recorded in DIR/results.json (another scratch "
                    "directory, same sources) to this scratch's results, then exit")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--check-patches", action="store_true")
    ap.add_argument("--check-notes", action="store_true")
    ap.add_argument("--search-orderings", action="store_true")
    ap.add_argument("--recheck-bound", type=int, default=4)
    ap.add_argument("--rerun", action="store_true",
                    help="ignore the verdicts recorded in $AUDIT_SCRATCH/results.json")
    ap.add_argument("--out", help="the table's file (default proofs-notes/audit.md; with "
                    "--matrix, proofs-notes/audit-matrix.md)")
    ap.add_argument("--search-out", default=os.path.join(ROOT, "proofs-notes",
                                                         "orderings-search.md"))
    args = ap.parse_args()
    args.out_given = args.out is not None
    if args.out is None:
        args.out = os.path.join(ROOT, "proofs-notes", "audit.md")

    if args.check_patches:
        problems = check_patches(ROOT)
        for p in problems:
            print(f"stale seeded bug: {p}", file=sys.stderr)
        if problems:
            return 1
        bugs = all_logic_bugs()
        print(f"all {len(bugs)} seeded bugs apply ({sum(len(e) for _, _, e in bugs)} edits)")
        return 0

    if args.check_notes:
        problems, checked = check_notes(ROOT)
        for p in problems:
            print(f"ordering note: {p}", file=sys.stderr)
        if problems:
            return 1
        print(f"all {checked} atomic operations in src/ carry a one-line ordering note")
        return 0

    if args.list:
        ms = mutants(ROOT)
        if args.only:
            ms = [m for m in ms if args.only in m["id"]]
        for m in ms:
            print(f"{m['module']:8} {m['id']:50} {m['variant']:28} {m['site']}")
        return 0

    if args.matrix:
        args.all_checkers = True
    registry = read_checkers()
    checkers = registry
    if args.checkers:
        wanted = args.checkers.split(",")
        if args.matrix:
            # A matrix row holds every checker's cell: the others are left out of this run
            # (`--skip`), not out of the row (its recorded cells are kept).
            left_out = [c["name"] for c in checkers
                        if c["name"] not in wanted and c["group"] not in wanted]
            args.skip = ",".join(filter(None, [args.skip] + left_out))
        else:
            checkers = [c for c in checkers if c["name"] in wanted or c["group"] in wanted]
    scratch = os.environ.get("AUDIT_SCRATCH", "/tmp/poolqueue-audit")
    os.makedirs(scratch, exist_ok=True)
    # The runner knows every checker (the table keeps every column and each recorded verdict's
    # tests); this run uses `checkers`.
    if args.merge:
        return merge_results(args, registry, Runner(registry, scratch, copy=False))
    runner = Runner(registry, scratch)
    if args.search_orderings:
        return run_search(args, checkers, runner)
    return run_audit(args, checkers, runner)


def merge_results(args, registry, runner):
    """`--merge DIR`: adds the matrix cells that another scratch directory (a second audit
    process, run beside this one on other checkers) recorded for these very sources, patches
    and tests to this scratch's results; a cell this scratch already holds is kept. Run it
    while no audit uses this scratch; then `--matrix` writes the table."""
    theirs = json.load(open(os.path.join(args.merge, "results.json")))
    store = runner.results()
    by_id = {m["id"]: m for m in mutants(ROOT) if m["patch"] is not None}
    merged = 0
    for mid, rec in theirs.get("rows", {}).items():
        m = by_id.get(mid)
        if m is None or not row_matches(runner, m, registry, rec):
            continue
        cells = current_cells(runner, rec)
        old = store["rows"].get(mid)
        if old and row_matches(runner, m, registry, old):
            row = {"results": dict(old["results"]), "tests": dict(old.get("tests", {})),
                   "reason": old.get("reason", "")}
        else:
            row = {"results": {}, "tests": {}, "reason": ""}
        added = [n for n in rec["results"] if n in cells and n not in row["results"]]
        for n in added:
            row["results"][n] = rec["results"][n]
            if n in rec.get("tests", {}):
                row["tests"][n] = rec["tests"][n]
        row["reason"] = row["reason"] or rec.get("reason", "")
        row["complete"] = all(c["name"] in row["results"] for c in registry)
        row["hash"] = row_hash(runner, m, registry, row["results"])
        store["rows"][mid] = row
        merged += bool(added)
    for name, rec in theirs.get("baseline", {}).items():
        c = next((c for c in registry if c["name"] == rec.get("checker")), None)
        modules = [mod for mod in name[name.find("[") + 1:-1].split("+") if mod != "all"]
        if (c is not None and all(mod in MODELS for mod in modules)
                and rec["hash"] == baseline_id(runner, c, modules)[1]):
            store["baseline"][name] = rec
    runner.save_results(store)
    print(f"merged cells of {merged} rows from {args.merge}")
    return 0


def seconds_of(cell):
    """The seconds a recorded verdict took (`fail (12 s)` -> 12), 0 if none."""
    m = re.search(r"\((\d+) s\)", cell)
    return int(m.group(1)) if m else 0


def write_matrix(f, rows, checkers):
    """The matrix section: every checker's verdict on every seeded logic bug it ran on, each
    checker's standalone kill rate, and each bug's depth (caught by a model checker and by a
    real-thread, fuzz or Miri check)."""
    names = [c["name"] for c in checkers]
    kind = {c["name"]: c["kind"] for c in checkers}
    every = [r for r in rows if r["m"]["kind"] == "logic"]
    # An equivalent bug (argued in audit.md) no checker can catch: out of the rates.
    logic = [r for r in every if r["m"]["id"] not in SURVIVOR_ARGUMENTS]
    full = [r for r in logic if all(n in r["results"] for n in names)]
    f.write("\n## Matrix: every checker on every seeded logic bug\n\n")
    f.write(f"`cargo xtask audit --matrix` runs every checker on every seeded logic bug (no "
            f"first catch). **{len(full)} of {len(logic)}** seeded bugs have been through every "
            f"checker for today's sources")
    if full:
        per_row = sum(sum(seconds_of(v) for v in r["results"].values()) for r in full) / len(full)
        f.write(f"; they took {per_row / 60:.1f} min each on average (every checker, builds "
                f"reused), so the full matrix takes about {per_row * len(logic) / 3600:.1f} h "
                f"of checker time on the machine that ran them (the sum over the checkers: two "
                f"audit processes on disjoint `--checkers`, joined by `--merge`, share it out)")
    f.write(f". {len(every) - len(logic)} seeded bugs are equivalent to the crate (argued in "
            "`audit.md`) and counted in no rate. A checker's standalone kill rate counts the bugs "
            "it caught alone (a failure "
            "with a message; a hang is no catch) among the bugs it ran on. Kinds: `model` "
            "(loom, shuttle), `tests` (the default tests: unit, proptest, stress, "
            "linearizability bursts, real threads), `fuzz`, `miri`.\n\n")
    f.write("| checker | kind | ran on | caught | hung | standalone kill rate |\n"
            "| --- | --- | --- | --- | --- | --- |\n")
    for n in names:
        ran = [r["results"][n] for r in logic
               if r["results"].get(n, "-").startswith(("pass",) + CAUGHT + HUNG)]
        caught = sum(v.startswith(CAUGHT) for v in ran)
        hung = sum(v.startswith(HUNG) for v in ran)
        rate = f"{100 * caught / len(ran):.0f} %" if ran else "-"
        f.write(f"| {n} | {kind[n]} | {len(ran)} | {caught} | {hung} | {rate} |\n")
    for k in sorted({kind[n] for n in names}):
        group = [n for n in names if kind[n] == k]
        if len(group) < 2:
            continue
        rows_k = [r for r in full if all(n in r["results"] for n in group)]
        caught = sum(any(r["results"][n].startswith(CAUGHT) for n in group) for r in rows_k)
        rate = f"{100 * caught / len(rows_k):.0f} %" if rows_k else "-"
        f.write(f"| any {k} checker | {k} | {len(rows_k)} | {caught} | | {rate} |\n")
    shown = [r for r in every if r["results"]]
    if not shown:
        return
    f.write("\n`x` caught, `.` passed, `H` hung, `/` out of reach (the checker never executes "
            "the patched files: `audit_unreached` in the registry), `B` the seeded bug does not "
            "build, `-` not run. Depth: the kinds of checker that "
            "catch the bug alone; **in depth** when a model checker and a real-thread, fuzz or "
            "Miri check each catch it (with checkers still to run: *(partial)*; a catch holds "
            "whatever they find); *not yet through every checker*: short of depth so far, with "
            "checkers still to run.\n\n")
    f.write("| bug | module | " + " | ".join(names) + " | kinds | depth |\n")
    f.write("| --- | --- | " + " | ".join("---" for _ in names) + " | --- | --- |\n")
    no_model, model_only, argued, unbuilt, pending = [], [], [], [], []
    for r in shown:
        res = r["results"]
        marks = ["x" if res.get(n, "-").startswith(CAUGHT) else "H"
                 if res.get(n, "-").startswith(HUNG) else "." if res.get(n, "-").startswith("pass")
                 else "/" if res.get(n) == "unreached" else "B"
                 if res.get(n, "-").startswith("build-error") else "-" for n in names]
        kinds = sorted({kind[n] for n in names if res.get(n, "-").startswith(CAUGHT)})
        if "B" in marks and not kinds:
            depth = "**does not build** (the seeded bug needs rewriting)"
            unbuilt.append(r["m"]["id"])
        elif not kinds and r["m"]["id"] in SURVIVOR_ARGUMENTS:
            depth = "equivalent (argued in `audit.md`)"
        elif "model" in kinds and len(kinds) >= 2:
            depth = "in depth"
        elif kinds and r["m"]["id"] in DEPTH_ARGUMENTS:
            depth = "argued below"
            argued.append(r["m"]["id"])
        elif not all(n in res for n in names):
            # Short of depth so far, with checkers still to run: no verdict on its depth yet.
            depth = "not yet through every checker"
            pending.append(r["m"]["id"])
        elif "model" in kinds:
            depth = "**model checkers only**"
            model_only.append(r["m"]["id"])
        else:
            depth = "**no model checker**" if kinds else "**not caught**"
            no_model.append(r["m"]["id"])
        if not all(n in res for n in names) and depth != "not yet through every checker":
            depth += " *(partial)*"
        f.write(f"| `{r['m']['id']}` | {r['m']['module']} | " + " | ".join(marks)
                + f" | {', '.join(kinds) or 'none'} | {depth} |\n")
    shallow = len(no_model) + len(model_only) + len(argued) + len(unbuilt) + len(pending)
    listed = [r for r in shown if r in logic]
    f.write(f"\n{len(listed) - shallow} of the {len(listed)} non-equivalent bugs above are caught "
            "in depth"
            + (f"; not yet through every checker and short of depth so far ({len(pending)}): "
               f"{', '.join(f'`{b}`' for b in pending)}" if pending else "")
            + (f"; short of depth, with the argument below why the kind it lacks cannot see "
               f"it: "
               f"{', '.join(f'`{b}`' for b in argued)}" if argued else "")
            + (f"; without a model checker: {', '.join(f'`{b}`' for b in no_model)}"
               if no_model else "")
            + (f"; by model checkers only: {', '.join(f'`{b}`' for b in model_only)}"
               if model_only else "")
            + (f"; not built (the seeded bug needs rewriting): "
               f"{', '.join(f'`{b}`' for b in unbuilt)}" if unbuilt else "") + ".\n")
    for b in argued:
        f.write(f"\n- `{b}`: {DEPTH_ARGUMENTS[b]}\n")


def baseline_runs(c, baseline):
    """Checker `c`'s baselines, one per module set (`[ring] pass in 74 s, ...`); "" if none."""
    return ", ".join(f"{n[len(c['name']) + 1:]} {v[0]} in {v[1]:.0f} s"
                     for n, v in sorted(baseline.items()) if n.startswith(c["name"] + " ["))


def write_matrix_file(path, rows, checkers, baseline, elapsed):
    """`--matrix`'s own file: the matrix section alone, with the checkers' baselines."""
    with open(path, "w") as f:
        f.write("# Every checker on every seeded logic bug\n\n")
        f.write("Generated by `cargo xtask audit --matrix` from the verdicts recorded for today's "
                "sources (`$AUDIT_SCRATCH/results.json`; the last invocation: "
                f"`{' '.join(sys.argv[1:])}`, {elapsed / 60:.1f} min). Do not edit by hand: "
                "rerun the tool. The first-catch audit of every ordering and seeded bug is "
                "`audit.md`; the seeded bugs are listed there and in "
                "`verification/audit/seeded_bugs.py`.\n\n")
        f.write("Checkers (verification/checkers.toml), baseline on the unmodified crate:\n\n")
        for c in checkers:
            runs = baseline_runs(c, baseline)
            state = f"baseline {runs}" if runs else "not run"
            f.write(f"- `{c['name']}` ({c['kind']}): `{c['cmd']}` (timeout {c['timeout']} s) "
                    f"-- {state}\n")
        write_matrix(f, rows, checkers)
    print(f"wrote {path}")


def write_table(path, rows, checkers, baseline, elapsed, args):
    names = [c["name"] for c in checkers]
    caught = survived = invalid = equivalent = not_run = hung = 0
    per_checker = {n: 0 for n in names}
    per_module = {}
    lines = []
    survivors = []
    for r in rows:
        m = r["m"]
        pm = per_module.setdefault(m["module"], [0, 0, 0])
        if m["patch"] is None:
            verdict = "n/a (no weaker ordering)"
        elif not r["results"]:
            verdict = "not run yet"
            not_run += 1
        else:
            res = r["results"]
            catchers = [n for n in names if res.get(n, "").startswith(CAUGHT)]
            hangers = [n for n in names if res.get(n, "").startswith(HUNG)]
            if any(v.startswith(("build-error", "stale")) for v in res.values()):
                verdict = "invalid (" + next(v for v in res.values()
                                              if v.startswith(("build-error", "stale"))) + ")"
                invalid += 1
            elif catchers:
                verdict = "caught by " + ", ".join(catchers)
                caught += 1
                pm[0] += 1
                for n in catchers:
                    per_checker[n] += 1
            elif hangers:
                # Not caught: only a hang, which no test turned into a failure with a message.
                verdict = "**hung** in " + ", ".join(hangers)
                hung += 1
                pm[1] += 1
                survivors.append(m)
            elif m["id"] in SURVIVOR_ARGUMENTS:
                verdict = "survived: **equivalent** (argued below)"
                equivalent += 1
                pm[2] += 1
                survivors.append(m)
            else:
                verdict = "**survived**"
                survived += 1
                pm[1] += 1
                survivors.append(m)
        cells = [r["results"].get(n, "-") for n in names]
        lines.append(f"| {m['module']} | {m['site']} | {m['variant']} | " + " | ".join(cells)
                     + f" | {verdict} | {r['reason'].replace('|', '/')} |")
    with open(path, "w") as f:
        f.write("# Ordering and seeded-bug audit\n\n")
        f.write("Generated by `cargo xtask audit` from the verdicts recorded for today's sources "
                "(`$AUDIT_SCRATCH/results.json`: each row as the run that produced it left it, "
                "a survivor's passes only while its checkers' tests are unchanged; "
                "the last invocation: "
                + (f"`{' '.join(sys.argv[1:])}`" if sys.argv[1:] else "without options")
                + f", {elapsed / 60:.1f} min)"
                + (" with `--all-checkers`" if args.all_checkers else
                   ". Checkers run in order (loom first for an ordering and for the eventcount, "
                   "whose bugs hang real threads); the first that catches a mutant ends its row; "
                   "a checker that only runs out of time reads `hung`, not a catch, and the next "
                   "checker runs; "
                   "`-` = not run")
                + ". Do not edit by hand: rerun the tool.\n\n")
        f.write("Every atomic ordering of the audited modules weakened one step or more, and the "
                "seeded logic bugs (audit.py `LOGIC_BUGS`, seeded_bugs.py). The `sync` shim "
                "is not audited. Loom and shuttle run the models of the mutated module "
                "(`MODELS` in audit.py); `n/a (SC)`: a sequentially consistent checker "
                "(shuttle, and the fuzz targets, which run on shuttle) cannot see an ordering, "
                "so it is not run on ordering mutants; `unreached`: the checker never executes "
                "the patched files (`audit_unreached` in the registry), so it is not run.\n\n")
        f.write("Checkers (verification/checkers.toml), baseline on the unmodified crate:\n\n")
        for c in checkers:
            runs = baseline_runs(c, baseline)
            if runs:
                state = f"baseline (per module set) {runs}"
            else:
                state = "no mutant reached it, so its baseline was not run"
            f.write(f"- `{c['name']}`: `{c['cmd']}` (timeout {c['timeout']} s, scope "
                    f"{c['scope']}) -- {state}\n")
        killable = caught + survived + hung
        f.write(f"\n**{caught} caught, {survived} survived, {hung} hung, {equivalent} "
                f"equivalent, {invalid} invalid** of "
                f"{caught + survived + hung + equivalent + invalid} mutants")
        if killable:
            f.write(f": kill rate **{100 * caught / killable:.1f} %** of the non-equivalent "
                    f"valid mutants")
        if not_run:
            f.write(f"; **{not_run} mutants not run yet** (rows `not run yet`)")
        f.write(". Caught per checker: "
                + ", ".join(f"{n} {per_checker[n]}" for n in names) + ".\n\n")
        f.write("| module | caught | survived | equivalent |\n| --- | --- | --- | --- |\n")
        for mod in sorted(per_module):
            c_, s_, e_ = per_module[mod]
            f.write(f"| {mod} | {c_} | {s_} | {e_} |\n")
        f.write("\n| module | site / bug | variant | " + " | ".join(names)
                + " | verdict | first failure |\n")
        f.write("| --- | --- | --- | " + " | ".join("---" for _ in names) + " | --- | --- |\n")
        f.write("\n".join(lines) + "\n")
        write_matrix(f, rows, checkers)
        f.write("\n## Survivors\n\n")
        if not survivors:
            f.write("None.\n")
        for m in survivors:
            arg = SURVIVOR_ARGUMENTS.get(m["id"])
            f.write(f"- `{m['id']}` ({m['site']}, {m['variant']}): "
                    + (arg if arg else "**not argued: a missing test**")
                    + (" (it only hangs a checker: a wait without a watchdog)"
                       if m["id"] not in SURVIVOR_ARGUMENTS and any(
                           r["results"].get(n, "").startswith(HUNG) for r in rows
                           if r["m"] is m for n in names) else "") + "\n")
    print(f"wrote {path}: {caught} caught, {survived} survived, {hung} hung, {equivalent} "
          f"equivalent, {invalid} invalid")


if __name__ == "__main__":
    sys.exit(main())
