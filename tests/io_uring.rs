//! io_uring instances set up before a sandbox: the kernel runs a request through a registered
//! personality, or through an `SQPOLL` ring, with the credentials of the thread that set it up,
//! which Landlock cannot reach. The status must say so, `strict` must refuse before restricting
//! anything, and io_uring's own threads must be told for what they are, without waiting for the
//! deadline of an every-thread enforcement.
//!
//! Each scenario runs in a child process of its own (this test binary, re-run for one test):
//! enforcement cannot be undone, and io_uring threads live as long as the process.

use std::ffi::CString;
use std::os::fd::AsRawFd;
use std::thread;
use std::time::{Duration, Instant};

use io_uring::{IoUring as Ring, opcode, squeue, types};
use landlock_runtime::{ErrorKind, IoUring, Level, Policy, Status, Uncovered};

mod support;
use support::{in_child, landlock_or_skip};

/// A file no policy here grants.
const DENIED: &str = "/etc/hostname";

fn open_errno(path: &str) -> Option<i32> {
    std::fs::File::open(path)
        .err()
        .map(|e| e.raw_os_error().unwrap_or(-1))
}

/// Opens `path` with `flags` through `ring`, with `personality` if given, forced to an
/// io_uring worker with `IOSQE_ASYNC` if `worker`: the request's result (a descriptor, closed
/// here, or minus the errno).
fn open_through(
    ring: &mut Ring,
    path: &str,
    flags: i32,
    personality: Option<u16>,
    worker: bool,
) -> i32 {
    let path = CString::new(path).unwrap();
    let mut entry = opcode::OpenAt::new(types::Fd(libc::AT_FDCWD), path.as_ptr())
        .flags(flags | libc::O_CLOEXEC)
        .mode(0o600)
        .build();
    if let Some(id) = personality {
        entry = entry.personality(id);
    }
    if worker {
        entry = entry.flags(squeue::Flags::ASYNC);
    }
    // SAFETY: the path outlives the request, which completes before this function returns.
    unsafe { ring.submission().push(&entry).unwrap() };
    ring.submit_and_wait(1).unwrap();
    let result = ring.completion().next().expect("a completion").result();
    if result >= 0 {
        // SAFETY: a descriptor the request opened, owned by nobody else.
        unsafe { libc::close(result) };
    }
    result
}

/// The policy of these tests: read `/usr`, nothing else.
fn usr(name: &str) -> Policy {
    Policy::builder(name).read("/usr").build().unwrap()
}

#[test]
fn a_personality_registered_before_the_sandbox_is_admitted_in_thread_scope() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "a_personality_registered_before_the_sandbox_is_admitted_in_thread_scope",
        || {
            let mut ring = Ring::new(8).unwrap();
            let personality = ring.submitter().register_personality().unwrap();
            let fd = ring.as_raw_fd();
            let written =
                std::env::temp_dir().join(format!("landlock-uring-{}", std::process::id()));
            let target = written.to_str().unwrap().to_owned();
            let policy = usr("io_uring::thread");
            thread::scope(|scope| {
                scope
                    .spawn(|| {
                        let status = policy.enforce().unwrap();
                        assert_eq!(status.level, Level::Partial, "{status}");
                        assert!(
                            matches!(status.io_uring[..], [IoUring::Descriptor { fd: f, sq_thread: None, .. }] if f == fd),
                            "{status}"
                        );
                        let text = status.to_string();
                        assert!(
                            text.contains(&format!(
                                "io_uring instances set up before the sandbox keep the rights of their creator: fd {fd} ("
                            )),
                            "{text}"
                        );
                        // The thread itself is restricted.
                        assert_eq!(open_errno(DENIED), Some(libc::EACCES));
                        // So is a request without a personality, also run by a worker.
                        let denied = open_through(&mut ring, DENIED, libc::O_RDONLY, None, true);
                        assert_eq!(denied, -libc::EACCES);
                        // Through the personality the kernel uses the rights it was registered
                        // with: what the status admits.
                        let read = open_through(&mut ring, DENIED, libc::O_RDONLY, Some(personality), false);
                        assert!(read >= 0, "{read}");
                        let created = open_through(
                            &mut ring,
                            &target,
                            libc::O_WRONLY | libc::O_CREAT,
                            Some(personality),
                            false,
                        );
                        assert!(created >= 0, "{created}");
                    })
                    .join()
                    .unwrap();
            });
            assert!(written.exists());
            std::fs::remove_file(&written).unwrap();
        },
    );
}

