//! The loom-epoch lane's `thread_local!`: one loom thread-local per thread holds every value,
//! and a thread's values are dropped in the reverse order of their first use.
//!
//! loom keeps a thread's locals in a `HashMap` and drops them in its (random) iteration order.
//! With the real epoch, two locals of one thread do loom operations in their destructors (the
//! pool's thread id gives its id back under a lock; the epoch participant unregisters), so
//! that order would make the model nondeterministic ("Reached unexpected exploration state").
//! Only the crate's own locals go through here; the default lane keeps loom's `thread_local!`.

use core::cell::RefCell;
use std::any::Any;

/// A thread-local value, initialized on first use, like `std::thread::LocalKey`.
pub(crate) struct Key<T: 'static> {
    init: fn() -> T,
}

/// The value's storage is being torn down (the thread is exiting).
#[derive(Debug)]
pub(crate) struct AccessError;

/// One value: its key's address, a pointer to the boxed value, and the box that owns it.
type Entry = (usize, *const (), Box<dyn Any>);

/// The values of one loom thread, in the order of their first use.
struct Table(RefCell<Vec<Entry>>);

impl Drop for Table {
    fn drop(&mut self) {
        // Newest first; a destructor that reaches for a local meanwhile gets `AccessError`
        // (loom has already taken the table out of the thread).
        loop {
            let last = self.0.borrow_mut().pop();
            match last {
                Some(entry) => drop(entry),
                None => break,
            }
        }
    }
}

loom::thread_local! {
    static TABLE: Table = Table(RefCell::new(Vec::new()));
}

impl<T: 'static> Key<T> {
    pub(crate) const fn new(init: fn() -> T) -> Self {
        Key { init }
    }

    /// Calls `f` with this thread's value, or fails once the thread's locals are torn down.
    pub(crate) fn try_with<R>(&'static self, f: impl FnOnce(&T) -> R) -> Result<R, AccessError> {
        let id = self as *const Self as usize;
        let found = TABLE
            .try_with(|t| {
                t.0.borrow()
                    .iter()
                    .find(|(key, _, _)| *key == id)
                    .map(|(_, ptr, _)| *ptr)
            })
            .map_err(|_| AccessError)?;
        let ptr = match found {
            Some(ptr) => ptr.cast::<T>(),
            None => {
                // The table is not borrowed while `init` runs: it may use other locals.
                let value = Box::new((self.init)());
                let ptr: *const T = &*value;
                TABLE
                    .try_with(|t| t.0.borrow_mut().push((id, ptr.cast(), value)))
                    .map_err(|_| AccessError)?;
                ptr
            }
        };
        // SAFETY: the box stays in the table, unmoved, until the thread's table is dropped,
        // which happens after every call on this thread has returned (loom drops a thread's
        // locals after its closure ends); entries are never removed before that.
        Ok(f(unsafe { &*ptr }))
    }

    /// As [`try_with`](Self::try_with).
    ///
    /// # Panics
    /// Once the thread's locals are torn down.
    pub(crate) fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        self.try_with(f).unwrap_or_else(|_| {
            panic!("a thread-local used while the thread's locals are torn down")
        })
    }
}

/// `thread_local!` for the crate's own locals in the loom-epoch lane.
macro_rules! ordered_thread_local {
    ($($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr;)*) => {
        $(
            $(#[$attr])*
            $vis static $name: $crate::sync::ordered_local::Key<$t> =
                $crate::sync::ordered_local::Key::new(|| $init);
        )*
    };
}
pub(crate) use ordered_thread_local as thread_local;
