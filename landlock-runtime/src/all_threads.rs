//! Restricting every thread of the process, on kernels without Landlock's all-threads flag.
//!
//! Landlock restricts the calling thread only. Before ABI 8 the other threads must each
//! restrict themselves, so, as libpsx and Go's `AllThreadsSyscall` do for other calls, the
//! calling thread signals every task listed in `/proc/self/task`, and a signal handler that
//! makes only async-signal-safe system calls (`gettid`, `prctl`, `landlock_restrict_self`)
//! restricts the thread it interrupts and records the result in a lock-free slot. The caller
//! restricts itself last, once it no longer needs to read `/proc`.
//!
//! The corner cases, and what is done about each:
//! - **Threads created meanwhile** by threads not yet restricted: the task list is read again
//!   after each round, and new tasks get a round of their own, until none is left or the
//!   deadline passes.
//! - **Threads that exit mid-way** (`tgkill` says ESRCH, or the task is gone when the round
//!   ends) are not counted as uncovered: they no longer run.
//! - **Threads that block the signal** (seen in `/proc/self/task/TID/status`) are not waited
//!   for; they are reported as uncovered. A handler that runs late, after the round, finds no
//!   job and does nothing, so a late signal never applies a stale ruleset.
//! - **The application's own signals**: the first real-time signal whose disposition is still
//!   the default is taken, so a handler the application installed is never replaced; if the
//!   application later claims the signal taken, the next job takes another. The handler stays
//!   installed for the life of the process, because a late-delivered real-time signal with the
//!   default disposition would kill it.
//! - **Fork**: the job is guarded by a lock that records the owning process; a child forked
//!   while a job ran in its parent does not inherit a lock that nobody will release.
//! - **Bounded in time**: each job stops after [`DEADLINE`]; threads not answered by then are
//!   reported as uncovered.

use std::collections::BTreeSet;
use std::io;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::status::{ThreadCoverage, Uncovered};

/// How long one all-threads enforcement may take before the threads that have not answered
/// are reported as uncovered.
pub const DEADLINE: Duration = Duration::from_secs(2);

/// How long a thread that blocks the signal is waited for: long enough for a thread being
/// started (which blocks every signal while it is set up) to unblock.
const BLOCKED_GRACE: Duration = Duration::from_millis(100);

/// Threads handled per round; more are handled in further rounds.
const SLOTS: usize = 512;

/// A slot's result before the thread answers.
const PENDING: i32 = i32::MIN;
/// A slot's result once the thread restricted itself.
const DONE: i32 = 0;

struct Slot {
    tid: AtomicI32,
    /// `PENDING`, `DONE`, or the errno of the failed call.
    result: AtomicI32,
}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY_SLOT: Slot = Slot {
    tid: AtomicI32::new(0),
    result: AtomicI32::new(PENDING),
};

static JOB_SLOTS: [Slot; SLOTS] = [EMPTY_SLOT; SLOTS];
/// Slots in use by the current round.
static JOB_LEN: AtomicUsize = AtomicUsize::new(0);
/// The ruleset of the current job; -1 when there is none.
static JOB_FD: AtomicI32 = AtomicI32::new(-1);
/// Answers so far, for the waiting thread to sleep on (a futex word).
static ANSWERS: AtomicU32 = AtomicU32::new(0);
/// The longest the waiting thread sleeps before it looks for threads that exited.
const POLL: Duration = Duration::from_millis(1);

/// Wakes the thread waiting on `word`. A raw system call: async-signal-safe.
fn futex_wake(word: &AtomicU32) {
    // SAFETY: FUTEX_WAKE on a valid, aligned word of this process.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
            i32::MAX,
        );
    }
}

/// Sleeps until `word` is no longer `seen`, a wake-up, or `timeout`.
fn futex_wait(word: &AtomicU32, seen: u32, timeout: Duration) {
    let timeout = libc::timespec {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    };
    // SAFETY: FUTEX_WAIT on a valid, aligned word, with a valid relative timeout.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
            seen,
            &timeout as *const libc::timespec,
        );
    }
}

/// The process that holds the job lock (0: free).
static JOB_OWNER: AtomicI32 = AtomicI32::new(0);

