//! A test helper: runs one named scenario on its own main thread, in a process of its own, and
//! prints what it saw as `key: value` lines for the test to assert. The scenarios need what a
//! test harness cannot give: a `main` thread that is the only thread, a main thread that exits
//! first, a process run under `unshare`, or a `/proc` of its own.
//!
//! `landlock-scenarios NAME [ARGS]`; see each function for what it prints.

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use landlock_runtime::Policy;

#[path = "hold.rs"]
// The holds only; the rest of the module serves the tests.
#[allow(dead_code)]
mod hold;
// Shared with the tests, which also remove their trees and bind through it.
#[allow(dead_code)]
#[path = "mounts.rs"]
mod mounts;
#[path = "seccomp.rs"]
mod seccomp;

/// A file no policy here grants.
const DENIED: &str = "/etc/hostname";

fn open_errno(path: &str) -> i32 {
    std::fs::File::open(path)
        .err()
        .map_or(0, |e| e.raw_os_error().unwrap_or(-1))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    match arg(0) {
        Some("threads") => threads(arg(1) == Some("strict")),
        Some("churn") => churn(&args[1..]),
        Some("started-before-restricted") => started_before_restricted(),
        Some("started-after-restricted") => started_after_restricted(),
        Some("started-by-reported") => started_by_reported(),
        Some("fake-proc") => fake_proc(arg(1) == Some("strict")),
        Some("zombie-main") => zombie_main(),
        Some("zombie-main-rings") => zombie_main_rings(),
        Some("single-thread-scope") => single_thread_scope(),
        Some("returned-call-then-thread") => returned_call_then_thread(),
        Some("tid-reuse") => tid_reuse(),
        Some("optional-home") => optional_home(),
        Some("denials") => denials(),
        Some("denials-then-no-child") => denials_then_no_child(),
        Some("resolve") => resolve(),
        Some("link-denial") => link_denial(&args[1]),
        Some("forged-denials") => forged_denials(&args[1]),
        Some("enable-audit") => {
            landlock_runtime::denials::enable_audit().expect("enabling the kernel's audit");
        }
        _ => {
            eprintln!("usage: landlock-scenarios SCENARIO [strict] [blocker]");
            std::process::exit(2);
        }
    }
}

/// Threads that wait for `go`, then report the errno of opening `DENIED`.
struct Waiting {
    go: Vec<mpsc::Sender<()>>,
    seen: mpsc::Receiver<i32>,
}

fn start_waiting_threads(n: usize) -> Waiting {
    let (seen_tx, seen) = mpsc::channel();
    let go = (0..n)
        .map(|_| {
            let (go_tx, go_rx) = mpsc::channel::<()>();
            let seen_tx = seen_tx.clone();
            thread::spawn(move || {
                go_rx.recv().unwrap();
                seen_tx.send(open_errno(DENIED)).unwrap();
            });
            go_tx
        })
        .collect();
    Waiting { go, seen }
}

impl Waiting {
    /// Releases the threads; what each saw, sorted.
    fn finish(self) -> Vec<i32> {
        for go in &self.go {
            go.send(()).unwrap();
        }
        let mut seen: Vec<i32> = (0..self.go.len())
            .map(|_| self.seen.recv().unwrap())
            .collect();
        seen.sort();
        seen
    }
}

/// Three other threads, then a policy on every thread. Prints `status:` (or `error:`),
/// `main:` and `threads:` (the errno each thread got opening `DENIED`; 0 when it could).
fn threads(strict: bool) {
    let waiting = start_waiting_threads(3);
    let builder = Policy::builder("scenarios::threads").read("/usr").process();
    let policy = if strict { builder.strict() } else { builder }
        .build()
        .unwrap();
    match policy.enforce() {
        Ok(status) => println!("status: {status}"),
        Err(e) => println!("error: {e}"),
    }
    println!("main: {}", open_errno(DENIED));
    println!("threads: {:?}", waiting.finish());
}

