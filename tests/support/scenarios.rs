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
        Some("fake-proc") => fake_proc(arg(1) == Some("strict")),
        Some("zombie-main") => zombie_main(),
        Some("single-thread-scope") => single_thread_scope(),
        Some("tid-reuse") => tid_reuse(),
        Some("optional-home") => optional_home(),
        Some("denials") => denials(),
        Some("enable-audit") => {
            landlock_runtime::denials::enable_audit().expect("enabling the kernel's audit");
        }
        _ => {
            eprintln!("usage: landlock-scenarios SCENARIO [strict]");
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

/// The same as `threads`, with a `/proc` that does not describe this process: a mount namespace
/// of its own, with a `/proc` whose task list names threads that are not this process's.
fn fake_proc(strict: bool) {
    // SAFETY: unshare and mount on this single-threaded process's own mount namespace; the
    // strings are valid C strings.
    unsafe {
        assert_eq!(libc::unshare(libc::CLONE_NEWNS), 0, "unshare");
        assert_eq!(
            libc::mount(
                std::ptr::null(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null()
            ),
            0,
            "make private"
        );
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
    let sockets = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| target.to_string_lossy().starts_with("socket:"))
        .count();
    println!("threads: {threads}");
    println!("netlink_sockets: {sockets}");
}
