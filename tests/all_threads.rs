//! Whole-process enforcement: every thread of the process is restricted, also threads that
//! were already running, and threads that cannot be reached are reported (or refused, under
//! `strict`).
//!
//! Each scenario runs in a child process of its own (this test binary, re-run for one test),
//! because restricting every thread of a process cannot be undone.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use landlock_runtime::{ErrorKind, Level, Policy, Uncovered, sandbox};

mod support;
use support::{in_child, kernel_abi, landlock_or_skip, level_at, status_at};

/// A path no policy here grants: opening it is denied with EACCES under any of them.
const DENIED: &str = "/etc/hostname";

fn open_errno(path: &str) -> Option<i32> {
    std::fs::File::open(path)
        .err()
        .map(|e| e.raw_os_error().unwrap_or(-1))
}

/// Four threads in four states, started before the sandbox, each reporting what happens when
/// it opens `DENIED` after the go signal.
struct Running {
    go: Arc<AtomicBool>,
    pipe: UnixStream,
    results: mpsc::Receiver<(&'static str, Option<i32>)>,
    handles: Vec<thread::JoinHandle<()>>,
}

fn start_four_threads() -> Running {
    let go = Arc::new(AtomicBool::new(false));
    let (tx, results) = mpsc::channel();
    let (pipe, mut reader) = UnixStream::pair().unwrap();
    let mut handles = Vec::new();
    let (g, t) = (go.clone(), tx.clone());
    handles.push(thread::spawn(move || {
        while !g.load(Ordering::Acquire) {
            thread::sleep(Duration::from_millis(5));
        }
        t.send(("sleeping", open_errno(DENIED))).unwrap();
    }));
    let t = tx.clone();
    handles.push(thread::spawn(move || {
        let mut byte = [0u8];
        reader.read_exact(&mut byte).unwrap();
        t.send(("blocked in read", open_errno(DENIED))).unwrap();
    }));
    let (g, t) = (go.clone(), tx.clone());
    handles.push(thread::spawn(move || {
        let mut spins = 0u64;
        while !g.load(Ordering::Relaxed) {
            spins = spins.wrapping_add(1);
            std::hint::spin_loop();
        }
        t.send(("busy", open_errno(DENIED))).unwrap();
    }));
    let (g, t) = (go.clone(), tx);
    handles.push(thread::spawn(move || {
        // Keeps starting short-lived threads, before and during the enforcement.
        while !g.load(Ordering::Acquire) {
            thread::spawn(|| thread::sleep(Duration::from_millis(1)))
                .join()
                .unwrap();
        }
        let t2 = t.clone();
        thread::spawn(move || t2.send(("spawned after", open_errno(DENIED))).unwrap())
            .join()
            .unwrap();
        t.send(("spawner", open_errno(DENIED))).unwrap();
    }));
    // Let every thread reach its state.
    thread::sleep(Duration::from_millis(20));
    Running {
        go,
        pipe,
        results,
        handles,
    }
}

impl Running {
    /// Releases the threads and returns what each saw.
    fn finish(mut self) -> Vec<(&'static str, Option<i32>)> {
        self.go.store(true, Ordering::Release);
        self.pipe.write_all(&[1]).unwrap();
        for h in self.handles.drain(..) {
            h.join().unwrap();
        }
        let mut seen: Vec<_> = self.results.try_iter().collect();
        seen.sort();
        seen
    }
}

#[sandbox(process)]
fn enter_everywhere() {}

#[test]
fn every_running_thread_is_restricted() {
    if !landlock_or_skip() {
        return;
    }
    in_child("every_running_thread_is_restricted", || {
        let running = start_four_threads();
        enter_everywhere();
        let eacces = Some(libc::EACCES);
        assert_eq!(
            running.finish(),
            [
                ("blocked in read", eacces),
                ("busy", eacces),
                ("sleeping", eacces),
                ("spawned after", eacces),
                ("spawner", eacces),
            ]
        );
        assert_eq!(open_errno(DENIED), eacces, "the calling thread too");
    });
}

#[test]
fn coverage_counts_the_other_threads() {
    if !landlock_or_skip() {
        return;
    }
    in_child("coverage_counts_the_other_threads", || {
        let running = start_four_threads();
        let policy = Policy::builder("t").process().build().unwrap();
        let status = policy.enforce_all_threads().unwrap();
        assert_eq!(status.level, level_at(kernel_abi()), "{status}");
        let coverage = status.threads.as_ref().unwrap();
        assert!(coverage.uncovered.is_empty(), "{coverage}");
        // The four threads, the spawner's current child if any, and the test harness's own.
        assert!(coverage.restricted >= 4, "{coverage}");
        let layers = landlock_runtime::in_force();
        assert_eq!(layers.len(), 1);
        running.finish();
        // Another thread sees the process-wide layer, and re-entering it there is a no-op.
        let other = thread::spawn(move || {
            let before = landlock_runtime::in_force();
            policy.enforce().unwrap();
            (before, landlock_runtime::in_force())
        })
        .join()
        .unwrap();
        assert_eq!(other.0.len(), 1);
        assert!(other.0[0].inherited);
        assert_eq!(other.1.len(), 1);
    });
}

/// Starts a thread that blocks every signal, then waits until told to open `DENIED`.
fn start_signal_blocking_thread() -> (mpsc::Sender<()>, mpsc::Receiver<Option<i32>>) {
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (res_tx, res_rx) = mpsc::channel();
    let (ready_tx, ready_rx) = mpsc::channel();
    thread::spawn(move || {
        // SAFETY: blocks every signal on this thread only.
        unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            libc::pthread_sigmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
        }
        ready_tx.send(()).unwrap();
        go_rx.recv().unwrap();
        res_tx.send(open_errno(DENIED)).unwrap();
    });
    ready_rx.recv().unwrap();
    (go_tx, res_rx)
}

