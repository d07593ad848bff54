//! Escape attempts: from inside a sandbox, every way out that a confused or hostile piece of
//! code might try, each with the exact answer of the kernel and why it gives that answer.
//!
//! Restricted code runs only on a scoped thread of its own ([`Policy::run`]), never on the
//! test's thread. Every policy here is `strict` on a kernel that enforces all of it (ABI 6),
//! so each assertion is made against a fully enforced ruleset; before, each test runs where the
//! kernel has what it tests (TCP from ABI 4, the scopes from 6), best effort, and asserts that
//! kernel's answers and level. The errno of each attempt was observed on Linux 6.18 (Landlock
//! ABI 7), on Linux 6.1 (ABI 2) and 6.12 (ABI 6), and
//! every denial asserted here was seen to succeed when the same code ran without the sandbox
//! (as root), so each answer is Landlock's and not an accident of the test's setup.
//!
//! The tree every test uses, fresh per test:
//!
//! ```text
//! ROOT/            not granted
//!   in/            read:  a.txt, sub/
//!   out/           write: (empty)
//!   outside/       not granted: secret.txt
//! ```

use std::ffi::CString;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{SocketAddr, UnixDatagram, UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use landlock_runtime::{Policy, PolicyBuilder, Preset, sandbox};

mod support;
use support::*;

/// Runs `f` on a scoped thread under `policy`, enforced as far as the kernel goes: fully from
/// ABI 6, partly before (see [`level_at`]).
fn inside<T: Send>(policy: &Policy, f: impl FnOnce() -> T + Send) -> T {
    let value = policy.run(f).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(policy.status().unwrap().level, level_at(kernel_abi()));
    value
}

// --- Symbolic links --------------------------------------------------------------------------

#[test]
fn a_symlink_in_a_granted_tree_pointing_out_is_denied() {
    if !landlock_at_least(1) {
        return;
    }
    let t = Tree::new("symlink-out");
    std::os::unix::fs::symlink(t.at("outside/secret.txt"), t.at("in/to-secret")).unwrap();
    std::os::unix::fs::symlink(t.at("outside"), t.at("in/to-outside")).unwrap();
    std::os::unix::fs::symlink("a.txt", t.at("in/to-a")).unwrap();
    let (out, dir_out, inside_link) = inside(&t.policy(), || {
        (
            opened(&t.at("in/to-secret"), libc::O_RDONLY),
            opened(&t.at("in/to-outside/secret.txt"), libc::O_RDONLY),
            opened(&t.at("in/to-a"), libc::O_RDONLY),
        )
    });
    // Landlock checks the file the walk ends on, not the names on the way: the link resolves
    // to outside/secret.txt, beneath no granted directory, so read_file is missing: EACCES.
    assert_eq!(out, Err(EACCES));
    // The same through a link to a directory: the walk continues in outside/.
    assert_eq!(dir_out, Err(EACCES));
    // A link that stays inside the granted tree resolves to a granted file.
    assert_eq!(inside_link, Ok(()));
}

#[test]
fn creating_a_symlink_out_and_following_it_is_denied() {
    if !landlock_at_least(1) {
        return;
    }
    let t = Tree::new("symlink-create");
    let secret = t.at("outside/secret.txt");
    let (made, followed, in_read_tree) = inside(&t.policy(), || {
        (
            symlink(&secret, &t.at("out/ln")),
            opened(&t.at("out/ln"), libc::O_RDONLY),
            symlink(&secret, &t.at("in/ln")),
        )
    });
    // `write` includes make_sym: creating the link is allowed (it grants nothing by itself).
    assert_eq!(made, Ok(()));
    // Following it ends on outside/secret.txt, which no rule covers: EACCES.
    assert_eq!(followed, Err(EACCES));
    // A read-only tree lacks make_sym: EACCES.
    assert_eq!(in_read_tree, Err(EACCES));
}

// --- Path tricks -----------------------------------------------------------------------------

#[test]
fn dot_dot_out_of_a_granted_tree_is_denied() {
    if !landlock_at_least(1) {
        return;
    }
    let t = Tree::new("dotdot");
    let (up, list_parent, down_again) = inside(&t.policy(), || {
        (
            opened(&t.at("in/../outside/secret.txt"), libc::O_RDONLY),
            io(std::fs::read_dir(t.at("in/.."))),
            opened(&t.at("in/sub/../a.txt"), libc::O_RDONLY),
        )
    });
    // `..` is resolved by the path walk before Landlock looks: the file reached is
    // outside/secret.txt, not beneath in/: EACCES.
    assert_eq!(up, Err(EACCES));
    // Listing ROOT needs read_dir on ROOT, which only its children have: EACCES.
    assert_eq!(list_parent, Err(EACCES));
    // `..` that stays inside the granted tree reaches a granted file.
    assert_eq!(down_again, Ok(()));
}

#[test]
fn proc_self_root_leads_to_the_same_inodes() {
    if !landlock_at_least(1) {
        return;
    }
    let t = Tree::new("proc-root");
    let via_root = |p: &str| PathBuf::from(format!("/proc/self/root{}", t.path(p)));
    let (secret, granted, cwd) = inside(&t.policy(), || {
        (
            opened(&via_root("outside/secret.txt"), libc::O_RDONLY),
            opened(&via_root("in/a.txt"), libc::O_RDONLY),
            opened(Path::new("/proc/self/cwd/Cargo.toml"), libc::O_RDONLY),
        )
    });
    // /proc/self/root is a magic link to "/": the walk ends on the very same inode, and
    // rules are on inodes, not on strings: outside/secret.txt is still not granted: EACCES.
    assert_eq!(secret, Err(EACCES));
    // For the same reason a granted file stays granted through it.
    assert_eq!(granted, Ok(()));
    // Likewise the current directory (the package root here) through /proc/self/cwd.
    assert_eq!(cwd, Err(EACCES));
}

// --- Descriptors -----------------------------------------------------------------------------

#[test]
fn reopening_a_read_only_descriptor_for_write_through_proc_is_denied() {
    if !landlock_at_least(1) {
        return;
    }
    let t = Tree::new("proc-fd");
    let (opened_ro, write, read_write, read) = inside(&t.policy(), || {
        let fd = open(&t.at("in/a.txt"), libc::O_RDONLY);
        let Ok(fd) = fd else {
            return (fd.map(drop), Ok(()), Ok(()), Ok(()));
        };
        let magic = PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()));
        (
            Ok(()),
            opened(&magic, libc::O_WRONLY),
            opened(&magic, libc::O_RDWR),
            opened(&magic, libc::O_RDONLY),
        )
    });
    assert_eq!(opened_ro, Ok(()));
    // Opening /proc/self/fd/N opens the file itself again, and Landlock checks that open
    // like any other: in/ lacks write_file: EACCES. The descriptor's own mode is irrelevant.
    assert_eq!(write, Err(EACCES));
    assert_eq!(read_write, Err(EACCES));
    // Reopening for what the tree grants works.
    assert_eq!(read, Ok(()));
}

