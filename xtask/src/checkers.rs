//! The registry of checkers, `verification/checkers.toml` (its header documents the fields), and
//! `cargo xtask checkers [--list | --ci | --readme | --check-readme]`:
//!
//! - `--list` (the default): every checker and what reads it;
//! - `--ci`: runs every entry's `ci` command in turn (`.ci/run` calls it), stops at a failure;
//! - `--readme`: writes the README's checker table from the entries' `readme` rows;
//! - `--check-readme`: fails if the README's table differs from what `--readme` would write.
//!
//! The file is a plain subset of TOML (`[[checker]]` tables whose values are strings, integers or
//! arrays of strings), read here without a TOML library and by `audit.py` with Python's
//! `tomllib`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{exit, Command};

/// The registry's path, from the repository root.
pub(crate) const REGISTRY: &str = "verification/checkers.toml";

/// The README's generated table sits between these lines.
const BEGIN: &str = "<!-- checkers: generated from verification/checkers.toml by `cargo xtask checkers --readme` -->";
const END: &str = "<!-- end of checkers -->";

/// A value of the registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    Str(String),
    Int(i64),
    List(Vec<String>),
}

/// One `[[checker]]` entry: its fields by name.
#[derive(Clone, Debug, Default)]
pub(crate) struct Checker(BTreeMap<String, Value>);

impl Checker {
    pub(crate) fn str(&self, key: &str) -> Option<&str> {
        match self.0.get(key) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn int(&self, key: &str) -> Option<i64> {
        match self.0.get(key) {
            Some(Value::Int(n)) => Some(*n),
            _ => None,
        }
    }

    pub(crate) fn list(&self, key: &str) -> &[String] {
        match self.0.get(key) {
            Some(Value::List(l)) => l,
            _ => &[],
        }
    }

    pub(crate) fn name(&self) -> &str {
        self.str("name").unwrap_or("?")
    }
}

/// Parses one value: `"basic"`, `'literal'`, an integer, or `["a", 'b', ...]`.
fn value(text: &str) -> Result<Value, String> {
    let text = text.trim();
    if let Some(inner) = text.strip_prefix('[') {
        let inner = inner
            .strip_suffix(']')
            .ok_or_else(|| format!("unclosed array: {text}"))?;
        let mut items = Vec::new();
        let mut rest = inner.trim_start();
        while !rest.is_empty() {
            let (item, after) = string(rest)?;
            items.push(item);
            rest = after.trim_start();
            rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
        }
        return Ok(Value::List(items));
    }
    if text.starts_with('"') || text.starts_with('\'') {
        let (s, after) = string(text)?;
        if !after.trim().is_empty() {
            return Err(format!("text after a string: {after}"));
        }
        return Ok(Value::Str(s));
    }
    text.parse()
        .map(Value::Int)
        .map_err(|_| format!("not a string, integer or array: {text}"))
}

/// A string at the start of `text` and what follows it.
fn string(text: &str) -> Result<(String, &str), String> {
    let mut chars = text.char_indices();
    let quote = match chars.next() {
        Some((_, q @ ('"' | '\''))) => q,
        _ => return Err(format!("expected a string: {text}")),
    };
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            c if c == quote => return Ok((out, &text[i + 1..])),
            '\\' if quote == '"' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, c @ ('"' | '\\'))) => out.push(c),
                other => return Err(format!("unsupported escape {other:?}")),
            },
            c => out.push(c),
        }
    }
    Err(format!("unclosed string: {text}"))
}

/// Scans `text`: where a `#` comment starts outside strings (if it does), the bracket depth
/// outside strings before that, and whether the text before it ends inside a string.
fn scan(text: &str) -> (Option<usize>, i32, bool) {
    let (mut depth, mut quote, mut escaped) = (0, None, false);
    for (i, c) in text.char_indices() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '[' => depth += 1,
                ']' => depth -= 1,
                '#' => return (Some(i), depth, false),
                _ => {}
            },
        }
    }
    (None, depth, quote.is_some())
}

/// `text` without a trailing `# comment` (outside strings).
fn strip_comment(text: &str) -> &str {
    match scan(text).0 {
        Some(i) => &text[..i],
        None => text,
    }
}

/// Whether `text` ends outside a string and an array (so a value is complete).
fn complete(text: &str) -> bool {
    let (_, depth, in_string) = scan(text);
    depth == 0 && !in_string
}

/// Parses the registry's text.
pub(crate) fn parse(text: &str) -> Result<Vec<Checker>, String> {
    let mut checkers: Vec<Checker> = Vec::new();
    let mut pending = String::new();
    for (n, line) in text.lines().enumerate() {
        let at = |e: String| format!("{REGISTRY}:{}: {e}", n + 1);
        if pending.is_empty() {
            let line = strip_comment(line).trim();
            if line.is_empty() {
                continue;
            }
            if line == "[[checker]]" {
                checkers.push(Checker::default());
                continue;
            }
            if line.starts_with('[') {
                return Err(at(format!("only [[checker]] tables: {line}")));
            }
        }
        pending.push_str(line);
        pending.push(' ');
        if !complete(&pending) {
            continue;
        }
        let entry = std::mem::take(&mut pending);
        let entry = strip_comment(&entry);
        let (key, val) = entry
            .split_once('=')
            .ok_or_else(|| at(format!("expected key = value: {entry}")))?;
        let checker = checkers
            .last_mut()
            .ok_or_else(|| at("a value before the first [[checker]]".into()))?;
        checker
            .0
            .insert(key.trim().to_string(), value(val).map_err(at)?);
    }
    if !pending.is_empty() {
        return Err(format!(
            "{REGISTRY}: unfinished value at the end: {pending}"
        ));
    }
    for c in &checkers {
        if c.str("name").is_none() {
            return Err(format!("{REGISTRY}: an entry without a name"));
        }
    }
    Ok(checkers)
}

