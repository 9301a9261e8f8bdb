#!/usr/bin/env bash
# The pool rows of the benchmark report, in one command: poolqueue's `Pool`, lockfree-object-pool,
# object-pool and `Mutex<Vec<T>>` (benches/pool.rs, best of many short batches, one thread and
# all threads) against Go's own sync.Pool benchmarks (`go test sync -bench Pool`, -cpu 1 and
# 2), with instructions per item (callgrind on benches/tools/pool_profile.rs) and allocations per
# operation (benches/pool.rs's counting allocator). Writes <target>/poolqueue-bench/pool.md.
#
#   cargo xtask bench-pool                 # needs Go 1.19 (apt-get install golang-1.19-go)
#   GO=/path/to/go cargo xtask bench-pool
#
# p1 = one get and its return per item; p2 = 100 gets held, then 100 returns (Go's
# BenchmarkPool and BenchmarkPoolOverflow; Go's figure for p2 is per 100 items, divided here).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
out="$target/poolqueue-bench"
mkdir -p "$out"

echo "== Rust pools (cargo bench --bench pool -- --quick)"
cargo bench --bench pool -- --quick 2>&1 | tee "$out/rust-pool.log" | grep -E 'allocations|best-of' || true

rm -f "$out/pool-instructions.txt"
if command -v valgrind > /dev/null; then
    echo "== instructions per item (valgrind --tool=callgrind, benches/tools/pool_profile.rs)"
    cargo build --release --example pool_profile 2>&1 | tail -1
    one="$target/release/examples/pool_profile"
    for spec in p1:200000:1 p2:2000:100 lf1:200000:1 lf2:2000:100 mv1:200000:1 mv2:2000:100; do
        IFS=: read -r shape n items <<< "$spec"
        x=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$one" "$shape" "$n" 2>&1 | awk '/Collected/ {print $4}')
        y=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$one" "$shape" $((2 * n)) 2>&1 | awk '/Collected/ {print $4}')
        echo "$shape $(python3 -c "print(round(($y - $x) / ($n * $items), 1))")" | tee -a "$out/pool-instructions.txt"
    done
fi

rm -f "$out/go-pool-cpu.txt"
gobin=""
for cand in "${GO:-}" /usr/lib/go-1.19/bin/go "$(command -v go || true)"; do
    if [ -n "$cand" ] && [ -x "$cand" ]; then gobin="$cand"; break; fi
done
if [ -n "$gobin" ]; then
    echo "== Go sync.Pool (go test sync -run NONE -bench 'Pool\$|PoolOverflow\$' -cpu 1,2 -count 5)"
    (cd /tmp && GOFLAGS= GOTOOLCHAIN=local "$gobin" test sync -run NONE \
        -bench 'BenchmarkPool$|BenchmarkPoolOverflow$' -benchmem -cpu 1,2 -count 5) | tee "$out/go-pool-cpu.txt"
else
    echo "== Go not found: the report has no Go column"
fi

python3 - "$out" <<'EOF'
import re, sys, os
out = sys.argv[1]
log = open(os.path.join(out, "rust-pool.log"), encoding="utf-8").read()
rust = {}
for m in re.finditer(r"best-of-batches (fast path|overflow) \(.*?\)(?: (\d+)-threads)? (.+?)\s+([\d.]+) ns per iteration", log):
    shape, threads, name, ns = m.group(1), m.group(2), m.group(3).strip(), float(m.group(4))
    if name.startswith("no pool"):
        continue
    per_item = ns / 100 if shape == "overflow" else ns
    rust[("p1" if shape == "fast path" else "p2", int(threads or 1), name)] = per_item
allocs = re.findall(r"poolqueue (.+?): ([\d.]+) allocations per operation", log)
go = {}
path = os.path.join(out, "go-pool-cpu.txt")
if os.path.exists(path):
    for line in open(path, encoding="utf-8"):
        m = re.match(r"Benchmark(PoolOverflow|Pool)(?:-(\d+))?\s+\d+\s+([\d.]+) ns/op", line)
        if m:
            key = ("p2" if m.group(1) == "PoolOverflow" else "p1", int(m.group(2) or 1))
            ns = float(m.group(3)) / (100 if key[0] == "p2" else 1)
            go[key] = min(go.get(key, ns), ns)
instr = {}
path = os.path.join(out, "pool-instructions.txt")
if os.path.exists(path):
    for line in open(path, encoding="utf-8"):
        shape, n = line.split()
        instr[shape] = float(n)
names = ["poolqueue", "lockfree-object-pool", "object-pool", "Mutex<Vec<T>>"]
lines = ["# Pool rows", "",
         "ns per item (best of many short batches; p2 = per item of 100 gets + 100 returns; "
         "all threads: wall time / items of all threads). Go: best of 5 `go test` runs.", "",
         "| shape | threads | " + " | ".join(names) + " | Go sync.Pool | poolqueue / Go | poolqueue / best peer | target |",
         "| --- | ---: |" + " ---: |" * (len(names) + 4)]
targets = {("p1", 1): ("Go", 0.35), ("p2", 1): ("peer", 0.5), ("p1", 2): ("Go", 0.5), ("p2", 2): ("Go", 0.5)}
for shape in ("p1", "p2"):
    for threads in (1, 2):
        row = [rust.get((shape, threads, n)) for n in names]
        g = go.get((shape, threads))
        ours = row[0]
        peers = [v for v in row[1:] if v is not None]
        rg = ours / g if ours and g else None
        rp = ours / min(peers) if ours and peers and min(peers) > 0 else None
        kind, t = targets[(shape, threads)]
        got = rg if kind == "Go" else rp
        verdict = "" if got is None else ("met" if got <= t else "missed")
        f = lambda v: "-" if v is None else f"{v:.2f}"
        lines.append(f"| {shape} | {threads} | " + " | ".join(f(v) for v in row) +
                     f" | {f(g)} | {f(rg)} | {f(rp)} | <= {t} x {kind}: {verdict} |")
lines += ["", "Instructions per item, one thread (callgrind, `benches/tools/pool_profile.rs`):", "",
          "| shape | poolqueue | lockfree-object-pool | Mutex<Vec<T>> |", "| --- | ---: | ---: | ---: |"]
for shape, a, b, c in (("p1", "p1", "lf1", "mv1"), ("p2", "p2", "lf2", "mv2")):
    lines.append(f"| {shape} | {instr.get(a, '-')} | {instr.get(b, '-')} | {instr.get(c, '-')} |")
lines += ["", "Allocations per operation, poolqueue, steady state (`benches/pool.rs`):", ""]
lines += [f"- {name}: {n}" for name, n in allocs]
open(os.path.join(out, "pool.md"), "w", encoding="utf-8").write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
