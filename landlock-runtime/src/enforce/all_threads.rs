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
//! - **Threads that exit** (`tgkill` says ESRCH, or the task is gone or a zombie) are counted
//!   as exited only once `/proc` confirms it; they never run code again. A thread that is
//!   exiting blocks every signal on its way out: it is waited for until it is gone.
//! - **Threads being born** block every signal while the C library sets them up; their signal
//!   is delivered when the mask is restored, and the job waits for the answer. The mask of a
//!   thread being born or exiting blocks the C library's own internal signal, which an
//!   application cannot block through the C library; a thread whose mask blocks the job's
//!   signal but not that one is taken to block it on purpose, and is reported after
//!   [`BLOCKED_GRACE`].
//! - **Threads started meanwhile** by threads not yet restricted: the task list is read again
//!   after each round, and new threads get a round of their own. The job ends with a listing
//!   in which every thread is known (restricted in this job, or reported): threads started
//!   after it are started by restricted threads and inherit the restriction. A listing is
//!   trusted only if every thread it names is still there after it was read, because the
//!   kernel may cut a listing short when a thread exits while it is read.
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
//! - **Bounded in time**: each job stops after [`DEADLINE`]; threads that did not answer by
//!   then are reported.
//!
//! What cannot be done from user space is documented in the README's threat model: a process
//! forked during the job by a thread not yet restricted is not restricted, and cannot be seen.

use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::kernel::{errno, restrict_thread};
use crate::outcome::{ThreadCoverage, Uncovered, UncoveredThread};

/// How long one all-threads enforcement may take before the threads that have not answered
/// are reported.
pub const DEADLINE: Duration = Duration::from_secs(2);

/// How long a thread that blocks the job's signal on purpose is waited for before it is
/// reported (it may be about to unblock it).
const BLOCKED_GRACE: Duration = Duration::from_millis(100);

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
    /// `generation << 32 | result`, the result being `PENDING`, `RUNNING`, 0 (restricted), or
    /// the errno of the failed call.
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

/// Runs in the interrupted thread: restricts it with the published ruleset if the current
/// round has a slot for it, and answers in that slot. Only atomics and raw, async-signal-safe
/// system calls; `errno` is preserved.
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
            let marked = BOARD.mark.load(Ordering::Acquire);
            let mark = (marked != 0).then(|| crate::audit::mark(getpid() as u32, marked));
            let result = match restrict_thread(fd, flags, mark.as_ref()) {
                Ok(()) => 0,
                Err(errno) => errno as u32,
            };
            // The answer goes only into a slot still of this round.
            if slot
                .state
                .compare_exchange(
                    running,
                    state(generation, result),
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
    /// The signals it blocks (`SigBlk`), a bit per signal from 1.
    blocked: u64,
    /// Its id in this process's own PID namespace: the last of `NSpid` (None without it).
    tid: Option<i32>,
    /// How many PID namespaces `NSpid` lists (0 without it).
    namespaces: usize,
}

/// Reads the status of the thread listed as `id` (in `/proc`'s namespace); `None` when it is
/// gone.
fn task_status(id: i32) -> Option<TaskStatus> {
    parse_status(&std::fs::read_to_string(format!("/proc/self/task/{id}/status")).ok()?)
}

