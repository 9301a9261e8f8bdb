//! The verification report: runs every checker lane within a time budget and prints, per
//! property, what each checker explored and its verdict.
//!
//! ```text
//! cargo xtask verify                                # default budget (2400 s)
//! cargo xtask verify --long                         # bigger campaigns
//! cargo xtask verify --lanes shuttle,miri-sb --budget 600
//! cargo xtask verify --list                         # the lanes and their commands
//! cargo xtask verify --setup                        # first install what the lanes need
//! ```
//!
//! # Tools
//!
//! The `miri-*`, `fuzz` and `tsan` lanes need a nightly toolchain with the `miri` and `rust-src`
//! components and `cargo-fuzz`. Without them those lanes are reported as `skipped`, each with the
//! command that turns it on, and the report ends with a note naming them. `--setup` installs
//! everything first (`rustup toolchain install nightly` if there is none, `rustup component add
//! --toolchain nightly miri rust-src`, `cargo +nightly miri setup`, `cargo install cargo-fuzz
//! --locked`), so on a fresh machine `cargo xtask verify --setup` runs every lane. `--no-run`
//! only builds what the `cargo test` lanes run (for CI, so compile time does not eat the lanes'
//! time shares).
//!
//! Every figure in the table is parsed from what the lanes print; nothing is hard-coded.
//!
//! # Lanes
//!
//! A lane is one command (usually `cargo test` with some features or toolchain) plus the
//! properties it checks as a whole. A lane whose tool is missing (nightly, Miri, cargo-fuzz) is
//! shown as `skipped: <reason>`; a lane that runs past its share of the budget is killed and shown
//! as `partial`: what it covered until then (its passed tests, its `POOLQUEUE-STAT` lines) is
//! reported, marked partial, and does not fail the run (a test that fails before the cut still
//! does; every test that waits on another thread has a watchdog, so a hang is a failure with a
//! message, not a cut). To add a lane, add an entry to `verification/checkers.toml`.
//!
//! # The `POOLQUEUE-STAT` convention
//!
//! A test that explored something prints one line per campaign after its checks passed:
//!
//! ```text
//! POOLQUEUE-STAT checker=<name> property=<P1,P2,...> [test=<name>] <key>=<integer> ...
//! ```
//!
//! The report runs tests with `--nocapture`, finds such lines anywhere in a line of output, and
//! sums every integer field per (lane, checker, property); non-integer fields (`test`,
//! `scheduler`) are listed. Property ids: P1 no loss, P2 no duplicate, P3 linearizable, P4 no data
//! race or UB, P5 no use-after-free or leak, P6 progress. With `--long`, every lane runs with
//! `POOLQUEUE_LONG=1` in its environment, for tests that scale their campaigns themselves.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Measures listed first in the "explored" column, in this order.
const FIRST: [&str; 6] = [
    "executions",
    "bursts",
    "histories",
    "calls",
    "runs",
    "values",
];

const PROPERTIES: [(&str, &str); 6] = [
    ("P1", "no loss"),
    ("P2", "no duplicate"),
    ("P3", "linearizable"),
    ("P4", "no data race / UB"),
    ("P5", "no use-after-free / leak"),
    ("P6", "progress"),
];

/// Set once from the command line.
static MODE_LONG: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// How big the campaigns are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Default,
    Long,
}

/// One checker lane: an entry of the registry (`verification/checkers.toml`) with a `lane`.
struct Lane {
    name: String,
    /// What it runs, in a few words.
    what: String,
    /// Properties the lane checks as a whole (beyond its `POOLQUEUE-STAT` lines), with what the
    /// passing tests stand for.
    covers: Vec<String>,
    /// Share of the budget, relative to the other lanes.
    weight: u32,
    /// `Err(reason)` when the lane cannot run here.
    available: fn() -> Result<(), String>,
    /// The command template (`lane`), its environment (`lane_env`), and the items it runs once
    /// for (`each`).
    command: String,
    env: Vec<String>,
    each: Vec<String>,
}

