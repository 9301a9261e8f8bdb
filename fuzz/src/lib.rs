//! Decoding and execution harness shared by the fuzz targets (`popTail`, `chain`, and `pool`,
//! whose harness is in [`pool`]) and by the corpus replay test (`verification/shuttle/fuzz_replay.rs`,
//! run by `cargo test --features shuttle`).
//!
//! One input is one concurrent test case:
//!
//! | bytes | meaning |
//! | --- | --- |
//! | `cfg` | bits 0-1: ring capacity `2 << ((b & 3) % 3)` (2, 4 or 8; the chain's first ring is 8), bits 2-3: stealers `1 + ((b >> 2) & 3) % 3`, bit 4: drain after the join (else drop the structure with its contents) |
//! | `start` | indices start at `u32::MAX - (b & 15)`: every run crosses the 2^32 wrap within 16 pushes |
//! | `n` | the owner's program length, `n % 41` |
//! | `n` bytes | owner ops, `b % 4`: 0, 1 push; 2 `pop_head`; 3 `pop_tail` (through its own stealer) |
//! | one byte per stealer | that stealer's number of `pop_tail`s, `b % 9` |
//! | the rest | the schedule, read by [`ByteScheduler`] |
//!
//! The batch targets (`popTailBatch`, `chainBatch`) decode the same way, except: an owner op
//! byte `b % 4` of 1 is `push_head_batch` of `1 + (b >> 2) % 4` values and 2 is
//! `pop_head_batch` of at most `1 + (b >> 2) % 4`; after the stealer counts comes one byte per
//! stealer whose two-bit groups choose each call: `pop_tail`, `steal_batch`,
//! `steal_batch_with_limit(1)` or `steal_batch_and_pop` (into the thief's own structure, a ring
//! of 8 or a chain). The original targets' decoding is unchanged, so their corpus keeps its
//! meaning.
//!
//! Bytes missing at the end read as zero, so every input decodes. The run happens inside one
//! shuttle execution whose every scheduling decision comes from the schedule bytes, so the
//! fuzzer's coverage feedback steers the interleaving and a crash input replays exactly.
//!
//! Checks, all as panics inside the execution: P1 no loss and P2 no duplicate (each value carries
//! a heap-allocated identity; every pushed value is popped or dropped by the structure exactly
//! once, every handed-back value is the one offered), the drain comes out newest first, and P3:
//! the recorded history (invocation and response stamped by a [`StepClock`], a plain `std`
//! counter that adds no modelled synchronization: every shuttle thread runs on the caller's OS
//! thread) is linearizable against the sequential deque, checked by the crate's own history
//! checker (the `lincheck` crate in `verification/lincheck/`, which the shuttle and real-thread
//! suites use too).

use std::fmt;
use std::mem::ManuallyDrop;
use std::sync::{Arc as StdArc, Mutex as StdMutex};

use lincheck::{Failure, Log, Op, Ret, Spec, StepClock};

use poolqueue::__test_hooks as hooks;
use poolqueue::{chain, dequeue};
use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

#[path = "pool.rs"]
pub mod pool;

/// The longest owner program.
pub const MAX_OWNER_OPS: usize = 40;
/// The most `pop_tail`s one stealer makes.
pub const MAX_STEALER_OPS: usize = 8;
/// The most stealer threads.
pub const MAX_STEALERS: usize = 3;

/// Which structure an input drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// `dequeue`: a fixed ring of 2, 4 or 8 slots.
    Dequeue,
    /// `chain`: doubling rings from 8 slots, drained rings retired.
    Chain,
    /// `dequeue` with the batch operations (target `popTailBatch`).
    DequeueBatch,
    /// `chain` with the batch operations (target `chainBatch`).
    ChainBatch,
}

impl Target {
    /// Whether inputs of this target decode batch operations too.
    pub fn batch(self) -> bool {
        matches!(self, Target::DequeueBatch | Target::ChainBatch)
    }

