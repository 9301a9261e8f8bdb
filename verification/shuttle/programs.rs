//! Shuttle campaign over explicit programs, with shrunk failures.
//!
//! Each program is a fuzz-harness [`Program`] (`fuzz/harness/src/lib.rs`): a ring or chain, an owner
//! program of pushes and pops and one to three stealers, generated at random and run under PCT
//! and uniformly random schedules with the fuzz harness's checks (P1 no loss, P2 no duplicate,
//! P3 linearizable, every value dropped once). A recording wrapper keeps the decisions of the
//! scheduler; when an execution fails, they are written as [`ByteScheduler`] bytes, so the
//! program and its interleaving become one fuzz input that fails the same way. That input is then
//! shrunk (`fuzz/harness/src/shrink.rs`) and the test fails with the minimal scenario: each thread's
//! operations, the interleaving of their calls, the violated property and the one command that
//! replays it (`FUZZ_REPLAY=hex:... cargo test --features shuttle --test shuttle
//! fuzz_replay::pop_tail_corpus_replays_clean`).
//!
//! Knobs: `POOLQUEUE_SHUTTLE_ITERS` (executions per test), `POOLQUEUE_SHUTTLE_SEED` (the seed of
//! the programs and schedules; fresh by default, printed on failure), `FUZZ_SHRINK_RUNS`.
//!
//! The module also tests the shrinker itself: encoding round trips, recorded schedules replaying
//! step for step, and shrinking a known failure to its known minimum.
//!
//! [`ByteScheduler`]: crate::fuzz_harness::ByteScheduler

use std::sync::{Arc, Mutex};

use crate::fuzz_harness::{
    self as harness, shrink, OwnerOp, Program, Recording, RunFailure, StealOp, Target,
};
use crate::harness::iterations;
use crate::support::knobs;
use shuttle::scheduler::{PctScheduler, RandomScheduler, Scheduler};

const PROPERTIES: &str = "P1,P2,P3,P5";
/// Executions per test.
const DEFAULT_ITERS: usize = 3_000;
/// Schedules tried per program.
const SCHEDULES: usize = 50;

/// xorshift64*: the programs come from a seed, so a failing campaign can be re-run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn seed() -> u64 {
    knobs::optional("POOLQUEUE_SHUTTLE_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
            | 1
    })
}

/// A random program of `target`: random input bytes with the proportions steered (pushes
/// first, 8 to 24 owner calls, 1 to 8 calls per stealer), decoded, so it is an input.
fn program(rng: &mut Rng, target: Target) -> Program {
    let n = 8 + rng.below(17);
    let k = 1 + rng.below(harness::MAX_STEALERS);
    let mut bytes = vec![
        (rng.below(2) as u8) | (((k - 1) as u8) << 2) | ((rng.below(2) as u8) << 4),
        rng.below(16) as u8,
        n as u8,
    ];
    for _ in 0..n {
        // Low two bits: push (0, 1) six times in ten, then pop_head (2), pop_tail (3); the high
        // bits are batch sizes.
        let kind = match rng.below(10) {
            0..=5 => rng.below(2),
            6..=8 => 2,
            _ => 3,
        };
        bytes.push(kind as u8 | ((rng.next() as u8) & !3));
    }
    bytes.extend((0..k).map(|_| 1 + rng.below(harness::MAX_STEALER_OPS) as u8));
    bytes.extend((0..k).map(|_| rng.next() as u8));
    Program::decode(target, &bytes)
}

/// Runs `p` under `scheduler`; on a failure, returns the failing execution as a fuzz input (the
/// program with the recorded schedule) and the message.
fn explore<S: Scheduler + 'static>(
    p: &Program,
    scheduler: S,
) -> Result<usize, Box<(Program, String)>> {
    let choices = Arc::new(Mutex::new(Vec::new()));
    let recording = Recording {
        inner: scheduler,
        choices: choices.clone(),
    };
    harness::try_under(recording, p, &Default::default()).map_err(|message| {
        let mut failing = p.clone();
        failing.schedule = harness::schedule_bytes(&choices.lock().unwrap());
        Box::new((failing, message))
    })
}