#[test]
fn descriptors_opened_before_the_sandbox_keep_their_access_but_grant_nothing_more() {
    if !landlock_at_least(1) {
        return;
    }
    let t = Tree::new("pre-opened");
    // Opened before enforcement: a file outside, for reading; its directory; an O_PATH handle.
    let mut secret = std::fs::File::open(t.at("outside/secret.txt")).unwrap();
    let dir = open(&t.at("outside"), libc::O_RDONLY | libc::O_DIRECTORY).unwrap();
    let handle = open(&t.at("outside/secret.txt"), libc::O_PATH).unwrap();
    let (read, reopen, reopen_path, beneath_dir) = inside(&t.policy(), || {
        let mut text = String::new();
        let read = io(secret.read_to_string(&mut text));
        let name = CString::new("secret.txt").unwrap();
        // SAFETY: a directory descriptor alive for the call, a valid C string.
        let at = unsafe {
            libc::openat(
                dir.as_raw_fd(),
                name.as_ptr(),
                libc::O_RDONLY | libc::O_CLOEXEC,
            )
        };
        let beneath_dir = check(at.into());
        if at >= 0 {
            // SAFETY: the descriptor just opened.
            unsafe { libc::close(at) };
        }
        (
            read,
            opened(
                &PathBuf::from(format!("/proc/self/fd/{}", secret.as_raw_fd())),
                libc::O_RDONLY,
            ),
            opened(
                &PathBuf::from(format!("/proc/self/fd/{}", handle.as_raw_fd())),
                libc::O_RDONLY,
            ),
            beneath_dir,
        )
    });
    // A documented limit: Landlock checks opens, so a descriptor opened before keeps its
    // access.
    assert_eq!(read, Ok(()));
    // But nothing opened through it: every new open is checked against the file's place in
    // the tree, and outside/ is not granted: EACCES.
    assert_eq!(reopen, Err(EACCES));
    assert_eq!(reopen_path, Err(EACCES));
    assert_eq!(beneath_dir, Err(EACCES));
}

