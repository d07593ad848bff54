//! What the kernel really enforces: real system calls under real Landlock rulesets, each
//! asserting its exact outcome (success, `EACCES`, `EXDEV` or `EPERM`).
//!
//! Restricted code always runs on a thread of its own (`Policy::run`, the block form, or a
//! spawned thread): libtest may run a test on the process's main thread, and a restriction is
//! never lifted. Every test first calls `landlock_or_skip` (or `abi_or_skip` for features of
//! later ABIs): without Landlock it skips, or fails under `LANDLOCK_REQUIRED=1`.

mod common;

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpStream};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::fs::symlink;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::os::unix::process::ExitStatusExt;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Barrier, OnceLock};
use std::thread;

use landlock_runtime::{
    ErrorKind, Level, MAX_LAYERS, Policy, SkipReason, block, in_force, kernel_abi,
};

use common::{
    Scratch, TRUE, abi_or_skip, assert_errno, assert_ok, bind_reuseport, build, elf_interpreter,
    grant_loader, inside, kill, landlock_or_skip, libc_beside, listen_reuseport, mkfifo, port_of,
    run_program, tcp_listener, template,
};

use libc::{EACCES, EPERM, EXDEV};

/// Opens `path` for writing without creating or truncating it.
fn open_for_writing(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).open(path)
}

/// Appends to `path`.
fn append(path: &Path, text: &str) -> io::Result<()> {
    OpenOptions::new()
        .append(true)
        .open(path)?
        .write_all(text.as_bytes())
}

fn connect(port: u16) -> io::Result<TcpStream> {
    TcpStream::connect(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port))
}

// ---------------------------------------------------------------------------------------------
// Filesystem classes on directories

#[test]
fn read_on_a_directory_allows_reading_and_listing_only() {
    if !landlock_or_skip() {
        return;
    }
    let s = Scratch::new();
    let file = s.file("ro/file", "content");
    s.dir("ro/sub");
    let outside = s.file("outside", "secret");
    let policy = build(Policy::builder("read dir").read(s.template("ro")));
    inside(&policy, || {
        assert_eq!(assert_ok!(fs::read_to_string(&file)), "content");
        assert_eq!(assert_ok!(fs::read_dir(s.path("ro"))).count(), 2);
        assert_ok!(fs::read_dir(s.path("ro/sub")));
        assert_errno!(open_for_writing(&file), EACCES);
        assert_errno!(append(&file, "more"), EACCES);
        assert_errno!(fs::read_to_string(&outside), EACCES);
        assert_errno!(fs::read_dir(s.path("")), EACCES);
    });
    assert_eq!(fs::read_to_string(&file).unwrap(), "content");
}

#[test]
fn write_on_a_directory_allows_reading_and_writing() {
    if !landlock_or_skip() {
        return;
    }
    let s = Scratch::new();
    let file = s.file("rw/file", "content");
    let outside = s.file("outside", "secret");
    let policy = build(Policy::builder("write dir").write(s.template("rw")));
    inside(&policy, || {
        assert_eq!(assert_ok!(fs::read_to_string(&file)), "content");
        assert_eq!(assert_ok!(fs::read_dir(s.path("rw"))).count(), 1);
        assert_ok!(open_for_writing(&file));
        assert_ok!(append(&file, "+more"));
        assert_errno!(fs::read_to_string(&outside), EACCES);
        assert_errno!(open_for_writing(&outside), EACCES);
    });
    assert_eq!(fs::read_to_string(&file).unwrap(), "content+more");
}

#[test]
fn exec_on_a_directory_allows_reading_but_not_writing() {
    if !landlock_or_skip() {
        return;
    }
    let s = Scratch::new();
    let file = s.file("x/file", "content");
    let policy = build(Policy::builder("exec dir").exec(s.template("x")));
    inside(&policy, || {
        assert_eq!(assert_ok!(fs::read_to_string(&file)), "content");
        assert_eq!(assert_ok!(fs::read_dir(s.path("x"))).count(), 1);
        assert_errno!(open_for_writing(&file), EACCES);
        assert_errno!(File::create(s.path("x/new")), EACCES);
        assert_errno!(fs::remove_file(&file), EACCES);
    });
}

type Operation = fn(&Path) -> io::Result<()>;

/// Operations that create or remove something in `dir`, which holds a file `file` and an
/// empty directory `dir`: each needs one of the `make_*` or `remove_*` rights of `write`.
const CREATE_AND_REMOVE: [(&str, Operation); 7] = [
    ("create a regular file", |d| {
        File::create_new(d.join("new-file")).map(drop)
    }),
    ("make a directory", |d| fs::create_dir(d.join("new-dir"))),
    ("make a symlink", |d| symlink("file", d.join("new-link"))),
    ("make a fifo", |d| mkfifo(&d.join("new-fifo"))),
    ("bind a unix socket", |d| {
        UnixListener::bind(d.join("new-sock")).map(drop)
    }),
    ("remove a file", |d| fs::remove_file(d.join("file"))),
    ("remove a directory", |d| fs::remove_dir(d.join("dir"))),
];

