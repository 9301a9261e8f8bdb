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
//! The `worker` target decodes as the batch targets' stealers do, with these owner differences:
//! `cfg` bits 0-1 choose the worker's `k` (0, 1, 2 or 4 private values), and an owner op byte
//! `b % 4` of 3 is `flush` when bit 2 is set (else `pop_tail`). Its histories are checked
//! against the worker's specification (`lincheck::Spec::Worker`), the thieves' batches land in
//! workers of their own with `k = 0`.
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
//!
//! A failing input is reduced by [`shrink`] to a minimal list of operations per thread and a
//! minimal schedule, printed with its interleaving and the violated property, and saved with the
//! one command that replays it (see `fuzz/README.md`).

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc as StdArc, Mutex as StdMutex};

use lincheck::identity::{DropCounter, Identity};
use lincheck::{Failure, Log, Op, Ret, Spec, StepClock};

use poolqueue::__test_hooks as hooks;
use poolqueue::{chain, dequeue, worker};
use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

pub mod answered;
pub mod pool;
pub mod shrink;

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
    /// `worker`: a chain whose owner keeps `k` values private (target `worker`).
    Worker,
}

impl Target {
    /// Whether inputs of this target decode batch operations too.
    pub fn batch(self) -> bool {
        matches!(self, Target::DequeueBatch | Target::ChainBatch)
    }

    /// Whether the stealers' calls include batch steals.
    pub fn batch_steals(self) -> bool {
        self.batch() || self == Target::Worker
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
    /// `flush` (the worker target only).
    Flush,
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
    /// Dequeue capacity (the `popTail` targets), or the worker's `k` (the `worker` target).
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
                    _ if target == Target::Worker && b & 4 != 0 => OwnerOp::Flush,
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
                let kinds = if target.batch_steals() { next() } else { 0 };
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
        let used = (3 + n + k + if target.batch_steals() { k } else { 0 }).min(data.len());
        Program {
            target,
            capacity: if target == Target::Worker {
                [0, 1, 2, 4][usize::from(cfg & 3)]
            } else {
                2 << ((cfg & 3) % 3)
            },
            start,
            drain: cfg & 0x10 != 0,
            owner,
            stealers,
            steal_ops,
            schedule: data[used..].to_vec(),
        }
    }

    /// The shortest input that [`Program::decode`] turns back into this program.
    ///
    /// # Panics
    ///
    /// If the program cannot be written as an input of its target: a capacity other than 2, 4
    /// or 8, a start more than 15 below `u32::MAX`, no stealer or more than [`MAX_STEALERS`],
    /// more than [`MAX_OWNER_OPS`] owner operations or [`MAX_STEALER_OPS`] calls for one
    /// stealer, an operation its target does not decode, batch sizes outside 1..=4, or steal
    /// kinds that do not repeat every four calls.
    pub fn encode(&self) -> Vec<u8> {
        let cap_bits = match (self.target, self.capacity) {
            (Target::Worker, k @ 0..=2) => k as u8,
            (Target::Worker, 4) => 3,
            (_, 2) => 0,
            (_, 4) => 1,
            (_, 8) => 2,
            (_, c) => panic!("capacity {c} cannot be encoded"),
        };
        let k = self.stealers.len();
        assert!(
            (1..=MAX_STEALERS).contains(&k),
            "{k} stealers cannot be encoded"
        );
        assert_eq!(
            self.steal_ops.len(),
            k,
            "one list of steal kinds per stealer"
        );
        let offset = u32::MAX - self.start;
        assert!(offset <= 15, "start {} cannot be encoded", self.start);
        assert!(self.owner.len() <= MAX_OWNER_OPS, "owner program too long");
        let batch = self.target.batch();
        let mut out = vec![
            cap_bits | ((k as u8 - 1) << 2) | (u8::from(self.drain) << 4),
            offset as u8,
            self.owner.len() as u8,
        ];
        let size = |n: u32| {
            assert!((1..=4).contains(&n), "batch size {n} cannot be encoded");
            (n as u8 - 1) << 2
        };
        out.extend(self.owner.iter().map(|op| match (*op, batch) {
            (OwnerOp::Push, _) => 0u8,
            (OwnerOp::PushBatch(n), true) => 1 | size(n),
            (OwnerOp::PopHead, false) => 2,
            (OwnerOp::PopHeadBatch(n), true) => 2 | size(n),
            (OwnerOp::PopTail, _) => 3,
            (OwnerOp::Flush, _) if self.target == Target::Worker => 3 | 4,
            (op, _) => panic!("{op:?} cannot be encoded for {:?}", self.target),
        }));
        for (&count, ops) in self.stealers.iter().zip(&self.steal_ops) {
            assert!(count <= MAX_STEALER_OPS, "stealer program too long");
            assert_eq!(ops.len(), count, "one steal kind per call");
            out.push(count as u8);
        }
        if self.target.batch_steals() {
            for ops in &self.steal_ops {
                let mut kinds = 0u8;
                for (j, op) in ops.iter().enumerate() {
                    assert_eq!(*op, ops[j % 4], "steal kinds repeat every four calls");
                    let bits = match op {
                        StealOp::PopTail => 0,
                        StealOp::StealBatch => 1,
                        StealOp::StealOne => 2,
                        StealOp::StealAndPop => 3,
                    };
                    kinds |= bits << (2 * (j % 4));
                }
                out.push(kinds);
            }
        } else {
            let plain = |ops: &Vec<StealOp>| ops.iter().all(|o| *o == StealOp::PopTail);
            assert!(
                self.steal_ops.iter().all(plain),
                "only the batch targets steal in batches"
            );
        }
        out.extend_from_slice(&self.schedule);
        out
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
    /// The task chosen at every scheduling step, in order.
    trace: StdArc<StdMutex<Vec<usize>>>,
}

impl ByteScheduler {
    /// A scheduler for one execution driven by `bytes`.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self::traced(bytes, StdArc::default())
    }