/// The signal used to reach other threads, with the handler installed on it.
///
/// The first real-time signal whose disposition is still the default is taken, so a handler the
/// application installed is never replaced. If the application later installs its own handler on
/// the signal taken, the next job takes another free one instead of competing for it.
fn signal() -> io::Result<i32> {
    static SIGNAL: AtomicI32 = AtomicI32::new(0);
    static CHOOSING: Mutex<()> = Mutex::new(());
    let ours = handler as *const () as libc::sighandler_t;
    let disposition = |sig: i32| -> Option<libc::sighandler_t> {
        // SAFETY: sigaction with a null new action only reads the current one into a zeroed,
        // properly sized struct.
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        (unsafe { libc::sigaction(sig, std::ptr::null(), &mut old) } == 0)
            .then_some(old.sa_sigaction)
    };
    let _choosing = CHOOSING.lock().unwrap_or_else(|e| e.into_inner());
    let sig = SIGNAL.load(Ordering::Acquire);
    if sig != 0 && disposition(sig) == Some(ours) {
        return Ok(sig);
    }
    for sig in libc::SIGRTMIN()..=libc::SIGRTMAX() {
        if disposition(sig) != Some(libc::SIG_DFL) {
            continue;
        }
        // SAFETY: the handler is an `extern "C" fn(c_int)` that only makes async-signal-safe
        // calls; the struct is fully initialised.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = ours;
        action.sa_flags = libc::SA_RESTART | libc::SA_ONSTACK;
        unsafe { libc::sigemptyset(&mut action.sa_mask) };
        if unsafe { libc::sigaction(sig, &action, std::ptr::null_mut()) } == 0 {
            SIGNAL.store(sig, Ordering::Release);
            return Ok(sig);
        }
    }
    Err(io::Error::other(
        "no free real-time signal to reach the other threads",
    ))
}

/// Runs in the interrupted thread: restricts it with the job's ruleset and records the result.
/// Only atomics and raw, async-signal-safe system calls; `errno` is preserved.
extern "C" fn handler(_: libc::c_int) {
    // SAFETY: __errno_location returns this thread's errno; the calls are plain system calls
    // on integers.
    unsafe {
        let errno = libc::__errno_location();
        let saved = *errno;
        let fd = JOB_FD.load(Ordering::Acquire);
        if fd >= 0 {
            let tid = libc::syscall(libc::SYS_gettid) as i32;
            let len = JOB_LEN.load(Ordering::Acquire).min(SLOTS);
            if let Some(slot) = JOB_SLOTS[..len]
                .iter()
                .find(|s| s.tid.load(Ordering::Acquire) == tid)
            {
                let result = if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                    || libc::syscall(libc::SYS_landlock_restrict_self, fd, 0u32) != 0
                {
                    *errno
                } else {
                    DONE
                };
                if slot
                    .result
                    .compare_exchange(PENDING, result, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    ANSWERS.fetch_add(1, Ordering::Release);
                    futex_wake(&ANSWERS);
                }
            }
        }
        *errno = saved;
    }
}

/// The job lock, released on drop. A lock held by another process (the parent this one was
/// forked from) is stale and taken over.
struct JobLock;

impl JobLock {
    fn acquire() -> JobLock {
        let me = std::process::id() as i32;
        loop {
            match JOB_OWNER.compare_exchange(0, me, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return JobLock,
                Err(owner) if owner != me => {
                    if JOB_OWNER
                        .compare_exchange(owner, me, Ordering::AcqRel, Ordering::Acquire)
                        .is_ok()
                    {
                        return JobLock;
                    }
                }
                Err(_) => std::thread::sleep(Duration::from_micros(100)),
            }
        }
    }
}

impl Drop for JobLock {
    fn drop(&mut self) {
        JOB_FD.store(-1, Ordering::Release);
        JOB_LEN.store(0, Ordering::Release);
        JOB_OWNER.store(0, Ordering::Release);
    }
}

fn gettid() -> i32 {
    // SAFETY: gettid has no arguments and cannot fail.
    unsafe { libc::syscall(libc::SYS_gettid) as i32 }
}

/// The thread ids of the process.
fn tasks() -> io::Result<BTreeSet<i32>> {
    let mut tids = BTreeSet::new();
    let dir = std::fs::read_dir("/proc/self/task").map_err(|e| {
        if e.kind() == io::ErrorKind::PermissionDenied {
            io::Error::new(
                e.kind(),
                "listing the threads of this process needs /proc/self/task, which a sandbox already in force on this thread denies; enforce the policy on every thread before any sandbox that denies /proc",
            )
        } else {
            e
        }
    })?;
    for entry in dir {
        if let Some(tid) = entry?.file_name().to_str().and_then(|s| s.parse().ok()) {
            tids.insert(tid);
        }
    }
    Ok(tids)
}

/// Whether thread `tid` blocks `sig`, from its `SigBlk` line.
fn blocks(tid: i32, sig: i32) -> bool {
    std::fs::read_to_string(format!("/proc/self/task/{tid}/status"))
        .ok()
        .and_then(|status| {
            let mask = status.lines().find_map(|l| l.strip_prefix("SigBlk:"))?;
            u64::from_str_radix(mask.trim(), 16).ok()
        })
        .is_some_and(|mask| mask & (1u64 << (sig - 1)) != 0)
}

fn alive(tid: i32) -> bool {
    std::path::Path::new(&format!("/proc/self/task/{tid}")).exists()
}

