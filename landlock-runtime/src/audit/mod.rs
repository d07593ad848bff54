//! Audit, the layer between outcomes and policies: the kernel's audit records of Landlock
//! denials read as typed [`Denial`]s, attributed to the sandbox that denied each through the
//! marks enforcement gives its domains, and the watcher a program starts from its environment.
//! The public face is `crate::denials`.

mod auto;
mod children;
pub(crate) mod learning_file;
mod record;
mod watch;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, Ordering};

use crate::model::{Class, Origin, Preset};

pub use watch::{Waker, WatchError, Watcher, enable_audit, watch};

pub(crate) use auto::start_if_asked;

/// One access the kernel denied, named as the policy language names it.
///
/// ```
/// use landlock_runtime::denials::Access;
///
/// assert_eq!(Access::Fs("read_dir").to_string(), "read_dir");
/// assert_eq!(Access::ConnectTcp.to_string(), "connect_tcp");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Access {
    /// A filesystem right: `read_file`, `read_dir`, `execute`, `write_file`, `make_reg`,
    /// `remove_file`, `truncate`, `refer`, ... (the kernel's names, as in the rights table).
    Fs(&'static str),
    /// TCP connect.
    ConnectTcp,
    /// TCP bind.
    BindTcp,
    /// A signal to a process outside the sandbox.
    Signal,
    /// A connection to an abstract unix socket created outside the sandbox.
    AbstractUnixSocket,
    /// A mount, unmount or pivot_root (never allowed in a sandbox).
    ChangeTopology,
    /// Tracing a process outside the sandbox.
    Ptrace,
    /// A name this library does not know (a newer kernel's).
    Other(String),
}

impl Access {
    /// From a `blockers=` name.
    fn from_blocker(name: &str) -> Access {
        if let Some(right) = name.strip_prefix("fs.") {
            if right == "change_topology" {
                return Access::ChangeTopology;
            }
            if let Some(known) = crate::model::rights::FS_RIGHTS
                .iter()
                .find(|r| r.name == right)
            {
                return Access::Fs(known.name);
            }
        }
        match name {
            "net.connect_tcp" => Access::ConnectTcp,
            "net.bind_tcp" => Access::BindTcp,
            "scope.signal" => Access::Signal,
            "scope.abstract_unix_socket" => Access::AbstractUnixSocket,
            "ptrace" => Access::Ptrace,
            other => Access::Other(other.to_owned()),
        }
    }

    /// The class of the policy language that grants this filesystem right, if any.
    ///
    /// ```
    /// use landlock_runtime::{Class, denials::Access};
    ///
    /// assert_eq!(Access::Fs("read_file").class(), Some(Class::Read));
    /// assert_eq!(Access::Fs("execute").class(), Some(Class::Exec));
    /// assert_eq!(Access::Fs("make_reg").class(), Some(Class::Write));
    /// assert_eq!(Access::BindTcp.class(), None);
    /// ```
    pub fn class(&self) -> Option<Class> {
        match self {
            Access::Fs("read_file" | "read_dir") => Some(Class::Read),
            Access::Fs("execute") => Some(Class::Exec),
            Access::Fs(_) => Some(Class::Write),
            _ => None,
        }
    }
}

impl fmt::Display for Access {
    /// `read_file`, `connect_tcp`, `signal`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Access::Fs(name) => name,
            Access::ConnectTcp => "connect_tcp",
            Access::BindTcp => "bind_tcp",
            Access::Signal => "signal",
            Access::AbstractUnixSocket => "abstract_unix_socket",
            Access::ChangeTopology => "change_topology",
            Access::Ptrace => "ptrace",
            Access::Other(name) => name,
        })
    }
}

