use core::fmt;

/// The requested ring capacity is not a power of two in `2..=2^30`.
///
/// Ring indices are 32-bit and wrap modulo 2^32, so the capacity must divide 2^32 (a power of
/// two) and stay far enough below it that `head - tail` is an unambiguous count (at most 2^30,
/// as in Go).
///
/// ```
/// # poolqueue::__doc_model(|| {
/// let err = poolqueue::dequeue::new::<u8>(12).unwrap_err();
/// assert_eq!(err.requested(), 12);
/// assert!(err.to_string().contains("power of two"));
/// # });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CapacityError {
    requested: usize,
}

impl CapacityError {
    /// The smallest capacity a ring accepts.
    pub const MIN: usize = 2;
    /// The largest capacity a ring accepts (2^30).
    pub const MAX: usize = 1 << 30;

    /// Checks `capacity`, returning it unchanged when it is a power of two in `MIN..=MAX`.
    pub(crate) fn check(capacity: usize) -> Result<usize, CapacityError> {
        if capacity.is_power_of_two() && (Self::MIN..=Self::MAX).contains(&capacity) {
            Ok(capacity)
        } else {
            Err(CapacityError {
                requested: capacity,
            })
        }
    }

    /// The capacity that was asked for.
    pub fn requested(&self) -> usize {
        self.requested
    }
}

impl fmt::Display for CapacityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ring capacity {} is not a power of two in {}..={} (2^30)",
            self.requested,
            Self::MIN,
            Self::MAX
        )
    }
}

/// `core::error::Error` needs Rust 1.81, above the crate's MSRV, so the impl needs `std`.
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl std::error::Error for CapacityError {}
