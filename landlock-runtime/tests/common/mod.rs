//! Helpers for the enforcement tests: skipping on kernels without Landlock, exact errno
//! assertions, scratch trees, and what running a dynamically linked program needs.

// Each test file uses a different part of this module.
#![allow(dead_code, unused_macros, unused_imports)]

use std::ffi::CString;
use std::fs;
use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use landlock_runtime::{Policy, PolicyBuilder};

#[path = "../../../tests/support/expect.rs"]
mod expect;
pub use expect::{kernel_abi, say_skipped};
use tempfile::TempDir;

/// Whether the kernel has Landlock. When it has not, the test must return at once: this
/// prints a skip line, or panics when `LANDLOCK_REQUIRED=1` (as CI sets), so that a CI
/// machine without Landlock cannot pass by skipping everything.
pub fn landlock_or_skip() -> bool {
    abi_or_skip(1, "Landlock")
}

/// Like [`landlock_or_skip`], for a feature that needs Landlock ABI `min` or later.
pub fn abi_or_skip(min: u32, feature: &str) -> bool {
    let abi = kernel_abi();
    if abi >= min {
        return true;
    }
    let why = format!("{feature} needs Landlock ABI {min}, this kernel has ABI {abi}");
    if std::env::var_os("LANDLOCK_REQUIRED").is_some_and(|v| v == "1") {
        panic!("{why}, and LANDLOCK_REQUIRED=1");
    }
    say_skipped(&why);
    false
}

/// The symbolic name of the errno values these tests expect, for readable failures.
pub fn errno_name(errno: i32) -> String {
    let name = match errno {
        libc::EACCES => "EACCES",
        libc::EPERM => "EPERM",
        libc::EXDEV => "EXDEV",
        libc::ENOENT => "ENOENT",
        _ => return format!("errno {errno}"),
    };
    name.to_owned()
}

/// Asserts that `result` (of doing `what`) failed with exactly `errno`.
#[track_caller]
pub fn assert_denied<T: std::fmt::Debug>(what: &str, result: io::Result<T>, errno: i32) {
    match result {
        Ok(value) => panic!(
            "`{what}` succeeded ({value:?}), expected {}",
            errno_name(errno)
        ),
        Err(error) => assert_eq!(
            error.raw_os_error(),
            Some(errno),
            "`{what}` failed with `{error}`, expected {}",
            errno_name(errno)
        ),
    }
}

/// Asserts that `result` (of doing `what`) succeeded, and yields its value.
#[track_caller]
pub fn assert_allowed<T>(what: &str, result: io::Result<T>) -> T {
    result.unwrap_or_else(|error| panic!("`{what}` failed: {error}"))
}

/// `assert_errno!(EXPR, ERRNO)`: [`assert_denied`], naming the expression.
macro_rules! assert_errno {
    ($result:expr, $errno:expr) => {
        $crate::common::assert_denied(stringify!($result), $result, $errno)
    };
}
pub(crate) use assert_errno;

/// `assert_ok!(EXPR)`: [`assert_allowed`], naming the expression.
macro_rules! assert_ok {
    ($result:expr) => {
        $crate::common::assert_allowed(stringify!($result), $result)
    };
}
pub(crate) use assert_ok;

/// A fresh temporary directory to build the trees a test grants, removed at the end of the
/// test (by the unrestricted test thread, which owns it).
pub struct Scratch(TempDir);

impl Scratch {
    pub fn new() -> Scratch {
        Scratch(tempfile::tempdir().expect("a temporary directory"))
    }

    /// The path of `rel` inside the scratch directory (`""`: the directory itself).
    pub fn path(&self, rel: &str) -> PathBuf {
        if rel.is_empty() {
            self.0.path().to_owned()
        } else {
            self.0.path().join(rel)
        }
    }

    /// Creates the directory `rel` (and its parents).
    pub fn dir(&self, rel: &str) -> PathBuf {
        let path = self.path(rel);
        fs::create_dir_all(&path).expect("create a scratch directory");
        path
    }

    /// Creates the file `rel` (and its parents) holding `contents`.
    pub fn file(&self, rel: &str, contents: &str) -> PathBuf {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().expect("a parent")).expect("create a scratch directory");
        fs::write(&path, contents).expect("create a scratch file");
        path
    }

    /// A copy of the program at `program`, executable, at `rel`.
    pub fn program(&self, rel: &str, program: &Path) -> PathBuf {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().expect("a parent")).expect("create a scratch directory");
        fs::copy(program, &path).expect("copy a program");
        path
    }

    /// The path of `rel` as a policy path template.
    pub fn template(&self, rel: &str) -> String {
        template(&self.path(rel))
    }
}

/// An absolute path as a policy path template.
pub fn template(path: &Path) -> String {
    path.to_str().expect("a UTF-8 scratch path").to_owned()
}

/// The program the exec tests run: it needs its ELF interpreter and libc, nothing else.
pub const TRUE: &str = "/usr/bin/true";

