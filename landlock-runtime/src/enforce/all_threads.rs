//! Restricting every thread of the process, on kernels without Landlock's all-threads flag.
//!
//! Landlock restricts the calling thread only. Before ABI 8 the other threads must each
//! restrict themselves, so, as libpsx and Go's `AllThreadsSyscall` do for other calls, the
//! calling thread runs a [`Job`]: it lists the threads in `/proc/self/task`, publishes the
//! job, signals every other thread, waits for the answers, and collects them. A signal handler
//! that makes only async-signal-safe system calls restricts the thread it interrupts and
//! answers in a lock-free slot. The caller restricts itself last, once it no longer needs
//! `/proc`.
//!
//! What the report may claim, and how each corner case is kept to it:
//! - **Answers belong to one round.** Each round of a job has a generation, published with the
//!   job's own ruleset descriptor in one atomic word; every slot is tagged with the generation,
//!   and an answer is taken only by a slot of the same generation. A handler that finishes
//!   late (its thread was held in `landlock_restrict_self`, by a debugger or a seccomp
//!   supervisor, or just preempted) cannot answer for a later round, nor for another thread.
//! - **The ruleset a late handler applies is its own job's.** The job restricts with a
//!   duplicate of the ruleset descriptor; when the job ends while a handler may still run, the
//!   duplicate is kept open (retired) instead of closed, so its number cannot be reused by
//!   another file meanwhile. A late handler thus applies the ruleset of the job that signalled
//!   it; the job has already reported that thread as not restricted, which claims less, never
//!   more.
//! - **Thread ids from another PID namespace.** When `/proc` belongs to an ancestor PID
//!   namespace (a process under `unshare --pid --fork` without its own `/proc`), the ids it
//!   lists are not this process's: each is translated through the `NSpid` line of the thread's
//!   status. When the listing cannot be tied to this process at all (the caller's own id is not
//!   in it, and no translation is possible), the other threads are reported unreachable;
//!   `strict` refuses before restricting anything.
//! - **Threads that exit** while the job runs are counted as exited, not as uncovered: they
//!   never run code again. A thread on its way out blocks every signal; it is waited for (within
//!   the deadline) until `/proc` says it is gone, never guessed.
//! - **Threads being born** block every signal while the C library sets them up; their signal
//!   is delivered when the mask is restored, before any of their own code runs, and the job
//!   waits for the answer. glibc's masks for a thread being born or exiting block its own
//!   internal signal, which an application cannot block through the C library: such a mask is
//!   waited for. musl's block the application's signals only, as an application's own mask
//!   does; any mask that blocks the job's signal is taken to be on purpose once it has lasted
//!   [`BLOCKED_GRACE`] while its thread slept or ran ([`BLOCKED_CPU`] of processor time). A C
//!   library's passing mask lasts microseconds of its thread's time; a thread that only waits
//!   for a processor meanwhile is waited for until the deadline.
//! - **Threads started meanwhile.** The task list is read again after each round. A thread
//!   started by a thread that had restricted itself inherits the restriction; one started
//!   before its starter restricted itself does not. Which is which is read from the kernel's
//!   thread id counter of the PID namespace (`ns_last_pid`), which gives out ids in order: each
//!   handler reads it before it restricts its thread, so every thread the target started
//!   before has an id up to that value, every thread it starts afterwards a greater one. A new
//!   thread is reached with a round of its own when its id falls in the window of a thread
//!   that may have started it unrestricted: from the starter's id to the counter it read (a
//!   restricted thread), to the counter after it was seen gone (an exited one), or to the
//!   counter after it was last seen running (a thread reported, watched through its context
//!   switches). A window skips the ids given out while its thread provably ran no code: its
//!   processor time, read to the nanosecond at each look, did not change (0: it has not run
//!   at all), or it had glibc's exit mask. Other new threads were started by restricted
//!   threads: they are counted as such, and not signalled. The job ends with a complete
//!   listing in which no thread is to be reached; at the deadline, a new thread younger than
//!   one not reached is not counted as started restricted. The counter may wrap around
//!   `pid_max` once during a job (ids are placed by their distance from its value after the
//!   first listing); without the counter, or after a second wrap, every new thread gets a
//!   round.
//! - **Listings that are cut short**: the kernel stops a listing early when the thread it has
//!   just listed exits at that instant, so a listing is trusted only if its last thread is still
//!   there once it was read.
//! - **Thread ids reused** while the job runs (the kernel's counter wrapped around `pid_max`):
//!   a thread id seen exiting and listed again is a new thread, and, once the counter is seen
//!   to wrap, every known id is checked again.
//! - **A zombie main thread** (one that called `pthread_exit`) never runs again: it counts as
//!   exited at once instead of holding the job until its deadline.
//! - **The application's own signals**: the first real-time signal whose disposition is still
//!   the default is taken, so a handler the application installed is never replaced; if the
//!   application later claims the signal taken, the next job takes another. The handler stays
//!   installed for the life of the process, because a late-delivered real-time signal with the
//!   default disposition would kill it.
//! - **Fork**: the job lock records the owning process; a child forked while a job ran in its
//!   parent takes the lock over, with the descriptors it inherited from the job.
//! - **Bounded in time**: each job stops after [`DEADLINE`]; the threads still there that did
//!   not answer by then are reported, and so are the new threads that one of them may have
//!   started.
//! - **What is reported** is exactly the threads alive when the job ends that are not
//!   restricted, each with why; the others are counted as restricted (they answered), started
//!   restricted (by a restricted thread), or exited.
//!
//! What cannot be done from user space is documented in the README's threat model: a process
//! forked during the job by a thread not yet restricted is not restricted, and cannot be seen;
//! a thread that such a thread starts and that exits before the next listing is never seen
//! either, and a thread it starts in turn after its starter's window closed is taken for one
//! started restricted.

use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::io_uring::{IoThread, io_thread};
use crate::kernel::{errno, restrict_thread};
use crate::outcome::{ThreadCoverage, Uncovered, UncoveredThread};

/// How long one all-threads enforcement may take before the threads that have not answered
/// are reported.
pub const DEADLINE: Duration = Duration::from_secs(2);

/// How long a mask that blocks the job's signal must last, while its thread sleeps or runs,
/// before the thread is taken to block the signal on purpose (it may be about to unblock it,
/// or be a thread the C library is setting up or taking down).
const BLOCKED_GRACE: Duration = Duration::from_millis(100);

/// The processor time a thread must spend with the job's signal blocked, besides the grace
/// period, to be taken to block it on purpose while it runs. A C library sets a thread up or
/// takes it down in microseconds.
const BLOCKED_CPU: Duration = Duration::from_millis(1);

/// How often the waiting thread looks at the threads that have not answered.
const POLL: Duration = Duration::from_millis(1);

/// Threads handled per round; more are handled in further rounds.
const SLOTS: usize = 512;

/// A slot's result before its thread answers.
const PENDING: u32 = u32::MAX;
/// A slot's result while its thread's handler restricts it: it got the signal, and is
/// answering (it blocks the signal meanwhile, as any handler does).
const RUNNING: u32 = u32::MAX - 1;

/// Descriptors of finished jobs that may still be in use by a late handler.
const RETIRED: usize = 8;

/// The job's descriptor fits in the low bits of the published word, its flags above it.
const FD_BITS: u32 = 28;

/// What the job and the signal handler share. Only atomics: the handler may run at any moment,
/// on any thread, also after the job that signalled it has ended.
struct Board {
    /// The round being run: `generation << 32 | flags << FD_BITS | descriptor`; 0 when none.
    current: AtomicU64,
    /// The job's descriptor of the thread id counter (`ns_last_pid`), which each handler reads
    /// before restricting its thread (-1: none). Published before `current`.
    counter: AtomicI32,
    slots: [Slot; SLOTS],
    /// Answers so far: the futex word the waiting thread sleeps on.
    answers: AtomicU32,
    /// Handlers running now, whatever their generation. While one runs, a descriptor it may
    /// have read is not closed.
    running: AtomicU32,
    /// Descriptors of finished jobs, kept open for handlers that were still running (-1: free).
    retired: [AtomicI32; RETIRED],
    /// The process holding the job lock (0: free).
    owner: AtomicI32,
    /// The last generation given out.
    generation: AtomicU32,
    /// The policy id the current job's threads carry as their name while they restrict
    /// themselves (0: none), for attributing denials.
    mark: AtomicU64,
}

struct Slot {
    tid: AtomicI32,
    /// `generation << 32 | result`, the result being `PENDING`, `RUNNING`, or an [`answer`].
    state: AtomicU64,
}

