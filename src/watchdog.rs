//! A bound on a unit test that could hang: the library's own form of
//! `verification/support/watchdog.rs` (the unit tests cannot reach the test binaries' helpers).

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Runs `f` on its own thread and returns what it returns; fails the test with `what` if it has
/// not finished after `limit`, and passes a panic of `f` on.
#[track_caller]
pub(crate) fn watchdog<R: Send + 'static>(
    limit: Duration,
    what: &str,
    f: impl FnOnce() -> R + Send + 'static,
) -> R {
    let (done, finished) = mpsc::channel();
    let worker = thread::spawn(move || {
        let _ = done.send(f());
    });
    match finished.recv_timeout(limit) {
        Ok(r) => {
            let _ = worker.join();
            r
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the worker sends before it ends"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("watchdog: {what}: still running after {limit:?}")
        }
    }
}
