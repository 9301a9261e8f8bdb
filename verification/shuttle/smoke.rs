//! Smoke check proving the `sync` seam switches to shuttle: an owner and two stealers share a
//! chain under random schedules; every value is seen exactly once.
use poolqueue::__test_hooks as hooks;
use shuttle::thread;

#[test]
fn chain_values_are_seen_exactly_once() {
    shuttle::check_random(
        || {
            let (owner, stealer) = hooks::chain_with_start_index::<u32>(u32::MAX - 3);
            let thieves: Vec<_> = (0..2)
                .map(|_| {
                    let s = stealer.clone();
                    thread::spawn(move || {
                        let mut got = Vec::new();
                        for _ in 0..6 {
                            got.extend(s.pop_tail());
                        }
                        got
                    })
                })
                .collect();
            let mut got = Vec::new();
            for i in 0..20 {
                owner.push_head(i);
                if i % 5 == 4 {
                    got.extend(owner.pop_head());
                }
            }
            for t in thieves {
                got.extend(t.join().unwrap());
            }
            while let Some(v) = owner.pop_head() {
                got.push(v);
            }
            got.sort();
            assert_eq!(got, (0..20).collect::<Vec<_>>());
        },
        1000,
    );
}
