//! How a returned value is cleaned before its next user: the [`Reset`] trait and the pool's
//! reset hook.

use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet, VecDeque};

/// How a pooled value goes back to the state its `create` function hands out, keeping its
/// allocations. [`Pool::new`](super::Pool::new) requires it; [`Pool::with_reset`](super::Pool::with_reset) takes any hook instead.
///
/// ```
/// use poolqueue::Reset;
///
/// struct Scratch {
///     lines: Vec<String>,
///     total: usize,
/// }
///
/// impl Reset for Scratch {
///     fn reset(&mut self) {
///         self.lines.clear();
///         self.total = 0;
///     }
/// }
/// # poolqueue::__doc_model(|| {
/// let pool = poolqueue::Pool::new(|| Scratch { lines: Vec::new(), total: 0 });
/// pool.get().total = 3;
/// assert_eq!(pool.get().total, 0);
/// # });
/// ```
pub trait Reset {
    /// Clears the value for its next user.
    fn reset(&mut self);
}

macro_rules! reset_by_clear {
    ($($ty:ident < $($param:ident),* >),* $(,)?) => {$(
        impl<$($param),*> Reset for $ty<$($param),*> {
            #[inline]
            fn reset(&mut self) {
                self.clear();
            }
        }
    )*};
}

reset_by_clear!(Vec<T>, VecDeque<T>, BTreeMap<K, V>, BTreeSet<T>, HashMap<K, V, S>, HashSet<T, S>);

impl<T: Ord> Reset for BinaryHeap<T> {
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }
}

impl Reset for String {
    #[inline]
    fn reset(&mut self) {
        self.clear();
    }
}

impl<T: Reset + ?Sized> Reset for Box<T> {
    #[inline]
    fn reset(&mut self) {
        (**self).reset();
    }
}

/// The pool's reset hook: a `fn` pointer for [`Reset`] types (no `'static` bound on `T`
/// needed), a closure otherwise.
pub(crate) enum ResetHook<T> {
    Trait(fn(&mut T)),
    Custom(Box<dyn Fn(&mut T) + Send + Sync>),
}

impl<T> ResetHook<T> {
    /// Runs the hook on `value`.
    #[inline]
    pub(crate) fn run(&self, value: &mut T) {
        match self {
            ResetHook::Trait(reset) => reset(value),
            ResetHook::Custom(reset) => reset(value),
        }
    }
}
