//! The shared helpers' own checks (run once, here): a bad knob fails loudly, and the ledger
//! reports a lost or a twice-dropped value.

use std::panic::catch_unwind;

use crate::support::knobs;
use crate::support::values::{Item, Ledger};

#[test]
fn a_knob_parses_or_fails_with_its_name() {
    assert_eq!(knobs::parse::<usize>("ROUNDS", " 12 "), 12);
    let failure = catch_unwind(|| knobs::parse::<usize>("ROUNDS", "12x")).unwrap_err();
    let message = failure.downcast_ref::<String>().unwrap();
    assert!(message.contains("ROUNDS=\"12x\""), "{message}");
}

#[test]
fn the_ledger_reports_a_leak() {
    let ledger = Ledger::new();
    let kept = Item::new(0, &ledger);
    drop(Item::new(1, &ledger));
    let failure = catch_unwind(|| ledger.assert_each_dropped_once(0..2)).unwrap_err();
    let message = failure.downcast_ref::<String>().unwrap();
    assert!(message.contains("value 0 leaked"), "{message}");
    drop(kept);
    ledger.assert_each_dropped_once(0..2);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "the deliberate bitwise copy of a `Box` breaks Stacked Borrows' uniqueness rules"
)]
fn the_ledger_reports_a_duplicate_without_freeing_it_twice() {
    let ledger = Ledger::new();
    let item = Item::new(7, &ledger);
    // SAFETY: a deliberate bitwise duplicate, as a buggy structure would hand out; the
    // duplicate's drop must recognise the identity and leave the box alone.
    let twin = unsafe { std::ptr::read(&item) };
    drop(item);
    let failure = catch_unwind(move || drop(twin)).unwrap_err();
    let message = failure.downcast_ref::<String>().unwrap();
    assert!(message.contains("value 7 dropped twice"), "{message}");
    let failure = catch_unwind(|| ledger.assert_each_dropped_once([7])).unwrap_err();
    let message = failure.downcast_ref::<String>().unwrap();
    assert!(message.contains("value 7 dropped 2 times"), "{message}");
}
