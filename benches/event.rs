//! `EventCount` costs: the notify a push pays when nobody sleeps, the wake-up latency, and the CPU
//! an idle pool burns while its workers sleep.
//!
//! ```text
//! cargo bench --bench event
//! ```
//!
//! Criterion groups: `notify` (push+pop with and without the notify, the bare notify) and
//! `ping_pong` (a round trip between two threads that sleep on their events). Printed after
//! them: the latency from a push to a sleeping stealer's return (median, p99), and the process
//! CPU time over one second with every worker asleep.

use std::hint::black_box;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use poolqueue::{chain, EventCount};

fn bench_notify(c: &mut Criterion) {
    let mut g = c.benchmark_group("notify");
    let event = EventCount::new();
    let (owner, _stealer) = chain::new::<u64>();
    g.bench_function("push_pop", |b| {
        b.iter(|| {
            owner.push_head(black_box(1));
            black_box(owner.pop_head())
        })
    });
    g.bench_function("push_notify_pop", |b| {
        b.iter(|| {
            owner.push_head_notify(black_box(1), &event);
            black_box(owner.pop_head())
        })
    });
    g.bench_function("notify_one_no_waiters", |b| b.iter(|| event.notify_one()));
    g.finish();
}

/// Round trips: main pushes to chain A and waits on chain B; the echo thread waits on A and
/// pushes to B. Each side sleeps between messages unless the other answers first.
fn bench_ping_pong(c: &mut Criterion) {
    let mut g = c.benchmark_group("ping_pong");
    g.measurement_time(Duration::from_secs(3));
    let (ea, eb) = (Arc::new(EventCount::new()), Arc::new(EventCount::new()));
    let (to_echo, from_main) = chain::new::<u64>();
    let (to_main, from_echo) = chain::new::<u64>();
    let echo = {
        let (ea, eb) = (ea.clone(), eb.clone());
        thread::spawn(move || {
            while let Some(v) = from_main.pop_tail_wait(&ea) {
                to_main.push_head_notify(v, &eb);
            }
        })
    };
    g.bench_function(BenchmarkId::from_parameter("round_trip"), |b| {
        b.iter(|| {
            to_echo.push_head_notify(black_box(7), &ea);
            black_box(from_echo.pop_tail_wait(&eb))
        })
    });
    g.finish();
    ea.close();
    echo.join().unwrap();
}

/// Latency from a push to the return of a stealer that was asleep in the futex: the stealer is
/// given 300 µs to fall asleep before each push.
fn sleeping_wake_latency() {
    let event = Arc::new(EventCount::new());
    let (owner, stealer) = chain::new::<Instant>();
    let (tx, rx) = std::sync::mpsc::channel::<Duration>();
    let sleeper = {
        let event = event.clone();
        thread::spawn(move || {
            while let Some(pushed) = stealer.pop_tail_wait(&event) {
                tx.send(pushed.elapsed()).unwrap();
            }
        })
    };
    let mut samples: Vec<Duration> = (0..2_000)
        .map(|_| {
            thread::sleep(Duration::from_micros(300));
            owner.push_head_notify(Instant::now(), &event);
            rx.recv().unwrap()
        })
        .collect();
    event.close();
    sleeper.join().unwrap();
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
    println!(
        "wake-up latency, push -> sleeping stealer returns ({} samples): median {:.1} us, p90 {:.1} us, p99 {:.1} us",
        samples.len(),
        at(0.5),
        at(0.9),
        at(0.99)
    );
}

/// Process CPU time (user + system, all threads).
#[cfg(target_os = "linux")]
fn cpu_time() -> Option<Duration> {
    // SAFETY: `getrusage` only writes into the zeroed struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Some(tv(usage.ru_utime) + tv(usage.ru_stime))
}

#[cfg(not(target_os = "linux"))]
fn cpu_time() -> Option<Duration> {
    None
}

/// CPU burnt over one second by `workers` stealers asleep on an empty chain.
fn idle_cpu(workers: usize) {
    let event = Arc::new(EventCount::new());
    let (_owner, stealer) = chain::new::<u64>();
    let threads: Vec<_> = (0..workers)
        .map(|_| {
            let (event, stealer) = (event.clone(), stealer.clone());
            thread::spawn(move || stealer.pop_tail_wait(&event))
        })
        .collect();
    thread::sleep(Duration::from_millis(100)); // all asleep
    let (wall, cpu) = (Instant::now(), cpu_time());
    thread::sleep(Duration::from_secs(1));
    let (wall, cpu) = (wall.elapsed(), cpu_time().zip(cpu).map(|(b, a)| b - a));
    match cpu {
        Some(cpu) => println!(
            "idle CPU, {workers} workers asleep: {:.1} us of CPU over {:.3} s wall ({:.5} % of one core)",
            cpu.as_secs_f64() * 1e6,
            wall.as_secs_f64(),
            100.0 * cpu.as_secs_f64() / wall.as_secs_f64()
        ),
        None => println!("idle CPU: not measured on this target"),
    }
    event.close();
    for t in threads {
        assert_eq!(t.join().unwrap(), None);
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_notify(&mut c);
    bench_ping_pong(&mut c);
    c.final_summary();
    sleeping_wake_latency();
    idle_cpu(4);
}
