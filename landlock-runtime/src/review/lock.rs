//! Locking policies: a committed file records every sandbox of a crate, and a test fails,
//! with each change classified as widening or narrowing, when the code no longer matches it.
//!
//! In a test of the crate whose sandboxes you want to lock (for a binary, a `#[cfg(test)]`
//! test in the binary itself, so that its policies are linked into the test):
//!
//! ```no_run
//! #[test]
//! fn sandbox_policies_are_locked() {
//!     landlock_runtime::assert_policies_locked!("sandbox.lock");
//! }
//! ```
//!
//! The path is relative to the crate's manifest directory. When the test fails, review the
//! listed changes, then rewrite the file with `LANDLOCK_SANDBOX_UPDATE_LOCK=1 cargo test` and
//! commit it: the widening shows in review as a diff of the lock file.
//!
//! One lock file may serve several crates (each binary of a workspace, say): each crate checks
//! and rewrites only its own section, keyed by the crate name.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde_json::{Value, json};

use super::registry::policies;
use crate::policy::Policy;

/// The environment variable that makes [`assert_policies_locked!`](crate::assert_policies_locked)
/// rewrite the lock file instead of failing.
///
/// ```
/// use landlock_runtime::lock::UPDATE_VARIABLE;
///
/// // `LANDLOCK_SANDBOX_UPDATE_LOCK=1 cargo test` rewrites; unset, or any other value, checks.
/// assert_eq!(UPDATE_VARIABLE, "LANDLOCK_SANDBOX_UPDATE_LOCK");
/// ```
pub const UPDATE_VARIABLE: &str = "LANDLOCK_SANDBOX_UPDATE_LOCK";

/// Checks the sandboxes of the calling crate against the lock file at `PATH` (relative to the
/// crate's manifest directory), and panics with every change, classified as widening or
/// narrowing, if they differ or if the file is missing. With `LANDLOCK_SANDBOX_UPDATE_LOCK=1`
/// in the environment, it rewrites the crate's section instead and prints the changes.
///
/// ```no_run
/// #[test]
/// fn sandbox_policies_are_locked() {
///     landlock_runtime::assert_policies_locked!("sandbox.lock");
/// }
/// ```
#[macro_export]
macro_rules! assert_policies_locked {
    ($path:expr) => {
        $crate::__private::assert_locked(
            ::std::path::Path::new(::core::env!("CARGO_MANIFEST_DIR")).join($path),
            ::core::module_path!(),
        )
    };
}

/// Whether a change lets the code reach more, or less.
///
/// ```
/// use landlock_runtime::lock::Direction;
///
/// assert!(Direction::Widening < Direction::Narrowing, "widenings are listed first");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Direction {
    /// The code may reach more than before (or a sandbox is new, or gone).
    Widening,
    /// The code may reach less than before.
    Narrowing,
}

/// One difference between a locked policy and the current one.
///
/// ```
/// use landlock_runtime::{lock, Policy};
///
/// let old = Policy::builder("app::f").read("/srv").build().unwrap();
/// let new = Policy::builder("app::f").write("/srv").build().unwrap();
/// let change = &lock::changes(&old, &new)[0];
/// assert_eq!(change.to_string(), "widening   app::f: `/srv` changed from read to write");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Change {
    /// Widening or narrowing.
    pub direction: Direction,
    /// The function whose sandbox changed.
    pub function: String,
    /// What changed, in words.
    pub what: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let direction = match self.direction {
            Direction::Widening => "widening ",
            Direction::Narrowing => "narrowing",
        };
        write!(f, "{direction}  {}: {}", self.function, self.what)
    }
}