#[test]
fn a_personality_registered_before_the_sandbox_is_admitted_in_process_scope() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "a_personality_registered_before_the_sandbox_is_admitted_in_process_scope",
        || {
            let mut ring = Ring::new(8).unwrap();
            let personality = ring.submitter().register_personality().unwrap();
            let fd = ring.as_raw_fd();
            let policy = Policy::builder("io_uring::process")
                .read("/usr")
                .process()
                .build()
                .unwrap();
            let status = policy.enforce().unwrap();
            assert_eq!(status.level, Level::Partial, "{status}");
            assert!(
                matches!(status.io_uring[..], [IoUring::Descriptor { fd: f, .. }] if f == fd),
                "{status}"
            );
            assert!(
                status.threads.as_ref().unwrap().uncovered.is_empty(),
                "{status}"
            );
            assert!(
                status
                    .to_string()
                    .contains("io_uring instances set up before the sandbox")
            );
            assert_eq!(open_errno(DENIED), Some(libc::EACCES));
            assert_eq!(
                open_through(&mut ring, DENIED, libc::O_RDONLY, None, true),
                -libc::EACCES
            );
            let read = open_through(&mut ring, DENIED, libc::O_RDONLY, Some(personality), false);
            assert!(read >= 0, "{read}");
        },
    );
}

#[test]
fn strict_refuses_an_io_uring_instance_before_restricting_anything() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "strict_refuses_an_io_uring_instance_before_restricting_anything",
        || {
            let ring = Ring::new(8).unwrap();
            ring.submitter().register_personality().unwrap();
            let fd = ring.as_raw_fd();
            let thread_policy = Policy::builder("io_uring::strict")
                .read("/usr")
                .strict()
                .build()
                .unwrap();
            thread::spawn(move || {
                let err = thread_policy.enforce().unwrap_err();
                assert!(
                    matches!(err.kind(), ErrorKind::IoUringNotCovered { rings } if matches!(rings[..], [IoUring::Descriptor { fd: f, .. }] if f == fd)),
                    "{err}"
                );
                assert!(
                    err.to_string()
                        .contains("strict policy, but io_uring instances set up before the sandbox keep the rights of their creator"),
                    "{err}"
                );
                // Nothing was restricted: the thread still reads what the policy would deny.
                assert_eq!(open_errno(DENIED), None);
                assert!(landlock_runtime::in_force().is_empty());
            })
            .join()
            .unwrap();
            let process_policy = Policy::builder("io_uring::strict_process")
                .read("/usr")
                .strict()
                .process()
                .build()
                .unwrap();
            let other = thread::spawn(|| {
                thread::sleep(Duration::from_millis(200));
                open_errno(DENIED)
            });
            let err = process_policy.enforce().unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::IoUringNotCovered { .. }),
                "{err}"
            );
            assert_eq!(open_errno(DENIED), None);
            assert_eq!(other.join().unwrap(), None);
            drop(ring);
        },
    );
}

