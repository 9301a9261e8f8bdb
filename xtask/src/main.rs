//! poolqueue's tooling front door, run as `cargo xtask <command>` (an alias in
//! `.cargo/config.toml`):
//!
//! | command | what it does |
//! | --- | --- |
//! | `ci` | every CI lane, as on a fresh clone (`.ci/run`) |
//! | `verify [--long] [--budget S] [--lanes a,b] [--list]` | the verification report: every checker within a time budget, a verdict per property |
//! | `audit [--only X] [--module M] [--checkers C] [--all-checkers] [--list] [--check-patches] [--check-notes] [--search-orderings]` | the ordering and seeded-bug audit over every module and checker (`verification/audit/audit.py`; `--check-patches` only checks that every seeded bug still applies; `--check-notes` that every atomic operation has its one-line ordering note; `--search-orderings` searches the weakest orderings the loom models accept) |
//! | `check-citations [--list]` | every repository path cited in a `.md`, `.rs`, `.py` or `.sh` file exists (`citations.rs`) |
//! | `bench [--full] [--no-go] ...` | the side-by-side benchmarks and their report (`benches/report.sh`) |
//!
//! `verify` is Rust (this crate); `audit` and `bench` run the Python and shell scripts they
//! have always been, so there is one way in but no second copy of their logic.

use std::path::PathBuf;
use std::process::{exit, Command};

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
    "usage: cargo xtask <ci | verify | audit | bench | check-citations> [args]  (see xtask/src/main.rs)";

fn main() {
    let mut args = std::env::args().skip(1);
    let command = args.next();
    let rest: Vec<String> = args.collect();
    match command.as_deref() {
        Some("ci") => delegate("bash", ".ci/run", &rest),
        Some("verify") => verify::main(rest),
        Some("audit") => delegate("python3", "verification/audit/audit.py", &rest),
        Some("bench") => delegate("bash", "benches/report.sh", &rest),
        Some("check-citations") => citations::main(rest, &root()),
        Some("-h" | "--help") => println!("{USAGE}"),
        other => {
            eprintln!("xtask: unknown command {other:?}\n{USAGE}");
            exit(2)
        }
    }
}