/// A program that keeps starting threads: 12 threads sleeping, 12 blocked in `read` on a pipe,
/// 12 busy, and 12 that each start a short-lived thread every half millisecond (joined; with
/// `detached`, left to end on their own, each making an allocation of its own, so that many
/// are being born and exiting at once); with `blocker`, one more that blocks every signal. Then
/// a process-scope policy (`strict` with `strict`). Prints
/// `status:` (or `error:`), `elapsed_ms:`, `uncovered:` (the reasons given), `free:` (how many
/// of the 48 threads could open `DENIED` afterwards, a spawner counting also for a thread it
/// starts then) and, with `blocker`, `blocker:` (the errno it got; 0 when it could).
fn churn(args: &[String]) {
    use std::io::Read;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let strict = args.iter().any(|a| a == "strict");
    let blocker = args.iter().any(|a| a == "blocker");
    let detached = args.iter().any(|a| a == "detached");
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads: Vec<thread::JoinHandle<i32>> = Vec::new();
    for _ in 0..12 {
        let stop = stop.clone();
        threads.push(thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                thread::sleep(Duration::from_millis(5));
            }
            open_errno(DENIED)
        }));
    }
    let mut writers = Vec::new();
    for _ in 0..12 {
        let (mut reader, writer) = std::io::pipe().unwrap();
        writers.push(writer);
        threads.push(thread::spawn(move || {
            let _ = reader.read(&mut [0u8]);
            open_errno(DENIED)
        }));
    }
    for _ in 0..12 {
        let stop = stop.clone();
        threads.push(thread::spawn(move || {
            let mut spins = 0u64;
            while !stop.load(Ordering::Relaxed) {
                spins = spins.wrapping_add(1);
                std::hint::spin_loop();
            }
            std::hint::black_box(spins);
            open_errno(DENIED)
        }));
    }
    for _ in 0..12 {
        let stop = stop.clone();
        threads.push(thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let short = thread::spawn(|| std::hint::black_box(vec![1u8; 4096]).len());
                if !detached {
                    short.join().unwrap();
                }
                thread::sleep(Duration::from_micros(500));
            }
            // A thread started now has what its starter has.
            let leaf = thread::spawn(|| open_errno(DENIED)).join().unwrap();
            if leaf == 0 { 0 } else { open_errno(DENIED) }
        }));
    }
    let (blocker_go, blocker_seen) = if blocker {
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let (seen_tx, seen_rx) = mpsc::channel();
        let (ready_tx, ready_rx) = mpsc::channel();
        thread::spawn(move || {
            block_every_signal();
            ready_tx.send(()).unwrap();
            let _ = go_rx.recv();
            seen_tx.send(open_errno(DENIED)).unwrap();
        });
        ready_rx.recv().unwrap();
        (Some(go_tx), Some(seen_rx))
    } else {
        (None, None)
    };
    thread::sleep(Duration::from_millis(50));
    let builder = Policy::builder("scenarios::churn").read("/usr").process();
    let policy = if strict { builder.strict() } else { builder }
        .build()
        .unwrap();
    let started = Instant::now();
    let result = policy.enforce();
    let elapsed = started.elapsed();
    match &result {
        Ok(status) => println!("status: {status}"),
        Err(e) => println!("error: {e}"),
    }
    println!("elapsed_ms: {}", elapsed.as_millis());
    let uncovered: Vec<String> = result
        .as_ref()
        .ok()
        .and_then(|s| s.threads.as_ref())
        .map(|t| {
            t.uncovered
                .iter()
                .map(|u| format!("{:?}", u.reason))
                .collect()
        })
        .unwrap_or_default();
    println!("uncovered: {}", uncovered.join(" "));
    stop.store(true, Ordering::Relaxed);
    drop(writers);
    let free = threads
        .into_iter()
        .map(|handle| handle.join().unwrap())
        .filter(|&errno| errno == 0)
        .count();
    println!("free: {free}");
    if let (Some(go), Some(seen)) = (blocker_go, blocker_seen) {
        go.send(()).unwrap();
        println!("blocker: {}", seen.recv().unwrap());
    }
}