    /// As [`ByteScheduler::new`], and records the task it picks at every step in `trace`.
    pub fn traced(bytes: Vec<u8>, trace: StdArc<StdMutex<Vec<usize>>>) -> Self {
        ByteScheduler {
            bytes,
            pos: 0,
            keep: 0,
            started: false,
            trace,
        }
    }

    fn pick(&mut self, runnable: &[&Task], current: Option<TaskId>) -> TaskId {
        let current = still_runnable(runnable, current);
        if let Some(c) = current {
            if self.keep > 0 {
                self.keep -= 1;
                return c;
            }
        }
        match self.bytes.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                self.keep = usize::from(b >> 2);
                runnable[usize::from(b & 3) % runnable.len()].id()
            }
            None => current.unwrap_or_else(|| runnable[0].id()),
        }
    }
}

/// Writes the decisions of another scheduler as [`ByteScheduler`] bytes that make the same
/// decisions: `choices[i]` is the index, in the runnable list of step `i`, of the task chosen
/// there, and `tasks[i]` that task. A run of steps on one task becomes one byte (at most 64
/// steps per byte).
pub fn schedule_bytes(choices: &[(usize, usize)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < choices.len() {
        let (index, task) = choices[i];
        let mut run = 0;
        while run < 63 && i + 1 + run < choices.len() && choices[i + 1 + run].1 == task {
            run += 1;
        }
        out.push(((run as u8) << 2) | index as u8);
        i += 1 + run;
    }
    out
}

/// `new_execution` of the schedulers that run one execution only: the first call starts it
/// (`started` is set), every later call ends the test.
fn one_execution(started: &mut bool) -> Option<Schedule> {
    if std::mem::replace(started, true) {
        None
    } else {
        Some(Schedule::new(0))
    }
}

/// The current task, if it is still runnable (a task that finished or blocks is not).
fn still_runnable(runnable: &[&Task], current: Option<TaskId>) -> Option<TaskId> {
    current.filter(|c| runnable.iter().any(|t| t.id() == *c))
}

impl Scheduler for ByteScheduler {
    fn new_execution(&mut self) -> Option<Schedule> {
        one_execution(&mut self.started)
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        _is_yielding: bool,
    ) -> Option<TaskId> {
        let next = self.pick(runnable, current);
        self.trace.lock().unwrap().push(usize::from(next));
        Some(next)
    }

    fn next_u64(&mut self) -> u64 {
        0
    }
}

/// A value with an identity and a heap allocation whose drops the tracker counts
/// ([`Identity`]: a bitwise duplicate made by a broken structure is reported by its second drop,
/// which frees nothing, so the report is not lost in a double free).
pub struct Val(Identity<StdArc<Tracker>>);

impl Val {
    fn new(id: u32, tracker: &StdArc<Tracker>) -> Val {
        Val(Identity::new(u64::from(id), tracker.clone()))
    }

    fn id(&self) -> u32 {
        self.0.id() as u32
    }
}

impl DropCounter for Tracker {
    fn count_drop(&self, id: u64) -> u64 {
        let mut dropped = self.dropped.lock().unwrap();
        dropped[id as usize] += 1;
        u64::from(dropped[id as usize])
    }

    fn duplicate_message(id: u64) -> String {
        format!("P2: value {id} dropped twice")
    }
}

impl fmt::Debug for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Val({})", self.id())
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
        let id = v.id();
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
        let ids: Vec<u64> = values.iter().map(|v| u64::from(v.id())).collect();
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
    /// `flush` (the worker only).
    fn flush(_: &Self::Owner) {
        unreachable!("only the worker target decodes flush")
    }
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

/// The `Subject` methods written the same way for `dequeue` and `chain`, whose owners and
/// stealers share these method names and signatures: expanded inside each impl.
macro_rules! same_api_ops {
    () => {
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
    };
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
    same_api_ops!();
    fn make_dest() -> (Self::Owner, Self::Stealer) {
        dequeue::new(8).expect("capacity is a power of two")
    }
}

struct WorkerSubject;
impl Subject for WorkerSubject {
    type Owner = worker::Owner<Val>;
    type Stealer = worker::Stealer<Val>;
    fn make(p: &Program) -> (Self::Owner, Self::Stealer) {
        hooks::worker_with_start_index(p.capacity, p.start)
    }
    fn push(o: &mut Self::Owner, v: Val) -> Result<(), Val> {
        answered::push_head(o, v);
        Ok(())
    }
    fn pop_head(o: &mut Self::Owner) -> Option<Val> {
        answered::pop_head(o)
    }
    fn pop_tail(s: &Self::Stealer) -> Option<Val> {
        s.pop_tail()
    }
    fn len(o: &Self::Owner) -> usize {
        o.len()
    }
    fn push_batch(_: &Self::Owner, _: &mut dyn Iterator<Item = Val>) -> usize {
        unreachable!("the worker target decodes no batch push")
    }
    fn pop_batch(_: &Self::Owner, _: usize) -> Vec<Val> {
        unreachable!("the worker target decodes no batch pop")
    }
    fn flush(o: &Self::Owner) {
        o.flush();
    }
    fn make_dest() -> (Self::Owner, Self::Stealer) {
        worker::with_private(0)
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
    same_api_ops!();
    fn make_dest() -> (Self::Owner, Self::Stealer) {
        chain::new()
    }
}

/// Decodes `data` for `target` and runs it as one shuttle execution, panicking on any violated
/// property. This is the whole fuzz target and the whole replay step.
pub fn run(target: Target, data: &[u8]) {
    run_program(Program::decode(target, data));
}

/// Runs a decoded program (see [`run`]).
pub fn run_program(p: Program) {
    let schedule = ByteScheduler::new(p.schedule.clone());
    if let Err(message) = run_under(schedule, p, Journal::default()) {
        panic!("{message}");
    }
}

/// How a program failed: the violated property and what led there.
#[derive(Clone, Debug)]
pub struct RunFailure {
    /// The first panic message of the execution (it names the property: `P2 duplicate: ...`).
    pub message: String,
    /// Every call's invocation and response, in execution order.
    pub events: Vec<Event>,
    /// The task that ran at every scheduling step (0 the owner, `i` stealer `i`).
    pub steps: Vec<usize>,
}

/// One entry of the interleaving: a thread invoked an operation or got its result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// 0 the owner, `i` stealer `i`.
    pub thread: usize,
    /// The operation (`push_head(3)`, `pop_tail`, ...).
    pub op: String,
    /// `None` at the invocation, the result at the response.
    pub ret: Option<String>,
}

/// The interleaving of one execution. Every shuttle task runs on the caller's OS thread, so the
/// order in which events are appended is the order in which they happened.
pub type Journal = StdArc<StdMutex<Vec<Event>>>;

/// Runs `p` as [`run_program`] does and returns how it failed instead of panicking. While it
/// runs, panics on this thread print nothing (the failure is returned), so a shrinker can run
/// thousands of failing candidates quietly. On success, returns the task that ran at every
/// scheduling step.
pub fn try_program(p: &Program) -> Result<Vec<usize>, RunFailure> {
    let steps = StdArc::<StdMutex<Vec<usize>>>::default();
    let scheduler = ByteScheduler::traced(p.schedule.clone(), steps.clone());
    let events = Journal::default();
    match try_under(scheduler, p, &events) {
        Ok(_) => Ok(steps.lock().unwrap().clone()),
        Err(message) => Err(RunFailure {
            message,
            events: events.lock().unwrap().clone(),
            steps: steps.lock().unwrap().clone(),
        }),
    }
}

/// [`run_under`], quietly, with failures of shuttle itself (a step bound, a deadlock) returned
/// like those of the checks.
pub fn try_under<S: Scheduler + 'static>(
    scheduler: S,
    p: &Program,
    events: &Journal,
) -> Result<usize, String> {
    shrink::quietly(|| {
        panic::catch_unwind(AssertUnwindSafe(|| {
            run_under(scheduler, p.clone(), events.clone())
        }))
    })
    .unwrap_or_else(|payload| Err(shrink::panic_message(payload.as_ref())))
}

