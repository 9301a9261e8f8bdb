#!/usr/bin/env bash
# The embedding lanes of .ci/run (issue 13), one subcommand each:
#   msrv      the library on the `rust-version` toolchain (default, no default features, std only)
#   no_std    the dequeue with no default features for a bare-metal target (x86_64-unknown-none)
#   features  every feature combination builds (lib, tests, benches, examples) and tests
#             (lib and doc tests), except loom + shuttle, which must fail with compile_error!
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

"$@"
