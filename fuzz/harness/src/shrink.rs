//! Shrinking a failing input to a minimal scenario, and printing it so a person can read it and
//! replay it with one command.
//!
//! A failing [`Program`] (from a crash file, a corpus input or a shuttle campaign) is reduced in
//! two phases, repeated until neither makes progress:
//!
//! 1. the **operations**: whole stealer threads are removed, then chunks of the owner's program
//!    (halves, quarters, ..., single operations: delta debugging), then each stealer's call count
//!    is lowered; the ring is made smaller, the start index moved to `u32::MAX` and the final
//!    drain turned off where the failure survives it;
//! 2. the **schedule**: chunks of schedule bytes are removed the same way, then each remaining
//!    byte is lowered (fewer steps kept on one task, a lower task index).
//!
//! A candidate is kept only if it still fails with the same *property class* (see [`class`]):
//! a duplicate must stay a duplicate, so the shrinker cannot slide from one bug to another. Every
//! candidate is one deterministic shuttle execution under [`ByteScheduler`](super::ByteScheduler),
//! so the result replays exactly. The search is bounded by a number of runs.
//!
//! The result, [`Shrunk`], prints the violated property, the program of every thread, the
//! interleaving of their calls as it happened, the scheduling steps, the input in hex and the
//! command that replays it.

use std::cell::Cell;
use std::fmt;
use std::panic;
use std::sync::Once;

use super::{
    rescheduled, search_schedule, try_program, OwnerOp, Program, RunFailure, StealOp, Target,
};

thread_local! {
    /// Set while [`quietly`] runs on this thread: its panics print nothing.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with panic messages on this thread silenced (other threads print as usual).
///
/// The hook that does this wraps whatever hook is installed first (shuttle's, which reports a
/// failing schedule, is installed before it), so outside `quietly` nothing changes.
pub fn quietly<R>(f: impl FnOnce() -> R) -> R {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        // Shuttle installs its own hook at its first execution; make that happen first, so ours
        // wraps it and can silence it too.
        shuttle::Runner::new(
            shuttle::scheduler::RandomScheduler::new_from_seed(0, 1),
            shuttle::Config::new(),
        )
        .run(|| {});
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            QUIET.with(|q| q.set(self.0));
        }
    }
    let _reset = Reset(QUIET.with(|q| q.replace(true)));
    f()
}

/// The text of a panic payload (`panic!` with a message, or a `&str`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        "a panic without a message".to_string()
    }
}

/// The property class of a failure message: its leading property tag (`P1`, `P2`, `P3`,
/// `P1/P2`, ...) when it has one, else the text before the first colon with digits removed
/// (`drain not newest first`, `value  dropped  times in total`). Candidates must keep it.
pub fn class(message: &str) -> String {
    let first = message.lines().next().unwrap_or("");
    let tag: String = first
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '/')
        .collect();
    let is_tag = tag.starts_with('P')
        && tag
            .split('/')
            .all(|t| t.len() == 2 && t.starts_with('P') && t.as_bytes()[1].is_ascii_digit());
    if is_tag {
        return tag;
    }
    let head = first.split(':').next().unwrap_or(first);
    head.chars().filter(|c| !c.is_ascii_digit()).collect()
}

/// A shrunk failure: the minimal program found, how it fails, and where it came from.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The failing program shrinking started from.
    pub original: Program,
    /// The smallest failing program found.
    pub program: Program,
    /// How [`Shrunk::program`] fails (message, interleaving, steps).
    pub failure: RunFailure,
    /// Candidate executions run.
    pub runs: usize,
    /// Whether the run budget ran out before a fixed point (the result is then smaller, but
    /// perhaps not minimal).
    pub budget_hit: bool,
}