fn block_every_signal() {
    // SAFETY: blocks every signal on this thread only.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
    }
}

/// A thread that runs `before`, then waits to be told to report the errno of opening `DENIED`
/// (0 when it could).
struct Probe {
    go: mpsc::Sender<()>,
    seen: mpsc::Receiver<i32>,
}

fn probe(before: impl FnOnce() + Send + 'static) -> Probe {
    let (ready_tx, ready_rx) = mpsc::channel();
    let (go, go_rx) = mpsc::channel::<()>();
    let (seen_tx, seen) = mpsc::channel();
    thread::spawn(move || {
        before();
        ready_tx.send(()).unwrap();
        let _ = go_rx.recv();
        seen_tx.send(open_errno(DENIED)).unwrap();
    });
    ready_rx.recv().unwrap();
    Probe { go, seen }
}

impl Probe {
    fn errno(&self) -> i32 {
        self.go.send(()).unwrap();
        self.seen.recv_timeout(Duration::from_secs(10)).unwrap()
    }
}

/// Restricts every thread with a policy that denies `DENIED`, and prints `status:` (or
/// `error:`).
fn enforce_on_every_thread(name: &str, strict: bool) {
    let builder = Policy::builder(name).read("/usr").process();
    let policy = if strict { builder.strict() } else { builder }
        .build()
        .unwrap();
    match policy.enforce() {
        Ok(status) => println!("status: {status}"),
        Err(e) => println!("error: {e}"),
    }
}

/// A thread that, when told, starts a [`probe`], then stays (its window of threads it may have
/// started must not be closed by its exit), and at the end reports the errno of opening
/// `DENIED`.
struct Starter {
    start: mpsc::Sender<()>,
    started: mpsc::Receiver<Probe>,
    end: mpsc::Sender<()>,
    seen: mpsc::Receiver<i32>,
}

fn starter(before: fn(), probe_before: impl FnOnce() + Send + 'static) -> Starter {
    let (start, start_rx) = mpsc::channel::<()>();
    let (started_tx, started) = mpsc::channel();
    let (end, end_rx) = mpsc::channel::<()>();
    let (seen_tx, seen) = mpsc::channel();
    let (ready_tx, ready_rx) = mpsc::channel();
    thread::spawn(move || {
        before();
        ready_tx.send(()).unwrap();
        let _ = start_rx.recv();
        started_tx.send(probe(probe_before)).unwrap();
        let _ = end_rx.recv();
        seen_tx.send(open_errno(DENIED)).unwrap();
    });
    ready_rx.recv().unwrap();
    Starter {
        start,
        started,
        end,
        seen,
    }
}

/// A thread C starts a thread X after the job listed the threads and before C is signalled:
/// the job's first signal is held (a seccomp filter on the main thread, which runs the job)
/// until X exists. X was started unrestricted and must be reached. Prints `status:`, `x:` (the
/// errno X gets opening `DENIED`) and `c:`.
fn started_before_restricted() {
    use hold::{hold_on_this_thread, release, try_next_held};
    let c = starter(|| {}, || {});
    let (start, started) = (c.start.clone(), c.started);
    let listener = hold_on_this_thread(libc::SYS_tgkill);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let supervisor = {
        let done = done.clone();
        thread::spawn(move || {
            let mut x = None;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let Some(held) = try_next_held(&listener, Duration::from_millis(10)) else {
                    continue;
                };
                // tgkill(tgid, tid, sig): the probes of a listing (signal 0) go through; at
                // the first real signal, X is started first.
                if held.args[2] != 0 && x.is_none() {
                    start.send(()).unwrap();
                    x = Some(started.recv().unwrap());
                }
                release(&listener, &held);
            }
            x.expect("the job sent a signal")
        })
    };
    enforce_on_every_thread("scenarios::started_before_restricted", false);
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let x: Probe = supervisor.join().unwrap();
    println!("x: {}", x.errno());
    println!("c: {}", open_errno_of(&c.end, &c.seen));
}

