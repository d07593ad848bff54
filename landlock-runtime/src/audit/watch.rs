//! Reading Landlock's audit records from the kernel: a `NETLINK_AUDIT` socket bound to the
//! read-log multicast group (which needs `CAP_AUDIT_READ`), records grouped into events by
//! their serial, and each event's denials typed and attributed.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::record::{self, EOE, LANDLOCK_ACCESS, LANDLOCK_DOMAIN, SYSCALL};
use super::{Access, Attribution, Denial, Object};

/// `AUDIT_NLGRP_READLOG`: the multicast group of every audit record.
const READLOG_GROUP: u32 = 1;
/// `AUDIT_GET` and `AUDIT_SET`: the kernel's audit status.
const AUDIT_GET: u16 = 1000;
const AUDIT_SET: u16 = 1001;
/// `AUDIT_STATUS_ENABLED` and `AUDIT_STATUS_BACKLOG_LIMIT`: which fields of a status to set.
const STATUS_ENABLED: u32 = 1;
const STATUS_BACKLOG_LIMIT: u32 = 0x10;
/// The kernel's queue of records waiting for readers, at least: its default (64) loses records
/// when a program is denied many things at once.
const BACKLOG: u32 = 8192;
/// How long an event without its end record is kept before it is taken as whole (an event
/// outside a system call has no end record).
const EVENT_WAIT: Duration = Duration::from_millis(100);

/// Why denials cannot be watched.
///
/// ```
/// use landlock_runtime::denials::WatchError;
///
/// let why = WatchError::AuditDisabled.to_string();
/// assert!(why.contains("enable it with `auditctl -e 1`"), "{why}");
/// assert!(WatchError::NoCapability.to_string().contains("CAP_AUDIT_READ"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum WatchError {
    /// This process lacks `CAP_AUDIT_READ` (in the initial user namespace): run it as root,
    /// or give it the capability (`setcap cap_audit_read+ep`).
    NoCapability,
    /// The kernel's audit is disabled, so Landlock writes no record: enable it with
    /// `auditctl -e 1` or [`enable_audit`] (both need `CAP_AUDIT_CONTROL`).
    AuditDisabled,
    /// The kernel has no audit, or no Landlock ABI 7 (Linux 6.15), which reports denials.
    Unsupported(String),
    /// The socket could not be set up.
    Io(io::Error),
}

impl fmt::Display for WatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WatchError::NoCapability => f.write_str(
                "cannot read the kernel's audit records: this process lacks CAP_AUDIT_READ; run it as root or give it the capability (setcap cap_audit_read+ep PROGRAM)",
            ),
            WatchError::AuditDisabled => f.write_str(
                "the kernel's audit is disabled, so Landlock reports no denial: enable it with `auditctl -e 1` (as root), or landlock_runtime::denials::enable_audit()",
            ),
            WatchError::Unsupported(why) => write!(f, "denials cannot be watched here: {why}"),
            WatchError::Io(e) => write!(f, "watching denials: {e}"),
        }
    }
}

impl std::error::Error for WatchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WatchError::Io(e) => Some(e),
            _ => None,
        }
    }
}

