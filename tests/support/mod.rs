//! Helpers shared by the end-to-end tests, notably those that assert the kernel's exact answers
//! (`escape.rs`, `faults.rs`): system calls that return the errno by name, a fresh directory
//! tree per test, child processes killed on drop, and running one scenario in a child process.

// Each test file uses a different part of this module.
#![allow(dead_code)]

pub mod expect;
pub mod forger;
pub mod hold;
pub mod mounts;
pub mod seccomp;

#[allow(unused_imports)]
pub use expect::{kernel_abi, level_at, say_skipped, status_at};

use std::ffi::CString;
use std::fmt;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use landlock_runtime::{Policy, PolicyBuilder};

/// A failed system call's errno, printed by name.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub i32);

pub const EACCES: Errno = Errno(libc::EACCES);
pub const EPERM: Errno = Errno(libc::EPERM);
pub const EXDEV: Errno = Errno(libc::EXDEV);
pub const ENOENT: Errno = Errno(libc::ENOENT);
pub const ENOTTY: Errno = Errno(libc::ENOTTY);

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.0 {
            libc::EACCES => "EACCES",
            libc::EPERM => "EPERM",
            libc::EXDEV => "EXDEV",
            libc::ENOENT => "ENOENT",
            libc::EINVAL => "EINVAL",
            libc::EBADF => "EBADF",
            libc::ECONNREFUSED => "ECONNREFUSED",
            libc::ENOTTY => "ENOTTY",
            _ => "errno",
        };
        write!(f, "{name} ({})", self.0)
    }
}

/// What a system call answered: success, or its errno.
pub type Outcome = Result<(), Errno>;

pub fn last_errno() -> Errno {
    Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(-1))
}

pub fn check(ret: libc::c_long) -> Outcome {
    if ret < 0 { Err(last_errno()) } else { Ok(()) }
}

pub fn io(result: std::io::Result<impl Sized>) -> Outcome {
    result
        .map(drop)
        .map_err(|e| Errno(e.raw_os_error().unwrap_or(-1)))
}

pub fn cstr(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).unwrap()
}