struct Cmd {
    program: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

fn always() -> Result<(), String> {
    Ok(())
}

/// `Ok` if `cargo +nightly <tool> --version` succeeds, else `Err(missing)`.
fn nightly_tool(tool: &str, missing: String) -> Result<(), String> {
    let out = Command::new("cargo")
        .args(["+nightly", tool, "--version"])
        .output()
        .map_err(|e| format!("cannot run cargo +nightly: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(missing)
    }
}

fn has_miri() -> Result<(), String> {
    nightly_tool(
        "miri",
        format!("no nightly toolchain with the miri component (rustup component add --toolchain nightly miri, or {SETUP})"),
    )
}

fn has_fuzz() -> Result<(), String> {
    if !crate::root().join("fuzz/Cargo.toml").exists() {
        return Err("no fuzz/ crate in this tree".into());
    }
    nightly_tool(
        "fuzz",
        format!("cargo-fuzz or nightly missing (cargo install cargo-fuzz --locked, or {SETUP})"),
    )
}

/// How to get every tool at once; each missing tool's reason names it too.
const SETUP: &str = "cargo xtask verify --setup";

/// The host triple of the nightly toolchain (`-Zbuild-std` needs an explicit `--target`).
fn nightly_host() -> Result<String, String> {
    let out = Command::new("rustc")
        .args(["+nightly", "-vV"])
        .output()
        .map_err(|e| format!("cannot run rustc +nightly: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "no nightly toolchain (rustup toolchain install nightly, or {SETUP})"
        ));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .ok_or_else(|| "rustc +nightly -vV names no host".to_string())
}

/// ThreadSanitizer needs nightly, `rust-src` (std is rebuilt instrumented) and a host it supports.
fn has_tsan() -> Result<(), String> {
    let host = nightly_host()?;
    if ![
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
    ]
    .contains(&host.as_str())
    {
        return Err(format!("ThreadSanitizer does not support the host {host}"));
    }
    let sysroot = Command::new("rustc")
        .args(["+nightly", "--print", "sysroot"])
        .output()
        .map_err(|e| format!("cannot run rustc +nightly: {e}"))?;
    let sysroot = String::from_utf8_lossy(&sysroot.stdout).trim().to_string();
    if PathBuf::from(&sysroot)
        .join("lib/rustlib/src/rust/library/std")
        .exists()
    {
        Ok(())
    } else {
        Err(format!(
            "nightly has no rust-src component (rustup component add --toolchain nightly \
             rust-src, or {SETUP})"
        ))
    }
}

/// The lanes, in the registry's order (`verification/checkers.toml`: add a lane there).
fn lanes() -> Vec<Lane> {
    crate::checkers::load()
        .iter()
        .filter_map(|c| {
            let command = c.str("lane")?.to_string();
            let available: fn() -> Result<(), String> = match c.str("lane_needs") {
                None => always,
                Some("nightly-miri") => has_miri,
                Some("cargo-fuzz") => has_fuzz,
                Some("tsan") => has_tsan,
                Some(other) => {
                    eprintln!("[verify] lane {}: unknown lane_needs {other:?}", c.name());
                    std::process::exit(2)
                }
            };
            Some(Lane {
                name: c.name().to_string(),
                what: c.str("lane_what").unwrap_or(&command).to_string(),
                covers: c.list("lane_covers").to_vec(),
                weight: c.int("lane_weight").unwrap_or(1).try_into().unwrap_or(1),
                available,
                command,
                env: c.list("lane_env").to_vec(),
                each: c.list("each").to_vec(),
            })
        })
        .collect()
}

impl Lane {
    /// The commands to run: the template once, or once per `each` item, placeholders filled.
    fn commands(&self, mode: Mode) -> Vec<Cmd> {
        let items: Vec<Option<&str>> = if self.each.is_empty() {
            vec![None]
        } else {
            self.each.iter().map(|e| Some(e.as_str())).collect()
        };
        items
            .into_iter()
            .map(|item| {
                let fill = |text: &str| fill(text, mode, item);
                let words: Vec<String> = fill(&self.command)
                    .split_whitespace()
                    .map(str::to_string)
                    .collect();
                let env = self
                    .env
                    .iter()
                    .filter_map(|kv| {
                        let (k, v) = kv.split_once('=')?;
                        Some((k.to_string(), fill(v).trim().to_string()))
                    })
                    .collect();
                let (program, args) = match words.split_first() {
                    // `cargo +toolchain`: through rustup's proxy; plain `cargo`: the one running
                    // this tool.
                    Some((p, rest))
                        if p == "cargo" && !rest.first().is_some_and(|a| a.starts_with('+')) =>
                    {
                        (
                            std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()),
                            rest.to_vec(),
                        )
                    }
                    Some((p, rest)) => (p.clone(), rest.to_vec()),
                    None => (String::new(), Vec::new()),
                };
                Cmd { program, args, env }
            })
            .collect()
    }
}

/// Fills a lane's placeholders (`verification/checkers.toml` lists them).
fn fill(text: &str, mode: Mode, each: Option<&str>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        out.push_str(&rest[..open]);
        let name = &rest[open + 1..close];
        let value = match name {
            "each" => each.unwrap_or_default().to_string(),
            "host" => nightly_host().unwrap_or_else(|_| "x86_64-unknown-linux-gnu".into()),
            "target-dir" => std::env::var("CARGO_TARGET_DIR")
                .unwrap_or_else(|_| crate::root().join("target").display().to_string()),
            "miriflags" => miri_flags(mode),
            _ => match name.strip_prefix("long:").and_then(|v| v.split_once(':')) {
                Some((default, long)) => match mode {
                    Mode::Default => default.to_string(),
                    Mode::Long => long.to_string(),
                },
                None => format!("{{{name}}}"),
            },
        };
        out.push_str(&value);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Miri flags every Miri lane starts from: the caller's `MIRIFLAGS` and the environment the tests
/// read. Schedules under several seeds are the `miri-seeds` lane's (`-Zmiri-many-seeds`).
fn miri_flags(_mode: Mode) -> String {
    let mut flags = std::env::var("MIRIFLAGS").unwrap_or_default();
    for f in [
        "-Zmiri-env-forward=POOLQUEUE_STRESS_BURSTS",
        "-Zmiri-env-forward=POOLQUEUE_LONG",
    ] {
        flags.push(' ');
        flags.push_str(f);
    }
    flags.trim().to_string()
}

/// What a lane printed and how it ended.
#[derive(Default)]
struct Outcome {
    verdict: Verdict,
    seconds: f64,
    passed: u64,
    failed: u64,
    ignored: u64,
    failures: Vec<String>,
    /// (checker, property) -> field -> sum
    stats: BTreeMap<(String, String), BTreeMap<String, u64>>,
    /// (checker, property) -> text field -> values seen
    labels: BTreeMap<(String, String), BTreeMap<String, Vec<String>>>,
    /// Whether any `POOLQUEUE-STAT` line was seen.
    any_stat: bool,
    /// Failure messages that name a property (`P3: ...` at the start of a line) -> first lines.
    violations: BTreeMap<String, Vec<String>>,
    /// libFuzzer: total runs.
    fuzz_runs: u64,
    /// ThreadSanitizer: reports (one `SUMMARY:` line each).
    tsan_reports: u64,
    /// Miri's `-Zmiri-many-seeds`: the seeds tried (one `Trying seed:` line each), and those
    /// that failed.
    miri_seeds: Vec<u64>,
    miri_failing_seeds: Vec<u64>,
    log: PathBuf,
}

#[derive(Default, Clone, PartialEq, Eq)]
enum Verdict {
    #[default]
    Pass,
    Fail(String),
    /// Cut short by its time share: what ran passed, the rest did not run.
    Partial,
    Skipped(String),
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::Pass => write!(f, "pass"),
            Verdict::Fail(why) => write!(f, "FAIL ({why})"),
            Verdict::Partial => write!(f, "partial (cut short by its time share)"),
            Verdict::Skipped(why) => write!(f, "skipped: {why}"),
        }
    }
}