/// The registry, or an exit with the reason.
pub(crate) fn load() -> Vec<Checker> {
    let path = crate::root().join(REGISTRY);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        eprintln!("xtask: cannot read {}: {e}", path.display());
        exit(2)
    });
    parse(&text).unwrap_or_else(|e| {
        eprintln!("xtask: {e}");
        exit(2)
    })
}

/// The README's checker table, from the entries' `readme` rows.
pub(crate) fn readme_table(checkers: &[Checker]) -> String {
    let mut out = String::from("| checker | command | what it covers |\n| --- | --- | --- |\n");
    for c in checkers {
        if let [checker, command, what] = c.list("readme") {
            out.push_str(&format!("| {checker} | {command} | {what} |\n"));
        }
    }
    out
}

/// `readme` with the text between the markers replaced by `table`.
fn with_table(readme: &str, table: &str) -> Result<String, String> {
    let begin = readme
        .find(BEGIN)
        .ok_or_else(|| format!("README.md has no line {BEGIN}"))?;
    let end = readme
        .find(END)
        .ok_or_else(|| format!("README.md has no line {END}"))?;
    let after_begin = begin + BEGIN.len();
    if end < after_begin {
        return Err("README.md: the end marker comes before the start".into());
    }
    Ok(format!(
        "{}\n{table}{}",
        &readme[..after_begin],
        &readme[end..]
    ))
}

fn readme(root: &Path, write: bool) {
    let path = root.join("README.md");
    let text = std::fs::read_to_string(&path).expect("README.md");
    let new = with_table(&text, &readme_table(&load())).unwrap_or_else(|e| {
        eprintln!("checkers: {e}");
        exit(2)
    });
    if write {
        std::fs::write(&path, &new).expect("write README.md");
        println!("README.md: checker table written from {REGISTRY}");
    } else if new != text {
        eprintln!(
            "checkers: README.md's checker table differs from {REGISTRY}; run `cargo xtask checkers --readme`"
        );
        exit(1)
    } else {
        println!("README.md's checker table matches {REGISTRY}");
    }
}

/// `--ci`: every entry's `ci` command, through the shell, from the repository root.
fn ci(root: &Path) {
    for c in load() {
        let Some(cmd) = c.str("ci") else { continue };
        println!("[checkers] {}: $ {cmd}", c.name());
        let ok = Command::new("bash")
            .args(["-c", cmd])
            .current_dir(root)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("[checkers] {}: failed", c.name());
            exit(1)
        }
    }
}

pub(crate) fn main(args: Vec<String>) {
    let root = crate::root();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] | ["--list"] => {
            for c in load() {
                let mut used = Vec::new();
                for (key, what) in [
                    ("readme", "README"),
                    ("lane", "verify"),
                    ("audit", "audit"),
                    ("ci", "ci"),
                ] {
                    if c.0.contains_key(key) {
                        used.push(what);
                    }
                }
                println!("{:<16} {}", c.name(), used.join(", "));
            }
        }
        ["--ci"] => ci(&root),
        ["--readme"] => readme(&root, true),
        ["--check-readme"] => readme(&root, false),
        _ => {
            eprintln!("usage: cargo xtask checkers [--list | --ci | --readme | --check-readme]");
            exit(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_subset() {
        let text = "# c\n[[checker]]\nname = \"a\" # x\nn = 3\nl = [\"x\", 'y#',\n  \"z\"]\n\
                    s = 'q \"w\"'\n[[checker]]\nname = \"b\\\"\"\n";
        let cs = parse(text).unwrap();
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0].name(), "a");
        assert_eq!(cs[0].int("n"), Some(3));
        assert_eq!(cs[0].list("l"), ["x", "y#", "z"]);
        assert_eq!(cs[0].str("s"), Some("q \"w\""));
        assert_eq!(cs[1].name(), "b\"");
        assert!(parse("name = \"a\"\n").is_err());
        assert!(parse("[[checker]]\nn = 1\n").is_err());
    }

    #[test]
    fn the_registry_parses_and_names_are_unique() {
        let cs = load();
        let mut names: Vec<_> = cs.iter().map(Checker::name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), cs.len());
    }

    #[test]
    fn the_table_replaces_only_the_text_between_the_markers() {
        let readme = format!("a\n{BEGIN}\nold\n{END}\nb\n");
        let new = with_table(&readme, "T\n").unwrap();
        assert_eq!(new, format!("a\n{BEGIN}\nT\n{END}\nb\n"));
    }
}