/// Runs `p` under `scheduler` (every execution it asks for runs the same program) and returns the
/// number of executions, or the first violated property. The failing execution is the last:
/// the scheduler is asked for no further one, so a recording scheduler keeps its decisions.
pub fn run_under<S: Scheduler + 'static>(
    scheduler: S,
    p: Program,
    events: Journal,
) -> Result<usize, String> {
    let mut config = shuttle::Config::new();
    config.silence_warnings = true;
    // The input is the replayable record; shuttle's own schedule string would need this harness
    // around it to replay.
    config.failure_persistence = shuttle::FailurePersistence::None;
    // A bounded program needs far fewer steps; more means a retry loop that never ends.
    config.max_steps = shuttle::MaxSteps::FailAfter(100_000);
    let first = StdArc::new(FirstPanic::default());
    let runner = shuttle::Runner::new(
        StopOnFailure {
            inner: scheduler,
            first: first.clone(),
        },
        config,
    );
    let p = StdArc::new(p);
    let sink = first.clone();
    let executions = runner.run(move || {
        events.lock().unwrap().clear();
        match p.target {
            Target::Dequeue | Target::DequeueBatch => execute::<DequeueSubject>(&p, &events, &sink),
            Target::Chain | Target::ChainBatch => execute::<ChainSubject>(&p, &events, &sink),
            Target::Worker => execute::<WorkerSubject>(&p, &events, &sink),
        }
    });
    let failed = first.0.lock().unwrap().take();
    match failed {
        Some(message) => Err(message),
        None => Ok(executions),
    }
}