// --- Links and renames -----------------------------------------------------------------------

#[test]
fn hard_linking_and_renaming_a_file_from_outside_into_a_granted_tree_is_denied() {
    if !landlock_at_least(2) {
        return;
    }
    let t = Tree::new("link-in");
    let secret = t.at("outside/secret.txt");
    let (link_out, rename_out, link_read, rename_read, link_within, rename_within) =
        inside(&t.policy(), || {
            std::fs::write(t.at("out/mine.txt"), "mine").unwrap();
            (
                link(&secret, &t.at("out/stolen")),
                rename(&secret, &t.at("out/stolen")),
                link(&t.at("in/a.txt"), &t.at("out/a-link")),
                rename(&t.at("in/a.txt"), &t.at("out/a.txt")),
                link(&t.at("out/mine.txt"), &t.at("out/mine-link")),
                rename(&t.at("out/mine-link"), &t.at("out/mine-renamed")),
            )
        });
    // A link from outside/ into out/ would make the secret readable (and writable) through
    // its new name. Creating the name in out/ is allowed (make_reg), but linking across
    // directories needs `refer` on both sides, which outside/ lacks, and the file must not
    // gain rights in its new place, which it would. Landlock answers both with EXDEV ("not
    // across these trees"), as for a link across filesystems.
    assert_eq!(link_out, Err(EXDEV));
    // A rename also removes the source name: outside/ lacks remove_file, a right other than
    // refer, and Landlock prefers EACCES to EXDEV.
    assert_eq!(rename_out, Err(EACCES));
    // From the read tree (no `refer`) into the write tree, where the file would gain write
    // rights: EXDEV.
    assert_eq!(link_read, Err(EXDEV));
    // Renaming out of the read tree needs remove_file there: EACCES.
    assert_eq!(rename_read, Err(EACCES));
    // Within the write tree both work.
    assert_eq!(link_within, Ok(()));
    assert_eq!(rename_within, Ok(()));
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "secret");
}

#[test]
fn renaming_a_granted_directory_itself_is_denied() {
    if !landlock_at_least(1) {
        return;
    }
    let t = Tree::new("rename-root");
    std::fs::create_dir(t.at("out/d")).unwrap();
    let (read_tree, write_tree, remove_write_tree, beneath) = inside(&t.policy(), || {
        (
            rename(&t.at("in"), &t.at("in2")),
            rename(&t.at("out"), &t.at("out2")),
            io(std::fs::remove_dir(t.at("out"))),
            rename(&t.at("out/d"), &t.at("out/e")),
        )
    });
    // Renaming or removing a directory is an operation on its parent (ROOT), which is not
    // granted: remove_dir is missing there: EACCES. The grants are beneath in/ and out/, not
    // on their names in ROOT.
    assert_eq!(read_tree, Err(EACCES));
    assert_eq!(write_tree, Err(EACCES));
    assert_eq!(remove_write_tree, Err(EACCES));
    // A directory beneath out/ is renamed in out/, which grants it.
    assert_eq!(beneath, Ok(()));
}

// --- A read-only tree ------------------------------------------------------------------------