/// What a denied access was aimed at.
///
/// ```
/// use landlock_runtime::denials::Object;
///
/// assert_eq!(Object::Path("/etc/hosts".into()).to_string(), "/etc/hosts");
/// assert_eq!(Object::Port(Some(443)).to_string(), "port 443");
/// assert_eq!(Object::Port(None).to_string(), "an ephemeral port");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Object {
    /// A file or directory (for creating or removing an entry, the directory).
    Path(PathBuf),
    /// A TCP port (connect: the destination; bind: the local port, `None` for port 0).
    Port(Option<u16>),
    /// Another process.
    Process {
        /// Its process id.
        pid: i32,
        /// Its command name.
        comm: Option<String>,
    },
    /// An abstract unix socket, by name (without the leading NUL).
    AbstractSocket(Vec<u8>),
    /// Not said in the record.
    Unknown,
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Object::Path(path) => write!(f, "{}", path.display()),
            Object::Port(Some(port)) => write!(f, "port {port}"),
            Object::Port(None) => f.write_str("an ephemeral port"),
            Object::Process { pid, comm } => match comm {
                Some(comm) => write!(f, "process {pid} ({comm})"),
                None => write!(f, "process {pid}"),
            },
            Object::AbstractSocket(name) => {
                write!(f, "abstract socket @{}", String::from_utf8_lossy(name))
            }
            Object::Unknown => f.write_str("an object the record does not name"),
        }
    }
}

/// Which side of a link or rename between two directories a denial is: the kernel writes one
/// record for each directory that lacks something, in one event, the source's first.
///
/// When the link or rename would give the file rights in its new place that it lacks in its
/// old one, the kernel lists on each side *every* right that side lacks, not only those the
/// move asks for: the destination needs only refer and the rights to make (or, replacing an
/// entry, remove) it, and the source needs, beside refer and removing the entry for a rename,
/// the rights the destination has and the source lacks, so that the file gains nothing.
/// [`Denial::needs`] reads the two records so.
///
/// ```
/// use landlock_runtime::denials::Reparent;
///
/// let side = Reparent::Source { destination: "/srv/out".into(), destination_lacks: Vec::new() };
/// assert_eq!(side.to_string(), "the source of a link or rename into /srv/out");
/// let side = Reparent::Destination { source: "/etc".into() };
/// assert_eq!(side.to_string(), "the destination of a link or rename from /etc");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reparent {
    /// The directory the file was linked or moved from.
    Source {
        /// The directory it was linked or moved into.
        destination: PathBuf,
        /// What the kernel listed as lacking on the destination (nothing when the destination
        /// lacks nothing).
        destination_lacks: Vec<Access>,
    },
    /// The directory the file was linked or moved into.
    Destination {
        /// The directory it was linked or moved from.
        source: PathBuf,
    },
}

impl Reparent {
    /// What is said of the destination of a link or rename that needs nothing more there.
    ///
    /// ```
    /// use landlock_runtime::denials::Reparent;
    ///
    /// assert!(Reparent::DESTINATION_HAS_ENOUGH.starts_with("nothing more is needed here"));
    /// ```
    pub const DESTINATION_HAS_ENOUGH: &'static str = "nothing more is needed here (the move needs refer and make_ or remove_ rights here, which it has; the rest is what the file must not gain: see the source's denial)";
}

impl fmt::Display for Reparent {
    /// `the source of a link or rename into /srv/out`, `the destination of a link or rename
    /// from /etc`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reparent::Source { destination, .. } => write!(
                f,
                "the source of a link or rename into {}",
                destination.display()
            ),
            Reparent::Destination { source } => write!(
                f,
                "the destination of a link or rename from {}",
                source.display()
            ),
        }
    }
}

/// Whether a link or rename asks `access` of a directory itself: refer, and making or removing
/// an entry.
fn moves_an_entry(access: &Access) -> bool {
    matches!(access, Access::Fs(name)
        if *name == "refer" || name.starts_with("make_") || name.starts_with("remove_"))
}

/// Reads the denials of one event as the two sides of a link or rename when they are: two
/// filesystem denials of one domain, each on a directory (the kernel writes two records in one
/// event only for a link or rename, the source's first). Updates what their attributions say
/// would allow them.
pub(crate) fn read_sides(event: &mut [Denial]) {
    let [source, destination] = event else {
        return;
    };
    let (Object::Path(from), Object::Path(to)) = (&source.object, &destination.object) else {
        return;
    };
    let filesystem = |d: &Denial| d.accesses.iter().all(|a| matches!(a, Access::Fs(_)));
    if source.domain != destination.domain || !filesystem(source) || !filesystem(destination) {
        return;
    }
    source.reparent = Some(Reparent::Source {
        destination: to.clone(),
        destination_lacks: destination.accesses.clone(),
    });
    destination.reparent = Some(Reparent::Destination {
        source: from.clone(),
    });
    for side in [source, destination] {
        let allow = side.allow();
        if let Some(attribution) = &mut side.sandbox {
            attribution.allow = allow;
        }
    }
}

