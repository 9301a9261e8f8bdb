//! Decoding and execution harness shared by the fuzz targets (`popTail`, `chain`) and by the
//! corpus replay test (`verification/fuzz_replay.rs`, `cargo test --features shuttle`).
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
//! Bytes missing at the end read as zero, so every input decodes. The run happens inside one
//! shuttle execution whose every scheduling decision comes from the schedule bytes, so the
//! fuzzer's coverage feedback steers the interleaving and a crash input replays exactly.
//!
//! Checks, all as panics inside the execution: P1 no loss and P2 no duplicate (each value carries
//! a heap-allocated identity; every pushed value is popped or dropped by the structure exactly
//! once, every handed-back value is the one offered), the drain comes out newest first, and P3:
//! the recorded history (invocation and response stamped from a plain `std` counter, which adds no
//! modelled synchronization: every shuttle thread runs on the caller's OS thread) is
//! linearizable against the sequential deque ([`lincheck`]).

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering as StdOrdering};
use std::sync::{Arc as StdArc, Mutex as StdMutex};

use poolqueue::{chain, dequeue};
use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

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
    Ring,
    /// `chain`: doubling rings from 8 slots, drained rings retired.
    Chain,
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
}

/// A decoded input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// Which structure.
    pub target: Target,
    /// Ring capacity (the ring target only).
    pub capacity: usize,
    /// Start index of every ring.
    pub start: u32,
    /// Drain after the join, or drop the structure with its contents.
    pub drain: bool,
    /// The owner's program (runs on the main task).
    pub owner: Vec<OwnerOp>,
    /// Per stealer thread, its number of `pop_tail`s.
    pub stealers: Vec<usize>,
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
        let owner = (0..n)
            .map(|_| match next() % 4 {
                0 | 1 => OwnerOp::Push,
                2 => OwnerOp::PopHead,
                _ => OwnerOp::PopTail,
            })
            .collect();
        let k = 1 + usize::from((cfg >> 2) & 3) % MAX_STEALERS;
        let stealers = (0..k)
            .map(|_| usize::from(next()) % (MAX_STEALER_OPS + 1))
            .collect();
        let used = (3 + n + k).min(data.len());
        Program {
            target,
            capacity: 2 << ((cfg & 3) % 3),
            start,
            drain: cfg & 0x10 != 0,
            owner,
            stealers,
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

/// One completed operation of the history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// 0 is the owner, `1..` the stealers.
    pub thread: usize,
    /// What was called and what it returned.
    pub op: Op,
    /// Stamp taken just before the call.
    pub invoke: u64,
    /// Stamp taken just after the return.
    pub respond: u64,
}

/// An operation with its result; values are identities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `push_head(id)`: accepted (`true`) or handed back as full.
    Push(u32, bool),
    /// `pop_head()` and its result.
    PopHead(Option<u32>),
    /// `pop_tail()` and its result.
    PopTail(Option<u32>),
}

/// A value with an identity and a heap allocation (so a duplicate is also a double free that
/// the address sanitizer reports); its drop is counted.
pub struct Val {
    id: u32,
    _heap: Box<u32>,
    tracker: StdArc<Tracker>,
}

impl Drop for Val {
    fn drop(&mut self) {
        self.tracker.dropped.lock().unwrap()[self.id as usize] += 1;
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
    clock: AtomicU64,
}

impl Tracker {
    fn new(ids: usize) -> Self {
        Tracker {
            popped: StdMutex::new(vec![0; ids]),
            dropped: StdMutex::new(vec![0; ids]),
            clock: AtomicU64::new(0),
        }
    }

    fn stamp(&self) -> u64 {
        // Relaxed: every shuttle thread runs on this one OS thread; the counter only orders
        // the events of the execution and must not synchronize anything.
        self.clock.fetch_add(1, StdOrdering::Relaxed)
    }