#[test]
fn nothing_is_written_in_a_read_only_tree() {
    if !landlock_at_least(1) {
        return;
    }
    let t = Tree::new("read-only");
    let a = t.at("in/a.txt");
    let outcomes = inside(&t.policy(), || {
        let fifo = |p: &Path| {
            // SAFETY: a valid C string.
            check(unsafe { libc::mkfifo(cstr(p).as_ptr(), 0o600) }.into())
        };
        // SAFETY: a valid C string.
        let truncate = check(unsafe { libc::truncate(cstr(&a).as_ptr(), 0) }.into());
        [
            ("truncate", truncate),
            ("open O_WRONLY", opened(&a, libc::O_WRONLY)),
            (
                "open O_RDONLY|O_TRUNC",
                opened(&a, libc::O_RDONLY | libc::O_TRUNC),
            ),
            (
                "create",
                opened(&t.at("in/new.txt"), libc::O_WRONLY | libc::O_CREAT),
            ),
            ("mkfifo", fifo(&t.at("in/fifo"))),
            ("mkdir", io(std::fs::create_dir(t.at("in/d")))),
            ("unlink", io(std::fs::remove_file(&a))),
            ("mkfifo in out/", fifo(&t.at("out/fifo"))),
            (
                "create in out/",
                opened(&t.at("out/new.txt"), libc::O_WRONLY | libc::O_CREAT),
            ),
        ]
    });
    // truncate (ABI 3), write_file, make_reg, make_fifo, make_dir and remove_file are all
    // missing beneath in/: EACCES for each. Opening read-only with O_TRUNC truncates, so it
    // needs truncate too. In out/ the same operations are granted. Before ABI 3 the kernel
    // has no truncate right: both truncations succeed, as the status says (not enforced:
    // truncate), and empty the file.
    let truncate = if kernel_abi() >= 3 {
        Err(EACCES)
    } else {
        Ok(())
    };
    assert_eq!(
        outcomes,
        [
            ("truncate", truncate),
            ("open O_WRONLY", Err(EACCES)),
            ("open O_RDONLY|O_TRUNC", truncate),
            ("create", Err(EACCES)),
            ("mkfifo", Err(EACCES)),
            ("mkdir", Err(EACCES)),
            ("unlink", Err(EACCES)),
            ("mkfifo in out/", Ok(())),
            ("create in out/", Ok(())),
        ]
    );
    let left = if truncate.is_err() { "granted" } else { "" };
    assert_eq!(std::fs::read_to_string(&a).unwrap(), left);
}

// --- Executing -------------------------------------------------------------------------------

/// Runs `program` from inside the sandbox: the spawn's errno, or the exit code and what the
/// program wrote on standard error. Pipes only: `Stdio::null()` would open /dev/null inside the
/// sandbox, and be denied before anything is executed.
fn run(program: &Path) -> Result<(i32, String), Errno> {
    Command::new(program)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map(|o| {
            let code = o.status.code().unwrap_or(-1);
            (code, String::from_utf8_lossy(&o.stderr).into_owned())
        })
        .map_err(|e| Errno(e.raw_os_error().unwrap_or(-1)))
}

#[test]
fn exec_needs_exec_on_the_program_and_its_loader_and_read_on_its_libraries() {
    if !landlock_at_least(1) {
        return;
    }
    let program = Path::new("/usr/bin/true");
    let deps = landlock_runtime::exec::dependencies(program).unwrap();
    let loader = deps
        .loader
        .clone()
        .expect("a dynamically linked /usr/bin/true");
    let t = Tree::new("exec");
    let with = |b: PolicyBuilder| b.build().unwrap();
    let path = |p: &Path| p.to_str().unwrap().to_owned();

    // No grant on the program: execve needs execute on the file: EACCES.
    let none = with(t.builder());
    assert_eq!(inside(&none, || run(program)), Err(EACCES));
    // Read, not exec, on the program: still no execute: EACCES.
    let read_only = with(t.builder().read(path(program)));
    assert_eq!(inside(&read_only, || run(program)), Err(EACCES));
    // The loader and libraries (the preset) but not the program: EACCES.
    let loader_only = with(t.builder().preset(Preset::DynamicLoader));
    assert_eq!(inside(&loader_only, || run(program)), Err(EACCES));
    // Exec on the program only: the kernel then opens the ELF interpreter for execution in
    // the same execve, and that open lacks execute: EACCES, although the program itself is
    // granted.
    let program_only = with(t.builder().exec(path(program)));
    assert_eq!(inside(&program_only, || run(program)), Err(EACCES));
    // Exec on the program and its loader, nothing else: execve succeeds, then the loader
    // cannot open libc and exits with 127. (It reports "No such file or directory": it
    // searches several directories and reports the last failure, not the EACCES.)
    let no_libraries = with(t.builder().exec(path(program)).exec(path(&loader)));
    let (code, stderr) = inside(&no_libraries, || run(program)).unwrap();
    assert_eq!(code, 127, "{stderr}");
    assert!(
        stderr.contains("error while loading shared libraries: libc.so.6"),
        "{stderr}"
    );
    // The program, its loader and exactly its libraries: it runs.
    let mut exact = t.builder().exec(path(program)).exec(path(&loader));
    for library in &deps.libraries {
        exact = exact.read(path(library));
    }
    assert_eq!(
        inside(&with(exact), || run(program)),
        Ok((0, String::new()))
    );
    // Or the program with the preset.
    let preset = with(
        t.builder()
            .exec(path(program))
            .preset(Preset::DynamicLoader),
    );
    assert_eq!(inside(&preset, || run(program)), Ok((0, String::new())));
}