/// Reduces `program`, which must fail, to a minimal failing program within `max_runs`
/// candidate executions. Returns `Err(program)` if it does not fail at all.
pub fn shrink(program: Program, max_runs: usize) -> Result<Shrunk, Program> {
    let mut test = |p: &Program| try_program(p).map(drop);
    let search = |p: &Program| search_schedule(p, SEARCH_SCHEDULES, 0).map(|(p, _)| p);
    let helpers = Helpers {
        reschedule: &rescheduled,
        search: &search,
    };
    shrinker(program, max_runs, &mut test, Some(helpers))
}

/// Schedules searched for a smaller program that fails no more under the old schedule bytes.
pub const SEARCH_SCHEDULES: usize = 40;

/// As [`shrink`], with `test` deciding whether a candidate fails (and how); a removed thread's
/// steps are not re-recorded (there is no execution to record).
pub fn shrink_with(
    program: Program,
    max_runs: usize,
    test: &mut dyn FnMut(&Program) -> Result<(), RunFailure>,
) -> Result<Shrunk, Program> {
    shrinker(program, max_runs, test, None)
}

/// What the shrinker uses besides the test, when it shrinks real executions.
#[derive(Clone, Copy)]
struct Helpers<'h> {
    /// How to keep an interleaving without one thread: the program with the schedule bytes of
    /// an execution that follows the given tasks step by step ([`rescheduled`]).
    reschedule: &'h dyn Fn(&Program, &[usize]) -> Program,
    /// A smaller program may fail under another schedule than the old bytes describe: the
    /// program with the bytes of a failing schedule, if a short search finds one
    /// ([`search_schedule`]).
    search: &'h dyn Fn(&Program) -> Option<Program>,
}

fn shrinker(
    program: Program,
    max_runs: usize,
    test: &mut dyn FnMut(&Program) -> Result<(), RunFailure>,
    helpers: Option<Helpers<'_>>,
) -> Result<Shrunk, Program> {
    let failure = match test(&program) {
        Ok(()) => return Err(program),
        Err(f) => f,
    };
    let mut s = Shrinker {
        test,
        helpers,
        class: class(&failure.message),
        best: program.clone(),
        failure,
        runs: 1,
        max_runs,
    };
    loop {
        let before = s.size();
        s.operations();
        s.schedule();
        if s.size() == before || s.runs >= s.max_runs {
            break;
        }
    }
    Ok(Shrunk {
        original: program,
        budget_hit: s.runs >= s.max_runs,
        program: s.best,
        failure: s.failure,
        runs: s.runs,
    })
}

struct Shrinker<'t> {
    test: &'t mut dyn FnMut(&Program) -> Result<(), RunFailure>,
    helpers: Option<Helpers<'t>>,
    class: String,
    best: Program,
    failure: RunFailure,
    runs: usize,
    max_runs: usize,
}

/// A well-founded measure: every accepted candidate is smaller, so shrinking ends.
type Size = (usize, usize, usize, usize, u32, usize, bool);

