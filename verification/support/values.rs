//! The one drop-counting value of the test binaries, [`Item`], and its [`Ledger`].
//!
//! An `Item` is a [`lincheck::identity::Identity`] (an identity in a `Box`, so Miri and the
//! allocator see a leak) that records its drop in the ledger it was made from; it also fails
//! when it is dropped while a user holds it, and can be made to panic in its `Drop`. A second
//! drop of the same bits (a duplicated value) is recognised and counted without touching the
//! freed box: the test then reports "dropped 2 times" instead of the process aborting on a
//! double free. Used
//! by the native, shuttle and loom binaries alike (the loom models add loom's own leak tracker
//! through `loom/util.rs`'s `Val`).
//!
//! Identities come either from the caller ([`Item::new`], when the test numbers its pushes) or
//! from the ledger ([`Ledger::make`], for a pool's `create`); use one way per ledger.

use std::collections::{BTreeSet, HashMap};
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use lincheck::identity::{DropCounter, Identity};
use poolqueue::Pool;

/// Drop counts per identity, for the items of one test or one model execution.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    /// Items made so far (by either constructor); the next identity [`Ledger::make`] hands out.
    created: AtomicU64,
    drops: Mutex<HashMap<u64, u32>>,
}

impl Ledger {
    pub(crate) fn new() -> Arc<Self> {
        Arc::default()
    }

    /// A fresh item with the next identity (0, 1, 2, ...).
    pub(crate) fn make(self: &Arc<Self>) -> Item {
        // Relaxed (std atomic, also under the models): a counter; uniqueness is all it provides.
        let id = self.created.fetch_add(1, Ordering::Relaxed);
        Item::build(id, self, false)
    }

    /// An item with identity `id` whose `Drop` panics (after it was counted).
    pub(crate) fn panicking(self: &Arc<Self>, id: u64) -> Item {
        self.created.fetch_add(1, Ordering::Relaxed);
        Item::build(id, self, true)
    }

    /// Items made so far.
    pub(crate) fn created(&self) -> u64 {
        // Relaxed: read after the threads that made items were joined.
        self.created.load(Ordering::Relaxed)
    }

    fn counts(&self) -> MutexGuard<'_, HashMap<u64, u32>> {
        // A drop that panicked (on purpose) may have poisoned the lock; the counts stay valid.
        self.drops.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How often `id` was dropped.
    pub(crate) fn drops(&self, id: u64) -> u32 {
        self.counts().get(&id).copied().unwrap_or(0)
    }

    /// How many distinct identities were dropped.
    pub(crate) fn dropped(&self) -> u64 {
        self.counts().len() as u64
    }

    /// The identities dropped so far.
    pub(crate) fn dropped_ids(&self) -> BTreeSet<u64> {
        self.counts().keys().copied().collect()
    }

    /// Every identity in `ids` was dropped exactly once, and nothing else was dropped.
    #[track_caller]
    pub(crate) fn assert_each_dropped_once(&self, ids: impl IntoIterator<Item = u64>) {
        let drops = self.counts();
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

    /// Every item [`Ledger::make`] made was dropped exactly once.
    #[track_caller]
    pub(crate) fn assert_all_dropped(&self) {
        self.assert_each_dropped_once(0..self.created());
    }
}

impl DropCounter for Ledger {
    fn count_drop(&self, id: u64) -> u64 {
        let mut counts = self.counts();
        let n = counts.entry(id).or_default();
        *n += 1;
        u64::from(*n)
    }
}

/// A value with an identity in a `Box` that records its drop in its [`Ledger`].
#[derive(Debug)]
pub(crate) struct Item {
    /// The identity, its allocation and its ledger (dropped by hand, before a planned panic).
    value: ManuallyDrop<Identity<Arc<Ledger>>>,
    panic_on_drop: bool,
    /// Set while one user holds the value ([`Item::enter`] .. [`Item::leave`]).
    in_use: AtomicBool,
    /// Free for the test: the pool tests count uses since the last reset here.
    pub(crate) uses: u64,
}

impl Item {
    /// An item with identity `id`.
    pub(crate) fn new(id: u64, ledger: &Arc<Ledger>) -> Self {
        ledger.created.fetch_add(1, Ordering::Relaxed);
        Item::build(id, ledger, false)
    }