#[test]
fn an_sqpoll_ring_is_reported_at_once() {
    if !landlock_or_skip() {
        return;
    }
    in_child("an_sqpoll_ring_is_reported_at_once", || {
        let mut ring = Ring::builder().setup_sqpoll(1000).build(8).unwrap();
        let fd = ring.as_raw_fd();
        // Once the SQPOLL thread has run: the kernel names it then.
        thread::sleep(Duration::from_millis(50));
        let names = thread_names();
        let policy = Policy::builder("io_uring::sqpoll")
            .read("/usr")
            .process()
            .build()
            .unwrap();
        let started = Instant::now();
        let status = policy.enforce().unwrap();
        let elapsed = started.elapsed();
        assert!(
            elapsed < Duration::from_millis(500),
            "{elapsed:?}: {status}"
        );
        assert_eq!(status.level, Level::Partial, "{status}");
        assert!(
            matches!(status.io_uring[..], [IoUring::Descriptor { fd: f, sq_thread: Some(_), .. }] if f == fd),
            "{status}"
        );
        let threads = status.threads.as_ref().unwrap();
        assert_eq!(threads.uncovered.len(), 1, "{status}");
        assert_eq!(
            threads.uncovered[0].reason,
            Uncovered::IoUringSqPoll,
            "{status}"
        );
        let sq = threads.uncovered[0].tid;
        // The kernel's name for the thread (the test may read it; the library does not trust it).
        assert!(names[&sq].starts_with("iou-sqp-"), "{names:?}");
        assert!(
            status.to_string().contains(&format!(
                "thread {sq} (it is an io_uring SQPOLL thread, which runs requests with the rights of the thread that set its ring up)"
            )),
            "{status}"
        );
        // What the status admits: the SQPOLL thread opens what this thread may not.
        assert_eq!(open_errno(DENIED), Some(libc::EACCES));
        let read = open_through(&mut ring, DENIED, libc::O_RDONLY, None, false);
        assert!(read >= 0, "{read}");
    });
}

/// The threads of this process and their names.
fn thread_names() -> std::collections::HashMap<i32, String> {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| {
            let t = t.ok()?;
            let tid = t.file_name().to_str()?.parse().ok()?;
            Some((tid, std::fs::read_to_string(t.path().join("comm")).ok()?))
        })
        .collect()
}

/// The io_uring worker threads of this process, by the kernel's name for them.
fn workers() -> usize {
    thread_names()
        .values()
        .filter(|name| name.starts_with("iou-wrk-"))
        .count()
}

#[test]
fn io_uring_workers_are_neither_waited_for_nor_reported() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "io_uring_workers_are_neither_waited_for_nor_reported",
        || {
            // A worker blocked in a request: opening a FIFO that no one writes to, forced to a
            // worker. It blocks every signal, and would hold the job until its deadline.
            let fifo =
                std::env::temp_dir().join(format!("landlock-uring-fifo-{}", std::process::id()));
            let path = CString::new(fifo.to_str().unwrap()).unwrap();
            // SAFETY: a valid C string.
            assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
            let mut ring = Ring::new(8).unwrap();
            let entry = opcode::OpenAt::new(types::Fd(libc::AT_FDCWD), path.as_ptr())
                .flags(libc::O_RDONLY | libc::O_CLOEXEC)
                .build()
                .flags(squeue::Flags::ASYNC);
            // SAFETY: the path lives until the process ends; the request is never completed.
            unsafe { ring.submission().push(&entry).unwrap() };
            ring.submit().unwrap();
            thread::sleep(Duration::from_millis(50));
            assert!(workers() > 0, "no io_uring worker was started");
            std::fs::remove_file(&fifo).unwrap();
            let fd = ring.as_raw_fd();
            let policy = Policy::builder("io_uring::workers")
                .read("/usr")
                .process()
                .build()
                .unwrap();
            let started = Instant::now();
            let status = policy.enforce().unwrap();
            let elapsed = started.elapsed();
            assert!(
                elapsed < Duration::from_millis(500),
                "{elapsed:?}: {status}"
            );
            let threads = status.threads.as_ref().unwrap();
            assert!(threads.uncovered.is_empty(), "{status}");
            assert!(threads.io_workers >= 1, "{status}");
            assert!(
                status.to_string().contains(
                    " io_uring workers (they run each request with its submitter's rights)"
                ),
                "{status}"
            );
            // The ring, not its worker, is what keeps the status partial: whether it holds a
            // personality cannot be read on this kernel.
            assert!(
                matches!(status.io_uring[..], [IoUring::Descriptor { fd: f, sq_thread: None, .. }] if f == fd),
                "{status}"
            );
            assert_eq!(open_errno(DENIED), Some(libc::EACCES));
        },
    );
}

