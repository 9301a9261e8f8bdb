#!/usr/bin/env bash
# Side-by-side benchmarks in one command: poolqueue's dequeue and chain, the Rust peers (st3,
# crossbeam-deque, crossbeam-queue's ArrayQueue, Mutex<VecDeque>) and Go's poolDequeue /
# poolChain, back to back; then a report with ratio tables and PNG plots.
#
#   bash benches/report.sh            # short run, a few minutes
#   bash benches/report.sh --full     # criterion's default times, Go -count 5 -benchtime 1s
#   options: --no-go  --no-plots  --no-profile  --only-report (re-render from the last results)
#
# Output: <cargo target dir>/poolqueue-bench/report.md, ns_per_item.png, ratios.png, raw logs.
# Go: GO=/path/to/go, else /usr/lib/go-1.19/bin/go, else `go` on PATH; skipped with a message
# when none is found (apt-get install golang-1.19-go). Go's benchmark file
# benches/go/pq_bench_test.go is copied into a temporary copy of GOROOT (its test hooks
# NewPoolDequeue/NewPoolChain live in package sync's tests); the copy is deleted afterwards.
# Profile: when valgrind is installed, callgrind counts instructions per item for the
# single-threaded workloads (benches/tools/bench_one.rs), to tell instruction count from the cost
# of atomic read-modify-writes.
# Plots: matplotlib, installed with pip into a virtualenv under the output folder on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

full=0 go_on=1 plots=1 run=1 profile=1
for arg in "$@"; do
    case "$arg" in
        --full) full=1 ;;
        --no-go) go_on=0 ;;
        --no-plots) plots=0 ;;
        --no-profile) profile=0 ;;
        --only-report) run=0 ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "unknown option $arg (see --help)" >&2; exit 2 ;;
    esac
done

target=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
out="$target/poolqueue-bench"
mkdir -p "$out"

if [ "$full" = 1 ]; then
    crit=(--warm-up-time 3 --measurement-time 5)
    go_args=(-count 5 -benchtime 1s)
else
    crit=(--warm-up-time 0.5 --measurement-time 1 --sample-size 20)
    go_args=(-count 3 -benchtime 200ms)
fi