#[test]
fn creating_and_removing_needs_write() {
    if !landlock_or_skip() {
        return;
    }
    let s = Scratch::new();
    for tree in ["rw", "ro", "x", "none"] {
        s.file(&format!("{tree}/file"), "content");
        s.dir(&format!("{tree}/dir"));
    }
    let policy = build(
        Policy::builder("create and remove")
            .write(s.template("rw"))
            .read(s.template("ro"))
            .exec(s.template("x")),
    );
    inside(&policy, || {
        for (what, operation) in CREATE_AND_REMOVE {
            common::assert_allowed(&format!("{what} in rw"), operation(&s.path("rw")));
            for tree in ["ro", "x", "none"] {
                common::assert_denied(
                    &format!("{what} in {tree}"),
                    operation(&s.path(tree)),
                    EACCES,
                );
            }
        }
    });
    let names = |tree: &str| -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(s.path(tree))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        names("rw"),
        ["new-dir", "new-fifo", "new-file", "new-link", "new-sock"]
    );
    for tree in ["ro", "x", "none"] {
        assert_eq!(names(tree), ["dir", "file"], "{tree}");
    }
}

// ---------------------------------------------------------------------------------------------
// Overwriting (truncating) existing files

#[test]
fn overwriting_an_existing_file_needs_write() {
    if !landlock_or_skip() {
        return;
    }
    let s = Scratch::new();
    let writable = s.file("rw/file", "old content");
    let readable = s.file("ro/file", "old content");
    let policy = build(
        Policy::builder("overwrite")
            .write(s.template("rw"))
            .read(s.template("ro")),
    );
    inside(&policy, || {
        // `fs::write` opens with O_TRUNC: on an existing file that needs the truncate right.
        assert_ok!(fs::write(&writable, "new"));
        assert_ok!(assert_ok!(open_for_writing(&writable)).set_len(1));
        assert_errno!(fs::write(&readable, "new"), EACCES);
        assert_errno!(File::create(&readable), EACCES);
    });
    assert_eq!(fs::read_to_string(&writable).unwrap(), "n");
    assert_eq!(fs::read_to_string(&readable).unwrap(), "old content");
}

// ---------------------------------------------------------------------------------------------
// Rules on single files

#[test]
fn rules_on_single_files_grant_that_file_only() {
    if !landlock_or_skip() {
        return;
    }
    let s = Scratch::new();
    let read = s.file("files/read", "r");
    let write = s.file("files/write", "w");
    let exec = s.program("files/exec", Path::new(TRUE));
    let other = s.file("files/other", "o");
    // A file rule carries only the file rights of its class: the policy prepares (the kernel
    // would answer EINVAL to a directory right on a file) and the directory stays closed.
    let policy = build(grant_loader(
        Policy::builder("single files")
            .read(template(&read))
            .write(template(&write))
            .exec(template(&exec)),
        &exec,
    ));
    inside(&policy, || {
        assert_eq!(assert_ok!(fs::read_to_string(&read)), "r");
        assert_errno!(open_for_writing(&read), EACCES);
        assert_errno!(fs::write(&read, "x"), EACCES);

        assert_eq!(assert_ok!(fs::read_to_string(&write)), "w");
        assert_ok!(append(&write, "+"));
        assert_ok!(fs::write(&write, "rewritten"));
        // Removing or renaming is a right on the parent directory, which has no rule.
        assert_errno!(fs::remove_file(&write), EACCES);
        assert_errno!(fs::rename(&write, s.path("files/renamed")), EACCES);

        assert!(assert_ok!(run_program(&exec)).status.success());
        assert_errno!(open_for_writing(&exec), EACCES);

        assert_errno!(fs::read_to_string(&other), EACCES);
        assert_errno!(fs::read_dir(s.path("files")), EACCES);
        assert_errno!(File::create_new(s.path("files/new")), EACCES);
    });
    assert_eq!(fs::read_to_string(&write).unwrap(), "rewritten");
}

// ---------------------------------------------------------------------------------------------
// Rename and link

#[test]
fn rename_and_link_within_a_write_tree() {
    if !landlock_or_skip() {
        return;
    }
    let s = Scratch::new();
    s.file("rw/a", "a");
    s.dir("rw/sub");
    let policy = build(Policy::builder("rename within").write(s.template("rw")));
    inside(&policy, || {
        let p = |rel: &str| s.path(rel);
        assert_ok!(fs::rename(p("rw/a"), p("rw/b")));
        // Into another directory: a reparenting, which needs the refer right.
        assert_ok!(fs::rename(p("rw/b"), p("rw/sub/b")));
        assert_ok!(fs::hard_link(p("rw/sub/b"), p("rw/c")));
        assert_ok!(fs::rename(p("rw/sub"), p("rw/sub2")));
    });
    assert_eq!(fs::read_to_string(s.path("rw/sub2/b")).unwrap(), "a");
    assert_eq!(fs::read_to_string(s.path("rw/c")).unwrap(), "a");
    assert!(!s.path("rw/a").exists());
}

#[test]
fn rename_and_link_between_two_write_trees() {
    if !landlock_or_skip() {
        return;
    }
    let s = Scratch::new();
    s.file("one/a", "a");
    s.file("one/d/f", "f");
    s.dir("two");
    let policy = build(
        Policy::builder("rename between")
            .write(s.template("one"))
            .write(s.template("two")),
    );
    inside(&policy, || {
        let p = |rel: &str| s.path(rel);
        assert_ok!(fs::rename(p("one/a"), p("two/a")));
        assert_ok!(fs::hard_link(p("two/a"), p("one/a-link")));
        assert_ok!(fs::rename(p("one/d"), p("two/d")));
    });
    assert_eq!(fs::read_to_string(s.path("two/a")).unwrap(), "a");
    assert_eq!(fs::read_to_string(s.path("one/a-link")).unwrap(), "a");
    assert_eq!(fs::read_to_string(s.path("two/d/f")).unwrap(), "f");
}