fn parse_line(line: &str, out: &mut Outcome) {
    if let Some(at) = line.find("POOLQUEUE-STAT ") {
        let mut checker = String::from("?");
        let mut props = Vec::new();
        let mut nums = Vec::new();
        let mut texts = Vec::new();
        for field in line[at + "POOLQUEUE-STAT ".len()..].split_whitespace() {
            let Some((k, v)) = field.split_once('=') else {
                continue;
            };
            match k {
                "checker" => checker = v.to_string(),
                "property" => props = v.split(',').map(str::to_string).collect(),
                _ => match v.parse::<u64>() {
                    Ok(n) => nums.push((k.to_string(), n)),
                    Err(_) => texts.push((k.to_string(), v.to_string())),
                },
            }
        }
        for p in props {
            let key = (checker.clone(), p);
            let sums = out.stats.entry(key.clone()).or_default();
            for (k, n) in &nums {
                *sums.entry(k.clone()).or_default() += n;
            }
            let labels = out.labels.entry(key).or_default();
            for (k, v) in &texts {
                let seen = labels.entry(k.clone()).or_default();
                if !seen.contains(v) {
                    seen.push(v.clone());
                }
            }
        }
        out.any_stat = true;
    }
    // A failing check names its property: "P3: NotLinearizable ..." (panic message lines).
    let t = line.trim_start();
    if t.len() > 3 && t.starts_with('P') && t.as_bytes()[1].is_ascii_digit() && &t[2..4] == ": " {
        let v = out.violations.entry(t[..2].to_string()).or_default();
        if v.len() < 3 {
            v.push(t.chars().take(110).collect());
        }
    }
    // ThreadSanitizer: every report ends with "SUMMARY: ThreadSanitizer: data race <where>".
    if let Some(at) = line.find("SUMMARY: ThreadSanitizer: ") {
        out.tsan_reports += 1;
        let v = out.violations.entry("P4".to_string()).or_default();
        if v.len() < 3 {
            let what = &line[at + "SUMMARY: ".len()..];
            v.push(what.chars().take(160).collect());
        }
    }
    // Miri, -Zmiri-many-seeds: "Trying seed: 3" per seed, "FAILING SEED: 3" per failure.
    for (prefix, seeds) in [
        ("Trying seed: ", &mut out.miri_seeds),
        ("FAILING SEED: ", &mut out.miri_failing_seeds),
    ] {
        if let Some(n) = line
            .find(prefix)
            .and_then(|at| line[at + prefix.len()..].trim().parse::<u64>().ok())
        {
            seeds.push(n);
        }
    }
    // libtest: "test result: ok. 3 passed; 0 failed; 1 ignored; ..."
    if let Some(rest) = line.trim_start().strip_prefix("test result: ") {
        for part in rest.split(';') {
            let words: Vec<&str> = part.split_whitespace().collect();
            if let [.., n, what] = words.as_slice() {
                if let Ok(n) = n.parse::<u64>() {
                    match *what {
                        "passed" => out.passed += n,
                        "failed" => out.failed += n,
                        "ignored" => out.ignored += n,
                        _ => {}
                    }
                }
            }
        }
    }
    // libtest: "test name ... FAILED"
    if line.starts_with("test ") && line.trim_end().ends_with("FAILED") {
        let name = line["test ".len()..]
            .trim_end()
            .trim_end_matches("FAILED")
            .trim_end()
            .trim_end_matches("...")
            .trim();
        out.failures.push(name.to_string());
    }
    // libFuzzer: "Done 123456 runs in 20 second(s)"
    if let Some(rest) = line.trim_start().strip_prefix("Done ") {
        if let Some(n) = rest
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<u64>().ok())
        {
            out.fuzz_runs += n;
        }
    }
}