/// What would allow a denied access, as an item of the policy language.
///
/// ```
/// use landlock_runtime::{Class, denials::Allow};
///
/// let grant = Allow::Grant { class: Class::Write, path: "/srv/out".into() };
/// assert_eq!(grant.to_string(), "write = \"/srv/out\"");
/// assert_eq!(Allow::Bind(8080).to_string(), "bind = 8080");
/// assert_eq!(Allow::AllowSignals.to_string(), "allow_signals");
/// assert_eq!(Allow::Preset(landlock_runtime::Preset::Dns).to_string(), "preset = \"dns\"");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Allow {
    /// `read = "PATH"`, `write = "PATH"` or `exec = "PATH"`.
    Grant {
        /// The class to grant.
        class: Class,
        /// The path to grant it on.
        path: PathBuf,
    },
    /// `preset = "NAME"`: a preset grants it on this machine ([`Preset::covering`]), and is
    /// said instead of the path.
    Preset(Preset),
    /// `connect = PORT`.
    Connect(u16),
    /// `bind = PORT`.
    Bind(u16),
    /// `allow_signals`.
    AllowSignals,
    /// `allow_abstract_unix_sockets`.
    AllowAbstractUnixSockets,
    /// Nothing the policy language says allows it (a mount, ptrace, binding port 0 with bind
    /// restricted, ...): why.
    Nothing(&'static str),
}

impl fmt::Display for Allow {
    /// `read = "/etc/hosts"`, `connect = 443`, `allow_signals`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Allow::Grant { class, path } => {
                write!(f, "{} = \"{}\"", class.keyword(), path.display())
            }
            Allow::Preset(preset) => write!(f, "preset = \"{}\"", preset.name()),
            Allow::Connect(port) => write!(f, "connect = {port}"),
            Allow::Bind(port) => write!(f, "bind = {port}"),
            Allow::AllowSignals => f.write_str("allow_signals"),
            Allow::AllowAbstractUnixSockets => f.write_str("allow_abstract_unix_sockets"),
            Allow::Nothing(why) => f.write_str(why),
        }
    }
}

/// What would allow `class` on `path`: the preset that grants it on this machine (the
/// narrowest, [`Preset::covering`]), or else a grant of `class` on the path. Every answer of
/// this library and its runner to a denied path goes through here.
pub(crate) fn grant(class: Class, path: PathBuf) -> Allow {
    match Preset::covering(&path, class) {
        Some(preset) => Allow::Preset(preset),
        None => Allow::Grant { class, path },
    }
}

/// What would allow `access` on `object`.
pub(crate) fn allow(access: &Access, object: &Object) -> Allow {
    match (access, object) {
        (Access::Fs(_), Object::Path(path)) => Allow::Grant {
            class: access.class().unwrap_or(Class::Read),
            path: path.clone(),
        },
        (Access::ConnectTcp, Object::Port(Some(port))) => Allow::Connect(*port),
        (Access::BindTcp, Object::Port(Some(port))) => Allow::Bind(*port),
        (Access::BindTcp, _) => Allow::Nothing(
            "no port is granted for binding port 0 (an ephemeral port): bind a fixed port and grant it, or `bind = \"*\"`",
        ),
        (Access::Signal, _) => Allow::AllowSignals,
        (Access::AbstractUnixSocket, _) => Allow::AllowAbstractUnixSockets,
        (Access::ChangeTopology, _) => {
            Allow::Nothing("nothing: a sandboxed thread may never change mounts")
        }
        (Access::Ptrace, _) => {
            Allow::Nothing("nothing: a sandboxed thread may never trace a process outside it")
        }
        _ => Allow::Nothing("nothing this library knows of"),
    }
}

