#!/usr/bin/env python3
"""Runs one command with one seeded bug of audit.py's LOGIC_BUGS applied to this tree, then
restores the files (also when the command fails or is interrupted):

    cargo xtask seed BUG_ID -- cargo test --features loom --test loom -- batch

For quick by-hand checks of one model; `cargo xtask audit` is the full audit in a scratch copy."""
import importlib.util
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("audit", os.path.join(here, "audit.py"))
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)
root = os.path.abspath(os.path.join(here, "..", ".."))

bug, sep, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
assert sep == "--" and cmd, __doc__
patches = next((p for (i, _d, p) in audit.all_logic_bugs() if i == bug), None)
if patches is None:
    sys.exit(f"no seeded bug {bug}")
saved = {}
try:
    for (f, old, new) in patches:
        path = os.path.join(root, f)
        text = saved.setdefault(path, open(path).read()) if path not in saved else open(path).read()
        assert text.count(old) == 1, f"{bug}: patch text found {text.count(old)} times in {f}"
        open(path, "w").write(text.replace(old, new))
    code = subprocess.call(cmd, cwd=root)
finally:
    for path, text in saved.items():
        open(path, "w").write(text)
print(f"seeded {bug}: command exited {code}")
sys.exit(0)
