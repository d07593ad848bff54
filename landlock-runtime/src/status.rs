//! What the kernel enforced of a policy.

use std::fmt;

use crate::policy::{Origin, Policy};
use crate::rights::{BASELINE_ABI, FsRights, SCOPES_ABI, TCP_ABI};

/// How much of a policy the running kernel enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    /// All of it.
    Full,
    /// Some of it; [`Status::dropped`] says what not.
    Partial,
    /// None of it: no Landlock (old kernel, disabled at boot, or not Linux).
    NotEnforced,
}

/// The parts of a policy the running kernel cannot enforce.
///
/// ```
/// use landlock_runtime::{Dropped, Policy};
///
/// let policy = Policy::builder("t").write("/tmp").build().unwrap();
/// let dropped = Dropped::at_abi(&policy, 3);
/// assert_eq!(dropped.to_string(), "filesystem rights ioctl_dev, TCP bind, TCP connect, signal scope, abstract unix socket scope");
/// assert!(Dropped::at_abi(&policy, 6).is_empty());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Dropped {
    /// Filesystem rights the kernel does not have: they stay allowed everywhere.
    pub fs: FsRights,
    /// TCP bind stays unrestricted.
    pub tcp_bind: bool,
    /// TCP connect stays unrestricted.
    pub tcp_connect: bool,
    /// Signals out of the sandbox stay allowed.
    pub signal_scope: bool,
    /// Abstract unix sockets out of the sandbox stay reachable.
    pub abstract_unix_socket_scope: bool,
}

impl Dropped {
    /// What a kernel at `abi` cannot enforce of `policy`.
    pub fn at_abi(policy: &Policy, abi: u32) -> Dropped {
        Dropped {
            fs: FsRights::supported(BASELINE_ABI).minus(FsRights::supported(abi)),
            tcp_bind: policy.bind.is_restricted() && abi < TCP_ABI,
            tcp_connect: policy.connect.is_restricted() && abi < TCP_ABI,
            signal_scope: policy.scopes.signals && abi < SCOPES_ABI,
            abstract_unix_socket_scope: policy.scopes.abstract_unix_sockets && abi < SCOPES_ABI,
        }
    }

    /// Whether nothing is dropped.
    pub fn is_empty(&self) -> bool {
        *self == Dropped::default()
    }
}

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if !self.fs.is_empty() {
            parts.push(format!(
                "filesystem rights {}",
                self.fs.names().collect::<Vec<_>>().join(", ")
            ));
        }
        for (dropped, name) in [
            (self.tcp_bind, "TCP bind"),
            (self.tcp_connect, "TCP connect"),
            (self.signal_scope, "signal scope"),
            (
                self.abstract_unix_socket_scope,
                "abstract unix socket scope",
            ),
        ] {
            if dropped {
                parts.push(name.to_owned());
            }
        }
        if parts.is_empty() {
            f.write_str("nothing")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// What the kernel enforces of a policy: the same for every thread that enters it, decided
/// when the policy is prepared.
///
/// ```no_run
/// use landlock_runtime::{Level, Policy};
///
/// let policy = Policy::builder("t").read("/etc").build().unwrap();
/// let status = policy.enforce().unwrap();
/// if status.level != Level::Full {
///     eprintln!("weaker sandbox than asked: {status}");
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// Full, partial, or none.
    pub level: Level,
    /// The Landlock ABI of the running kernel (0: none).
    pub abi: u32,
    /// What is not enforced.
    pub dropped: Dropped,
    /// Optional paths that were skipped, as written in the policy, each with why: they grant
    /// nothing.
    pub skipped: Vec<Skipped>,
    /// For an enforcement on every thread of the process: what became of the other threads.
    /// Threads that keep their access make the level [`Level::Partial`].
    pub threads: Option<ThreadCoverage>,
}

impl Status {
    pub(crate) fn new(policy: &Policy, abi: u32, skipped: Vec<Skipped>) -> Status {
        let dropped = Dropped::at_abi(policy, abi);
        let level = if abi == 0 {
            Level::NotEnforced
        } else if dropped.is_empty() {
            Level::Full
        } else {
            Level::Partial
        };
        Status {
            level,
            abi,
            dropped,
            skipped,
            threads: None,
        }
    }