/// Moving a file out of a write tree into a read-only tree (or a tree with no rule) is
/// refused with EACCES, not EXDEV: the destination lacks `make_reg`, and the kernel
/// (`current_check_refer_path` in security/landlock/fs.c) answers EACCES whenever a right
/// other than `refer` is missing, keeping EXDEV for the case where `refer` alone is wanting.
/// The reverse rename is EACCES too (the read-only source lacks `remove_file`), but the
/// reverse hard link is EXDEV: it removes nothing and the write tree may make files, so only
/// `refer` is missing, on the read-only source; a second name in a write tree would give the
/// read-only file write rights.
#[test]
fn rename_and_link_between_write_and_read_trees() {
    if !landlock_or_skip() {
        return;
    }
    let s = Scratch::new();
    s.file("rw/a", "a");
    s.file("ro/b", "b");
    s.dir("none");
    let policy = build(
        Policy::builder("rename out")
            .write(s.template("rw"))
            .read(s.template("ro")),
    );
    inside(&policy, || {
        let p = |rel: &str| s.path(rel);
        assert_errno!(fs::rename(p("rw/a"), p("ro/a")), EACCES);
        assert_errno!(fs::hard_link(p("rw/a"), p("ro/a")), EACCES);
        assert_errno!(fs::rename(p("rw/a"), p("none/a")), EACCES);
        assert_errno!(fs::hard_link(p("rw/a"), p("none/a")), EACCES);
        assert_errno!(fs::rename(p("ro/b"), p("rw/b")), EACCES);
        assert_errno!(fs::hard_link(p("ro/b"), p("rw/b")), EXDEV);
        // Copying is reading and creating: allowed.
        assert_ok!(fs::copy(p("ro/b"), p("rw/b")));
    });
    assert_eq!(fs::read_to_string(s.path("rw/a")).unwrap(), "a");
    assert!(!s.path("ro/a").exists() && !s.path("none/a").exists());
    assert_eq!(fs::read_to_string(s.path("ro/b")).unwrap(), "b");
}

/// A rename or link that would give the file more rights than it has where it is gets EXDEV,
/// even when the destination may create files: here `exec` on `w/bin` inside a write tree,
/// so moving a file from `w` to `w/bin` would make it executable. Moving the other way only
/// loses `execute`, and is allowed.
#[test]
fn rename_that_would_gain_execute_is_exdev() {
    if !landlock_or_skip() {
        return;
    }
    let s = Scratch::new();
    s.file("w/script", "#!/bin/sh\n");
    s.file("w/bin/tool", "#!/bin/sh\n");
    let policy = build(
        Policy::builder("gain exec")
            .write(s.template("w"))
            .exec(s.template("w/bin")),
    );
    inside(&policy, || {
        let p = |rel: &str| s.path(rel);
        assert_errno!(fs::rename(p("w/script"), p("w/bin/script")), EXDEV);
        assert_errno!(fs::hard_link(p("w/script"), p("w/bin/script")), EXDEV);
        assert_ok!(fs::rename(p("w/bin/tool"), p("w/tool")));
    });
    assert!(s.path("w/script").exists() && s.path("w/tool").exists());
}

// ---------------------------------------------------------------------------------------------
// Executing programs

/// The minimal grants to run a dynamically linked program, each shown necessary by leaving
/// it out: execute on the program; execute, not just read, on its ELF interpreter, because
/// the kernel opens the interpreter for execution like the program itself; read on the
/// libraries (here libc alone), which the interpreter opens and maps (mapping is not checked).
/// /etc/ld.so.cache is not needed: when it cannot be read, the interpreter searches its
/// default directories.
#[test]
fn running_a_program_needs_execute_on_it_and_its_loader_and_read_on_libc() {
    if !landlock_or_skip() {
        return;
    }
    let program = Path::new(TRUE);
    let interpreter = template(&elf_interpreter(program));
    let libc = template(&libc_beside(&elf_interpreter(program)));
    assert!(assert_ok!(run_program(program)).status.success(), "control");

    let minimal = build(
        Policy::builder("minimal")
            .exec(TRUE)
            .exec(interpreter.clone())
            .read(libc.clone()),
    );
    let output = inside(&minimal, || assert_ok!(run_program(program)));
    assert!(output.status.success(), "{output:?}");

    let program_read_only = build(
        Policy::builder("program read only")
            .read(TRUE)
            .exec(interpreter.clone())
            .read(libc.clone()),
    );
    inside(&program_read_only, || {
        assert_errno!(run_program(program), EACCES);
    });

    let loader_read_only = build(
        Policy::builder("loader read only")
            .exec(TRUE)
            .read(interpreter.clone())
            .read(libc),
    );
    inside(&loader_read_only, || {
        assert_errno!(run_program(program), EACCES);
    });

    // The kernel starts the program; the interpreter then finds no libc it may open (it
    // says "No such file or directory"), and exits 127.
    let no_libc = build(Policy::builder("no libc").exec(TRUE).exec(interpreter));
    let output = inside(&no_libc, || assert_ok!(run_program(program)));
    assert_eq!(output.status.code(), Some(127), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error while loading shared libraries: libc.so.6"),
        "{stderr}"
    );
}

#[test]
fn only_exec_trees_allow_executing() {
    if !landlock_or_skip() {
        return;
    }
    let s = Scratch::new();
    let program = Path::new(TRUE);
    let in_exec = s.program("x/true", program);
    let in_write = s.program("rw/true", program);
    let in_read = s.program("ro/true", program);
    let outside = s.program("true", program);
    for copy in [&in_exec, &in_write, &in_read, &outside] {
        assert!(assert_ok!(run_program(copy)).status.success(), "control");
    }
    let policy = build(grant_loader(
        Policy::builder("exec trees")
            .exec(s.template("x"))
            .write(s.template("rw"))
            .read(s.template("ro")),
        program,
    ));
    inside(&policy, || {
        assert!(assert_ok!(run_program(&in_exec)).status.success());
        assert_errno!(run_program(&in_write), EACCES);
        assert_errno!(run_program(&in_read), EACCES);
        assert_errno!(run_program(&outside), EACCES);
    });
}