/// A sandbox known to this process, as denials are attributed to it.
#[derive(Debug)]
pub(crate) struct Known {
    pub origin: Origin,
}

/// The sandbox a denial is attributed to, and what would allow what it denied.
///
/// Not run here: watching denials needs `CAP_AUDIT_READ` and the kernel's audit.
///
/// ```no_run
/// let watcher = landlock_runtime::denials::watch()?;
/// for denial in watcher {
///     if let Some(sandbox) = &denial.sandbox {
///         let fixes: Vec<String> = sandbox.allow.iter().map(|a| a.to_string()).collect();
///         println!("{}: add {}", sandbox.origin, fixes.join(", "));
///     }
/// }
/// # Ok::<(), landlock_runtime::denials::WatchError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attribution {
    /// Where the policy that denied it is written.
    pub origin: Origin,
    /// What would allow each denied access, in order, once each.
    pub allow: Vec<Allow>,
}

/// A denial the kernel reported, of this process or of a child process it started with a
/// sandbox (see [`watch`](crate::denials::watch)).
///
/// Not run here: watching denials needs `CAP_AUDIT_READ` and the kernel's audit.
///
/// ```no_run
/// use landlock_runtime::denials::{self, Object};
///
/// for denial in denials::watch()? {
///     if let Object::Path(path) = &denial.object {
///         let pid = denial.pid.unwrap_or(0);
///         eprintln!("process {pid} was denied {} on {}", denial.accesses[0], path.display());
///     }
/// }
/// # Ok::<(), denials::WatchError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Denial {
    /// What was denied (several rights of one operation, in the kernel's order).
    pub accesses: Vec<Access>,
    /// What it was aimed at.
    pub object: Object,
    /// The process denied (its thread group id), when the records say: this process, a child
    /// it started with a sandbox, or one of that child's own children.
    pub pid: Option<i32>,
    /// Its executable, when the records say.
    pub exe: Option<PathBuf>,
    /// The kernel's id of the sandbox domain that denied it (the youngest layer that does).
    pub domain: u64,
    /// The sandbox it is attributed to, when known (see the module's documentation).
    pub sandbox: Option<Attribution>,
    /// Which side of a link or rename between two directories it is, when the kernel reported
    /// both sides (see [`Reparent`]).
    pub reparent: Option<Reparent>,
}

impl Denial {
    /// What would allow this denial, whether or not it is attributed. A grant on a path that a
    /// preset covers on this machine is said as the preset ([`Preset::covering`]): without
    /// `preset = "dns"`, resolving a name is denied its resolver files, and the answer to each
    /// is `preset = "dns"`, one reviewed name, not a `read` grant per file.
    ///
    /// Not run here: watching denials needs `CAP_AUDIT_READ` and the kernel's audit.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use landlock_runtime::denials;
    ///
    /// let mut watcher = denials::watch()?;
    /// if let Some(denial) = watcher.next_timeout(Duration::from_secs(5)) {
    ///     // Rights on one path make one item: execute and read_file on /usr/bin/env give
    ///     // `exec = "/usr/bin/env"`.
    ///     for item in denial.allow() {
    ///         println!("{item}");
    ///     }
    /// }
    /// # Ok::<(), denials::WatchError>(())
    /// ```
    pub fn allow(&self) -> Vec<Allow> {
        let mut allow: Vec<Allow> = Vec::new();
        for access in &self.needs() {
            let item = self::allow(access, &self.object);
            if allow.contains(&item) {
                continue;
            }
            // One grant for several rights on one path: the class that includes the others
            // (`read` is within both others; `write` and `exec` together need both).
            if let (
                Allow::Grant { class, path },
                Some(Allow::Grant {
                    class: last,
                    path: p,
                }),
            ) = (&item, allow.last_mut())
                && p == path
            {
                match (*last, *class) {
                    (Class::Read, wider) => *last = wider,
                    (_, Class::Read) => {}
                    _ => allow.push(item),
                }
                continue;
            }
            allow.push(item);
        }
        // Once the rights on each path make one grant: a preset covers it or not.
        let mut said: Vec<Allow> = Vec::with_capacity(allow.len());
        for item in allow {
            let item = match item {
                Allow::Grant { class, path } => grant(class, path),
                other => other,
            };
            if !said.contains(&item) {
                said.push(item);
            }
        }
        said
    }
}