#[test]
fn a_program_written_into_the_write_tree_cannot_be_run() {
    if !landlock_at_least(1) {
        return;
    }
    let t = Tree::new("write-exec");
    let program = std::fs::read("/usr/bin/true").unwrap();
    // The same bytes, put by the test in a directory the policy grants `exec` on.
    std::fs::create_dir(t.at("bin")).unwrap();
    std::fs::write(t.at("bin/true"), &program).unwrap();
    std::fs::set_permissions(t.at("bin/true"), PermissionsExt::from_mode(0o755)).unwrap();
    let policy = t
        .builder()
        .exec(t.path("bin"))
        .preset(Preset::DynamicLoader)
        .build()
        .unwrap();
    let copy = t.at("out/true");
    let (dropped, granted) = inside(&policy, || {
        std::fs::write(&copy, &program).unwrap();
        // chmod is not checked by Landlock: the mode is not what stops it.
        std::fs::set_permissions(&copy, PermissionsExt::from_mode(0o755)).unwrap();
        (run(&copy), run(&t.at("bin/true")))
    });
    // `write` never includes execute: code that writes a program cannot run it: EACCES.
    assert_eq!(dropped, Err(EACCES));
    // The same program where `exec` is granted runs.
    assert_eq!(granted, Ok((0, String::new())));
}

// --- Network ---------------------------------------------------------------------------------

#[test]
fn tcp_to_a_port_not_granted_is_denied() {
    if !landlock_at_least(4) {
        return;
    }
    let granted = TcpListener::bind("127.0.0.1:0").unwrap();
    let other = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = |l: &TcpListener| l.local_addr().unwrap().port();
    let (granted_port, other_port) = (port(&granted), port(&other));
    let other6 = TcpListener::bind("[::1]:0").ok();
    let t = Tree::new("tcp");
    let policy = t.builder().connect(granted_port).build().unwrap();
    let (ok, denied, denied6, bind) = inside(&policy, || {
        (
            io(TcpStream::connect(("127.0.0.1", granted_port))),
            io(TcpStream::connect(("127.0.0.1", other_port))),
            other6
                .as_ref()
                .map(|l| io(TcpStream::connect(("::1", port(l))))),
            io(TcpListener::bind("127.0.0.1:0")),
        )
    });
    assert_eq!(ok, Ok(()));
    // connect_tcp is handled and no rule names this port: EACCES (not ECONNREFUSED: the
    // check comes before the packet is sent).
    assert_eq!(denied, Err(EACCES));
    // The same rule covers IPv6.
    if let Some(denied6) = denied6 {
        assert_eq!(denied6, Err(EACCES));
    }
    // bind_tcp is handled and no port is granted (not even 0, "any port"): EACCES.
    assert_eq!(bind, Err(EACCES));
}

// --- IPC scopes ------------------------------------------------------------------------------

#[test]
fn signals_to_processes_outside_the_sandbox_are_denied() {
    if !landlock_at_least(6) {
        return;
    }
    let t = Tree::new("signal");
    let mut before = Sleeper::start();
    let outside = before.pid();
    let policy = t
        .builder()
        .exec("/usr/bin/sleep")
        .preset(Preset::DynamicLoader)
        .build()
        .unwrap();
    let (to_outside, probe_outside, to_parent, to_own_process, to_own_child) =
        inside(&policy, || {
            let own = Sleeper::start();
            let to_own_child = kill(own.pid(), libc::SIGTERM);
            (
                kill(outside, libc::SIGTERM),
                kill(outside, 0),
                // SAFETY: getppid cannot fail; signal 0 only checks permission.
                kill(unsafe { libc::getppid() }, 0),
                kill(std::process::id() as libc::pid_t, 0),
                to_own_child,
            )
        });
    // The signal scope: a process outside the sandbox's domain (started before it) cannot be
    // signalled: EPERM. Signal 0, which only probes, is checked the same way.
    assert_eq!(to_outside, Err(EPERM));
    assert_eq!(probe_outside, Err(EPERM));
    // Nor the parent of this test process.
    assert_eq!(to_parent, Err(EPERM));
    // The sandboxed thread's own process is allowed: Landlock lets the threads of one
    // process signal each other (they share memory anyway), whatever their domains.
    assert_eq!(to_own_process, Ok(()));
    // A child started inside the sandbox is in its domain: allowed.
    assert_eq!(to_own_child, Ok(()));
    assert_eq!(before.0.try_wait().unwrap(), None, "still running");
}