pub fn open(path: &Path, flags: libc::c_int) -> Result<OwnedFd, Errno> {
    // SAFETY: a valid C string; mode is read only with O_CREAT.
    let fd = unsafe { libc::open(cstr(path).as_ptr(), flags | libc::O_CLOEXEC, 0o644) };
    if fd < 0 {
        return Err(last_errno());
    }
    // SAFETY: a descriptor just returned by open, owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

pub fn opened(path: &Path, flags: libc::c_int) -> Outcome {
    open(path, flags).map(drop)
}

pub fn link(from: &Path, to: &Path) -> Outcome {
    // SAFETY: valid C strings.
    check(unsafe { libc::link(cstr(from).as_ptr(), cstr(to).as_ptr()) }.into())
}

pub fn rename(from: &Path, to: &Path) -> Outcome {
    // SAFETY: valid C strings.
    check(unsafe { libc::rename(cstr(from).as_ptr(), cstr(to).as_ptr()) }.into())
}

pub fn symlink(target: &Path, at: &Path) -> Outcome {
    // SAFETY: valid C strings.
    check(unsafe { libc::symlink(cstr(target).as_ptr(), cstr(at).as_ptr()) }.into())
}

pub fn kill(pid: libc::pid_t, signal: libc::c_int) -> Outcome {
    // SAFETY: sends a signal; the targets are this test's own children or a probe (signal 0).
    check(unsafe { libc::kill(pid, signal) }.into())
}

/// A `sleep` started by the test, killed when dropped (also when an assertion fails first: a
/// process left stopped by a trace would otherwise hold the test's output open).
pub struct Sleeper(pub std::process::Child);

impl Sleeper {
    pub fn start() -> Sleeper {
        Sleeper(Command::new("/usr/bin/sleep").arg("30").spawn().unwrap())
    }

    pub fn pid(&self) -> libc::pid_t {
        self.0.id() as libc::pid_t
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Skips a test that cannot run here: says `why` and returns `false`. Under
/// `LANDLOCK_REQUIRED=1` (as CI sets, where every test must really run) it fails instead.
/// The line goes straight to standard error, past the test harness's capture, as `SKIPPED
/// <test>: <why>`, which `kernels/run` counts.
pub fn skip(why: &str) -> bool {
    assert!(
        std::env::var_os("LANDLOCK_REQUIRED").is_none_or(|v| v != "1"),
        "LANDLOCK_REQUIRED=1 but {why}"
    );
    say_skipped(why);
    false
}

/// Whether the kernel has at least Landlock ABI `abi`. Skips (returns false) otherwise, or
/// fails under `LANDLOCK_REQUIRED=1`, as CI sets.
pub fn landlock_at_least(abi: u32) -> bool {
    let running = kernel_abi();
    running >= abi
        || skip(&format!(
            "this test needs Landlock ABI {abi}, the kernel has {running}"
        ))
}

/// Whether this test runs as root, which `needs` (PID namespaces, mounts, cgroups). Skips
/// otherwise, or fails under `LANDLOCK_REQUIRED=1` (CI runs as root).
pub fn root_or_skip(needs: &str) -> bool {
    // SAFETY: geteuid cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    root || skip(&format!("this test needs root ({needs})"))
}

/// Whether the kernel can enforce everything a policy says (ABI 6: the scopes); the escape
/// and fault tests assert answers that need all of it.
pub fn full_landlock_or_skip() -> bool {
    landlock_at_least(6)
}

/// `strict` on a kernel that enforces everything a policy restricts (ABI 6: the scopes), and
/// best effort before: there a test asserts the older kernel's answers, and the level it gives
/// ([`level_at`]), rather than a refusal.
pub trait StrictOnAFullKernel {
    fn strict_on_a_full_kernel(self) -> Self;
}

impl StrictOnAFullKernel for PolicyBuilder {
    fn strict_on_a_full_kernel(self) -> Self {
        if kernel_abi() >= 6 {
            self.strict()
        } else {
            self
        }
    }
}

/// A fresh tree for one test, removed when dropped.
pub struct Tree {
    pub root: PathBuf,
    name: String,
}

impl Tree {
    /// A tree named `name` (also the name of its policies).
    pub fn new(name: &str) -> Tree {
        let root = std::env::temp_dir().join(format!("landlock-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for dir in ["in/sub", "out", "outside"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        std::fs::write(root.join("in/a.txt"), "granted").unwrap();
        std::fs::write(root.join("outside/secret.txt"), "secret").unwrap();
        Tree {
            root,
            name: name.to_owned(),
        }
    }

    pub fn at(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    pub fn path(&self, relative: &str) -> String {
        self.at(relative).to_str().unwrap().to_owned()
    }

    /// Read `in`, write `out`, strict where the kernel enforces all of it
    /// ([`StrictOnAFullKernel`]).
    pub fn builder(&self) -> PolicyBuilder {
        Policy::builder(self.name.clone())
            .read(self.path("in"))
            .write(self.path("out"))
            .strict_on_a_full_kernel()
    }

    pub fn policy(&self) -> Policy {
        self.builder().build().unwrap()
    }
}

impl Drop for Tree {
    /// Removes the tree, never through a mount: a test that mounts beneath it (a bind of
    /// `/etc`, or of `/`) and fails before it unmounts leaves the mount there, and removing the
    /// tree through it would remove the system's own files. What is mounted beneath the tree
    /// is detached first; when something cannot be, the tree is left in place.
    fn drop(&mut self) {
        if mounts::detach_beneath(&self.root) {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

/// Runs `scenario` in a child process: this test binary again, filtered to the test `name`,
/// which calls `in_child` with the same name and runs the scenario there. Returns `None` in
/// the child, and in the parent what the child printed (standard output, then standard error)
/// once it is known to have passed. A child process of its own makes a scenario's process-wide
/// changes (a seccomp filter, a simulated kernel, the environment) touch nothing else.
///
/// The parent decides whether to run it at all: nothing here asks the kernel anything, so a
/// scenario can change what the kernel answers before the library first asks.
pub fn in_child(name: &str, scenario: impl FnOnce()) -> Option<String> {
    in_child_with(name, &[], scenario)
}

/// [`in_child`], with the environment variables `vars` set in the child.
pub fn in_child_with(name: &str, vars: &[(&str, &str)], scenario: impl FnOnce()) -> Option<String> {
    if is_child(name) {
        scenario();
        return None;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env("LANDLOCK_TEST_CHILD", name)
        .envs(vars.iter().copied())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "scenario {name} failed:\n{text}");
    assert!(
        text.contains("1 passed"),
        "scenario {name} did not run:\n{text}"
    );
    Some(text)
}

/// Whether this process is the child that `in_child(name, ..)` started, for a test that sets
/// something up in the parent before the child runs (and cleans it up after).
pub fn is_child(name: &str) -> bool {
    std::env::var("LANDLOCK_TEST_CHILD").as_deref() == Ok(name)
}

/// Whether this kernel has Landlock. Without it, a test fails under `LANDLOCK_REQUIRED=1` (as
/// CI runs), and otherwise says it is skipped: call it first and return when it says `false`.
pub fn landlock_or_skip() -> bool {
    kernel_abi() > 0 || skip("this kernel has no Landlock")
}

/// A watcher of the kernel's Landlock denials, started before anything is enforced. Without
/// `CAP_AUDIT_READ` or with the kernel's audit off, the test is skipped with the reason, or
/// fails under `AUDIT_REQUIRED=1` (CI enables audit and sets it).
pub fn watcher_or_skip() -> Option<landlock_runtime::denials::Watcher> {
    match landlock_runtime::denials::watch() {
        Ok(watcher) => Some(watcher),
        Err(why) => {
            assert!(
                std::env::var_os("AUDIT_REQUIRED").is_none_or(|v| v != "1"),
                "AUDIT_REQUIRED=1 but denials cannot be watched: {why}"
            );
            say_skipped(&why.to_string());
            None
        }
    }
}

/// The denials of this process that come within `timeout`, until `count` of them.
pub fn denials_of_this_process(
    watcher: &mut landlock_runtime::denials::Watcher,
    count: usize,
    timeout: std::time::Duration,
) -> Vec<landlock_runtime::denials::Denial> {
    let me = std::process::id() as i32;
    let deadline = std::time::Instant::now() + timeout;
    let mut seen = Vec::new();
    while seen.len() < count {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            break;
        }
        if let Some(denial) = watcher.next_timeout(left)
            && denial.pid == Some(me)
        {
            seen.push(denial);
        }
    }
    seen
}

/// Everything a best-effort policy is tried on from inside its sandbox, one system call each:
/// the answer of each class Landlock added over its ABIs.
#[derive(Debug, PartialEq, Eq)]
pub struct Attempts {
    /// Open a file of no granted tree (ABI 1).
    pub read_outside: Outcome,
    /// Truncate a file of the read-only tree (ABI 3).
    pub truncate_read_only: Outcome,
    /// `TCGETS` on `/dev/null`, opened for reading (ABI 5): the device answers ENOTTY.
    pub ioctl_dev: Outcome,
    /// TCP bind and connect, no port granted (ABI 4).
    pub tcp_bind: Outcome,
    pub tcp_connect: Outcome,
    /// A signal (0, a probe) to a process outside the sandbox (ABI 6).
    pub signal_outside: Outcome,
    /// Connecting to an abstract unix socket outside the sandbox (ABI 6).
    pub abstract_unix_outside: Outcome,
}

/// Tries every class under a best-effort policy named `name`, on a thread of its own: read a
/// `Tree`'s `in` and `/dev/null`, write its `out`, no TCP, both scopes. Returns the answers
/// and the policy's status.
pub fn attempt_everything(name: &str) -> (Attempts, landlock_runtime::Status) {
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};

    let t = Tree::new(name);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let outside = Sleeper::start();
    let address =
        SocketAddr::from_abstract_name(format!("landlock-{name}-{}", std::process::id())).unwrap();
    let _unix = UnixListener::bind_addr(&address).unwrap();
    let policy = Policy::builder(name)
        .read(t.path("in"))
        .read("/dev/null")
        .write(t.path("out"))
        .build()
        .unwrap();
    let a = t.at("in/a.txt");
    let attempts = policy
        .run(|| Attempts {
            read_outside: opened(&t.at("outside/secret.txt"), libc::O_RDONLY),
            // SAFETY: a valid C string.
            truncate_read_only: check(unsafe { libc::truncate(cstr(&a).as_ptr(), 0) }.into()),
            ioctl_dev: open(Path::new("/dev/null"), libc::O_RDONLY).and_then(|fd| {
                let mut termios = std::mem::MaybeUninit::<libc::termios>::uninit();
                // SAFETY: TCGETS writes a termios into memory that is large enough for one.
                check(
                    unsafe { libc::ioctl(fd.as_raw_fd(), libc::TCGETS, termios.as_mut_ptr()) }
                        .into(),
                )
            }),
            tcp_bind: io(TcpListener::bind("127.0.0.1:0")),
            tcp_connect: io(TcpStream::connect(("127.0.0.1", port))),
            signal_outside: kill(outside.pid(), 0),
            abstract_unix_outside: io(UnixStream::connect_addr(&address)),
        })
        .unwrap();
    (attempts, policy.status().unwrap().clone())
}

/// Runs `f` on a scoped thread of its own (a sandbox it enforces stays there); the message it
/// panicked with, if it panicked (empty for a payload that is not a `String`).
pub fn panic_of<T: Send>(f: impl FnOnce() -> T + Send) -> Option<String> {
    std::thread::scope(|s| s.spawn(f).join())
        .err()
        .map(|payload| {
            payload
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_default()
        })
}
