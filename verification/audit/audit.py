#!/usr/bin/env python3
"""Ordering and seeded-bug audit for poolqueue.

In a scratch copy of the crate, applies one mutation at a time -- every atomic ordering in
src/ring.rs and src/chain.rs weakened one step or more (SeqCst -> AcqRel -> Acquire/Release ->
Relaxed, as valid for the operation), plus a list of seeded logic bugs -- runs every checker
listed in checkers.tsv against it, and writes a markdown table (site, variant, which checker
caught it, or "survived") to proofs-notes/audit.md.

Table-driven: a checker is one line of checkers.tsv (name, timeout in seconds, shell command
run in the scratch crate); a logic bug is one entry of LOGIC_BUGS below.

Usage: cargo xtask audit [--only SUBSTR] [--all-checkers] [--out FILE] [--list] [--check-patches]
  --only SUBSTR    run only mutants whose id contains SUBSTR
  --all-checkers   run every checker on every mutant (default: stop at the first that catches)
  --list           print the mutants and exit
  --check-patches  only check that every seeded bug still applies (each `old` text occurs exactly
                   once in the file it names) and every audited file exists; exit 1 otherwise
                   (a CI lane: a move or an edit must not silently retire a seeded bug)
Environment: AUDIT_SCRATCH (default /tmp/poolqueue-audit), AUDIT_TARGET (cargo target dir for
the scratch crate, default $AUDIT_SCRATCH/target).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
ORDERING_FILES = ["src/ring.rs", "src/chain.rs"]

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
            // Relaxed: after it the owner cannot reach `node` any more. A null publishes no
            // data; the reclaimer's SeqCst fence (in `retire`, below) orders this store before
            // its snapshot of pinned threads.
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
            // SAFETY: `node` came from `Box::into_raw`, only this CAS winner retires it, and it
            // is now unreachable from `tail` and from `prev`; it holds no values (C5).
            unsafe { guard.retire(node) };""",
            """            unsafe { guard.retire(node) };
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
    # --- batch operations (issue 11; models in verification/batch_loom.rs) ---
    (
        "batch-half-floor",
        "a batch steal claims floor(n/2) instead of ceil(n/2) (\"half\" off by one)",
        [(
            "src/ring.rs",
            """            let k = (n - n / 2).min(limit);""",
            """            let k = (n / 2).min(limit);""",
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
            """        let (dest_head, room) = dest.room(want);""",
            """        let (dest_head, _) = dest.room(want);
        let room = want;""",
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
            // Release: publishes the slots written above; pairs with the Acquire CAS of
            // `claim_tail`/`claim_tail_batch` on `dest`.
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
        "pop_head_batch claims with a plain store instead of a compare-and-swap",
        [(
            "src/ring.rs",
            """            match self.head_tail.compare_exchange(
                word,
                pack(low, tail),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => break (low, head),
                Err(current) => word = current,
            }""",
            """            let _ = &mut word;
            self.head_tail.store(pack(low, tail), Ordering::Relaxed);
            break (low, head);""",
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
            """                dest.reserve_room(want);""",
            """                let _ = want;""",
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
]

# ---------------------------------------------------------------------------------------------
# Ordering sites
# ---------------------------------------------------------------------------------------------
CALL_RE = re.compile(
    r"\.(load|store|swap|fetch_add|fetch_sub|fetch_or|fetch_and|fetch_xor|fetch_update|"
    r"compare_exchange_weak|compare_exchange)\s*\(|\bfence\s*\("
)
ORD_RE = re.compile(r"Ordering::(SeqCst|AcqRel|Acquire|Release|Relaxed)")
FN_RE = re.compile(r"\bfn\s+(\w+)")

# Strictly weaker valid orderings per role.
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
    "fence": {"SeqCst": ["AcqRel"], "AcqRel": ["Acquire", "Release"]},
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
            calls = list(CALL_RE.finditer(text, 0, m.start()))
            if not calls:
                continue
            call = calls[-1]
            fns = list(FN_RE.finditer(text, 0, m.start()))
            fn = fns[-1].group(1) if fns else "?"
            if fn == "indices":  # test-only accessor
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
            })
    return sites


def mutants(root):
    out = []
    for s in ordering_sites(root):
        site = f"{s['file']}:{s['line']} `{s['fn']}` {s['op']}"
        weaker = WEAKER[s["role"]].get(s["ordering"], [])
        if not weaker:
            out.append({"id": f"{os.path.basename(s['file'])}:{s['line']}:{s['op']}", "site": site,
                        "variant": f"{s['ordering']} (already the weakest)", "patch": None})
        for w in weaker:
            out.append({
                "id": f"{os.path.basename(s['file'])}:{s['line']}:{s['op']}:{w}",
                "site": site,
                "variant": f"{s['ordering']} -> {w}",
                "patch": ("ordering", s["file"], s["start"], s["end"], f"Ordering::{w}"),
            })
    for bug_id, desc, edits in LOGIC_BUGS:
        out.append({"id": bug_id, "site": desc, "variant": "seeded bug",
                    "patch": ("text", edits)})
    return out


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------
def read_checkers():
    checkers = []
    for line in open(os.path.join(HERE, "checkers.tsv")):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, timeout, cmd = line.split("\t", 2)
        checkers.append((name, int(timeout), cmd))
    return checkers


def copy_crate(src, dst):
    if os.path.exists(dst):
        shutil.rmtree(dst)
    ignore = shutil.ignore_patterns("target", ".git", "fuzz", "proofs-notes", "*.orig")
    shutil.copytree(src, dst, ignore=ignore)


def apply(mutant, root, pristine):
    """Restores every mutable file from `pristine`, then applies the mutant. Returns an error
    string when a patch no longer matches the source."""
    for rel, text in pristine.items():
        with open(os.path.join(root, rel), "w") as f:
            f.write(text)
    patch = mutant["patch"]
    if patch is None:
        return None
    if patch[0] == "ordering":
        _, rel, start, end, new = patch
        text = pristine[rel]
        with open(os.path.join(root, rel), "w") as f:
            f.write(text[:start] + new + text[end:])
        return None
    files = {}
    for rel, old, new in patch[1]:
        text = files.get(rel, pristine[rel])
        if text.count(old) != 1:
            return f"stale patch: {old.splitlines()[0].strip()!r} found {text.count(old)}x in {rel}"
        files[rel] = text.replace(old, new)
    for rel, text in files.items():
        with open(os.path.join(root, rel), "w") as f:
            f.write(text)
    return None


def run_checker(cmd, timeout, cwd, env):
    t0 = time.time()
    try:
        p = subprocess.run(cmd, shell=True, cwd=cwd, env=env, timeout=timeout,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           start_new_session=True)
        out, code = p.stdout, p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        return "timeout", time.time() - t0, out
    dt = time.time() - t0
    if code == 0:
        return "pass", dt, out
    if "could not compile" in out or "error[E" in out:
        return "build-error", dt, out
    return "fail", dt, out


def first_reason(out):
    """The failing tests and the first failure message found in a checker's output."""
    tests = sorted(set(re.findall(r"^test (\S+) \.\.\. FAILED", out, re.M)))
    names = ", ".join(t.split("::")[-1] for t in tests[:3]) + (" ..." if len(tests) > 3 else "")
    msg = first_message(out)
    return f"{names}: {msg}" if names else msg


