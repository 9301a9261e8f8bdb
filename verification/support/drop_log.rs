//! Helpers shared by the normal-build test targets.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// Counts how often each token id was dropped.
#[derive(Clone)]
pub(crate) struct DropLog {
    counts: Arc<Vec<AtomicU32>>,
}

impl DropLog {
    pub(crate) fn new(ids: usize) -> Self {
        DropLog {
            counts: Arc::new((0..ids).map(|_| AtomicU32::new(0)).collect()),
        }
    }

    pub(crate) fn token(&self, id: usize) -> Token {
        Token {
            id,
            log: self.clone(),
            panic_on_drop: false,
        }
    }

    /// A token whose `Drop` panics (after being counted).
    pub(crate) fn panicking_token(&self, id: usize) -> Token {
        Token {
            id,
            log: self.clone(),
            panic_on_drop: true,
        }
    }

    pub(crate) fn drops(&self, id: usize) -> u32 {
        self.counts[id].load(Ordering::SeqCst)
    }

    /// Asserts every id was dropped exactly once.
    pub(crate) fn assert_each_dropped_once(&self) {
        for (id, c) in self.counts.iter().enumerate() {
            assert_eq!(
                c.load(Ordering::SeqCst),
                1,
                "token {id} dropped a wrong number of times"
            );
        }
    }
}

/// A value that records its drop in a `DropLog`.
pub(crate) struct Token {
    pub(crate) id: usize,
    log: DropLog,
    panic_on_drop: bool,
}

impl Drop for Token {
    fn drop(&mut self) {
        self.log.counts[self.id].fetch_add(1, Ordering::SeqCst);
        if self.panic_on_drop && !std::thread::panicking() {
            panic!("token {} panics in drop", self.id);
        }
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Token({})", self.id)
    }
}

/// An index start close to the 2^32 wrap, as Go's test hooks use.
pub(crate) const NEAR_WRAP: u32 = u32::MAX - 499;