/// Runs `cmd` until it ends or `deadline`; appends its output to `log` and parses it.
fn run(cmd: &Cmd, deadline: Instant, log: &mut std::fs::File, out: &mut Outcome) -> bool {
    let mut command = Command::new(&cmd.program);
    command
        .args(&cmd.args)
        .envs(cmd.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Long mode: every lane sees POOLQUEUE_LONG=1, for tests that scale themselves.
    if MODE_LONG.load(std::sync::atomic::Ordering::Relaxed) {
        command.env("POOLQUEUE_LONG", "1");
    }
    command.current_dir(crate::root());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    let env: Vec<String> = cmd.env.iter().map(|(k, v)| format!("{k}={v:?} ")).collect();
    let _ = writeln!(
        log,
        "$ {}{} {}",
        env.concat(),
        cmd.program,
        cmd.args.join(" ")
    );
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => {
            out.verdict = Verdict::Fail(format!("cannot start {}: {e}", cmd.program));
            return false;
        }
    };
    let (tx, rx) = mpsc::channel::<String>();
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|stream| {
        let tx = tx.clone();
        thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        })
    })
    .collect();
    drop(tx);
    let status = loop {
        while let Ok(line) = rx.try_recv() {
            let _ = writeln!(log, "{line}");
            parse_line(&line, out);
        }
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                kill_group(&mut child);
                break None;
            }
            Ok(None) => thread::sleep(Duration::from_millis(50)),
            Err(_) => break None,
        }
    };
    for r in readers {
        let _ = r.join();
    }
    for line in rx.try_iter() {
        let _ = writeln!(log, "{line}");
        parse_line(&line, out);
    }
    match status {
        Some(s) if s.success() => true,
        Some(s) => {
            out.verdict = Verdict::Fail(s.to_string());
            false
        }
        None => {
            out.verdict = Verdict::Partial;
            false
        }
    }
}

