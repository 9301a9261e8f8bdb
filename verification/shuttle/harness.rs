//! What the shuttle suites share: iteration knobs, the schedulers, the `POOLQUEUE-STAT` summary
//! line (values and identity checks are in `values.rs`).
//!
//! Knobs (environment):
//! - `POOLQUEUE_SHUTTLE_ITERS`: executions per scheduler per test (default in each suite).
//! - `POOLQUEUE_SHUTTLE_SEED`: fixes the schedulers' seeds (default: fresh seeds every run).
//! - `POOLQUEUE_SHUTTLE_REPLAY`: a schedule printed by a failing run; the `replay` test of the
//!   same module re-runs exactly that execution (`<module>::replay -- --ignored --nocapture`).

#![allow(dead_code)] // each suite uses a different part

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use lincheck::{Call, Checked, Spec};

use crate::support::knobs;
use crate::support::values::{self, Item};
use shuttle::scheduler::{
    PctScheduler, RandomScheduler, Scheduler, UncontrolledNondeterminismCheckScheduler,
    UrwRandomScheduler,
};
use shuttle::{Config, MaxSteps, Runner};

/// Scheduling steps one execution may take (see `config`).
pub(crate) const MAX_STEPS: usize = 100_000;

/// Executions per scheduler: `POOLQUEUE_SHUTTLE_ITERS` or `default`.
pub(crate) fn iterations(default: usize) -> usize {
    knobs::knob("POOLQUEUE_SHUTTLE_ITERS", default)
}

fn seed() -> Option<u64> {
    knobs::optional("POOLQUEUE_SHUTTLE_SEED")
}

fn config() -> Config {
    let mut config = Config::new();
    // Shuttle runs every ordering as SeqCst and says so once per run; the suites know.
    config.silence_warnings = true;
    // P6 (progress): an execution of a few hundred calls takes a few thousand scheduling steps;
    // one that runs past this bound is a livelock (a pop spinning on a ring that never fills,
    // a lost wake-up), and shuttle fails it with its schedule.
    config.max_steps = MaxSteps::FailAfter(MAX_STEPS);
    config
}

/// Counters one test accumulates over its executions (std atomics: shuttle runs every simulated
/// thread on one OS thread, and the counters sit outside the model).
#[derive(Default)]
pub(crate) struct Stats {
    pub(crate) histories: AtomicU64,
    pub(crate) calls: AtomicU64,
    pub(crate) states: AtomicU64,
    pub(crate) values: AtomicU64,
    pub(crate) full: AtomicU64,
    pub(crate) grew: AtomicU64,
    pub(crate) retired: AtomicU64,
}

impl Stats {
    pub(crate) fn checked(&self, c: Checked) {
        self.histories.fetch_add(1, Ordering::Relaxed);
        self.calls.fetch_add(c.calls as u64, Ordering::Relaxed);
        self.states.fetch_add(c.states as u64, Ordering::Relaxed);
    }

    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// Runs `scenario` under one scheduler and returns the number of executions.
pub(crate) fn run<S: Scheduler + 'static>(
    scheduler: S,
    scenario: fn(&Stats),
    stats: &'static Stats,
) -> usize {
    Runner::new(scheduler, config()).run(move || scenario(stats))
}

/// One shuttle campaign: a scenario, the name and properties its summaries report, and its
/// default number of executions per scheduler (`POOLQUEUE_SHUTTLE_ITERS` overrides it). Each
/// test of a campaign is one call: `CAMPAIGN.pct(2)`, `.random()`, `.uniform()`,
/// `.determinism()`, `.replay()`.
#[derive(Clone, Copy)]
pub(crate) struct Campaign {
    pub(crate) name: &'static str,
    pub(crate) properties: &'static str,
    pub(crate) default_iters: usize,
    pub(crate) scenario: fn(&Stats),
}

impl Campaign {
    fn iters(self) -> usize {
        iterations(self.default_iters)
    }

    /// [`pct`] at `depth`.
    pub(crate) fn pct(self, depth: usize) -> &'static Stats {
        pct(
            self.name,
            self.properties,
            depth,
            self.iters(),
            self.scenario,
        )
    }

    /// [`random`].
    pub(crate) fn random(self) -> &'static Stats {
        random(self.name, self.properties, self.iters(), self.scenario)
    }

    /// [`uniform`].
    pub(crate) fn uniform(self) -> &'static Stats {
        uniform(self.name, self.properties, self.iters(), self.scenario)
    }

    /// [`determinism`], on a twentieth of the executions (each runs twice).
    pub(crate) fn determinism(self) {
        determinism(self.name, self.iters() / 20, self.scenario)
    }

    /// [`replay`].
    pub(crate) fn replay(self) {
        replay(self.scenario)
    }
}

/// Runs `scenario` under PCT with the given depth, `iters` executions, then prints its summary.
pub(crate) fn pct(
    name: &str,
    properties: &str,
    depth: usize,
    iters: usize,
    scenario: fn(&Stats),
) -> &'static Stats {
    let stats: &'static Stats = Box::leak(Box::default());
    let scheduler = match seed() {
        Some(s) => PctScheduler::new_from_seed(s, depth, iters),
        None => PctScheduler::new(depth, iters),
    };
    let executions = run(scheduler, scenario, stats);
    report(name, &format!("pct{depth}"), properties, executions, stats);
    stats
}