impl Denial {
    /// The accesses a grant must allow for the denied operation to pass: those the kernel
    /// listed, but, for a side of a link or rename ([`Reparent`]), only what that side needs.
    /// Everything that tells what would allow a denial ([`Denial::allow`], the attribution, the
    /// learning file, the runner) reads it through here.
    ///
    /// Not run here: watching denials needs `CAP_AUDIT_READ` and the kernel's audit.
    ///
    /// ```no_run
    /// use landlock_runtime::denials;
    ///
    /// for denial in denials::watch()? {
    ///     // `ln /etc/hostname out/h` with write on `out`: the kernel lists every right `/etc`
    ///     // lacks, and the link needs those `out` has (write), not execute.
    ///     let listed: Vec<String> = denial.accesses.iter().map(|a| a.to_string()).collect();
    ///     let needed: Vec<String> = denial.needs().iter().map(|a| a.to_string()).collect();
    ///     println!("{}: listed {}, needed {}", denial.object, listed.join(","), needed.join(","));
    /// }
    /// # Ok::<(), denials::WatchError>(())
    /// ```
    pub fn needs(&self) -> Vec<Access> {
        match &self.reparent {
            None => self.accesses.clone(),
            Some(Reparent::Source {
                destination_lacks, ..
            }) => self
                .accesses
                .iter()
                .filter(|a| moves_an_entry(a) || !destination_lacks.contains(a))
                .cloned()
                .collect(),
            Some(Reparent::Destination { .. }) => self
                .accesses
                .iter()
                .filter(|a| moves_an_entry(a))
                .cloned()
                .collect(),
        }
    }
}

impl fmt::Display for Denial {
    /// `sandbox `app::worker` (src/worker.rs:12) denied read_file on /etc/app.toml (pid 812,
    /// /usr/bin/app): allow it with read = "/etc/app.toml"`; for a path a preset grants, the
    /// preset (`allow it with preset = "dns"`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sandbox {
            Some(a) => write!(f, "sandbox {} denied ", a.origin)?,
            None => write!(
                f,
                "sandbox domain {:x} (not attributed) denied ",
                self.domain
            )?,
        }
        for (i, access) in self.accesses.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            write!(f, "{sep}{access}")?;
        }
        write!(f, " on {}", self.object)?;
        if let Some(side) = &self.reparent {
            write!(f, ", {side}")?;
        }
        match (self.pid, &self.exe) {
            (Some(pid), Some(exe)) => write!(f, " (pid {pid}, {})", exe.display())?,
            (Some(pid), None) => write!(f, " (pid {pid})")?,
            _ => {}
        }
        let allow = self.allow();
        if allow.is_empty() && matches!(self.reparent, Some(Reparent::Destination { .. })) {
            return write!(f, ": {}", Reparent::DESTINATION_HAS_ENOUGH);
        }
        for (i, item) in allow.iter().enumerate() {
            let lead = if i == 0 { ": allow it with " } else { ", " };
            write!(f, "{lead}{item}")?;
        }
        Ok(())
    }
}

// --- Whose a domain or a denial is ---------------------------------------------------------

/// The real user id this process had when it started watching denials (`u32::MAX` before).
static WATCHING_UID: AtomicU32 = AtomicU32::new(u32::MAX);

/// Starts telling this process's records from others': the socket its sandboxed children
/// report on, and its user id.
pub(crate) fn start_owning() -> std::io::Result<()> {
    children::open()?;
    // SAFETY: getuid takes nothing and cannot fail.
    WATCHING_UID.store(unsafe { libc::getuid() }, Ordering::Relaxed);
    Ok(())
}

/// Which of this process's a process the kernel's records name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    /// This process: its domains are marked with any of its policies.
    Process,
    /// A child it started with a sandbox, with the policy of this id: only that policy's mark
    /// is taken on its domains (after `exec` it runs code this process does not control).
    Child(u64),
}

impl Owner {
    /// Whether a domain this process created may be attributed to the policy `id`.
    pub(crate) fn may_mark(self, id: u64) -> bool {
        match self {
            Owner::Process => true,
            Owner::Child(policy) => policy == id,
        }
    }
}