/// The campaign: random programs of `target`, each under `SCHEDULES` schedules of the kind
/// `make` builds; a failure is shrunk and reported.
fn campaign<S: Scheduler + 'static>(
    name: &str,
    target: Target,
    scheduler: &str,
    make: impl Fn(u64) -> S,
) {
    let seed = seed();
    let mut rng = Rng(seed);
    let total = iterations(DEFAULT_ITERS);
    let (mut executions, mut programs) = (0, 0);
    while executions < total {
        let p = program(&mut rng, target);
        programs += 1;
        match explore(&p, make(rng.next())) {
            Ok(n) => executions += n,
            Err(failed) => {
                let (failing, message) = *failed;
                fail(name, seed, failing, &message)
            }
        }
    }
    println!(
        "POOLQUEUE-STAT checker=shuttle property={PROPERTIES} test={name} scheduler={scheduler} \
         executions={executions} programs={programs}"
    );
}

/// Shrinks a failing execution and fails the test with the shrunk scenario.
fn fail(name: &str, seed: u64, failing: Program, message: &str) -> ! {
    let max_runs = knobs::knob("FUZZ_SHRINK_RUNS", 20_000);
    eprintln!(
        "{name}: an execution failed (seed {seed}): {}",
        message.lines().next().unwrap_or("")
    );
    match shrink::shrink(failing.clone(), max_runs) {
        Ok(shrunk) => {
            eprintln!("{shrunk}");
            panic!(
                "{}: {} (shrunk; replay: {})",
                shrink::class(&shrunk.failure.message),
                shrunk.failure.message.lines().next().unwrap_or(""),
                shrunk.replay_command()
            );
        }
        // The recorded schedule did not reproduce the failure under the byte scheduler: a
        // harness bug (the program is not a function of its schedule). Report what there is.
        Err(_) => panic!(
            "{}: {message}\n(the recorded schedule did not replay; input {})",
            shrink::class(message),
            shrink::hex(&failing.encode())
        ),
    }
}

#[test]
fn dequeue_programs_pct() {
    campaign("programs-dequeue", Target::Dequeue, "pct3", |s| {
        PctScheduler::new_from_seed(s, 3, SCHEDULES)
    });
}

#[test]
fn chain_programs_pct() {
    campaign("programs-chain", Target::Chain, "pct3", |s| {
        PctScheduler::new_from_seed(s, 3, SCHEDULES)
    });
}

#[test]
fn dequeue_batch_programs_pct() {
    campaign(
        "programs-dequeue-batch",
        Target::DequeueBatch,
        "pct3",
        |s| PctScheduler::new_from_seed(s, 3, SCHEDULES),
    );
}

/// Chain programs with batch operations. A `push_head_batch` that crosses into a new ring is
/// seen in two parts (it publishes one ring at a time, as documented); the checker's unbounded
/// spec models that since this campaign's first finding (`proofs-notes/shrinking.md`).
#[test]
fn chain_batch_programs_pct() {
    campaign("programs-chain-batch", Target::ChainBatch, "pct3", |s| {
        PctScheduler::new_from_seed(s, 3, SCHEDULES)
    });
}

#[test]
fn dequeue_programs_random() {
    campaign("programs-dequeue", Target::Dequeue, "random", |s| {
        RandomScheduler::new_from_seed(s, SCHEDULES)
    });
}

/// Every program is one input: `decode(encode(p)) == p`, and any input decodes to a program
/// that encodes to a shortest input for it.
#[test]
fn programs_encode_and_decode_round_trip() {
    let mut rng = Rng(seed());
    let targets = [
        Target::Dequeue,
        Target::Chain,
        Target::DequeueBatch,
        Target::ChainBatch,
    ];
    for _ in 0..2_000 {
        let target = targets[rng.below(4)];
        let mut p = program(&mut rng, target);
        p.capacity = [2, 4, 8][rng.below(3)];
        p.schedule = (0..rng.below(20)).map(|_| rng.next() as u8).collect();
        assert_eq!(Program::decode(target, &p.encode()), p);
        let data: Vec<u8> = (0..rng.below(60)).map(|_| rng.next() as u8).collect();
        let q = Program::decode(target, &data);
        assert_eq!(Program::decode(target, &q.encode()), q);
    }
}