#[sandbox(process, strict)]
fn strict_everywhere(ran: &AtomicBool) {
    ran.store(true, Ordering::SeqCst);
}

#[test]
fn strict_refuses_when_a_thread_blocks_the_signal() {
    if !landlock_or_skip() {
        return;
    }
    in_child("strict_refuses_when_a_thread_blocks_the_signal", || {
        let (go, result) = start_signal_blocking_thread();
        let ran = AtomicBool::new(false);
        let panic = std::panic::catch_unwind(|| strict_everywhere(&ran)).unwrap_err();
        let msg = panic.downcast_ref::<String>().unwrap();
        assert!(!ran.load(Ordering::SeqCst), "the body must not run");
        let abi = kernel_abi();
        if abi >= 6 {
            assert!(
                msg.contains("strict policy on every thread, but 1 threads of the process could not be restricted")
                    && msg.contains("(it blocks the signal that reaches it)"),
                "{msg}"
            );
        } else {
            // An older kernel cannot have all of any policy: refused before any thread is
            // asked, for what the kernel lacks.
            assert!(
                msg.contains(&format!(
                    "strict policy, but the kernel cannot enforce all of it: {}; ",
                    status_at(abi)
                )),
                "{msg}"
            );
        }
        // Refused before anything was restricted.
        assert_eq!(open_errno(DENIED), None);
        go.send(()).unwrap();
        assert_eq!(result.recv().unwrap(), None);
    });
}

#[test]
fn best_effort_reports_a_thread_that_blocks_the_signal() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "best_effort_reports_a_thread_that_blocks_the_signal",
        || {
            let (go, result) = start_signal_blocking_thread();
            let policy = Policy::builder("t").process().build().unwrap();
            let status = policy.enforce_all_threads().unwrap();
            assert_eq!(status.level, Level::Partial, "{status}");
            let coverage = status.threads.as_ref().unwrap();
            assert_eq!(coverage.uncovered.len(), 1, "{coverage}");
            assert_eq!(coverage.uncovered[0].reason, Uncovered::BlocksSignal);
            assert_eq!(open_errno(DENIED), Some(libc::EACCES));
            // The uncovered thread keeps its access, as reported.
            go.send(()).unwrap();
            assert_eq!(result.recv().unwrap(), None);
            // Another policy on every thread, now that this thread cannot read /proc, fails
            // closed and says why.
            let next = Policy::builder("s")
                .read("/")
                .broad()
                .process()
                .build()
                .unwrap();
            let err = next.enforce_all_threads().unwrap_err();
            assert!(matches!(err.kind(), ErrorKind::Kernel { .. }), "{err}");
            assert!(err.to_string().contains("needs /proc/self/task"), "{err}");
        },
    );
}