    /// Books a popped value. A second pop of the same identity is a duplicate: it is reported
    /// and the aliasing copy is leaked, so the report is not lost in a double free.
    fn popped(&self, v: Option<Val>, thread: usize, held: &mut Vec<Val>) -> Option<u32> {
        let v = v?;
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
        Some(id)
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
}

struct RingSubject;
impl Subject for RingSubject {
    type Owner = dequeue::Owner<Val>;
    type Stealer = dequeue::Stealer<Val>;
    fn make(p: &Program) -> (Self::Owner, Self::Stealer) {
        dequeue::with_start_index(p.capacity, p.start).expect("capacity is a power of two")
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
}

struct ChainSubject;
impl Subject for ChainSubject {
    type Owner = chain::Owner<Val>;
    type Stealer = chain::Stealer<Val>;
    fn make(p: &Program) -> (Self::Owner, Self::Stealer) {
        chain::with_start_index(p.start)
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
    // A bounded program needs far fewer steps; more means a retry loop that never ends.
    config.max_steps = shuttle::MaxSteps::FailAfter(100_000);
    let p = StdArc::new(p);
    let runner = shuttle::Runner::new(ByteScheduler::new(schedule), config);
    match p.target {
        Target::Ring => runner.run(move || execute::<RingSubject>(&p)),
        Target::Chain => runner.run(move || execute::<ChainSubject>(&p)),
    };
}

fn execute<S: Subject>(p: &Program) {
    let pushes = p.owner.iter().filter(|o| **o == OwnerOp::Push).count();
    let tracker = StdArc::new(Tracker::new(pushes));
    let (mut owner, stealer) = S::make(p);

    let threads: Vec<_> = p
        .stealers
        .iter()
        .enumerate()
        .map(|(i, &count)| {
            let s = stealer.clone();
            let tracker = tracker.clone();
            shuttle::thread::spawn(move || {
                let mut held = Vec::new();
                let mut events = Vec::new();
                for _ in 0..count {
                    let invoke = tracker.stamp();
                    let v = S::pop_tail(&s);
                    let respond = tracker.stamp();
                    let got = tracker.popped(v, i + 1, &mut held);
                    events.push(Event {
                        thread: i + 1,
                        op: Op::PopTail(got),
                        invoke,
                        respond,
                    });
                }
                (events, held)
            })
        })
        .collect();

    let mut held = Vec::new();
    let mut events = Vec::new();
    let mut accepted = vec![false; pushes];
    let mut next_id = 0u32;
    for op in &p.owner {
        let invoke = tracker.stamp();
        let op = match op {
            OwnerOp::Push => {
                let id = next_id;
                next_id += 1;
                let v = Val {
                    id,
                    _heap: Box::new(id),
                    tracker: tracker.clone(),
                };
                match S::push(&mut owner, v) {
                    Ok(()) => {
                        accepted[id as usize] = true;
                        Op::Push(id, true)
                    }
                    Err(back) => {
                        assert_eq!(back.id, id, "push_head handed back a different value");
                        Op::Push(id, false)
                    }
                }
            }
            OwnerOp::PopHead => Op::PopHead(tracker.popped(S::pop_head(&mut owner), 0, &mut held)),
            OwnerOp::PopTail => Op::PopTail(tracker.popped(S::pop_tail(&stealer), 0, &mut held)),
        };
        let respond = tracker.stamp();
        events.push(Event {
            thread: 0,
            op,
            invoke,
            respond,
        });
    }
    for t in threads {
        let (ev, h) = t.join().expect("stealer thread panicked");
        events.extend(ev);
        held.extend(h);
    }

    // P3 first: its report names the operations, which explains a P1/P2 failure too.
    let capacity = (p.target == Target::Ring).then_some(p.capacity);
    if let Err(e) = lincheck::check(&events, capacity) {
        panic!("P3 not linearizable: {e}\nprogram: {p:?}");
    }

    if p.drain {
        let mut last = None;
        while let Some(id) = tracker.popped(S::pop_head(&mut owner), 0, &mut held) {
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
        for id in 0..pushes {
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
    if let Some(id) = dropped.iter().position(|&d| d != 1) {
        panic!("value {id} dropped {} times in total", dropped[id]);
    }
}

/// Linearizability of a recorded history against the sequential deque.
///
/// The sequential spec: `push_head` appends at the head and may hand the value back only when
/// the deque is full (ring: `capacity` values) or while a `pop_tail` that already took a value is
/// still in its call (it may not have handed the slot back yet); `pop_head` takes the newest,
/// `pop_tail` the oldest, and `None` only when empty. The chain is unbounded: a push is never
/// handed back.
///
/// Search (Wing and Gong, with Lowe's memo): linearize one pending operation whose invocation
/// precedes every pending response, apply it to the model, backtrack on a mismatch. Each
/// thread's operations are sequential, so the set of linearized operations is a prefix per
/// thread and determines the model's state (identities are pushed in increasing order, so the
/// deque is the sorted set of pushed-and-not-popped identities); a failed set is remembered.
pub mod lincheck {
    use super::*;

    /// `Ok` if the history has a linearization, else a description of the deepest dead end.
    pub fn check(events: &[Event], capacity: Option<usize>) -> Result<(), String> {
        let threads = events.iter().map(|e| e.thread).max().map_or(0, |m| m + 1);
        let mut per: Vec<Vec<Event>> = vec![Vec::new(); threads];
        for e in events {
            per[e.thread].push(*e);
        }
        for t in &mut per {
            t.sort_by_key(|e| e.invoke);
        }
        let mut search = Search {
            per,
            capacity,
            state: VecDeque::new(),
            failed: HashSet::new(),
            deepest: (0, String::new()),
        };
        let mut pos = vec![0; threads];
        if search.dfs(&mut pos, 0) {
            Ok(())
        } else {
            Err(search.deepest.1)
        }
    }

    struct Search {
        per: Vec<Vec<Event>>,
        capacity: Option<usize>,
        state: VecDeque<u32>,
        failed: HashSet<Vec<usize>>,
        deepest: (usize, String),
    }

    enum Undo {
        None,
        PopBack,
        PushBack(u32),
        PushFront(u32),
    }

    impl Search {
        fn dfs(&mut self, pos: &mut Vec<usize>, depth: usize) -> bool {
            let pending = |t: usize, pos: &Vec<usize>| self.per[t].get(pos[t]).copied();
            let frontier: Vec<Event> = (0..self.per.len())
                .filter_map(|t| pending(t, pos))
                .collect();
            if frontier.is_empty() {
                return true;
            }
            if self.failed.contains(pos) {
                return false;
            }
            let min_respond = frontier.iter().map(|e| e.respond).min().unwrap();
            for e in frontier.iter().filter(|e| e.invoke < min_respond) {
                if let Some(undo) = self.apply(e, pos) {
                    pos[e.thread] += 1;
                    if self.dfs(pos, depth + 1) {
                        return true;
                    }
                    pos[e.thread] -= 1;
                    self.undo(undo);
                }
            }
            if depth >= self.deepest.0 {
                self.deepest = (
                    depth,
                    format!(
                        "after {depth} operations the model holds {:?} (oldest first) and none of \
                         {:?} can come next",
                        self.state,
                        frontier
                            .iter()
                            .filter(|e| e.invoke < min_respond)
                            .collect::<Vec<_>>()
                    ),
                );
            }
            self.failed.insert(pos.clone());
            false
        }

        /// Whether a `pop_tail` that returned a value and is already linearized overlaps `e`.
        fn tail_pop_in_flight(&self, e: &Event, pos: &[usize]) -> bool {
            self.per.iter().enumerate().any(|(t, evs)| {
                t != e.thread
                    && evs[..pos[t]]
                        .iter()
                        .any(|d| matches!(d.op, Op::PopTail(Some(_))) && d.respond > e.invoke)
            })
        }

        fn apply(&mut self, e: &Event, pos: &[usize]) -> Option<Undo> {
            let busy = matches!(e.op, Op::Push(_, false))
                && self.capacity.is_some()
                && self.tail_pop_in_flight(e, pos);
            let s = &mut self.state;
            match e.op {
                Op::Push(id, true) => {
                    if self.capacity.is_some_and(|c| s.len() >= c) {
                        return None;
                    }
                    s.push_back(id);
                    Some(Undo::PopBack)
                }
                Op::Push(_, false) => {
                    let full = self.capacity.is_some_and(|c| s.len() >= c);
                    (full || busy).then_some(Undo::None)
                }
                Op::PopHead(Some(id)) => {
                    (s.back() == Some(&id)).then(|| Undo::PushBack(s.pop_back().unwrap()))
                }
                Op::PopTail(Some(id)) => {
                    (s.front() == Some(&id)).then(|| Undo::PushFront(s.pop_front().unwrap()))
                }
                Op::PopHead(None) | Op::PopTail(None) => s.is_empty().then_some(Undo::None),
            }
        }

        fn undo(&mut self, u: Undo) {
            match u {
                Undo::None => {}
                Undo::PopBack => {
                    self.state.pop_back();
                }
                Undo::PushBack(id) => self.state.push_back(id),
                Undo::PushFront(id) => self.state.push_front(id),
            }
        }
    }
}