impl Shrinker<'_> {
    fn size(&self) -> Size {
        let p = &self.best;
        (
            p.stealers.len(),
            p.owner.len() + p.stealers.iter().sum::<usize>(),
            p.schedule.len(),
            p.schedule.iter().map(|&b| usize::from(b)).sum(),
            u32::MAX - p.start,
            p.capacity,
            p.drain,
        )
    }

    /// Runs `candidate`; keeps it if it fails with the same class. A candidate that is not an
    /// input of its target (see [`Program::encode`]) is not run: the result must replay.
    fn attempt(&mut self, candidate: Program) -> bool {
        if self.runs >= self.max_runs || candidate == self.best || !encodable(&candidate) {
            return false;
        }
        self.runs += 1;
        match (self.test)(&candidate) {
            Err(f) if class(&f.message) == self.class => {
                self.best = candidate;
                self.failure = f;
                true
            }
            _ => false,
        }
    }

    /// As [`Shrinker::attempt`]; if `candidate` passes under its old schedule bytes, a short
    /// search for another schedule under which it fails.
    fn attempt_any_schedule(&mut self, candidate: Program) -> bool {
        if self.attempt(candidate.clone()) {
            return true;
        }
        let Some(Helpers { search, .. }) = self.helpers else {
            return false;
        };
        if self.runs + SEARCH_SCHEDULES > self.max_runs {
            return false;
        }
        self.runs += SEARCH_SCHEDULES;
        match search(&candidate) {
            Some(found) => self.attempt(found),
            None => false,
        }
    }

    fn operations(&mut self) {
        // Whole stealers, the last first. Without stealer `i` the task ids after it shift and
        // the runnable lists change, so the old bytes would schedule something else: first try
        // the same interleaving without that thread's steps (re-recorded as bytes), then the old
        // bytes as they are.
        let mut i = self.best.stealers.len();
        while i > 0 {
            i -= 1;
            if self.best.stealers.len() <= 1 {
                break;
            }
            let mut c = self.best.clone();
            c.stealers.remove(i);
            c.steal_ops.remove(i);
            if let Some(Helpers { reschedule, .. }) = self.helpers {
                if self.runs < self.max_runs {
                    let task = i + 1;
                    let tasks: Vec<usize> = self
                        .failure
                        .steps
                        .iter()
                        .filter(|&&t| t != task)
                        .map(|&t| if t > task { t - 1 } else { t })
                        .collect();
                    self.runs += 1;
                    if self.attempt(reschedule(&c, &tasks)) {
                        continue;
                    }
                }
            }
            self.attempt_any_schedule(c);
        }
        // Chunks of the owner's program.
        self.ddmin(true, |p| &mut p.owner);
        // Each stealer's call count: none, half, one less.
        for i in 0..self.best.stealers.len() {
            for target in [0, self.best.stealers[i] / 2] {
                if target < self.best.stealers[i] {
                    let mut c = self.best.clone();
                    c.stealers[i] = target;
                    c.steal_ops[i].truncate(target);
                    self.attempt_any_schedule(c);
                }
            }
            while self.best.stealers[i] > 0 {
                let mut c = self.best.clone();
                c.stealers[i] -= 1;
                c.steal_ops[i].pop();
                if !self.attempt_any_schedule(c) {
                    break;
                }
            }
        }
        // Owner operations made simpler: a pop through the owner's stealer handle becomes an
        // owner pop (outside the batch targets, which have no single `pop_head`), a batch gets
        // smaller, a batch push of one becomes a push.
        for i in 0..self.best.owner.len() {
            let simpler = match self.best.owner[i] {
                OwnerOp::PopTail if !self.best.target.batch() => Some(OwnerOp::PopHead),
                OwnerOp::PushBatch(1) => Some(OwnerOp::Push),
                OwnerOp::PushBatch(n) => Some(OwnerOp::PushBatch(n - 1)),
                OwnerOp::PopHeadBatch(n) if n > 1 => Some(OwnerOp::PopHeadBatch(n - 1)),
                _ => None,
            };
            if let Some(op) = simpler {
                let mut c = self.best.clone();
                c.owner[i] = op;
                self.attempt_any_schedule(c);
            }
        }
        // Batch steals made plain `pop_tail`s (kinds repeat every four calls, so all at once).
        for i in 0..self.best.steal_ops.len() {
            for r in 0..4 {
                let ops = &self.best.steal_ops[i];
                if ops
                    .iter()
                    .skip(r)
                    .step_by(4)
                    .any(|o| *o != StealOp::PopTail)
                {
                    let mut c = self.best.clone();
                    for o in c.steal_ops[i].iter_mut().skip(r).step_by(4) {
                        *o = StealOp::PopTail;
                    }
                    self.attempt_any_schedule(c);
                }
            }
        }
        // The configuration.
        if self.best.drain {
            let mut c = self.best.clone();
            c.drain = false;
            self.attempt_any_schedule(c);
        }
        for capacity in [2, 4] {
            if self.best.target.ring() && capacity < self.best.capacity {
                let mut c = self.best.clone();
                c.capacity = capacity;
                self.attempt_any_schedule(c);
            }
        }
        if self.best.start != u32::MAX {
            let mut c = self.best.clone();
            c.start = u32::MAX;
            self.attempt_any_schedule(c);
        }
    }

    fn schedule(&mut self) {
        self.ddmin(false, |p| &mut p.schedule);
        for i in 0..self.best.schedule.len() {
            let b = self.best.schedule[i];
            // Keep no extra steps, half of them, the lowest task index, one step less.
            for lower in [
                b & 3,
                ((b >> 3) << 2) | (b & 3),
                b & !3,
                b.saturating_sub(4),
            ] {
                if lower < self.best.schedule[i] {
                    let mut c = self.best.clone();
                    c.schedule[i] = lower;
                    self.attempt(c);
                }
            }
        }
    }

    /// Delta debugging over one list of `program`: removes chunks of half its length, then a
    /// quarter, ..., then single elements, keeping every removal after which it still fails.
    fn ddmin<T: Clone>(&mut self, any_schedule: bool, list: impl Fn(&mut Program) -> &mut Vec<T>) {
        let mut chunk = list(&mut self.best.clone()).len().div_ceil(2);
        while chunk > 0 {
            let mut start = 0;
            while start < list(&mut self.best.clone()).len() {
                let mut c = self.best.clone();
                let l = list(&mut c);
                let end = (start + chunk).min(l.len());
                l.drain(start..end);
                let kept = if any_schedule {
                    self.attempt_any_schedule(c)
                } else {
                    self.attempt(c)
                };
                if !kept {
                    start += chunk;
                }
            }
            chunk /= 2;
        }
    }
}

