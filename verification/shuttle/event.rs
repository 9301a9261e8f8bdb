//! Shuttle runs of `EventCount` with several sleepers and several producers.
//!
//! Every consumed value is reported on a channel; the main thread closes the event only after it
//! received all of them. A lost wake-up therefore leaves the main thread blocked on the channel
//! while the consumers sleep, and shuttle reports the deadlock with a replayable schedule.
//! Shuttle is sequentially consistent: these runs check the protocol's logic over many more
//! threads and longer histories than loom can; the orderings are loom's job.
use poolqueue::__test_hooks as hooks;
use poolqueue::{chain, EventCount};
use shuttle::sync::mpsc::channel;
use shuttle::sync::Arc;
use shuttle::thread;

/// `producers` owners push `per_producer` values each (and sometimes pop their own head);
/// `consumers` stealers sleep on one event and steal from every chain. Every value arrives
/// exactly once.
fn producers_and_sleepers(producers: u32, consumers: u32, per_producer: u32, notify_all: bool) {
    let event = Arc::new(EventCount::new());
    let (tx, rx) = channel::<u32>();
    let mut owners = Vec::new();
    let mut stealers = Vec::new();
    for _ in 0..producers {
        let (owner, stealer) = hooks::chain_with_start_index::<Box<u32>>(u32::MAX - 5);
        owners.push(owner);
        stealers.push(stealer);
    }
    let stealers = Arc::new(stealers);
    let consumers: Vec<_> = (0..consumers)
        .map(|_| {
            let (event, stealers, tx) = (event.clone(), stealers.clone(), tx.clone());
            thread::spawn(move || {
                let mut taken = 0u32;
                while let Some(v) = event.wait_until(|| stealers.iter().find_map(|s| s.pop_tail()))
                {
                    tx.send(*v).unwrap();
                    taken += 1;
                }
                taken
            })
        })
        .collect();
    let producer_threads: Vec<_> = owners
        .into_iter()
        .enumerate()
        .map(|(p, owner)| {
            let (event, tx) = (event.clone(), tx.clone());
            thread::spawn(move || {
                for i in 0..per_producer {
                    let id = p as u32 * per_producer + i;
                    if notify_all {
                        owner.push_head(Box::new(id));
                        event.notify_all();
                    } else {
                        owner.push_head_notify(Box::new(id), &event);
                    }
                    if i % 3 == 2 {
                        if let Some(v) = owner.pop_head() {
                            tx.send(*v).unwrap();
                        }
                    }
                }
                // The owner may go away while values remain: stealers keep the chain alive.
            })
        })
        .collect();
    drop(tx);
    let total = producers * per_producer;
    let mut seen = vec![0u32; total as usize];
    for _ in 0..total {
        // Blocks forever (shuttle: deadlock) if a value is left while every consumer sleeps.
        let v = rx
            .recv()
            .expect("all senders gone before every value arrived");
        seen[v as usize] += 1;
    }
    event.close();
    for p in producer_threads {
        p.join().unwrap();
    }
    let mut taken = 0;
    for c in consumers {
        taken += c.join().unwrap();
    }
    assert!(
        seen.iter().all(|&n| n == 1),
        "each value exactly once: {seen:?}"
    );
    assert!(taken <= total);
    assert!(rx.try_recv().is_err(), "a value arrived twice");
}

/// One sleeper, one producer: short histories, where PCT's few priority changes reach the
/// narrow window between a look for work and the ticket.
#[test]
fn one_sleeper_one_producer_pct() {
    shuttle::check_pct(|| producers_and_sleepers(1, 1, 3, false), 3_000, 3);
}

/// Three sleepers, two producers, 16 values, random schedules.
#[test]
fn sleepers_and_producers_random() {
    shuttle::check_random(|| producers_and_sleepers(2, 3, 8, false), 3_000);
}

#[test]
fn sleepers_and_producers_pct() {
    shuttle::check_pct(|| producers_and_sleepers(2, 3, 8, false), 2_000, 3);
}

#[test]
fn sleepers_and_producers_notify_all_random() {
    shuttle::check_random(|| producers_and_sleepers(2, 3, 8, true), 2_000);
}

/// Sleepers on an empty chain all return `None` after `close`, whenever it comes.
#[test]
fn close_releases_every_sleeper() {
    shuttle::check_pct(
        || {
            let event = Arc::new(EventCount::new());
            let (_owner, stealer) = chain::new::<u32>();
            let sleepers: Vec<_> = (0..4)
                .map(|_| {
                    let (event, stealer) = (event.clone(), stealer.clone());
                    thread::spawn(move || stealer.pop_tail_wait(&event))
                })
                .collect();
            event.close();
            for s in sleepers {
                assert_eq!(s.join().unwrap(), None);
            }
        },
        1_000,
        3,
    );
}
