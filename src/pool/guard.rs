//! The guards `get` hands out: [`Pooled`] borrows the pool, [`OwnedPooled`] holds an `Arc` of
//! it. Dropping a guard resets the value and returns it.

use core::fmt;
use core::mem::{ManuallyDrop, MaybeUninit};
use core::ops::{Deref, DerefMut};

use super::stats::Event;
use super::Pool;

/// A value taken from a [`Pool`]; reset and returned when dropped.
///
/// ```
/// # poolqueue::__doc_model(|| {
/// let pool = poolqueue::Pool::new(Vec::<u8>::new);
/// let mut guard: poolqueue::Pooled<'_, Vec<u8>> = pool.get();
/// guard.push(1);
/// # });
/// ```
pub struct Pooled<'a, T: Send> {
    pub(super) pool: &'a Pool<T>,
    /// Always initialized while the guard lives; `MaybeUninit` so that the fast paths move it
    /// bytewise and the guard never drops it by itself.
    pub(super) value: MaybeUninit<T>,
}

impl<T: Send> Pooled<'_, T> {
    /// Takes the value out for good: it is not returned to the pool.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let pool = poolqueue::Pool::new(Vec::<u8>::new);
    /// let mut guard = pool.get();
    /// guard.push(1);
    /// let kept: Vec<u8> = poolqueue::Pooled::detach(guard);
    /// assert_eq!(kept, [1]);
    /// # });
    /// ```
    pub fn detach(this: Self) -> T {
        let this = ManuallyDrop::new(this);
        this.pool.count(this.pool.local_shard(), Event::Detached);
        // SAFETY: the value is initialized while the guard lives; `this` is never used or
        // dropped again, so the value is taken exactly once.
        unsafe { this.value.as_ptr().read() }
    }
}

impl<T: Send> Deref for Pooled<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: initialized while the guard lives.
        unsafe { self.value.assume_init_ref() }
    }
}

impl<T: Send> DerefMut for Pooled<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: initialized while the guard lives.
        unsafe { self.value.assume_init_mut() }
    }
}

impl<T: Send> Drop for Pooled<'_, T> {
    /// Resets the value and returns it to the pool; while the thread is panicking, drops it
    /// instead (counted as discarded), since the panicking code may have left it half-updated.
    #[inline]
    fn drop(&mut self) {
        let value = self.value.as_mut_ptr();
        if std::thread::panicking() {
            // SAFETY: initialized while the guard lives; `drop` runs once and `detach` forgets
            // the guard, so the value is handed over once (`MaybeUninit` never drops it).
            unsafe { self.pool.discard(value) }
        } else {
            // SAFETY: as above.
            unsafe { self.pool.give_back_from(value) }
        }
    }
}

impl<T: Send + fmt::Debug> fmt::Debug for Pooled<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// A value taken from an `Arc<Pool>` by [`Pool::get_owned`]; reset and returned when dropped.
///
/// ```
/// # poolqueue::__doc_model(|| {
/// let pool = std::sync::Arc::new(poolqueue::Pool::new(Vec::<u8>::new));
/// let guard: poolqueue::OwnedPooled<Vec<u8>> = pool.get_owned();
/// drop(pool); // the guard keeps the pool alive
/// drop(guard);
/// # });
/// ```
pub struct OwnedPooled<T: Send> {
    pub(super) pool: std::sync::Arc<Pool<T>>,
    pub(super) value: ManuallyDrop<T>,
}

impl<T: Send> OwnedPooled<T> {
    /// Takes the value out for good: it is not returned to the pool.
    ///
    /// ```
    /// # poolqueue::__doc_model(|| {
    /// let pool = std::sync::Arc::new(poolqueue::Pool::new(String::new));
    /// let s: String = poolqueue::OwnedPooled::detach(pool.get_owned());
    /// assert!(s.is_empty());
    /// # });
    /// ```
    pub fn detach(this: Self) -> T {
        let mut this = ManuallyDrop::new(this);
        this.pool.count(this.pool.local_shard(), Event::Detached);
        // SAFETY: `this` is never used or dropped again, so the value and the `Arc` are each
        // taken exactly once.
        let value = unsafe { ManuallyDrop::take(&mut this.value) };
        // SAFETY: as above; the `Arc` goes last, as the pool may drop with it.
        drop(unsafe { core::ptr::read(&this.pool) });
        value
    }
}

impl<T: Send> Deref for OwnedPooled<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: Send> DerefMut for OwnedPooled<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: Send> Drop for OwnedPooled<T> {
    /// As [`Pooled`]'s: returned to the pool, or dropped while the thread is panicking.
    fn drop(&mut self) {
        let value: *mut T = &mut *self.value;
        if std::thread::panicking() {
            // SAFETY: as in `Pooled::drop`; `ManuallyDrop` never drops it by itself.
            unsafe { self.pool.discard(value) }
        } else {
            // SAFETY: as above.
            unsafe { self.pool.give_back_from(value) }
        }
    }
}

impl<T: Send + fmt::Debug> fmt::Debug for OwnedPooled<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
