//! A bound on a test that could hang (native binary only).

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// The bound of a test whose threads never wait for an event, only for each other's progress:
/// far above its run time natively, under ThreadSanitizer and under Miri.
pub(crate) const BOUND: Duration = Duration::from_secs(300);

/// Runs `f` on its own thread and returns what it returns; fails the test with `what` if it has
/// not finished after `limit`, and passes a panic of `f` on. Under Miri, whose clock is virtual
/// (it advances with the instructions run, several times faster than a native run's) and which
/// reports a deadlock of blocked threads itself, the limit is 100 times longer.
#[track_caller]
pub(crate) fn watchdog<R: Send + 'static>(
    limit: Duration,
    what: &str,
    f: impl FnOnce() -> R + Send + 'static,
) -> R {
    let limit = if cfg!(miri) { limit * 100 } else { limit };
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