#[test]
fn idle_io_uring_workers_of_a_closed_ring_leave_the_status_full() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "idle_io_uring_workers_of_a_closed_ring_leave_the_status_full",
        || {
            let mut ring = Ring::new(8).unwrap();
            // Forced to a worker, which outlives the ring: workers belong to the thread.
            assert!(open_through(&mut ring, DENIED, libc::O_RDONLY, None, true) >= 0);
            drop(ring);
            assert!(workers() > 0, "no io_uring worker was started");
            let policy = Policy::builder("io_uring::idle_workers")
                .read("/usr")
                .process()
                .build()
                .unwrap();
            let started = Instant::now();
            let status = policy.enforce().unwrap();
            let elapsed = started.elapsed();
            assert!(
                elapsed < Duration::from_millis(500),
                "{elapsed:?}: {status}"
            );
            assert_eq!(status.level, Level::Full, "{status}");
            assert!(status.io_uring.is_empty(), "{status}");
            assert!(
                status.threads.as_ref().unwrap().uncovered.is_empty(),
                "{status}"
            );
            assert_eq!(open_errno(DENIED), Some(libc::EACCES));
        },
    );
}

#[test]
fn a_ring_left_only_mapped_is_admitted() {
    if !landlock_or_skip() {
        return;
    }
    in_child("a_ring_left_only_mapped_is_admitted", || {
        let ring = Ring::new(8).unwrap();
        let fd = ring.as_raw_fd();
        // SAFETY: the ring's own descriptor, closed while its memory stays mapped; the ring is
        // then forgotten, so that nothing closes the number again or unmaps the memory.
        assert_eq!(unsafe { libc::close(fd) }, 0);
        std::mem::forget(ring);
        let policy = usr("io_uring::mapped");
        thread::spawn(move || {
            let status = policy.enforce().unwrap();
            assert_eq!(status.level, Level::Partial, "{status}");
            assert!(
                matches!(status.io_uring[..], [IoUring::Mapped { .. }]),
                "{status}"
            );
            assert!(
                status
                    .to_string()
                    .contains("a ring left mapped after its descriptor was closed"),
                "{status}"
            );
        })
        .join()
        .unwrap();
    });
}

/// On a fresh thread, enforces `outer` (fully, there being no ring) and then an inner sandbox
/// reading `/usr/share`, and hands the inner one's status to `check`, still on that thread.
fn nested(outer: Policy, check: impl FnOnce(&Status) + Send + 'static) {
    let inner = Policy::builder("io_uring::inner")
        .read("/usr/share")
        .build()
        .unwrap();
    thread::spawn(move || {
        assert_eq!(outer.enforce().unwrap().level, Level::Full);
        check(inner.enforce().unwrap());
    })
    .join()
    .unwrap();
}

/// A sandbox that denies `/proc` does not keep the sandboxes entered after it from looking:
/// the look reads the descriptors the first one opened, which a sandbox does not check again.
#[test]
fn a_sandbox_that_denies_proc_still_lets_the_next_one_look() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "a_sandbox_that_denies_proc_still_lets_the_next_one_look",
        || {
            nested(usr("io_uring::outer"), |status| {
                assert_eq!(status.level, Level::Full, "{status}");
                assert!(status.io_uring.is_empty(), "{status}");
                // Both layers hold, `/proc` is still denied.
                assert_eq!(open_errno("/usr/bin/env"), Some(libc::EACCES));
                assert_eq!(open_errno("/proc/self/maps"), Some(libc::EACCES));
            });
        },
    );
}

