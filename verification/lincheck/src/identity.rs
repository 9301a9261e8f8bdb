//! The drop-counted identity every checker's test values are built on: the native, loom and
//! shuttle binaries' values (`verification/support/values.rs`, `verification/loom/util.rs`) and
//! the fuzz harness's (`fuzz/harness/`).

use std::mem::ManuallyDrop;

/// Where the drops of identities are counted.
pub trait DropCounter {
    /// Counts one more drop of `id` and returns how many there have been, this one included.
    fn count_drop(&self, id: u64) -> u64;

    /// The panic message for a second drop of `id` (the fuzz harness names the property).
    fn duplicate_message(id: u64) -> String {
        format!("value {id} dropped twice")
    }
}

/// A shared counter counts through its handles.
impl<C: DropCounter> DropCounter for std::sync::Arc<C> {
    fn count_drop(&self, id: u64) -> u64 {
        (**self).count_drop(id)
    }

    fn duplicate_message(id: u64) -> String {
        C::duplicate_message(id)
    }
}

/// A value with an identity and a real heap allocation (a lost value is a leak to Miri and the
/// allocators), whose drops `C` counts. The identity is kept inline, so a second drop of the
/// same bits (a duplicate made by a broken structure) is recognised and reported without
/// touching the freed box or the counter handle again, instead of the process aborting on a
/// double free. The duplicate's drop panics, unless the thread is already unwinding (a panic
/// in a drop during unwinding aborts); the counts report it then.
#[derive(Debug)]
pub struct Identity<C: DropCounter> {
    /// The identity, inline: a duplicate's drop must not read through the (freed) box.
    id: u64,
    /// The allocation and the counter handle; released by the first drop only.
    inner: ManuallyDrop<(Box<u64>, C)>,
}

impl<C: DropCounter> Identity<C> {
    /// A value with identity `id` whose drops `counter` counts.
    pub fn new(id: u64, counter: C) -> Self {
        Identity {
            id,
            inner: ManuallyDrop::new((Box::new(id), counter)),
        }
    }

    /// The identity.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The counter this value's drops go to.
    pub fn counter(&self) -> &C {
        &self.inner.1
    }
}

impl<C: DropCounter> Drop for Identity<C> {
    fn drop(&mut self) {
        let id = self.id;
        // A duplicate's handle is the original's bits: the counter it names outlives its values
        // (the test holds it until it checks the counts).
        if self.inner.1.count_drop(id) > 1 {
            assert!(std::thread::panicking(), "{}", C::duplicate_message(id));
            return;
        }
        // SAFETY: the first drop of this identity (counted above), so the box and the counter
        // handle are released exactly once.
        unsafe { ManuallyDrop::drop(&mut self.inner) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::rc::Rc;

    #[derive(Default)]
    struct Counts(RefCell<HashMap<u64, u64>>);

    impl DropCounter for Rc<Counts> {
        fn count_drop(&self, id: u64) -> u64 {
            let mut counts = self.0.borrow_mut();
            let n = counts.entry(id).or_default();
            *n += 1;
            *n
        }
    }

    #[test]
    fn a_second_drop_of_the_same_bits_panics_and_frees_nothing() {
        let counts = Rc::new(Counts::default());
        let value = Identity::new(7, counts.clone());
        // SAFETY: a bitwise duplicate, as a broken structure would make (the test's point); the
        // first drop frees, the second only reports.
        let copy = unsafe { std::ptr::read(&value) };
        drop(value);
        let second = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(copy)));
        let message = *second.unwrap_err().downcast::<String>().unwrap();
        assert_eq!(message, "value 7 dropped twice");
        assert_eq!(counts.0.borrow()[&7], 2);
    }
}