    /// This status for an enforcement on every thread that had `coverage`: partial when a
    /// thread keeps its access.
    pub(crate) fn with_threads(&self, coverage: ThreadCoverage) -> Status {
        let level = match self.level {
            Level::Full if !coverage.uncovered.is_empty() => Level::Partial,
            level => level,
        };
        Status {
            level,
            threads: Some(coverage),
            ..self.clone()
        }
    }
}

impl fmt::Display for Status {
    /// One line: `fully enforced (Landlock ABI 7)`, `partly enforced (Landlock ABI 3): not
    /// enforced: TCP bind, ...`, or `not enforced: this kernel has no Landlock`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.level {
            Level::Full => write!(f, "fully enforced (Landlock ABI {})", self.abi)?,
            Level::Partial => {
                write!(f, "partly enforced (Landlock ABI {})", self.abi)?;
                if !self.dropped.is_empty() {
                    write!(f, ": not enforced: {}", self.dropped)?;
                }
            }
            Level::NotEnforced => f.write_str(if cfg!(target_os = "linux") {
                "not enforced: this kernel has no Landlock (not built in, or not enabled at boot)"
            } else {
                "not enforced: Landlock exists only on Linux"
            })?,
        }
        if let Some(threads) = &self.threads
            && self.level != Level::NotEnforced
        {
            write!(f, "; {threads}")?;
        }
        for (i, skipped) in self.skipped.iter().enumerate() {
            let lead = if i == 0 {
                "; skipped optional paths: "
            } else {
                ", "
            };
            write!(f, "{lead}{skipped}")?;
        }
        Ok(())
    }
}

/// An optional path of a policy that grants nothing, and why.
///
/// ```
/// use landlock_runtime::{Policy, SkipReason};
///
/// let policy = Policy::builder("t").read("/no/such/dir?").build().unwrap();
/// let status = policy.prepare().unwrap();
/// assert_eq!(status.skipped[0].grant, "/no/such/dir?");
/// assert_eq!(status.skipped[0].reason, SkipReason::Missing);
/// assert_eq!(status.skipped[0].to_string(), "/no/such/dir? (missing)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Skipped {
    /// The path, as written in the policy.
    pub grant: String,
    /// Why it was skipped.
    pub reason: SkipReason,
}

/// Why an optional path was skipped.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SkipReason {
    /// It does not exist.
    Missing,
    /// The variable it starts with is not set.
    VariableUnset,
    /// It exists but this process cannot open it (the system's message): a rule needs the
    /// path opened, as when the program runs as another user than its `$HOME` belongs to.
    CannotOpen(String),
}

impl fmt::Display for Skipped {
    /// `$HOME/.config/app? (cannot be opened: Permission denied (os error 13))`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            SkipReason::Missing => write!(f, "{} (missing)", self.grant),
            SkipReason::VariableUnset => write!(f, "{} (variable not set)", self.grant),
            SkipReason::CannotOpen(why) => write!(f, "{} (cannot be opened: {why})", self.grant),
        }
    }
}

/// A policy in force on the current thread, as [`in_force`](crate::in_force) lists it.
///
/// ```no_run
/// use landlock_runtime::Policy;
///
/// let policy = Policy::builder("worker").read("/etc").build().unwrap();
/// std::thread::spawn(move || {
///     policy.enforce().unwrap();
///     for layer in landlock_runtime::in_force() {
///         // sandbox `worker` (src/main.rs:3): fully enforced (Landlock ABI 7)
///         println!("{layer}");
///     }
/// });
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Layer {
    /// Where the policy was declared.
    pub origin: Origin,
    /// What the kernel enforced of it.
    pub level: Level,
    /// The Landlock ABI it was enforced with.
    pub abi: u32,
    /// Whether the thread got it from another thread: the one that was the only thread of the
    /// process when it entered the policy, or one that enforced it on every thread (`false`:
    /// this thread's own enforcement).
    pub inherited: bool,
    /// Which prepared policy it is: what re-entry is recognised by.
    pub(crate) id: u64,
    /// Which enforcement of that policy (see `Prepared::outcome`).
    pub(crate) outcome: usize,
    /// For a policy bound to the paths of its arguments: which, for re-entry.
    pub(crate) binding: Option<std::sync::Arc<crate::arguments::Binding>>,
    /// What the policy allows, path by path and port by port.
    pub(crate) rules: crate::explain::SharedRules,
}