fn open_errno_of(end: &mpsc::Sender<()>, seen: &mpsc::Receiver<i32>) -> i32 {
    end.send(()).unwrap();
    seen.recv_timeout(Duration::from_secs(10)).unwrap()
}

/// A thread C restricts itself, then starts a thread X that blocks every signal, while another
/// target D is held inside `landlock_restrict_self`, so the job is still in its first round. X
/// inherits C's restriction: it is counted as started restricted, and not signalled (it would
/// be reported, since it blocks the signal). Prints `status:`, `x:`, `c:` and `d:`.
fn started_after_restricted() {
    use hold::{hold_on_this_thread, next_held, release};
    let (listener_tx, listener_rx) = mpsc::channel();
    let d = probe(move || {
        listener_tx
            .send(hold_on_this_thread(libc::SYS_landlock_restrict_self))
            .unwrap();
    });
    let c = starter(|| {}, block_every_signal);
    let (start, started) = (c.start.clone(), c.started);
    let (x_tx, x_rx) = mpsc::channel();
    thread::spawn(move || {
        let listener = listener_rx.recv().unwrap();
        // D is in its handler: it read the counter, and waits in landlock_restrict_self.
        let held = next_held(&listener, Duration::from_secs(10));
        // C has answered once it is restricted (and so has this thread, which it may start
        // only after its own answer: it is signalled like the others).
        let started_at = Instant::now();
        while open_errno(DENIED) == 0 {
            assert!(started_at.elapsed() < Duration::from_secs(10), "restricted");
            thread::sleep(Duration::from_millis(1));
        }
        start.send(()).unwrap();
        x_tx.send(started.recv().unwrap()).unwrap();
        release(&listener, &held);
    });
    enforce_on_every_thread("scenarios::started_after_restricted", false);
    let x: Probe = x_rx.recv().unwrap();
    println!("x: {}", x.errno());
    println!("c: {}", open_errno_of(&c.end, &c.seen));
    println!("d: {}", d.errno());
}

/// A thread U that blocks every signal is reported in the job's first round; in its second
/// round, U starts a thread X that unblocks them. X was started unrestricted: it must be
/// reached, not counted as started restricted. Prints `status:`, `x:`, `u:`, `d:` and `e:`.
///
/// How the job is made to run a second round while U starts X: its first signal is held (a
/// seccomp filter on the main thread, which runs the job) while a thread C starts E, so E is
/// new and may be C's, unrestricted, at the next listing; D is held inside
/// `landlock_restrict_self` in the first round until U has been reported, E in the second
/// until X exists.
fn started_by_reported() {
    use hold::{hold_on_this_thread, next_held, release, try_next_held};
    let u = starter(block_every_signal, || {
        // SAFETY: unblocks every signal on this thread only.
        unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &all, std::ptr::null_mut());
        }
    });
    let (d_listener_tx, d_listener_rx) = mpsc::channel();
    let d = probe(move || {
        d_listener_tx
            .send(hold_on_this_thread(libc::SYS_landlock_restrict_self))
            .unwrap();
    });
    let (e_listener_tx, e_listener_rx) = mpsc::channel();
    let c = starter(
        || {},
        move || {
            e_listener_tx
                .send(hold_on_this_thread(libc::SYS_landlock_restrict_self))
                .unwrap();
        },
    );
    let (c_start, c_started) = (c.start.clone(), c.started);
    let tgkill = hold_on_this_thread(libc::SYS_tgkill);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Lets the job's signals go, after starting E at the first.
    let (e_tx, e_rx) = mpsc::channel();
    let signals = {
        let done = done.clone();
        thread::spawn(move || {
            let mut e_started = false;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let Some(held) = try_next_held(&tgkill, Duration::from_millis(10)) else {
                    continue;
                };
                if held.args[2] != 0 && !e_started {
                    c_start.send(()).unwrap();
                    e_tx.send(c_started.recv().unwrap()).unwrap();
                    e_started = true;
                }
                release(&tgkill, &held);
            }
        })
    };
    let (u_start, u_started) = (u.start.clone(), u.started);
    let (x_tx, x_rx) = mpsc::channel();
    thread::spawn(move || {
        let d_listener = d_listener_rx.recv().unwrap();
        let held = next_held(&d_listener, Duration::from_secs(10));
        // Long enough for U to be reported as blocking the signal.
        thread::sleep(Duration::from_millis(300));
        release(&d_listener, &held);
        // The second round reaches E.
        let e_listener = e_listener_rx.recv().unwrap();
        let held = next_held(&e_listener, Duration::from_secs(10));
        u_start.send(()).unwrap();
        x_tx.send(u_started.recv().unwrap()).unwrap();
        release(&e_listener, &held);
    });
    enforce_on_every_thread("scenarios::started_by_reported", false);
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    signals.join().unwrap();
    let x: Probe = x_rx.recv().unwrap();
    let e: Probe = e_rx.recv().unwrap();
    println!("x: {}", x.errno());
    println!("u: {}", open_errno_of(&u.end, &u.seen));
    println!("d: {}", d.errno());
    println!("e: {}", e.errno());
}

