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
//! - **Only answers count**, never a signal merely pending: the kernel delivers it at the
//!   thread's next return to user space, but with the dispositions and pending signals of
//!   then, which any thread may change after the job (a lower-numbered signal aimed at the
//!   thread whose handler blocks ours, `SIG_IGN` on ours), and a system call in progress may
//!   restore a mask that blocks it or consume it.
//! - **Answers in time under load**: the threads that answered wait in their handlers
//!   ([`signal::park`]) while a thread of the round needs a processor or the kernel to answer,
//!   so that busy threads and threads starting others leave the processors to it. The wait
//!   ends with the job, when every thread left in the round has slept for [`job::LOCK_GRACE`]
//!   (it may need a lock or a reply a waiting thread owes it; those let go are signalled again
//!   when the job next asks), or when the job has not got on for [`signal::PARK`] (it may
//!   need such a lock).
//! - **A thread inside `exit`** (or `exit_group`), with no tracer nor seccomp filter, counts
//!   as exited: the kernel's `do_exit` never returns to user space.
//! - **Bounded in time**: each job stops after [`DEADLINE`]; the threads still there that did
//!   not answer by then are reported, and so are the new threads that one of them may have
//!   started.
//! - **What is reported** is exactly the threads alive when the job ends that are not
//!   restricted, each with why; the others are counted as restricted (they answered), started
//!   restricted (by a restricted thread), or exited.
//!
//! What cannot be done from user space is documented in the guide's threat model: a process
//! forked during the job by a thread not yet restricted is not restricted, and cannot be seen;
//! a thread that such a thread starts and that exits before the next listing is never seen
//! either, and a thread it starts in turn after its starter's window closed is taken for one
//! started restricted.
//!
//! The parts, each depending only on those before it:
//! - `signal`: the signal, its handler (which answers, then waits while the job asks) and what
//!   they share (the board of slots, the published round, the descriptors a late handler may
//!   still use). The async-signal-safe part.
//! - `listing`: the threads of the process, and what `/proc` says of each (state, masks,
//!   processor time).
//! - `census`: what a job knows of each thread across rounds, and the windows of thread ids
//!   that churn needs.
//! - `job`: one job, its rounds, signalling and collecting within the deadline.
//! - here: the entry points, which run a job and report.

mod census;
mod job;
pub(super) mod listing;
mod signal;
#[cfg(test)]
mod tests;

use std::io;
use std::os::fd::BorrowedFd;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::outcome::{ThreadCoverage, Uncovered, UncoveredThread};
use census::Census;
use job::{Job, POLL};
use listing::{
    Blocked, Listed, Listing, Namespace, blocks_as_chosen, read_task_ids, task_status, thread_cpu,
};
use signal::{BOARD, SLOTS, gettid, signal};

/// How long one all-threads enforcement may take before the threads that have not answered
/// are reported.
pub const DEADLINE: Duration = Duration::from_secs(2);

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
        job.beat();
        census.look_again(|| job.read_counter());
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
