//! What the kernel enforced of a policy.

use std::fmt;

use crate::model::rights::{BASELINE_ABI, FsRights, SCOPES_ABI, TCP_ABI};
use crate::model::{Origin, Ports, Preset, Scopes};

/// How much of a policy the running kernel enforces.
///
/// ```
/// use landlock_runtime::{Level, kernel_abi, policy};
///
/// let level = policy!(read = "/etc").prepare().unwrap().level;
/// // Landlock ABI 6 (Linux 6.12) has every right and scope this policy restricts.
/// let expected = match kernel_abi() {
///     0 => Level::NotEnforced,
///     1..=5 => Level::Partial,
///     _ => Level::Full,
/// };
/// assert_eq!(level, expected);
/// ```
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
/// use landlock_runtime::Policy;
///
/// let policy = Policy::builder("t").write("/tmp").build().unwrap();
/// let dropped = policy.prepare().unwrap().dropped;
/// if landlock_runtime::kernel_abi() >= 6 {
///     assert!(dropped.is_empty());
///     assert_eq!(dropped.to_string(), "nothing");
/// }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Dropped {
    /// Filesystem rights the kernel does not have, as its bits (every filesystem right fits in
    /// 32: a status is kept small, since every error that holds one is): they stay allowed
    /// everywhere.
    fs: u32,
    /// TCP bind stays unrestricted.
    pub tcp_bind: bool,
    /// TCP connect stays unrestricted.
    pub tcp_connect: bool,
    /// Signals out of the sandbox stay allowed.
    pub signal_scope: bool,
    /// Abstract unix sockets out of the sandbox stay reachable.
    pub abstract_unix_socket_scope: bool,
}

/// Filesystem rights as the 32 bits a status keeps them in: the kernel's rights are bits 0 to
/// 16 (`FS_RIGHTS`), and a status is held by every error that holds one, so it is kept small.
fn bits32(rights: FsRights) -> u32 {
    u32::try_from(rights.0).expect("every filesystem right is one of the low 32 bits")
}

impl Dropped {
    /// What a kernel at `abi` cannot enforce of a policy with these ports and scopes, which
    /// leaves the filesystem rights `unhandled` unrestricted anyway.
    pub(crate) fn at_abi(
        abi: u32,
        bind: &Ports,
        connect: &Ports,
        scopes: Scopes,
        unhandled: FsRights,
    ) -> Dropped {
        Dropped {
            fs: bits32(
                FsRights::supported(BASELINE_ABI)
                    .minus(FsRights::supported(abi))
                    .minus(unhandled),
            ),
            tcp_bind: bind.is_restricted() && abi < TCP_ABI,
            tcp_connect: connect.is_restricted() && abi < TCP_ABI,
            signal_scope: scopes.signals && abi < SCOPES_ABI,
            abstract_unix_socket_scope: scopes.abstract_unix_sockets && abi < SCOPES_ABI,
        }
    }