    /// Whether the structure is the fixed ring.
    pub fn ring(self) -> bool {
        matches!(self, Target::Dequeue | Target::DequeueBatch)
    }
}

/// An owner operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnerOp {
    /// `push_head` of the next identity.
    Push,
    /// `pop_head`.
    PopHead,
    /// `pop_tail` through the owner's own stealer handle.
    PopTail,
    /// `push_head_batch` of this many new identities (batch targets only).
    PushBatch(u32),
    /// `pop_head_batch` of at most this many (batch targets only).
    PopHeadBatch(u32),
}

/// What a stealer does in one call (batch targets; the others only `pop_tail`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StealOp {
    /// `pop_tail`.
    PopTail,
    /// `steal_batch` into the thief's own structure.
    StealBatch,
    /// `steal_batch_with_limit(.., 1)`.
    StealOne,
    /// `steal_batch_and_pop`.
    StealAndPop,
}

/// A decoded input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// Which structure.
    pub target: Target,
    /// Dequeue capacity (the `popTail` target only).
    pub capacity: usize,
    /// Start index of every ring.
    pub start: u32,
    /// Drain after the join, or drop the structure with its contents.
    pub drain: bool,
    /// The owner's program (runs on the main task).
    pub owner: Vec<OwnerOp>,
    /// Per stealer thread, its number of `pop_tail`s.
    pub stealers: Vec<usize>,
    /// Per stealer thread, its calls' kinds (all `PopTail` outside the batch targets).
    pub steal_ops: Vec<Vec<StealOp>>,
    /// The schedule bytes.
    pub schedule: Vec<u8>,
}

impl Program {
    /// Decodes any byte string (missing bytes read as zero).
    pub fn decode(target: Target, data: &[u8]) -> Program {
        let mut bytes = data.iter().copied();
        let mut next = || bytes.next().unwrap_or(0);
        let cfg = next();
        let start = u32::MAX - u32::from(next() & 15);
        let n = usize::from(next()) % (MAX_OWNER_OPS + 1);
        let batch = target.batch();
        let owner = (0..n)
            .map(|_| {
                let b = next();
                let size = 1 + u32::from(b >> 2) % 4;
                match (b % 4, batch) {
                    (0 | 1, false) | (0, true) => OwnerOp::Push,
                    (1, true) => OwnerOp::PushBatch(size),
                    (2, false) => OwnerOp::PopHead,
                    (2, true) => OwnerOp::PopHeadBatch(size),
                    _ => OwnerOp::PopTail,
                }
            })
            .collect();
        let k = 1 + usize::from((cfg >> 2) & 3) % MAX_STEALERS;
        let stealers: Vec<usize> = (0..k)
            .map(|_| usize::from(next()) % (MAX_STEALER_OPS + 1))
            .collect();
        // Batch targets: one more byte per stealer, two bits per call choose its kind.
        let steal_ops = stealers
            .iter()
            .map(|&count| {
                let kinds = if batch { next() } else { 0 };
                (0..count)
                    .map(|i| match (kinds >> (2 * (i % 4))) & 3 {
                        0 => StealOp::PopTail,
                        1 => StealOp::StealBatch,
                        2 => StealOp::StealOne,
                        _ => StealOp::StealAndPop,
                    })
                    .collect()
            })
            .collect();
        let used = (3 + n + k + if batch { k } else { 0 }).min(data.len());
        Program {
            target,
            capacity: 2 << ((cfg & 3) % 3),
            start,
            drain: cfg & 0x10 != 0,
            owner,
            stealers,
            steal_ops,
            schedule: data[used..].to_vec(),
        }
    }
}

/// A shuttle scheduler that takes its decisions from bytes, sparsely: each byte `b` switches to
/// `runnable[(b & 3) % runnable.len()]` and keeps that task for `b >> 2` more steps (while it is
/// runnable). With no bytes left the current task runs on (the run completes serially), so a
/// short schedule means few preemptions.
pub struct ByteScheduler {
    bytes: Vec<u8>,
    pos: usize,
    keep: usize,
    started: bool,
}

