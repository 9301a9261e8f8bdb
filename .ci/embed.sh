#!/usr/bin/env bash
# The embedding lanes of .ci/run, one subcommand each:
#   msrv      the library on the `rust-version` toolchain (default, no default features, std only)
#   no_std    the dequeue with no default features for a bare-metal target (x86_64-unknown-none)
#   features  every feature combination builds (lib, tests, benches, examples) and runs its
#             unit and doc tests, except loom + shuttle, which must fail with compile_error!
#   deps      with only `std`, the normal dependency tree has neither atomic-wait nor libc
# Each lane installs what it needs with rustup; run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

msrv() {
    local v
    v=$(sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' Cargo.toml)
    # rust-version is major.minor; rustup wants a full version.
    [[ "$v" == *.*.* ]] || v="$v.0"
    rustup toolchain install "$v" --profile minimal >/dev/null 2>&1 ||
        { echo "msrv: rustup could not install $v" >&2; exit 1; }
    # The repository's Cargo.lock (version 4) and its dev-dependencies need a newer cargo: check
    # the library alone in a temporary copy with only the [package], [features], [dependencies]
    # and target-dependency sections, and a lock resolved for rust-version by the stable cargo
    # (which writes a lock format that old cargo reads when rust-version is old).
    local tmp
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN
    cp -r src README.md "$tmp/"
    python3 - Cargo.toml "$tmp/Cargo.toml" <<'PY'
import re, sys
keep = re.compile(r"^\[(package|features|dependencies|target\.[^\]]*\.dependencies)\]$")
out, on = [], True
for line in open(sys.argv[1], encoding="utf-8"):
    s = line.strip()
    if s.startswith("["):
        on = bool(keep.match(s))
    if on:
        out.append(line)
open(sys.argv[2], "w", encoding="utf-8").writelines(out)
PY
    (cd "$tmp" && CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback cargo +stable generate-lockfile --quiet)
    echo "msrv: Rust $v, lock $(sed -n 's/^version = //p' "$tmp/Cargo.lock" | head -1)"
    for args in "" "--no-default-features" "--no-default-features --features std"; do
        echo "msrv: cargo +$v check --lib $args"
        # shellcheck disable=SC2086
        (cd "$tmp" && CARGO_TARGET_DIR="$tmp/target" cargo "+$v" check --lib --locked --quiet $args)
    done
}

no_std() {
    local target=x86_64-unknown-none
    rustup target add "$target" >/dev/null 2>&1 ||
        { echo "no_std: rustup could not add $target" >&2; exit 1; }
    # That target has no `std` at all: any `std::` path left in the dequeue's build fails here.
    echo "no_std: cargo build --lib --no-default-features --target $target"
    cargo build --lib --no-default-features --target "$target" --quiet
    cargo clippy --lib --no-default-features --target "$target" --quiet -- -D warnings
}

deps() {
    # `--target all`: the platform crates of every target, not only this machine's.
    local tree
    tree=$(cargo tree -e normal --target all --no-default-features --features std --prefix none)
    echo "deps: cargo tree -e normal --target all --no-default-features --features std"
    echo "$tree" | sed 's/^/  /'
    if echo "$tree" | grep -E '^(atomic-wait|libc) '; then
        echo "deps: FAILED: with only \`std\` the tree must not contain atomic-wait or libc" >&2
        exit 1
    fi
    # And the check can see them: `event` pulls both in.
    cargo tree -e normal --target all --no-default-features --features event --prefix none |
        grep -q '^atomic-wait ' || { echo "deps: FAILED: event without atomic-wait?" >&2; exit 1; }
}

features() {
    if ! command -v cargo-hack >/dev/null 2>&1; then
        cargo install cargo-hack --locked --quiet ||
            { echo "features: cargo-hack could not be installed" >&2; exit 1; }
    fi
    # loom + shuttle is the one forbidden pair: it must stop at the compile_error!.
    local out
    if out=$(cargo check --lib --features loom,shuttle 2>&1); then
        echo "features: FAILED: --features loom,shuttle compiled" >&2
        exit 1
    fi
    echo "$out" | grep -q 'enable at most one' ||
        { echo "$out" >&2; echo "features: FAILED: loom,shuttle failed for another reason" >&2; exit 1; }
    echo "features: loom + shuttle stops at the compile_error!, as it should"
    # Skipped: `default` (exactly `event,pool`, which imply `std`) and `__test-hooks` (on in
    # every test build through the dev-dependency on the crate itself).
    local hack=(cargo hack --feature-powerset --mutually-exclusive-features loom,shuttle --exclude-features default,__test-hooks)
    # Every combination: the library alone with warnings denied; every target that the
    # combination has (targets declare `required-features`) builds, warnings denied; the unit
    # tests and doctests run. The test binaries run in full in the lanes `cargo test`,
    # `--features loom` and `--features shuttle`, the combinations that build them.
    "${hack[@]}" clippy --lib -- -D warnings
    "${hack[@]}" clippy --all-targets -- -D warnings
    "${hack[@]}" test --lib
    "${hack[@]}" test --doc
}

"$@"
