//! A small work-stealing thread pool on `chain` + `EventCount`.
//!
//! N workers each own a chain: a worker pushes the subtasks it creates at its own head (LIFO,
//! cache-warm) and, when it runs dry, steals from the other workers' tails (FIFO, the biggest
//! pieces). A worker that finds nothing anywhere sleeps on one shared `EventCount`; every push
//! notifies it. The workload is a recursive Fibonacci split into tasks down to a cutoff.
//!
//! The example prints the throughput and how much CPU the pool burns while idle, measured as
//! process CPU time (getrusage) against wall time over one idle second, once with sleeping
//! workers and once, for contrast, with workers that spin (`yield_now`) instead of sleeping.
//!
//! ```text
//! cargo run --release --example work_stealing [workers] [fib n]
//! ```

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use poolqueue::chain::{self, Owner, Stealer};
use poolqueue::EventCount;

/// Below this, a task computes its Fibonacci number sequentially.
const CUTOFF: u32 = 20;

fn fib(n: u32) -> u64 {
    if n < 2 {
        n as u64
    } else {
        fib(n - 1) + fib(n - 2)
    }
}

/// Process CPU time (user + system, all threads).
#[cfg(target_os = "linux")]
fn cpu_time() -> Duration {
    // SAFETY: `getrusage` only writes into the zeroed struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

#[cfg(not(target_os = "linux"))]
fn cpu_time() -> Duration {
    Duration::ZERO // not measured on this target
}

struct Shared {
    /// Wakes idle workers; closed at shutdown.
    work: EventCount,
    /// Wakes the submitter when a job's last task finished.
    done: EventCount,
    /// One stealer per worker chain, plus the injector (last).
    stealers: Vec<Stealer<u32>>,
    /// Tasks created and not yet finished.
    pending: AtomicUsize,
    /// The running sum of the leaves' results.
    sum: AtomicU64,
    /// Tasks run, for the throughput figure.
    tasks: AtomicU64,
    /// Contrast mode: idle workers spin instead of sleeping.
    spin: bool,
    stop: AtomicBool,
}

impl Shared {
    /// Steals one task, starting with the chain after `me` so thieves spread out.
    fn steal(&self, me: usize) -> Option<u32> {
        let n = self.stealers.len();
        (1..=n).find_map(|k| self.stealers[(me + k) % n].pop_tail())
    }

    fn finish_one(&self) {
        // AcqRel: the Release half publishes this task's `sum` update to the submitter; the
        // Acquire half orders it after the other tasks' decrements.
        if self.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.done.notify_all();
        }
    }
}

fn worker(me: usize, own: Owner<u32>, shared: Arc<Shared>) {
    loop {
        let task = own.pop_head().or_else(|| shared.steal(me)).or_else(|| {
            if shared.spin {
                while !shared.stop.load(Ordering::Acquire) {
                    if let Some(t) = shared.steal(me) {
                        return Some(t);
                    }
                    thread::yield_now();
                }
                None
            } else {
                // Sleeps until a push anywhere; `None` once the pool is closed and empty.
                shared.work.wait_until(|| shared.steal(me))
            }
        });
        let Some(mut n) = task else { return };
        // Split down to the cutoff: push one half (stealable), keep the other.
        while n >= CUTOFF {
            // Relaxed: the counter only has to be exact, and `n - 2` is still pending in this
            // thread, so it cannot reach zero meanwhile.
            shared.pending.fetch_add(1, Ordering::Relaxed);
            own.push_head_notify(n - 1, &shared.work);
            n -= 2;
            shared.tasks.fetch_add(1, Ordering::Relaxed);
        }
        shared.sum.fetch_add(fib(n), Ordering::Relaxed);
        shared.tasks.fetch_add(1, Ordering::Relaxed);
        shared.finish_one();
    }
}