/// Ends the run after the first failing execution.
struct StopOnFailure<S> {
    inner: S,
    first: StdArc<FirstPanic>,
}

impl<S: Scheduler> Scheduler for StopOnFailure<S> {
    fn new_execution(&mut self) -> Option<Schedule> {
        if self.first.0.lock().unwrap().is_some() {
            return None;
        }
        self.inner.new_execution()
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        self.inner.next_task(runnable, current, is_yielding)
    }

    fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }
}

/// Wraps a scheduler and records, for every scheduling step of the current execution, the index
/// of the chosen task in the runnable list and the task; [`schedule_bytes`] turns the record into
/// a schedule for [`ByteScheduler`].
pub struct Recording<S> {
    /// The scheduler that decides.
    pub inner: S,
    /// `(index in the runnable list, task)` per step of the latest execution.
    pub choices: StdArc<StdMutex<Vec<(usize, usize)>>>,
}

impl<S: Scheduler> Scheduler for Recording<S> {
    fn new_execution(&mut self) -> Option<Schedule> {
        // Asked once more after the last execution (and answering `None`): keep its record.
        let next = self.inner.new_execution();
        if next.is_some() {
            self.choices.lock().unwrap().clear();
        }
        next
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let next = self.inner.next_task(runnable, current, is_yielding)?;
        let index = runnable
            .iter()
            .position(|t| t.id() == next)
            .expect("a scheduler picks a runnable task");
        self.choices
            .lock()
            .unwrap()
            .push((index, usize::from(next)));
        Some(next)
    }

    fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }
}

/// One execution that follows a list of tasks, one per step, skipping any that is not runnable
/// when its turn comes; past the list, the current task runs on.
struct Follow {
    tasks: Vec<usize>,
    pos: usize,
    started: bool,
}

impl Scheduler for Follow {
    fn new_execution(&mut self) -> Option<Schedule> {
        one_execution(&mut self.started)
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        _is_yielding: bool,
    ) -> Option<TaskId> {
        while let Some(&want) = self.tasks.get(self.pos) {
            self.pos += 1;
            if let Some(t) = runnable.iter().find(|t| usize::from(t.id()) == want) {
                return Some(t.id());
            }
        }
        Some(still_runnable(runnable, current).unwrap_or_else(|| runnable[0].id()))
    }

