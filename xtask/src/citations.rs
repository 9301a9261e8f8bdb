//! `cargo xtask check-citations [--list]`: every repository path cited in the repository's own
//! text exists.
//!
//! Read: every tracked `.md`, `.rs`, `.py`, `.sh` file and every tracked script without an
//! extension that starts with `#!` (`.ci/run`). A cited path is a word made of path characters
//! (`A-Za-z0-9_.-/`) that either ends in a file extension the repository uses (`.rs`, `.md`,
//! `.py`, `.sh`, `.toml`, `.tsv`, `.go`) or starts with one of the repository's top-level entries
//! followed by `/` (`src/`, `verification/`, `.ci/`, ...). Absolute paths and URLs are not
//! repository paths and are skipped. A citation resolves if it names a tracked file or folder:
//! from the repository root, from the citing file's folder, or, for a shorter form
//! (`pool/shards.rs`, `ordering.md`), as the tail of exactly such a tracked path. `--list` prints
//! every citation with where it resolves; without it only the missing ones are printed, and any
//! missing one fails the command.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{exit, Command};

/// Extensions that make a word a file citation.
const EXTENSIONS: &[&str] = &["rs", "md", "py", "sh", "toml", "tsv", "go"];

/// The files whose text is read.
fn is_source(path: &str, root: &Path) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rsplit_once('.') {
        Some((_, ext)) => matches!(ext, "md" | "rs" | "py" | "sh"),
        None => std::fs::read_to_string(root.join(path)).is_ok_and(|t| t.starts_with("#!")),
    }
}

/// Whether git ignores `path` (run from the repository root; false outside a repository).
fn ignored(path: &str) -> bool {
    !path.is_empty()
        && Command::new("git")
            .args(["check-ignore", "-q", "--no-index", path])
            .status()
            .is_ok_and(|s| s.success())
}

fn tracked(root: &Path) -> Vec<String> {
    let out = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root)
        .output()
        .unwrap_or_else(|e| {
            eprintln!("check-citations: cannot run git ls-files: {e}");
            exit(2)
        });
    String::from_utf8_lossy(&out.stdout)
        .split('\0')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Words that look like file names but name something else (a web site).
const NOT_PATHS: &[&str] = &["docs.rs"];

/// The path-like words of `line`, each with the character before it.
fn words(line: &str) -> impl Iterator<Item = (Option<char>, &str)> {
    let is_path_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/');
    let mut rest = line;
    let mut before = None;
    std::iter::from_fn(move || loop {
        let start = rest.find(is_path_char)?;
        before = rest[..start].chars().next_back().or(before);
        let tail = &rest[start..];
        let end = tail.find(|c: char| !is_path_char(c)).unwrap_or(tail.len());
        let (word, after) = tail.split_at(end);
        let prev = before;
        before = word.chars().next_back();
        rest = after;
        // A quoted bare name in a script is a file the script writes or reads at run time
        // (`os.path.join(out, "report.md")`), not a citation.
        let quoted = prev == Some('"') && after.starts_with('"') && !word.contains('/');
        if !quoted {
            return Some((prev, word));
        }
    })
}

/// Every path-like word of `text` that counts as a citation, with its line number.
fn citations<'a>(text: &'a str, top: &BTreeSet<String>) -> Vec<(usize, &'a str)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for (before, word) in words(line) {
            // A trailing `.` ends a sentence; `./x` is `x`.
            let word = word.trim_end_matches('.');
            let word = word.strip_prefix("./").unwrap_or(word);
            // `$out/x.md`, `{target}/x`, `<dir>/x.md`: a path under a placeholder, not in the
            // repository; `/x` absolute; `//` part of a URL.
            let placeholder = matches!(before, Some('$' | '}' | '>'));
            if word.is_empty()
                || placeholder
                || word.starts_with('/')
                || word.contains("//")
                || NOT_PATHS.contains(&word)
            {
                continue;
            }
            let (stem, ext) = match word.rsplit_once('.') {
                Some((stem, ext)) if !ext.contains('/') => (stem, ext),
                _ => ("", ""),
            };
            let file = !stem.is_empty() && !stem.ends_with('/') && EXTENSIONS.contains(&ext);
            let in_tree = word
                .split_once('/')
                .is_some_and(|(first, rest)| !rest.is_empty() && top.contains(first));
            if file || in_tree {
                found.push((n + 1, word));
            }
        }
    }
    found
}