def first_message(out):
    for pat in ("Causality violation[^\n]*", "use after free[^\n]*", "retired twice",
                "every pushed value must come out exactly once", "assertion[^\n]*failed[^\n]*",
                "panicked at [^\n]*", "Allocation leaked", "SIGSEGV[^\n]*", "signal: [^\n]*"):
        m = re.search(pat, out)
        if m:
            return m.group(0)[:90]
    return ""


def check_patches(root):
    """Every seeded bug's edits apply to the tree at `root`, in order, each `old` text exactly
    once. Returns the list of problems (empty when all apply)."""
    problems = []
    for rel in ORDERING_FILES:
        if not os.path.exists(os.path.join(root, rel)):
            problems.append(f"ordering file {rel} does not exist")
    for bug_id, _, edits in LOGIC_BUGS:
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
    ap.add_argument("--all-checkers", action="store_true")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--check-patches", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, "proofs-notes", "audit.md"))
    args = ap.parse_args()

    if args.check_patches:
        problems = check_patches(ROOT)
        for p in problems:
            print(f"stale seeded bug: {p}", file=sys.stderr)
        if problems:
            return 1
        print(f"all {len(LOGIC_BUGS)} seeded bugs apply ({sum(len(e) for _, _, e in LOGIC_BUGS)} edits)")
        return 0

    all_mutants = mutants(ROOT)
    if args.only:
        all_mutants = [m for m in all_mutants if args.only in m["id"]]
    if args.list:
        for m in all_mutants:
            print(f"{m['id']:50} {m['variant']:28} {m['site']}")
        return 0

    scratch = os.environ.get("AUDIT_SCRATCH", "/tmp/poolqueue-audit")
    crate = os.path.join(scratch, "crate")
    os.makedirs(scratch, exist_ok=True)
    copy_crate(ROOT, crate)
    env = dict(os.environ)
    env["CARGO_TARGET_DIR"] = os.environ.get("AUDIT_TARGET", os.path.join(scratch, "target"))
    env.pop("RUSTFLAGS", None)
    logs = os.path.join(scratch, "logs")
    os.makedirs(logs, exist_ok=True)
    mutable = set(ORDERING_FILES)
    for _, _, edits in LOGIC_BUGS:
        mutable.update(rel for rel, _, _ in edits)
    pristine = {rel: open(os.path.join(ROOT, rel)).read() for rel in sorted(mutable)}
    checkers = read_checkers()

    # Baseline: every checker must pass on the unmodified crate, or its verdicts mean nothing.
    apply({"patch": None}, crate, pristine)
    baseline = []
    for name, timeout, cmd in checkers:
        verdict, dt, out = run_checker(cmd, timeout, crate, env)
        open(os.path.join(logs, f"baseline-{name}.log"), "w").write(out)
        print(f"baseline {name}: {verdict} ({dt:.0f} s)", flush=True)
        baseline.append((name, verdict, dt))
        if verdict != "pass":
            print(f"checker {name} fails on the unmodified crate; see {logs}", file=sys.stderr)
            return 2

    rows = []
    started = time.time()
    for i, m in enumerate(all_mutants):
        row = {"m": m, "results": {}, "reason": ""}
        rows.append(row)
        if m["patch"] is None:
            continue
        err = apply(m, crate, pristine)
        if err:
            row["reason"] = err
            row["results"] = {c[0]: "stale" for c in checkers}
            continue
        for name, timeout, cmd in checkers:
            verdict, dt, out = run_checker(cmd, timeout, crate, env)
            safe_id = re.sub(r"[^A-Za-z0-9_.-]", "_", m["id"])
            open(os.path.join(logs, f"{safe_id}-{name}.log"), "w").write(out)
            row["results"][name] = f"{verdict} ({dt:.0f} s)"
            if verdict in ("fail", "timeout") and not row["reason"]:
                row["reason"] = first_reason(out)
            if verdict != "pass" and not args.all_checkers:
                break
        print(f"[{i + 1}/{len(all_mutants)}] {m['id']}: {row['results']} {row['reason']}",
              flush=True)
    apply({"patch": None}, crate, pristine)
    write_table(args.out, rows, checkers, baseline, time.time() - started, args)
    return 0