/// Ends the child and everything it started (cargo runs test binaries as grandchildren): the
/// child leads its own process group (`process_group(0)` in [`run`]), and the whole group gets
/// SIGKILL. The signal goes through `kill(2)` itself, not the `kill` program: procps-ng's `kill`
/// reads `-KILL -<pgid>` as something else, and measured here it then killed every process of
/// the machine (a lane that ran out of time ended the whole CI run).
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    if let Ok(pgid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: `kill` takes no pointers; a negative pid names exactly the process group
        // `pgid`, which the child leads (pgid > 0, so this is never `kill(-1)` or `kill(0)`).
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

struct Options {
    mode: Mode,
    budget: Duration,
    only: Option<Vec<String>>,
    list: bool,
    setup: bool,
    no_run: bool,
}

fn options(args: Vec<String>) -> Options {
    let mut o = Options {
        mode: Mode::Default,
        budget: Duration::from_secs(0),
        only: None,
        list: false,
        setup: false,
        no_run: false,
    };
    let mut budget = None;
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--long" => o.mode = Mode::Long,
            "--budget" => {
                let secs = args.next().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
                    eprintln!("--budget takes a number of seconds");
                    std::process::exit(2)
                });
                budget = Some(Duration::from_secs(secs));
            }
            "--lanes" => {
                o.only = args
                    .next()
                    .map(|s| s.split(',').map(str::to_string).collect())
            }
            "--list" => o.list = true,
            "--setup" => o.setup = true,
            "--no-run" => o.no_run = true,
            "-h" | "--help" => {
                println!(
                    "usage: cargo xtask verify [--setup] [--long] [--budget SECS] \
                     [--lanes a,b,...] [--list] [--no-run]\n\ndefault budget 2400 s (--long: 7200 s), \
                     shared by the lanes by weight; builds count against it\n--setup: first install \
                     what the lanes need (nightly, its miri and rust-src components, cargo-fuzz)\n\
                     --no-run: only build what the cargo test lanes run"
                );
                std::process::exit(0);
            }
            other => {
                eprintln!("unknown argument {other:?} (try --help)");
                std::process::exit(2);
            }
        }
    }
    o.budget = budget.unwrap_or(Duration::from_secs(match o.mode {
        Mode::Default => 2400,
        Mode::Long => 7200,
    }));
    o
}

/// `--setup`: installs what the lanes need, step by step; a step that fails is reported and its
/// lanes are then shown as skipped (with the reason) rather than stopping the report.
fn setup() {
    let step = |what: &str, program: &str, args: &[&str]| {
        eprintln!("[setup] {what}: $ {program} {}", args.join(" "));
        match Command::new(program).args(args).status() {
            Ok(s) if s.success() => {}
            Ok(s) => eprintln!("[setup] {what}: failed ({s}); the lanes that need it are skipped"),
            Err(e) => eprintln!("[setup] {what}: cannot run {program}: {e}"),
        }
    };
    if nightly_host().is_err() {
        step(
            "a nightly toolchain",
            "rustup",
            &["toolchain", "install", "nightly", "--profile", "minimal"],
        );
    }
    step(
        "Miri and std's source (Miri, ThreadSanitizer's -Zbuild-std)",
        "rustup",
        &[
            "component",
            "add",
            "--toolchain",
            "nightly",
            "miri",
            "rust-src",
        ],
    );
    step("Miri's sysroot", "cargo", &["+nightly", "miri", "setup"]);
    let fuzz = Command::new("cargo")
        .args(["+nightly", "fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !fuzz {
        step(
            "cargo-fuzz",
            "cargo",
            &["install", "cargo-fuzz", "--locked"],
        );
    }
}

/// `--no-run`: builds what each selected `cargo test` lane would run, and runs nothing.
fn build_only(selected: &[&Lane], mode: Mode) {
    for lane in selected {
        if let Err(why) = (lane.available)() {
            eprintln!("[verify] lane {}: skipped: {why}", lane.name);
            continue;
        }
        for cmd in lane.commands(mode) {
            if !cmd.args.iter().any(|a| a == "test") {
                continue;
            }
            let mut args: Vec<String> = cmd
                .args
                .iter()
                .take_while(|a| *a != "--")
                .cloned()
                .collect();
            args.push("--no-run".into());
            eprintln!(
                "[verify] lane {}: $ {} {}",
                lane.name,
                cmd.program,
                args.join(" ")
            );
            let ok = Command::new(&cmd.program)
                .args(&args)
                .envs(cmd.env.iter().map(|(k, v)| (k, v)))
                .current_dir(crate::root())
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                eprintln!("[verify] lane {}: the build failed", lane.name);
                std::process::exit(1);
            }
        }
    }
}