/// A ring set up under a sandbox that denies `/proc` keeps that sandbox's rights, wider than
/// the next one's: the next one finds it, and the request it would let through is shown.
#[test]
fn a_ring_set_up_under_a_sandbox_that_denies_proc_is_found_by_the_next_one() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "a_ring_set_up_under_a_sandbox_that_denies_proc_is_found_by_the_next_one",
        || {
            let outer = usr("io_uring::outer");
            let inner = Policy::builder("io_uring::inner")
                .read("/usr/share")
                .build()
                .unwrap();
            thread::spawn(move || {
                assert_eq!(outer.enforce().unwrap().level, Level::Full);
                let mut ring = Ring::new(8).unwrap();
                let personality = ring.submitter().register_personality().unwrap();
                let status = inner.enforce().unwrap();
                assert_eq!(status.level, Level::Partial, "{status}");
                assert!(
                    matches!(status.io_uring[..], [IoUring::Descriptor { fd, .. }] if fd == ring.as_raw_fd()),
                    "{status}"
                );
                // What it is about: the inner sandbox denies `/usr/bin/env`, the outer one's
                // personality still opens it.
                assert_eq!(open_errno("/usr/bin/env"), Some(libc::EACCES));
                let through =
                    open_through(&mut ring, "/usr/bin/env", libc::O_RDONLY, Some(personality), false);
                assert!(through >= 0, "{through}");
            })
            .join()
            .unwrap();
        },
    );
}

/// The descriptors below 1024 that are open, without `/proc`.
fn open_descriptors() -> Vec<i32> {
    // SAFETY: F_GETFD only reads a descriptor's flags, and fails on a number not open.
    (0..1024)
        .filter(|&fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0)
        .collect()
}

/// A forked child holds copies of its parent's look descriptors, which describe the parent:
/// its look never reads them as its own. Under a sandbox that denies `/proc` it cannot open its
/// own, and says it could not look rather than claim everything.
#[test]
fn a_forked_child_does_not_look_through_its_parents_descriptors() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "a_forked_child_does_not_look_through_its_parents_descriptors",
        || {
            let outer = usr("io_uring::outer");
            let inner = Policy::builder("io_uring::inner")
                .read("/usr/share")
                .build()
                .unwrap();
            thread::spawn(move || {
                assert_eq!(outer.enforce().unwrap().level, Level::Full);
                // SAFETY: fork; the child enforces, and leaves with _exit, never returning.
                let pid = unsafe { libc::fork() };
                if pid == 0 {
                    let status = inner.enforce().unwrap();
                    let not_looked = status.level == Level::Partial
                        && matches!(status.io_uring[..], [IoUring::NotLooked(_)]);
                    // SAFETY: ends the child without running the parent's exit handlers.
                    unsafe { libc::_exit(if not_looked { 0 } else { 1 }) };
                }
                let mut status = 0;
                // SAFETY: waits for our own child.
                assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
                assert!(libc::WIFEXITED(status), "{status:#x}");
                assert_eq!(
                    libc::WEXITSTATUS(status),
                    0,
                    "the child claimed to have looked"
                );
            })
            .join()
            .unwrap();
        },
    );
}

/// A program may close the descriptors the look holds and reuse their numbers: a later look
/// under a sandbox that denies `/proc` then cannot look and says so, and the program's files
/// under those numbers are left open.
#[test]
fn a_look_whose_descriptors_the_program_took_over_says_so_and_leaves_them() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "a_look_whose_descriptors_the_program_took_over_says_so_and_leaves_them",
        || {
            let before = open_descriptors();
            let outer = usr("io_uring::outer");
            let inner = Policy::builder("io_uring::inner")
                .read("/usr/share")
                .build()
                .unwrap();
            thread::spawn(move || {
                assert_eq!(outer.enforce().unwrap().level, Level::Full);
                // The look's: a directory and a file of `/proc`, new since the start.
                let held: Vec<i32> = open_descriptors()
                    .into_iter()
                    .filter(|fd| !before.contains(fd))
                    .filter(|&fd| {
                        // SAFETY: a zeroed `stat` is valid; fstat fills it.
                        let mut st: libc::stat = unsafe { std::mem::zeroed() };
                        // SAFETY: fstat on an open descriptor into a struct of its size.
                        unsafe { libc::fstat(fd, &mut st) };
                        // procfs: no device behind it, and not an anonymous inode's type.
                        libc::major(st.st_dev) == 0
                            && matches!(st.st_mode & libc::S_IFMT, libc::S_IFDIR | libc::S_IFREG)
                    })
                    .collect();
                assert_eq!(held.len(), 2, "{held:?}");
                // SAFETY: eventfd with a count and flags.
                let event = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
                assert!(event >= 0);
                for &fd in &held {
                    // SAFETY: dup2 replaces the look's descriptor with the program's eventfd.
                    assert_eq!(unsafe { libc::dup2(event, fd) }, fd);
                }
                let status = inner.enforce().unwrap();
                assert_eq!(status.level, Level::Partial, "{status}");
                assert!(
                    matches!(status.io_uring[..], [IoUring::NotLooked(_)]),
                    "{status}"
                );
                assert!(
                    status.to_string().contains(
                        "could not be looked for: reading /proc, where they are found, is denied by sandbox `io_uring::outer`"
                    ),
                    "{status}"
                );
                assert_eq!(open_descriptors().iter().filter(|fd| held.contains(fd)).count(), 2);
            })
            .join()
            .unwrap();
        },
    );
}