    fn next_u64(&mut self) -> u64 {
        0
    }
}

/// `p` with the schedule bytes of the execution that follows `tasks` (a scheduler that replays
/// them): how a shrinker keeps an interleaving while it removes a whole thread (task ids shift,
/// runnable lists change, and the old bytes would mean something else).
pub fn rescheduled(p: &Program, tasks: &[usize]) -> Program {
    let choices = StdArc::new(StdMutex::new(Vec::new()));
    let follow = Recording {
        inner: Follow {
            tasks: tasks.to_vec(),
            pos: 0,
            started: false,
        },
        choices: choices.clone(),
    };
    let _ = try_under(follow, p, &Journal::default());
    let mut out = p.clone();
    out.schedule = schedule_bytes(&choices.lock().unwrap());
    out
}

/// Searches `schedules` PCT schedules (depth 3, from `seed`) for one under which `p` fails;
/// returns `p` with that execution's schedule bytes, and the failure message.
pub fn search_schedule(p: &Program, schedules: usize, seed: u64) -> Option<(Program, String)> {
    let choices = StdArc::new(StdMutex::new(Vec::new()));
    let recording = Recording {
        inner: shuttle::scheduler::PctScheduler::new_from_seed(seed, 3, schedules),
        choices: choices.clone(),
    };
    let message = try_under(recording, p, &Journal::default()).err()?;
    let mut out = p.clone();
    out.schedule = schedule_bytes(&choices.lock().unwrap());
    Some((out, message))
}

/// Records the invocation and the response of `f` in the journal and the history.
fn traced<C: lincheck::Clock>(
    journal: &Journal,
    log: &mut Log<C>,
    thread: usize,
    op: Op,
    f: impl FnOnce() -> Ret,
) -> Ret {
    let name = match op {
        Op::PushHead(id) => format!("push_head({id})"),
        Op::PopHead => "pop_head".to_string(),
        Op::PopTail => "pop_tail".to_string(),
        #[allow(unreachable_patterns)]
        other => format!("{other:?}"),
    };
    journal.lock().unwrap().push(Event {
        thread,
        op: name.clone(),
        ret: None,
    });
    let ret = log.call(op, f);
    let shown = match ret {
        Ret::Pushed => "ok".to_string(),
        Ret::Full => "full".to_string(),
        Ret::Empty => "None".to_string(),
        Ret::Popped(id) => format!("Some({id})"),
        #[allow(unreachable_patterns)]
        other => format!("{other:?}"),
    };
    journal.lock().unwrap().push(Event {
        thread,
        op: name,
        ret: Some(shown),
    });
    ret
}

/// The first failure of an execution. Tasks catch their own panics and finish, and the owner
/// joins every stealer before it returns, so a failing execution ends like a passing one (no
/// task left to tear down, nothing printed by shuttle) and the runner is then stopped.
#[derive(Default)]
struct FirstPanic(StdMutex<Option<String>>);

impl FirstPanic {
    fn catch<R>(&self, f: impl FnOnce() -> R) -> Option<R> {
        match panic::catch_unwind(AssertUnwindSafe(f)) {
            Ok(r) => Some(r),
            Err(payload) => {
                self.0
                    .lock()
                    .unwrap()
                    .get_or_insert_with(|| shrink::panic_message(payload.as_ref()));
                None
            }
        }
    }
}