/// The same as `threads`, with a `/proc` that does not describe this process: a mount namespace
/// of its own, with a `/proc` whose task list names threads that are not this process's.
fn fake_proc(strict: bool) {
    mounts::own_mount_namespace();
    // SAFETY: mount on this single-threaded process's own mount namespace; the strings are
    // valid C strings.
    unsafe {
        assert_eq!(
            libc::mount(
                c"fake".as_ptr(),
                c"/proc".as_ptr(),
                c"tmpfs".as_ptr(),
                0,
                std::ptr::null()
            ),
            0,
            "mount"
        );
    }
    for id in [901, 902, 903, 904] {
        let dir = format!("/proc/self/task/{id}");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            format!("{dir}/status"),
            format!("Name:\tx\nState:\tS (sleeping)\nNSpid:\t{id}\nSigBlk:\t0000000000000000\n"),
        )
        .unwrap();
    }
    threads(strict);
}

/// A main thread that exits with `pthread_exit` while another thread enforces a policy on
/// every thread. Prints `status:` (or `error:`) and `elapsed_ms:`.
fn zombie_main() {
    after_main_exits(|| {
        let policy = Policy::builder("scenarios::zombie_main")
            .read("/usr")
            .process()
            .build()
            .unwrap();
        let started = Instant::now();
        match policy.enforce() {
            Ok(status) => println!("status: {status}"),
            Err(e) => println!("error: {e}"),
        }
        println!("elapsed_ms: {}", started.elapsed().as_millis());
    });
}

/// Two io_uring rings set up by `main`, one kept open, one left mapped with its descriptor
/// closed; then `main` exits and another thread enters a thread-scope sandbox. Prints
/// `ring_fd:`, `mapped_inode:` and `io_uring:` (what the status names).
fn zombie_main_rings() {
    let ring = || {
        let mut params = [0u8; 120];
        // SAFETY: io_uring_setup with a zeroed parameter struct of the kernel's size.
        let fd = unsafe { libc::syscall(libc::SYS_io_uring_setup, 4, params.as_mut_ptr()) };
        assert!(
            fd >= 0,
            "io_uring_setup: {}",
            std::io::Error::last_os_error()
        );
        fd as i32
    };
    let kept = ring();
    let mapped = ring();
    // SAFETY: maps the ring's submission queue (offset 0) of the descriptor just made, for
    // the rest of the process.
    let at = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ,
            libc::MAP_SHARED,
            mapped,
            0,
        )
    };
    assert_ne!(at, libc::MAP_FAILED);
    // SAFETY: a zeroed `stat` is a valid value of the plain struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstat into a zeroed struct of its size; then the descriptor, used no more, is
    // closed.
    unsafe {
        assert_eq!(libc::fstat(mapped, &mut st), 0);
        libc::close(mapped);
    }
    println!("ring_fd: {kept}");
    println!("mapped_inode: {}", st.st_ino);
    after_main_exits(|| {
        let policy = Policy::builder("scenarios::zombie_main_rings")
            .read("/usr")
            .build()
            .unwrap();
        match policy.enforce() {
            Ok(status) => println!("io_uring: {:?}", status.io_uring),
            Err(e) => println!("error: {e}"),
        }
    });
}