/// Compares the policies of the crate that `module_path` belongs to with its section of the
/// lock file at `path`; what [`assert_policies_locked!`](crate::assert_policies_locked) expands
/// to (through `__private`).
#[track_caller]
pub(crate) fn assert_locked(path: &Path, module_path: &str) {
    let krate = module_path.split("::").next().unwrap_or(module_path);
    let current = entries(&crate_policies(krate));
    let text = std::fs::read_to_string(path).ok();
    let mut file = parse_lock_file(path, text.as_deref());
    let changes = diff(&locked_section(path, &file, krate), &current);
    if std::env::var_os(UPDATE_VARIABLE).is_some_and(|v| v == "1") {
        rewrite_section(path, text.as_deref(), &mut file, krate, current, &changes);
        return;
    }
    if text.is_none() {
        panic!(
            "no sandbox lock file at {}; review the sandboxes of `{krate}`, then create it with {UPDATE_VARIABLE}=1 cargo test",
            path.display()
        );
    }
    if !changes.is_empty() {
        panic!("{}", mismatch(path, krate, &changes));
    }
}

/// The policies whose function is in crate `krate`.
fn crate_policies(krate: &str) -> Vec<&'static Policy> {
    policies()
        .into_iter()
        .filter(|p| p.origin().function().split("::").next() == Some(krate))
        .collect()
}

/// The lock file's contents (`text`, `None` when there is none yet), parsed.
fn parse_lock_file(path: &Path, text: Option<&str>) -> Value {
    match text {
        Some(text) => serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("{} is not a sandbox lock file: {e}", path.display())),
        None => json!({ "version": 1, "crates": {} }),
    }
}

/// The lock entries of crate `krate` in `file`.
fn locked_section(path: &Path, file: &Value, krate: &str) -> Vec<Value> {
    let section = &file["crates"][krate];
    if section.is_null() {
        return Vec::new();
    }
    serde_json::from_value::<Vec<Value>>(section.clone())
        .unwrap_or_else(|e| panic!("{}: section `{krate}` is malformed: {e}", path.display()))
}

/// Writes `current` as crate `krate`'s section of the lock file, if it changes the file, and
/// prints the changes.
fn rewrite_section(
    path: &Path,
    text: Option<&str>,
    file: &mut Value,
    krate: &str,
    current: Vec<Value>,
    changes: &[Change],
) {
    file["version"] = json!(1);
    file["crates"][krate] = Value::Array(current);
    let mut out = serde_json::to_string_pretty(file).expect("JSON values serialize");
    out.push('\n');
    if text == Some(out.as_str()) {
        return;
    }
    std::fs::write(path, out).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    eprintln!("rewrote section `{krate}` of {}", path.display());
    for change in changes {
        eprintln!("  {change}");
    }
}

/// The message of a lock file that no longer matches: every change, and what to do.
fn mismatch(path: &Path, krate: &str, changes: &[Change]) -> String {
    let widening = changes
        .iter()
        .filter(|c| c.direction == Direction::Widening)
        .count();
    let mut msg = format!(
        "the sandboxes of `{krate}` differ from {} ({widening} widening, {} narrowing):\n",
        path.display(),
        changes.len() - widening
    );
    for change in changes {
        msg += &format!("  {change}\n");
    }
    msg += &format!(
        "Review them, then rewrite the lock file with {UPDATE_VARIABLE}=1 cargo test and commit it."
    );
    msg
}

/// The lock entries of policies: their JSON without the line (which moves with unrelated
/// edits), in [`policies`] order.
fn entries(policies: &[&Policy]) -> Vec<Value> {
    policies
        .iter()
        .map(|p| {
            let mut v = p.json_value();
            if let Value::Object(map) = &mut v {
                map.remove("line");
            }
            v
        })
        .collect()
}

/// Keys entries by function and, for several sandboxes in one function or module, their rank.
fn keyed(entries: &[Value]) -> BTreeMap<(String, usize), &Value> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    entries
        .iter()
        .map(|e| {
            let function = e["function"].as_str().unwrap_or_default().to_owned();
            let rank = seen.entry(function.clone()).or_default();
            *rank += 1;
            ((function, *rank), e)
        })
        .collect()
}