#[test]
fn tracing_a_process_outside_the_sandbox_is_denied() {
    if !landlock_at_least(1) {
        return;
    }
    let t = Tree::new("ptrace");
    let before = Sleeper::start();
    let attach = |pid: libc::pid_t| {
        // SAFETY: PTRACE_ATTACH on a child of this process; the result is only checked.
        check(unsafe {
            libc::ptrace(
                libc::PTRACE_ATTACH,
                pid,
                std::ptr::null_mut::<libc::c_void>(),
                std::ptr::null_mut::<libc::c_void>(),
            )
        })
    };
    let policy = t
        .builder()
        .exec("/usr/bin/sleep")
        .preset(Preset::DynamicLoader)
        .build()
        .unwrap();
    let (outside, own) = inside(&policy, || {
        // Dropped (killed: a traced child still dies of SIGKILL) at the end of the closure.
        let own = Sleeper::start();
        (attach(before.pid()), attach(own.pid()))
    });
    // A sandbox may trace only processes in its own domain or below; tracing one outside
    // would let it act with that process's rights (as root, even so): EPERM.
    assert_eq!(outside, Err(EPERM));
    // A child started inside the sandbox is in its domain: allowed.
    assert_eq!(own, Ok(()));
}

#[test]
fn abstract_unix_sockets_outside_the_sandbox_are_unreachable() {
    if !landlock_at_least(6) {
        return;
    }
    let t = Tree::new("abstract");
    let name = format!("landlock-escape-{}", std::process::id());
    let outside_addr = SocketAddr::from_abstract_name(format!("{name}-stream")).unwrap();
    let _listener = UnixListener::bind_addr(&outside_addr).unwrap();
    let dgram_addr = SocketAddr::from_abstract_name(format!("{name}-dgram")).unwrap();
    let _dgram = UnixDatagram::bind_addr(&dgram_addr).unwrap();
    let (stream, datagram, own) = inside(&t.policy(), || {
        let own_addr = SocketAddr::from_abstract_name(format!("{name}-inside")).unwrap();
        let own = UnixListener::bind_addr(&own_addr).map(|listener| {
            let connected = UnixStream::connect_addr(&own_addr);
            drop(listener);
            connected
        });
        (
            io(UnixStream::connect_addr(&outside_addr)),
            io(UnixDatagram::unbound().and_then(|s| s.send_to_addr(b"x", &dgram_addr))),
            io(own.and_then(|c| c)),
        )
    });
    // The abstract unix socket scope: a socket bound outside the sandbox's domain (here by
    // the unrestricted test thread) cannot be connected to, nor sent to: EPERM.
    assert_eq!(stream, Err(EPERM));
    assert_eq!(datagram, Err(EPERM));
    // One bound inside the sandbox is in its domain.
    assert_eq!(own, Ok(()));
}

#[test]
fn a_pathname_unix_socket_is_reachable_before_abi_9() {
    if !landlock_at_least(1) {
        return;
    }
    if landlock_runtime::kernel_abi() >= 9 {
        support::say_skipped("this kernel restricts pathname unix sockets (ABI 9)");
        return;
    }
    let t = Tree::new("pathname-socket");
    let socket = t.at("outside/socket");
    let _listener = UnixListener::bind(&socket).unwrap();
    let connected = inside(&t.policy(), || io(UnixStream::connect(&socket)));
    // A documented limit, not a scope: before ABI 9 (resolve_unix) Landlock does not check
    // connecting to a named socket, even beneath a directory it does not grant.
    assert_eq!(connected, Ok(()));
}

// --- Mounts (this suite runs as root) --------------------------------------------------------