#[allow(clippy::declare_interior_mutable_const)] // Each use makes a new slot, as meant.
const EMPTY_SLOT: Slot = Slot {
    tid: AtomicI32::new(0),
    state: AtomicU64::new(0),
};

#[allow(clippy::declare_interior_mutable_const)]
const FREE: AtomicI32 = AtomicI32::new(-1);

static BOARD: Board = Board {
    current: AtomicU64::new(0),
    counter: AtomicI32::new(-1),
    slots: [EMPTY_SLOT; SLOTS],
    answers: AtomicU32::new(0),
    running: AtomicU32::new(0),
    retired: [FREE; RETIRED],
    owner: AtomicI32::new(0),
    generation: AtomicU32::new(0),
    mark: AtomicU64::new(0),
};

fn state(generation: u32, result: u32) -> u64 {
    u64::from(generation) << 32 | u64::from(result)
}

/// The largest counter an answer carries: `pid_max` is at most 2^22.
const COUNTER_LIMIT: u32 = (1 << 23) - 2;

/// A thread's answer, as a slot's result: the errno of its restriction (0: restricted; Linux's
/// errnos are below 256) in the low byte, and above it one more than the thread id counter it
/// read before restricting itself (0: none). Always below `RUNNING`.
fn answer(errno: i32, counter: Option<u32>) -> u32 {
    let counter = counter.filter(|&c| c <= COUNTER_LIMIT).map_or(0, |c| c + 1);
    counter << 8 | (errno as u32).min(255)
}

/// The errno and the counter of an [`answer`].
fn parse_answer(result: u32) -> (i32, Option<u32>) {
    ((result & 0xff) as i32, (result >> 8).checked_sub(1))
}

