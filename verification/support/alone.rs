//! Running one test alone, in a child process of its test binary (native binary only).
//!
//! Thread ids, live-ring counts and the resident set size are process-wide: a test that reads
//! them, or that must know which thread takes an exited thread's id, runs in a child process
//! that runs only it (`--exact`, one test thread). Under Miri (no child processes; its lanes run
//! tests one at a time) the body runs in place.

/// `alone!("test_name", || ...)`: runs the body alone in a child process, as the test
/// `<calling module>::test_name` ([`run_alone`] with the caller's `module_path!()`).
macro_rules! alone {
    ($name:expr, $body:expr $(,)?) => {
        $crate::support::alone::run_alone(module_path!(), $name, $body)
    };
}
pub(crate) use alone;

/// Runs `body` alone in a child process. `module` is the caller's `module_path!()`, `name` the
/// test function's name.
pub(crate) fn run_alone(module: &str, name: &str, body: impl FnOnce()) {
    const CHILD: &str = "POOLQUEUE_ALONE";
    // The test's path in this binary: `<module>::<name>`, without the crate name.
    let module = module.split_once("::").map_or("", |(_, m)| m);
    let name = &format!("{module}::{name}");
    if cfg!(miri) || std::env::var(CHILD).as_deref() == Ok(name) {
        body();
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .output()
        .expect("run the test binary as a child");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && text.contains("1 passed"),
        "child run of {name} failed:\n{text}"
    );
    print!("{text}");
}