/// The ELF interpreter (dynamic loader) a 64-bit little-endian ELF program names in its
/// `PT_INTERP` header, read from the file so that the tests do not hard-code an architecture.
pub fn elf_interpreter(program: &Path) -> PathBuf {
    let elf = fs::read(program).expect("read the program");
    let u16_at = |at: usize| u16::from_le_bytes(elf[at..at + 2].try_into().unwrap());
    let u64_at = |at: usize| {
        usize::try_from(u64::from_le_bytes(elf[at..at + 8].try_into().unwrap())).unwrap()
    };
    assert!(
        elf.starts_with(b"\x7fELF\x02\x01"),
        "{}: not a 64-bit little-endian ELF file",
        program.display()
    );
    const PT_INTERP: u32 = 3;
    let (phoff, phentsize, phnum) = (u64_at(0x20), usize::from(u16_at(0x36)), u16_at(0x38));
    for header in (0..usize::from(phnum)).map(|i| phoff + i * phentsize) {
        let p_type = u32::from_le_bytes(elf[header..header + 4].try_into().unwrap());
        if p_type == PT_INTERP {
            let (offset, size) = (u64_at(header + 8), u64_at(header + 32));
            let name = &elf[offset..offset + size];
            let name = name.strip_suffix(b"\0").unwrap_or(name);
            return PathBuf::from(std::str::from_utf8(name).expect("a UTF-8 interpreter path"));
        }
    }
    panic!(
        "{}: statically linked, no ELF interpreter",
        program.display()
    );
}

/// The C library a glibc system keeps beside its ELF interpreter (`/lib64/ld-linux-x86-64.so.2`
/// is a link to `/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2`, next to `libc.so.6`).
pub fn libc_beside(interpreter: &Path) -> PathBuf {
    let real = fs::canonicalize(interpreter).expect("the interpreter exists");
    let libc = real.parent().expect("a directory").join("libc.so.6");
    assert!(libc.is_file(), "no {}", libc.display());
    libc
}

/// What running a dynamically linked `program` (that needs only libc, as `true` does) needs
/// besides execute on itself: execute on its ELF interpreter, which the kernel opens for
/// execution like the program, and read on libc, which the interpreter opens and maps (mapping
/// is not checked). Nothing in /etc: when /etc/ld.so.cache cannot be read, the interpreter
/// finds libc in its default directories.
pub fn grant_loader(builder: PolicyBuilder, program: &Path) -> PolicyBuilder {
    let interpreter = elf_interpreter(program);
    builder
        .exec(template(&interpreter))
        .read(template(&libc_beside(&interpreter)))
}

/// A TCP socket bound to 127.0.0.1:`port` (0: any free port) with `SO_REUSEPORT`, not
/// listening: holding one keeps the port from other tests while letting a sandbox bind the
/// same port with `SO_REUSEPORT` too, so a bind test never races for a free port.
pub fn bind_reuseport(port: u16) -> io::Result<TcpListener> {
    // SAFETY: plain system calls on a descriptor owned here; the address and option are live
    // locals of the sizes passed.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let fd = OwnedFd::from_raw_fd(fd);
        let one: libc::c_int = 1;
        if libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_REUSEPORT,
            (&raw const one).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        ) != 0
        {
            return Err(io::Error::last_os_error());
        }
        let addr = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: port.to_be(),
            sin_addr: libc::in_addr {
                s_addr: u32::from(Ipv4Addr::LOCALHOST).to_be(),
            },
            sin_zero: [0; 8],
        };
        if libc::bind(
            fd.as_raw_fd(),
            (&raw const addr).cast(),
            size_of::<libc::sockaddr_in>() as libc::socklen_t,
        ) != 0
        {
            return Err(io::Error::last_os_error());
        }
        Ok(TcpListener::from(fd))
    }
}

/// A socket listening on 127.0.0.1:`port` with `SO_REUSEPORT`: for a port fixed at compile
/// time (in a macro's policy), which this process can then hold even if another test binds it
/// the same way.
pub fn listen_reuseport(port: u16) -> io::Result<TcpListener> {
    let socket = bind_reuseport(port)?;
    // SAFETY: a plain system call on a descriptor owned by `socket`.
    if unsafe { libc::listen(socket.as_raw_fd(), 8) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(socket)
}

/// A listening TCP socket on a free port of 127.0.0.1, and that port.
pub fn tcp_listener() -> (TcpListener, u16) {
    let listener = TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)).expect("listen");
    let port = listener.local_addr().expect("local address").port();
    (listener, port)
}

/// The port a socket is bound to.
pub fn port_of(socket: &TcpListener) -> u16 {
    socket.local_addr().expect("local address").port()
}

/// The policy a builder describes; the tests' policies are all valid.
#[track_caller]
pub fn build(builder: PolicyBuilder) -> Policy {
    builder.build().unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `f` on a new thread restricted by `policy` (never on the test's own thread, which may
/// be libtest's main thread and must stay free), and returns its value.
#[track_caller]
pub fn inside<T: Send>(policy: &Policy, f: impl FnOnce() -> T + Send) -> T {
    policy.run(f).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `program` with no arguments, its output captured. Standard input is inherited
/// because `Stdio::null()` would open /dev/null, which a sandbox does not grant.
///
/// A program the test has just copied can be briefly "busy" (ETXTBSY): a child forked by
/// another test thread holds the copy's write descriptor until it calls exec. That answer is
/// retried; any other is returned as it is.
pub fn run_program(program: &Path) -> io::Result<Output> {
    let mut tries = 0;
    loop {
        let result = Command::new(program)
            .stdin(Stdio::inherit())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output();
        match result {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && tries < 50 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            result => return result,
        }
    }
}

/// `kill(2)`.
pub fn kill(pid: i32, signal: i32) -> io::Result<()> {
    // SAFETY: a plain system call on integers.
    if unsafe { libc::kill(pid, signal) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `mkfifo(3)`, mode 0600.
pub fn mkfifo(path: &Path) -> io::Result<()> {
    let path = CString::new(path.as_os_str().as_bytes()).expect("no NUL in a path");
    // SAFETY: `path` is a NUL-terminated string that lives across the call.
    if unsafe { libc::mkfifo(path.as_ptr(), 0o600) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