/// Whether `p` is an input of its target: it encodes, and decodes back to itself.
fn encodable(p: &Program) -> bool {
    quietly(|| {
        panic::catch_unwind(panic::AssertUnwindSafe(|| {
            Program::decode(p.target, &p.encode()) == *p
        }))
        .unwrap_or(false)
    })
}

impl Target {
    /// The fuzz target's name (`cargo fuzz run <name>`).
    pub fn fuzz_name(self) -> &'static str {
        match self {
            Target::Dequeue => "popTail",
            Target::Chain => "chain",
            Target::DequeueBatch => "popTailBatch",
            Target::ChainBatch => "chainBatch",
            Target::Worker => "worker",
        }
    }

    /// The corpus replay test that replays this target's inputs (`fuzz_replay::<name>`).
    pub fn replay_test(self) -> &'static str {
        match self {
            Target::Dequeue => "pop_tail_corpus_replays_clean",
            Target::Chain => "chain_corpus_replays_clean",
            Target::DequeueBatch => "pop_tail_batch_corpus_replays_clean",
            Target::ChainBatch => "chain_batch_corpus_replays_clean",
            Target::Worker => "worker_corpus_replays_clean",
        }
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses [`hex`] output (whitespace allowed).
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

fn who(thread: usize) -> String {
    if thread == 0 {
        "owner".to_string()
    } else {
        format!("stealer {thread}")
    }
}

/// The owner's program with the identities its pushes will carry.
fn owner_program(p: &Program) -> String {
    let mut id = 0;
    let ops: Vec<String> = p
        .owner
        .iter()
        .map(|op| match op {
            OwnerOp::Push => {
                id += 1;
                format!("push_head({})", id - 1)
            }
            OwnerOp::PopHead => "pop_head".to_string(),
            OwnerOp::PopTail => "pop_tail".to_string(),
            OwnerOp::PushBatch(n) => {
                id += n;
                format!("push_head_batch({}..{})", id - n, id)
            }
            OwnerOp::PopHeadBatch(n) => format!("pop_head_batch(max {n})"),
            OwnerOp::Flush => "flush".to_string(),
        })
        .collect();
    if ops.is_empty() {
        "(nothing)".to_string()
    } else {
        ops.join(", ")
    }
}

fn describe(p: &Program) -> String {
    format!(
        "{} threads, {} calls, {} schedule bytes",
        1 + p.stealers.len(),
        p.owner.len() + p.stealers.iter().sum::<usize>(),
        p.schedule.len()
    )
}