struct Pool {
    shared: Arc<Shared>,
    injector: Mutex<Owner<u32>>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl Pool {
    fn new(workers: usize, spin: bool) -> Pool {
        let mut owners = Vec::new();
        let mut stealers = Vec::new();
        for _ in 0..=workers {
            let (owner, stealer) = chain::new::<u32>();
            owners.push(owner);
            stealers.push(stealer);
        }
        let injector = owners
            .pop()
            .expect("one chain per worker plus the injector");
        let shared = Arc::new(Shared {
            work: EventCount::new(),
            done: EventCount::new(),
            stealers,
            pending: AtomicUsize::new(0),
            sum: AtomicU64::new(0),
            tasks: AtomicU64::new(0),
            spin,
            stop: AtomicBool::new(false),
        });
        let threads = owners
            .into_iter()
            .enumerate()
            .map(|(i, own)| {
                let shared = shared.clone();
                thread::spawn(move || worker(i, own, shared))
            })
            .collect();
        Pool {
            shared,
            injector: Mutex::new(injector),
            threads,
        }
    }

    /// Computes fib(n) on the pool and waits for it.
    fn fib(&self, n: u32) -> u64 {
        self.shared.sum.store(0, Ordering::Relaxed);
        self.shared.pending.store(1, Ordering::Relaxed);
        self.injector
            .lock()
            .unwrap()
            .push_head_notify(n, &self.shared.work);
        // Acquire: pairs with the last task's AcqRel decrement, so `sum` is complete.
        let done = || (self.shared.pending.load(Ordering::Acquire) == 0).then_some(());
        self.shared.done.wait_until(done);
        self.shared.sum.load(Ordering::Relaxed)
    }

    fn shutdown(self) {
        self.shared.stop.store(true, Ordering::Release);
        self.shared.work.close();
        for t in self.threads {
            t.join().unwrap();
        }
    }
}

fn run(workers: usize, n: u32, spin: bool) {
    let mode = if spin {
        "spinning idle workers (contrast)"
    } else {
        "sleeping idle workers (EventCount)"
    };
    println!("== {workers} workers, {mode}");
    let pool = Pool::new(workers, spin);
    let expected = fib(n);

    let jobs = if spin { 1 } else { 5 };
    let (wall, cpu) = (Instant::now(), cpu_time());
    for _ in 0..jobs {
        assert_eq!(pool.fib(n), expected);
    }
    let (wall, cpu) = (wall.elapsed(), cpu_time() - cpu);
    let tasks = pool.shared.tasks.load(Ordering::Relaxed);
    println!(
        "busy: {jobs} x fib({n}) = {expected} in {:.3} s: {:.0} tasks/s ({tasks} tasks), CPU {:.3} s = {:.2} cores",
        wall.as_secs_f64(),
        tasks as f64 / wall.as_secs_f64(),
        cpu.as_secs_f64(),
        cpu.as_secs_f64() / wall.as_secs_f64()
    );

    // One idle second: every worker has nothing to do.
    thread::sleep(Duration::from_millis(50)); // let them settle
    let (wall, cpu) = (Instant::now(), cpu_time());
    thread::sleep(Duration::from_secs(1));
    let (wall, cpu) = (wall.elapsed(), cpu_time() - cpu);
    println!(
        "idle: CPU {:.6} s over {:.3} s wall = {:.4} cores ({:.2} % of one core)",
        cpu.as_secs_f64(),
        wall.as_secs_f64(),
        cpu.as_secs_f64() / wall.as_secs_f64(),
        100.0 * cpu.as_secs_f64() / wall.as_secs_f64()
    );

    // Wake-up from idle: the first job after the idle second.
    let t = Instant::now();
    assert_eq!(pool.fib(CUTOFF), fib(CUTOFF));
    println!(
        "first small job after idle: {:.1} us",
        t.elapsed().as_secs_f64() * 1e6
    );
    pool.shutdown();
}

fn main() {
    let mut args = std::env::args().skip(1);
    let workers = args.next().and_then(|a| a.parse().ok()).unwrap_or_else(|| {
        thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(2, 8)
    });
    let n = args.next().and_then(|a| a.parse().ok()).unwrap_or(35);
    run(workers, n, false);
    run(workers, n, true);
}
