//! Values for the concurrent suites (shuttle and real threads): each has an identity in a `Box`
//! (a real allocation, so Miri and the allocator see leaks and double frees) and records its
//! drop; plus the exactly-once check on identities.

#![allow(dead_code)] // each suite uses a different part

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Drop counts per value identity, shared by the values of one execution.
#[derive(Default)]
pub(crate) struct Drops(Mutex<HashMap<u64, u32>>);

impl Drops {
    pub(crate) fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Every identity in `ids` was dropped exactly once, and nothing else was dropped.
    pub(crate) fn assert_each_dropped_once(&self, ids: impl IntoIterator<Item = u64>) {
        let drops = self.0.lock().unwrap();
        let mut expected = 0;
        for id in ids {
            expected += 1;
            match drops.get(&id) {
                Some(1) => {}
                Some(n) => panic!("value {id} dropped {n} times"),
                None => panic!("value {id} leaked (never dropped)"),
            }
        }
        assert_eq!(
            drops.len(),
            expected,
            "values dropped that were never created"
        );
    }
}

/// A value with an identity in a `Box` (so Miri and allocators see a real allocation per value)
/// that records its drop.
pub(crate) struct Item {
    id: Box<u64>,
    drops: Arc<Drops>,
}

impl Item {
    pub(crate) fn new(id: u64, drops: &Arc<Drops>) -> Self {
        Item {
            id: Box::new(id),
            drops: drops.clone(),
        }
    }

    pub(crate) fn id(&self) -> u64 {
        *self.id
    }
}

impl Drop for Item {
    fn drop(&mut self) {
        *self.drops.0.lock().unwrap().entry(*self.id).or_default() += 1;
    }
}

/// Checks exactly-once delivery: every pushed identity was popped once (P1 no loss, P2 no
/// duplicate) and nothing else was popped.
/// Keeps a popped value (so it is dropped later, by the test) and reports the pop's result to
/// the history.
pub(crate) fn keep(popped: &mut Vec<Item>, value: Option<Item>) -> lincheck::Ret {
    use lincheck::Ret;
    match value {
        Some(v) => {
            let id = v.id();
            popped.push(v);
            Ret::Popped(id)
        }
        None => Ret::Empty,
    }
}

pub(crate) fn exactly_once(pushed: &[u64], popped: &[u64]) -> Result<(), String> {
    let mut popped_sorted = popped.to_vec();
    popped_sorted.sort_unstable();
    for w in popped_sorted.windows(2) {
        if w[0] == w[1] {
            return Err(format!("P2: value {} popped twice", w[0]));
        }
    }
    let mut pushed_sorted = pushed.to_vec();
    pushed_sorted.sort_unstable();
    for id in &pushed_sorted {
        if popped_sorted.binary_search(id).is_err() {
            return Err(format!("P1: value {id} was pushed and never popped"));
        }
    }
    for id in &popped_sorted {
        if pushed_sorted.binary_search(id).is_err() {
            return Err(format!(
                "P2: value {id} was popped but never pushed (or was handed back as full)"
            ));
        }
    }
    Ok(())
}

/// Panics with `failure` (if any) after forgetting `values`: when a value came out twice, its
/// two copies share one allocation, and dropping both while unwinding would abort the process
/// before the failure and its schedule are printed.
pub(crate) fn fail_on<V>(failure: Result<(), String>, values: V) -> V {
    if let Err(message) = failure {
        std::mem::forget(values);
        panic!("{message}");
    }
    values
}
