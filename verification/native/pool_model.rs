//! Model-based property test of the pool's value lifecycle on one thread: random sequences of
//! `get`, `get_local`, guard drops, `detach`, `put` and `release` against a model of primary
//! and victim generations, without a bound or with a `max_idle_bytes` budget. After every step
//! the set of dropped values must equal the model's (with a budget, a return is dropped exactly
//! when its weight does not fit beside the idle values'), and every get must hand out a value
//! the model allows (primary first, then victim, then new; `get_local` never a victim).
use std::collections::BTreeSet;

use poolqueue::Pooled;
use proptest::prelude::*;

use crate::support::values::{tracked_pool, Item, Ledger};

#[derive(Clone, Debug)]
enum Op {
    Get,
    GetLocal,
    Return(usize),
    Detach(usize),
    Put,
    Release,
    /// `n` gets in a row: past the private slot and the stash (32), into the spill and refill
    /// paths.
    GetMany(usize),
    /// Every held guard dropped: a burst of returns that fills and spills the stash.
    ReturnAll,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Get),
        2 => Just(Op::GetLocal),
        4 => any::<usize>().prop_map(Op::Return),
        1 => any::<usize>().prop_map(Op::Detach),
        2 => Just(Op::Put),
        2 => Just(Op::Release),
        1 => (0..72_usize).prop_map(Op::GetMany),
        1 => Just(Op::ReturnAll),
    ]
}

#[derive(Default, Debug)]
struct Model {
    primary: BTreeSet<u64>,
    victim: BTreeSet<u64>,
    dropped: BTreeSet<u64>,
    budget: Option<usize>,
}

/// The weight of value `id` under a budget.
fn weight(id: u64) -> usize {
    (id % 4) as usize + 1
}

impl Model {
    /// Value `id` comes back: primary, or dropped if it does not fit in the budget.
    fn book_return(&mut self, id: u64) {
        if let Some(budget) = self.budget {
            let idle: usize = self
                .primary
                .iter()
                .chain(&self.victim)
                .map(|&i| weight(i))
                .sum();
            if idle + weight(id) > budget {
                self.dropped.insert(id);
                return;
            }
        }
        self.primary.insert(id);
    }
}

/// One `get`, checked against the model: primary first, then victim, then a new value.
fn get<'p>(
    pool: &'p poolqueue::Pool<Item>,
    ledger: &Ledger,
    model: &mut Model,
    held: &mut Vec<Pooled<'p, Item>>,
    local: bool,
) -> Result<(), TestCaseError> {
    let before = ledger.created();
    let got = if local { pool.get_local() } else { pool.get() };
    let id = got.id();
    if !model.primary.is_empty() {
        prop_assert!(model.primary.remove(&id), "{id} is not primary: {model:?}");
    } else if !local && !model.victim.is_empty() {
        prop_assert!(model.victim.remove(&id), "{id} is not a victim: {model:?}");
    } else {
        prop_assert_eq!(id, before, "expected a new value: {:?}", model);
    }
    prop_assert_eq!(got.uses, 0, "{} was handed out without a reset", id);
    held.push(got);
    Ok(())
}

fn run(budget: Option<usize>, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let ledger = Ledger::new();
    let mut pool = tracked_pool(&ledger);
    if let Some(budget) = budget {
        pool = pool.max_idle_bytes(budget, |item| weight(item.id()));
    }
    let pool = pool;
    let mut held: Vec<Pooled<'_, Item>> = Vec::new();
    let mut model = Model {
        budget,
        ..Model::default()
    };
    for op in ops {
        match op {
            Op::Get => get(&pool, &ledger, &mut model, &mut held, false)?,
            Op::GetLocal => get(&pool, &ledger, &mut model, &mut held, true)?,
            Op::GetMany(n) => {
                for _ in 0..n {
                    get(&pool, &ledger, &mut model, &mut held, false)?;
                }
            }
            Op::ReturnAll => {
                for mut guard in held.drain(..) {
                    guard.uses = 1; // the reset clears it
                    model.book_return(guard.id());
                    drop(guard);
                }
            }
            Op::Return(i) if !held.is_empty() => {
                let mut guard = held.swap_remove(i % held.len());
                guard.uses = 1; // the reset clears it
                model.book_return(guard.id());
                drop(guard);
            }
            Op::Detach(i) if !held.is_empty() => {
                let value = Pooled::detach(held.swap_remove(i % held.len()));
                model.dropped.insert(value.id());
                drop(value);
            }
            Op::Put => {
                let value = ledger.make();
                model.book_return(value.id());
                pool.put(value);
            }
            Op::Release => {
                model.dropped.append(&mut model.victim);
                model.victim = std::mem::take(&mut model.primary);
                pool.release();
            }
            Op::Return(_) | Op::Detach(_) => {}
        }
        prop_assert_eq!(&ledger.dropped_ids(), &model.dropped);
    }
    drop(held);
    drop(pool);
    prop_assert_eq!(
        ledger.dropped(),
        ledger.created(),
        "pool drop left values behind"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 8 } else { 512 },
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn lifecycle_matches_the_generation_model(ops in prop::collection::vec(op(), 0..if cfg!(miri) { 24 } else { 80 })) {
        run(None, ops)?;
    }

    #[test]
    fn lifecycle_with_a_budget_matches_the_generation_model(
        budget in 0..40_usize,
        ops in prop::collection::vec(op(), 0..if cfg!(miri) { 24 } else { 80 }),
    ) {
        run(Some(budget), ops)?;
    }
}
