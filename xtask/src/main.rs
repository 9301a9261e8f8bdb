//! poolqueue's tooling front door, run as `cargo xtask <command>` (an alias in
//! `.cargo/config.toml`). CI is one script, `.ci/run`, which calls these commands; none of them
//! calls it back.
//!
//! | command | what it does |
//! | --- | --- |
//! | `verify [--long] [--budget S] [--lanes a,b] [--list]` | the verification report: every checker within a time budget, a verdict per property |
//! | `checkers [--list \| --ci \| --readme \| --check-readme]` | the registry of checkers (`verification/checkers.toml`): list it, run each checker's CI command, write or check the README's checker table (`checkers.rs`) |
//! | `audit [--only X] [--module M] [--checkers C] [--all-checkers] [--list] [--check-patches] [--check-notes] [--search-orderings]` | the ordering and seeded-bug audit over every module and checker (`verification/audit/audit.py`; `--check-patches` only checks that every seeded bug still applies; `--check-notes` that every atomic operation has its one-line ordering note; `--search-orderings` searches the weakest orderings the loom models accept) |
//! | `seed BUG -- COMMAND...` | runs one command with one seeded bug of the audit applied to this tree, then restores it (`verification/audit/seed.py`) |
//! | `check-citations [--list]` | every repository path cited in a `.md`, `.rs`, `.py` or `.sh` file exists (`citations.rs`) |
//! | `bench [--full] [--no-go] ...` | the side-by-side benchmarks and their report (`benches/report.sh`) |
//! | `bench-pool` | the pool rows of the benchmark report against Go's `sync.Pool` (`benches/pool_report.sh`) |
//!
//! `verify`, `checkers` and `check-citations` are Rust (this crate); `audit`, `seed`, `bench` and
//! `bench-pool` run the Python and shell scripts they have always been, so there is one way in
//! but no second copy of their logic.

use std::path::PathBuf;
use std::process::{exit, Command};

mod checkers;
mod citations;
mod verify;

/// The repository root (the parent of this crate's folder).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ lives in the repository root")
        .to_path_buf()
}

/// Runs `program args` in the repository root and exits with its status.
fn delegate(program: &str, script: &str, args: &[String]) -> ! {
    let status = Command::new(program)
        .arg(root().join(script))
        .args(args)
        .current_dir(root())
        .status()
        .unwrap_or_else(|e| {
            eprintln!("xtask: cannot run {program} {script}: {e}");
            exit(2)
        });
    exit(status.code().unwrap_or(1))
}

const USAGE: &str =
    "usage: cargo xtask <verify | checkers | audit | seed | check-citations | bench | bench-pool> [args]  (see xtask/src/main.rs)";

fn main() {
    let mut args = std::env::args().skip(1);
    let command = args.next();
    let rest: Vec<String> = args.collect();
    match command.as_deref() {
        Some("verify") => verify::main(rest),
        Some("audit") => delegate("python3", "verification/audit/audit.py", &rest),
        Some("bench") => delegate("bash", "benches/report.sh", &rest),
        Some("bench-pool") => delegate("bash", "benches/pool_report.sh", &rest),
        Some("seed") => delegate("python3", "verification/audit/seed.py", &rest),
        Some("check-citations") => citations::main(rest, &root()),
        Some("checkers") => checkers::main(rest),
        Some("-h" | "--help") => println!("{USAGE}"),
        other => {
            eprintln!("xtask: unknown command {other:?}\n{USAGE}");
            exit(2)
        }
    }
}