/// The threads that block the signal and still do after the grace period, as uncovered.
pub(crate) fn blocked_coverage() -> io::Result<ThreadCoverage> {
    let me = gettid();
    let sig = signal()?;
    let mut blocking: Vec<i32> = tasks()?
        .into_iter()
        .filter(|&tid| tid != me && blocks(tid, sig))
        .collect();
    let started = Instant::now();
    while !blocking.is_empty() && started.elapsed() < BLOCKED_GRACE {
        std::thread::sleep(Duration::from_millis(1));
        blocking.retain(|&tid| blocks(tid, sig));
    }
    Ok(ThreadCoverage {
        restricted: 0,
        uncovered: blocking
            .into_iter()
            .map(|tid| (tid, Uncovered::BlocksSignal))
            .collect(),
    })
}

/// The number of threads of the process.
pub(crate) fn thread_count() -> io::Result<usize> {
    Ok(tasks()?.len())
}

/// Has every thread of the process but the caller restrict itself with the ruleset `fd`. The
/// caller restricts itself afterwards, and must start no thread meanwhile.
pub(crate) fn restrict_other_threads(fd: i32) -> io::Result<ThreadCoverage> {
    let me = gettid();
    let mut seen: BTreeSet<i32> = BTreeSet::from([me]);
    let mut coverage = ThreadCoverage::default();
    let first = tasks()?;
    if first.len() <= 1 {
        return Ok(coverage);
    }
    let sig = signal()?;
    let _lock = JobLock::acquire();
    let deadline = Instant::now() + DEADLINE;
    let pid = std::process::id() as i32;
    let mut pending: Vec<i32> = first.into_iter().filter(|t| *t != me).collect();
    while !pending.is_empty() {
        for batch in pending.chunks(SLOTS) {
            JOB_FD.store(-1, Ordering::Release);
            let mut targets = Vec::with_capacity(batch.len());
            for &tid in batch {
                seen.insert(tid);
                targets.push(tid);
            }
            for (slot, &tid) in JOB_SLOTS.iter().zip(&targets) {
                slot.tid.store(tid, Ordering::Release);
                slot.result.store(PENDING, Ordering::Release);
            }
            JOB_LEN.store(targets.len(), Ordering::Release);
            JOB_FD.store(fd, Ordering::Release);
            let mut exited = vec![false; targets.len()];
            for (i, &tid) in targets.iter().enumerate() {
                // SAFETY: tgkill on ids of this process; the handler is installed.
                if unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, sig) } != 0 {
                    let errno = io::Error::last_os_error().raw_os_error().unwrap_or(0);
                    if errno == libc::ESRCH {
                        exited[i] = true;
                    } else {
                        JOB_SLOTS[i].result.store(-errno, Ordering::Release);
                    }
                }
            }
            let answered = |i: usize| JOB_SLOTS[i].result.load(Ordering::Acquire) != PENDING;
            // A thread that blocks the signal gets it when it unblocks: a thread being born
            // does, briefly. One that still blocks it after the grace period is not waited for.
            let started = Instant::now();
            let waiting = |exited: &[bool], i: usize, tid: i32| {
                !exited[i]
                    && !answered(i)
                    && (started.elapsed() < BLOCKED_GRACE || !blocks(tid, sig))
            };
            let mut checked = Instant::now();
            loop {
                // Read before looking, so that an answer arriving in between ends the wait.
                let answers = ANSWERS.load(Ordering::Acquire);
                if Instant::now() >= deadline
                    || !targets
                        .iter()
                        .enumerate()
                        .any(|(i, &tid)| waiting(&exited, i, tid))
                {
                    break;
                }
                futex_wait(&ANSWERS, answers, POLL);
                // A thread that exits before handling the signal never answers.
                if checked.elapsed() >= POLL {
                    for (i, &tid) in targets.iter().enumerate() {
                        if !exited[i] && !answered(i) && !alive(tid) {
                            exited[i] = true;
                        }
                    }
                    checked = Instant::now();
                }
            }
            JOB_FD.store(-1, Ordering::Release);
            for (i, &tid) in targets.iter().enumerate() {
                match JOB_SLOTS[i].result.load(Ordering::Acquire) {
                    _ if exited[i] => {}
                    DONE => coverage.restricted += 1,
                    PENDING if !alive(tid) => {}
                    PENDING if blocks(tid, sig) => {
                        coverage.uncovered.push((tid, Uncovered::BlocksSignal))
                    }
                    PENDING => coverage.uncovered.push((tid, Uncovered::NoAnswer)),
                    e if e < 0 => coverage.uncovered.push((tid, Uncovered::NotSignalled(-e))),
                    e => coverage.uncovered.push((tid, Uncovered::Failed(e))),
                }
            }
        }
        // Threads started meanwhile by threads that were not yet restricted.
        pending = tasks()?.into_iter().filter(|t| !seen.contains(t)).collect();
        if Instant::now() >= deadline {
            coverage
                .uncovered
                .extend(pending.iter().map(|&tid| (tid, Uncovered::NoAnswer)));
            break;
        }
    }
    Ok(coverage)
}