/// Runs `scenario` under the uniformly random scheduler, `iters` executions.
pub(crate) fn random(
    name: &str,
    properties: &str,
    iters: usize,
    scenario: fn(&Stats),
) -> &'static Stats {
    let stats: &'static Stats = Box::leak(Box::default());
    let scheduler = match seed() {
        Some(s) => RandomScheduler::new_from_seed(s, iters),
        None => RandomScheduler::new(iters),
    };
    let executions = run(scheduler, scenario, stats);
    report(name, "random", properties, executions, stats);
    stats
}

/// Runs `scenario` under shuttle's uniform random walk, `iters` executions. The random scheduler
/// picks among the runnable threads uniformly at each step, so an interleaving in which one
/// thread finishes early is far likelier than any of the many in which the threads stay mixed to
/// the end; the walk weighs each thread by the events it has left (estimated from a trial
/// execution), so that every interleaving is about equally likely.
pub(crate) fn uniform(
    name: &str,
    properties: &str,
    iters: usize,
    scenario: fn(&Stats),
) -> &'static Stats {
    let stats: &'static Stats = Box::leak(Box::default());
    let scheduler = match seed() {
        Some(s) => UrwRandomScheduler::new_from_seed(s, iters),
        None => UrwRandomScheduler::new(iters),
    };
    let executions = run(scheduler, scenario, stats);
    report(name, "uniform", properties, executions, stats);
    stats
}

/// Runs every random schedule twice and fails if the second run diverges: the scenario must be
/// a function of the schedule alone, or a printed schedule would not replay. `iters` executions.
pub(crate) fn determinism(name: &str, iters: usize, scenario: fn(&Stats)) {
    let stats: &'static Stats = Box::leak(Box::default());
    let inner = match seed() {
        Some(s) => RandomScheduler::new_from_seed(s, iters),
        None => RandomScheduler::new(iters),
    };
    let executions = run(
        UncontrolledNondeterminismCheckScheduler::new(inner),
        scenario,
        stats,
    );
    assert!(executions > 0);
    println!(
        "POOLQUEUE-STAT checker=shuttle property=replay test={name} scheduler=determinism \
         executions={executions}"
    );
}

/// Replays the schedule in `POOLQUEUE_SHUTTLE_REPLAY` against `scenario`.
pub(crate) fn replay(scenario: fn(&Stats)) {
    let schedule = std::env::var("POOLQUEUE_SHUTTLE_REPLAY").expect(
        "set POOLQUEUE_SHUTTLE_REPLAY to the schedule string a failing run printed \
         (the text between the quotes after \"failing schedule:\")",
    );
    let stats: &'static Stats = Box::leak(Box::default());
    // Shuttle wraps long schedules over several lines: accept the text as printed.
    let schedule: String = schedule
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '"')
        .collect();
    shuttle::replay(move || scenario(stats), &schedule);
    println!("replayed: the schedule passes");
}

fn report(name: &str, scheduler: &str, properties: &str, executions: usize, stats: &Stats) {
    let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
    assert_eq!(
        get(&stats.histories),
        executions as u64,
        "every execution checks one history"
    );
    println!(
        "POOLQUEUE-STAT checker=shuttle property={properties} test={name} scheduler={scheduler} \
         step_bound={MAX_STEPS}/execution executions={executions} histories={} calls={} states={} values={} full={} grew={} \
         retired={}",
        get(&stats.histories),
        get(&stats.calls),
        get(&stats.states),
        get(&stats.values),
        get(&stats.full),
        get(&stats.grew),
        get(&stats.retired),
    );
}

/// A fresh history clock for one execution.
pub(crate) fn clock() -> Arc<lincheck::StepClock> {
    Arc::new(lincheck::StepClock::new())
}

/// Joins the thieves of a campaign: their calls go to `history`, the values they took to
/// `popped`.
pub(crate) fn join_thieves(
    thieves: Vec<shuttle::thread::JoinHandle<(Vec<Call>, Vec<Item>)>>,
    history: &mut Vec<Call>,
    popped: &mut Vec<Item>,
) {
    for t in thieves {
        let (calls, got) = t.join().unwrap();
        history.extend(calls);
        popped.extend(got);
    }
}

/// The verdict on one execution: exactly-once delivery of the `pushed` identities (P1/P2),
/// then linearizability of `history` against `spec` (P3, figures recorded in `stats`).
pub(crate) fn verdict(
    spec: Spec,
    pushed: &[u64],
    popped: &[Item],
    history: &[Call],
    stats: &Stats,
) -> Result<(), String> {
    let popped_ids: Vec<u64> = popped.iter().map(Item::id).collect();
    values::exactly_once(pushed, &popped_ids).and_then(|()| linearizable(spec, history, stats))
}

/// Checks linearizability (P3) and records the figures.
pub(crate) fn linearizable(spec: Spec, history: &[Call], stats: &Stats) -> Result<(), String> {
    match lincheck::check(spec, history) {
        Ok(checked) => {
            stats.checked(checked);
            Ok(())
        }
        Err(violation) => Err(format!("P3: {violation}")),
    }
}
