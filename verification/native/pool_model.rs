//! Model-based property test of the pool's value lifecycle on one thread: random sequences of
//! `get`, guard drops, `detach`, `put` and `release` against a model of primary and victim
//! generations. After every step the set of dropped values must equal the model's, and every
//! `get` must hand out a value the model allows (primary first, then victim, then new).
use std::collections::BTreeSet;

use poolqueue::Pooled;
use proptest::prelude::*;

use crate::support::values::{tracked_pool, Item, Ledger};

#[derive(Clone, Debug)]
enum Op {
    Get,
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
}

/// One `get`, checked against the model: primary first, then victim, then a new value.
fn get<'p>(
    pool: &'p poolqueue::Pool<Item>,
    ledger: &Ledger,
    model: &mut Model,
    held: &mut Vec<Pooled<'p, Item>>,
) -> Result<(), TestCaseError> {
    let before = ledger.created();
    let got = pool.get();
    let id = got.id();
    if !model.primary.is_empty() {
        prop_assert!(model.primary.remove(&id), "{id} is not primary: {model:?}");
    } else if !model.victim.is_empty() {
        prop_assert!(model.victim.remove(&id), "{id} is not a victim: {model:?}");
    } else {
        prop_assert_eq!(id, before, "expected a new value: {:?}", model);
    }
    prop_assert_eq!(got.uses, 0, "{} was handed out without a reset", id);
    held.push(got);
    Ok(())
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let ledger = Ledger::new();
    let pool = tracked_pool(&ledger);
    let mut held: Vec<Pooled<'_, Item>> = Vec::new();
    let mut model = Model::default();
    for op in ops {
        match op {
            Op::Get => get(&pool, &ledger, &mut model, &mut held)?,
            Op::GetMany(n) => {
                for _ in 0..n {
                    get(&pool, &ledger, &mut model, &mut held)?;
                }
            }
            Op::ReturnAll => {
                for mut guard in held.drain(..) {
                    guard.uses = 1; // the reset clears it
                    model.primary.insert(guard.id());
                    drop(guard);
                }
            }
            Op::Return(i) if !held.is_empty() => {
                let mut guard = held.swap_remove(i % held.len());
                guard.uses = 1; // the reset clears it
                model.primary.insert(guard.id());
                drop(guard);
            }
            Op::Detach(i) if !held.is_empty() => {
                let value = Pooled::detach(held.swap_remove(i % held.len()));
                model.dropped.insert(value.id());
                drop(value);
            }
            Op::Put => {
                let value = ledger.make();
                model.primary.insert(value.id());
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
        run(ops)?;
    }
}
