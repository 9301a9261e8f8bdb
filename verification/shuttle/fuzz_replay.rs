//! Replays every committed fuzz corpus input (`fuzz/corpus/<target>/`) through the fuzz harness
//! on the stable toolchain: the same decoding, byte-driven shuttle schedule and checks as
//! `cargo fuzz run popTail` / `chain` / `pool`, without libFuzzer.
//!
//! `FUZZ_REPLAY=<file>` replays that one input instead (a crash artifact, say); pick its target
//! with the test filter: `pop_tail`, `chain` or `pool`.
use std::path::{Path, PathBuf};

use crate::fuzz_harness::{self as harness, Target};

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
    let files = match std::env::var("FUZZ_REPLAY") {
        Ok(one) => vec![PathBuf::from(one)],
        Err(_) => inputs(dir),
    };
    assert!(!files.is_empty(), "no corpus inputs for {dir}");
    for f in &files {
        let data = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        eprintln!("replaying {}: {}", f.display(), describe(&data));
        run(&data);
    }
    eprintln!("{dir}: {} inputs replayed", files.len());
}

fn replay_deque(target: Target, dir: &str) {
    replay(
        dir,
        |data| format!("{:?}", harness::Program::decode(target, data)),
        |data| harness::run(target, data),
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
fn pool_corpus_replays_clean() {
    replay(
        "pool",
        |data| format!("{:?}", harness::pool::PoolProgram::decode(data)),
        harness::pool::run,
    );
}