/// `cargo xtask verify [args]`: runs the lanes and prints the report; exits 1 if a lane failed.
pub(crate) fn main(args: Vec<String>) {
    let opts = options(args);
    MODE_LONG.store(
        opts.mode == Mode::Long,
        std::sync::atomic::Ordering::Relaxed,
    );
    let all = lanes();
    let selected: Vec<&Lane> = all
        .iter()
        .filter(|l| opts.only.as_ref().is_none_or(|o| o.contains(&l.name)))
        .collect();
    if let Some(only) = &opts.only {
        for name in only {
            if !all.iter().any(|l| &l.name == name) {
                let names: Vec<&str> = all.iter().map(|l| l.name.as_str()).collect();
                eprintln!("unknown lane {name:?}; the lanes are {}", names.join(", "));
                std::process::exit(2);
            }
        }
    }
    if opts.list {
        for l in &selected {
            println!("{:<8} {}", l.name, l.what);
            for c in l.commands(opts.mode) {
                let env: Vec<String> = c.env.iter().map(|(k, v)| format!("{k}={v:?} ")).collect();
                println!(
                    "         $ {}{} {}",
                    env.concat(),
                    c.program,
                    c.args.join(" ")
                );
            }
        }
        return;
    }
    if opts.setup {
        setup();
    }
    if opts.no_run {
        build_only(&selected, opts.mode);
        return;
    }
    let log_dir =
        PathBuf::from(std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into()))
            .join("verify-logs");
    std::fs::create_dir_all(&log_dir).expect("create the log directory");
    let started = Instant::now();
    let total_weight: u32 = selected.iter().map(|l| l.weight).sum();
    let mut outcomes = Vec::new();
    let mut remaining_weight = total_weight;
    for lane in &selected {
        let mut out = Outcome {
            log: log_dir.join(format!("{}.log", lane.name)),
            ..Outcome::default()
        };
        let t0 = Instant::now();
        match (lane.available)() {
            Err(why) => out.verdict = Verdict::Skipped(why),
            Ok(()) => {
                // The lane's share of what is left, so time a fast lane did not use goes on.
                let left = opts.budget.saturating_sub(started.elapsed());
                let share = left.mul_f64(f64::from(lane.weight) / f64::from(remaining_weight));
                eprintln!(
                    "[verify] lane {} ({} s max): {}",
                    lane.name,
                    share.as_secs(),
                    lane.what
                );
                let deadline = Instant::now() + share;
                let mut log = std::fs::File::create(&out.log).expect("create a log file");
                for cmd in lane.commands(opts.mode) {
                    if !run(&cmd, deadline, &mut log, &mut out) {
                        break;
                    }
                }
                if matches!(out.verdict, Verdict::Pass | Verdict::Partial)
                    && (out.failed > 0 || !out.violations.is_empty())
                {
                    out.verdict = Verdict::Fail(if out.failed > 0 {
                        format!("{} tests failed", out.failed)
                    } else {
                        "a property failed".into()
                    });
                }
                if let Verdict::Fail(why) = &out.verdict {
                    if !out.failures.is_empty() {
                        out.verdict =
                            Verdict::Fail(format!("{why}; failed: {}", out.failures.join(", ")));
                    }
                }
            }
        }
        remaining_weight -= lane.weight;
        out.seconds = t0.elapsed().as_secs_f64();
        eprintln!(
            "[verify] lane {}: {} in {:.0} s",
            lane.name, out.verdict, out.seconds
        );
        outcomes.push((*lane, out));
    }
    print_report(&outcomes, opts.mode, started.elapsed());
    let failed = outcomes.iter().any(|(_, o)| fails_the_run(&o.verdict));
    std::process::exit(if failed { 1 } else { 0 });
}

