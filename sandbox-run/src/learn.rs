//! Denials: printing a program's as they happen (`--log-denials`), and learning the narrowest
//! policy it needs from them (`--learn`).
//!
//! Learning runs the program under a policy that grants what the options grant (and, unless
//! `--explicit`, exec on the program and the `dynamic_loader` preset), adds the narrowest
//! grant that covers each denial, and runs it again, until a run has no new denial (at most
//! [`ROUNDS`] runs). Then it runs the program once without a sandbox, to know the status it
//! ends with, and a final time under exactly the learned policy, which must have no denial and
//! end with that status. The program runs several times, with its standard streams on
//! `/dev/null`: learn on inputs whose side effects may be repeated.
//!
//! The narrowest grant for a denial on a path is the file itself. A directory is granted when
//! the program lists it (`read_dir`), creates or removes entries in it (the kernel names the
//! directory), or is denied more than [`FILES_PER_DIRECTORY`] files directly in it. A path
//! that one of the presets covers on this machine (the loader and libraries:
//! `dynamic_loader`; locale data: `locale`; the resolver's files: `dns`; certificates:
//! `tls_roots`; `/dev/null` and its kin: `devices`; cgroup and CPU files: `cpu_info`) is
//! granted through that preset, a reviewed name, instead of path by path.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use landlock_runtime::denials::{Access, Denial, Object, Watcher};
use landlock_runtime::{Class, Policy, Preset, SandboxCommandExt};

use crate::{DRAIN, Failure, Options, quietly};

/// Runs at most, without counting the run without sandbox and the final check.
pub(crate) const ROUNDS: usize = 12;

/// Files denied directly in one directory beyond which the directory is granted instead.
pub(crate) const FILES_PER_DIRECTORY: usize = 8;

/// The presets a learned policy may use, in the order they are tried.
const PRESETS: [Preset; 6] = [
    Preset::DynamicLoader,
    Preset::Locale,
    Preset::Dns,
    Preset::TlsRoots,
    Preset::Devices,
    Preset::CpuInfo,
];

/// Whether a denial is of the runner's policy (its sandbox's function is `sandbox_run`).
fn ours(denial: &Denial) -> bool {
    denial
        .sandbox
        .as_ref()
        .is_some_and(|a| a.origin.function() == "sandbox_run")
}

