#!/bin/sh
# Ordering and seeded-bug audit: mutates a scratch copy of the crate one site at a time, runs
# every checker in verification/audit/checkers.tsv, writes proofs-notes/audit.md.
# Example: verification/audit/run.sh --only next-after-pop --all-checkers
exec python3 "$(dirname "$0")/audit.py" "$@"