/// `a/b/../c` as `a/c`; `None` if it climbs above the root.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            _ => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// Where `cited` (from the file `from`) resolves, if anywhere: a tracked file or folder, or a
/// path git ignores (a generated output such as `target/...` or `fuzz/artifacts/...`).
fn resolve(cited: &str, from: &str, paths: &BTreeSet<String>) -> Option<String> {
    let exists = |p: &str| {
        let folder = format!("{p}/");
        paths.contains(p)
            || paths
                .range(folder.clone()..)
                .next()
                .is_some_and(|q| q.starts_with(&folder))
            || ignored(p)
    };
    let dir = from.rsplit_once('/').map_or("", |(dir, _)| dir);
    for candidate in [normalize(cited), normalize(&format!("{dir}/{cited}"))]
        .into_iter()
        .flatten()
    {
        if !candidate.is_empty() && exists(&candidate) {
            return Some(candidate);
        }
    }
    let cited = cited.trim_end_matches('/');
    let tail = format!("/{cited}");
    paths.iter().find(|p| p.ends_with(&tail)).cloned()
}

pub(crate) fn main(args: Vec<String>, root: &Path) {
    let list = match args.as_slice() {
        [] => false,
        [flag] if flag == "--list" => true,
        _ => {
            eprintln!("usage: cargo xtask check-citations [--list]");
            exit(2)
        }
    };
    // `git check-ignore` takes paths from the repository root.
    std::env::set_current_dir(root).expect("the repository root");
    let files = tracked(root);
    // A tracked file deleted in the working tree is gone.
    let paths: BTreeSet<String> = files
        .iter()
        .filter(|f| root.join(f).exists())
        .cloned()
        .collect();
    let top: BTreeSet<String> = files
        .iter()
        .filter_map(|p| p.split_once('/').map(|(first, _)| first.to_owned()))
        .collect();
    let (mut cited, mut missing) = (0, 0);
    for file in files.iter().filter(|f| is_source(f, root)) {
        let Ok(text) = std::fs::read_to_string(root.join(file)) else {
            continue;
        };
        for (line, word) in citations(&text, &top) {
            cited += 1;
            match resolve(word, file, &paths) {
                Some(at) if list => println!("{file}:{line}: {word} -> {at}"),
                Some(_) => {}
                None => {
                    missing += 1;
                    println!("{file}:{line}: {word}: MISSING");
                }
            }
        }
    }
    println!("check-citations: {cited} citations, {missing} missing");
    if missing > 0 {
        exit(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    /// A file name no repository has, built at run time so this file cites nothing missing.
    fn gone(ext: &str) -> String {
        ["NOWHERE", ext].join(".")
    }

    #[test]
    fn finds_paths_and_skips_urls_placeholders_and_quoted_names() {
        let top = set(&["src", "proofs-notes"]);
        let text = format!(
            "see src/chain.rs:42, {}. and https://x.org/a.{rs} or /tmp/b.{rs}\n\
             proofs-notes/ $out/c.{rs} <dir>/d.{rs} open(\"e.{rs}\")",
            gone("md"),
            rs = "rs"
        );
        let words: Vec<_> = citations(&text, &top).into_iter().map(|(_, w)| w).collect();
        assert_eq!(words, ["src/chain.rs".to_owned(), gone("md")]);
    }

    #[test]
    fn resolves_from_root_folder_and_tail() {
        let paths = set(&[
            "src/pool/shards.rs",
            "proofs-notes/ordering.md",
            "README.md",
        ]);
        assert!(resolve("src/pool/shards.rs", "x.md", &paths).is_some());
        assert!(resolve("src/pool", "x.md", &paths).is_some());
        assert!(resolve("shards.rs", "src/pool/mod.rs", &paths).is_some());
        assert!(resolve("src/../README.md", "src/lib.rs", &paths).is_some());
        assert!(resolve("pool/shards.rs", "proofs-notes/ordering.md", &paths).is_some());
        assert!(resolve("ordering.md", "src/ring.rs", &paths).is_some());
        assert!(resolve(&gone("md"), "src/ring.rs", &paths).is_none());
        assert!(resolve(&format!("src/{}", gone("rs")), "src/ring.rs", &paths).is_none());
    }
}