[ "$run" = 1 ] && {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "mode: $([ "$full" = 1 ] && echo full || echo short)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') x $(nproc)"
    echo "rustc: $(rustc --version)"
    echo "load-before: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$out/env.txt"

if [ "$run" = 1 ]; then
    # Remove the previous results of these workloads so a failed run cannot show stale figures.
    for w in $(grep -ho 'id: "[a-z0-9_]*"' benches/harness/mod.rs benches/harness/embed.rs | cut -d'"' -f2); do
        rm -rf "$target/criterion/$w"
    done
    echo "== Rust: poolqueue (cargo bench --bench poolqueue)"
    cargo bench --bench poolqueue -- "${crit[@]}" 2>&1 | tee "$out/rust-poolqueue.log" | (grep -E '^[a-f]_|time:' || true)
    echo "== Rust: peers (cargo bench --bench peers)"
    cargo bench --bench peers -- "${crit[@]}" 2>&1 | tee "$out/rust-peers.log" | (grep -E '^[a-f]_|time:' || true)
    echo "== Rust: embedding rows, is_empty and fine-grained (cargo bench --bench embed)"
    cargo bench --bench embed -- "${crit[@]}" 2>&1 | tee "$out/rust-embed.log" | (grep -E '^[g-h]_|time:' || true)
    echo "== Rust: allocations per item (cargo run --release --example alloc_count)"
    cargo run --release --example alloc_count > "$out/allocs.md"
    cat "$out/allocs.md"

    rm -f "$out/instructions.txt"
    if [ "$profile" = 1 ] && command -v valgrind > /dev/null; then
        echo "== Rust: instructions per item (valgrind --tool=callgrind, benches/tools/bench_one.rs)"
        cargo build --release --example bench_one 2>&1 | tail -1
        one="$target/release/examples/bench_one"
        # workload, repetitions, items per repetition
        for spec in a_push_pop:20000:1 b_batch64_pop_head:500:64 c_batch64_pop_tail:500:64 \
            f_fresh64:500:64; do
            IFS=: read -r w n items <<< "$spec"
            for impl in poolqueue-dequeue poolqueue-chain st3-lifo crossbeam-deque \
                crossbeam-arrayqueue mutex-vecdeque; do
                # The difference between n and 2n repetitions: start-up and set-up cancel.
                x=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$one" "$w" "$impl" "$n" 1 2>&1 |
                    awk '/Collected/ {print $4}')
                y=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$one" "$w" "$impl" $((2 * n)) 1 2>&1 |
                    awk '/Collected/ {print $4}')
                echo "$w $impl $(python3 -c "print(round(($y - $x) / ($n * $items), 1))")" |
                    tee -a "$out/instructions.txt"
            done
        done
    fi

    rm -f "$out/go-pq.txt" "$out/go-pool.txt" "$out/go-skipped.txt"
    gobin=""
    if [ "$go_on" = 1 ]; then
        for cand in "${GO:-}" /usr/lib/go-1.19/bin/go "$(command -v go || true)"; do
            if [ -n "$cand" ] && [ -x "$cand" ]; then gobin="$cand"; break; fi
        done
    fi
    if [ -z "$gobin" ]; then
        msg="Go not run: $([ "$go_on" = 1 ] && echo 'no Go toolchain found (apt-get install golang-1.19-go, or GO=/path/to/go)' || echo '--no-go')"
        echo "== $msg"
        echo "$msg" > "$out/go-skipped.txt"
    else
        goroot=$("$gobin" env GOROOT)
        tmp=$(mktemp -d)
        trap 'rm -rf "$tmp"' EXIT
        echo "== Go: copying $goroot to a temporary GOROOT"
        cp -rL "$goroot" "$tmp/goroot"
        cp benches/go/pq_bench_test.go "$tmp/goroot/src/sync/"
        export GOROOT="$tmp/goroot" GOPATH="$tmp/gopath" GOCACHE="$tmp/cache" GOFLAGS= \
            GOTOOLCHAIN=local GOPROXY=off
        echo "go: $("$tmp/goroot/bin/go" version)" >> "$out/env.txt"
        echo "== Go: ring and chain (go test sync -run NONE -bench PQ ${go_args[*]})"
        (cd "$tmp" && "$tmp/goroot/bin/go" test sync -run NONE -bench PQ "${go_args[@]}") |
            tee "$out/go-pq.txt"
        echo "== Go: sync.Pool's own benchmarks (go test sync -run NONE -bench Pool -benchmem)"
        (cd "$tmp" && "$tmp/goroot/bin/go" test sync -run NONE -bench Pool -benchmem \
            "${go_args[@]}") | tee "$out/go-pool.txt"
    fi
fi
[ "$run" = 0 ] || echo "load-after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/env.txt"

py=python3
if [ "$plots" = 1 ]; then
    if ! python3 -c 'import matplotlib' 2>/dev/null; then
        if [ ! -x "$out/venv/bin/python" ] || ! "$out/venv/bin/python" -c 'import matplotlib' 2>/dev/null; then
            echo "== installing matplotlib into $out/venv"
            (python3 -m venv "$out/venv" && "$out/venv/bin/pip" install -q matplotlib) ||
                echo "matplotlib could not be installed: the report will have no plots"
        fi
        if "$out/venv/bin/python" -c 'import matplotlib' 2>/dev/null; then py="$out/venv/bin/python"; fi
    fi
fi
plot_flag=()
[ "$plots" = 1 ] || plot_flag=(--no-plots)
PYTHONDONTWRITEBYTECODE=1 "$py" benches/report.py --criterion "$target/criterion" --out "$out" "${plot_flag[@]}"
echo "== report: $out/report.md"