#[test]
fn no_deadlock_or_lost_signal_in_100_runs() {
    if !landlock_or_skip() {
        return;
    }
    if std::env::var("LANDLOCK_TEST_CHILD").as_deref() == Ok("one_run") {
        return;
    }
    // Ten workers, each running ten child processes one after another.
    let failures: Vec<String> = (0..10)
        .map(|_| {
            thread::spawn(|| {
                (0..10)
                    .filter_map(|_| {
                        let output = Command::new(std::env::current_exe().unwrap())
                            .args(["one_run", "--exact", "--nocapture", "--test-threads=1"])
                            .env("LANDLOCK_TEST_CHILD", "one_run")
                            .output()
                            .unwrap();
                        let out = String::from_utf8_lossy(&output.stdout).into_owned()
                            + &String::from_utf8_lossy(&output.stderr);
                        (!output.status.success() || !out.contains("1 passed")).then_some(out)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of 100 runs failed:\n{}",
        failures.len(),
        failures[0]
    );
}

#[test]
fn one_run() {
    // One repetition of the scenario above, when run as its child.
    if std::env::var("LANDLOCK_TEST_CHILD").as_deref() != Ok("one_run") {
        return;
    }
    let running = start_four_threads();
    let policy = Policy::builder("t").process().build().unwrap();
    let status = policy.enforce_all_threads().unwrap();
    assert_eq!(status.level, level_at(kernel_abi()), "{status}");
    let seen = running.finish();
    assert_eq!(seen.len(), 5);
    assert!(
        seen.iter().all(|(_, e)| *e == Some(libc::EACCES)),
        "{seen:?}"
    );
}

mod app {
    use landlock_runtime::sandbox;

    /// `#[sandbox]` written ABOVE `#[tokio::main]`: the macro moves itself below it, so the
    /// policy is enforced before the runtime starts. Named `main`, it covers every thread.
    #[sandbox(read = "/usr")]
    #[tokio::main(flavor = "multi_thread", worker_threads = 4)]
    pub async fn main() -> Vec<Option<i32>> {
        let tasks: Vec<_> = (0..16)
            .map(|_| tokio::spawn(async { super::open_errno(super::DENIED) }))
            .collect();
        let mut seen = Vec::new();
        for t in tasks {
            seen.push(t.await.unwrap());
        }
        seen.push(
            tokio::task::spawn_blocking(|| super::open_errno(super::DENIED))
                .await
                .unwrap(),
        );
        seen
    }
}

#[test]
fn sandbox_above_tokio_main_covers_every_runtime_thread() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "sandbox_above_tokio_main_covers_every_runtime_thread",
        || {
            let running = start_four_threads();
            let seen = app::main();
            assert_eq!(seen, vec![Some(libc::EACCES); 17]);
            assert!(
                running
                    .finish()
                    .iter()
                    .all(|(_, e)| *e == Some(libc::EACCES))
            );
            let policies = landlock_runtime::policies();
            let main = policies
                .iter()
                .find(|p| p.origin().function() == "all_threads::app::main")
                .unwrap();
            assert!(main.is_process_wide());
        },
    );
}

#[test]
fn a_thread_blocked_in_poll_is_restricted_and_its_poll_is_interrupted() {
    if !landlock_or_skip() {
        return;
    }
    if landlock_runtime::kernel_abi() >= 8 {
        // The kernel restricts every thread at once: no signal, nothing interrupted.
        support::say_skipped("this kernel restricts all threads without a signal (ABI 8)");
        return;
    }
    in_child(
        "a_thread_blocked_in_poll_is_restricted_and_its_poll_is_interrupted",
        || {
            let (reader, _writer) = UnixStream::pair().unwrap();
            let (tx, rx) = mpsc::channel();
            let waiting = thread::spawn(move || {
                use std::os::fd::AsRawFd;
                let mut fd = libc::pollfd {
                    fd: reader.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one valid pollfd; no timeout.
                let ready = unsafe { libc::poll(&mut fd, 1, -1) };
                let errno = std::io::Error::last_os_error().raw_os_error();
                tx.send((ready, errno, open_errno(DENIED))).unwrap();
            });
            thread::sleep(Duration::from_millis(50));
            let policy = Policy::builder("t").process().build().unwrap();
            let status = policy.enforce_all_threads().unwrap();
            assert_eq!(status.level, level_at(kernel_abi()), "{status}");
            // Before ABI 8 each thread restricts itself from a signal handler. poll (like
            // epoll_wait, select, or nanosleep called directly) is never restarted after a
            // handler, SA_RESTART or not: it returns EINTR, as for any signal, and the
            // application must retry it. The thread is restricted all the same.
            let seen = rx
                .recv_timeout(Duration::from_secs(5))
                .expect("poll returned");
            assert_eq!(seen, (-1, Some(libc::EINTR), Some(libc::EACCES)));
            waiting.join().unwrap();
        },
    );
}

/// Set by the constructor below in the child of the test that needs it.
static BEFORE_MAIN_TID: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);
static BEFORE_MAIN_GO: AtomicBool = AtomicBool::new(false);
/// -1 until the thread has tried; then the errno of its open (0: it succeeded).
static BEFORE_MAIN_SEEN: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

const BEFORE_MAIN: &str = "a_thread_started_before_main_is_restricted";

/// A thread started before `main`, as a library's initialiser might (an `.init_array`
/// constructor), in the child process of the test below only.
#[used]
#[unsafe(link_section = ".init_array")]
static START_A_THREAD_BEFORE_MAIN: extern "C" fn() = start_a_thread_before_main;

extern "C" fn start_a_thread_before_main() {
    if std::env::var("LANDLOCK_TEST_CHILD").as_deref() != Ok(BEFORE_MAIN) {
        return;
    }
    thread::spawn(|| {
        // SAFETY: gettid has no arguments and cannot fail.
        let tid = unsafe { libc::syscall(libc::SYS_gettid) } as i32;
        BEFORE_MAIN_TID.store(tid, Ordering::SeqCst);
        while !BEFORE_MAIN_GO.load(Ordering::SeqCst) {
            thread::sleep(Duration::from_millis(1));
        }
        BEFORE_MAIN_SEEN.store(open_errno(DENIED).unwrap_or(0), Ordering::SeqCst);
    });
}

mod program {
    use landlock_runtime::sandbox;

    /// A sandboxed `main`: named so, it covers every thread of the process.
    #[sandbox(read = "/usr")]
    pub fn main() {}
}

#[test]
fn a_thread_started_before_main_is_restricted() {
    if !landlock_or_skip() {
        return;
    }
    in_child(BEFORE_MAIN, || {
        let started = std::time::Instant::now();
        while BEFORE_MAIN_TID.load(Ordering::SeqCst) == 0 {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "the thread started before main runs"
            );
            thread::sleep(Duration::from_millis(1));
        }
        program::main();
        BEFORE_MAIN_GO.store(true, Ordering::SeqCst);
        while BEFORE_MAIN_SEEN.load(Ordering::SeqCst) == -1 {
            thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(BEFORE_MAIN_SEEN.load(Ordering::SeqCst), libc::EACCES);
    });
}

/// Signals that reached the application's own handler.
static APP_SIGNALS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

extern "C" fn app_handler(_: libc::c_int) {
    APP_SIGNALS.fetch_add(1, Ordering::SeqCst);
}

/// Installs the application's own handler on `sig`.
fn install_app_handler(sig: i32) {
    // SAFETY: a plain handler that only touches an atomic; a fully initialised struct.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = app_handler as *const () as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(libc::sigaction(sig, &action, std::ptr::null_mut()), 0);
    }
}

/// The real-time signals whose handler is neither the default nor the application's.
fn taken_by_the_library() -> Vec<i32> {
    (libc::SIGRTMIN()..=libc::SIGRTMAX())
        .filter(|&sig| {
            // SAFETY: zeroed is a valid sigaction to read into.
            let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
            // SAFETY: reads the current disposition only.
            unsafe { libc::sigaction(sig, std::ptr::null(), &mut old) };
            old.sa_sigaction != libc::SIG_DFL
                && old.sa_sigaction != app_handler as *const () as libc::sighandler_t
        })
        .collect()
}

#[test]
fn the_applications_own_signal_handlers_are_left_alone() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "the_applications_own_signal_handlers_are_left_alone",
        || {
            // The application already uses the first two real-time signals.
            install_app_handler(libc::SIGRTMIN());
            install_app_handler(libc::SIGRTMIN() + 1);
            let running = start_four_threads();
            let first = Policy::builder("first")
                .read("/proc")
                .process()
                .build()
                .unwrap();
            assert_eq!(
                first.enforce_all_threads().unwrap().level,
                level_at(kernel_abi())
            );
            let taken = taken_by_the_library();
            assert_eq!(taken.len(), 1, "{taken:?}");
            assert!(taken[0] > libc::SIGRTMIN() + 1, "{taken:?}");
            // Later the application claims that one too: the next job takes another free signal
            // rather than competing with the application for it.
            install_app_handler(taken[0]);
            let second = Policy::builder("second")
                .read("/proc")
                .process()
                .build()
                .unwrap();
            assert_eq!(
                second.enforce_all_threads().unwrap().level,
                level_at(kernel_abi())
            );
            let now = taken_by_the_library();
            assert_eq!(now.len(), 1, "{now:?}");
            assert_ne!(now[0], taken[0]);
            assert_eq!(
                APP_SIGNALS.load(Ordering::SeqCst),
                0,
                "no signal reached the application"
            );
            assert!(
                running
                    .finish()
                    .iter()
                    .all(|(_, e)| *e == Some(libc::EACCES))
            );
        },
    );
}