impl ByteScheduler {
    /// A scheduler for one execution driven by `bytes`.
    pub fn new(bytes: Vec<u8>) -> Self {
        ByteScheduler {
            bytes,
            pos: 0,
            keep: 0,
            started: false,
        }
    }
}

impl Scheduler for ByteScheduler {
    fn new_execution(&mut self) -> Option<Schedule> {
        if self.started {
            return None;
        }
        self.started = true;
        Some(Schedule::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        _is_yielding: bool,
    ) -> Option<TaskId> {
        let current = current.filter(|c| runnable.iter().any(|t| t.id() == *c));
        if let Some(c) = current {
            if self.keep > 0 {
                self.keep -= 1;
                return Some(c);
            }
        }
        match self.bytes.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                self.keep = usize::from(b >> 2);
                Some(runnable[usize::from(b & 3) % runnable.len()].id())
            }
            None => Some(current.unwrap_or_else(|| runnable[0].id())),
        }
    }

    fn next_u64(&mut self) -> u64 {
        0
    }
}

/// A value with an identity and a heap allocation; its drop is counted. A bitwise duplicate
/// made by a broken structure is reported by its second drop, which frees nothing (so the
/// report is not lost in a double free).
pub struct Val {
    id: u32,
    heap: ManuallyDrop<Box<u32>>,
    tracker: ManuallyDrop<StdArc<Tracker>>,
}

impl Val {
    fn new(id: u32, tracker: &StdArc<Tracker>) -> Val {
        Val {
            id,
            heap: ManuallyDrop::new(Box::new(id)),
            tracker: ManuallyDrop::new(tracker.clone()),
        }
    }
}

impl Drop for Val {
    fn drop(&mut self) {
        let drops = {
            let mut dropped = self.tracker.dropped.lock().unwrap();
            dropped[self.id as usize] += 1;
            dropped[self.id as usize]
        };
        assert!(drops == 1, "P2: value {} dropped twice", self.id);
        // SAFETY: the first drop of this identity: the fields are dropped once, here.
        unsafe {
            ManuallyDrop::drop(&mut self.heap);
            ManuallyDrop::drop(&mut self.tracker);
        }
    }
}

impl fmt::Debug for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Val({})", self.id)
    }
}

/// Identity bookkeeping, behind std types: no scheduling point, no modelled synchronization.
struct Tracker {
    /// Times each identity was returned by a pop.
    popped: StdMutex<Vec<u8>>,
    /// Times each identity was dropped.
    dropped: StdMutex<Vec<u8>>,
}

impl Tracker {
    fn new(ids: usize) -> Self {
        Tracker {
            popped: StdMutex::new(vec![0; ids]),
            dropped: StdMutex::new(vec![0; ids]),
        }
    }

    /// Books a popped value and returns the pop's result for the history. A second pop of the
    /// same identity is a duplicate: it is reported and the aliasing copy is leaked, so the
    /// report is not lost in a double free.
    fn popped(&self, v: Option<Val>, thread: usize, held: &mut Vec<Val>) -> Ret {
        let Some(v) = v else {
            return Ret::Empty;
        };
        let id = v.id;
        let n = {
            let mut popped = self.popped.lock().unwrap();
            popped[id as usize] += 1;
            popped[id as usize]
        };
        if n > 1 {
            std::mem::forget(v);
            panic!("P2 duplicate: value {id} popped twice (second by thread {thread})");
        }
        held.push(v);
        Ret::Popped(u64::from(id))
    }

    /// Books the values of a batch pop or steal (in the specification's order) as `popped`
    /// does each, and returns the call's result.
    fn taken(&self, values: Vec<Val>, thread: usize, held: &mut Vec<Val>) -> Ret {
        let ids: Vec<u64> = values.iter().map(|v| u64::from(v.id)).collect();
        for v in values {
            self.popped(Some(v), thread, held);
        }
        Ret::Taken(lincheck::Ids::new(&ids))
    }
}