impl fmt::Display for Uncovered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Uncovered::BlocksSignal => f.write_str("it blocks the signal that reaches it"),
            Uncovered::NoAnswer => f.write_str("it did not answer in time"),
            Uncovered::Failed(errno) => write!(
                f,
                "its restriction failed: {}",
                std::io::Error::from_raw_os_error(*errno)
            ),
            Uncovered::NotSignalled(errno) => write!(
                f,
                "it could not be signalled: {}",
                std::io::Error::from_raw_os_error(*errno)
            ),
            Uncovered::Unreachable => f.write_str(
                "it could not be reached: /proc lists the threads of this process under ids of another PID namespace that cannot be translated",
            ),
        }
    }
}

impl fmt::Display for ThreadCoverage {
    /// `3 other threads restricted; 1 not: thread 1234 (it blocks the signal that reaches it)`;
    /// with threads started or exiting meanwhile, `40 other threads restricted, 2 started
    /// restricted, 9 exited`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} other threads restricted", self.restricted)?;
        if self.inherited > 0 {
            write!(f, ", {} started restricted", self.inherited)?;
        }
        if self.exited > 0 {
            write!(f, ", {} exited", self.exited)?;
        }
        if !self.uncovered.is_empty() {
            write!(f, "; {} not:", self.uncovered.len())?;
            for (i, thread) in self.uncovered.iter().enumerate() {
                let sep = if i == 0 { " " } else { ", " };
                write!(f, "{sep}thread {} ({})", thread.tid, thread.reason)?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Level {
    /// `fully enforced`, `partly enforced` or `not enforced`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Full => "fully enforced",
            Level::Partial => "partly enforced",
            Level::NotEnforced => "not enforced",
        })
    }
}

impl fmt::Display for Layer {
    /// `sandbox `app::main` (src/main.rs:3): fully enforced (Landlock ABI 7)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sandbox {}: {}", self.origin, self.level)?;
        if self.abi > 0 {
            write!(f, " (Landlock ABI {})", self.abi)?;
        }
        Ok(())
    }
}

/// Why a thread is not restricted. Only a thread still there when the enforcement ends is
/// reported: one that exits meanwhile never runs code again, and is counted as exited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Uncovered {
    /// It blocks the signal used to reach it, and did so long enough, while it slept or ran,
    /// to be doing it on purpose (not the passing mask of a thread being started or exiting).
    BlocksSignal,
    /// It did not answer before the deadline; or it was started during the enforcement, after
    /// the deadline, by a thread that may not have been restricted yet.
    NoAnswer,
    /// Its `prctl` or `landlock_restrict_self` failed with this errno.
    Failed(i32),
    /// The signal could not be sent (errno).
    NotSignalled(i32),
    /// `/proc` does not describe this process's threads by ids it can use (it belongs to
    /// another PID namespace, and the ids cannot be translated): the thread could not be
    /// signalled. Its id is the one `/proc` lists.
    Unreachable,
}

/// A thread that keeps its access after an enforcement on every thread, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UncoveredThread {
    /// Its thread id (for [`Uncovered::Unreachable`], the id `/proc` lists).
    pub tid: i32,
    /// Why it is not restricted.
    pub reason: Uncovered,
}

/// What became of the other threads in an enforcement on every thread of the process
/// ([`Policy::enforce_all_threads`](crate::Policy::enforce_all_threads)).
///
/// ```no_run
/// use landlock_runtime::Policy;
///
/// let policy = Policy::builder("app::main").read("/etc").process().build().unwrap();
/// let status = policy.enforce_all_threads().unwrap();
/// if let Some(threads) = &status.threads {
///     for thread in &threads.uncovered {
///         eprintln!("thread {} keeps its access: {}", thread.tid, thread.reason);
///     }
/// }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ThreadCoverage {
    /// Threads other than the caller that restricted themselves.
    pub restricted: usize,
    /// Threads started during the enforcement by threads already restricted, which inherited
    /// the restriction from them (and so were not asked to restrict themselves).
    pub inherited: usize,
    /// Threads that exited during the enforcement before they restricted themselves: they
    /// never run code again.
    pub exited: usize,
    /// Threads still there when the enforcement ended that are not restricted, and why.
    pub uncovered: Vec<UncoveredThread>,
}