def write_table(path, rows, checkers, baseline, elapsed, args):
    names = [c[0] for c in checkers]
    caught = survived = invalid = 0
    per_checker = {n: 0 for n in names}
    lines = []
    for r in rows:
        m = r["m"]
        if m["patch"] is None:
            verdict = "n/a (no weaker ordering)"
        else:
            res = r["results"]
            catchers = [n for n in names if res.get(n, "").startswith(("fail", "timeout"))]
            if any(v.startswith(("build-error", "stale")) for v in res.values()):
                verdict = "invalid (" + next(v for v in res.values()
                                              if v.startswith(("build-error", "stale"))) + ")"
                invalid += 1
            elif catchers:
                verdict = "caught by " + ", ".join(catchers)
                caught += 1
                for n in catchers:
                    per_checker[n] += 1
            else:
                verdict = "**survived**"
                survived += 1
        cells = [r["results"].get(n, "-") for n in names]
        lines.append(f"| {m['site']} | {m['variant']} | " + " | ".join(cells)
                     + f" | {verdict} | {r['reason'].replace('|', '/')} |")
    with open(path, "w") as f:
        f.write("# Ordering and seeded-bug audit\n\n")
        f.write("Generated by `cargo xtask audit`"
                + (f" (`--only {args.only}`)" if args.only else "")
                + (" with `--all-checkers`" if args.all_checkers else
                   " (checkers run in order; the first that catches a mutant stops its row)")
                + f". Wall time {elapsed / 60:.1f} min. Do not edit by hand: rerun the tool.\n\n")
        f.write("Checkers (verification/audit/checkers.tsv), baseline on the unmodified crate:\n\n")
        for (name, timeout, cmd), (_, verdict, dt) in zip(checkers, baseline):
            f.write(f"- `{name}`: `{cmd}` (timeout {timeout} s) -- baseline {verdict} in {dt:.0f} s\n")
        killable = caught + survived
        f.write(f"\n**{caught} caught, {survived} survived, {invalid} invalid** of "
                f"{caught + survived + invalid} mutants")
        if killable:
            f.write(f" (kill rate {100 * caught / killable:.0f} % of valid mutants)")
        f.write(". Caught per checker: "
                + ", ".join(f"{n} {per_checker[n]}" for n in names) + ".\n")
        f.write("Surviving mutants are discussed in `ordering.md`.\n\n")
        f.write("| site | variant | " + " | ".join(names) + " | verdict | first failure |\n")
        f.write("| --- | --- | " + " | ".join("---" for _ in names) + " | --- | --- |\n")
        f.write("\n".join(lines) + "\n")
    print(f"wrote {path}: {caught} caught, {survived} survived, {invalid} invalid")


if __name__ == "__main__":
    sys.exit(main())