/// The operations the harness needs from a structure.
trait Subject: Sized + 'static {
    type Owner: Send + 'static;
    type Stealer: Send + Clone + 'static;
    fn make(p: &Program) -> (Self::Owner, Self::Stealer);
    fn push(o: &mut Self::Owner, v: Val) -> Result<(), Val>;
    fn pop_head(o: &mut Self::Owner) -> Option<Val>;
    fn pop_tail(s: &Self::Stealer) -> Option<Val>;
    fn len(o: &Self::Owner) -> usize;
    /// `push_head_batch`; returns how many were pushed.
    fn push_batch(o: &Self::Owner, values: &mut dyn Iterator<Item = Val>) -> usize;
    /// `pop_head_batch`, newest first.
    fn pop_batch(o: &Self::Owner, max: usize) -> Vec<Val>;
    /// A thief's own structure (room for half of any source) and its stealer.
    fn make_dest() -> (Self::Owner, Self::Stealer);
    /// One steal call into `dest`; the values taken, in the specification's order (the popped
    /// one first, then `dest`'s contents oldest first).
    fn steal(
        s: &Self::Stealer,
        op: StealOp,
        dest: &Self::Owner,
        dest_s: &Self::Stealer,
    ) -> Vec<Val>;
}

/// Moves everything out of a thief's structure, oldest first.
fn drain_tail<S: Subject>(first: Option<Val>, dest_s: &S::Stealer) -> Vec<Val> {
    first
        .into_iter()
        .chain(std::iter::from_fn(|| S::pop_tail(dest_s)))
        .collect()
}

struct DequeueSubject;
impl Subject for DequeueSubject {
    type Owner = dequeue::Owner<Val>;
    type Stealer = dequeue::Stealer<Val>;
    fn make(p: &Program) -> (Self::Owner, Self::Stealer) {
        hooks::dequeue_with_start_index(p.capacity, p.start).expect("capacity is a power of two")
    }
    fn push(o: &mut Self::Owner, v: Val) -> Result<(), Val> {
        o.push_head(v)
    }
    fn pop_head(o: &mut Self::Owner) -> Option<Val> {
        o.pop_head()
    }
    fn pop_tail(s: &Self::Stealer) -> Option<Val> {
        s.pop_tail()
    }
    fn len(o: &Self::Owner) -> usize {
        o.len()
    }
    fn push_batch(o: &Self::Owner, values: &mut dyn Iterator<Item = Val>) -> usize {
        o.push_head_batch(values)
    }
    fn pop_batch(o: &Self::Owner, max: usize) -> Vec<Val> {
        let mut out = Vec::new();
        o.pop_head_batch(max, &mut out);
        out
    }
    fn make_dest() -> (Self::Owner, Self::Stealer) {
        dequeue::new(8).expect("capacity is a power of two")
    }
    fn steal(
        s: &Self::Stealer,
        op: StealOp,
        dest: &Self::Owner,
        dest_s: &Self::Stealer,
    ) -> Vec<Val> {
        let first = match op {
            StealOp::PopTail => return s.pop_tail().into_iter().collect(),
            StealOp::StealBatch => {
                s.steal_batch(dest);
                None
            }
            StealOp::StealOne => {
                s.steal_batch_with_limit(dest, 1);
                None
            }
            StealOp::StealAndPop => s.steal_batch_and_pop(dest),
        };
        drain_tail::<Self>(first, dest_s)
    }
}

