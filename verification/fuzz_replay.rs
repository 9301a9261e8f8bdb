//! Replays every committed fuzz corpus input (`fuzz/corpus/<target>/`) through the fuzz harness
//! on the stable toolchain: the same decoding, byte-driven shuttle schedule and checks as
//! `cargo fuzz run popTail` / `cargo fuzz run chain`, without libFuzzer.
//!
//! `FUZZ_REPLAY=<file>` replays one input (for both targets) instead, e.g. a crash artifact.
#![cfg(feature = "shuttle")]

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod harness;

use std::path::{Path, PathBuf};

use harness::Target;

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

fn replay(target: Target, dir: &str) {
    if let Ok(one) = std::env::var("FUZZ_REPLAY") {
        let data = std::fs::read(&one).unwrap_or_else(|e| panic!("{one}: {e}"));
        eprintln!("{target:?}: {:?}", harness::Program::decode(target, &data));
        harness::run(target, &data);
        return;
    }
    let files = inputs(dir);
    assert!(!files.is_empty(), "no corpus inputs for {dir}");
    for f in &files {
        let data = std::fs::read(f).unwrap();
        eprintln!("replaying {}", f.display());
        harness::run(target, &data);
    }
    eprintln!("{dir}: {} inputs replayed", files.len());
}

#[test]
fn pop_tail_corpus_replays_clean() {
    replay(Target::Ring, "popTail");
}

#[test]
fn chain_corpus_replays_clean() {
    replay(Target::Chain, "chain");
}
