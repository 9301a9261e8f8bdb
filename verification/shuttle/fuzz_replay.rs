//! Replays every committed fuzz corpus input (`fuzz/corpus/<target>/`) through the fuzz harness
//! on the stable toolchain: the same decoding, byte-driven shuttle schedule and checks as
//! `cargo fuzz run popTail` / `chain` / `pool`, without libFuzzer.
//!
//! `FUZZ_REPLAY=<file>` replays that one input instead (a crash artifact, say), and
//! `FUZZ_REPLAY=hex:<hex digits>` one written inline; pick its target with the test filter
//! (`pop_tail_corpus_replays_clean`, `chain_corpus_replays_clean`, `pop_tail_batch_...`,
//! `chain_batch_...` or `pool`: a bare `pop_tail` would run the batch target's test too).
//!
//! A deque or chain input (plain or batch) that fails is shrunk first (`fuzz/harness/src/shrink.rs`): the test
//! prints the minimal failing scenario (each thread's operations, the interleaving, the violated
//! property), saves it as `fuzz/artifacts/<target>/shrunk-<hex prefix>` and prints the one
//! command that replays it. `FUZZ_SHRINK_RUNS` bounds the candidate runs (default 20,000;
//! 0 turns shrinking off).
use std::path::{Path, PathBuf};

use crate::fuzz_harness::{self as harness, shrink, Target};
use crate::support::knobs;

fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs every input of `fuzz/corpus/<dir>` (or only `FUZZ_REPLAY`) through `run`.
fn replay(dir: &str, describe: impl Fn(&[u8]) -> String, run: impl Fn(&[u8])) {
    let inputs: Vec<(String, Vec<u8>)> = match std::env::var("FUZZ_REPLAY") {
        Ok(one) => match one.strip_prefix("hex:") {
            Some(digits) => {
                let data = shrink::from_hex(digits)
                    .unwrap_or_else(|| panic!("FUZZ_REPLAY=hex:...: not hex digits: {digits:?}"));
                vec![("the FUZZ_REPLAY input".to_string(), data)]
            }
            None => vec![(
                one.clone(),
                std::fs::read(&one).unwrap_or_else(|e| panic!("{one}: {e}")),
            )],
        },
        Err(_) => inputs(dir)
            .into_iter()
            .map(|f| {
                let data = std::fs::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
                (f.display().to_string(), data)
            })
            .collect(),
    };
    assert!(!inputs.is_empty(), "no corpus inputs for {dir}");
    for (name, data) in &inputs {
        eprintln!("replaying {name}: {}", describe(data));
        run(data);
    }
    eprintln!("{dir}: {} inputs replayed", inputs.len());
}

fn replay_deque(target: Target, dir: &str) {
    replay(
        dir,
        |data| format!("{:?}", harness::Program::decode(target, data)),
        |data| run_or_shrink(target, data),
    );
}

/// Runs one input; if it fails, shrinks it, prints the shrunk scenario with its replay commands,
/// saves it under `fuzz/artifacts/` and fails with the violated property.
fn run_or_shrink(target: Target, data: &[u8]) {
    let max_runs = knobs::knob("FUZZ_SHRINK_RUNS", 20_000);
    let program = harness::Program::decode(target, data);
    if max_runs == 0 {
        return harness::run_program(program);
    }
    let shrunk = match shrink::shrink(program, max_runs) {
        Ok(shrunk) => shrunk,
        Err(_) => return,
    };
    let bytes = shrunk.program.encode();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/artifacts")
        .join(target.fuzz_name());
    let file = dir.join(format!(
        "shrunk-{}",
        &shrink::hex(&bytes)[..bytes.len().min(8) * 2]
    ));
    let saved = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&file, &bytes));
    eprintln!("{shrunk}");
    match saved {
        Ok(()) => eprintln!(
            "  saved:    {}\n  or:       cd fuzz && cargo fuzz run {} artifacts/{}/{}",
            file.display(),
            target.fuzz_name(),
            target.fuzz_name(),
            file.file_name().unwrap().to_string_lossy()
        ),
        Err(e) => eprintln!("  (could not save {}: {e})", file.display()),
    }
    let class = shrink::class(&shrunk.failure.message);
    panic!(
        "{class}: {} (shrunk; replay: {})",
        shrunk.failure.message.lines().next().unwrap_or(""),
        shrunk.replay_command()
    );
}

#[test]
fn pop_tail_corpus_replays_clean() {
    replay_deque(Target::Dequeue, "popTail");
}

#[test]
fn chain_corpus_replays_clean() {
    replay_deque(Target::Chain, "chain");
}

#[test]
fn pop_tail_batch_corpus_replays_clean() {
    replay_deque(Target::DequeueBatch, "popTailBatch");
}

#[test]
fn chain_batch_corpus_replays_clean() {
    replay_deque(Target::ChainBatch, "chainBatch");
}

#[test]
fn worker_corpus_replays_clean() {
    replay_deque(Target::Worker, "worker");
}

#[test]
fn pool_corpus_replays_clean() {
    replay(
        "pool",
        |data| format!("{:?}", harness::pool::PoolProgram::decode(data)),
        harness::pool::run,
    );
}