// ---------------------------------------------------------------------------------------------
// TCP

#[test]
fn tcp_connect_only_to_granted_ports() {
    if !abi_or_skip(4, "TCP rules") {
        return;
    }
    let (_granted, granted_port) = tcp_listener();
    let (_other, other_port) = tcp_listener();
    let policy = build(Policy::builder("connect").connect(granted_port));
    inside(&policy, || {
        assert_ok!(connect(granted_port));
        assert_errno!(connect(other_port), EACCES);
        // Bind is restricted too: no bind port is granted.
        assert_errno!(bind_reuseport(0), EACCES);
    });
    assert_ok!(connect(other_port));
}

#[test]
fn tcp_bind_only_to_granted_ports() {
    if !abi_or_skip(4, "TCP rules") {
        return;
    }
    // Both ports are held (SO_REUSEPORT) for the whole test, so no other test takes them.
    let granted = bind_reuseport(0).unwrap();
    let other = bind_reuseport(0).unwrap();
    let (granted_port, other_port) = (port_of(&granted), port_of(&other));
    let policy = build(Policy::builder("bind").bind(granted_port));
    inside(&policy, || {
        assert_ok!(bind_reuseport(granted_port));
        assert_errno!(bind_reuseport(other_port), EACCES);
        // Port 0 asks the kernel for any free port; Landlock checks it as port 0, never granted.
        assert_errno!(bind_reuseport(0), EACCES);
        assert_errno!(connect(granted_port), EACCES);
    });
    assert_ok!(bind_reuseport(other_port));
}

#[test]
fn tcp_star_leaves_that_direction_unrestricted() {
    if !abi_or_skip(4, "TCP rules") {
        return;
    }
    let (_listener, listening_port) = tcp_listener();
    let held = bind_reuseport(0).unwrap();
    let held_port = port_of(&held);

    let connect_any = build(Policy::builder("connect any").connect_any());
    inside(&connect_any, || {
        assert_ok!(connect(listening_port));
        assert_errno!(bind_reuseport(held_port), EACCES);
    });

    let bind_any = build(Policy::builder("bind any").bind_any());
    inside(&bind_any, || {
        assert_ok!(bind_reuseport(held_port));
        assert_ok!(bind_reuseport(0));
        assert_errno!(connect(listening_port), EACCES);
    });

    // The same through the policy language, `"*"` and a port list.
    let (connected, bound) = block::sandbox!(connect = "*", bind = [1, 2] => {
        (connect(listening_port).map(drop), bind_reuseport(held_port).map(drop))
    })
    .unwrap();
    assert_ok!(connected);
    assert_errno!(bound, EACCES);
}

// ---------------------------------------------------------------------------------------------
// IPC scopes

/// A child process killed and reaped when dropped, whatever the test's outcome.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn signals_out_of_the_sandbox_are_denied_unless_allowed() {
    if !abi_or_skip(6, "the signal scope") {
        return;
    }
    let parent = std::os::unix::process::parent_id() as i32;
    // A process outside any sandbox, started by the unrestricted test thread.
    let mut child = Reaped(
        Command::new("/usr/bin/sleep")
            .arg("60")
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let child_pid = child.0.id() as i32;

    let restricted = build(Policy::builder("signals denied"));
    inside(&restricted, || {
        assert_errno!(kill(parent, 0), EPERM);
        assert_errno!(kill(child_pid, libc::SIGKILL), EPERM);
    });

    let allowed = build(Policy::builder("signals allowed").allow_signals());
    inside(&allowed, || {
        assert_ok!(kill(parent, 0));
        assert_ok!(kill(child_pid, libc::SIGTERM));
    });
    // SIGTERM, not SIGKILL: the denied signal never arrived.
    assert_eq!(child.0.wait().unwrap().signal(), Some(libc::SIGTERM));
}

/// An abstract unix socket name unique to this process and `what`.
fn abstract_name(what: &str) -> SocketAddr {
    let name = format!("landlock-runtime-enforcement-{}-{what}", std::process::id());
    SocketAddr::from_abstract_name(name.as_bytes()).unwrap()
}

#[test]
fn abstract_unix_sockets_out_of_the_sandbox_are_denied_unless_allowed() {
    if !abi_or_skip(6, "the abstract unix socket scope") {
        return;
    }
    let address = abstract_name("outside");
    let listener = UnixListener::bind_addr(&address).unwrap();

    let restricted = build(Policy::builder("abstract denied"));
    inside(&restricted, || {
        assert_errno!(UnixStream::connect_addr(&address), EPERM);
        // A socket made inside the same sandbox is within the scope.
        let own = abstract_name("inside");
        let _own_listener = assert_ok!(UnixListener::bind_addr(&own));
        assert_ok!(UnixStream::connect_addr(&own));
    });

    let allowed = build(Policy::builder("abstract allowed").allow_abstract_unix_sockets());
    inside(&allowed, || {
        let mut stream = assert_ok!(UnixStream::connect_addr(&address));
        assert_ok!(stream.write_all(b"hi"));
    });
    let mut received = String::new();
    listener
        .accept()
        .unwrap()
        .0
        .read_to_string(&mut received)
        .unwrap();
    assert_eq!(received, "hi");
}