/// Every change from policy `old` to policy `new`, as the lock file classifies them, widening
/// first: what a review of a policy change should look at.
///
/// ```
/// use landlock_runtime::{lock, Policy};
/// use landlock_runtime::lock::Direction;
///
/// let old = Policy::builder("app::f").read("/srv").connect(443).build().unwrap();
/// let new = Policy::builder("app::f").write("/srv").build().unwrap();
/// let changes = lock::changes(&old, &new);
/// assert_eq!(changes[0].direction, Direction::Widening);
/// assert_eq!(changes[0].what, "`/srv` changed from read to write");
/// assert_eq!(changes[1].what, "no longer TCP connect to port 443");
/// ```
pub fn changes(old: &Policy, new: &Policy) -> Vec<Change> {
    let mut new_entry = entries(&[new]);
    // Compared as the same sandbox, whatever their names.
    new_entry[0]["function"] = json!(old.origin().function());
    diff(&entries(&[old]), &new_entry)
}

/// Every change from `old` to `new` (lock entries: [`Policy::to_json`] without `line`), widening
/// first.
pub(crate) fn diff(old: &[Value], new: &[Value]) -> Vec<Change> {
    let old = keyed(old);
    let new = keyed(new);
    let mut changes = Vec::new();
    for (key, entry) in &new {
        let mut push = |direction, what: String| {
            changes.push(Change {
                direction,
                function: key.0.clone(),
                what,
            })
        };
        match old.get(key) {
            None => push(
                Direction::Widening,
                format!("new sandbox in {}", entry["file"].as_str().unwrap_or("?")),
            ),
            Some(before) => compare(before, entry, &mut push),
        }
    }
    for key in old.keys().filter(|k| !new.contains_key(*k)) {
        changes.push(Change {
            direction: Direction::Widening,
            function: key.0.clone(),
            what:
                "sandbox removed: the code it confined now runs with whatever its caller may reach"
                    .into(),
        });
    }
    changes.sort_by(|a, b| (a.direction, &a.function).cmp(&(b.direction, &b.function)));
    changes
}

/// The classes of each path of an entry (`write` and `exec` may both be there), and whether
/// it is optional, keyed by the path without its optional marker.
fn paths(entry: &Value) -> BTreeMap<String, (Vec<&'static str>, bool)> {
    let mut out: BTreeMap<String, (Vec<&'static str>, bool)> = BTreeMap::new();
    for class in ["read", "write", "exec"] {
        for p in entry[class].as_array().into_iter().flatten() {
            let p = p.as_str().unwrap_or_default();
            let entry = out.entry(p.trim_end_matches('?').to_owned()).or_default();
            entry.0.push(class);
            entry.1 = p.ends_with('?');
        }
    }
    out
}

/// The changes between two lock entries of one sandbox.
fn compare(old: &Value, new: &Value, push: &mut impl FnMut(Direction, String)) {
    compare_paths(old, new, push);
    compare_presets(old, new, push);
    for kind in ["connect", "bind"] {
        compare_ports(kind, &old[kind], &new[kind], push);
    }
    compare_flags(old, new, push);
}

/// The paths granted, and their classes.
fn compare_paths(old: &Value, new: &Value, push: &mut impl FnMut(Direction, String)) {
    use Direction::{Narrowing, Widening};
    let (before, after) = (paths(old), paths(new));
    let named = |classes: &[&str]| classes.join(" and ");
    for (path, (classes, optional)) in &after {
        match before.get(path) {
            None => push(Widening, format!("grants {} on `{path}`", named(classes))),
            Some((was, _)) if was != classes => {
                // `read` is within both others; `write` and `exec` each grant what the other
                // does not: a class the path did not have widens it.
                let gained = classes.iter().any(|c| *c != "read" && !was.contains(c));
                let direction = if gained { Widening } else { Narrowing };
                push(
                    direction,
                    format!("`{path}` changed from {} to {}", named(was), named(classes)),
                );
            }
            Some((_, was_optional)) if was_optional != optional => {
                let now = if *optional { "optional" } else { "mandatory" };
                push(Narrowing, format!("`{path}` is now {now}"));
            }
            Some(_) => {}
        }
    }
    for (path, (classes, _)) in &before {
        if !after.contains_key(path) {
            push(
                Narrowing,
                format!("no longer grants {} on `{path}`", named(classes)),
            );
        }
    }
}

/// The presets used.
fn compare_presets(old: &Value, new: &Value, push: &mut impl FnMut(Direction, String)) {
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p.as_str().map(str::to_owned))
            .collect()
    };
    let (was, now) = (names(&old["presets"]), names(&new["presets"]));
    for p in now.iter().filter(|p| !was.contains(p)) {
        push(Direction::Widening, format!("adds preset `{p}`"));
    }
    for p in was.iter().filter(|p| !now.contains(p)) {
        push(Direction::Narrowing, format!("no longer uses preset `{p}`"));
    }
}