/// The fix the status names: an outer sandbox that grants reading `/proc/self` lets the
/// sandboxes entered after it look, and be fully enforced when there is no ring.
#[test]
fn a_sandbox_that_grants_proc_self_lets_the_next_one_look() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "a_sandbox_that_grants_proc_self_lets_the_next_one_look",
        || {
            let outer = Policy::builder("io_uring::outer_proc")
                .read("/usr")
                .read("/proc/self")
                .build()
                .unwrap();
            nested(outer, |status| {
                assert_eq!(status.level, Level::Full, "{status}");
                assert!(status.io_uring.is_empty(), "{status}");
                // Both layers hold: what the inner one leaves out is denied.
                assert_eq!(open_errno("/usr/bin/env"), Some(libc::EACCES));
            });
        },
    );
}

#[test]
fn a_thread_named_like_an_io_uring_worker_is_not_taken_for_one() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "a_thread_named_like_an_io_uring_worker_is_not_taken_for_one",
        || {
            let (ready_tx, ready) = std::sync::mpsc::channel();
            let (done, done_rx) = std::sync::mpsc::channel::<()>();
            let impostor = thread::spawn(move || {
                // SAFETY: PR_SET_NAME reads a NUL-terminated name of at most 16 bytes; a full
                // set of signals is a valid mask for pthread_sigmask.
                unsafe {
                    libc::prctl(
                        libc::PR_SET_NAME,
                        c"iou-wrk-1".as_ptr() as libc::c_ulong,
                        0,
                        0,
                        0,
                    );
                    let mut all: libc::sigset_t = std::mem::zeroed();
                    libc::sigfillset(&mut all);
                    libc::pthread_sigmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
                }
                // SAFETY: gettid has no arguments and cannot fail.
                ready_tx
                    .send(unsafe { libc::syscall(libc::SYS_gettid) } as i32)
                    .unwrap();
                done_rx.recv().unwrap();
                open_errno(DENIED)
            });
            let tid = ready.recv().unwrap();
            let policy = Policy::builder("io_uring::impostor")
                .read("/usr")
                .process()
                .build()
                .unwrap();
            let status = policy.enforce().unwrap();
            let threads = status.threads.as_ref().unwrap();
            assert_eq!(threads.io_workers, 0, "{status}");
            assert_eq!(threads.uncovered.len(), 1, "{status}");
            assert_eq!(threads.uncovered[0].tid, tid, "{status}");
            assert_eq!(
                threads.uncovered[0].reason,
                Uncovered::BlocksSignal,
                "{status}"
            );
            done.send(()).unwrap();
            // It keeps its access, as reported.
            assert_eq!(impostor.join().unwrap(), None);
        },
    );
}

#[test]
fn rings_are_found_after_the_main_thread_has_exited() {
    // `/proc/self` then describes neither the process's descriptors nor its memory: the look
    // must read the calling thread's own entries.
    if !landlock_or_skip() {
        return;
    }
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_landlock-scenarios"))
        .arg("zombie-main-rings")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in {text}"))
            .to_owned()
    };
    let (fd, inode) = (value("ring_fd: "), value("mapped_inode: "));
    assert_eq!(
        value("io_uring: "),
        format!(
            "[Descriptor {{ fd: {fd}, sq_thread: None, personalities: None }}, Mapped {{ inode: {inode} }}]"
        ),
        "{text}"
    );
}