/// A schedule recorded from shuttle's random scheduler, written as bytes, makes the byte
/// scheduler take exactly the same steps.
#[test]
fn recorded_schedules_replay_step_for_step() {
    let mut rng = Rng(seed());
    for _ in 0..200 {
        let p = program(&mut rng, Target::Dequeue);
        let choices = Arc::new(Mutex::new(Vec::new()));
        let recording = Recording {
            inner: RandomScheduler::new_from_seed(rng.next(), 1),
            choices: choices.clone(),
        };
        harness::run_under(recording, p.clone(), Default::default()).expect("the crate passes");
        let choices = choices.lock().unwrap().clone();
        let mut replayed = p.clone();
        replayed.schedule = harness::schedule_bytes(&choices);
        let steps = harness::try_program(&replayed).expect("the correct crate passes");
        let recorded: Vec<usize> = choices.iter().map(|&(_, task)| task).collect();
        assert_eq!(steps, recorded, "byte schedule diverged for {replayed:?}");
    }
}

/// The shrinker reaches the known minimum of a synthetic failure: "fails" when the owner pops its
/// head twice and some stealer makes at least three calls, whatever else the program holds.
#[test]
fn shrinker_finds_the_minimum_of_a_known_failure() {
    let mut rng = Rng(seed());
    let mut test = |p: &Program| {
        let pops = p.owner.iter().filter(|o| **o == OwnerOp::PopHead).count();
        if pops >= 2 && p.stealers.iter().any(|&n| n >= 3) {
            Err(RunFailure {
                message: "P1 synthetic: two pops and a busy stealer".into(),
                events: Vec::new(),
                steps: Vec::new(),
            })
        } else {
            Ok(())
        }
    };
    for _ in 0..50 {
        let mut p = program(&mut rng, Target::Dequeue);
        p.owner.truncate(harness::MAX_OWNER_OPS - 2);
        p.owner.extend([OwnerOp::PopHead, OwnerOp::PopHead]);
        p.stealers[0] = 3 + rng.below(6);
        p.steal_ops[0] = vec![StealOp::PopTail; p.stealers[0]];
        p.schedule = (0..rng.below(30)).map(|_| rng.next() as u8).collect();
        let shrunk = shrink::shrink_with(p.clone(), 20_000, &mut test).expect("it fails");
        let q = &shrunk.program;
        assert_eq!(
            q.owner,
            vec![OwnerOp::PopHead, OwnerOp::PopHead],
            "from {p:?}"
        );
        assert_eq!(q.stealers, vec![3], "from {p:?}");
        assert!(q.schedule.is_empty(), "from {p:?}");
        assert_eq!((q.capacity, q.start, q.drain), (2, u32::MAX, false));
        assert!(!shrunk.budget_hit);
    }
}

/// A candidate that fails differently (another property) is not taken.
#[test]
fn shrinker_keeps_the_property_class() {
    let mut test = |p: &Program| {
        let message = match p.owner.len() {
            0 => return Ok(()),
            1 => "P2 duplicate: value 0 popped twice",
            _ => "P3 not linearizable: ...",
        };
        Err(RunFailure {
            message: message.into(),
            events: Vec::new(),
            steps: Vec::new(),
        })
    };
    let mut rng = Rng(seed());
    let p = program(&mut rng, Target::Chain);
    let shrunk = shrink::shrink_with(p, 1_000, &mut test).expect("it fails");
    assert_eq!(shrunk.program.owner.len(), 2);
    assert_eq!(shrink::class(&shrunk.failure.message), "P3");
    assert_eq!(shrink::class("P1/P2: value 3 popped 2 times"), "P1/P2");
    assert_eq!(
        shrink::class("value 3 dropped 2 times in total"),
        "value  dropped  times in total"
    );
}