#[test]
fn mounting_is_denied_even_to_root() {
    if !landlock_at_least(1) {
        return;
    }
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        support::say_skipped("not root, mount would be denied anyway");
        return;
    }
    let t = Tree::new("mount");
    let none = CString::new("none").unwrap();
    let root = CString::new("/").unwrap();
    // In a mount namespace of the calling thread's own, made private first so that nothing
    // propagates to the rest of the system.
    let private_bind = || {
        // SAFETY: unshare and mount with valid C strings, on the calling thread only.
        unsafe {
            [
                check(libc::unshare(libc::CLONE_NEWNS).into()),
                check(
                    libc::mount(
                        none.as_ptr(),
                        root.as_ptr(),
                        std::ptr::null(),
                        libc::MS_REC | libc::MS_PRIVATE,
                        std::ptr::null(),
                    )
                    .into(),
                ),
                check(
                    libc::mount(
                        cstr(&t.at("outside")).as_ptr(),
                        cstr(&t.at("out")).as_ptr(),
                        none.as_ptr(),
                        libc::MS_BIND,
                        std::ptr::null(),
                    )
                    .into(),
                ),
            ]
        }
    };
    // Without a sandbox, root can do it: the secret then shows beneath out/.
    let unrestricted = std::thread::scope(|s| {
        s.spawn(|| {
            let outcome = private_bind();
            (outcome, t.at("out/secret.txt").exists())
        })
        .join()
        .unwrap()
    });
    assert_eq!(unrestricted, ([Ok(()), Ok(()), Ok(())], true));
    let outcome = inside(&t.policy(), private_bind);
    // Creating a mount namespace is not a Landlock matter: allowed. But Landlock denies every
    // change of mounts (here the propagation change, then the bind mount that would put the
    // secret beneath a granted directory) to a sandboxed thread, whatever its capabilities:
    // EPERM.
    assert_eq!(outcome, [Ok(()), Err(EPERM), Err(EPERM)]);
}

// --- Preparation and symlinks ----------------------------------------------------------------

/// Makes `link` a symlink to `target`, owned by `uid`, in a sticky world-writable `out/` (as
/// `/tmp` is): what another local user could plant at a granted path before preparation.
fn plant(t: &Tree, target: &str, link: &str, uid: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(t.at("out"), std::fs::Permissions::from_mode(0o1777)).unwrap();
    std::os::unix::fs::symlink(t.at(target), t.at(link)).unwrap();
    std::os::unix::fs::lchown(t.at(link), Some(uid), None).unwrap();
}

#[test]
fn a_symlink_another_user_planted_at_a_granted_path_is_refused() {
    if !landlock_at_least(1) {
        return;
    }
    let t = Tree::new("escape-planted");
    // `out/cache` is what the policy means to grant. Another user (uid 4242), who can write
    // in the sticky, world-writable out/, makes it a symlink to outside/ before preparation.
    // Followed, the rule would land on outside/, which the policy never names.
    plant(&t, "outside", "out/cache", 4242);
    let policy = Policy::builder("escape::planted")
        .write(t.path("out/cache"))
        .build()
        .unwrap();
    let err = policy.prepare().unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err.kind(), landlock_runtime::ErrorKind::OpenPath { .. })
            && msg.contains(&format!(
                "`{}` is a symbolic link to `{}`, owned by uid 4242, in `{}`",
                t.path("out/cache"),
                t.path("outside"),
                t.path("out")
            ))
            && msg.contains("another user could have planted it"),
        "{msg}"
    );
    // Nothing was enforced, and nothing of outside/ was exposed.
    assert_eq!(
        std::fs::read_to_string(t.at("outside/secret.txt")).unwrap(),
        "secret"
    );
}

#[test]
fn a_symlink_another_user_planted_in_any_directory_others_can_write_is_refused() {
    if !landlock_at_least(1) {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    // Not only sticky, world-writable directories: a world-writable one without the sticky
    // bit, and one its group can write, let others plant a link too.
    for (mode, what) in [(0o777, "world-writable"), (0o775, "group-writable")] {
        let t = Tree::new(&format!("escape-planted-{mode:o}"));
        std::fs::set_permissions(t.at("out"), std::fs::Permissions::from_mode(mode)).unwrap();
        std::os::unix::fs::symlink(t.at("outside"), t.at("out/cache")).unwrap();
        std::os::unix::fs::lchown(t.at("out/cache"), Some(4242), None).unwrap();
        let policy = Policy::builder("escape::planted")
            .read(t.path("out/cache"))
            .build()
            .unwrap();
        let err = policy.prepare().unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains(&format!(
                "`{}` is a symbolic link to `{}`, owned by uid 4242, in `{}`, a directory users other than its owner can write: another user could have planted it",
                t.path("out/cache"),
                t.path("outside"),
                t.path("out"),
            )),
            "{what}: {msg}"
        );
    }
}

