//! Smoke model proving the `sync` seam switches to loom: one owner and one stealer race for
//! the last value of a ring and of a chain. The full loom suite lives beside this file.
use loom::thread;
use poolqueue::__test_hooks as hooks;
use poolqueue::chain;

#[test]
fn dequeue_last_value_goes_to_exactly_one_popper() {
    loom::model(|| {
        let (owner, stealer) = hooks::dequeue_with_start_index::<Box<u32>>(2, u32::MAX).unwrap();
        owner.push_head(Box::new(1)).unwrap();
        owner.push_head(Box::new(2)).unwrap();
        let thief = thread::spawn(move || stealer.pop_tail());
        let mine = owner.pop_head();
        let stolen = thief.join().unwrap();
        let mut got: Vec<u32> = mine.into_iter().chain(stolen).map(|b| *b).collect();
        while let Some(v) = owner.pop_head() {
            got.push(*v);
        }
        got.sort();
        assert_eq!(got, vec![1, 2]);
    });
}

#[test]
fn chain_growth_races_a_steal() {
    loom::model(|| {
        let (owner, stealer) = chain::new::<Box<u32>>();
        for i in 0..8 {
            owner.push_head(Box::new(i));
        }
        let thief = thread::spawn(move || stealer.pop_tail().map(|b| *b));
        owner.push_head(Box::new(8)); // grows unless the steal freed a slot
        let mut got: Vec<u32> = thief.join().unwrap().into_iter().collect();
        while let Some(v) = owner.pop_head() {
            got.push(*v);
        }
        got.sort();
        assert_eq!(got, (0..9).collect::<Vec<_>>());
    });
}
