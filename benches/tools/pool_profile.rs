//! Instructions per pool operation, and where they go.
//!
//! ```text
//! cargo run --release --example pool_profile          # the report (needs valgrind)
//! cargo run --release --example pool_profile p1 1000  # one shape, n times (for callgrind)
//! ```
//! Without arguments it runs itself under `valgrind --tool=callgrind` twice per shape, with `n`
//! and `2n` repetitions, and prints the difference divided by the items of `n` repetitions: the
//! cost of one more item without the set-up, in total and per function (inlined code counts
//! in the function it was inlined into). With a shape and a count it runs that shape `n` times
//! on one thread (what `benches/pool_report.sh` measures). Shapes: `p1` (one get and its
//! return), `p2` (100 gets held, then 100 returns); `lf1`/`lf2` the same on
//! lockfree-object-pool, `mv1`/`mv2` on a `Mutex<Vec<T>>`.

use std::hint::black_box;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(shape) = args.next() else {
        report();
        return;
    };
    let n: u64 = args
        .next()
        .map_or(1_000_000, |s| s.parse().expect("a count"));
    run(&shape, n);
}

/// Runs `shape` `n` times.
#[inline(never)]
fn run(shape: &str, n: u64) {
    let pool = poolqueue::Pool::new(|| Vec::<u8>::with_capacity(1024));
    match shape {
        "p1" => {
            for _ in 0..n {
                let v = pool.get();
                black_box(&*v);
            }
        }
        "p2" => {
            let mut held = Vec::with_capacity(100);
            for _ in 0..n {
                for _ in 0..100 {
                    held.push(pool.get());
                }
                black_box(&held);
                held.clear();
            }
        }
        "lf1" | "lf2" => {
            let pool = lockfree_object_pool::LinearObjectPool::new(
                || Vec::<u8>::with_capacity(1024),
                |v| v.clear(),
            );
            let per = if shape == "lf1" { 1 } else { 100 };
            let mut held = Vec::with_capacity(100);
            for _ in 0..n {
                for _ in 0..per {
                    held.push(pool.pull());
                }
                black_box(&held);
                held.clear();
            }
        }
        "mv1" | "mv2" => {
            let pool = std::sync::Mutex::new(Vec::<Vec<u8>>::new());
            let per = if shape == "mv1" { 1 } else { 100 };
            let mut held = Vec::with_capacity(100);
            for _ in 0..n {
                for _ in 0..per {
                    let v = pool.lock().unwrap().pop();
                    held.push(v.unwrap_or_else(|| Vec::with_capacity(1024)));
                }
                black_box(&held);
                for mut v in held.drain(..) {
                    v.clear();
                    pool.lock().unwrap().push(v);
                }
            }
        }
        other => panic!("unknown shape {other}: p1, p2, lf1, lf2, mv1 or mv2"),
    }
}

/// The shapes of the report: name, repetitions, items per repetition.
const SHAPES: [(&str, u64, u64); 6] = [
    ("p1", 200_000, 1),
    ("p2", 2_000, 100),
    ("lf1", 200_000, 1),
    ("lf2", 2_000, 100),
    ("mv1", 200_000, 1),
    ("mv2", 2_000, 100),
];

/// Runs every shape under callgrind at `n` and `2n` and prints instructions per item, in total
/// and per function. Never inlined: `main` stays as small as before, so the compiler inlines
/// the pool calls into it as it did.
#[inline(never)]
fn report() {
    let me = std::env::current_exe().expect("the example's path");
    if std::process::Command::new("valgrind")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("valgrind not found: install it (apt-get install valgrind) for the report");
        std::process::exit(2);
    }
    println!("instructions per item, one thread (callgrind; `2n` minus `n` repetitions)");
    for (shape, n, items) in SHAPES {
        let small = profile(&me, shape, n);
        let large = profile(&me, shape, 2 * n);
        let per_item = |a: u64, b: u64| (b as f64 - a as f64) / (n * items) as f64;
        let total = per_item(small.total, large.total);
        println!("\n{shape}: {total:.1} instructions per item");
        let mut rows: Vec<(String, f64)> = large
            .functions
            .iter()
            .map(|(name, &ir)| {
                let before = small.functions.get(name).copied().unwrap_or(0);
                (name.clone(), per_item(before, ir))
            })
            .filter(|(_, cost)| *cost >= 0.5)
            .collect();
        rows.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (name, cost) in rows {
            println!("  {cost:6.1}  {}", shorten(&name));
        }
    }
}

/// The instruction counts of one callgrind run: in total and per function (exclusive).
struct Profile {
    total: u64,
    functions: std::collections::BTreeMap<String, u64>,
}

#[inline(never)]
fn profile(me: &std::path::Path, shape: &str, n: u64) -> Profile {
    let out = std::env::temp_dir().join(format!("pool_profile.{}.{shape}.{n}", std::process::id()));
    let status = std::process::Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(me)
        .arg(shape)
        .arg(n.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("valgrind runs");
    assert!(status.success(), "callgrind run of {shape} {n} failed");
    let annotated = std::process::Command::new("callgrind_annotate")
        .arg("--threshold=100")
        .arg(&out)
        .output()
        .expect("callgrind_annotate runs");
    let _ = std::fs::remove_file(&out);
    let text = String::from_utf8_lossy(&annotated.stdout);
    let mut total = 0;
    let mut functions = std::collections::BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        let Some((count, rest)) = line.split_once(' ') else {
            continue;
        };
        let Ok(ir) = count.replace(',', "").parse::<u64>() else {
            continue;
        };
        let rest = rest.trim_start();
        // "(12.34%)  file:function [object]", or "(100.0%)  PROGRAM TOTALS".
        let rest = rest.split_once(')').map_or(rest, |(_, r)| r).trim();
        if rest.starts_with("PROGRAM TOTALS") {
            total = ir;
            continue;
        }
        let name = rest.split(" [").next().unwrap_or(rest);
        let name = name.split_once(':').map_or(name, |(_, f)| f);
        *functions.entry(name.to_string()).or_insert(0) += ir;
    }
    Profile { total, functions }
}

/// A function name without its long generic arguments' paths.
fn shorten(name: &str) -> String {
    name.replace("alloc::vec::", "")
        .replace("poolqueue::pool::", "")
        .replace("core::ptr::", "")
}