/// The TCP ports of one `kind` (`connect`, `bind`): a list (of numbers, and `<argument
/// NAME>` for the ports an argument holds), or `"*"`.
fn compare_ports(kind: &str, old: &Value, new: &Value, push: &mut impl FnMut(Direction, String)) {
    use Direction::{Narrowing, Widening};
    match (old, new) {
        (a, b) if a == b => {}
        (_, Value::String(_)) => push(Widening, format!("TCP {kind} is now unrestricted")),
        (Value::String(_), _) => push(Narrowing, format!("TCP {kind} is now restricted")),
        (a, b) => {
            let ports = |v: &Value| -> Vec<String> {
                v.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| match p {
                        Value::Number(n) => Some(format!("port {n}")),
                        Value::String(s) => Some(format!("the ports of `{s}`")),
                        _ => None,
                    })
                    .collect()
            };
            let (a, b) = (ports(a), ports(b));
            for p in b.iter().filter(|p| !a.contains(p)) {
                push(Widening, format!("TCP {kind} to {p}"));
            }
            for p in a.iter().filter(|p| !b.contains(p)) {
                push(Narrowing, format!("no longer TCP {kind} to {p}"));
            }
        }
    }
}

/// The scopes, the threads restricted, and strictness.
fn compare_flags(old: &Value, new: &Value, push: &mut impl FnMut(Direction, String)) {
    use Direction::{Narrowing, Widening};
    for (flag, what) in [
        ("allow_signals", "signals out of the sandbox"),
        (
            "allow_abstract_unix_sockets",
            "abstract unix sockets out of the sandbox",
        ),
    ] {
        match (old[flag].as_bool(), new[flag].as_bool()) {
            (Some(false), Some(true)) => push(Widening, format!("{what} are now allowed")),
            (Some(true), Some(false)) => push(Narrowing, format!("{what} are now denied")),
            _ => {}
        }
    }
    match (old["process"].as_bool(), new["process"].as_bool()) {
        (Some(true), Some(false)) => push(
            Widening,
            "now restricts only the calling thread, not every thread of the process".into(),
        ),
        (Some(false), Some(true)) => push(Narrowing, "now restricts every thread".into()),
        _ => {}
    }
    match (old["strict"].as_bool(), new["strict"].as_bool()) {
        (Some(true), Some(false)) => push(
            Widening,
            "strict dropped: it now runs when the kernel enforces only part of it".into(),
        ),
        (Some(false), Some(true)) => push(Narrowing, "now strict".into()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Policy;

    fn entry(p: Policy) -> Value {
        entries(&[&p]).remove(0)
    }

    fn changes(old: Policy, new: Policy) -> Vec<String> {
        diff(&[entry(old)], &[entry(new)])
            .iter()
            .map(|c| c.to_string())
            .collect()
    }

    fn base() -> crate::PolicyBuilder {
        Policy::builder("app::f")
            .read("/etc")
            .write("$TMP")
            .connect(443)
    }

    #[test]
    fn unchanged_is_no_change() {
        assert!(changes(base().build().unwrap(), base().build().unwrap()).is_empty());
    }

    #[test]
    fn the_line_is_not_part_of_the_lock() {
        let p = base().build().unwrap();
        assert!(entry(p)["line"].is_null());
    }

    #[test]
    fn widenings() {
        let old = base().build().unwrap();
        let new = Policy::builder("app::f")
            .write("/etc")
            .write("$TMP")
            .exec("/usr/bin")
            .connect(443)
            .connect(80)
            .bind_any()
            .allow_signals()
            .broad()
            .build()
            .unwrap();
        assert_eq!(
            changes(old, new),
            [
                "widening   app::f: `/etc` changed from read to write",
                "widening   app::f: grants exec on `/usr/bin`",
                "widening   app::f: TCP connect to port 80",
                "widening   app::f: TCP bind is now unrestricted",
                "widening   app::f: signals out of the sandbox are now allowed",
            ]
        );
    }

    #[test]
    fn a_port_argument_added_or_removed_is_named() {
        use crate::model::{Origin, Ports, Scopes};
        let with = |connect: Ports| {
            Policy::from_parts(
                Origin::new("app::f", "f.rs", 1),
                &[],
                &[],
                connect,
                Ports::NONE,
                Scopes::RESTRICTED,
                false,
                false,
                false,
                false,
            )
        };
        let (old, new) = (
            with(Ports::listed(&[443])),
            with(Ports::with_arguments(&[443], &["upstream"])),
        );
        assert_eq!(
            changes(old, new),
            ["widening   app::f: TCP connect to the ports of `<argument upstream>`"]
        );
        let (old, new) = (
            with(Ports::with_arguments(&[], &["upstream"])),
            with(Ports::listed(&[443])),
        );
        assert_eq!(
            changes(old, new),
            [
                "widening   app::f: TCP connect to port 443",
                "narrowing  app::f: no longer TCP connect to the ports of `<argument upstream>`",
            ]
        );
    }

    #[test]
    fn exec_beside_write_on_one_path_is_a_widening_and_dropping_it_a_narrowing() {
        let write = || Policy::builder("app::f").write("/srv/build");
        let both = write().exec("/srv/build").build().unwrap();
        assert_eq!(
            changes(write().build().unwrap(), both),
            ["widening   app::f: `/srv/build` changed from write to write and exec"]
        );
        let both = write().exec("/srv/build").build().unwrap();
        assert_eq!(
            changes(both, write().build().unwrap()),
            ["narrowing  app::f: `/srv/build` changed from write and exec to write"]
        );
    }

    #[test]
    fn narrowings() {
        let old = base().strict().build().unwrap();
        let new = Policy::builder("app::f")
            .read("$TMP")
            .strict()
            .build()
            .unwrap();
        assert_eq!(
            changes(old, new),
            [
                "narrowing  app::f: `$TMP` changed from write to read",
                "narrowing  app::f: no longer grants read on `/etc`",
                "narrowing  app::f: no longer TCP connect to port 443",
            ]
        );
    }

    #[test]
    fn strict_dropped_is_widening() {
        let old = base().strict().build().unwrap();
        let new = base().build().unwrap();
        assert_eq!(
            changes(old, new),
            [
                "widening   app::f: strict dropped: it now runs when the kernel enforces only part of it"
            ]
        );
    }

    #[test]
    fn new_and_removed_sandboxes_are_widening() {
        let a = entry(base().build().unwrap());
        let b = entry(Policy::builder("app::g").build().unwrap());
        let found: Vec<String> = diff(&[a], &[b]).iter().map(|c| c.to_string()).collect();
        assert_eq!(found.len(), 2);
        assert!(
            found[0].starts_with("widening   app::f: sandbox removed"),
            "{found:?}"
        );
        assert!(
            found[1].starts_with("widening   app::g: new sandbox in "),
            "{found:?}"
        );
    }

    #[test]
    fn two_sandboxes_in_one_function_are_told_apart() {
        let one = entry(base().build().unwrap());
        let two = entry(base().read("/usr").build().unwrap());
        let found = diff(&[one.clone(), one.clone()], &[one, two]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].what, "grants read on `/usr`");
    }
}