fn netlink_socket() -> io::Result<OwnedFd> {
    // SAFETY: socket(2) on constants; the descriptor is owned below.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::NETLINK_AUDIT,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a descriptor just returned by the kernel, owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn bind(socket: &OwnedFd, groups: u32) -> io::Result<()> {
    // SAFETY: zeroed is a valid sockaddr_nl; the family and groups are set below.
    let mut address: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    address.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    address.nl_groups = groups;
    // SAFETY: a valid address of the size passed.
    let bound = unsafe {
        libc::bind(
            socket.as_raw_fd(),
            &address as *const libc::sockaddr_nl as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    if bound != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Sends one request to the kernel's audit and returns the status it answers, or the errno.
fn audit_request(kind: u16, status: Option<[u32; 11]>) -> io::Result<[u32; 11]> {
    let socket = netlink_socket()?;
    bind(&socket, 0)?;
    let payload: Vec<u8> = status
        .map(|s| s.iter().flat_map(|v| v.to_ne_bytes()).collect())
        .unwrap_or_default();
    let mut message = Vec::with_capacity(16 + payload.len());
    message.extend_from_slice(&((16 + payload.len()) as u32).to_ne_bytes());
    message.extend_from_slice(&kind.to_ne_bytes());
    let flags = (libc::NLM_F_REQUEST | libc::NLM_F_ACK) as u16;
    message.extend_from_slice(&flags.to_ne_bytes());
    message.extend_from_slice(&1u32.to_ne_bytes());
    message.extend_from_slice(&0u32.to_ne_bytes());
    message.extend_from_slice(&payload);
    // SAFETY: zeroed is a valid sockaddr_nl: the kernel (pid 0).
    let mut kernel: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    kernel.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    // SAFETY: a valid buffer and address of the sizes passed.
    let sent = unsafe {
        libc::sendto(
            socket.as_raw_fd(),
            message.as_ptr().cast(),
            message.len(),
            0,
            &kernel as *const libc::sockaddr_nl as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    set_timeout(&socket, Duration::from_secs(2))?;
    let mut buffer = vec![0u8; 8192];
    let mut answer = None;
    for _ in 0..4 {
        let n = receive(&socket, &mut buffer, 0)?;
        let Some((kind, payload)) = message_of(&buffer[..n]) else {
            continue;
        };
        match kind {
            k if k == libc::NLMSG_ERROR as u16 => {
                let errno = i32::from_ne_bytes(
                    payload
                        .get(..4)
                        .unwrap_or(&[0; 4])
                        .try_into()
                        .unwrap_or([0; 4]),
                );
                if errno != 0 {
                    return Err(io::Error::from_raw_os_error(-errno));
                }
                if answer.is_some() || status.is_some() {
                    break;
                }
            }
            AUDIT_GET => {
                let mut s = [0u32; 11];
                for (i, chunk) in payload.chunks_exact(4).take(11).enumerate() {
                    s[i] = u32::from_ne_bytes(chunk.try_into().unwrap_or([0; 4]));
                }
                answer = Some(s);
                break;
            }
            _ => {}
        }
    }
    Ok(answer.unwrap_or_default())
}

/// Whether the kernel's audit is enabled; `None` when this process may not ask (it lacks
/// `CAP_AUDIT_CONTROL`).
fn audit_enabled() -> Option<bool> {
    audit_request(AUDIT_GET, None).ok().map(|s| s[1] != 0)
}

/// Enables the kernel's audit, as `auditctl -e 1` does, so that Landlock reports denials, and
/// raises the kernel's queue of records to 8192 if it is shorter (its default, 64, loses
/// records in bursts; `auditctl -b 8192`). Needs `CAP_AUDIT_CONTROL` (root). A setting of the
/// whole system, until it is changed or the machine restarts: meant for a test machine, or for
/// an administrator who asks for it.
///
/// ```no_run
/// landlock_runtime::denials::enable_audit()?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn enable_audit() -> io::Result<()> {
    let current = audit_request(AUDIT_GET, None)?;
    let mut status = [0u32; 11];
    status[0] = STATUS_ENABLED;
    status[1] = 1;
    if current[5] != 0 && current[5] < BACKLOG {
        status[0] |= STATUS_BACKLOG_LIMIT;
        status[5] = BACKLOG;
    }
    audit_request(AUDIT_SET, Some(status)).map(drop)
}

fn set_timeout(socket: &OwnedFd, timeout: Duration) -> io::Result<()> {
    let value = libc::timeval {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_usec: timeout.subsec_micros() as libc::suseconds_t,
    };
    // SAFETY: a valid timeval of the size passed.
    let set = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            &value as *const libc::timeval as *const libc::c_void,
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    if set != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// One datagram from `socket`, with the `flags` of recv(2).
fn receive(socket: &OwnedFd, buffer: &mut [u8], flags: libc::c_int) -> io::Result<usize> {
    loop {
        // SAFETY: a writable buffer of the length passed.
        let n = unsafe {
            libc::recv(
                socket.as_raw_fd(),
                buffer.as_mut_ptr().cast(),
                buffer.len(),
                flags,
            )
        };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// The type and payload of the one netlink message in `datagram`.
fn message_of(datagram: &[u8]) -> Option<(u16, &[u8])> {
    let len = u32::from_ne_bytes(datagram.get(..4)?.try_into().ok()?) as usize;
    let kind = u16::from_ne_bytes(datagram.get(4..6)?.try_into().ok()?);
    let end = len.min(datagram.len());
    Some((kind, datagram.get(16..end).unwrap_or_default()))
}

/// Starts watching this process's Landlock denials: those of the sandboxes it enforces, and
/// those of the child processes it starts with [`SandboxCommandExt`](crate::SandboxCommandExt)
/// from now on (and of their own children, in the child's sandbox). From now on, those sandboxes
/// are marked so that each denial is attributed to the policy that denied it.
///
/// A denial is this process's only by what the kernel's records say of the processes involved:
/// the domain's creator (its process id and user id, taken when it restricted itself) is this
/// process or such a child, or the denied process is. Other processes' denials are never
/// yielded, whatever names they give their threads; a child started otherwise (a plain
/// [`std::process::Command`]) is another process.
///
/// Fails with a [`WatchError`] that says what is missing: `CAP_AUDIT_READ`, or the kernel's
/// audit (checked when this process may ask, that is with `CAP_AUDIT_CONTROL`); or, as
/// [`WatchError::Unsupported`], when this process is in a PID namespace other than the
/// initial one, whose process ids the kernel's records do not give.
///
/// ```no_run
/// let watcher = landlock_runtime::denials::watch()?;
/// # Ok::<(), landlock_runtime::denials::WatchError>(())
/// ```
pub fn watch() -> Result<Watcher, WatchError> {
    match crate::kernel::abi() {
        0 => {
            return Err(WatchError::Unsupported(
                "this kernel has no Landlock, and denials are reported from Landlock ABI 7 (Linux 6.15)"
                    .into(),
            ));
        }
        abi @ 1..7 => {
            return Err(WatchError::Unsupported(format!(
                "this kernel has Landlock ABI {abi}, and denials are reported from ABI 7 (Linux 6.15)"
            )));
        }
        _ => {}
    }
    initial_pid_namespace()?;
    let socket = netlink_socket().map_err(|e| match e.raw_os_error() {
        Some(libc::EPROTONOSUPPORT) => {
            WatchError::Unsupported("the kernel has no audit (booted with audit=0?)".into())
        }
        _ => WatchError::Io(e),
    })?;
    // Room for bursts: records that do not fit are lost (and said so by ENOBUFS).
    let size: libc::c_int = 8 << 20;
    for option in [libc::SO_RCVBUFFORCE, libc::SO_RCVBUF] {
        // SAFETY: a valid int of the size passed.
        let set = unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::SOL_SOCKET,
                option,
                &size as *const libc::c_int as *const libc::c_void,
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if set == 0 {
            break;
        }
    }
    bind(&socket, READLOG_GROUP).map_err(|e| match e.raw_os_error() {
        Some(libc::EPERM) => WatchError::NoCapability,
        _ => WatchError::Io(e),
    })?;
    if audit_enabled() == Some(false) {
        return Err(WatchError::AuditDisabled);
    }
    super::start_owning().map_err(WatchError::Io)?;
    super::start_marking();
    Ok(Watcher {
        socket,
        wake: Arc::new(event_fd().map_err(WatchError::Io)?),
        woken: false,
        marker: None,
        caught_up: false,
        buffer: vec![0u8; 64 * 1024],
        events: HashMap::new(),
        domains: HashMap::new(),
        ready: VecDeque::new(),
        lost: 0,
    })
}

/// Refuses to watch from a PID namespace other than the initial one: the kernel's audit records
/// name processes by their ids there, which such a process does not know as its own or its
/// children's, so that every denial of its own would be dropped unseen. Told by the kernel:
/// the namespace file of this process (`/proc/self/ns/pid`, on nsfs), whose inode number is
/// the initial namespace's fixed one.
fn initial_pid_namespace() -> Result<(), WatchError> {
    /// `NSFS_MAGIC`: the filesystem of namespace files.
    const NSFS_MAGIC: i64 = 0x6e73_6673;
    /// `PROC_PID_INIT_INO`: the inode number of the initial PID namespace.
    const PROC_PID_INIT_INO: u64 = 0xEFFF_FFFC;
    let unknown = |e: io::Error| {
        WatchError::Unsupported(format!(
            "cannot tell which PID namespace this process is in (/proc/self/ns/pid: {e}), and the kernel's audit records name processes by their ids in the initial one"
        ))
    };
    let file = std::fs::File::open("/proc/self/ns/pid").map_err(unknown)?;
    // SAFETY: an all-zero `statfs` is a valid value for fstatfs to overwrite.
    let mut fs: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: fstatfs writes one `statfs` into the buffer passed.
    if unsafe { libc::fstatfs(file.as_raw_fd(), &mut fs) } != 0 {
        return Err(unknown(io::Error::last_os_error()));
    }
    if fs.f_type as i64 != NSFS_MAGIC {
        return Err(unknown(io::Error::other("not a namespace file")));
    }
    let ino = file.metadata().map_err(unknown)?.ino();
    if ino != PROC_PID_INIT_INO {
        return Err(WatchError::Unsupported(
            "this process is not in the initial PID namespace, and the kernel's audit records name processes by their ids there: its own denials could not be told from others' (watch from the initial namespace, or run the program without a PID namespace of its own)".into(),
        ));
    }
    Ok(())
}

/// What is known of a domain of this process (or of a child it started with a sandbox) from
/// its first record.
#[derive(Clone, Debug)]
struct DomainInfo {
    pid: Option<i32>,
    exe: Option<PathBuf>,
    /// The policy of this process its creator's mark names (only once the creator's pid and
    /// uid tied the domain to this process).
    marked: Option<u64>,
    /// When the kernel said the domain ended: its last denials may still be on their way.
    ended: Option<Instant>,
}

/// How long a domain's record is kept after it ended.
const ENDED_KEPT: Duration = Duration::from_secs(10);

/// The records of one event so far.
#[derive(Default)]
struct Event {
    first: Option<Instant>,
    accesses: Vec<String>,
    /// The denied process (its thread group id) and its real user id, from the system call's
    /// record.
    pid: Option<i32>,
    uid: Option<u32>,
    exe: Option<PathBuf>,
}

/// A stream of this process's Landlock denials (and its sandboxed children's), from [`watch`].
/// Iterating blocks until the next denial.
///
/// Not run here: watching denials needs `CAP_AUDIT_READ` and the kernel's audit.
///
/// ```no_run
/// let watcher = landlock_runtime::denials::watch()?;
/// std::thread::spawn(move || {
///     for denial in watcher {
///         eprintln!("{denial}");
///     }
/// });
/// # Ok::<(), landlock_runtime::denials::WatchError>(())
/// ```
pub struct Watcher {
    socket: OwnedFd,
    /// An eventfd a [`Waker`] writes to: it ends a wait of [`Watcher::next_timeout`].
    wake: Arc<OwnedFd>,
    /// Whether a [`Waker`] ended the current wait.
    woken: bool,
    /// The pid of the child [`Watcher::catch_up`] started to be denied, until it is reaped.
    marker: Option<i32>,
    /// Whether the records of that child's denial came.
    caught_up: bool,
    buffer: Vec<u8>,
    events: HashMap<u64, Event>,
    domains: HashMap<u64, DomainInfo>,
    ready: VecDeque<Denial>,
    lost: u64,
}

impl fmt::Debug for Watcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watcher")
            .field("pending events", &self.events.len())
            .field("lost", &self.lost)
            .finish_non_exhaustive()
    }
}

impl Watcher {
    /// The next denial, or `None` if none came within `timeout`, or at once when a [`Waker`]
    /// of this watcher woke it ([`Watcher::waker`]).
    ///
    /// Not run here: watching denials needs `CAP_AUDIT_READ` and the kernel's audit.
    ///
    /// ```no_run
    /// use std::time::Duration;
    ///
    /// let mut watcher = landlock_runtime::denials::watch()?;
    /// // The denials so far, until a second passes without one.
    /// let seen: Vec<_> = std::iter::from_fn(|| watcher.next_timeout(Duration::from_secs(1))).collect();
    /// println!("{} denials", seen.len());
    /// # Ok::<(), landlock_runtime::denials::WatchError>(())
    /// ```
    pub fn next_timeout(&mut self, timeout: Duration) -> Option<Denial> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(denial) = self.ready.pop_front() {
                return Some(denial);
            }
            let now = Instant::now();
            if now >= deadline || std::mem::take(&mut self.woken) {
                return None;
            }
            let wait = (deadline - now).min(EVENT_WAIT);
            self.read(wait);
            self.flush_old();
        }
    }

    /// Reads until every audit record the kernel wrote before this call has been read, or
    /// `timeout` has passed: `true` in the first case, `false` in the second (then denials
    /// may still be on their way: what was read is not known to be complete). The denials read
    /// meanwhile are returned by the next calls of [`Watcher::next_timeout`].
    ///
    /// For the denials of a program that has ended: they are all in the stream before the one
    /// record this call causes. It starts a throwaway child process that restricts itself and
    /// is denied signalling this process once; the kernel writes that denial's records in the
    /// denied call, after every record written before, and names the child by the pid it gave
    /// it (the child is reaped only afterwards, so that no other process has that pid
    /// meanwhile). Those records are recognised by that pid alone and are never yielded as a
    /// denial. Typically a millisecond or two, instead of waiting a fixed time for records that
    /// may never come. The timeout passes when the kernel does not log that denial: this
    /// process in a domain restricted with `LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF`, audit's
    /// rate limit reached, or records lost ([`Watcher::lost`]).
    ///
    /// Not run here: watching denials needs `CAP_AUDIT_READ` and the kernel's audit.
    ///
    /// ```no_run
    /// use std::time::Duration;
    ///
    /// let mut watcher = landlock_runtime::denials::watch()?;
    /// // ... a sandboxed program runs and ends ...
    /// let complete = watcher.catch_up(Duration::from_secs(1));
    /// while let Some(denial) = watcher.next_timeout(Duration::ZERO) {
    ///     println!("{denial}");
    /// }
    /// if !complete {
    ///     eprintln!("the audit records did not catch up: some denials may be missing");
    /// }
    /// # Ok::<(), landlock_runtime::denials::WatchError>(())
    /// ```
    pub fn catch_up(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        self.caught_up = false;
        let marker = crate::kernel::provoke_denial().ok();
        self.marker = marker;
        loop {
            let now = Instant::now();
            if self.caught_up || now >= deadline {
                break;
            }
            self.read((deadline - now).min(EVENT_WAIT));
            self.flush_old();
        }
        if let Some(pid) = marker {
            crate::kernel::reap(pid);
        }
        // A wake that came meanwhile is left for the next wait.
        self.marker = None;
        std::mem::take(&mut self.caught_up)
    }

    /// A handle that ends the current (or next) wait of [`Watcher::next_timeout`] from another
    /// thread, which then returns `None` at once.
    ///
    /// Not run here: watching denials needs `CAP_AUDIT_READ` and the kernel's audit.
    ///
    /// ```no_run
    /// use std::time::Duration;
    ///
    /// let mut watcher = landlock_runtime::denials::watch()?;
    /// let waker = watcher.waker();
    /// let printer = std::thread::spawn(move || {
    ///     while let Some(denial) = watcher.next_timeout(Duration::from_secs(3600)) {
    ///         println!("{denial}");
    ///     }
    /// });
    /// waker.wake();
    /// printer.join().unwrap();
    /// # Ok::<(), landlock_runtime::denials::WatchError>(())
    /// ```
    pub fn waker(&self) -> Waker {
        Waker {
            fd: self.wake.clone(),
        }
    }

    /// How many times records were lost since the watch started (the kernel had more than the
    /// socket could hold).
    ///
    /// Not run here: watching denials needs `CAP_AUDIT_READ` and the kernel's audit.
    ///
    /// ```no_run
    /// use std::time::Duration;
    ///
    /// let mut watcher = landlock_runtime::denials::watch()?;
    /// while let Some(denial) = watcher.next_timeout(Duration::from_secs(1)) {
    ///     println!("{denial}");
    /// }
    /// if watcher.lost() > 0 {
    ///     eprintln!("some denials were lost: the list above is incomplete");
    /// }
    /// # Ok::<(), landlock_runtime::denials::WatchError>(())
    /// ```
    pub fn lost(&self) -> u64 {
        self.lost
    }

    /// Reads the records that come within `wait`, or until a [`Waker`] wakes the watcher.
    fn read(&mut self, wait: Duration) {
        super::children::refresh();
        let mut fds = [
            libc::pollfd {
                fd: self.socket.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: self.wake.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let millis = wait.as_millis().clamp(1, libc::c_int::MAX as u128) as libc::c_int;
        // SAFETY: poll reads and writes the two `pollfd`s of the array passed.
        if unsafe { libc::poll(fds.as_mut_ptr(), 2, millis) } <= 0 {
            return;
        }
        if fds[1].revents & libc::POLLIN != 0 {
            let mut count = [0u8; 8];
            // SAFETY: reading an eventfd writes its 8-byte count into the buffer passed (and
            // resets it); the descriptor is non-blocking.
            unsafe { libc::read(self.wake.as_raw_fd(), count.as_mut_ptr().cast(), 8) };
            self.woken = true;
        }
        if fds[0].revents & libc::POLLIN == 0 {
            return;
        }
        loop {
            // What is there, without waiting again (a receive timeout would wait a clock tick).
            let n = match receive(&self.socket, &mut self.buffer, libc::MSG_DONTWAIT) {
                Ok(n) => n,
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    self.lost += 1;
                    continue;
                }
                Err(_) => return,
            };
            let Some((kind, payload)) = message_of(&self.buffer[..n]) else {
                continue;
            };
            let text = String::from_utf8_lossy(payload).into_owned();
            self.record(kind, &text);
            if !self.ready.is_empty() || self.caught_up {
                return;
            }
        }
    }

    /// Takes one record into its event.
    fn record(&mut self, kind: u16, text: &str) {
        let Some((stamp, fields)) = record::stamp(text) else {
            return;
        };
        match kind {
            LANDLOCK_ACCESS => {
                let event = self.events.entry(stamp.serial).or_default();
                event.first.get_or_insert_with(Instant::now);
                event.accesses.push(fields.to_owned());
            }
            LANDLOCK_DOMAIN => {
                let Some(domain) = record::domain(fields) else {
                    return;
                };
                match record::status(fields) {
                    Some("deallocated") => {
                        if let Some(info) = self.domains.get_mut(&domain) {
                            info.ended = Some(Instant::now());
                        }
                        self.domains
                            .retain(|_, i| i.ended.is_none_or(|t| t.elapsed() < ENDED_KEPT));
                        return;
                    }
                    Some("allocated") => {}
                    _ => return,
                }
                if record::number::<i32>(fields, "pid").is_some_and(|pid| self.is_marker(pid)) {
                    self.marker_seen(stamp.serial);
                    return;
                }
                // The domain is ours only by the kernel's word: its creator's pid and uid, taken
                // when it restricted itself. Only then does its thread name (which any process
                // can choose) say which of our policies it is.
                // A child's domains take only the mark of the policy it was started with.
                let pid = record::number(fields, "pid");
                let creator = pid.zip(record::number(fields, "uid"));
                let Some(owner) = creator.and_then(|(pid, uid)| super::owner(pid, uid)) else {
                    return;
                };
                let me = std::process::id();
                self.domains.insert(
                    domain,
                    DomainInfo {
                        pid,
                        exe: record::path(fields, "exe"),
                        marked: record::text(fields, "comm")
                            .as_deref()
                            .and_then(super::marked)
                            .filter(|&(pid, id)| pid == me && owner.may_mark(id))
                            .map(|(_, id)| id),
                        ended: None,
                    },
                );
            }
            SYSCALL => {
                if record::number::<i32>(fields, "pid").is_some_and(|pid| self.is_marker(pid)) {
                    self.marker_seen(stamp.serial);
                    return;
                }
                if let Some(event) = self.events.get_mut(&stamp.serial) {
                    event.pid = record::number(fields, "pid");
                    event.uid = record::number(fields, "uid");
                    event.exe = record::path(fields, "exe");
                }
            }
            EOE => {
                if let Some(event) = self.events.remove(&stamp.serial) {
                    self.finish(event);
                }
            }
            _ => {}
        }
    }

    /// Whether `pid`, from a kernel's record, is the child [`Watcher::catch_up`] started.
    fn is_marker(&self, pid: i32) -> bool {
        self.marker == Some(pid)
    }

    /// The records of the marker's denial came (event `serial`): every record written before
    /// it has been read, so every event still open is whole. The marker's own event is
    /// dropped: it is never a denial.
    fn marker_seen(&mut self, serial: u64) {
        self.events.remove(&serial);
        self.caught_up = true;
        let mut open: Vec<u64> = self.events.keys().copied().collect();
        open.sort_unstable();
        for serial in open {
            if let Some(event) = self.events.remove(&serial) {
                self.finish(event);
            }
        }
    }

    /// Takes events that have waited long enough for their end as whole.
    fn flush_old(&mut self) {
        let old: Vec<u64> = self
            .events
            .iter()
            .filter(|(_, e)| e.first.is_some_and(|t| t.elapsed() >= EVENT_WAIT))
            .map(|(serial, _)| *serial)
            .collect();
        for serial in old {
            if let Some(event) = self.events.remove(&serial) {
                self.finish(event);
            }
        }
    }

    /// Turns an event's access records into denials: those of a domain of this process (or of
    /// a child it started with a sandbox), and those of this process or such a child in any
    /// domain (one it inherited, say), unattributed. Other processes' are dropped.
    fn finish(&mut self, event: Event) {
        let first = self.ready.len();
        let mut denied_ours = None;
        for fields in &event.accesses {
            let Some(domain) = record::domain(fields) else {
                continue;
            };
            let info = self.domains.get(&domain);
            if info.is_none()
                && !*denied_ours.get_or_insert_with(|| {
                    event
                        .pid
                        .zip(event.uid)
                        .is_some_and(|(pid, uid)| super::owner(pid, uid).is_some())
                })
            {
                continue;
            }
            let accesses: Vec<Access> = record::blockers(fields)
                .into_iter()
                .map(Access::from_blocker)
                .collect();
            let object = object(&accesses, fields);
            let sandbox = info
                .and_then(|i| i.marked)
                .and_then(super::known)
                .map(|known| {
                    let denial = Denial {
                        accesses: accesses.clone(),
                        object: object.clone(),
                        pid: None,
                        exe: None,
                        domain,
                        sandbox: None,
                        reparent: None,
                    };
                    Attribution {
                        origin: known.origin.clone(),
                        allow: denial.allow(),
                    }
                });
            self.ready.push_back(Denial {
                accesses,
                object,
                pid: event.pid.or_else(|| info.and_then(|i| i.pid)),
                exe: event
                    .exe
                    .clone()
                    .or_else(|| info.and_then(|i| i.exe.clone())),
                domain,
                sandbox,
                reparent: None,
            });
        }
        super::read_sides(&mut self.ready.make_contiguous()[first..]);
    }
}

/// Ends a wait of the [`Watcher`] it came from ([`Watcher::waker`]).
///
/// ```no_run
/// let watcher = landlock_runtime::denials::watch()?;
/// let waker = watcher.waker();
/// std::thread::spawn(move || waker.wake());
/// # Ok::<(), landlock_runtime::denials::WatchError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Waker {
    fd: Arc<OwnedFd>,
}

impl Waker {
    /// Ends the watcher's current wait, or its next one if it is not waiting now.
    ///
    /// ```no_run
    /// let watcher = landlock_runtime::denials::watch()?;
    /// watcher.waker().wake();
    /// # Ok::<(), landlock_runtime::denials::WatchError>(())
    /// ```
    pub fn wake(&self) {
        let one = 1u64.to_ne_bytes();
        // SAFETY: writing to an eventfd reads the 8-byte count from the buffer passed.
        unsafe { libc::write(self.fd.as_raw_fd(), one.as_ptr().cast(), 8) };
    }
}

/// A non-blocking eventfd, for a [`Waker`].
fn event_fd() -> io::Result<OwnedFd> {
    // SAFETY: eventfd takes two integers and returns a new descriptor or -1.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a descriptor the kernel just returned, owned by nothing else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The object of an access record.
fn object(accesses: &[Access], fields: &str) -> Object {
    match accesses.first() {
        Some(Access::ConnectTcp) => Object::Port(record::number(fields, "dest")),
        Some(Access::BindTcp) => Object::Port(record::number(fields, "src")),
        Some(Access::Signal | Access::Ptrace) => match record::number(fields, "opid") {
            Some(pid) => Object::Process {
                pid,
                comm: record::text(fields, "ocomm"),
            },
            None => Object::Unknown,
        },
        Some(Access::AbstractUnixSocket) => match record::untrusted(fields, "path") {
            Some(mut name) => {
                if name.first() == Some(&0) {
                    name.remove(0);
                }
                Object::AbstractSocket(name)
            }
            None => Object::Unknown,
        },
        _ => match record::path(fields, "path").or_else(|| record::path(fields, "name")) {
            Some(path) => Object::Path(path),
            None => Object::Unknown,
        },
    }
}

impl Iterator for Watcher {
    type Item = Denial;

    /// The next denial; blocks until one comes.
    fn next(&mut self) -> Option<Denial> {
        loop {
            if let Some(denial) = self.next_timeout(Duration::from_secs(3600)) {
                return Some(denial);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watcher_without_socket() -> Watcher {
        super::super::start_owning().unwrap();
        Watcher {
            socket: netlink_socket().unwrap(),
            wake: Arc::new(event_fd().unwrap()),
            woken: false,
            marker: None,
            caught_up: false,
            buffer: Vec::new(),
            events: HashMap::new(),
            domains: HashMap::new(),
            ready: VecDeque::new(),
            lost: 0,
        }
    }

    /// This process's id and real user id.
    fn me() -> (u32, u32) {
        // SAFETY: getuid takes nothing and cannot fail.
        (std::process::id(), unsafe { libc::getuid() })
    }

    /// The thread name policy `id` of process `pid` marks its domains with.
    fn mark_of(pid: u32, id: u64) -> String {
        std::str::from_utf8(&super::super::mark(pid, id))
            .unwrap()
            .trim_end_matches('\0')
            .to_owned()
    }

    #[test]
    fn an_event_becomes_a_denial() {
        let (pid, uid) = me();
        let mut w = watcher_without_socket();
        w.record(
            LANDLOCK_ACCESS,
            r#"audit(1796054362.428:3): domain=1b00e40ce blockers=fs.read_file path="/etc/hostname" dev="vda" ino=611"#,
        );
        w.record(
            LANDLOCK_DOMAIN,
            &format!(
                r#"audit(1796054362.428:3): domain=1b00e40ce status=allocated mode=enforcing pid={pid} uid={uid} exe="/tmp/trial" comm="trial""#
            ),
        );
        w.record(
            SYSCALL,
            &format!(
                r#"audit(1796054362.428:3): arch=c000003e syscall=257 success=no exit=-13 ppid=1 pid={pid} auid=4294967295 uid={uid} gid=0 euid={uid} comm="trial" exe="/tmp/trial" key=(null)"#
            ),
        );
        assert!(w.ready.is_empty());
        w.record(EOE, "audit(1796054362.428:3): ");
        let d = w.ready.pop_front().unwrap();
        assert_eq!(d.accesses, [Access::Fs("read_file")]);
        assert_eq!(d.object, Object::Path("/etc/hostname".into()));
        assert_eq!(d.pid, Some(pid as i32));
        assert_eq!(d.domain, 0x1b00e40ce);
        assert_eq!(d.sandbox, None);
        assert!(d.to_string().ends_with(&format!(
            "denied read_file on /etc/hostname (pid {pid}, /tmp/trial): allow it with read = \"/etc/hostname\""
        )));
    }

    /// The marker's records (recognised by its pid alone, from the domain's record) end a
    /// catch-up at once: every event still open is then whole and yielded, without its end
    /// record or a wait; the marker's own denial never is, nor are its later records.
    #[test]
    fn the_marker_s_records_end_the_wait_and_are_never_a_denial() {
        let (pid, uid) = me();
        let marker = 4_000_000;
        let mut w = watcher_without_socket();
        // Before the marker is known, a record of its pid is another process's.
        w.record(
            LANDLOCK_DOMAIN,
            &format!(
                r#"audit(1796054362.428:2): domain=1b00e40cf status=allocated mode=enforcing pid={marker} uid={uid} exe="/tmp/trial" comm="trial""#
            ),
        );
        assert!(!w.caught_up);
        w.marker = Some(marker);
        // A denial of this process outside a system call: no end record comes.
        w.record(
            LANDLOCK_ACCESS,
            r#"audit(1796054362.428:3): domain=1b00e40ce blockers=fs.read_file path="/etc/hostname" dev="vda" ino=611"#,
        );
        w.record(
            LANDLOCK_DOMAIN,
            &format!(
                r#"audit(1796054362.428:3): domain=1b00e40ce status=allocated mode=enforcing pid={pid} uid={uid} exe="/tmp/trial" comm="trial""#
            ),
        );
        assert!(w.ready.is_empty());
        w.record(
            LANDLOCK_ACCESS,
            &format!(
                r#"audit(1796054362.429:4): domain=1b00e40d0 blockers=scope.signal opid={pid} ocomm="trial""#
            ),
        );
        assert!(!w.caught_up);
        w.record(
            LANDLOCK_DOMAIN,
            &format!(
                r#"audit(1796054362.429:4): domain=1b00e40d0 status=allocated mode=enforcing pid={marker} uid={uid} exe="/tmp/trial" comm="trial""#
            ),
        );
        assert!(w.caught_up);
        w.record(
            SYSCALL,
            &format!(
                r#"audit(1796054362.429:4): arch=c000003e syscall=62 success=no exit=-1 ppid={pid} pid={marker} auid=4294967295 uid={uid} gid=0 euid={uid} comm="trial" exe="/tmp/trial" key=(null)"#
            ),
        );
        w.record(EOE, "audit(1796054362.429:4): ");
        let seen: Vec<Denial> = w.ready.drain(..).collect();
        assert_eq!(seen.len(), 1, "{seen:#?}");
        assert_eq!(seen[0].object, Object::Path("/etc/hostname".into()));
        assert_eq!(seen[0].pid, Some(pid as i32));
        assert!(w.events.is_empty());
    }

    #[test]
    fn a_marked_domain_is_attributed() {
        let id = 987_654;
        super::super::register(
            id,
            super::super::Known {
                origin: crate::Origin::new("app::worker", "src/worker.rs", 12),
            },
        );
        let (pid, uid) = me();
        let mut w = watcher_without_socket();
        w.record(
            LANDLOCK_ACCESS,
            "audit(1.000:9): domain=a blockers=net.connect_tcp daddr=127.0.0.1 dest=443",
        );
        w.record(
            LANDLOCK_DOMAIN,
            &format!(
                r#"audit(1.000:9): domain=a status=allocated mode=enforcing pid={pid} uid={uid} exe="/app" comm="{}""#,
                mark_of(pid, id)
            ),
        );
        w.record(EOE, "audit(1.000:9): ");
        let d = w.ready.pop_front().unwrap();
        assert_eq!(
            d.to_string(),
            format!(
                "sandbox `app::worker` (src/worker.rs:12) denied connect_tcp on port 443 (pid {pid}, /app): allow it with connect = 443"
            )
        );
    }

    /// The records this kernel (6.18) wrote for `ln /etc/hostname out/h` under a policy that
    /// grants write on `out` and nothing in `/etc`: one event, the source directory's record
    /// (everything the kernel handles that it lacks, since the link would give the file rights it
    /// lacks there) and then the destination's (what it lacks beyond that: execute). The link
    /// needs write on the source and nothing more on the destination; never exec.
    #[test]
    fn a_denied_link_asks_its_source_for_what_the_file_would_gain() {
        // The records as the kernel wrote them for this process (the creator and the denied
        // process are one process of this test's, so the watcher takes them as ours).
        let (pid, uid) = me();
        let ours = |text: &str| {
            text.replace("pid=11189", &format!("pid={pid}"))
                .replace("(pid 11189,", &format!("(pid {pid},"))
                .replace(" uid=0", &format!(" uid={uid}"))
        };
        let mut w = watcher_without_socket();
        for (kind, text) in [
            (
                LANDLOCK_ACCESS,
                r#"audit(1796602417.078:11): domain=1986ce6f0 blockers=fs.execute,fs.write_file,fs.read_file,fs.read_dir,fs.remove_dir,fs.remove_file,fs.make_char,fs.make_dir,fs.make_reg,fs.make_sock,fs.make_fifo,fs.make_block,fs.make_sym,fs.refer,fs.truncate,fs.ioctl_dev path="/etc" dev="vda" ino=19"#,
            ),
            (
                LANDLOCK_DOMAIN,
                r#"audit(1796602417.078:11): domain=1986ce6f0 status=allocated mode=enforcing pid=11189 uid=0 exe="/usr/bin/sandbox_run" comm="sandbox_run""#,
            ),
            (
                LANDLOCK_ACCESS,
                r#"audit(1796602417.078:11): domain=1986ce6f0 blockers=fs.execute path="/tmp/trial/out" dev="vda" ino=10011107"#,
            ),
            (
                SYSCALL,
                r#"audit(1796602417.078:11): arch=c000003e syscall=265 success=no exit=-18 a0=ffffff9c a1=7fffb98ebab9 a2=ffffff9c a3=7fffb98ebac7 items=0 ppid=11184 pid=11189 auid=4294967295 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="ln" exe="/usr/bin/ln" key=(null)"#,
            ),
            (EOE, "audit(1796602417.078:11): "),
        ] {
            w.record(kind, &ours(text));
        }
        let source = w.ready.pop_front().unwrap();
        let destination = w.ready.pop_front().unwrap();
        assert!(w.ready.is_empty());
        // What the kernel listed stays as it listed it.
        assert_eq!(source.accesses.len(), 16);
        assert_eq!(destination.accesses, [Access::Fs("execute")]);
        assert_eq!(
            source.allow(),
            [crate::denials::Allow::Grant {
                class: crate::Class::Write,
                path: "/etc".into()
            }]
        );
        assert_eq!(destination.allow(), []);
        assert_eq!(
            source.to_string(),
            ours(
                "sandbox domain 1986ce6f0 (not attributed) denied execute,write_file,read_file,read_dir,remove_dir,remove_file,make_char,make_dir,make_reg,make_sock,make_fifo,make_block,make_sym,refer,truncate,ioctl_dev on /etc, the source of a link or rename into /tmp/trial/out (pid 11189, /usr/bin/ln): allow it with write = \"/etc\""
            )
        );
        assert_eq!(
            destination.to_string(),
            ours(
                "sandbox domain 1986ce6f0 (not attributed) denied execute on /tmp/trial/out, the destination of a link or rename from /etc (pid 11189, /usr/bin/ln): nothing more is needed here (the move needs refer and make_ or remove_ rights here, which it has; the rest is what the file must not gain: see the source's denial)"
            )
        );
    }

    #[test]
    fn another_process_with_this_process_s_mark_is_not_ours() {
        let id = 987_655;
        super::super::register(
            id,
            super::super::Known {
                origin: crate::Origin::new("app::forged", "src/forged.rs", 1),
            },
        );
        let (pid, uid) = me();
        let mut w = watcher_without_socket();
        // Process 1 (never this test), then this process's pid with another user's uid (a
        // process that held this pid before): the mark is ours, the creator is not.
        for (serial, (creator, creator_uid)) in [(1, uid), (pid, uid.wrapping_add(1))]
            .into_iter()
            .enumerate()
        {
            w.record(
                LANDLOCK_ACCESS,
                &format!(
                    r#"audit(2.000:{serial}): domain=b{serial} blockers=fs.make_dir path="/usr/local/bin" dev="vda" ino=5"#
                ),
            );
            w.record(
                LANDLOCK_DOMAIN,
                &format!(
                    r#"audit(2.000:{serial}): domain=b{serial} status=allocated mode=enforcing pid={creator} uid={creator_uid} exe="/forge" comm="{}""#,
                    mark_of(pid, id)
                ),
            );
            w.record(
                SYSCALL,
                &format!(
                    r#"audit(2.000:{serial}): arch=c000003e syscall=83 success=no exit=-13 ppid=1 pid={creator} auid=4294967295 uid={creator_uid} gid=0 euid={creator_uid} comm="{}" exe="/forge" key=(null)"#,
                    mark_of(pid, id)
                ),
            );
            w.record(EOE, &format!("audit(2.000:{serial}): "));
        }
        assert_eq!(w.ready.pop_front(), None);
        assert!(w.domains.is_empty());
    }

    #[test]
    fn this_process_s_denial_in_a_domain_of_another_is_ours_unattributed() {
        // A domain this process inherited (its parent's): its denials here are this
        // process's, and no sandbox of it is named.
        let (pid, uid) = me();
        let mut w = watcher_without_socket();
        w.record(
            LANDLOCK_ACCESS,
            r#"audit(3.000:1): domain=c1 blockers=fs.read_file path="/etc/hostname" dev="vda" ino=611"#,
        );
        w.record(
            LANDLOCK_DOMAIN,
            &format!(
                r#"audit(3.000:1): domain=c1 status=allocated mode=enforcing pid=1 uid={uid} exe="/init" comm="{}""#,
                mark_of(pid, 1)
            ),
        );
        w.record(
            SYSCALL,
            &format!(
                r#"audit(3.000:1): arch=c000003e syscall=257 success=no exit=-13 ppid=1 pid={pid} auid=4294967295 uid={uid} gid=0 euid={uid} comm="t" exe="/t" key=(null)"#
            ),
        );
        w.record(EOE, "audit(3.000:1): ");
        let d = w.ready.pop_front().unwrap();
        assert_eq!((d.pid, d.sandbox), (Some(pid as i32), None));
    }
}
