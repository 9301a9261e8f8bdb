//! Shared by the pool's model tests: a value that records its drop in a ledger (failing on a
//! second drop) and fails when two users hold it at once.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use poolqueue::Pool;

#[derive(Default)]
pub(crate) struct Ledger {
    created: AtomicU64,
    dropped: Mutex<HashSet<u64>>,
}

impl Ledger {
    pub(crate) fn make(self: &Arc<Self>) -> Tracked {
        Tracked {
            id: self.created.fetch_add(1, Ordering::SeqCst),
            ledger: self.clone(),
            in_use: AtomicBool::new(false),
        }
    }

    pub(crate) fn created(&self) -> u64 {
        self.created.load(Ordering::SeqCst)
    }

    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.lock().unwrap().len() as u64
    }

    pub(crate) fn assert_all_dropped(&self) {
        assert_eq!(
            self.dropped(),
            self.created(),
            "a created value was never dropped"
        );
    }
}

pub(crate) struct Tracked {
    pub(crate) id: u64,
    ledger: Arc<Ledger>,
    in_use: AtomicBool,
}

impl Tracked {
    /// Uses the value as its one user, calling `pause` (a model's yield) in the middle; fails
    /// if another user holds it meanwhile.
    pub(crate) fn touch(&self, pause: impl FnOnce()) {
        assert!(
            !self.in_use.swap(true, Ordering::SeqCst),
            "value {} handed to two users",
            self.id
        );
        pause();
        self.in_use.store(false, Ordering::SeqCst);
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        assert!(
            !self.in_use.load(Ordering::SeqCst),
            "value {} dropped while in use",
            self.id
        );
        let fresh = self
            .ledger
            .dropped
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(self.id);
        assert!(fresh, "value {} dropped twice", self.id);
    }
}

pub(crate) fn tracked_pool(ledger: &Arc<Ledger>) -> Pool<Tracked> {
    let maker = ledger.clone();
    Pool::with_reset(move || maker.make(), |_| {})
}