fn print_report(outcomes: &[(&Lane, Outcome)], mode: Mode, elapsed: Duration) {
    println!();
    println!(
        "poolqueue verification report ({} mode, {:.0} s)",
        if mode == Mode::Long {
            "long"
        } else {
            "default"
        },
        elapsed.as_secs_f64()
    );
    println!();
    println!(
        "{:<9} {:<10} {:>7} {:>7} {:>8}  verdict",
        "lane", "time", "passed", "failed", "ignored"
    );
    for (lane, o) in outcomes {
        println!(
            "{:<9} {:<10} {:>7} {:>7} {:>8}  {}",
            lane.name,
            format!("{:.0} s", o.seconds),
            o.passed,
            o.failed,
            o.ignored,
            o.verdict
        );
    }
    println!();
    println!(
        "{:<34} {:<18} {:<9} explored",
        "property: verdict", "checker (lane)", "verdict"
    );
    for (id, name) in PROPERTIES {
        let mut rows: Vec<(String, String, String)> = Vec::new();
        for (lane, o) in outcomes {
            for ((checker, prop), sums) in &o.stats {
                if prop != id {
                    continue;
                }
                // The usual measures first, then the rest alphabetically.
                let mut keys: Vec<&String> = sums.keys().collect();
                keys.sort_by_key(|k| {
                    (FIRST.iter().position(|f| f == k).unwrap_or(FIRST.len()), *k)
                });
                let mut explored: Vec<String> =
                    keys.iter().map(|k| format!("{k}={}", sums[*k])).collect();
                if let Some(labels) = o.labels.get(&(checker.clone(), prop.clone())) {
                    let l: Vec<String> = labels
                        .iter()
                        .map(|(k, v)| format!("{k}={}", v.join(",")))
                        .collect();
                    explored.push(format!("[{}]", l.join(" ")));
                }
                let who = if *checker == lane.name {
                    checker.clone()
                } else {
                    format!("{checker} ({})", lane.name)
                };
                // A stat line is printed only after its campaign's checks passed.
                rows.push((who, "pass".into(), explored.join(" ")));
            }
            if let Some(msgs) = o.violations.get(id) {
                rows.push((lane.name.to_string(), "FAIL".into(), msgs.join(" | ")));
            }
            if lane.covers.iter().any(|c| c == id) {
                let explored = match &o.verdict {
                    Verdict::Skipped(why) => format!("skipped: {why}"),
                    _ if lane.name == "fuzz" => format!("libFuzzer runs={}", o.fuzz_runs),
                    _ if !o.miri_seeds.is_empty() => format!(
                        "Miri seeds run={} ({}){} tests passed={} (summed over the seeds) under {}",
                        o.miri_seeds.len(),
                        seed_ranges(&o.miri_seeds),
                        if o.miri_failing_seeds.is_empty() {
                            String::new()
                        } else {
                            format!(" failing={}", seed_ranges(&o.miri_failing_seeds))
                        },
                        o.passed,
                        lane.what
                    ),
                    _ if lane.name == "tsan" => format!(
                        "tests passed={} ThreadSanitizer reports={} under {}",
                        o.passed, o.tsan_reports, lane.what
                    ),
                    Verdict::Partial => format!(
                        "tests passed={} before the cut, under {}",
                        o.passed, lane.what
                    ),
                    _ => format!("tests passed={} under {}", o.passed, lane.what),
                };
                rows.push((lane.name.to_string(), short(&o.verdict), explored));
            }
        }
        let overall = if rows.iter().any(|r| r.1 == "FAIL") {
            "FAIL"
        } else if rows.iter().any(|r| r.1 == "partial") {
            "partial"
        } else if rows.iter().any(|r| r.1 == "pass") {
            "pass"
        } else {
            "-"
        };
        let title = format!("{id} {name}: {overall}");
        if rows.is_empty() {
            println!(
                "{title:<34} {:<18} {:<9} nothing in the selected lanes",
                "-", "-"
            );
        }
        for (i, (who, verdict, explored)) in rows.iter().enumerate() {
            let t = if i == 0 { title.as_str() } else { "" };
            println!("{t:<34} {who:<18} {verdict:<9} {explored}");
        }
    }
    println!();
    let skipped: Vec<&str> = outcomes
        .iter()
        .filter(|(_, o)| matches!(o.verdict, Verdict::Skipped(_)))
        .map(|(l, _)| l.name.as_str())
        .collect();
    if !skipped.is_empty() {
        println!(
            "note: {} lane(s) skipped ({}): their tools are missing, each line above says which; \
             `{SETUP}` installs them all",
            skipped.len(),
            skipped.join(", ")
        );
    }
    for (lane, o) in outcomes {
        if let Verdict::Fail(why) = &o.verdict {
            if o.violations.is_empty() {
                println!(
                    "note: lane {} failed ({why}) without naming a property",
                    lane.name
                );
            }
        }
        if matches!(o.verdict, Verdict::Partial) {
            println!(
                "note: lane {} was cut short by its time share after {} passed tests: what it \
                 covered is reported above as partial, the rest did not run; raise --budget",
                lane.name, o.passed
            );
        }
        if !o.any_stat && lane.covers.is_empty() && !matches!(o.verdict, Verdict::Skipped(_)) {
            println!(
                "note: lane {} ran {} tests ({}) but printed no POOLQUEUE-STAT lines, so none of \
                 its work is attributed to a property above",
                lane.name,
                o.passed,
                short(&o.verdict)
            );
        }
    }
    for (lane, o) in outcomes {
        if !matches!(o.verdict, Verdict::Skipped(_)) {
            println!("log of {}: {}", lane.name, o.log.display());
        }
    }
}

/// Seeds as ranges: `0..8` for 0 to 7, `0..4,6` otherwise.
fn seed_ranges(seeds: &[u64]) -> String {
    let mut s = seeds.to_vec();
    s.sort_unstable();
    s.dedup();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let mut j = i;
        while j + 1 < s.len() && s[j + 1] == s[j] + 1 {
            j += 1;
        }
        parts.push(if j > i {
            format!("{}..{}", s[i], s[j] + 1)
        } else {
            s[i].to_string()
        });
        i = j + 1;
    }
    parts.join(",")
}

