//! Loom models of `EventCount`: no lost wake-up under weak memory.
//!
//! The futex is modelled by a loom `Mutex` + `Condvar` per word (`src/sync/futex.rs`), so a
//! waiter that sleeps while work is available and no later notify comes blocks forever, and loom
//! reports the execution as a deadlock ("Model deadlocked"). Every model below joins every
//! thread, so a lost wake-up cannot go unnoticed.
//!
//! The two-thread models run exhaustively; the three-thread ones with at most 3 preemptions
//! (`LOOM_MAX_PREEMPTIONS` overrides both). Each prints the number of executions explored.
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::Arc;
use loom::thread;
use poolqueue::{chain, EventCount, WaitResult};

/// Runs `f` under loom, exhaustively (`bound = None`) or with at most `bound` preemptions
/// (`LOOM_MAX_PREEMPTIONS` overrides either), and prints how many executions were explored.
fn check(name: &str, bound: Option<usize>, f: impl Fn() + Send + Sync + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = bound;
    }
    let bound = builder.preemption_bound;
    // A std counter: it adds no modelled synchronization.
    let executions = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = executions.clone();
    builder.check(move || {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        f()
    });
    let explored = executions.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!("loom_event::{name}: {explored} executions (preemption bound {bound:?})");
    // For the verification report: a lost wake-up is a loom deadlock (P6); values are counted.
    println!(
        "POOLQUEUE-STAT checker=loom property=P1,P2,P6 test=event models=1 executions={explored}"
    );
}

/// Three threads and the chain: bounded (the two-thread models are exhaustive).
const BOUND: Option<usize> = Some(3);

/// The core Dekker race: a producer sets a flag and notifies while a waiter checks the flag,
/// takes a ticket, re-checks and sleeps. The waiter must always return.
#[test]
fn flag_then_notify_is_never_lost() {
    check("flag_then_notify_is_never_lost", None, || {
        let event = Arc::new(EventCount::new());
        let flag = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (event, flag) = (event.clone(), flag.clone());
            thread::spawn(move || event.wait_until(|| flag.load(Ordering::Acquire).then_some(())))
        };
        // Release: the waiter's Acquire load that sees `true` sees everything before it.
        flag.store(true, Ordering::Release);
        event.notify_one();
        assert_eq!(waiter.join().unwrap(), Some(()));
    });
}

/// The same race through the ticket API, written out as a worker would.
#[test]
fn ticket_protocol_is_never_lost() {
    check("ticket_protocol_is_never_lost", None, || {
        let event = Arc::new(EventCount::new());
        let flag = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (event, flag) = (event.clone(), flag.clone());
            thread::spawn(move || {
                let mut sleeps = 0;
                loop {
                    let ticket = event.prepare_wait();
                    if flag.load(Ordering::Acquire) {
                        return sleeps;
                    }
                    assert_eq!(ticket.wait(), WaitResult::Notified);
                    sleeps += 1;
                }
            })
        };
        flag.store(true, Ordering::Release);
        event.notify_one();
        assert!(waiter.join().unwrap() <= 1, "one notify wakes at most once");
    });
}

/// A stealer sleeping on an empty chain gets the value the owner pushes with a notify.
#[test]
fn chain_push_wakes_a_sleeping_stealer() {
    check("chain_push_wakes_a_sleeping_stealer", None, || {
        let event = Arc::new(EventCount::new());
        let (owner, stealer) = chain::new::<Box<u32>>();
        let thief = {
            let event = event.clone();
            thread::spawn(move || stealer.pop_tail_wait(&event).map(|b| *b))
        };
        owner.push_head_notify(Box::new(7), &event);
        assert_eq!(thief.join().unwrap(), Some(7));
        assert!(owner.pop_head().is_none());
    });
}

/// Two sleeping stealers, two values, one `notify_one` each: both wake, each value is taken
/// exactly once (a `notify_one` that wakes "the wrong" sleeper must not strand the other).
#[test]
fn two_sleepers_two_pushes_each_value_once() {
    check("two_sleepers_two_pushes_each_value_once", BOUND, || {
        let event = Arc::new(EventCount::new());
        let (owner, stealer) = chain::new::<Box<u32>>();
        let thieves: Vec<_> = (0..2)
            .map(|_| {
                let (event, stealer) = (event.clone(), stealer.clone());
                thread::spawn(move || stealer.pop_tail_wait(&event).map(|b| *b))
            })
            .collect();
        owner.push_head_notify(Box::new(1), &event);
        owner.push_head_notify(Box::new(2), &event);
        let mut got: Vec<u32> = thieves
            .into_iter()
            .map(|t| t.join().unwrap().expect("a stealer returned empty-handed"))
            .collect();
        got.sort();
        assert_eq!(got, vec![1, 2]);
    });
}

/// `notify_all` after one publication wakes every sleeper.
#[test]
fn notify_all_wakes_every_sleeper() {
    check("notify_all_wakes_every_sleeper", BOUND, || {
        let event = Arc::new(EventCount::new());
        let flag = Arc::new(AtomicBool::new(false));
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let (event, flag) = (event.clone(), flag.clone());
                thread::spawn(move || {
                    event.wait_until(|| flag.load(Ordering::Acquire).then_some(()))
                })
            })
            .collect();
        flag.store(true, Ordering::Release);
        event.notify_all();
        for w in waiters {
            assert_eq!(w.join().unwrap(), Some(()));
        }
    });
}