    /// The filesystem rights the kernel does not have, by the kernel's names (`truncate`,
    /// `ioctl_dev`, ...): they stay allowed everywhere.
    ///
    /// ```
    /// let status = landlock_runtime::policy!(read = "/etc").prepare().unwrap();
    /// let dropped: Vec<&str> = status.dropped.fs_rights().collect();
    /// assert_eq!(dropped.is_empty(), landlock_runtime::kernel_abi() >= 5);
    /// ```
    pub fn fs_rights(&self) -> impl Iterator<Item = &'static str> + use<> {
        FsRights(u64::from(self.fs)).names()
    }

    /// Whether nothing is dropped.
    ///
    /// ```
    /// let status = landlock_runtime::policy!(read = "/etc").prepare().unwrap();
    /// assert_eq!(status.dropped.is_empty(), landlock_runtime::kernel_abi() >= 6);
    /// ```
    pub fn is_empty(&self) -> bool {
        *self == Dropped::default()
    }
}

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if self.fs != 0 {
            parts.push(format!(
                "filesystem rights {}",
                self.fs_rights().collect::<Vec<_>>().join(", ")
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
    /// Optional paths that were skipped, as written in the policy or in a preset, each with
    /// why: they grant nothing. `Display` leaves out the presets' paths that are missing (a
    /// preset lists the paths of every layout, most of which are not on any one machine).
    pub skipped: Vec<Skipped>,
    /// For an enforcement on every thread of the process: what became of the other threads.
    /// Threads that keep their access make the level [`Level::Partial`].
    pub threads: Option<ThreadCoverage>,
    /// The io_uring instances of the process, found when the policy was enforced, through
    /// which requests may run with the rights of the thread that set them up rather than the
    /// sandboxed thread's: Landlock cannot reach them. Any makes the level
    /// [`Level::Partial`]. Empty before enforcement.
    pub io_uring: Box<[IoUring]>,
    /// The filesystem rights the policy itself leaves unhandled (see
    /// [`Policy::unhandled_fs_rights`](crate::Policy::unhandled_fs_rights)), as the kernel's
    /// bits (see [`bits32`]).
    unhandled_fs: u32,
}

impl Status {
    /// The status of a policy prepared at `abi`, with what the kernel drops of it, the optional
    /// paths skipped, and the filesystem rights the policy leaves unhandled.
    pub(crate) fn new(
        abi: u32,
        dropped: Dropped,
        skipped: Vec<Skipped>,
        unhandled_fs: FsRights,
    ) -> Status {
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
            io_uring: Box::default(),
            unhandled_fs: u32::try_from(unhandled_fs.0)
                .expect("every filesystem right fits in 32 bits"),
        }
    }

    /// The filesystem rights the policy leaves unhandled, by the kernel's names: not restricted
    /// by it, whatever the kernel. The level does not count them: the kernel enforces all that
    /// the policy asks.
    ///
    /// ```
    /// use landlock_runtime::landlockconfig;
    ///
    /// let old = r#"{"abi": 4, "ruleset": [{"handledAccessFs": ["abi.all"]}]}"#;
    /// let policy = landlockconfig::from_json(old, "old").unwrap().build().unwrap();
    /// let status = policy.prepare().unwrap();
    /// assert_eq!(status.unhandled_fs_rights().collect::<Vec<_>>(), ["ioctl_dev"]);
    /// if landlock_runtime::kernel_abi() >= 6 {
    ///     assert!(status.to_string().ends_with("; not restricted by the policy: ioctl_dev"), "{status}");
    /// }
    /// ```
    pub fn unhandled_fs_rights(&self) -> impl Iterator<Item = &'static str> + use<> {
        FsRights(u64::from(self.unhandled_fs)).names()
    }

    /// This status for an enforcement that found these io_uring instances, set up before it:
    /// partial when there is one.
    pub(crate) fn with_io_uring(&self, io_uring: Vec<IoUring>) -> Status {
        let level = match self.level {
            Level::Full if !io_uring.is_empty() => Level::Partial,
            level => level,
        };
        Status {
            level,
            io_uring: io_uring.into_boxed_slice(),
            ..self.clone()
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
    /// enforced: TCP bind, ...`, or `not enforced: this kernel has no Landlock`; then the
    /// optional paths skipped, but for the presets' paths that are missing here, which are no
    /// news.
    ///
    /// ```
    /// use landlock_runtime::{Policy, Preset};
    ///
    /// let policy = Policy::builder("t")
    ///     .read("/no/such/dir?")
    ///     .preset(Preset::DynamicLoader)
    ///     .build()
    ///     .unwrap();
    /// let status = policy.prepare().unwrap();
    /// // The loaders of the other architectures are missing, and not said.
    /// assert!(status.skipped.iter().any(|s| s.preset == Some(Preset::DynamicLoader)));
    /// assert!(status.to_string().ends_with("; skipped optional paths: /no/such/dir? (missing)"));
    /// ```
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
        if self.unhandled_fs != 0 && self.level != Level::NotEnforced {
            let names: Vec<&str> = self.unhandled_fs_rights().collect();
            write!(f, "; not restricted by the policy: {}", names.join(", "))?;
        }
        if let Some(threads) = &self.threads
            && self.level != Level::NotEnforced
        {
            write!(f, "; {threads}")?;
        }
        if !self.io_uring.is_empty() && self.level != Level::NotEnforced {
            write!(f, "; {}", IoUringList(&self.io_uring))?;
        }
        let news = self
            .skipped
            .iter()
            .filter(|s| !(s.preset.is_some() && s.reason == SkipReason::Missing));
        for (i, skipped) in news.enumerate() {
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

/// An io_uring instance of the process that was there before an enforcement, through which
/// requests may run with the rights of the thread that set it up: the kernel checks a request
/// with a registered personality's credentials (taken when it was registered) or, on an
/// `SQPOLL` ring, with its kernel thread's (taken when the ring was set up), not with the
/// submitting thread's. Landlock cannot reach either.
///
/// ```
/// use landlock_runtime::IoUring;
///
/// let ring = IoUring::Descriptor { fd: 5, sq_thread: Some(812), personalities: None };
/// assert_eq!(
///     ring.to_string(),
///     "fd 5 (its SQPOLL thread, 812, runs its requests with the rights of the thread that set it up)",
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IoUring {
    /// A descriptor of an io_uring instance.
    Descriptor {
        /// The descriptor.
        fd: i32,
        /// Whether it has an `SQPOLL` kernel thread, which runs its requests with the
        /// credentials of the thread that set it up, and its id as `/proc/self/fdinfo`'s
        /// `SqThread` gives it: that thread's, or, until it first runs, the id of the thread
        /// that set the ring up.
        sq_thread: Option<i32>,
        /// The ids of the personalities registered with it, as `/proc/self/fdinfo` lists
        /// them; `None` when they cannot be read: Linux 6.18 lists none, and any kernel leaves
        /// them out while another thread holds the ring's lock. A ring whose personalities
        /// cannot be read may hold one.
        personalities: Option<Vec<u32>>,
    },
    /// An instance only mapped into memory: its descriptor was closed, perhaps after being
    /// registered with a thread (`IORING_REGISTER_RING_FDS`), which can still submit to it.
    /// Nothing says what it holds.
    Mapped {
        /// The inode of the instance (`/proc/self/maps`).
        inode: u64,
    },
    /// An io_uring kernel thread that polls a ring for requests (`SQPOLL`), found without
    /// its ring: it runs them with the credentials of the thread that set that ring up.
    SqThread {
        /// Its thread id.
        tid: i32,
    },
    /// The instances could not be looked for: `/proc` could not be read (why). One may be
    /// there.
    NotLooked(String),
}

impl fmt::Display for IoUring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IoUring::Descriptor {
                fd,
                sq_thread: Some(tid),
                ..
            } => write!(
                f,
                "fd {fd} (its SQPOLL thread, {tid}, runs its requests with the rights of the thread that set it up)"
            ),
            IoUring::Descriptor {
                fd,
                personalities: Some(ids),
                ..
            } if !ids.is_empty() => {
                let ids: Vec<String> = ids.iter().map(u32::to_string).collect();
                write!(
                    f,
                    "fd {fd} (personality {} registered with the rights of the thread that registered it)",
                    ids.join(", ")
                )
            }
            IoUring::Descriptor { fd, .. } => write!(
                f,
                "fd {fd} (whether it holds a personality registered with older rights cannot be read here)"
            ),
            IoUring::Mapped { inode } => write!(
                f,
                "a ring left mapped after its descriptor was closed (inode {inode}; what it holds cannot be read)"
            ),
            IoUring::SqThread { tid } => write!(
                f,
                "SQPOLL thread {tid} (it runs requests with the rights of the thread that set its ring up)"
            ),
            IoUring::NotLooked(why) => write!(
                f,
                "io_uring instances, which may keep the rights of their creator, could not be looked for: {why}"
            ),
        }
    }
}

/// A list of io_uring instances as a status or an error says it.
pub(crate) struct IoUringList<'a>(pub(crate) &'a [IoUring]);