/// Whose the process `pid` of real user `uid` is, as the kernel's records name them (a domain's
/// creator, a denied process): this process, or a child it started with a sandbox while
/// denials were watched; `None` for any other. Kernel-given facts only: a process's chosen
/// name plays no part.
pub(crate) fn owner(pid: i32, uid: u32) -> Option<Owner> {
    if pid == std::process::id() as i32 {
        // SAFETY: getuid takes nothing and cannot fail.
        let now = unsafe { libc::getuid() };
        return (uid == now || uid == WATCHING_UID.load(Ordering::Relaxed))
            .then_some(Owner::Process);
    }
    children::child_policy(pid, uid).map(Owner::Child)
}

/// Where a child started now reports itself (a descriptor and the socket's inode), while
/// denials are watched.
pub(crate) fn child_report() -> Option<(std::os::fd::RawFd, u64)> {
    if marking() {
        children::report_to()
    } else {
        None
    }
}

// --- Marking enforcements, so that their domains can be told apart -------------------------

/// Whether enforcements mark their threads (set by watching).
static MARKING: AtomicBool = AtomicBool::new(false);

/// Policies known by the id their marks carry: a lock-free list, append only, as long-lived
/// as the process (policies are registered only while denials are watched).
static KNOWN: AtomicPtr<KnownNode> = AtomicPtr::new(std::ptr::null_mut());

struct KnownNode {
    id: u64,
    known: Arc<Known>,
    next: *mut KnownNode,
}

/// Whether enforcements mark their threads for attribution.
pub(crate) fn marking() -> bool {
    MARKING.load(Ordering::Relaxed)
}

/// Starts marking enforcements from now on.
pub(crate) fn start_marking() {
    MARKING.store(true, Ordering::Relaxed);
}

/// Registers a prepared policy for attribution under `id` (while marking).
pub(crate) fn register(id: u64, known: Known) {
    let node = Box::into_raw(Box::new(KnownNode {
        id,
        known: Arc::new(known),
        next: std::ptr::null_mut(),
    }));
    let mut head = KNOWN.load(Ordering::Acquire);
    loop {
        // SAFETY: `node` is ours until published.
        unsafe { (*node).next = head };
        match KNOWN.compare_exchange(head, node, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return,
            Err(now) => head = now,
        }
    }
}

/// The policy registered under `id`.
pub(crate) fn known(id: u64) -> Option<Arc<Known>> {
    let mut at = KNOWN.load(Ordering::Acquire);
    // SAFETY: nodes are published once and never freed.
    while let Some(node) = unsafe { at.as_ref() } {
        if node.id == id {
            return Some(node.known.clone());
        }
        at = node.next;
    }
    None
}

/// The thread name an enforcement of policy `id`, registered by process `pid`, carries while
/// it restricts itself: `=l` then `pid` and `id` in base 36, separated by `.`, NUL-terminated,
/// in a 16-byte buffer (the kernel's `TASK_COMM_LEN`). Any process can take this name: a mark
/// only says which policy a domain is, once the kernel's record of its creator has tied the
/// domain to this process ([`is_ours`]). The process is in the mark because policy ids are per
/// process (those of the child processes it started carry its pid too). Async-signal-safe.
pub(crate) fn mark(pid: u32, id: u64) -> [u8; 16] {
    let mut name = [0u8; 16];
    name[..2].copy_from_slice(b"=l");
    let mut at = 2;
    at = base36(&mut name, at, u64::from(pid));
    name[at] = b'.';
    base36(&mut name, at + 1, id);
    name
}

/// Writes `n` in base 36 into `out` from `at`, within the first 15 bytes; returns where it
/// ended.
fn base36(out: &mut [u8; 16], at: usize, mut n: u64) -> usize {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut digits = [0u8; 13];
    let mut len = 0;
    loop {
        digits[len] = DIGITS[(n % 36) as usize];
        len += 1;
        n /= 36;
        if n == 0 {
            break;
        }
    }
    let len = len.min(15 - at);
    for i in 0..len {
        out[at + i] = digits[len - 1 - i];
    }
    at + len
}