/// `close` wakes every sleeper and makes their waits return `None`.
#[test]
fn close_wakes_every_sleeper() {
    check("close_wakes_every_sleeper", BOUND, || {
        let event = Arc::new(EventCount::new());
        let (_owner, stealer) = chain::new::<u32>();
        let thieves: Vec<_> = (0..2)
            .map(|_| {
                let (event, stealer) = (event.clone(), stealer.clone());
                thread::spawn(move || stealer.pop_tail_wait(&event))
            })
            .collect();
        event.close();
        for t in thieves {
            assert_eq!(t.join().unwrap(), None);
        }
    });
}

/// Close racing a push: the stealer drains until the close releases it; every value is either
/// stolen once or still in the chain, and the stealer always returns.
#[test]
fn close_racing_a_push_loses_nothing() {
    check("close_racing_a_push_loses_nothing", BOUND, || {
        let event = Arc::new(EventCount::new());
        let (owner, stealer) = chain::new::<Box<u32>>();
        let thief = {
            let event = event.clone();
            thread::spawn(move || {
                let mut got = Vec::new();
                while let Some(v) = stealer.pop_tail_wait(&event) {
                    got.push(*v);
                }
                got
            })
        };
        let closer = {
            let event = event.clone();
            thread::spawn(move || event.close())
        };
        owner.push_head_notify(Box::new(5), &event);
        closer.join().unwrap();
        let mut got = thief.join().unwrap();
        while let Some(v) = owner.pop_head() {
            got.push(*v);
        }
        got.sort();
        assert_eq!(got, vec![5]);
    });
}

/// With nothing pushed, a timed wait returns `None` instead of blocking (in the model a timed
/// wait times out at once when nothing was notified since its ticket).
#[test]
fn timed_wait_without_notify_times_out() {
    check("timed_wait_without_notify_times_out", None, || {
        let event = Arc::new(EventCount::new());
        let (_owner, stealer) = chain::new::<u32>();
        let thief = {
            let event = event.clone();
            thread::spawn(move || {
                stealer.pop_tail_wait_timeout(&event, std::time::Duration::from_millis(1))
            })
        };
        event.notify_one(); // before or after the ticket: either way no value, `None`
        assert_eq!(thief.join().unwrap(), None);
    });
}

/// What is done before `close` is seen by a waiter that returns `Closed` on a ticket taken
/// before the close: the Release `fetch_or` of `close` pairs with the Acquire re-read in
/// `Waiter::wait`. (Found unpinned by the audit: `close` and `moved` weakened to Relaxed.)
#[test]
fn a_closed_wait_sees_what_was_done_before_close() {
    check(
        "a_closed_wait_sees_what_was_done_before_close",
        None,
        || {
            let event = Arc::new(EventCount::new());
            let data = Arc::new(loom::cell::UnsafeCell::new(0_u32));
            let waiter = event.prepare_wait(); // ticket before the close
            let closer = {
                let (event, data) = (event.clone(), data.clone());
                thread::spawn(move || {
                    // SAFETY: the only write; the main thread reads only after it saw the close.
                    data.with_mut(|p| unsafe { *p = 7 });
                    event.close();
                })
            };
            assert_eq!(waiter.wait(), WaitResult::Closed);
            // SAFETY: ordered after the write by close's Release and the wait's Acquire.
            assert_eq!(data.with(|p| unsafe { *p }), 7);
            closer.join().unwrap();
        },
    );
}

/// What is done before `close` is seen by a thread that finds `is_closed()` true (the Release
/// `fetch_or` pairs with the Acquire load in `is_closed`).
#[test]
fn is_closed_sees_what_was_done_before_close() {
    check("is_closed_sees_what_was_done_before_close", None, || {
        let event = Arc::new(EventCount::new());
        let data = Arc::new(loom::cell::UnsafeCell::new(0_u32));
        let closer = {
            let (event, data) = (event.clone(), data.clone());
            thread::spawn(move || {
                // SAFETY: the only write; the main thread reads only after it saw the close.
                data.with_mut(|p| unsafe { *p = 7 });
                event.close();
            })
        };
        if event.is_closed() {
            // SAFETY: ordered after the write by close's Release and is_closed's Acquire.
            assert_eq!(data.with(|p| unsafe { *p }), 7);
        }
        closer.join().unwrap();
    });
}

/// A `wait_until` that ends by `close` looks for work once more, so a value made ready before
/// the close is returned, not lost; and every way out of the wait deregisters it (the `Debug`
/// count is back to zero), so later notifies stay on their fast path.
#[test]
fn a_wait_ended_by_close_takes_the_work_done_before_it() {
    check(
        "a_wait_ended_by_close_takes_the_work_done_before_it",
        None,
        || {
            let event = Arc::new(EventCount::new());
            let ready = Arc::new(AtomicBool::new(false));
            let closer = {
                let (event, ready) = (event.clone(), ready.clone());
                thread::spawn(move || {
                    // Release: the flag is data; `close` publishes it too (Release `fetch_or`).
                    ready.store(true, Ordering::Release);
                    event.close();
                })
            };
            // Acquire: pairs with the closer's Release store. (A load, not a `swap`: loom 0.7
            // let a `swap` ordered after the store by the close read the value before it.)
            let got = event.wait_until(|| ready.load(Ordering::Acquire).then_some(7));
            closer.join().unwrap();
            assert_eq!(got, Some(7), "the work done before the close was lost");
            assert!(
                format!("{event:?}").contains("waiters: 0"),
                "a wait left registered: {event:?}"
            );
        },
    );
}
