//! The signal the job sends, its async-signal-safe handler, and what they share: the
//! board of slots, the published round, the descriptors a late handler may still use.
//!
//! Everything here that a handler runs is async-signal-safe: atomics and raw system calls
//! on integers and stack buffers, `errno` preserved.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use crate::kernel::{errno, restrict_thread};

/// Threads handled per round; more are handled in further rounds.
pub(super) const SLOTS: usize = 512;

/// A slot's result before its thread answers.
pub(super) const PENDING: u32 = u32::MAX;

/// A slot's result while its thread's handler restricts it: it got the signal, and is
/// answering (it blocks the signal meanwhile, as any handler does).
pub(super) const RUNNING: u32 = u32::MAX - 1;

/// Descriptors of finished jobs that may still be in use by a late handler.
pub(super) const RETIRED: usize = 8;

/// The job's descriptor fits in the low bits of the published word, its flags above it.
pub(super) const FD_BITS: u32 = 28;

/// What the job and the signal handler share. Only atomics: the handler may run at any moment,
/// on any thread, also after the job that signalled it has ended.
pub(super) struct Board {
    /// The round being run: `generation << 32 | flags << FD_BITS | descriptor`; 0 when none.
    pub(super) current: AtomicU64,
    /// The job's descriptor of the thread id counter (`ns_last_pid`), which each handler reads
    /// before restricting its thread (-1: none). Published before `current`.
    pub(super) counter: AtomicI32,
    pub(super) slots: [Slot; SLOTS],
    /// Answers so far: the futex word the waiting thread sleeps on.
    pub(super) answers: AtomicU32,
    /// Handlers running now, whatever their generation. While one runs, a descriptor it may
    /// have read is not closed.
    pub(super) running: AtomicU32,
    /// Descriptors of finished jobs, kept open for handlers that were still running (-1: free).
    pub(super) retired: [AtomicI32; RETIRED],
    /// The process holding the job lock (0: free).
    pub(super) owner: AtomicI32,
    /// The last generation given out.
    pub(super) generation: AtomicU32,
    /// 1 while the job asks the threads that answered to wait in their handlers, leaving the
    /// processors to the threads that have not answered yet; the futex word they wait on.
    pub(super) park: AtomicU32,
    /// Bumped by the job as it gets on: a thread waiting in its handler goes on waiting only
    /// while this changes (the job might be waiting for a lock the thread holds).
    pub(super) beat: AtomicU32,
    /// The policy id the current job's threads carry as their name while they restrict
    /// themselves (0: none), for attributing denials.
    pub(super) mark: AtomicU64,
}

pub(super) struct Slot {
    pub(super) tid: AtomicI32,
    /// `generation << 32 | result`, the result being `PENDING`, `RUNNING`, or an [`answer`].
    pub(super) state: AtomicU64,
}

#[allow(clippy::declare_interior_mutable_const)] // Each use makes a new slot, as meant.
pub(super) const EMPTY_SLOT: Slot = Slot {
    tid: AtomicI32::new(0),
    state: AtomicU64::new(0),
};

#[allow(clippy::declare_interior_mutable_const)]
pub(super) const FREE: AtomicI32 = AtomicI32::new(-1);

pub(super) static BOARD: Board = Board {
    current: AtomicU64::new(0),
    counter: AtomicI32::new(-1),
    slots: [EMPTY_SLOT; SLOTS],
    answers: AtomicU32::new(0),
    running: AtomicU32::new(0),
    retired: [FREE; RETIRED],
    owner: AtomicI32::new(0),
    generation: AtomicU32::new(0),
    park: AtomicU32::new(0),
    beat: AtomicU32::new(0),
    mark: AtomicU64::new(0),
};

pub(super) fn state(generation: u32, result: u32) -> u64 {
    u64::from(generation) << 32 | u64::from(result)
}

/// The largest counter an answer carries: `pid_max` is at most 2^22.
pub(super) const COUNTER_LIMIT: u32 = (1 << 23) - 2;

