//! While an every-thread enforcement waits for threads that have not answered, the threads that
//! have answered wait in their handlers, leaving the processors to the others; they go back to
//! their own code when the job ends, when the threads left may need a lock one of them holds,
//! or when the job itself stops getting on (it may need such a lock).
//!
//! Each scenario runs in a child process of its own, and holds its threads deterministically:
//! in `vfork` (an uninterruptible wait), on a lock, or behind a gate in the allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use landlock_runtime::{Level, Policy};

mod support;
use support::{in_child, landlock_or_skip};

/// A path no policy here grants.
const DENIED: &str = "/etc/hostname";

/// Whether opening `DENIED` is refused as the policy says (EACCES).
fn denied() -> bool {
    std::fs::File::open(DENIED)
        .err()
        .is_some_and(|e| e.raw_os_error() == Some(libc::EACCES))
}

fn policy(name: &str) -> Policy {
    Policy::builder(name)
        .read("/usr")
        .process()
        .build()
        .unwrap()
}

fn gettid() -> i32 {
    // SAFETY: gettid has no arguments and cannot fail.
    unsafe { libc::gettid() }
}

/// The thread holding the allocator's gate (0: open): any other thread that allocates waits,
/// as it would for a lock of the C library's allocator held by a thread interrupted in it.
static GATE: AtomicI32 = AtomicI32::new(0);

struct Gated;

// SAFETY: every call is passed to the system allocator, after waiting for the gate.
unsafe impl GlobalAlloc for Gated {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        loop {
            let holder = GATE.load(Ordering::Acquire);
            if holder == 0 || holder == gettid() {
                break;
            }
            std::hint::spin_loop();
        }
        // SAFETY: the layout is the caller's, as GlobalAlloc::alloc requires.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: ptr was allocated by System with this layout (alloc above).
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Gated = Gated;

/// Blocks (`how` = `SIG_BLOCK`) or unblocks the real-time signals on the calling thread.
fn real_time_signals(how: libc::c_int) {
    // SAFETY: a sigset built with the C library's functions, applied to this thread only.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in libc::SIGRTMIN()..=libc::SIGRTMAX() {
            libc::sigaddset(&mut set, sig);
        }
        libc::pthread_sigmask(how, &set, std::ptr::null_mut());
    }
}

/// Whether a real-time signal is pending for the calling thread itself, by its `SigPnd`.
fn real_time_signal_pending() -> bool {
    let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
    let pending = status
        .lines()
        .find_map(|l| l.strip_prefix("SigPnd:"))
        .map(|v| u64::from_str_radix(v.trim(), 16).unwrap())
        .unwrap();
    pending >> (libc::SIGRTMIN() - 1) != 0
}

/// What the busy thread has counted, and what the `vfork` child saw of it, 200 ms apart.
static SPINS: AtomicU64 = AtomicU64::new(0);
static SEEN: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];

fn sleep_raw(ms: u64) {
    let time = libc::timespec {
        tv_sec: 0,
        tv_nsec: (ms * 1_000_000) as libc::c_long,
    };
    // SAFETY: a raw nanosleep on a valid timespec: no allocation, no lock (the vfork child
    // shares the memory of the thread that started it).
    unsafe {
        libc::syscall(
            libc::SYS_nanosleep,
            &time,
            std::ptr::null_mut::<libc::timespec>(),
        )
    };
}

/// The `vfork` child: after 300 ms (the job has started, and the busy thread answered), reads
/// the busy thread's count, again 200 ms later, and ends.
extern "C" fn watch(_: *mut libc::c_void) -> libc::c_int {
    sleep_raw(300);
    SEEN[0].store(SPINS.load(Ordering::SeqCst), Ordering::SeqCst);
    sleep_raw(200);
    SEEN[1].store(SPINS.load(Ordering::SeqCst), Ordering::SeqCst);
    0
}

/// Holds the calling thread in `vfork` (an uninterruptible wait, in which a signal waits)
/// while a child sharing its memory runs [`watch`].
fn held_in_vfork() {
    let mut stack = vec![0u8; 256 * 1024];
    // SAFETY: the top of a live buffer, aligned down to 16 bytes, as the child's stack; the
    // parent waits in clone until the child ends (CLONE_VFORK), then reaps it.
    unsafe {
        let top = stack.as_mut_ptr().add(stack.len());
        let top = top.sub(top as usize % 16);
        let pid = libc::clone(
            watch,
            top.cast(),
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            std::ptr::null_mut(),
        );
        assert!(pid > 0, "clone: {}", std::io::Error::last_os_error());
        let mut status = 0;
        assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
    }
}