struct ChainSubject;
impl Subject for ChainSubject {
    type Owner = chain::Owner<Val>;
    type Stealer = chain::Stealer<Val>;
    fn make(p: &Program) -> (Self::Owner, Self::Stealer) {
        hooks::chain_with_start_index(p.start)
    }
    fn push(o: &mut Self::Owner, v: Val) -> Result<(), Val> {
        o.push_head(v);
        Ok(())
    }
    fn pop_head(o: &mut Self::Owner) -> Option<Val> {
        o.pop_head()
    }
    fn pop_tail(s: &Self::Stealer) -> Option<Val> {
        s.pop_tail()
    }
    fn len(o: &Self::Owner) -> usize {
        o.len()
    }
    fn push_batch(o: &Self::Owner, values: &mut dyn Iterator<Item = Val>) -> usize {
        o.push_head_batch(values)
    }
    fn pop_batch(o: &Self::Owner, max: usize) -> Vec<Val> {
        let mut out = Vec::new();
        o.pop_head_batch(max, &mut out);
        out
    }
    fn make_dest() -> (Self::Owner, Self::Stealer) {
        chain::new()
    }
    fn steal(
        s: &Self::Stealer,
        op: StealOp,
        dest: &Self::Owner,
        dest_s: &Self::Stealer,
    ) -> Vec<Val> {
        let first = match op {
            StealOp::PopTail => return s.pop_tail().into_iter().collect(),
            StealOp::StealBatch => {
                s.steal_batch(dest);
                None
            }
            StealOp::StealOne => {
                s.steal_batch_with_limit(dest, 1);
                None
            }
            StealOp::StealAndPop => s.steal_batch_and_pop(dest),
        };
        drain_tail::<Self>(first, dest_s)
    }
}

/// Decodes `data` for `target` and runs it as one shuttle execution, panicking on any violated
/// property. This is the whole fuzz target and the whole replay step.
pub fn run(target: Target, data: &[u8]) {
    run_program(Program::decode(target, data));
}

/// Runs a decoded program (see [`run`]).
pub fn run_program(p: Program) {
    let schedule = p.schedule.clone();
    let mut config = shuttle::Config::new();
    config.silence_warnings = true;
    // The input file is the replayable record; shuttle's own schedule string would need this
    // harness around it to replay.
    config.failure_persistence = shuttle::FailurePersistence::None;
    // A bounded program needs far fewer steps; more means a retry loop that never ends.
    config.max_steps = shuttle::MaxSteps::FailAfter(100_000);
    let p = StdArc::new(p);
    let runner = shuttle::Runner::new(ByteScheduler::new(schedule), config);
    match p.target {
        Target::Dequeue | Target::DequeueBatch => runner.run(move || execute::<DequeueSubject>(&p)),
        Target::Chain | Target::ChainBatch => runner.run(move || execute::<ChainSubject>(&p)),
    };
}