/// Runs `then` on another thread once the main thread is a zombie, and ends the process when
/// it returns.
fn after_main_exits(then: impl FnOnce() + Send + 'static) -> ! {
    let (ready_tx, ready_rx) = mpsc::channel();
    thread::spawn(move || {
        // Wait for the main thread to be a zombie.
        // SAFETY: getpid cannot fail.
        let pid = unsafe { libc::getpid() };
        ready_rx.recv().unwrap();
        let status = format!("/proc/self/task/{pid}/status");
        let started = Instant::now();
        while !std::fs::read_to_string(&status)
            .is_ok_and(|s| s.lines().any(|l| l.starts_with("State:\tZ")))
        {
            assert!(started.elapsed() < Duration::from_secs(5), "main exits");
            thread::sleep(Duration::from_millis(1));
        }
        then();
        std::process::exit(0);
    });
    ready_tx.send(()).unwrap();
    // SAFETY: ends the main thread only, with the raw system call (pthread_exit would unwind
    // through Rust frames); the process lives on in the other thread, which ends it.
    unsafe { libc::syscall(libc::SYS_exit, 0) };
    unreachable!("the main thread has exited");
}

/// A thread-scope policy entered by `main` while it is the only thread, then a thread started
/// afterwards. Prints `in_force_in_new_thread:` (the layers the new thread lists, before and
/// after re-entering the policy there).
fn single_thread_scope() {
    let policy: &'static Policy = Box::leak(Box::new(
        Policy::builder("scenarios::single")
            .read("/usr")
            .build()
            .unwrap(),
    ));
    policy.enforce().unwrap();
    let seen = thread::spawn(|| {
        let before = landlock_runtime::in_force().len();
        policy.enforce().unwrap();
        (before, landlock_runtime::in_force().len())
    })
    .join()
    .unwrap();
    println!("in_force_in_new_thread: {seen:?}");
}