#[test]
fn threads_that_answered_wait_while_another_waits_for_the_kernel() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "threads_that_answered_wait_while_another_waits_for_the_kernel",
        || {
            let stop = Arc::new(AtomicBool::new(false));
            let running = stop.clone();
            let busy = thread::spawn(move || {
                while !running.load(Ordering::Relaxed) {
                    SPINS.fetch_add(1, Ordering::SeqCst);
                }
                denied()
            });
            let (ready, is_ready) = mpsc::channel();
            let held = thread::spawn(move || {
                ready.send(()).unwrap();
                held_in_vfork();
                denied()
            });
            is_ready.recv().unwrap();
            thread::sleep(Duration::from_millis(20));
            let policy = policy("parking::kernel");
            let started = Instant::now();
            let status = policy.enforce().unwrap();
            let elapsed = started.elapsed();
            stop.store(true, Ordering::Relaxed);
            assert_eq!(status.level, Level::Full, "{status}");
            // The job waited for the held thread, which answered once its child ended.
            assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
            let (before, after) = (
                SEEN[0].load(Ordering::SeqCst),
                SEEN[1].load(Ordering::SeqCst),
            );
            assert!(before > 0, "the busy thread never ran");
            assert_eq!(
                before, after,
                "the busy thread ran on while the job waited for the held one"
            );
            assert!(busy.join().unwrap() && held.join().unwrap() && denied());
        },
    );
}

#[test]
fn a_thread_waiting_in_its_handler_goes_back_when_the_job_needs_its_lock() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "a_thread_waiting_in_its_handler_goes_back_when_the_job_needs_its_lock",
        || {
            let (ready, is_ready) = mpsc::channel();
            let holder = thread::spawn(move || {
                // The job's signal is taken only once the gate is held: the handler then runs,
                // and waits, while every other thread that allocates (the job) waits for it.
                real_time_signals(libc::SIG_BLOCK);
                ready.send(()).unwrap();
                while !real_time_signal_pending() {
                    thread::sleep(Duration::from_millis(1));
                }
                GATE.store(gettid(), Ordering::Release);
                real_time_signals(libc::SIG_UNBLOCK);
                // Back from the handler, restricted: the gate opens.
                let restricted = denied();
                GATE.store(0, Ordering::Release);
                restricted
            });
            is_ready.recv().unwrap();
            let policy = policy("parking::lock");
            let started = Instant::now();
            let status = policy.enforce().unwrap();
            let elapsed = started.elapsed();
            assert_eq!(status.level, Level::Full, "{status}");
            assert!(elapsed < Duration::from_secs(1), "{elapsed:?}");
            assert!(holder.join().unwrap() && denied());
        },
    );
}

#[test]
fn a_thread_waiting_in_its_handler_goes_back_when_an_exiting_thread_needs_its_lock() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "a_thread_waiting_in_its_handler_goes_back_when_an_exiting_thread_needs_its_lock",
        || {
            let lock = Arc::new(Mutex::new(()));
            let (ready, is_ready) = mpsc::channel();
            let (held, holding) = (lock.clone(), ready.clone());
            let holder = thread::spawn(move || {
                let _guard = held.lock().unwrap();
                holding.send(()).unwrap();
                // Busy until its handler restricted it: the lock is held all along.
                while !denied() {
                    std::hint::spin_loop();
                }
                true
            });
            // The lock is held before the waiter starts.
            is_ready.recv().unwrap();
            let waiter = thread::spawn(move || {
                // glibc's mask for a thread on its way out: every signal but SIGSETXID (33),
                // SIGCANCEL (32) included, as only the C library sets it. The job waits for
                // such a thread, which may need a lock (glibc's stack cache's, say).
                let exiting: u64 = !(1 << 32);
                let mut before: u64 = 0;
                // SAFETY: raw rt_sigprocmask on this thread with 8-byte sets, as the kernel
                // takes them.
                unsafe {
                    libc::syscall(
                        libc::SYS_rt_sigprocmask,
                        libc::SIG_SETMASK,
                        &exiting,
                        &mut before,
                        8,
                    );
                }
                ready.send(()).unwrap();
                drop(lock.lock().unwrap());
                // SAFETY: as above; the job's signal, pending, is taken here.
                unsafe {
                    libc::syscall(
                        libc::SYS_rt_sigprocmask,
                        libc::SIG_SETMASK,
                        &before,
                        std::ptr::null_mut::<u64>(),
                        8,
                    );
                }
                denied()
            });
            is_ready.recv().unwrap();
            thread::sleep(Duration::from_millis(50));
            let policy = policy("parking::exiting");
            let started = Instant::now();
            let status = policy.enforce().unwrap();
            let elapsed = started.elapsed();
            assert_eq!(status.level, Level::Full, "{status}");
            assert!(elapsed < Duration::from_secs(1), "{elapsed:?}");
            let (holder, waiter) = (holder.join().unwrap(), waiter.join().unwrap());
            assert!(holder && waiter && denied(), "{holder} {waiter} {status:?}");
        },
    );
}