/// The process and policy id a thread name carries, if it is a mark.
pub(crate) fn marked(comm: &str) -> Option<(u32, u64)> {
    let (pid, id) = comm.strip_prefix("=l")?.split_once('.')?;
    Some((
        u32::from_str_radix(pid, 36).ok()?,
        u64::from_str_radix(id, 36).ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_fit_a_thread_name_and_read_back() {
        for (pid, id) in [(1, 1), (4_194_304, 42), (812, 70_000_000_000)] {
            let name = mark(pid, id);
            let end = name.iter().position(|&b| b == 0).unwrap();
            assert!(end <= 15);
            assert_eq!(
                marked(std::str::from_utf8(&name[..end]).unwrap()),
                Some((pid, id))
            );
        }
        assert_eq!(marked("trial11"), None);
    }

    #[test]
    fn what_would_allow_each_kind() {
        let path = Object::Path("/etc/hosts".into());
        assert_eq!(
            allow(&Access::Fs("read_file"), &path).to_string(),
            "read = \"/etc/hosts\""
        );
        assert_eq!(
            allow(&Access::Fs("make_reg"), &path).to_string(),
            "write = \"/etc/hosts\""
        );
        assert_eq!(
            allow(&Access::ConnectTcp, &Object::Port(Some(443))).to_string(),
            "connect = 443"
        );
        assert_eq!(
            allow(&Access::Signal, &Object::Unknown).to_string(),
            "allow_signals"
        );
        let d = Denial {
            accesses: vec![Access::Fs("execute"), Access::Fs("read_file")],
            object: Object::Path("/usr/bin/env".into()),
            pid: None,
            exe: None,
            domain: 1,
            sandbox: None,
            reparent: None,
        };
        assert_eq!(
            d.allow(),
            [Allow::Grant {
                class: Class::Exec,
                path: "/usr/bin/env".into()
            }]
        );
    }

    /// A path a preset covers here is answered with the preset, when the preset grants all
    /// that the denial needs on it.
    #[test]
    fn a_path_a_preset_covers_is_answered_with_the_preset() {
        let denial = |accesses: &[&'static str], path: &str| Denial {
            accesses: accesses.iter().map(|a| Access::Fs(a)).collect(),
            object: Object::Path(path.into()),
            pid: None,
            exe: None,
            domain: 1,
            sandbox: None,
            reparent: None,
        };
        let hosts = denial(&["read_file"], "/etc/hosts");
        assert_eq!(hosts.allow(), [Allow::Preset(Preset::Dns)]);
        assert!(
            hosts
                .to_string()
                .ends_with(": allow it with preset = \"dns\"")
        );
        // `dns` grants read only.
        assert_eq!(
            denial(&["read_file", "write_file"], "/etc/hosts").allow(),
            [Allow::Grant {
                class: Class::Write,
                path: "/etc/hosts".into()
            }]
        );
        // The narrowest: locale data is under the loader's `/usr/lib` too.
        if std::path::Path::new("/usr/lib/locale").exists() {
            assert_eq!(
                denial(&["read_dir"], "/usr/lib/locale").allow(),
                [Allow::Preset(Preset::Locale)]
            );
        }
        assert_eq!(
            denial(&["read_file"], "/etc/hostname").allow(),
            [Allow::Grant {
                class: Class::Read,
                path: "/etc/hostname".into()
            }]
        );
        // Never a preset that grants more than the denial needs: `dynamic_loader` also grants
        // `exec` on the loaders, so a read under `/usr/lib` gets its own grant, and the loader
        // denied `exec` gets the preset.
        if std::path::Path::new("/usr/lib/os-release").exists() {
            assert_eq!(
                denial(&["read_file"], "/usr/lib/os-release").allow(),
                [Allow::Grant {
                    class: Class::Read,
                    path: "/usr/lib/os-release".into()
                }]
            );
        }
        if std::path::Path::new("/lib64/ld-linux-x86-64.so.2").exists() {
            assert_eq!(
                denial(&["execute"], "/lib64/ld-linux-x86-64.so.2").allow(),
                [Allow::Preset(Preset::DynamicLoader)]
            );
        }
    }
}