/// A thread that prints the program's denials as they happen.
pub(crate) struct Printer {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

/// Prints, on standard error, each denial of the runner's policy once.
pub(crate) fn print_denials(mut watcher: Watcher, _policy: &'static Policy) -> Printer {
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = stop.clone();
    let thread = std::thread::spawn(move || {
        let mut seen = BTreeSet::new();
        let mut quiet_since = None;
        loop {
            match watcher.next_timeout(Duration::from_millis(50)) {
                Some(denial) if ours(&denial) => {
                    quiet_since = None;
                    if seen.insert(denial.to_string()) {
                        // One write, so that the line does not interleave with the
                        // program's own output on the same standard error.
                        let text = format!("sandbox_run: {}\n", line(&denial));
                        let _ = std::io::stderr().lock().write_all(text.as_bytes());
                    }
                }
                Some(_) => {}
                None if stopping.load(Ordering::Acquire) => {
                    let since = *quiet_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= DRAIN {
                        return;
                    }
                }
                None => {}
            }
        }
    });
    Printer { stop, thread }
}

impl Printer {
    /// Waits for the denials still on their way, then stops.
    pub(crate) fn finish(self) {
        self.stop.store(true, Ordering::Release);
        let _ = self.thread.join();
    }
}

/// A denial, for the command line: what was denied, and the option that would allow it.
fn line(denial: &Denial) -> String {
    let accesses: Vec<String> = denial.accesses.iter().map(|a| a.to_string()).collect();
    let mut out = format!("denied {} on {}", accesses.join(","), denial.object);
    if let Some(pid) = denial.pid {
        let _ = write!(out, " (pid {pid}");
        if let Some(exe) = &denial.exe {
            let _ = write!(out, ", {}", exe.display());
        }
        out.push(')');
    }
    let allow: Vec<String> = denial.allow().iter().map(option_for).collect();
    if !allow.is_empty() {
        let _ = write!(out, ": allow it with {}", allow.join(" "));
    }
    out
}

/// The option that says what an allow item of the policy language says.
fn option_for(allow: &landlock_runtime::denials::Allow) -> String {
    use landlock_runtime::denials::Allow;
    match allow {
        Allow::Grant { class, path } => format!("--{} {}", class.keyword(), quote(path)),
        Allow::Connect(port) => format!("--connect {port}"),
        Allow::Bind(port) => format!("--bind {port}"),
        Allow::AllowSignals => "--allow-signals".into(),
        Allow::AllowAbstractUnixSockets => "--allow-abstract-unix-sockets".into(),
        other => other.to_string(),
    }
}

/// A path as a shell reads it back: as it is when plain, in single quotes otherwise.
fn quote(path: &Path) -> String {
    let text = path.to_string_lossy();
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%".contains(c))
    {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// One item of a learned policy.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Item {
    Path(PathBuf, Class),
    Preset(Preset),
    Connect(u16),
    Bind(u16),
    AllowSignals,
    AllowAbstractUnixSockets,
}

/// What the presets cover on this machine: each preset's paths as prepared here.
struct PresetPaths(Vec<(Preset, Vec<(Class, PathBuf)>)>);

impl PresetPaths {
    fn here() -> PresetPaths {
        PresetPaths(
            PRESETS
                .iter()
                .filter_map(|&preset| {
                    let policy = Policy::builder("sandbox_run::preset")
                        .preset(preset)
                        .build()
                        .ok()?;
                    policy.prepare().ok()?;
                    let paths = policy
                        .granted()?
                        .iter()
                        .map(|g| (g.class, canonical(&g.path)))
                        .collect();
                    Some((preset, paths))
                })
                .collect(),
        )
    }

    /// The first preset that grants `class` on `path` here.
    fn covering(&self, path: &Path, class: Class) -> Option<Preset> {
        let path = canonical(path);
        self.0.iter().find_map(|(preset, paths)| {
            paths
                .iter()
                .any(|(c, p)| includes(*c, class) && path.starts_with(p))
                .then_some(*preset)
        })
    }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Whether a grant of `class` allows what `wanted` needs.
fn includes(class: Class, wanted: Class) -> bool {
    class == wanted || wanted == Class::Read
}

/// The narrowest items that cover `denials` (see the module's documentation).
fn narrowest(denials: &[Denial], presets: &PresetPaths) -> (BTreeSet<Item>, Vec<String>) {
    let denied: Vec<(&[Access], &Object)> = denials
        .iter()
        .map(|d| (d.accesses.as_slice(), &d.object))
        .collect();
    narrowest_of(&denied, presets)
}

/// [`narrowest`], on what each denial denied and on what.
fn narrowest_of(
    denials: &[(&[Access], &Object)],
    presets: &PresetPaths,
) -> (BTreeSet<Item>, Vec<String>) {
    let mut items = BTreeSet::new();
    let mut impossible = Vec::new();
    // Files directly in a directory, by class, to tell when the directory is the narrower
    // grant.
    let mut files: BTreeMap<(PathBuf, Class), BTreeSet<PathBuf>> = BTreeMap::new();
    for (accesses, object) in denials {
        for access in *accesses {
            match (access, *object) {
                (Access::Fs(_), Object::Path(path)) if per_process(path) => {
                    impossible.push(format!(
                        "{access} on {object}: a file of one process, which no rule made before the process exists can name (only a grant of all of `/proc` would allow it)"
                    ));
                }
                (Access::Fs(_), Object::Path(path)) => {
                    let class = access.class().unwrap_or(Class::Read);
                    if let Some(preset) = presets.covering(path, class) {
                        items.insert(Item::Preset(preset));
                        continue;
                    }
                    // read_dir, and creating or removing an entry, name a directory.
                    let is_file = matches!(
                        access,
                        Access::Fs(
                            "read_file" | "write_file" | "execute" | "truncate" | "ioctl_dev"
                        )
                    ) && !path.is_dir();
                    match path.parent() {
                        Some(parent) if is_file => {
                            files
                                .entry((parent.to_path_buf(), class))
                                .or_default()
                                .insert(path.clone());
                        }
                        _ => {
                            items.insert(Item::Path(path.clone(), class));
                        }
                    }
                }
                (Access::ConnectTcp, Object::Port(Some(port))) => {
                    items.insert(Item::Connect(*port));
                }
                (Access::BindTcp, Object::Port(Some(port))) => {
                    items.insert(Item::Bind(*port));
                }
                (Access::Signal, _) => {
                    items.insert(Item::AllowSignals);
                }
                (Access::AbstractUnixSocket, _) => {
                    items.insert(Item::AllowAbstractUnixSockets);
                }
                _ => impossible.push(format!("{access} on {object}")),
            }
        }
    }
    for ((directory, class), paths) in files {
        if paths.len() > FILES_PER_DIRECTORY {
            items.insert(Item::Path(directory, class));
        } else {
            items.extend(paths.into_iter().map(|p| Item::Path(p, class)));
        }
    }
    (items, impossible)
}

/// Whether `path` is in the `/proc` directory of one process or thread (`/proc/PID/...`),
/// whose inodes exist only as long as that process does.
fn per_process(path: &Path) -> bool {
    let mut components = path.components().skip(1);
    matches!(components.next(), Some(c) if c.as_os_str() == "proc")
        && components.next().is_some_and(|c| {
            let name = c.as_os_str().as_encoded_bytes();
            name == b"self" || name == b"thread-self" || name.iter().all(u8::is_ascii_digit)
        })
}

/// Drops items another item covers: a path beneath a directory granted with a class that
/// includes its own, and `read` on a path also granted wider.
fn tidy(items: &BTreeSet<Item>) -> BTreeSet<Item> {
    let paths: Vec<(&PathBuf, Class)> = items
        .iter()
        .filter_map(|i| match i {
            Item::Path(p, c) => Some((p, *c)),
            _ => None,
        })
        .collect();
    items
        .iter()
        .filter(|item| {
            let Item::Path(path, class) = item else {
                return true;
            };
            !paths.iter().any(|(other, c)| {
                (*other != path && path.starts_with(other) && includes(*c, *class))
                    || (*other == path && *class == Class::Read && *c != Class::Read)
            })
        })
        .cloned()
        .collect()
}

/// The policy of `items`.
fn policy_of(items: &BTreeSet<Item>, broad: bool) -> Result<&'static Policy, String> {
    let mut builder = Policy::builder("sandbox_run");
    for item in items {
        builder = match item {
            Item::Path(path, Class::Read) => builder.read_path(path),
            Item::Path(path, Class::Write) => builder.write_path(path),
            Item::Path(path, Class::Exec) => builder.exec_path(path),
            Item::Preset(p) => builder.preset(*p),
            Item::Connect(port) => builder.connect(*port),
            Item::Bind(port) => builder.bind(*port),
            Item::AllowSignals => builder.allow_signals(),
            Item::AllowAbstractUnixSockets => builder.allow_abstract_unix_sockets(),
        };
    }
    if broad {
        builder = builder.broad();
    }
    let policy = builder.build().map_err(|e| e.to_string())?;
    let policy: &'static Policy = Box::leak(Box::new(policy));
    policy.prepare().map_err(|e| e.to_string())?;
    Ok(policy)
}

/// Whether `items` hold a broad grant (the whole filesystem, or write on a home or system
/// tree), which the policy then acknowledges.
fn is_broad(items: &BTreeSet<Item>) -> bool {
    let home = std::env::var("HOME").ok();
    items.iter().any(|item| match item {
        Item::Path(path, class) => path.to_str().is_some_and(|p| {
            landlock_template::broad_resolved(class.keyword(), p, home.as_deref()).is_some()
        }),
        _ => false,
    })
}

/// One run: the denials of the runner's policy, and the program's status.
fn run_once(
    watcher: &mut Watcher,
    policy: &'static Policy,
    command: &mut std::process::Command,
) -> Result<(Vec<Denial>, Option<i32>), Failure> {
    let status = quietly(command)
        .sandbox(policy)
        .status()
        .map_err(|e| Failure::CannotExecute(e.to_string()))?;
    let mut denials = Vec::new();
    let mut last = Instant::now();
    while last.elapsed() < DRAIN {
        if let Some(denial) = watcher.next_timeout(Duration::from_millis(50))
            && ours(&denial)
        {
            last = Instant::now();
            denials.push(denial);
        }
    }
    Ok((denials, status.code()))
}

/// `--learn`.
pub(crate) fn learn(options: &Options, program: &Path, args: &[OsString]) -> Result<u8, Failure> {
    let mut watcher =
        landlock_runtime::denials::watch().map_err(|e| Failure::Setup(format!("--learn: {e}")))?;
    let plan = crate::Plan::new(options, program)?;
    let command = || plan.command(options, program, args);
    // What the options grant, and the automatic grants: the starting point.
    let mut items = BTreeSet::new();
    for (values, class) in [
        (&options.read, Class::Read),
        (&options.write, Class::Write),
        (&options.exec, Class::Exec),
    ] {
        for value in values {
            let path = std::path::absolute(Path::new(value))
                .map_err(|e| Failure::Setup(format!("--{}: {e}", class.keyword())))?;
            items.insert(Item::Path(path, class));
        }
    }
    for name in &options.preset {
        let preset = Preset::from_name(name)
            .ok_or_else(|| Failure::Setup(format!("--preset {name}: no such preset")))?;
        items.insert(Item::Preset(preset));
    }
    for a in &plan.automatic {
        items.insert(match a {
            crate::Automatic::Exec(path, _) => Item::Path(path.clone(), Class::Exec),
            crate::Automatic::Preset(p) => Item::Preset(*p),
        });
    }
    let presets = PresetPaths::here();
    let mut impossible = BTreeSet::new();
    let mut report = String::new();
    let mut settled = false;
    for round in 1..=ROUNDS {
        let policy = policy_of(&items, is_broad(&items)).map_err(Failure::Setup)?;
        let (denials, _) = run_once(&mut watcher, policy, &mut command())?;
        let (found, cannot) = narrowest(&denials, &presets);
        impossible.extend(cannot);
        let before = items.len();
        items.extend(found);
        items = tidy(&items);
        let _ = writeln!(
            report,
            "run {round}: {} denials, {} new grants",
            denials.len(),
            items.len().saturating_sub(before)
        );
        if items.len() == before {
            // No denial, or only denials that no grant allows: nothing more to learn.
            settled = true;
            break;
        }
    }
    // The status to get back, from a run without sandbox. It comes after the learning runs, so
    // that those see the files as they were (an output the program creates is a grant of its
    // directory, not of a file a first run left behind).
    let reference = quietly(&mut command())
        .status()
        .map_err(|e| Failure::CannotExecute(e.to_string()))?
        .code();
    let broad = is_broad(&items);
    let policy = policy_of(&items, broad).map_err(Failure::Setup)?;
    let (denials, status) = run_once(&mut watcher, policy, &mut command())?;
    // Denials that no grant allows were reported; any other is one the learned policy lacks.
    let (found, cannot) = narrowest(&denials, &presets);
    let missing: Vec<Item> = tidy(&items.iter().chain(&found).cloned().collect())
        .difference(&items)
        .cloned()
        .collect();
    impossible.extend(cannot);
    let verified = missing.is_empty() && status == reference;
    print!("{report}");
    if !settled {
        println!("gave up after {ROUNDS} runs: each run still had new denials");
    }
    for what in &impossible {
        println!("denied, and no grant of the policy language allows it: {what}");
    }
    for item in &missing {
        println!(
            "denied in the final run, not learned: {}",
            render(&BTreeSet::from([item.clone()]), false, Form::Macro)
        );
    }
    println!(
        "final run: {} denials, status {} (without sandbox: {}): {}",
        denials.len(),
        shown(status),
        shown(reference),
        if verified { "verified" } else { "NOT verified" }
    );
    println!();
    println!("{}", render(&items, broad, Form::Attribute));
    println!("{}", render(&items, broad, Form::Macro));
    println!("{}", render(&items, broad, Form::Options));
    Ok(if verified { 0 } else { 125 })
}

fn shown(status: Option<i32>) -> String {
    status.map_or("a signal".into(), |s| s.to_string())
}

/// How a learned policy is printed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// `#[sandbox(...)]`.
    Attribute,
    /// `policy!(...)`.
    Macro,
    /// This runner's options, ending with `--`.
    Options,
}

/// The learned policy in one of its forms.
fn render(items: &BTreeSet<Item>, broad: bool, form: Form) -> String {
    let paths = |class: Class| -> Vec<&PathBuf> {
        items
            .iter()
            .filter_map(|i| match i {
                Item::Path(p, c) if *c == class => Some(p),
                _ => None,
            })
            .collect()
    };
    let presets: Vec<&str> = items
        .iter()
        .filter_map(|i| match i {
            Item::Preset(p) => Some(p.name()),
            _ => None,
        })
        .collect();
    let ports = |bind: bool| -> Vec<u16> {
        items
            .iter()
            .filter_map(|i| match (i, bind) {
                (Item::Connect(p), false) | (Item::Bind(p), true) => Some(*p),
                _ => None,
            })
            .collect()
    };
    let signals = items.contains(&Item::AllowSignals);
    let sockets = items.contains(&Item::AllowAbstractUnixSockets);
    if form == Form::Options {
        let mut out = String::from("sandbox_run --explicit");
        for class in [Class::Read, Class::Write, Class::Exec] {
            for path in paths(class) {
                let _ = write!(out, " --{} {}", class.keyword(), quote(path));
            }
        }
        if !presets.is_empty() {
            let _ = write!(out, " --preset {}", presets.join(","));
        }
        for (bind, option) in [(false, "--connect"), (true, "--bind")] {
            let list: Vec<String> = ports(bind).iter().map(u16::to_string).collect();
            if !list.is_empty() {
                let _ = write!(out, " {option} {}", list.join(","));
            }
        }
        if signals {
            out.push_str(" --allow-signals");
        }
        if sockets {
            out.push_str(" --allow-abstract-unix-sockets");
        }
        if broad {
            out.push_str(" --broad");
        }
        out.push_str(" --");
        return out;
    }
    let mut parts: Vec<String> = Vec::new();
    let list = |values: Vec<String>| -> String {
        if values.len() == 1 {
            values.into_iter().next().unwrap_or_default()
        } else {
            format!("[{}]", values.join(", "))
        }
    };
    for class in [Class::Read, Class::Write, Class::Exec] {
        let values: Vec<String> = paths(class)
            .iter()
            .map(|p| format!("{:?}", p.to_string_lossy()))
            .collect();
        if !values.is_empty() {
            parts.push(format!("{} = {}", class.keyword(), list(values)));
        }
    }
    if !presets.is_empty() {
        parts.push(format!(
            "preset = {}",
            list(presets.iter().map(|p| format!("{p:?}")).collect())
        ));
    }
    for (bind, key) in [(false, "connect"), (true, "bind")] {
        let values: Vec<String> = ports(bind).iter().map(u16::to_string).collect();
        if !values.is_empty() {
            parts.push(format!("{key} = {}", list(values)));
        }
    }
    if signals {
        parts.push("allow_signals".into());
    }
    if sockets {
        parts.push("allow_abstract_unix_sockets".into());
    }
    if broad {
        parts.push("broad".into());
    }
    match form {
        Form::Attribute => format!("#[sandbox({})]", parts.join(", ")),
        _ => format!("policy!({})", parts.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_files_of_one_directory_become_the_directory_and_covered_items_go() {
        let read = [Access::Fs("read_file")];
        let objects: Vec<Object> = (0..=FILES_PER_DIRECTORY)
            .map(|i| Object::Path(format!("/srv/a/{i}").into()))
            .collect();
        let denied: Vec<(&[Access], &Object)> =
            objects.iter().map(|o| (read.as_slice(), o)).collect();
        let none = PresetPaths(Vec::new());
        let (items, _) = narrowest_of(&denied[..3], &none);
        assert_eq!(items.len(), 3);
        let (items, _) = narrowest_of(&denied, &none);
        assert_eq!(
            items.into_iter().collect::<Vec<_>>(),
            [Item::Path("/srv/a".into(), Class::Read)]
        );
        let mut items = BTreeSet::from([
            Item::Path("/srv".into(), Class::Write),
            Item::Path("/srv/a/b".into(), Class::Read),
            Item::Path("/x".into(), Class::Read),
            Item::Path("/x".into(), Class::Exec),
        ]);
        items = tidy(&items);
        assert_eq!(
            items.into_iter().collect::<Vec<_>>(),
            [
                Item::Path("/srv".into(), Class::Write),
                Item::Path("/x".into(), Class::Exec),
            ]
        );
    }

    #[test]
    fn files_of_one_process_are_not_learned() {
        for path in [
            "/proc/1234/mounts",
            "/proc/self/status",
            "/proc/thread-self/attr",
        ] {
            assert!(per_process(Path::new(path)), "{path}");
        }
        for path in [
            "/proc/filesystems",
            "/proc/sys/kernel/pid_max",
            "/procs/1/x",
            "/etc/1",
        ] {
            assert!(!per_process(Path::new(path)), "{path}");
        }
        let read = [Access::Fs("read_file")];
        let mounts = Object::Path("/proc/4321/mounts".into());
        let (items, impossible) = narrowest_of(&[(&read, &mounts)], &PresetPaths(Vec::new()));
        assert!(items.is_empty());
        assert!(
            impossible[0].contains("a file of one process"),
            "{impossible:?}"
        );
    }

    #[test]
    fn the_three_forms() {
        let items = BTreeSet::from([
            Item::Path("/etc/hosts".into(), Class::Read),
            Item::Path("/srv/out dir".into(), Class::Write),
            Item::Preset(Preset::DynamicLoader),
            Item::Connect(443),
        ]);
        assert_eq!(
            render(&items, false, Form::Attribute),
            r#"#[sandbox(read = "/etc/hosts", write = "/srv/out dir", preset = "dynamic_loader", connect = 443)]"#
        );
        assert_eq!(
            render(&items, false, Form::Options),
            "sandbox_run --explicit --read /etc/hosts --write '/srv/out dir' --preset dynamic_loader --connect 443 --"
        );
    }
}