/// A thread's answer, as a slot's result: the errno of its restriction (0: restricted; Linux's
/// errnos are below 256) in the low byte, and above it one more than the thread id counter it
/// read before restricting itself (0: none). Always below `RUNNING`.
pub(super) fn answer(errno: i32, counter: Option<u32>) -> u32 {
    let counter = counter.filter(|&c| c <= COUNTER_LIMIT).map_or(0, |c| c + 1);
    counter << 8 | (errno as u32).min(255)
}

/// The errno and the counter of an [`answer`].
pub(super) fn parse_answer(result: u32) -> (i32, Option<u32>) {
    ((result & 0xff) as i32, (result >> 8).checked_sub(1))
}

/// Runs in the interrupted thread: restricts it with the published ruleset if the current
/// round has a slot for it, and answers in that slot with the thread id counter it read first.
/// Then, while the job asks for it, waits ([`park`]). Only atomics and raw, async-signal-safe
/// system calls; `errno` is preserved.
pub(super) extern "C" fn handler(_: libc::c_int) {
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
    // Restricted (or sent back by the job to wait again): the processor is better left to the
    // threads that have not answered. No descriptor is used from here on.
    park();
    // SAFETY: __errno_location returns a valid pointer to this thread's errno.
    unsafe { *libc::__errno_location() = saved };
}

/// How long a thread waits in its handler at a time while the job asks it to: if the job has
/// not got on meanwhile, the thread goes back to its own code.
pub(super) const PARK: Duration = Duration::from_millis(100);

/// Waits in the handler while the job asks for it ([`Board::park`]) and gets on
/// ([`Board::beat`]), [`PARK`] at a time. The job ends the wait when it ends, or when the
/// threads it waits for may need a lock that a waiting thread holds; a waiting thread that the
/// job needs (it holds a lock the job waits for: the C library's allocator's, say) stops the
/// job's beat and so goes back to its code within [`PARK`]. A futex wait: async-signal-safe.
pub(super) fn park() {
    loop {
        let beat = BOARD.beat.load(Ordering::Acquire);
        if BOARD.park.load(Ordering::Acquire) == 0 {
            return;
        }
        futex_wait(&BOARD.park, 1, PARK);
        if BOARD.beat.load(Ordering::Acquire) == beat {
            return;
        }
    }
}

/// Reads the thread id counter through `fd` (an open `ns_last_pid`): one `pread` into the
/// stack and a parse, so async-signal-safe. `None` without a descriptor or a number.
pub(super) fn read_counter(fd: RawFd) -> Option<u32> {
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
pub(super) fn parse_counter(bytes: &[u8]) -> Option<u32> {
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    bytes[..digits].iter().try_fold(0u32, |n, &b| {
        n.checked_mul(10)?.checked_add(u32::from(b - b'0'))
    })
}

/// Wakes the thread waiting on `word`. A raw system call: async-signal-safe.
pub(super) fn futex_wake(word: &AtomicU32) {
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
pub(super) fn futex_wait(word: &AtomicU32, seen: u32, timeout: Duration) {
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

pub(super) fn gettid() -> i32 {
    // SAFETY: gettid has no arguments and cannot fail.
    unsafe { libc::syscall(libc::SYS_gettid) as i32 }
}

pub(super) fn getpid() -> i32 {
    // SAFETY: getpid has no arguments and cannot fail.
    unsafe { libc::getpid() }
}

/// `tgkill(getpid(), tid, sig)`; the errno on failure.
pub(super) fn tgkill(tid: i32, sig: i32) -> Result<(), i32> {
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
pub(super) fn signal() -> io::Result<i32> {
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
pub(super) struct JobLock;

impl JobLock {
    pub(super) fn acquire() -> JobLock {
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
                        BOARD.park.store(0, Ordering::SeqCst);
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
pub(super) fn close_retired() {
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