fn execute<S: Subject>(p: &Program) {
    // Identities that may be made: one per push, `n` per batch push (a batch makes only those
    // the structure asks for, so the ids made are `0..next_id` at the end).
    let pushes: usize = p
        .owner
        .iter()
        .map(|o| match *o {
            OwnerOp::Push => 1,
            OwnerOp::PushBatch(n) => n as usize,
            _ => 0,
        })
        .sum();
    let tracker = StdArc::new(Tracker::new(pushes));
    let clock = StdArc::new(StepClock::new());
    let (mut owner, stealer) = S::make(p);

    let threads: Vec<_> = p
        .steal_ops
        .iter()
        .enumerate()
        .map(|(i, ops)| {
            let s = stealer.clone();
            let tracker = tracker.clone();
            let mut log = Log::new(clock.clone(), i + 1);
            let ops = ops.clone();
            shuttle::thread::spawn(move || {
                let mut held = Vec::new();
                // The thief's own structure, for the batch steals (emptied after each).
                let (dest, dest_s) = S::make_dest();
                for op in ops {
                    let limit = match op {
                        StealOp::PopTail => {
                            log.call(Op::PopTail, || {
                                tracker.popped(S::pop_tail(&s), i + 1, &mut held)
                            });
                            continue;
                        }
                        StealOp::StealOne => 1,
                        StealOp::StealBatch | StealOp::StealAndPop => u32::MAX,
                    };
                    log.call(Op::StealBatch(limit), || {
                        let got = S::steal(&s, op, &dest, &dest_s);
                        tracker.taken(got, i + 1, &mut held)
                    });
                }
                (log.into_calls(), held)
            })
        })
        .collect();

    let mut held = Vec::new();
    let mut log = Log::new(clock.clone(), 0);
    let mut accepted = vec![false; pushes];
    let mut next_id = 0u32;
    for op in &p.owner {
        match op {
            OwnerOp::Push => {
                let id = next_id;
                next_id += 1;
                let v = Val::new(id, &tracker);
                let ret = log.call(Op::PushHead(u64::from(id)), || {
                    match S::push(&mut owner, v) {
                        Ok(()) => Ret::Pushed,
                        Err(back) => {
                            assert_eq!(back.id, id, "push_head handed back a different value");
                            Ret::Full
                        }
                    }
                });
                accepted[id as usize] = ret == Ret::Pushed;
            }
            OwnerOp::PopHead => {
                log.call(Op::PopHead, || {
                    tracker.popped(S::pop_head(&mut owner), 0, &mut held)
                });
            }
            OwnerOp::PopTail => {
                log.call(Op::PopTail, || {
                    tracker.popped(S::pop_tail(&stealer), 0, &mut held)
                });
            }
            &OwnerOp::PushBatch(n) => {
                let first = next_id;
                let mut k = 0;
                log.call(
                    Op::PushHeadBatch {
                        first: u64::from(first),
                        n,
                    },
                    || {
                        // Values are made only when the structure asks for them.
                        let mut values = (first..first + n).map(|id| Val::new(id, &tracker));
                        k = S::push_batch(&owner, &mut values) as u32;
                        Ret::PushedN(k)
                    },
                );
                for id in first..first + k {
                    accepted[id as usize] = true;
                }
                next_id += k;
            }
            &OwnerOp::PopHeadBatch(max) => {
                log.call(Op::PopHeadBatch(max), || {
                    let got = S::pop_batch(&owner, max as usize);
                    tracker.taken(got, 0, &mut held)
                });
            }
        }
    }
    let mut history = log.into_calls();
    for t in threads {
        let (calls, h) = t.join().expect("stealer thread panicked");
        history.extend(calls);
        held.extend(h);
    }

    // P3 first: its report names the operations, which explains a P1/P2 failure too.
    let spec = match p.target {
        Target::Dequeue | Target::DequeueBatch => Spec::Bounded {
            capacity: p.capacity,
        },
        Target::Chain | Target::ChainBatch => Spec::Unbounded,
    };
    if let Err(v) = lincheck::check(spec, &history) {
        // A search limit proves nothing either way, but these histories have at most 64
        // calls: reaching it would be a checker problem worth a report too.
        let what = match v.failure {
            Failure::NotLinearizable => "P3 not linearizable",
            Failure::Malformed => "malformed history",
            Failure::SearchLimit => "linearizability search limit reached",
        };
        panic!("{what}: {v}\nprogram: {p:?}");
    }

    if p.drain {
        let mut last = None;
        while let Ret::Popped(id) = tracker.popped(S::pop_head(&mut owner), 0, &mut held) {
            assert!(
                last.map_or(true, |l| id < l),
                "drain not newest first: {id} after {last:?}"
            );
            last = Some(id);
        }
        assert_eq!(S::len(&owner), 0, "drained structure reports values");
    }
    drop(owner);
    drop(stealer);
    // Every handle is gone (the stealers' with their threads): the structure has dropped what
    // it still held.
    {
        let popped = tracker.popped.lock().unwrap();
        let dropped = tracker.dropped.lock().unwrap();
        for id in 0..next_id as usize {
            let (pop, drop) = (popped[id], dropped[id]);
            if accepted[id] {
                if p.drain {
                    assert_eq!(pop, 1, "P1 lost: value {id} never popped");
                }
                assert!(
                    pop + drop == 1,
                    "P1/P2: value {id} popped {pop} times and dropped by the structure {drop} times"
                );
            } else {
                assert_eq!(pop, 0, "value {id} was handed back yet popped");
            }
        }
    }
    drop(held);
    let dropped = tracker.dropped.lock().unwrap();
    if let Some(id) = dropped[..next_id as usize].iter().position(|&d| d != 1) {
        panic!("value {id} dropped {} times in total", dropped[id]);
    }
}
