//! Helpers shared by the end-to-end tests, notably those that assert the kernel's exact answers
//! (`escape.rs`, `faults.rs`): system calls that return the errno by name, a fresh directory
//! tree per test, child processes killed on drop, and running one scenario in a child process.

// Each test file uses a different part of this module.
#![allow(dead_code)]

pub mod forger;
pub mod hold;
pub mod mounts;
pub mod seccomp;

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
pub fn skip(why: &str) -> bool {
    assert!(
        std::env::var_os("LANDLOCK_REQUIRED").is_none_or(|v| v != "1"),
        "LANDLOCK_REQUIRED=1 but {why}"
    );
    eprintln!("skipped: {why}");
    false
}

/// Whether the kernel has at least Landlock ABI `abi`. Skips (returns false) otherwise, or
/// fails under `LANDLOCK_REQUIRED=1`, as CI sets.
pub fn landlock_at_least(abi: u32) -> bool {
    let running = landlock_runtime::kernel_abi();
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

    /// Read `in`, write `out`, strict.
    pub fn builder(&self) -> PolicyBuilder {
        Policy::builder(self.name.clone())
            .read(self.path("in"))
            .write(self.path("out"))
            .strict()
    }

    pub fn policy(&self) -> Policy {
        self.builder().build().unwrap()
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
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
    if is_child(name) {
        scenario();
        return None;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env("LANDLOCK_TEST_CHILD", name)
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
    landlock_runtime::kernel_abi() > 0 || skip("this kernel has no Landlock")
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
            eprintln!("skipped: {why}");
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