/// Runs in the interrupted thread: restricts it with the published ruleset if the current
/// round has a slot for it, and answers in that slot with the thread id counter it read first.
/// Only atomics and raw, async-signal-safe system calls; `errno` is preserved.
extern "C" fn handler(_: libc::c_int) {
    let saved = errno();
    BOARD.running.fetch_add(1, Ordering::SeqCst);
    let current = BOARD.current.load(Ordering::SeqCst);
    if current != 0 {
        let generation = (current >> 32) as u32;
        let flags = (current as u32) >> FD_BITS;
        let fd = (current as u32 & ((1 << FD_BITS) - 1)) as RawFd;
        let (pending, running) = (state(generation, PENDING), state(generation, RUNNING));
        let tid = gettid();
        // The state first: its generation makes the slot's thread id the one of this round.
        let slot = BOARD.slots.iter().find(|s| {
            s.state.load(Ordering::Acquire) == pending && s.tid.load(Ordering::Relaxed) == tid
        });
        // Claimed for this round, or not at all: a slot given to another round since (the
        // generation changed) is left alone.
        if let Some(slot) = slot.filter(|s| {
            s.state
                .compare_exchange(pending, running, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        }) {
            // Before restricting: every thread this one has started has an id up to the
            // counter, every thread it starts from now on (restricted, as it will be) a
            // greater one. The descriptor is a job's, kept open while a handler runs.
            let counter = read_counter(BOARD.counter.load(Ordering::Acquire));
            let marked = BOARD.mark.load(Ordering::Acquire);
            let mark = (marked != 0).then(|| crate::audit::mark(getpid() as u32, marked));
            let errno = match restrict_thread(fd, flags, mark.as_ref()) {
                Ok(()) => 0,
                Err(errno) => errno,
            };
            // The answer goes only into a slot still of this round.
            if slot
                .state
                .compare_exchange(
                    running,
                    state(generation, answer(errno, counter)),
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                )
                .is_ok()
            {
                BOARD.answers.fetch_add(1, Ordering::Release);
                futex_wake(&BOARD.answers);
            }
        }
    }
    BOARD.running.fetch_sub(1, Ordering::SeqCst);
    // SAFETY: __errno_location returns a valid pointer to this thread's errno.
    unsafe { *libc::__errno_location() = saved };
}

/// Reads the thread id counter through `fd` (an open `ns_last_pid`): one `pread` into the
/// stack and a parse, so async-signal-safe. `None` without a descriptor or a number.
fn read_counter(fd: RawFd) -> Option<u32> {
    if fd < 0 {
        return None;
    }
    let mut buf = [0u8; 16];
    // SAFETY: pread into a local buffer of the length passed; a descriptor a job opened and
    // keeps open while a handler may run.
    let n = unsafe { libc::pread(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n <= 0 {
        return None;
    }
    parse_counter(&buf[..n as usize])
}

/// The decimal number at the start of `bytes`.
fn parse_counter(bytes: &[u8]) -> Option<u32> {
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    bytes[..digits].iter().try_fold(0u32, |n, &b| {
        n.checked_mul(10)?.checked_add(u32::from(b - b'0'))
    })
}

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

fn gettid() -> i32 {
    // SAFETY: gettid has no arguments and cannot fail.
    unsafe { libc::syscall(libc::SYS_gettid) as i32 }
}

fn getpid() -> i32 {
    // SAFETY: getpid has no arguments and cannot fail.
    unsafe { libc::getpid() }
}

/// `tgkill(getpid(), tid, sig)`; the errno on failure.
fn tgkill(tid: i32, sig: i32) -> Result<(), i32> {
    // SAFETY: a signal to a thread of this process; 0 only checks that it exists.
    if unsafe { libc::syscall(libc::SYS_tgkill, getpid(), tid, sig) } == 0 {
        Ok(())
    } else {
        Err(errno())
    }
}

/// The signal used to reach other threads, with the handler installed on it.
///
/// The first real-time signal whose disposition is still the default is taken, so a handler the
/// application installed is never replaced. If the application later installs its own handler on
/// the signal taken, the next job takes another free one instead of competing for it. Lock-free:
/// two threads choosing at once may both install the handler, which is harmless.
fn signal() -> io::Result<i32> {
    static SIGNAL: AtomicI32 = AtomicI32::new(0);
    let ours = handler as *const () as libc::sighandler_t;
    let disposition = |sig: i32| -> Option<libc::sighandler_t> {
        // SAFETY: sigaction with a null new action only reads the current one into a zeroed,
        // properly sized struct.
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        (unsafe { libc::sigaction(sig, std::ptr::null(), &mut old) } == 0)
            .then_some(old.sa_sigaction)
    };
    let sig = SIGNAL.load(Ordering::Acquire);
    if sig != 0 && disposition(sig) == Some(ours) {
        return Ok(sig);
    }
    for sig in libc::SIGRTMIN()..=libc::SIGRTMAX() {
        if disposition(sig) != Some(libc::SIG_DFL) {
            continue;
        }
        // SAFETY: zeroed is a valid sigaction; every field the kernel reads is set below.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = ours;
        action.sa_flags = libc::SA_RESTART | libc::SA_ONSTACK;
        // SAFETY: a valid sigset_t to empty.
        unsafe { libc::sigemptyset(&mut action.sa_mask) };
        // SAFETY: the handler is an `extern "C" fn(c_int)` that makes only async-signal-safe
        // calls; the struct is fully initialised.
        if unsafe { libc::sigaction(sig, &action, std::ptr::null_mut()) } == 0 {
            SIGNAL.store(sig, Ordering::Release);
            return Ok(sig);
        }
    }
    Err(io::Error::other(
        "no free real-time signal to reach the other threads",
    ))
}

/// The job lock, released on drop. A lock held by another process (the parent this one was
/// forked from, mid-job) is stale and taken over.
struct JobLock;

impl JobLock {
    fn acquire() -> JobLock {
        let me = getpid();
        loop {
            match BOARD
                .owner
                .compare_exchange(0, me, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return JobLock,
                Err(owner) if owner != me => {
                    if BOARD
                        .owner
                        .compare_exchange(owner, me, Ordering::AcqRel, Ordering::Acquire)
                        .is_ok()
                    {
                        // Forked mid-job: the parent's handlers do not run here, and the
                        // descriptors it kept for them are this process's own copies.
                        BOARD.current.store(0, Ordering::SeqCst);
                        BOARD.running.store(0, Ordering::SeqCst);
                        close_retired();
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
        BOARD.owner.store(0, Ordering::Release);
    }
}

/// Closes the descriptors kept for late handlers, if no handler runs now. Holds the job lock.
fn close_retired() {
    if BOARD.running.load(Ordering::SeqCst) != 0 {
        return;
    }
    for slot in &BOARD.retired {
        let fd = slot.swap(-1, Ordering::AcqRel);
        if fd >= 0 {
            // SAFETY: a descriptor this module duplicated and kept; nobody else owns it, and
            // no handler runs that could have read it.
            drop(unsafe { OwnedFd::from_raw_fd(fd) });
        }
    }
}

/// What `/proc/<id>/status` says of one thread.
#[derive(Clone, Copy, Debug)]
struct TaskStatus {
    /// `Z` (zombie) or `X` (dead): it will never run again.
    finished: bool,
    /// `R`: running, or waiting for a processor.
    runnable: bool,
    /// The signals it blocks (`SigBlk`), a bit per signal from 1.
    blocked: u64,
    /// Its id in this process's own PID namespace: the last of `NSpid` (None without it).
    tid: Option<i32>,
    /// How many PID namespaces `NSpid` lists (0 without it).
    namespaces: usize,
    /// Its voluntary and involuntary context switches: unchanged between two looks at a thread
    /// that was not runnable at either, it did not run in between.
    switches: Option<(u64, u64)>,
}

/// Reads the status of the thread listed as `id` (in `/proc`'s namespace); `None` when it is
/// gone.
fn task_status(id: i32) -> Option<TaskStatus> {
    parse_status(&std::fs::read_to_string(format!("/proc/self/task/{id}/status")).ok()?)
}

fn parse_status(text: &str) -> Option<TaskStatus> {
    // One pass over the lines: the job reads a status at each look at each waiting thread.
    let (mut state, mut blocked, mut ns, mut voluntary, mut involuntary) =
        (None, None, None, None, None);
    for line in text.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name {
            "State" => state = Some(value),
            "SigBlk" => blocked = u64::from_str_radix(value, 16).ok(),
            "NSpid" => ns = Some(value),
            "voluntary_ctxt_switches" => voluntary = value.parse::<u64>().ok(),
            "nonvoluntary_ctxt_switches" => involuntary = value.parse::<u64>().ok(),
            _ => {}
        }
    }
    let state = state?;
    let ns: Vec<i32> = ns
        .map(|v| {
            v.split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    Some(TaskStatus {
        finished: state.starts_with('Z') || state.starts_with('X'),
        runnable: state.starts_with('R'),
        blocked: blocked?,
        tid: ns.last().copied(),
        namespaces: ns.len(),
        switches: voluntary.zip(involuntary),
    })
}

/// The processor time thread `tid` (of this process) has had, to the nanosecond, including
/// the slice it may be running now: the same at two looks, the thread ran no code in between.
/// 0: it has not run at all since it was started. `None` once it is gone.
fn thread_cpu(tid: i32) -> Option<Duration> {
    // The kernel's clock id of a thread's processor time (MAKE_THREAD_CPUCLOCK(tid,
    // CPUCLOCK_SCHED)): the id inverted, shifted by 3, with the per-thread and sched bits.
    let clock = (!(tid as u32) << 3) as libc::clockid_t | 4 | 2;
    let mut time = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into a valid timespec; a clock of a thread of this process.
    if unsafe { libc::clock_gettime(clock, &mut time) } != 0 {
        return None;
    }
    Some(Duration::new(time.tv_sec as u64, time.tv_nsec as u32))
}

/// The C library's internal signal that glibc's masks for a thread being born or exiting
/// block and an application cannot (glibc's SIGCANCEL): its bit in a mask says the mask is
/// glibc's passing one, not the application's choice.
const LIBC_INTERNAL_SIGNAL: u32 = 32;

fn blocks(mask: u64, sig: i32) -> bool {
    mask & (1u64 << (sig - 1)) != 0
}

/// Whether a mask that blocks the job's signal is the passing one of a thread being born or
/// exiting, which will be lifted or end with the thread.
fn is_passing_mask(mask: u64) -> bool {
    blocks(mask, LIBC_INTERNAL_SIGNAL as i32)
}

/// glibc's mask for a thread on its way out, once its own function and every destructor have
/// run: every signal but SIGSETXID (33), which no application mask can match, since an
/// application cannot block SIGCANCEL (32). A thread with it starts no thread any more.
fn is_exit_mask(mask: u64) -> bool {
    blocks(mask, 32) && !blocks(mask, 33)
}

/// Whether a thread in this state blocks signal `sig` with a mask that may be its own choice
/// (not glibc's passing one).
fn blocks_as_chosen(status: &TaskStatus, sig: i32) -> bool {
    !status.finished && blocks(status.blocked, sig) && !is_passing_mask(status.blocked)
}

/// A thread seen blocking the job's signal with a mask that may be its own choice, and since
/// when.
#[derive(Clone, Copy, Debug)]
struct Blocked {
    since: Instant,
    /// Its processor time then.
    cpu: Option<Duration>,
}

impl Blocked {
    fn new(tid: i32) -> Blocked {
        Blocked {
            since: Instant::now(),
            cpu: thread_cpu(tid),
        }
    }

    /// Whether the thread, seen now in `status`, blocks the signal on purpose: its mask has
    /// lasted [`BLOCKED_GRACE`], and it now sleeps, or has run [`BLOCKED_CPU`] meanwhile. A
    /// thread that the C library is setting up or taking down does neither for that long; one
    /// that only waited for a processor is given the benefit of the doubt.
    fn on_purpose(&self, tid: i32, status: &TaskStatus) -> bool {
        if self.since.elapsed() < BLOCKED_GRACE {
            return false;
        }
        if !status.runnable {
            return true;
        }
        match (self.cpu, thread_cpu(tid)) {
            (Some(then), Some(now)) => now.saturating_sub(then) >= BLOCKED_CPU,
            _ => true,
        }
    }
}

/// How the ids of `/proc/self/task` relate to this process's own thread ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Namespace {
    /// `/proc` belongs to this process's PID namespace: the ids are the thread ids.
    Same,
    /// `/proc` belongs to an ancestor PID namespace: each id is translated through `NSpid`.
    Ancestor,
    /// The listing cannot be tied to this process's threads.
    Unknown,
}

/// One thread of a listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Listed {
    /// Its id in `/proc`, for reading its status.
    id: i32,
    /// Its thread id in this process's namespace, for signalling it.
    tid: i32,
}

/// The threads of the process, as `/proc/self/task` lists them.
struct Listing {
    threads: Vec<Listed>,
    /// The last thread listed was still there once the listing was read, so none was skipped
    /// (the kernel cuts a listing short only after a listed thread that exits meanwhile).
    complete: bool,
    namespace: Namespace,
}

/// The entries of `/proc/self/task`, read in one `getdents64` call (retried with a larger
/// buffer when one call does not hold them all), so that the kernel does not resume the
/// listing by position, which can skip a thread when another exits.
fn read_task_ids() -> io::Result<Vec<i32>> {
    read_ids(&open_task_dir()?)
}

/// The numeric entries of the directory `dir` (from its start), read in one `getdents64` call
/// (retried with a larger buffer when one call does not hold them all).
pub(crate) fn read_ids(dir: &OwnedFd) -> io::Result<Vec<i32>> {
    let mut size = 8 * 1024;
    loop {
        let mut buf = vec![0u8; size];
        let first = getdents(dir, &mut buf)?;
        let mut spare = [0u8; 512];
        if first > 0 && getdents(dir, &mut spare)? == 0 {
            return Ok(dirent_names(&buf[..first]));
        }
        if size >= 64 << 20 {
            return Err(io::Error::other("too many entries to list in one read"));
        }
        size *= 4;
        // SAFETY: lseek on a directory we own, back to its start.
        if unsafe { libc::lseek(dir.as_raw_fd(), 0, libc::SEEK_SET) } < 0 {
            return Err(io::Error::last_os_error());
        }
    }
}

fn open_task_dir() -> io::Result<OwnedFd> {
    // SAFETY: a constant C string and flags; the descriptor is owned below.
    let fd = unsafe {
        libc::open(
            c"/proc/self/task".as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        let e = io::Error::last_os_error();
        return Err(if e.kind() == io::ErrorKind::PermissionDenied {
            io::Error::new(
                e.kind(),
                "listing the threads of this process needs /proc/self/task, which a sandbox already in force on this thread denies; enforce the policy on every thread before any sandbox that denies /proc",
            )
        } else {
            e
        });
    }
    // SAFETY: a descriptor just returned by open, owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn getdents(dir: &OwnedFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: a directory descriptor and a writable buffer of the length passed.
    let n = unsafe {
        libc::syscall(
            libc::SYS_getdents64,
            dir.as_raw_fd(),
            buf.as_mut_ptr(),
            buf.len(),
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// The numeric names in a `getdents64` buffer: `d_ino` (8), `d_off` (8), `d_reclen` (2),
/// `d_type` (1), then the NUL-terminated name.
fn dirent_names(buf: &[u8]) -> Vec<i32> {
    let mut ids = Vec::new();
    let mut at = 0;
    while at + 19 <= buf.len() {
        let reclen = usize::from(u16::from_ne_bytes([buf[at + 16], buf[at + 17]]));
        if reclen == 0 || at + reclen > buf.len() {
            break;
        }
        let name = &buf[at + 19..at + reclen];
        let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
        if let Some(id) = std::str::from_utf8(name).ok().and_then(|s| s.parse().ok()) {
            ids.push(id);
        }
        at += reclen;
    }
    ids
}

impl Listing {
    /// Lists the threads; `me` is the calling thread's id, which a listing of this process
    /// contains (under its own id, or under its id in `/proc`'s namespace).
    fn read(me: i32) -> io::Result<Listing> {
        let ids = read_task_ids()?;
        if ids.len() == 1 {
            // This process's listing has the caller in it, whatever the namespace: nothing
            // else runs.
            return Ok(Listing {
                threads: vec![Listed {
                    id: ids[0],
                    tid: me,
                }],
                complete: true,
                namespace: Namespace::Same,
            });
        }
        let namespace = namespace(me, &ids);
        let threads: Vec<Listed> = match namespace {
            Namespace::Same | Namespace::Unknown => {
                ids.iter().map(|&id| Listed { id, tid: id }).collect()
            }
            Namespace::Ancestor => ids
                .iter()
                .filter_map(|&id| {
                    Some(Listed {
                        id,
                        tid: task_status(id)?.tid?,
                    })
                })
                .collect(),
        };
        // The kernel lists the threads in the order they were started, and stops early only
        // when the thread it has just listed is gone by the time it looks for the next: that
        // thread is the last one listed. If it is still there, nothing was cut.
        let complete = match (threads.last(), ids.last()) {
            (Some(last), Some(&id)) => last.id == id && tgkill(last.tid, 0).is_ok(),
            _ => false,
        };
        Ok(Listing {
            threads,
            complete,
            namespace,
        })
    }

    fn others(&self, me: i32) -> impl Iterator<Item = Listed> + '_ {
        self.threads.iter().copied().filter(move |t| t.tid != me)
    }
}

/// Ties the ids of a listing to this process's namespace, from the calling thread's own status.
fn namespace(me: i32, ids: &[i32]) -> Namespace {
    let own = std::fs::read_to_string("/proc/thread-self/status")
        .ok()
        .and_then(|text| parse_status(&text));
    match own {
        // The status has the thread's id in each namespace from `/proc`'s down to its own.
        Some(TaskStatus {
            tid: Some(tid),
            namespaces,
            ..
        }) if tid == me => {
            if namespaces == 1 {
                Namespace::Same
            } else {
                Namespace::Ancestor
            }
        }
        // Kernels before 4.1 have no NSpid: a listing with the caller's id in it is taken for
        // this namespace's.
        Some(TaskStatus { tid: None, .. }) if ids.contains(&me) => Namespace::Same,
        _ => Namespace::Unknown,
    }
}

/// The threads other than the caller that block the job's signal on purpose (see
/// [`Blocked::on_purpose`]), or all of them when the listing cannot be tied to this process:
/// what a `strict` policy refuses before restricting anything. A thread being born or exiting
/// is not among them: glibc's passing mask is recognised at once, and any C library's lasts
/// too short a time of its thread's own. A thread whose mask cannot be told apart before the
/// deadline is left to the job, which reports it if it is still there and unrestricted at the
/// end.
pub(crate) fn blocked_coverage() -> io::Result<ThreadCoverage> {
    let me = gettid();
    let sig = signal()?;
    let listing = Listing::read(me)?;
    if listing.namespace == Namespace::Unknown {
        return Ok(unreachable_coverage(&listing));
    }
    let mut watched: Vec<(Listed, Blocked)> = listing
        .others(me)
        .filter(|t| task_status(t.id).is_some_and(|s| blocks_as_chosen(&s, sig)))
        .map(|t| (t, Blocked::new(t.tid)))
        .collect();
    let mut blocking = Vec::new();
    let started = Instant::now();
    while !watched.is_empty() && started.elapsed() < DEADLINE {
        std::thread::sleep(POLL);
        watched.retain(|(t, blocked)| match task_status(t.id) {
            Some(s) if blocks_as_chosen(&s, sig) => {
                let on_purpose = blocked.on_purpose(t.tid, &s);
                if on_purpose {
                    blocking.push(*t);
                }
                !on_purpose
            }
            // Gone, or the signal can reach it: the job will.
            _ => false,
        });
    }
    Ok(ThreadCoverage {
        uncovered: blocking
            .into_iter()
            .map(|t| UncoveredThread {
                tid: t.tid,
                reason: Uncovered::BlocksSignal,
            })
            .collect(),
        ..ThreadCoverage::default()
    })
}

/// Every other thread of a listing that cannot be tied to this process, as unreachable, by the
/// ids `/proc` gives them. The caller is left out by its id in `/proc` when `/proc/thread-self`
/// tells it; otherwise one entry is taken to be the caller.
fn unreachable_coverage(listing: &Listing) -> ThreadCoverage {
    let own = std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|link| link.file_name()?.to_str()?.parse::<i32>().ok());
    let others = listing.threads.iter().filter(|t| Some(t.id) != own);
    let skip = usize::from(own.is_none_or(|own| listing.threads.iter().all(|t| t.id != own)));
    ThreadCoverage {
        uncovered: others
            .skip(skip)
            .map(|t| UncoveredThread {
                tid: t.id,
                reason: Uncovered::Unreachable,
            })
            .collect(),
        ..ThreadCoverage::default()
    }
}

/// The number of threads of the process.
pub(crate) fn thread_count() -> io::Result<usize> {
    Ok(read_task_ids()?.len())
}

/// Has every thread of the process but the caller restrict itself with `ruleset` (and
/// `landlock_restrict_self` flags `flags`, and, when `mark` is not 0, carrying it as a mark).
/// The caller restricts itself afterwards, and must start no thread meanwhile. io_uring threads
/// among those that do not answer are told apart at once (see `io_uring`): workers are
/// counted, `SQPOLL` threads (those `sq_threads` names among them) reported.
pub(crate) fn restrict_other_threads(
    ruleset: BorrowedFd<'_>,
    flags: u32,
    mark: u64,
    sq_threads: &[i32],
) -> io::Result<ThreadCoverage> {
    let me = gettid();
    let listing = Listing::read(me)?;
    if listing.namespace == Namespace::Unknown {
        return Ok(unreachable_coverage(&listing));
    }
    if listing.others(me).next().is_none() {
        return Ok(ThreadCoverage::default());
    }
    let mut job = Job::start(ruleset, flags, sq_threads)?;
    BOARD.mark.store(mark, Ordering::Release);
    // The counter after the listing the job starts from: a thread missing from that listing
    // and started before this has an id that cannot be placed after it, and gets a round.
    let mut census = Census::new(job.read_counter(), None);
    let mut listing = listing;
    let mut first = true;
    loop {
        census.look_again(&job);
        let sorted = census.sort(&listing, me, first);
        if sorted.targets.is_empty() && listing.complete {
            census.inherited = sorted.clear.len();
            break;
        }
        if job.past_deadline() {
            census.give_up(sorted);
            break;
        }
        let mut targets = sorted.targets;
        if !first {
            let before = census.order.count(job.read_counter());
            for target in &mut targets {
                target.look_idle(thread_cpu(target.listed.tid), before);
            }
            let after = census.order.count(job.read_counter());
            for target in &mut targets {
                target.looked(after);
            }
        }
        for round in targets.chunks_mut(SLOTS) {
            job.publish(round);
            job.signal(round);
            job.wait(round, &mut census.order);
            job.collect(round);
        }
        census.record(targets, job.read_counter());
        first = false;
        listing = Listing::read(me)?;
    }
    Ok(census.finish())
}

fn read_pid_max() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// What a job knows of the threads, from one round to the next, and what it will report.
struct Census {
    order: ThreadOrder,
    known: HashMap<i32, Known>,
    /// Where threads not restricted at the time may have started others (places in
    /// [`ThreadOrder`]): a new thread whose place falls in one is reached with a round.
    windows: Vec<Window>,
    /// Threads reported as not restricted: while they may run, they may start threads that
    /// are not restricted either.
    watched: Vec<Watched>,
    restricted: usize,
    exited: usize,
    inherited: usize,
    io_workers: usize,
}

/// What the job knows of a thread id.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Known {
    /// It restricted itself in this job.
    Restricted,
    /// It is not restricted, for this reason. `id` is its id in `/proc`.
    Reported { id: i32, reason: Uncovered },
    /// It is gone from `/proc`: listed again, the id belongs to a new thread.
    Gone,
    /// It has ended but is still listed: a zombie main thread, which never runs again.
    Finished,
    /// An io_uring worker: it runs no code of the program.
    IoWorker,
    /// What was known before the thread id counter wrapped: to be looked at again.
    Stale(Box<Known>),
}

impl Known {
    /// Whether a thread listed with this id needs a round.
    fn needs_a_round(&self) -> bool {
        matches!(self, Known::Gone | Known::Stale(_))
    }

    /// What is known, once no round will look again.
    fn settled(self) -> Known {
        match self {
            Known::Stale(before) => before.settled(),
            k => k,
        }
    }
}

/// The places of the threads that one thread may have started while it was not restricted:
/// after its own (it started them) up to `upto` (the counter when it restricted itself, or was
/// last seen able to start one); `None`: no end known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Window {
    after: u64,
    upto: Option<u64>,
}

impl Window {
    fn holds(&self, place: u64) -> bool {
        place > self.after && self.upto.is_none_or(|upto| place <= upto)
    }
}

/// A thread reported as not restricted, watched until the job ends.
#[derive(Debug)]
struct Watched {
    /// Its id in `/proc`.
    id: i32,
    window: Window,
    /// Its context switches when last seen, if it was not runnable then.
    idle: Option<(u64, u64)>,
    gone: bool,
}

/// The end of a window that is to hold `now` too (`None`: no end).
fn later(upto: Option<u64>, now: Option<u64>) -> Option<u64> {
    Some(upto?.max(now?))
}

/// A listing, sorted: the threads the next round reaches, and the new threads that restricted
/// threads started, with their places.
struct Sorted {
    targets: Vec<Target>,
    clear: Vec<(Listed, u64)>,
}

impl Census {
    /// A census from the counter after the first listing, and `pid_max` if known.
    fn new(origin: Option<u32>, max: Option<u64>) -> Census {
        Census {
            order: ThreadOrder::new(origin, max),
            known: HashMap::new(),
            windows: Vec::new(),
            watched: Vec::new(),
            restricted: 0,
            exited: 0,
            inherited: 0,
            io_workers: 0,
        }
    }

    /// After a listing: looks at the reported threads again. One that may have run since it
    /// was last seen may have started threads meanwhile: its window now reaches the counter as
    /// read after this look (and so after the listing). One that slept throughout (not
    /// runnable, its context switches unchanged) started none.
    fn look_again(&mut self, job: &Job) {
        let mut ran = Vec::new();
        for (i, w) in self.watched.iter_mut().enumerate() {
            if w.gone {
                continue;
            }
            match task_status(w.id) {
                Some(s) if !s.finished => {
                    let slept = !s.runnable && w.idle.is_some() && s.switches == w.idle;
                    w.idle = if s.runnable { None } else { s.switches };
                    if !slept {
                        ran.push(i);
                    }
                }
                // What it started before it went, it started before now.
                _ => {
                    w.gone = true;
                    ran.push(i);
                }
            }
        }
        let now = self.order.count(job.read_counter());
        for i in ran {
            let window = &mut self.watched[i].window;
            window.upto = later(window.upto, now);
        }
        self.after_a_wrap();
    }

    /// Sorts a listing: the threads to reach, and those that restricted threads started. On the
    /// first listing, every other thread is to be reached.
    ///
    /// A thread that a thread to be reached started before it restricts itself is not reached
    /// in this round: the next listing finds it in the window of its starter. If the job is to
    /// end without that round, see [`Census::give_up`].
    fn sort(&self, listing: &Listing, me: i32, first: bool) -> Sorted {
        let origin = self.order.origin_place();
        let mut sorted = Sorted {
            targets: Vec::new(),
            clear: Vec::new(),
        };
        for t in listing.others(me) {
            let place = self.order.place(t.tid);
            let reach = match self.known.get(&t.tid) {
                Some(k) => k.needs_a_round(),
                None => match place {
                    Some(p) if !first && !self.in_a_window(p) => {
                        sorted.clear.push((t, p));
                        false
                    }
                    _ => true,
                },
            };
            if reach {
                // A thread of the first listing may have started threads since the job
                // started; a later one, since it was started itself.
                let after = if first {
                    origin
                } else {
                    place.unwrap_or(origin)
                };
                sorted.targets.push(Target::new(t, after));
            }
        }
        sorted
    }

    fn in_a_window(&self, place: u64) -> bool {
        self.windows
            .iter()
            .chain(self.watched.iter().map(|w| &w.window))
            .any(|w| w.holds(place))
    }

    /// Takes in a round's outcomes; `counter` was read after the round, and so after every
    /// look at its threads.
    fn record(&mut self, targets: Vec<Target>, counter: Option<u32>) {
        let after_round = self.order.count(counter);
        for t in targets {
            for closed in &t.closed {
                self.add_window(*closed);
            }
            let tid = t.listed.tid;
            let before = self.known.get(&tid).cloned().map(Known::settled);
            let window = |upto| Window {
                after: t.after,
                upto,
            };
            match t.outcome {
                Outcome::Restricted { counter } => {
                    if before != Some(Known::Restricted) {
                        self.restricted += 1;
                    }
                    self.known.insert(tid, Known::Restricted);
                    let upto = counter.and_then(|c| self.order.mark(c));
                    self.add_window(window(upto));
                }
                Outcome::Exited | Outcome::Finished => {
                    self.exited += 1;
                    let k = if matches!(t.outcome, Outcome::Exited) {
                        Known::Gone
                    } else {
                        Known::Finished
                    };
                    self.known.insert(tid, k);
                    self.add_window(window(t.exit_upto(after_round)));
                }
                Outcome::IoWorker => {
                    if before != Some(Known::IoWorker) {
                        self.io_workers += 1;
                    }
                    self.known.insert(tid, Known::IoWorker);
                }
                Outcome::Uncovered(reason) => {
                    let id = t.listed.id;
                    self.known.insert(tid, Known::Reported { id, reason });
                    self.watched.push(Watched {
                        id,
                        window: window(after_round),
                        idle: t.seen.filter(|s| !s.runnable).and_then(|s| s.switches),
                        gone: false,
                    });
                }
                Outcome::Pending { .. } => unreachable!("collected"),
            }
        }
        self.after_a_wrap();
    }

    fn add_window(&mut self, window: Window) {
        if window.upto.is_none_or(|upto| upto > window.after) {
            self.windows.push(window);
        }
    }

    /// After the thread id counter wrapped, a known id may belong to a new thread: every id is
    /// looked at again (a thread restricted twice only has the same layer twice).
    fn after_a_wrap(&mut self) {
        if !self.order.take_wrap() {
            return;
        }
        self.known.retain(|_, k| !matches!(k, Known::Gone));
        for k in self.known.values_mut() {
            *k = Known::Stale(Box::new(k.clone()));
        }
    }

    /// At the deadline: the threads not reached are reported if they are still there, and so
    /// are the new threads younger than one of them, which it may have started unrestricted
    /// (any new thread, if one of them has no place).
    fn give_up(&mut self, sorted: Sorted) {
        let (unreached, inherited) = self.unreached(sorted);
        for t in unreached {
            match task_status(t.id) {
                Some(s) if !s.finished => {
                    let reported = Known::Reported {
                        id: t.id,
                        reason: Uncovered::NoAnswer,
                    };
                    self.known.insert(t.tid, reported);
                }
                _ => self.exited += 1,
            }
        }
        self.inherited = inherited;
    }

    /// The threads a job that ends now leaves unreached: the targets, and the new threads
    /// younger than one of them; and how many new threads restricted threads started.
    fn unreached(&self, sorted: Sorted) -> (Vec<Listed>, usize) {
        let eldest = sorted
            .targets
            .iter()
            .map(|t| self.order.place(t.listed.tid))
            .min();
        let (younger, inherited): (Vec<_>, Vec<_>) = sorted
            .clear
            .into_iter()
            .partition(|&(_, p)| eldest.is_some_and(|e| e.is_none_or(|e| p > e)));
        let unreached = sorted.targets.into_iter().map(|t| t.listed);
        (
            unreached
                .chain(younger.into_iter().map(|(t, _)| t))
                .collect(),
            inherited.len(),
        )
    }

    /// The report: the threads still there that are not restricted, each with why; those
    /// reported that are gone since are counted as exited.
    fn finish(self) -> ThreadCoverage {
        let mut exited = self.exited;
        let mut uncovered = Vec::new();
        for (tid, k) in self.known {
            if let Known::Reported { id, reason } = k.settled() {
                if task_status(id).is_some_and(|s| !s.finished) {
                    uncovered.push(UncoveredThread { tid, reason });
                } else {
                    exited += 1;
                }
            }
        }
        uncovered.sort_by_key(|t| t.tid);
        ThreadCoverage {
            restricted: self.restricted,
            inherited: self.inherited,
            exited,
            uncovered,
            io_workers: self.io_workers,
        }
    }
}

/// Where thread ids stand in the order the kernel gave them out since the job started, read
/// from its counter of the PID namespace (`ns_last_pid`). The counter counts up to `pid_max`,
/// then starts again from the bottom, skipping ids in use: an id's place is its distance past
/// the counter's value when the job started, so that the counter may wrap once during a job.
#[derive(Debug)]
struct ThreadOrder {
    /// The counter when the job started; `None`: no order (no counter, or it went round more
    /// than once).
    origin: Option<u64>,
    /// Where the counter wraps (`pid_max`), read at the first wrap if not given; without it,
    /// a wrap loses the order.
    max: Option<u64>,
    wrapped: bool,
    /// A wrap seen and not yet taken by [`ThreadOrder::take_wrap`].
    fresh_wrap: bool,
}

impl ThreadOrder {
    fn new(origin: Option<u32>, max: Option<u64>) -> ThreadOrder {
        ThreadOrder {
            origin: origin.map(u64::from),
            max,
            wrapped: false,
            fresh_wrap: false,
        }
    }

    fn origin_place(&self) -> u64 {
        self.origin.unwrap_or(0)
    }

    /// The place of thread id `tid`, or `None` when it cannot be placed after the job's start
    /// (an id given out before it, or no order).
    fn place(&self, tid: i32) -> Option<u64> {
        let origin = self.origin?;
        let id = u64::try_from(tid).ok()?;
        if id > origin {
            Some(id)
        } else if self.wrapped {
            Some(id + self.max?)
        } else {
            None
        }
    }

    fn wrap(&mut self) {
        if !self.wrapped {
            self.wrapped = true;
            self.fresh_wrap = true;
        }
        // Read when first needed: a job seldom sees the counter wrap.
        self.max = self.max.or_else(read_pid_max);
        if self.max.is_none() {
            self.origin = None;
        }
    }

    /// The place of a value of the counter that the job read. Read later than every value
    /// before it: one at or past the origin once the counter has wrapped means it went round
    /// again, and the order is lost.
    fn count(&mut self, value: Option<u32>) -> Option<u64> {
        let origin = self.origin?;
        let value = u64::from(value?);
        if value < origin {
            self.wrap();
            Some(value + self.max?)
        } else if self.wrapped {
            self.origin = None;
            self.fresh_wrap = true;
            None
        } else {
            Some(value)
        }
    }

    /// The place of a value a thread read before restricting itself: after the job's start,
    /// but at any time in its round.
    fn mark(&mut self, value: u32) -> Option<u64> {
        let origin = self.origin?;
        let value = u64::from(value);
        if value < origin {
            self.wrap();
            Some(value + self.max?)
        } else {
            Some(value)
        }
    }

    /// Whether the counter was seen to wrap since the last call.
    fn take_wrap(&mut self) -> bool {
        std::mem::take(&mut self.fresh_wrap)
    }
}

/// One thread the current round reaches.
struct Target {
    listed: Listed,
    /// Where the window of threads it may have started unrestricted begins.
    after: u64,
    outcome: Outcome,
    /// Its status when last looked at.
    seen: Option<TaskStatus>,
    /// Seen on its way out (glibc's exit mask), and the counter's place after it was: it
    /// started no thread after that.
    exiting: Option<Option<u64>>,
    /// Its processor time at the last look, and the counter's place read after that look.
    cpu: Option<Duration>,
    looked_upto: Option<u64>,
    /// The windows closed by looks between which it ran no code: a window then ends where the
    /// first look left the counter, and a new one begins where the second found it.
    closed: Vec<Window>,
    /// Whether it was looked at for an io_uring thread.
    io_checked: bool,
}

#[derive(Clone, Copy, Debug)]
enum Outcome {
    /// Not answered yet; since when it has been seen blocking the signal with a mask that may
    /// be its own.
    Pending {
        blocked: Option<Blocked>,
    },
    /// It restricted itself, having read the thread id counter first.
    Restricted {
        counter: Option<u32>,
    },
    /// Gone from `/proc`.
    Exited,
    /// Still listed, but ended: it will never run again.
    Finished,
    /// An io_uring worker: it answers no signal, runs no code of the program, and runs each
    /// request with the credentials it was submitted with.
    IoWorker,
    Uncovered(Uncovered),
}

impl Target {
    fn new(listed: Listed, after: u64) -> Target {
        Target {
            listed,
            after,
            outcome: Outcome::Pending { blocked: None },
            seen: None,
            exiting: None,
            cpu: None,
            looked_upto: None,
            closed: Vec::new(),
            io_checked: false,
        }
    }

    /// The end of the window of a target seen gone, when the counter read `gone` after.
    fn exit_upto(&self, gone: Option<u64>) -> Option<u64> {
        match self.exiting {
            Some(Some(upto)) => Some(upto),
            _ => gone,
        }
    }
}

impl Target {
    /// Looks at the target's processor time, `before` being the counter's place read before
    /// this look: a thread that ran no code since the last look started no thread meanwhile,
    /// and one that has not run at all (0) has started none yet. Its windows then skip the
    /// ids given out in between.
    fn look_idle(&mut self, now: Option<Duration>, before: Option<u64>) {
        if let Some(before) = before {
            if now == Some(Duration::ZERO) {
                self.after = self.after.max(before);
            } else if now.is_some() && now == self.cpu {
                if let Some(upto) = self.looked_upto.filter(|&upto| upto > self.after) {
                    self.closed.push(Window {
                        after: self.after,
                        upto: Some(upto),
                    });
                }
                self.after = self.after.max(before);
            }
        }
        self.cpu = now;
    }

    /// After a look: `after` is the counter's place read after it, up to which the threads the
    /// target started before the look have their ids.
    fn looked(&mut self, after: Option<u64>) {
        self.looked_upto = after;
        if self.exiting == Some(None) {
            self.exiting = Some(after);
        }
    }
}

/// One enforcement on every other thread: the job lock, the job's own duplicate of the ruleset
/// descriptor and its descriptor of the thread id counter, the signal, and the generation of
/// the round being run.
struct Job {
    fd: Option<OwnedFd>,
    /// The `SQPOLL` threads that the rings of the process name.
    sq_threads: Vec<i32>,
    counter: Option<OwnedFd>,
    flags: u32,
    signal: i32,
    generation: u32,
    deadline: Instant,
    _lock: JobLock,
}

impl Job {
    fn start(ruleset: BorrowedFd<'_>, flags: u32, sq_threads: &[i32]) -> io::Result<Job> {
        let signal = signal()?;
        let lock = JobLock::acquire();
        close_retired();
        let fd = ruleset.try_clone_to_owned()?;
        if fd.as_raw_fd() >= 1 << FD_BITS || flags >= 1 << (32 - FD_BITS) {
            return Err(io::Error::other(
                "the ruleset's descriptor number is too large to publish",
            ));
        }
        // Without the counter the job still works, with a round for every new thread.
        let counter = open_counter();
        BOARD.counter.store(
            counter.as_ref().map_or(-1, |fd| fd.as_raw_fd()),
            Ordering::SeqCst,
        );
        Ok(Job {
            fd: Some(fd),
            sq_threads: sq_threads.to_vec(),
            counter,
            flags,
            signal,
            generation: 0,
            deadline: Instant::now() + DEADLINE,
            _lock: lock,
        })
    }

    fn past_deadline(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// The thread id counter now.
    fn read_counter(&self) -> Option<u32> {
        read_counter(self.counter.as_ref()?.as_raw_fd())
    }

    /// Starts a round: a new generation, a slot per target tagged with it, then the
    /// generation and the descriptor published together.
    fn publish(&mut self, round: &[Target]) {
        self.generation = BOARD
            .generation
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_add(1)
            .max(1);
        let pending = state(self.generation, PENDING);
        for (slot, target) in BOARD.slots.iter().zip(round) {
            slot.tid.store(target.listed.tid, Ordering::Relaxed);
            slot.state.store(pending, Ordering::Release);
        }
        let fd = self.fd.as_ref().map_or(-1, |fd| fd.as_raw_fd()) as u32;
        BOARD.current.store(
            u64::from(self.generation) << 32 | u64::from(self.flags << FD_BITS | fd),
            Ordering::SeqCst,
        );
    }

    fn signal(&self, round: &mut [Target]) {
        for target in round.iter_mut() {
            match tgkill(target.listed.tid, self.signal) {
                Ok(()) => {}
                // ESRCH counts as an exit only when /proc confirms it.
                Err(libc::ESRCH) => {
                    target.outcome = match task_status(target.listed.id) {
                        None => Outcome::Exited,
                        Some(s) if s.finished => Outcome::Finished,
                        Some(_) => Outcome::Uncovered(Uncovered::NotSignalled(libc::ESRCH)),
                    }
                }
                Err(e) => target.outcome = Outcome::Uncovered(Uncovered::NotSignalled(e)),
            }
        }
    }

    /// Waits until every target of the round has answered, is gone, or blocks the signal on
    /// purpose, or until the deadline. Threads being born or exiting are waited for.
    fn wait(&self, round: &mut [Target], order: &mut ThreadOrder) {
        let mut looked = Instant::now();
        loop {
            // Read before looking, so that an answer arriving in between ends the sleep.
            let answers = BOARD.answers.load(Ordering::Acquire);
            self.take_answers(round);
            let waiting = round
                .iter()
                .any(|t| matches!(t.outcome, Outcome::Pending { .. }));
            if !waiting || self.past_deadline() {
                return;
            }
            futex_wait(&BOARD.answers, answers, POLL);
            if looked.elapsed() >= POLL {
                self.take_answers(round);
                let before = order.count(self.read_counter());
                let mut seen = [false; SLOTS];
                for ((slot, target), seen) in
                    BOARD.slots.iter().zip(round.iter_mut()).zip(&mut seen)
                {
                    if !self.is_answering(slot) {
                        let cpu = thread_cpu(target.listed.tid);
                        self.look_at(target, cpu);
                        if matches!(target.outcome, Outcome::Pending { .. }) {
                            target.look_idle(cpu, before);
                            *seen = true;
                        }
                    }
                }
                // Often enough to see the counter wrap, and not miss it going round twice;
                // and after the looks, for what they found.
                let after = order.count(self.read_counter());
                for (target, _) in round.iter_mut().zip(seen).filter(|&(_, seen)| seen) {
                    target.looked(after);
                }
                looked = Instant::now();
            }
        }
    }

    /// Moves the answers of this round's slots into their targets.
    fn take_answers(&self, round: &mut [Target]) {
        for (slot, target) in BOARD.slots.iter().zip(round.iter_mut()) {
            let state = slot.state.load(Ordering::Acquire);
            if !matches!(target.outcome, Outcome::Pending { .. })
                || state >> 32 != u64::from(self.generation)
            {
                continue;
            }
            match state as u32 {
                PENDING | RUNNING => {}
                result => {
                    let (errno, counter) = parse_answer(result);
                    target.outcome = if errno == 0 {
                        Outcome::Restricted { counter }
                    } else {
                        Outcome::Uncovered(Uncovered::Failed(errno))
                    };
                }
            }
        }
    }

    /// Whether the slot's thread is in its handler for this round, restricting itself.
    fn is_answering(&self, slot: &Slot) -> bool {
        slot.state.load(Ordering::Acquire) == state(self.generation, RUNNING)
    }

    /// Looks at a thread that has not answered and is not answering, whose processor time is
    /// now `cpu`: gone, finished, being born or exiting (waited for), or blocking the signal
    /// with a mask of its own. A thread that ran no code since the last look has changed
    /// neither its mask nor its state of its own: what was seen then stands.
    fn look_at(&self, target: &mut Target, cpu: Option<Duration>) {
        let Outcome::Pending { blocked } = target.outcome else {
            return;
        };
        let unchanged = cpu.is_some() && cpu == target.cpu;
        let status = match target.seen {
            Some(seen) if unchanged => seen,
            _ => {
                let Some(status) = task_status(target.listed.id) else {
                    target.outcome = Outcome::Exited;
                    return;
                };
                status
            }
        };
        target.seen = Some(status);
        if !target.io_checked && blocks(status.blocked, self.signal) {
            // An io_uring thread blocks every signal for good, and never answers. One not
            // started yet has no name of its own: looked at again.
            target.io_checked = true;
            match io_thread(target.listed.id, &self.sq_threads) {
                Some(IoThread::Worker) => {
                    target.outcome = Outcome::IoWorker;
                    return;
                }
                Some(IoThread::Unnamed) if cpu == Some(Duration::ZERO) => {
                    target.io_checked = false;
                    return;
                }
                Some(IoThread::SqPoll | IoThread::Unnamed) => {
                    target.outcome = Outcome::Uncovered(Uncovered::IoUringSqPoll);
                    return;
                }
                None => {}
            }
        }
        if target.exiting.is_none() && is_exit_mask(status.blocked) {
            // The counter's place is filled in after this look (see `wait`).
            target.exiting = Some(None);
        }
        target.outcome = if status.finished {
            Outcome::Finished
        } else if !blocks_as_chosen(&status, self.signal) {
            // The signal is on its way, or the mask is glibc's for a thread being born (the
            // signal comes when it is lifted) or exiting (the thread is gone soon).
            Outcome::Pending { blocked: None }
        } else {
            let tid = target.listed.tid;
            let blocked = blocked.unwrap_or_else(|| Blocked::new(tid));
            if blocked.on_purpose(tid, &status) {
                Outcome::Uncovered(Uncovered::BlocksSignal)
            } else {
                Outcome::Pending {
                    blocked: Some(blocked),
                }
            }
        };
    }

    /// Ends the round: the answers that came, and, for each thread still pending (the
    /// deadline passed), whether it is gone, blocks the signal, or did not answer. A thread
    /// still in its handler did not answer in time: whether it will be restricted is not
    /// known, so it is not counted as restricted.
    fn collect(&self, round: &mut [Target]) {
        let answering: Vec<bool> = BOARD
            .slots
            .iter()
            .zip(round.iter())
            .map(|(slot, _)| self.is_answering(slot))
            .collect();
        BOARD.current.store(0, Ordering::SeqCst);
        self.take_answers(round);
        for (target, answering) in round.iter_mut().zip(answering) {
            if let Outcome::Pending { .. } = target.outcome {
                let status = task_status(target.listed.id);
                target.seen = status;
                target.outcome = match status {
                    None => Outcome::Exited,
                    Some(s) if s.finished => Outcome::Finished,
                    Some(s) if !answering && blocks_as_chosen(&s, self.signal) => {
                        Outcome::Uncovered(Uncovered::BlocksSignal)
                    }
                    Some(_) => Outcome::Uncovered(Uncovered::NoAnswer),
                };
            }
        }
    }
}

/// Opens the thread id counter of this process's PID namespace (the file reads the namespace
/// of the thread that reads it).
fn open_counter() -> Option<OwnedFd> {
    // SAFETY: a constant C string and flags; the descriptor is owned below.
    let fd = unsafe {
        libc::open(
            c"/proc/sys/kernel/ns_last_pid".as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return None;
    }
    // SAFETY: a descriptor just returned by open, owned by nobody else.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

impl Drop for Job {
    fn drop(&mut self) {
        BOARD.current.store(0, Ordering::SeqCst);
        BOARD.counter.store(-1, Ordering::SeqCst);
        // A handler that read the published words before they were cleared may still be about
        // to use the descriptors: keep them open for it rather than let their numbers be
        // reused.
        let handlers = BOARD.running.load(Ordering::SeqCst) != 0;
        for fd in [self.fd.take(), self.counter.take()].into_iter().flatten() {
            if handlers {
                retire(fd);
            }
        }
    }
}

/// Keeps `fd` open for a handler that may still use it, until a later job finds no handler
/// running.
fn retire(fd: OwnedFd) {
    let raw = fd.as_raw_fd();
    for slot in &BOARD.retired {
        if slot
            .compare_exchange(-1, raw, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            std::mem::forget(fd);
            return;
        }
    }
    // No room: leave it open for good rather than risk its number being reused.
    std::mem::forget(fd);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_are_read() {
        let text = "Name:\tx\nState:\tS (sleeping)\nNSpid:\t812\t3\nSigBlk:\t0000000400000000\n\
                    voluntary_ctxt_switches:\t7\nnonvoluntary_ctxt_switches:\t2\n";
        let s = parse_status(text).unwrap();
        assert!(!s.finished && !s.runnable);
        assert_eq!(s.tid, Some(3));
        assert_eq!(s.namespaces, 2);
        assert_eq!(s.switches, Some((7, 2)));
        assert!(blocks(s.blocked, 35));
        assert!(blocks_as_chosen(&s, 35));
        let zombie = parse_status("State:\tZ (zombie)\nSigBlk:\tffffffffffffffff\n").unwrap();
        assert!(zombie.finished);
        assert_eq!(zombie.tid, None);
        assert!(!blocks_as_chosen(&zombie, 35));
        // glibc's mask for a thread being born, and for one exiting (all but SIGSETXID), block
        // its SIGCANCEL; an application's `sigfillset` mask cannot.
        for glibc in ["fffffffffffbfeff", "fffffffefffbfeff"] {
            let s = parse_status(&format!("State:\tR (running)\nSigBlk:\t{glibc}\n")).unwrap();
            assert!(s.runnable && blocks(s.blocked, 35) && !blocks_as_chosen(&s, 35));
        }
        let app = parse_status("State:\tS (sleeping)\nSigBlk:\tfffffffe7ffbfeff\n").unwrap();
        assert!(blocks_as_chosen(&app, 35));
    }

    #[test]
    fn answers_carry_the_errno_and_the_counter() {
        for (errno, counter) in [
            (0, Some(0)),
            (0, Some(4_194_303)),
            (1, None),
            (133, Some(7)),
        ] {
            let result = answer(errno, counter);
            assert!(result < RUNNING);
            assert_eq!(parse_answer(result), (errno, counter));
        }
        assert_eq!(parse_counter(b"4194303\n"), Some(4_194_303));
        assert_eq!(parse_counter(b"\n"), None);
        assert_eq!(parse_counter(b"99999999999"), None);
    }

    #[test]
    fn the_counter_is_read_through_its_descriptor() {
        let fd = open_counter().expect("ns_last_pid");
        let before = read_counter(fd.as_raw_fd()).unwrap();
        let tid = std::thread::spawn(gettid).join().unwrap();
        let after = read_counter(fd.as_raw_fd()).unwrap();
        // Unless the counter wrapped in between, the new thread's id is between the two.
        if after >= before {
            assert!(
                before < tid as u32 && tid as u32 <= after,
                "{before} {tid} {after}"
            );
        }
        assert_eq!(read_counter(-1), None);
    }

    fn listing(tids: &[i32]) -> Listing {
        Listing {
            threads: tids.iter().map(|&tid| Listed { id: tid, tid }).collect(),
            complete: true,
            namespace: Namespace::Same,
        }
    }

    fn tids(sorted: &Sorted) -> Vec<i32> {
        sorted.targets.iter().map(|t| t.listed.tid).collect()
    }

    /// The outcome of a round in which every target restricted itself, having read
    /// `counters`.
    fn restricted(sorted: Sorted, counters: &[u32]) -> Vec<Target> {
        let mut targets = sorted.targets;
        for (t, &c) in targets.iter_mut().zip(counters) {
            t.outcome = Outcome::Restricted { counter: Some(c) };
        }
        targets
    }

    #[test]
    fn new_threads_are_reached_when_a_thread_not_yet_restricted_may_have_started_them() {
        // The job starts with the counter at 100; threads 1 (the caller), 50 and 60.
        let mut census = Census::new(Some(100), Some(32768));
        let first = census.sort(&listing(&[1, 50, 60]), 1, true);
        assert_eq!(tids(&first), [50, 60]);
        // 50 read 110 before restricting itself, 60 read 120: each may have started threads
        // up to there.
        census.record(restricted(first, &[110, 120]), Some(130));
        assert_eq!(census.restricted, 2);
        // 105 and 115 may have been started by them unrestricted; 125 was started by a
        // restricted thread.
        let sorted = census.sort(&listing(&[1, 50, 60, 125]), 1, false);
        assert!(sorted.targets.is_empty());
        assert_eq!(sorted.clear.len(), 1);
        let sorted = census.sort(&listing(&[1, 50, 60, 105, 115, 125]), 1, false);
        assert_eq!((tids(&sorted), sorted.clear.len()), (vec![105, 115], 1));
        // Should the job end now, 125 is younger than 105, which may start threads until it
        // restricts itself: it is not counted as started restricted.
        let (unreached, inherited) = census.unreached(sorted);
        let unreached: Vec<i32> = unreached.iter().map(|t| t.tid).collect();
        assert_eq!((unreached, inherited), (vec![105, 115, 125], 0));
        // 105 read 140 and 115 read 141: 135 may be 105's; 145 and 150 are nobody's.
        let sorted = census.sort(&listing(&[1, 50, 60, 105, 115, 125]), 1, false);
        census.record(restricted(sorted, &[140, 141]), Some(150));
        let sorted = census.sort(&listing(&[1, 50, 60, 145, 150]), 1, false);
        assert_eq!((tids(&sorted), sorted.clear.len()), (vec![], 2));
        let sorted = census.sort(&listing(&[1, 50, 60, 135, 150]), 1, false);
        assert_eq!((tids(&sorted), sorted.clear.len()), (vec![135], 1));
    }

    #[test]
    fn threads_that_exit_count_as_exited_and_what_they_started_is_reached() {
        let mut census = Census::new(Some(100), Some(32768));
        let mut targets = census.sort(&listing(&[1, 50, 60]), 1, true).targets;
        targets[0].outcome = Outcome::Exited;
        targets[1].outcome = Outcome::Restricted { counter: Some(110) };
        // 50 was seen gone before the counter read 130 after the round.
        census.record(targets, Some(130));
        assert_eq!((census.restricted, census.exited), (1, 1));
        let sorted = census.sort(&listing(&[1, 60, 125, 131]), 1, false);
        assert_eq!((tids(&sorted), sorted.clear.len()), (vec![125], 1));
        let sorted = census.sort(&listing(&[1, 60, 131]), 1, false);
        assert_eq!((tids(&sorted), sorted.clear.len()), (vec![], 1));
    }

    #[test]
    fn a_reported_thread_may_start_threads_until_it_is_seen_asleep() {
        let mut census = Census::new(Some(100), Some(32768));
        let mut targets = census.sort(&listing(&[1, 50]), 1, true).targets;
        targets[0].outcome = Outcome::Uncovered(Uncovered::BlocksSignal);
        census.record(targets, Some(120));
        // Everything up to the counter after its report may be its own.
        let sorted = census.sort(&listing(&[1, 50, 115, 125]), 1, false);
        assert_eq!((tids(&sorted), sorted.clear.len()), (vec![115], 1));
        let sorted = census.sort(&listing(&[1, 50, 125]), 1, false);
        assert_eq!((tids(&sorted), sorted.clear.len()), (vec![], 1));
        // Seen running later, its window reaches further.
        let window = &mut census.watched[0].window;
        *window = Window {
            upto: later(window.upto, Some(200)),
            ..*window
        };
        let sorted = census.sort(&listing(&[1, 50, 125]), 1, false);
        assert_eq!(tids(&sorted), [125]);
        assert_eq!(
            census.known[&50],
            Known::Reported {
                id: 50,
                reason: Uncovered::BlocksSignal
            }
        );
    }

    #[test]
    fn the_order_survives_one_wrap_of_the_counter() {
        // The job starts at 32700 of 32768; the counter wraps and thread 301 restricts itself
        // having read 320.
        let mut census = Census::new(Some(32700), Some(32768));
        let first = census.sort(&listing(&[1, 32650, 301]), 1, true);
        census.record(restricted(first, &[32710, 320]), Some(330));
        assert!(census.order.wrapped);
        // The wrap makes every known id a new one until looked at again.
        assert!(census.known.values().all(Known::needs_a_round));
        census.known.clear();
        // Both were there when the job started: 32650 may have started threads until the
        // counter read 32710, 301 until it read 320 after the wrap.
        let sorted = census.sort(&listing(&[1, 32705, 340]), 1, false);
        assert_eq!(tids(&sorted), [32705]);
        let sorted = census.sort(&listing(&[1, 32720, 310, 340]), 1, false);
        assert_eq!(tids(&sorted), [32720, 310]);
        let sorted = census.sort(&listing(&[1, 321, 340]), 1, false);
        assert_eq!((tids(&sorted), sorted.clear.len()), (vec![], 2));
        // An id below the job's start, before the counter is seen to wrap, cannot be placed.
        let order = ThreadOrder::new(Some(500), Some(32768));
        assert_eq!(order.place(400), None);
        assert_eq!(order.place(501), Some(501));
        // Going round twice loses the order.
        let mut order = ThreadOrder::new(Some(500), Some(32768));
        assert_eq!(order.count(Some(400)), Some(33168));
        assert_eq!(order.count(Some(600)), None);
        assert_eq!(order.place(700), None);
        // No counter, no order: every new thread is reached.
        let census = Census::new(None, Some(32768));
        let sorted = census.sort(&listing(&[1, 50]), 1, false);
        assert_eq!(tids(&sorted), [50]);
    }

    #[test]
    fn a_listing_of_this_process_names_the_caller() {
        let me = gettid();
        let listing = Listing::read(me).unwrap();
        assert!(listing.threads.iter().any(|t| t.tid == me));
        assert_ne!(listing.namespace, Namespace::Unknown);
    }

    #[test]
    fn directory_entries_are_parsed() {
        let ids = read_task_ids().unwrap();
        assert!(ids.contains(&gettid()), "{ids:?}");
    }
}