    fn build(id: u64, ledger: &Arc<Ledger>, panic_on_drop: bool) -> Self {
        Item {
            value: ManuallyDrop::new(Identity::new(id, ledger.clone())),
            panic_on_drop,
            in_use: AtomicBool::new(false),
            uses: 0,
        }
    }

    pub(crate) fn id(&self) -> u64 {
        self.value.id()
    }

    /// Marks the value as held by one user; fails if another user holds it.
    #[track_caller]
    pub(crate) fn enter(&self) {
        // SeqCst (std atomic): a check, not synchronization; the strongest is the clearest.
        assert!(
            !self.in_use.swap(true, Ordering::SeqCst),
            "value {} handed to two users",
            self.id()
        );
    }

    /// Ends the use begun by [`Item::enter`].
    pub(crate) fn leave(&self) {
        // SeqCst: as in `enter`.
        self.in_use.store(false, Ordering::SeqCst);
    }

    /// Uses the value as its one user, calling `pause` (a model's yield) in the middle; fails
    /// if another user holds it meanwhile.
    #[track_caller]
    pub(crate) fn touch(&self, pause: impl FnOnce()) {
        self.enter();
        pause();
        self.leave();
    }
}

impl Drop for Item {
    fn drop(&mut self) {
        let id = self.id();
        let unwinding = std::thread::panicking();
        // SeqCst: as in `enter`.
        assert!(
            unwinding || !self.in_use.load(Ordering::SeqCst),
            "value {id} dropped while in use"
        );
        // Counted, and freed on its first drop only (a duplicate panics there unless unwinding).
        // SAFETY: dropped once, here; `Drop` runs once per `Item`.
        unsafe { ManuallyDrop::drop(&mut self.value) };
        if self.panic_on_drop && !unwinding {
            panic!("value {id} panics in drop");
        }
    }
}

/// A pool whose `create` makes items of `ledger` and whose reset clears their use count.
pub(crate) fn tracked_pool(ledger: &Arc<Ledger>) -> Pool<Item> {
    let maker = ledger.clone();
    Pool::with_reset(move || maker.make(), |item| item.uses = 0)
}

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

/// A logged `push_head` of `item` into a bounded structure (`push`): its identity is booked in
/// `pushed` when it went in; when the structure was full, the value handed back must be the one
/// pushed, and it is kept in `handed_back` (dropped later, by the test).
pub(crate) fn push_logged<C: lincheck::Clock>(
    log: &mut lincheck::Log<C>,
    item: Item,
    push: impl FnOnce(Item) -> Result<(), Item>,
    pushed: &mut Vec<u64>,
    handed_back: &mut Vec<Item>,
) -> lincheck::Ret {
    use lincheck::{Op, Ret};
    let id = item.id();
    log.call(Op::PushHead(id), || match push(item) {
        Ok(()) => {
            pushed.push(id);
            Ret::Pushed
        }
        Err(back) => {
            assert_eq!(back.id(), id, "full must hand back the value pushed");
            handed_back.push(back);
            Ret::Full
        }
    })
}

/// The final drain of a history: alternates a logged `pop_tail` (`steal`) and a logged
/// `pop_head` (`pop`) until both report empty, keeping what they pop, so the drain is checked
/// for linearizability with the rest of the history.
pub(crate) fn drain_logged<C: lincheck::Clock>(
    log: &mut lincheck::Log<C>,
    popped: &mut Vec<Item>,
    mut steal: impl FnMut() -> Option<Item>,
    mut pop: impl FnMut() -> Option<Item>,
) {
    use lincheck::{Op, Ret};
    loop {
        let a = log.call(Op::PopTail, || keep(popped, steal()));
        let b = log.call(Op::PopHead, || keep(popped, pop()));
        if a == Ret::Empty && b == Ret::Empty {
            break;
        }
    }
}

/// Checks exactly-once delivery: every pushed identity was popped once (P1 no loss, P2 no
/// duplicate) and nothing else was popped.
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