// ---------------------------------------------------------------------------------------------
// Paths that do not resolve

/// Asserts that the calling thread is not sandboxed: it lists no layer, and can do what no
/// policy of these tests grants (create `name` in the scratch directory, list /usr).
#[track_caller]
fn assert_unrestricted(s: &Scratch, name: &str) {
    assert_eq!(in_force(), []);
    assert_ok!(File::create_new(s.path(name)));
    assert_ok!(fs::read_dir("/usr"));
}

#[test]
fn a_missing_mandatory_path_fails_and_enforces_nothing() {
    if !landlock_or_skip() {
        return;
    }
    let s = Scratch::new();
    s.dir("present");
    let missing = s.path("missing");
    let policy = build(
        Policy::builder("missing")
            .read(s.template("present"))
            .write(s.template("missing")),
    );
    let err = policy.prepare().unwrap_err();
    match err.kind() {
        ErrorKind::MissingPath { path, template, .. } => {
            assert_eq!(path, &missing);
            assert_eq!(template, &s.template("missing"));
        }
        other => panic!("{other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("sandbox `missing` ({}:", file!())),
        "{message}"
    );
    assert!(policy.status().is_none());

    thread::scope(|scope| {
        scope.spawn(|| {
            let err = policy.enforce().unwrap_err();
            assert!(matches!(err.kind(), ErrorKind::MissingPath { .. }), "{err}");
            assert_unrestricted(&s, "after-enforce");
        });
    });
    let ran = AtomicBool::new(false);
    let err = policy
        .run(|| ran.store(true, Ordering::SeqCst))
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::MissingPath { .. }), "{err}");
    assert!(!ran.load(Ordering::SeqCst));

    // A failure is not remembered: once the path exists, the policy prepares and is enforced.
    fs::create_dir(&missing).unwrap();
    inside(&policy, || {
        assert_ok!(File::create_new(missing.join("file")));
        assert_errno!(File::create_new(s.path("present/file")), EACCES);
    });
}

#[test]
fn a_missing_optional_path_is_skipped_and_listed() {
    if !landlock_or_skip() {
        return;
    }
    let s = Scratch::new();
    let granted = s.file("granted/file", "content");
    s.dir("also");
    let other = s.file("other", "secret");
    let absent = format!("{}?", s.template("absent"));
    let present = format!("{}?", s.template("also"));
    let policy = build(
        Policy::builder("optional")
            .read(template(&granted))
            .read(absent.clone())
            .write(present),
    );
    let status = policy.prepare().unwrap();
    assert_eq!(status.skipped.len(), 1);
    assert_eq!(status.skipped[0].grant, absent);
    assert_eq!(status.skipped[0].reason, SkipReason::Missing);
    assert!(
        status
            .to_string()
            .ends_with(&format!("; skipped optional paths: {absent} (missing)"))
    );
    inside(&policy, || {
        assert_ok!(fs::read_to_string(&granted));
        // An optional path that exists is granted like any other.
        assert_ok!(File::create_new(s.path("also/new")));
        assert_errno!(fs::read_to_string(&other), EACCES);
        assert_errno!(fs::read_dir(s.path("absent")), libc::ENOENT);
        assert_errno!(fs::create_dir(s.path("absent")), EACCES);
    });
}

const UNSET: &str = "LANDLOCK_RUNTIME_ENFORCEMENT_TEST_NEVER_SET";

#[test]
fn an_unset_variable_fails_naming_it() {
    if !landlock_or_skip() {
        return;
    }
    assert!(std::env::var_os(UNSET).is_none());
    let s = Scratch::new();
    let template = format!("${{{UNSET}}}/data");
    let policy = build(
        Policy::builder("unset")
            .read(s.template(""))
            .write(template.clone()),
    );
    let err = policy.prepare().unwrap_err();
    match err.kind() {
        ErrorKind::UnsetVariable {
            variable,
            template: t,
        } => {
            assert_eq!(variable, &format!("${{{UNSET}}}"));
            assert_eq!(t, &template);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string().ends_with(&format!(
            "variable ${{{UNSET}}} is not set (needed by `{template}`); set it, or end the path with `?` to skip it when the variable is not set"
        )),
        "{err}"
    );
    thread::scope(|scope| {
        scope.spawn(|| {
            let err = policy.enforce().unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::UnsetVariable { .. }),
                "{err}"
            );
            assert_unrestricted(&s, "after-enforce");
        });
    });
}

#[test]
fn an_optional_unset_variable_is_skipped_and_listed() {
    if !landlock_or_skip() {
        return;
    }
    assert!(std::env::var_os(UNSET).is_none());
    let s = Scratch::new();
    let granted = s.file("granted/file", "content");
    let other = s.file("other", "secret");
    let optional = format!("${{{UNSET}}}/data?");
    let policy = build(
        Policy::builder("optional unset")
            .read(s.template("granted"))
            .write(optional.clone()),
    );
    let skipped = &policy.prepare().unwrap().skipped;
    assert_eq!(skipped.len(), 1);
    assert_eq!(
        (skipped[0].grant.as_str(), &skipped[0].reason),
        (optional.as_str(), &SkipReason::VariableUnset)
    );
    inside(&policy, || {
        assert_ok!(fs::read_to_string(&granted));
        assert_errno!(fs::read_to_string(&other), EACCES);
    });
}

// ---------------------------------------------------------------------------------------------
// Re-entry, threads and layers