/// As root, what a less privileged user (nobody, uid 65534) can set up: a directory of its
/// own, `ROOT/nobody/` (mode 755), holding `link`, a symbolic link it made to `ROOT/private/`, a
/// directory only root can enter (mode 700, with `s.txt` and `sub/`). Returns the link.
fn nobodys_link_to_roots_directory(t: &Tree) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(t.at("private/sub")).unwrap();
    std::fs::write(t.at("private/s.txt"), "root's").unwrap();
    std::fs::set_permissions(t.at("private"), std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::create_dir(t.at("nobody")).unwrap();
    std::fs::set_permissions(t.at("nobody"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::chown(t.at("nobody"), Some(65534), Some(65534)).unwrap();
    let made = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "ln",
            "-s",
        ])
        .arg(t.at("private"))
        .arg(t.at("nobody/link"))
        .status()
        .unwrap();
    assert!(made.success());
    let link = t.at("nobody/link");
    assert_eq!(std::fs::symlink_metadata(&link).unwrap().uid(), 65534);
    link
}

#[sandbox(read = input)]
fn list(input: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(input)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_symlink_a_less_privileged_user_made_in_its_own_directory_is_refused() {
    if !landlock_at_least(1) || !root_or_skip("making files of another user") {
        return;
    }
    let t = Tree::new("escape-nobody-link");
    let link = nobodys_link_to_roots_directory(&t);
    let refused = |what: &str, msg: &str| {
        assert!(
            msg.contains(&format!(
                "`{}` is a symbolic link to `{}`, owned by uid 65534 (nobody): another user could have planted it to redirect the grant, so it is not followed; only links owned by the user preparing the policy (uid 0) or by root are followed; grant `{}` itself if that is what is meant",
                link.display(),
                t.path("private"),
                t.path("private"),
            )),
            "{what}: {msg}"
        );
    };
    // The argument of a function whose policy reads it: the call panics, nothing is listed.
    let called = {
        let link = link.clone();
        std::thread::spawn(move || list(&link)).join()
    };
    let panic = called.expect_err("listed root's directory through nobody's link");
    refused("argument", panic.downcast_ref::<String>().unwrap());
    // A literal path, a template, and the link as a directory on the way to what is granted.
    for (what, builder) in [
        (
            "literal",
            Policy::builder("escape::nobody").read_path(&link),
        ),
        (
            "template",
            Policy::builder("escape::nobody").read(link.to_str().unwrap()),
        ),
        (
            "beneath",
            Policy::builder("escape::nobody").read_path(link.join("sub")),
        ),
    ] {
        let err = builder.build().unwrap().prepare().unwrap_err();
        assert!(
            matches!(err.kind(), landlock_runtime::ErrorKind::OpenPath { .. }),
            "{what}: {err}"
        );
        refused(what, &err.to_string());
    }
    // Optional, it is skipped and said so: it grants nothing.
    let policy = Policy::builder("escape::nobody")
        .read(format!("{}?", link.display()))
        .build()
        .unwrap();
    let status = policy.prepare().unwrap();
    assert_eq!(status.skipped.len(), 1, "{status}");
    let listed = inside(&policy, || io(std::fs::read_dir(t.at("private"))));
    assert_eq!(listed, Err(EACCES));
}

#[test]
fn a_symlink_owned_by_the_user_or_root_is_followed() {
    if !landlock_at_least(1) {
        return;
    }
    let t = Tree::new("escape-trusted-link");
    // SAFETY: geteuid cannot fail.
    let me = unsafe { libc::geteuid() };
    // The same layout, but the link is the user's own: it is what they set up, and followed.
    plant(&t, "outside", "out/cache", me);
    let policy = Policy::builder("escape::trusted")
        .write(t.path("out/cache"))
        .strict_on_a_full_kernel()
        .build()
        .unwrap();
    let written = inside(&policy, || {
        io(std::fs::write(t.at("outside/secret.txt"), "overwritten"))
    });
    assert_eq!(written, Ok(()));
    if !root_or_skip("making files of another user") {
        return;
    }
    // A link of root's, in a directory of nobody's: root made it, and it is followed, as the
    // argument of a function, as a path and on the way to one.
    nobodys_link_to_roots_directory(&t);
    std::os::unix::fs::symlink(t.at("private"), t.at("nobody/roots")).unwrap();
    let roots = t.at("nobody/roots");
    let listed = std::thread::spawn(move || list(&roots)).join().unwrap();
    assert_eq!(listed, ["s.txt", "sub"]);
    let policy = Policy::builder("escape::trusted_root")
        .read_path(t.at("nobody/roots/sub"))
        .strict_on_a_full_kernel()
        .build()
        .unwrap();
    let read = inside(&policy, || {
        (
            io(std::fs::read_dir(t.at("private/sub"))),
            io(std::fs::read(t.at("private/s.txt"))),
        )
    });
    assert_eq!(read, (Ok(()), Err(EACCES)));
}