impl fmt::Display for IoUringList<'_> {
    /// `io_uring instances set up before the sandbox keep the rights of their creator: fd 5
    /// (...), ...`, and `io_uring instances could not be looked for: ...` when they could not.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (not_looked, found): (Vec<&IoUring>, Vec<&IoUring>) = self
            .0
            .iter()
            .partition(|ring| matches!(ring, IoUring::NotLooked(_)));
        for (i, ring) in found.iter().enumerate() {
            let lead = if i == 0 {
                "io_uring instances set up before the sandbox keep the rights of their creator: "
            } else {
                ", "
            };
            write!(f, "{lead}{ring}")?;
        }
        for (i, ring) in not_looked.iter().enumerate() {
            let sep = if i == 0 && found.is_empty() { "" } else { "; " };
            write!(f, "{sep}{ring}")?;
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
/// assert_eq!(status.skipped[0].preset, None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Skipped {
    /// The path, as written in the policy.
    pub grant: String,
    /// Why it was skipped.
    pub reason: SkipReason,
    /// The preset it is a path of; `None` for a path the policy names itself.
    pub preset: Option<Preset>,
}

/// Why an optional path was skipped.
///
/// ```
/// use landlock_runtime::{Policy, SkipReason};
///
/// let policy = Policy::builder("t").read("${LANDLOCK_DOC_UNSET}/data?").build().unwrap();
/// let status = policy.prepare().unwrap();
/// assert_eq!(status.skipped[0].reason, SkipReason::VariableUnset);
/// ```
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
    /// Whether a `#[sandbox]` function's call entered it, and that call has returned: the
    /// thread stays restricted by it (a restriction is never lifted), and another sandboxed
    /// function is refused entry here rather than narrowed by it silently
    /// ([`ErrorKind::ThreadNotOwned`](crate::ErrorKind::ThreadNotOwned)).
    pub returned: bool,
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
            Uncovered::IoUringSqPoll => f.write_str(
                "it is an io_uring SQPOLL thread, which runs requests with the rights of the thread that set its ring up",
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
        if self.io_workers > 0 {
            write!(
                f,
                ", {} io_uring workers (they run each request with its submitter's rights)",
                self.io_workers
            )?;
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
        if self.returned {
            f.write_str(", left by a call that has returned")?;
        }
        Ok(())
    }
}