fn execute<S: Subject>(p: &Program, journal: &Journal, first: &StdArc<FirstPanic>) {
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
            let journal = journal.clone();
            let first = first.clone();
            let mut log = Log::new(clock.clone(), i + 1);
            let ops = ops.clone();
            shuttle::thread::spawn(move || {
                let mut held = Vec::new();
                // The thief's own structure, for the batch steals (emptied after each).
                let (dest, dest_s) = S::make_dest();
                first.catch(|| {
                    for op in ops {
                        let limit = match op {
                            StealOp::PopTail => {
                                traced(&journal, &mut log, i + 1, Op::PopTail, || {
                                    tracker.popped(S::pop_tail(&s), i + 1, &mut held)
                                });
                                continue;
                            }
                            StealOp::StealOne => 1,
                            StealOp::StealBatch | StealOp::StealAndPop => u32::MAX,
                        };
                        traced(&journal, &mut log, i + 1, Op::StealBatch(limit), || {
                            let got = S::steal(&s, op, &dest, &dest_s);
                            tracker.taken(got, i + 1, &mut held)
                        });
                    }
                });
                (log.into_calls(), held)
            })
        })
        .collect();

    let mut held = Vec::new();
    let mut log = Log::new(clock.clone(), 0);
    let mut accepted = vec![false; pushes];
    let mut next_id = 0u32;
    first.catch(|| {
        for op in &p.owner {
            match op {
                OwnerOp::Push => {
                    let id = next_id;
                    next_id += 1;
                    let v = Val::new(id, &tracker);
                    let ret =
                        traced(
                            journal,
                            &mut log,
                            0,
                            Op::PushHead(u64::from(id)),
                            || match S::push(&mut owner, v) {
                                Ok(()) => Ret::Pushed,
                                Err(back) => {
                                    assert_eq!(
                                        back.id(),
                                        id,
                                        "push_head handed back a different value"
                                    );
                                    Ret::Full
                                }
                            },
                        );
                    accepted[id as usize] = ret == Ret::Pushed;
                }
                OwnerOp::PopHead => {
                    traced(journal, &mut log, 0, Op::PopHead, || {
                        tracker.popped(S::pop_head(&mut owner), 0, &mut held)
                    });
                }
                OwnerOp::PopTail => {
                    traced(journal, &mut log, 0, Op::PopTail, || {
                        tracker.popped(S::pop_tail(&stealer), 0, &mut held)
                    });
                }
                &OwnerOp::PushBatch(n) => {
                    let first = next_id;
                    let mut k = 0;
                    let op = Op::PushHeadBatch {
                        first: u64::from(first),
                        n,
                    };
                    traced(journal, &mut log, 0, op, || {
                        // Values are made only when the structure asks for them.
                        let mut values = (first..first + n).map(|id| Val::new(id, &tracker));
                        k = S::push_batch(&owner, &mut values) as u32;
                        Ret::PushedN(k)
                    });
                    for id in first..first + k {
                        accepted[id as usize] = true;
                    }
                    next_id += k;
                }
                OwnerOp::Flush => {
                    traced(journal, &mut log, 0, Op::Flush, || {
                        S::flush(&owner);
                        Ret::Done
                    });
                }
                &OwnerOp::PopHeadBatch(max) => {
                    traced(journal, &mut log, 0, Op::PopHeadBatch(max), || {
                        let got = S::pop_batch(&owner, max as usize);
                        tracker.taken(got, 0, &mut held)
                    });
                }
            }
        }
    });
    let mut history = log.into_calls();
    // Every stealer is joined, also after a failure, so the execution ends with no task left.
    for t in threads {
        let (calls, h) = t.join().expect("stealer threads catch their panics");
        history.extend(calls);
        held.extend(h);
    }
    if first.0.lock().unwrap().is_some() {
        // Already failed: drop what is left (a drop may fail too, later than the first failure).
        first.catch(move || drop((owner, stealer, held)));
        return;
    }
    let made = next_id as usize;
    first.catch(move || {
        checks::<S>(
            p, history, owner, stealer, held, &tracker, &accepted, made, journal,
        )
    });
}

/// The checks after the join, the drain and the drops (see the module docs); `made` identities
/// were created.
#[allow(clippy::too_many_arguments)]
fn checks<S: Subject>(
    p: &Program,
    history: Vec<lincheck::Call>,
    mut owner: S::Owner,
    stealer: S::Stealer,
    mut held: Vec<Val>,
    tracker: &Tracker,
    accepted: &[bool],
    made: usize,
    journal: &Journal,
) {
    // P3 first: its report names the operations, which explains a P1/P2 failure too.
    let spec = match p.target {
        Target::Dequeue | Target::DequeueBatch => Spec::Bounded {
            capacity: p.capacity,
        },
        Target::Chain | Target::ChainBatch => Spec::Unbounded,
        Target::Worker => Spec::Worker {
            private: p.capacity,
        },
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
        loop {
            let ret = tracker.popped(S::pop_head(&mut owner), 0, &mut held);
            journal.lock().unwrap().push(Event {
                thread: 0,
                op: "pop_head (drain)".to_string(),
                ret: Some(match ret {
                    Ret::Popped(id) => format!("Some({id})"),
                    _ => "None".to_string(),
                }),
            });
            let Ret::Popped(id) = ret else { break };
            assert!(
                last.is_none_or(|l| id < l),
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
        for id in 0..made {
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
    if let Some(id) = dropped[..made].iter().position(|&d| d != 1) {
        panic!("value {id} dropped {} times in total", dropped[id]);
    }
}