#[test]
fn entering_the_same_policy_forty_times_adds_one_layer() {
    if !landlock_or_skip() {
        return;
    }
    let s = Scratch::new();
    let granted = s.file("granted/file", "content");
    let other = s.file("other", "secret");
    let policy = build(Policy::builder("again").read(s.template("granted")));
    thread::scope(|scope| {
        scope.spawn(|| {
            let first: *const _ = policy.enforce().unwrap();
            // Forty is more than the kernel's 16 layers: a system call per entry would fail.
            for entry in 2..=40 {
                let status = policy
                    .enforce()
                    .unwrap_or_else(|e| panic!("entry {entry}: {e}"));
                assert!(std::ptr::eq(first, status));
            }
            let layers = in_force();
            assert_eq!(layers.len(), 1, "{layers:?}");
            assert_eq!(layers[0].origin.function(), "again");
            assert!(!layers[0].inherited);
            assert_ok!(fs::read_to_string(&granted));
            assert_errno!(fs::read_to_string(&other), EACCES);
        });
    });
}

/// One policy for many threads, prepared once.
static SHARED: OnceLock<Policy> = OnceLock::new();

#[test]
fn sixteen_threads_share_one_static_policy_prepared_once() {
    if !landlock_or_skip() {
        return;
    }
    const THREADS: usize = 16;
    let s = Scratch::new();
    let input = s.file("in/input", "shared input");
    s.dir("out");
    let secret = s.file("secret", "secret");
    let policy = SHARED.get_or_init(|| {
        build(
            Policy::builder("shared")
                .read(s.template("in"))
                .write(s.template("out")),
        )
    });
    assert!(policy.status().is_none(), "not prepared yet");
    // All threads enter at once, the policy still unprepared: each must get the one prepared
    // policy (the same `Status`, at the same address) and be restricted by it.
    let start = Barrier::new(THREADS);
    let statuses: Vec<usize> = thread::scope(|scope| {
        let threads: Vec<_> = (0..THREADS)
            .map(|i| {
                let (s, input, secret, start) = (&s, &input, &secret, &start);
                scope.spawn(move || {
                    start.wait();
                    let status = SHARED.get().unwrap().enforce().unwrap();
                    assert_eq!(in_force().len(), 1);
                    assert_eq!(assert_ok!(fs::read_to_string(input)), "shared input");
                    assert_ok!(fs::write(s.path(&format!("out/{i}")), i.to_string()));
                    assert_errno!(fs::write(s.path(&format!("in/{i}")), "x"), EACCES);
                    assert_errno!(fs::read_to_string(secret), EACCES);
                    std::ptr::from_ref(status) as usize
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let prepared = std::ptr::from_ref(policy.status().unwrap()) as usize;
    assert!(
        statuses.iter().all(|&s| s == prepared),
        "prepared more than once"
    );
    for i in 0..THREADS {
        assert_eq!(
            fs::read_to_string(s.path(&format!("out/{i}"))).unwrap(),
            i.to_string()
        );
    }
    assert_unrestricted(&s, "after-threads");
}

/// Sixteen different policies stacked on one thread: the first may only read `shared`, the
/// others may write it; the last may not read `late`, the others may. Each denial below is
/// therefore the work of one layer alone, the oldest or the newest.
fn sixteen_layers(s: &Scratch) -> Vec<Policy> {
    (0..MAX_LAYERS)
        .map(|i| {
            let mut builder = Policy::builder(format!("layer {i}"));
            builder = if i == 0 {
                builder.read(s.template("shared"))
            } else {
                builder.write(s.template("shared"))
            };
            if i < MAX_LAYERS - 1 {
                builder = builder.read(s.template("late"));
            }
            build(builder)
        })
        .collect()
}

#[test]
fn the_seventeenth_policy_fails_and_the_sixteen_stay_enforced() {
    if !landlock_or_skip() {
        return;
    }
    let s = Scratch::new();
    let shared = s.file("shared/file", "shared");
    let late = s.file("late/file", "late");
    let layers = sixteen_layers(&s);
    let seventeenth = build(Policy::builder("layer 16").read(s.template("shared")));
    thread::scope(|scope| {
        scope.spawn(|| {
            for policy in &layers {
                policy.enforce().unwrap_or_else(|e| panic!("{e}"));
            }
            let err = seventeenth.enforce().unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::TooManyLayers { limit: 16 }),
                "{err}"
            );
            assert!(err.to_string().starts_with("sandbox `layer 16` ("), "{err}");
            let names: Vec<String> = in_force()
                .iter()
                .map(|l| l.origin.function().to_owned())
                .collect();
            let expected: Vec<String> = (0..16).map(|i| format!("layer {i}")).collect();
            assert_eq!(names, expected);
            // Re-entering a policy in force is still free at the limit.
            assert_ok!(layers[3].enforce().map_err(io::Error::other));
            assert_eq!(assert_ok!(fs::read_to_string(&shared)), "shared");
            assert_errno!(fs::write(&shared, "x"), EACCES); // layer 0
            assert_errno!(fs::read_to_string(&late), EACCES); // layer 15
        });
    });
}

/// A thread started by a sandboxed thread inherits its layers from the kernel without this
/// library listing them (only layers entered on a lone main thread are); the kernel's
/// refusal (E2BIG) of a seventeenth layer is still reported as `TooManyLayers`.
#[test]
fn inherited_layers_count_toward_the_kernel_limit() {
    if !landlock_or_skip() {
        return;
    }
    let s = Scratch::new();
    let shared = s.file("shared/file", "shared");
    let late = s.file("late/file", "late");
    let layers = sixteen_layers(&s);
    let (older, newer) = layers.split_at(10);
    let extra = build(Policy::builder("one too many").read(s.template("shared")));
    thread::scope(|scope| {
        scope.spawn(|| {
            for policy in older {
                policy.enforce().unwrap_or_else(|e| panic!("{e}"));
            }
            thread::scope(|scope| {
                scope.spawn(|| {
                    assert!(in_force().is_empty());
                    assert_errno!(fs::write(&shared, "x"), EACCES); // inherited layer 0
                    for policy in newer {
                        policy.enforce().unwrap_or_else(|e| panic!("{e}"));
                    }
                    let err = extra.enforce().unwrap_err();
                    assert!(
                        matches!(err.kind(), ErrorKind::TooManyLayers { limit: 16 }),
                        "{err}"
                    );
                    assert_eq!(in_force().len(), newer.len());
                    assert_ok!(fs::read_to_string(&shared));
                    assert_errno!(fs::read_to_string(&late), EACCES); // layer 15
                });
            });
        });
    });
}

// ---------------------------------------------------------------------------------------------
// Scoped blocks and the attribute

#[derive(Debug, PartialEq)]
struct Payload(u32);

#[test]
fn run_borrows_locals_returns_a_value_and_leaves_the_caller_free() {
    if !landlock_or_skip() {
        return;
    }
    let s = Scratch::new();
    let input = s.file("in/input", "hello");
    let words = String::from("borrowed, not moved");
    let mut seen = Vec::new();
    let policy = build(Policy::builder("run").read(s.template("in")));
    let (upper, text, denied) = policy
        .run(|| {
            seen.push(in_force().len());
            (
                words.to_uppercase(),
                fs::read_to_string(&input),
                fs::write(s.path("out"), "x"),
            )
        })
        .unwrap();
    assert_eq!(upper, "BORROWED, NOT MOVED");
    assert_eq!(words, "borrowed, not moved");
    assert_eq!(assert_ok!(text), "hello");
    assert_errno!(denied, EACCES);
    assert_eq!(seen, [1]);
    assert_unrestricted(&s, "after-run");
}

#[test]
fn a_panic_in_run_reaches_the_caller() {
    if !landlock_or_skip() {
        return;
    }
    let s = Scratch::new();
    let policy = build(Policy::builder("run panics"));
    let payload = panic::catch_unwind(AssertUnwindSafe(|| {
        policy.run(|| {
            // A policy with no items allows no file access at all.
            assert_errno!(fs::read_dir(s.path("")), EACCES);
            panic::panic_any(Payload(7))
        })
    }))
    .unwrap_err();
    assert_eq!(payload.downcast_ref::<Payload>(), Some(&Payload(7)));
    assert_unrestricted(&s, "after-panic");
}

#[test]
fn block_sandbox_borrows_locals_returns_a_value_and_leaves_the_caller_free() {
    if !landlock_or_skip() {
        return;
    }
    // The scratch trees are in the temporary directory, so `$TMP` grants them.
    let s = Scratch::new();
    let words = String::from("borrowed");
    let (upper, created, etc, usr, layers) = block::sandbox!(read = "/etc", write = "$TMP" => {
        (
            words.to_uppercase(),
            File::create_new(s.path("new")).map(drop),
            fs::read_dir("/etc").map(drop),
            fs::read_dir("/usr").map(drop),
            in_force(),
        )
    })
    .unwrap();
    assert_eq!(upper, "BORROWED");
    assert_eq!(words, "borrowed");
    assert_ok!(created);
    assert_ok!(etc);
    assert_errno!(usr, EACCES);
    assert_eq!(layers.len(), 1);
    assert_eq!(
        layers[0].origin.function(),
        concat!(module_path!(), "::{sandbox block}")
    );
    assert_unrestricted(&s, "after-block");
}

#[test]
fn block_sandbox_exec_runs_programs_beneath() {
    if !landlock_or_skip() {
        return;
    }
    let s = Scratch::new();
    let program = s.program("true", Path::new(TRUE));
    // The ELF interpreter is in one of the library directories, whatever the architecture.
    let (ran, written) = block::sandbox!(
        exec = ["$TMP", "/lib?", "/lib64?", "/usr/lib?", "/usr/lib64?"] => {
            (run_program(&program), File::create_new(s.path("new")).map(drop))
        }
    )
    .unwrap();
    assert!(assert_ok!(ran).status.success());
    assert_errno!(written, EACCES);
}

#[test]
fn a_panic_in_block_sandbox_reaches_the_caller() {
    if !landlock_or_skip() {
        return;
    }
    let s = Scratch::new();
    let payload = panic::catch_unwind(|| {
        block::sandbox!(read = "/etc" => {
            assert_errno!(fs::read_dir("/usr"), EACCES);
            panic::panic_any(Payload(9))
        })
    })
    .unwrap_err();
    assert_eq!(payload.downcast_ref::<Payload>(), Some(&Payload(9)));
    assert_unrestricted(&s, "after-panic");
}

#[test]
fn block_sandbox_that_cannot_be_enforced_returns_err_without_running() {
    if !landlock_or_skip() {
        return;
    }
    let ran = AtomicBool::new(false);
    let result = block::sandbox!(read = "${LANDLOCK_RUNTIME_ENFORCEMENT_TEST_NEVER_SET}" => {
        ran.store(true, Ordering::SeqCst)
    });
    let err = result.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::UnsetVariable { variable, .. } if variable == "${LANDLOCK_RUNTIME_ENFORCEMENT_TEST_NEVER_SET}"),
        "{err}"
    );
    assert!(!ran.load(Ordering::SeqCst));
}

/// What `attribute_worker` saw, from inside its sandbox.
struct Seen {
    etc: io::Result<()>,
    usr: io::Result<()>,
    read_scratch: io::Result<String>,
    write_scratch: io::Result<()>,
    granted_port: io::Result<()>,
    other_port: io::Result<()>,
    layers: Vec<landlock_runtime::Layer>,
}

/// The port `attribute_worker` may connect to: fixed in its policy, below the kernel's
/// ephemeral range (32768 and up) so that no test is handed it as a free port.
const ATTRIBUTE_PORT: u16 = 29_871;

#[landlock_runtime::sandbox(read = ["/etc", "$TMP"], connect = 29_871)]
fn attribute_worker(scratch: &Scratch, other_port: u16) -> Seen {
    Seen {
        etc: fs::read_dir("/etc").map(drop),
        usr: fs::read_dir("/usr").map(drop),
        read_scratch: fs::read_to_string(scratch.path("file")),
        write_scratch: fs::write(scratch.path("file"), "x"),
        granted_port: connect(ATTRIBUTE_PORT).map(drop),
        other_port: connect(other_port).map(drop),
        layers: in_force(),
    }
}

#[test]
fn the_attribute_restricts_the_thread_that_calls_the_function() {
    if !abi_or_skip(4, "TCP rules") {
        return;
    }
    let (_listener, port) = tcp_listener();
    let _granted = listen_reuseport(ATTRIBUTE_PORT).unwrap();
    let s = Scratch::new();
    s.file("file", "content");
    let seen = thread::scope(|scope| scope.spawn(|| attribute_worker(&s, port)).join().unwrap());
    assert_ok!(seen.etc);
    assert_errno!(seen.usr, EACCES);
    assert_eq!(assert_ok!(seen.read_scratch), "content");
    assert_errno!(seen.write_scratch, EACCES);
    assert_ok!(seen.granted_port);
    assert_errno!(seen.other_port, EACCES);
    assert_eq!(seen.layers.len(), 1);
    assert_eq!(
        seen.layers[0].origin.function(),
        concat!(module_path!(), "::attribute_worker")
    );
}

static ATTRIBUTE_BODY_RAN: AtomicBool = AtomicBool::new(false);

#[landlock_runtime::sandbox(read = "${LANDLOCK_RUNTIME_ENFORCEMENT_TEST_NEVER_SET}/data")]
fn unenforceable_worker() {
    ATTRIBUTE_BODY_RAN.store(true, Ordering::SeqCst);
}

#[test]
fn the_attribute_panics_before_the_body_when_unenforceable() {
    if !landlock_or_skip() {
        return;
    }
    let payload = thread::spawn(unenforceable_worker).join().unwrap_err();
    let message = payload
        .downcast_ref::<String>()
        .expect("a formatted message");
    assert!(
        message.starts_with(&format!(
            "sandbox `{}::unenforceable_worker` ({}:",
            module_path!(),
            file!()
        )),
        "{message}"
    );
    assert!(
        message.contains("variable ${LANDLOCK_RUNTIME_ENFORCEMENT_TEST_NEVER_SET} is not set"),
        "{message}"
    );
    assert!(!ATTRIBUTE_BODY_RAN.load(Ordering::SeqCst));
}

// ---------------------------------------------------------------------------------------------
// Status on this kernel

#[test]
fn this_kernel_enforces_policies_fully_and_strict_succeeds() {
    if !abi_or_skip(6, "full enforcement") {
        return;
    }
    let s = Scratch::new();
    let granted = s.file("granted/file", "content");
    let other = s.file("other", "secret");
    let policy = build(
        Policy::builder("strict")
            .read(s.template("granted"))
            .connect(443)
            .strict(),
    );
    let status = policy.prepare().unwrap().clone();
    assert_eq!(status.level, Level::Full);
    assert_eq!(status.abi, kernel_abi());
    assert!(status.abi >= 6);
    assert!(status.dropped.is_empty(), "{}", status.dropped);
    assert!(status.skipped.is_empty());
    assert_eq!(
        status.to_string(),
        format!("fully enforced (Landlock ABI {})", status.abi)
    );
    let layers = inside(&policy, || {
        assert_ok!(fs::read_to_string(&granted));
        assert_errno!(fs::read_to_string(&other), EACCES);
        in_force()
    });
    assert_eq!(layers.len(), 1);
    assert_eq!(layers[0].level, Level::Full);
    assert_eq!(layers[0].abi, status.abi);
    assert_eq!(layers[0].origin, *policy.origin());
    assert!(!layers[0].inherited);
}

#[test]
fn a_block_knows_the_sandboxes_it_inherits() {
    if !landlock_or_skip() {
        return;
    }
    let s = Scratch::new();
    let outer = build(Policy::builder("outer").read(s.template("")));
    let inner = build(Policy::builder("inner").read(s.template("")));
    thread::scope(|scope| {
        scope.spawn(|| {
            outer.enforce().unwrap_or_else(|e| panic!("{e}"));
            let seen = inner
                .run(|| {
                    let before = in_force();
                    // Re-entering the inherited policy adds nothing.
                    outer.enforce().unwrap_or_else(|e| panic!("{e}"));
                    (before, in_force())
                })
                .unwrap();
            let names = |layers: &[landlock_runtime::Layer]| -> Vec<(String, bool)> {
                layers
                    .iter()
                    .map(|l| (l.origin.function().to_owned(), l.inherited))
                    .collect()
            };
            let expected = vec![("outer".to_owned(), true), ("inner".to_owned(), false)];
            assert_eq!(names(&seen.0), expected);
            assert_eq!(names(&seen.1), expected);
        });
    });
}
