//! Environment knobs of the test suites, read one way: unset gives the default, a value that
//! does not parse fails the test with the knob's name and value (never silently ignored).

use std::fmt::Debug;
use std::str::FromStr;

/// `name` parsed as `T`, or `default` when unset.
///
/// # Panics
/// If `name` is set to a value that does not parse as `T` (or is not Unicode).
#[track_caller]
pub(crate) fn knob<T: FromStr>(name: &str, default: T) -> T
where
    T::Err: Debug,
{
    optional(name).unwrap_or(default)
}

/// `name` parsed as `T`, or `None` when unset.
///
/// # Panics
/// As [`knob`].
#[track_caller]
pub(crate) fn optional<T: FromStr>(name: &str) -> Option<T>
where
    T::Err: Debug,
{
    match std::env::var(name) {
        Ok(v) => Some(parse(name, &v)),
        Err(std::env::VarError::NotPresent) => None,
        Err(e) => panic!("{name}: {e}"),
    }
}

/// `value` (of the knob `name`) parsed as `T`, surrounding blanks ignored.
///
/// # Panics
/// If it does not parse, naming the knob and the value.
#[track_caller]
pub(crate) fn parse<T: FromStr>(name: &str, value: &str) -> T
where
    T::Err: Debug,
{
    value
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{name}={value:?} is not a valid value: {e:?}"))
}

/// Whether the flag `name` is set (to anything); `POOLQUEUE_LONG=1` selects the long campaigns.
pub(crate) fn flag(name: &str) -> bool {
    std::env::var_os(name).is_some()
}