/// Why a thread is not restricted. Only a thread still there when the enforcement ends is
/// reported: one that exits meanwhile never runs code again, and is counted as exited.
///
/// ```
/// use landlock_runtime::Uncovered;
///
/// assert_eq!(Uncovered::NoAnswer.to_string(), "it did not answer in time");
/// // With the errno of the failed call: EPERM.
/// assert_eq!(
///     Uncovered::Failed(1).to_string(),
///     "its restriction failed: Operation not permitted (os error 1)",
/// );
/// ```
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
    /// It is an io_uring kernel thread that polls a ring for requests (`SQPOLL`): it runs no
    /// code of the program and answers no signal, and runs the requests with the credentials
    /// of the thread that set the ring up. Told by the kernel's flag for io_uring threads and
    /// by the ring that names it, reported at once.
    IoUringSqPoll,
}

/// A thread that keeps its access after an enforcement on every thread, and why.
///
/// Not run here: it restricts every thread of the process.
///
/// ```no_run
/// use landlock_runtime::{Uncovered, policy};
///
/// let status = policy!(read = "/etc", process).enforce_all_threads().unwrap();
/// for thread in status.threads.iter().flat_map(|t| &t.uncovered) {
///     if thread.reason == Uncovered::BlocksSignal {
///         eprintln!("thread {} blocks the signal and keeps its access", thread.tid);
///     }
/// }
/// ```
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
    /// io_uring worker threads (`iou-wrk-*`), which run no code of the program, answer no
    /// signal, and run each request with the credentials it was submitted with: neither
    /// restricted nor keeping access of their own.
    pub io_workers: usize,
}