impl Shrunk {
    /// The one command that replays the shrunk input on the stable toolchain.
    pub fn replay_command(&self) -> String {
        format!(
            "FUZZ_REPLAY=hex:{} cargo test --features shuttle --test shuttle fuzz_replay::{} -- --nocapture",
            hex(&self.program.encode()),
            self.program.target.replay_test()
        )
    }
}

impl fmt::Display for Shrunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.program;
        let message = self.failure.message.lines().next().unwrap_or("");
        writeln!(
            f,
            "shrunk failure ({} target, {} candidate runs{}):",
            p.target.fuzz_name(),
            self.runs,
            if self.budget_hit {
                "; run budget reached, may not be minimal"
            } else {
                ""
            }
        )?;
        writeln!(f, "  violated: {message}")?;
        writeln!(f, "  from:     {}", describe(&self.original))?;
        writeln!(f, "  to:       {}", describe(p))?;
        if p.target.ring() {
            write!(f, "  ring:     {} slots", p.capacity)?;
        } else {
            write!(f, "  chain:    first ring 8 slots")?;
        }
        writeln!(
            f,
            ", indices start at u32::MAX - {}, drain after the join: {}",
            u32::MAX - p.start,
            if p.drain { "yes" } else { "no" }
        )?;
        writeln!(f, "  threads:")?;
        writeln!(f, "    {:<10} {}", who(0), owner_program(p))?;
        for (i, ops) in p.steal_ops.iter().enumerate() {
            let names: Vec<&str> = ops
                .iter()
                .map(|o| match o {
                    StealOp::PopTail => "pop_tail",
                    StealOp::StealBatch => "steal_batch",
                    StealOp::StealOne => "steal_batch_with_limit(1)",
                    StealOp::StealAndPop => "steal_batch_and_pop",
                })
                .collect();
            let calls = if names.is_empty() {
                "(nothing)".to_string()
            } else {
                names.join(", ")
            };
            writeln!(f, "    {:<10} {calls}", who(i + 1))?;
        }
        writeln!(
            f,
            "  interleaving (in execution order; `...` marks a call that another thread's \
             events interrupt):"
        )?;
        let events = &self.failure.events;
        let mut i = 0;
        while i < events.len() {
            let e = &events[i];
            let next = events.get(i + 1);
            match (&e.ret, next) {
                (None, Some(n)) if n.thread == e.thread && n.op == e.op && n.ret.is_some() => {
                    let ret = n.ret.as_deref().unwrap_or("");
                    writeln!(f, "    {:<10} {} -> {ret}", who(e.thread), e.op)?;
                    i += 2;
                    continue;
                }
                (None, _) => writeln!(f, "    {:<10} {} ...", who(e.thread), e.op)?,
                (Some(ret), _) => writeln!(f, "    {:<10} ... {} -> {ret}", who(e.thread), e.op)?,
            }
            i += 1;
        }
        // Calls invoked but never answered: the check failed inside them.
        let mut open: Vec<&super::Event> = Vec::new();
        for e in events {
            match e.ret {
                None => open.push(e),
                Some(_) => open.retain(|o| !(o.thread == e.thread && o.op == e.op)),
            }
        }
        for o in open {
            writeln!(
                f,
                "    ({}'s {} never returned: the check failed inside it)",
                who(o.thread),
                o.op
            )?;
        }
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for &t in &self.failure.steps {
            match runs.last_mut() {
                Some((task, n)) if *task == t => *n += 1,
                _ => runs.push((t, 1)),
            }
        }
        let runs: Vec<String> = runs
            .iter()
            .map(|(t, n)| format!("{} x{n}", who(*t)))
            .collect();
        writeln!(
            f,
            "  scheduling steps ({}): {}",
            self.failure.steps.len(),
            runs.join(", ")
        )?;
        writeln!(
            f,
            "  schedule bytes: {:?}  input: {}",
            p.schedule,
            hex(&p.encode())
        )?;
        writeln!(f, "  replay:   {}", self.replay_command())?;
        Ok(())
    }
}