/// A thread id reused while a job runs. Run as the first process of a PID namespace of its
/// own, where this process may set the next thread id (`ns_last_pid`).
///
/// A thread that blocks signals (so it is not restricted) waits until another thread has been
/// restricted by the job and has exited, then starts a new thread that gets the same id. The
/// job must reach (or report) the new thread, not take it for the one that exited. Prints
/// `status:`, `reused:` (whether the new thread got the old id), `old_tid:`, and `new_thread:`
/// (the errno the new thread got opening `DENIED`; 0 when it could).
fn tid_reuse() {
    let gettid = || {
        // SAFETY: gettid cannot fail.
        unsafe { libc::syscall(libc::SYS_gettid) as i32 }
    };
    // The thread to be restricted and exit: it knows it is restricted when DENIED is denied.
    let (first_tid_tx, first_tid_rx) = mpsc::channel();
    let first = thread::spawn(move || {
        first_tid_tx.send(gettid()).unwrap();
        let started = Instant::now();
        while open_errno(DENIED) == 0 {
            assert!(started.elapsed() < Duration::from_secs(5), "restricted");
            thread::sleep(Duration::from_millis(1));
        }
    });
    let old_tid = first_tid_rx.recv().unwrap();
    // The creator: blocks every signal, so the job cannot restrict it; starts the new thread
    // once the first has exited, with the same id.
    let (result_tx, result_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (blocked_tx, blocked_rx) = mpsc::channel();
    thread::spawn(move || {
        // SAFETY: blocks every signal on this thread only.
        unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            libc::pthread_sigmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
        }
        blocked_tx.send(()).unwrap();
        first.join().unwrap();
        // The id is free once the kernel has released the thread, a moment after the join;
        // a new thread that still misses it exits at once, and another is tried.
        let go_rx = std::sync::Arc::new(std::sync::Mutex::new(go_rx));
        for _ in 0..50 {
            while std::path::Path::new(&format!("/proc/self/task/{old_tid}")).exists() {
                thread::sleep(Duration::from_millis(1));
            }
            std::fs::write("/proc/sys/kernel/ns_last_pid", format!("{}", old_tid - 1)).unwrap();
            let (tid_tx, tid_rx) = mpsc::channel();
            let go_rx = go_rx.clone();
            let new = thread::spawn(move || {
                let tid = gettid();
                tid_tx.send(tid).unwrap();
                if tid != old_tid {
                    return None;
                }
                go_rx.lock().unwrap().recv().unwrap();
                Some(open_errno(DENIED))
            });
            if tid_rx.recv().unwrap() == old_tid {
                result_tx.send(1).unwrap();
                result_tx.send(new.join().unwrap().unwrap()).unwrap();
                return;
            }
            new.join().unwrap();
        }
        result_tx.send(0).unwrap();
        result_tx.send(-1).unwrap();
    });
    blocked_rx.recv().unwrap();
    let policy = Policy::builder("scenarios::tid_reuse")
        .read("/usr")
        .read("/proc")
        .process()
        .build()
        .unwrap();
    match policy.enforce() {
        Ok(status) => println!("status: {status}"),
        Err(e) => println!("error: {e}"),
    }
    println!("reused: {}", result_rx.recv().unwrap() == 1);
    println!("old_tid: {old_tid}");
    go_tx.send(()).unwrap();
    println!("new_thread: {}", result_rx.recv().unwrap());
}

/// A policy naming `$HOME/.landlock-scenario`, optional and not: run as a user who cannot open
/// it (another user's home, inherited through `HOME`). Prints `optional:` (the status, or the
/// error) and `mandatory:` (likewise).
fn optional_home() {
    for (key, template) in [
        ("optional", "$HOME/.landlock-scenario?"),
        ("mandatory", "$HOME/.landlock-scenario"),
    ] {
        let policy = Policy::builder("scenarios::optional_home")
            .read(template)
            .build()
            .unwrap();
        match policy.prepare() {
            Ok(status) => println!("{key}: {status}"),
            Err(e) => println!("{key}: error: {e}"),
        }
    }
}

/// `LANDLOCK_SANDBOX_DENIALS` at exit when the audit records cannot be known to have caught up:
/// one denial, then no thread of the process can start a child (a seccomp filter on every
/// thread), so the watcher's catch-up at exit has no throwaway child to be denied. Prints
/// nothing; the test reads standard error.
fn denials_then_no_child() {
    let policy = Policy::builder("scenarios::denials_then_no_child")
        .read("/usr")
        .build()
        .unwrap();
    policy.enforce().unwrap();
    assert_eq!(open_errno(DENIED), libc::EACCES);
    seccomp::fail_system_calls(
        &[
            libc::SYS_clone,
            libc::SYS_clone3,
            libc::SYS_fork,
            libc::SYS_vfork,
        ],
        libc::EAGAIN,
    );
}

