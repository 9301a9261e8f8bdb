//! P6 for the worker: an owner call that sees a stealer's request answers it. The fuzz target
//! `worker` and the shuttle worker campaign (`verification/shuttle/worker.rs`) make their owner
//! calls through these two functions.
//!
//! Only the owner clears the request flag and shuttle's atomics are sequentially consistent, so
//! a request the owner's thread sees just before a call is seen by the call. The
//! linearizability spec cannot demand this: a history does not tell whether a concurrent
//! request came before the owner's load.

use poolqueue::__test_hooks as hooks;
use poolqueue::worker::Owner;

/// `owner.push_head(value)`, checked: holding `held + 1 >= 2` values after a push that saw a
/// request, the owner publishes at least one.
pub fn push_head<T>(owner: &Owner<T>, value: T) {
    let (asked, held) = (
        hooks::worker_request_pending(owner),
        hooks::worker_private_len(owner),
    );
    owner.push_head(value);
    let after = hooks::worker_private_len(owner);
    assert!(
        !asked || held == 0 || after <= held,
        "P6: a push that saw a request kept {after} private values (held {held})"
    );
}

/// `owner.pop_head()`, checked: holding `held >= 2` values, a pop that saw a request publishes
/// `held / 2` before it pops.
pub fn pop_head<T>(owner: &Owner<T>) -> Option<T> {
    let (asked, held) = (
        hooks::worker_request_pending(owner),
        hooks::worker_private_len(owner),
    );
    let value = owner.pop_head();
    let after = hooks::worker_private_len(owner);
    assert!(
        !asked || held < 2 || after + 2 <= held,
        "P6: a pop that saw a request kept {after} private values (held {held})"
    );
    value
}