fn parse_status(text: &str) -> Option<TaskStatus> {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .map(str::trim)
    };
    let state = field("State")?;
    let blocked = u64::from_str_radix(field("SigBlk")?, 16).ok()?;
    let ns: Vec<i32> = field("NSpid")
        .map(|v| {
            v.split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    Some(TaskStatus {
        finished: state.starts_with('Z') || state.starts_with('X'),
        blocked,
        tid: ns.last().copied(),
        namespaces: ns.len(),
    })
}

/// The C library's internal signal that a thread being born or exiting blocks and an
/// application cannot (glibc's SIGCANCEL): its bit in a mask says the mask is the C
/// library's passing one, not the application's choice.
const LIBC_INTERNAL_SIGNAL: u32 = 32;

fn blocks(mask: u64, sig: i32) -> bool {
    mask & (1u64 << (sig - 1)) != 0
}

/// Whether a mask that blocks the job's signal is the passing one of a thread being born or
/// exiting, which will be lifted or end with the thread.
fn is_passing_mask(mask: u64) -> bool {
    blocks(mask, LIBC_INTERNAL_SIGNAL as i32)
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
    /// Every thread listed was still there once the listing was read, so none was skipped (the
    /// kernel cuts a listing short only when a listed thread exits while it is read).
    complete: bool,
    namespace: Namespace,
}

/// The entries of `/proc/self/task`, read in one `getdents64` call (retried with a larger
/// buffer when one call does not hold them all), so that the kernel does not resume the
/// listing by position, which can skip a thread when another exits.
fn read_task_ids() -> io::Result<Vec<i32>> {
    let dir = open_task_dir()?;
    let mut size = 64 * 1024;
    loop {
        let mut buf = vec![0u8; size];
        let first = getdents(&dir, &mut buf)?;
        let mut spare = [0u8; 512];
        if first > 0 && getdents(&dir, &mut spare)? == 0 {
            return Ok(dirent_names(&buf[..first]));
        }
        if size >= 64 << 20 {
            return Err(io::Error::other("too many threads to list in one read"));
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
        let mut threads = Vec::with_capacity(ids.len());
        let mut complete = true;
        match namespace {
            Namespace::Same => {
                for id in ids {
                    threads.push(Listed { id, tid: id });
                    complete &= tgkill(id, 0).is_ok();
                }
            }
            Namespace::Ancestor => {
                for id in ids {
                    match task_status(id).and_then(|s| s.tid) {
                        Some(tid) => {
                            threads.push(Listed { id, tid });
                            complete &= tgkill(tid, 0).is_ok();
                        }
                        None => complete = false,
                    }
                }
            }
            Namespace::Unknown => {
                threads = ids.into_iter().map(|id| Listed { id, tid: id }).collect();
            }
        }
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

/// The threads other than the caller that block the job's signal on purpose and still do after
/// [`BLOCKED_GRACE`], or all of them when the listing cannot be tied to this process: what a
/// `strict` policy refuses before restricting anything. A thread being born or exiting (whose
/// mask is the C library's passing one) is not among them.
pub(crate) fn blocked_coverage() -> io::Result<ThreadCoverage> {
    let me = gettid();
    let sig = signal()?;
    let listing = Listing::read(me)?;
    if listing.namespace == Namespace::Unknown {
        return Ok(unreachable_coverage(&listing));
    }
    let on_purpose = |t: &Listed| {
        task_status(t.id)
            .is_some_and(|s| !s.finished && blocks(s.blocked, sig) && !is_passing_mask(s.blocked))
    };
    let mut blocking: Vec<Listed> = listing.others(me).filter(on_purpose).collect();
    let started = Instant::now();
    while !blocking.is_empty() && started.elapsed() < BLOCKED_GRACE {
        std::thread::sleep(POLL);
        blocking.retain(on_purpose);
    }
    Ok(ThreadCoverage {
        restricted: 0,
        uncovered: blocking
            .into_iter()
            .map(|t| UncoveredThread {
                tid: t.tid,
                reason: Uncovered::BlocksSignal,
            })
            .collect(),
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
        restricted: 0,
        uncovered: others
            .skip(skip)
            .map(|t| UncoveredThread {
                tid: t.id,
                reason: Uncovered::Unreachable,
            })
            .collect(),
    }
}

/// The number of threads of the process.
pub(crate) fn thread_count() -> io::Result<usize> {
    Ok(read_task_ids()?.len())
}

/// Has every thread of the process but the caller restrict itself with `ruleset` (and
/// `landlock_restrict_self` flags `flags`, and, when `mark` is not 0, carrying it as a mark). The caller restricts itself afterwards, and must
/// start no thread meanwhile.
pub(crate) fn restrict_other_threads(
    ruleset: BorrowedFd<'_>,
    flags: u32,
    mark: u64,
) -> io::Result<ThreadCoverage> {
    let me = gettid();
    let mut listing = Listing::read(me)?;
    if listing.namespace == Namespace::Unknown {
        return Ok(unreachable_coverage(&listing));
    }
    if listing.others(me).next().is_none() {
        return Ok(ThreadCoverage::default());
    }
    let mut job = Job::start(ruleset, flags)?;
    BOARD.mark.store(mark, Ordering::Release);
    let mut known: HashMap<i32, Known> = HashMap::new();
    let mut restricted = 0;
    let mut counter = PidCounter::new();
    loop {
        // After a wrap of the thread id counter, a known id may belong to a new thread: every
        // id is looked at again (a thread restricted twice only has the same layer twice).
        if counter.wrapped() {
            known.retain(|_, k| !matches!(k, Known::Gone));
            for k in known.values_mut() {
                *k = Known::Stale(Box::new(k.clone()));
            }
        }
        let mut targets: Vec<Target> = listing
            .others(me)
            .filter(|t| known.get(&t.tid).is_none_or(Known::needs_a_round))
            .map(Target::new)
            .collect();
        if targets.is_empty() && listing.complete {
            break;
        }
        if job.past_deadline() {
            for t in targets {
                known.insert(t.listed.tid, Known::Reported(Uncovered::NoAnswer));
            }
            break;
        }
        for round in targets.chunks_mut(SLOTS) {
            job.publish(round);
            job.signal(round);
            job.wait(round, &mut counter);
            job.collect(round);
        }
        for t in &targets {
            let k = match t.outcome {
                Outcome::Restricted => {
                    restricted += 1;
                    Known::Restricted
                }
                Outcome::Exited => Known::Gone,
                Outcome::Finished => Known::Finished,
                Outcome::Uncovered(reason) => Known::Reported(reason),
                Outcome::Pending { .. } => unreachable!("collected"),
            };
            known.insert(t.listed.tid, k);
        }
        listing = Listing::read(me)?;
    }
    let mut uncovered: Vec<UncoveredThread> = known
        .into_iter()
        .filter_map(|(tid, k)| match k.settled() {
            Known::Reported(reason) => Some(UncoveredThread { tid, reason }),
            _ => None,
        })
        .collect();
    uncovered.sort_by_key(|t| t.tid);
    Ok(ThreadCoverage {
        restricted,
        uncovered,
    })
}

/// What the job knows of a thread id.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Known {
    /// It restricted itself in this job.
    Restricted,
    /// It is not restricted, for this reason.
    Reported(Uncovered),
    /// It is gone from `/proc`: listed again, the id belongs to a new thread.
    Gone,
    /// It has ended but is still listed: a zombie main thread, which never runs again.
    Finished,
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

/// Watches the kernel's thread id counter of this PID namespace, to tell when it wraps around
/// `pid_max`, after which an id seen before may belong to a new thread.
struct PidCounter {
    last: Option<u64>,
    wrapped: bool,
}

impl PidCounter {
    fn new() -> PidCounter {
        PidCounter {
            last: read_last_pid(),
            wrapped: false,
        }
    }

    /// Reads the counter again.
    fn look(&mut self) {
        let now = read_last_pid();
        if let (Some(before), Some(now)) = (self.last, now)
            && now < before
        {
            self.wrapped = true;
        }
        if now.is_some() {
            self.last = now;
        }
    }

    /// Whether it wrapped since the last call.
    fn wrapped(&mut self) -> bool {
        self.look();
        std::mem::take(&mut self.wrapped)
    }
}

fn read_last_pid() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// One thread the current round reaches.
struct Target {
    listed: Listed,
    outcome: Outcome,
}

#[derive(Clone, Copy, Debug)]
enum Outcome {
    /// Not answered yet; since when it has been seen blocking the signal on purpose.
    Pending {
        blocked_since: Option<Instant>,
    },
    Restricted,
    /// Gone from `/proc`.
    Exited,
    /// Still listed, but ended: it will never run again.
    Finished,
    Uncovered(Uncovered),
}

impl Target {
    fn new(listed: Listed) -> Target {
        Target {
            listed,
            outcome: Outcome::Pending {
                blocked_since: None,
            },
        }
    }
}

/// One enforcement on every other thread: the job lock, the job's own duplicate of the ruleset
/// descriptor, the signal, and the generation of the round being run.
struct Job {
    fd: Option<OwnedFd>,
    flags: u32,
    signal: i32,
    generation: u32,
    deadline: Instant,
    _lock: JobLock,
}

impl Job {
    fn start(ruleset: BorrowedFd<'_>, flags: u32) -> io::Result<Job> {
        let signal = signal()?;
        let lock = JobLock::acquire();
        close_retired();
        let fd = ruleset.try_clone_to_owned()?;
        if fd.as_raw_fd() >= 1 << FD_BITS || flags >= 1 << (32 - FD_BITS) {
            return Err(io::Error::other(
                "the ruleset's descriptor number is too large to publish",
            ));
        }
        Ok(Job {
            fd: Some(fd),
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
    /// purpose for longer than the grace period, or until the deadline.
    fn wait(&self, round: &mut [Target], counter: &mut PidCounter) {
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
                for (slot, target) in BOARD.slots.iter().zip(round.iter_mut()) {
                    if !self.is_answering(slot) {
                        self.look_at(target);
                    }
                }
                counter.look();
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
                0 => target.outcome = Outcome::Restricted,
                e => target.outcome = Outcome::Uncovered(Uncovered::Failed(e as i32)),
            }
        }
    }

    /// Whether the slot's thread is in its handler for this round, restricting itself.
    fn is_answering(&self, slot: &Slot) -> bool {
        slot.state.load(Ordering::Acquire) == state(self.generation, RUNNING)
    }

    /// Looks at a thread that has not answered and is not answering: gone, or blocking the
    /// signal.
    fn look_at(&self, target: &mut Target) {
        let Outcome::Pending { blocked_since } = target.outcome else {
            return;
        };
        let Some(status) = task_status(target.listed.id) else {
            target.outcome = Outcome::Exited;
            return;
        };
        if status.finished {
            target.outcome = Outcome::Finished;
        } else if blocks(status.blocked, self.signal) && !is_passing_mask(status.blocked) {
            let since = blocked_since.unwrap_or_else(Instant::now);
            target.outcome = if since.elapsed() >= BLOCKED_GRACE {
                Outcome::Uncovered(Uncovered::BlocksSignal)
            } else {
                Outcome::Pending {
                    blocked_since: Some(since),
                }
            };
        } else {
            target.outcome = Outcome::Pending {
                blocked_since: None,
            };
        }
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
                target.outcome = match task_status(target.listed.id) {
                    None => Outcome::Exited,
                    Some(s) if s.finished => Outcome::Finished,
                    Some(s) if !answering && blocks(s.blocked, self.signal) => {
                        Outcome::Uncovered(Uncovered::BlocksSignal)
                    }
                    Some(_) => Outcome::Uncovered(Uncovered::NoAnswer),
                };
            }
        }
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        BOARD.current.store(0, Ordering::SeqCst);
        let Some(fd) = self.fd.take() else {
            return;
        };
        // A handler that read the published word before it was cleared may still be about to
        // use the descriptor: keep it open for it rather than let its number be reused.
        if BOARD.running.load(Ordering::SeqCst) == 0 {
            drop(fd);
            return;
        }
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_are_read() {
        let text = "Name:\tx\nState:\tS (sleeping)\nNSpid:\t812\t3\nSigBlk:\t0000000400000000\n";
        let s = parse_status(text).unwrap();
        assert!(!s.finished);
        assert_eq!(s.tid, Some(3));
        assert_eq!(s.namespaces, 2);
        assert!(blocks(s.blocked, 35));
        assert!(!is_passing_mask(s.blocked));
        let zombie = parse_status("State:\tZ (zombie)\nSigBlk:\tffffffffffffffff\n").unwrap();
        assert!(zombie.finished);
        assert_eq!(zombie.tid, None);
        assert!(is_passing_mask(zombie.blocked));
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