/// Whether a lane's verdict makes the report exit 1: a failure only; a lane cut short by time
/// (`partial`) or skipped does not.
fn fails_the_run(v: &Verdict) -> bool {
    matches!(v, Verdict::Fail(_))
}

fn short(v: &Verdict) -> String {
    match v {
        Verdict::Pass => "pass".into(),
        Verdict::Fail(_) => "FAIL".into(),
        Verdict::Partial => "partial".into(),
        Verdict::Skipped(_) => "skipped".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lane cut short by its deadline is `partial`, keeps what it printed before the cut (its
    /// passed tests and stat lines) and does not fail the run; a failed test before the cut does.
    #[cfg(unix)]
    #[test]
    fn a_lane_cut_short_is_partial_with_what_it_covered() {
        let log_path =
            std::env::temp_dir().join(format!("xtask-partial-{}.log", std::process::id()));
        let mut log = std::fs::File::create(&log_path).expect("log file");
        let cmd = Cmd {
            program: "bash".into(),
            args: vec![
                "-c".into(),
                "echo 'POOLQUEUE-STAT checker=x property=P1 runs=7'; \
                 echo 'test result: ok. 3 passed; 0 failed; 1 ignored'; sleep 30"
                    .into(),
            ],
            env: Vec::new(),
        };
        let mut out = Outcome::default();
        let ok = run(
            &cmd,
            Instant::now() + Duration::from_millis(500),
            &mut log,
            &mut out,
        );
        assert!(!ok && out.verdict == Verdict::Partial, "cut short: partial");
        assert_eq!(
            (out.passed, out.ignored),
            (3, 1),
            "the tests before the cut"
        );
        assert_eq!(
            out.stats[&("x".to_string(), "P1".to_string())]["runs"],
            7,
            "the stat lines before the cut"
        );
        assert!(!fails_the_run(&out.verdict), "a partial lane fails nothing");
        assert!(fails_the_run(&Verdict::Fail("1 tests failed".into())));
        let mut seeds = Outcome::default();
        for line in [
            "Trying seed: 1",
            "Trying seed: 0",
            "Trying seed: 2",
            "Trying seed: 5",
        ] {
            parse_line(line, &mut seeds);
        }
        parse_line("FAILING SEED: 5", &mut seeds);
        assert_eq!(seed_ranges(&seeds.miri_seeds), "0..3,5");
        assert_eq!(seeds.miri_failing_seeds, [5]);
        let _ = std::fs::remove_file(log_path);
    }

    /// A lane that runs past its deadline ends with its whole process group, grandchildren
    /// included, and nothing outside that group: the test process (and a sibling started
    /// beside the lane) is still alive to check. Several lanes in a row, so that several
    /// process-group ids are tried (a misparsed pid argument misbehaved for some ids only).
    #[cfg(unix)]
    #[test]
    fn a_timed_out_lane_is_killed_with_its_group_and_nothing_else() {
        let mut sibling = Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("spawn a sibling");
        let log_path = std::env::temp_dir().join(format!("xtask-kill-{}.log", std::process::id()));
        let mut log = std::fs::File::create(&log_path).expect("log file");
        for round in 0..6 {
            let marker = format!("sleep 61.{}{round}", std::process::id());
            let cmd = Cmd {
                program: "bash".into(),
                // A grandchild that outlives the lane's own process unless the group is killed.
                args: vec!["-c".into(), format!("{marker} & wait")],
                env: Vec::new(),
            };
            let mut out = Outcome::default();
            let ok = run(
                &cmd,
                Instant::now() + Duration::from_millis(300),
                &mut log,
                &mut out,
            );
            assert!(
                !ok && matches!(out.verdict, Verdict::Partial),
                "the lane timed out"
            );
            thread::sleep(Duration::from_millis(100));
            let ps = Command::new("ps")
                .args(["-eo", "args"])
                .output()
                .expect("ps");
            let left = String::from_utf8_lossy(&ps.stdout);
            assert!(
                !left.lines().any(|l| l.trim() == marker),
                "round {round}: the lane's grandchild `{marker}` outlived the kill"
            );
            assert!(
                sibling.try_wait().expect("sibling status").is_none(),
                "round {round}: a process outside the lane's group was killed"
            );
        }
        let _ = sibling.kill();
        let _ = sibling.wait();
        let _ = std::fs::remove_file(log_path);
    }
}