/// A sandboxed program that is denied the same file twice and exits at once, as a program that
/// fails on a denial does. Prints `threads:` and `netlink_sockets:` (what the process holds
/// after its enforcement: the watcher's thread and socket, if the environment asked for them).
fn denials() {
    let policy = Policy::builder("scenarios::denials")
        .read("/usr")
        .read("/proc")
        .build()
        .unwrap();
    policy.enforce().unwrap();
    for _ in 0..2 {
        assert_eq!(open_errno(DENIED), libc::EACCES);
    }
    let threads = std::fs::read_dir("/proc/self/task").unwrap().count();
    // The watcher's netlink socket, told from the socket pair its children report on by its
    // domain.
    let netlink = |fd: libc::c_int| {
        let mut domain: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: getsockopt writes one `c_int` of the length passed.
        let got = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_DOMAIN,
                (&mut domain as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        got == 0 && domain == libc::AF_NETLINK
    };
    let sockets = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|&fd| netlink(fd))
        .count();
    println!("threads: {threads}");
    println!("netlink_sockets: {sockets}");
}

/// A sandboxed program without `preset = "dns"` that resolves a host name: the C library's
/// resolver is denied its files, and the name does not resolve. Prints what resolving said.
fn resolve() {
    let policy = Policy::builder("scenarios::resolve")
        .read("/usr")
        .build()
        .unwrap();
    policy.enforce().unwrap();
    use std::net::ToSocketAddrs;
    match "localhost:80".to_socket_addrs() {
        Ok(addresses) => println!("resolved: {}", addresses.count()),
        Err(e) => println!("not resolved: {e}"),
    }
}

/// A hard link from `DIR/in` (read) into `DIR/out` (write), which the kernel refuses (EXDEV)
/// because the file would gain rights in `out`.
fn link_denial(dir: &str) {
    let policy = Policy::builder("scenarios::link")
        .read(format!("{dir}/in"))
        .write(format!("{dir}/out"))
        .build()
        .unwrap();
    policy.enforce().unwrap();
    let linked = std::fs::hard_link(format!("{dir}/in/a.txt"), format!("{dir}/out/h"));
    assert_eq!(linked.unwrap_err().raw_os_error(), Some(libc::EXDEV));
}

/// The victim of a forger (`tests/support/forger.rs`), with the forger's directory `dir`:
/// enforces its policy (which may write the forger's FIFOs), has the forger make its denials
/// with this process's marks, then is denied `DENIED` itself. Prints how many of the forger's
/// domains were denied.
fn forged_denials(dir: &str) {
    let policy = Policy::builder("scenarios::forged")
        .read("/usr")
        .write(dir.to_owned())
        .build()
        .unwrap();
    policy.enforce().unwrap();
    std::fs::write(format!("{dir}/go"), format!("{}\n", std::process::id())).unwrap();
    let denied = std::fs::read_to_string(format!("{dir}/done")).unwrap();
    println!("forged: {}", denied.trim());
    assert_eq!(open_errno(DENIED), libc::EACCES);
}

/// May read /etc and /usr/share; starts a thread that calls `list_usr_share` while it runs.
#[landlock_runtime::sandbox(read = ["/etc", "/usr/share"])]
fn spawner() -> std::io::Result<usize> {
    thread::spawn(list_usr_share).join().unwrap()
}

#[landlock_runtime::sandbox(read = "/usr/share")]
fn list_usr_share() -> std::io::Result<usize> {
    Ok(std::fs::read_dir("/usr/share")?.count())
}

#[landlock_runtime::sandbox(read = "/usr/lib")]
fn list_usr_lib() -> std::io::Result<usize> {
    Ok(std::fs::read_dir("/usr/lib")?.count())
}

/// A sandboxed call on the only thread, which every later thread inherits: a thread it starts
/// while it runs is inside it (a sandbox entered there narrows, as nesting does); a thread
/// started after it returned is not its to narrow. Prints `nested: ...` and `after: ...`.
fn returned_call_then_thread() {
    let show = |r: std::io::Result<usize>| match r {
        Ok(_) => "ok".to_owned(),
        Err(e) => e.to_string(),
    };
    println!("nested: {}", show(spawner()));
    println!(
        "after: {}",
        show(thread::spawn(list_usr_lib).join().unwrap())
    );
}
