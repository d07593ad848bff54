//! One all-threads job: its rounds, each signalling the threads it reaches and collecting
//! their answers, within the deadline.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::DEADLINE;
use super::census::{Outcome, Target, ThreadOrder};
use super::listing::{
    Blocked, Listed, TaskStatus, blocks, blocks_as_chosen, in_exit_call, is_exit_mask, task_status,
    thread_cpu,
};
use super::signal::{
    BOARD, FD_BITS, JobLock, PENDING, RUNNING, SLOTS, Slot, close_retired, futex_wait, futex_wake,
    parse_answer, read_counter, signal, state, tgkill,
};
use crate::enforce::io_uring::{IoThread, io_thread};
use crate::outcome::Uncovered;

/// How often the waiting thread looks at the threads that have not answered.
pub(super) const POLL: Duration = Duration::from_millis(1);

/// How long the threads left in a round may all sleep with the signal blocked before the
/// threads waiting in their handlers are let go: a thread being born or exiting that waits for
/// a lock usually gets it from a thread that is not waiting, within microseconds.
pub(super) const LOCK_GRACE: Duration = Duration::from_millis(10);

/// One enforcement on every other thread: the job lock, the job's own duplicate of the ruleset
/// descriptor and its descriptor of the thread id counter, the signal, and the generation of
/// the round being run.
pub(super) struct Job {
    pub(super) fd: Option<OwnedFd>,
    /// The `SQPOLL` threads that the rings of the process name.
    pub(super) sq_threads: Vec<i32>,
    pub(super) counter: Option<OwnedFd>,
    pub(super) flags: u32,
    pub(super) signal: i32,
    pub(super) generation: u32,
    /// The threads that answered in this job: their ids here and in `/proc`.
    pub(super) answered: Vec<(i32, i32)>,
    pub(super) deadline: Instant,
    pub(super) _lock: JobLock,
}

impl Job {
    pub(super) fn start(
        ruleset: BorrowedFd<'_>,
        flags: u32,
        sq_threads: &[i32],
    ) -> io::Result<Job> {
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
        BOARD.park.store(1, Ordering::Release);
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
            answered: Vec::new(),
            deadline: Instant::now() + DEADLINE,
            _lock: lock,
        })
    }

    pub(super) fn past_deadline(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Tells the threads waiting in their handlers that the job gets on.
    pub(super) fn beat(&self) {
        BOARD.beat.fetch_add(1, Ordering::Release);
    }

    /// Asks the threads that answered in this job to wait in their handlers, or lets them go.
    /// When it asks again, those let go that are runnable (they compete for a processor) are
    /// sent the signal once more: their handler, with nothing to answer, waits.
    pub(super) fn set_park(&self, on: bool) {
        if on {
            if BOARD.park.swap(1, Ordering::AcqRel) == 0 {
                for &(tid, _) in &self.answered {
                    let _ = tgkill(tid, self.signal);
                }
            }
        } else if BOARD.park.swap(0, Ordering::AcqRel) != 0 {
            futex_wake(&BOARD.park);
        }
    }

    /// Whether a target that has not answered (or is answering) waits for a processor or for
    /// the kernel: it is runnable, has never run, or is in an uninterruptible wait (for the
    /// process's memory map, say, which a runnable thread holds). One that sleeps (being born
    /// or exiting in the C library, or held in its handler) may wait for a lock, or a reply,
    /// that a thread waiting in its handler owes it.
    pub(super) fn needs_a_processor(&self, target: &Target) -> bool {
        matches!(target.outcome, Outcome::Pending { .. })
            && target.seen.is_none_or(|s| {
                s.runnable || s.uninterruptible || target.cpu == Some(Duration::ZERO)
            })
    }

    /// The thread id counter now.
    pub(super) fn read_counter(&self) -> Option<u32> {
        read_counter(self.counter.as_ref()?.as_raw_fd())
    }

    /// Starts a round: a new generation, a slot per target tagged with it, then the
    /// generation and the descriptor published together.
    pub(super) fn publish(&mut self, round: &[Target]) {
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

    pub(super) fn signal(&self, round: &mut [Target]) {
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
    pub(super) fn wait(&mut self, round: &mut [Target], order: &mut ThreadOrder) {
        let mut looked = Instant::now();
        // Since when the threads left have all slept with the signal blocked.
        let mut sleeping_since: Option<Instant> = None;
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
            self.beat();
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
                    } else if let Some(status) = task_status(target.listed.id) {
                        // Only for `needs_a_processor`: held in its handler, or running it.
                        target.seen = Some(status);
                    }
                }
                // Often enough to see the counter wrap, and not miss it going round twice;
                // and after the looks, for what they found.
                let after = order.count(self.read_counter());
                for (target, _) in round.iter_mut().zip(seen).filter(|&(_, seen)| seen) {
                    target.looked(after);
                }
                looked = Instant::now();
                // The threads that answered wait while a thread of the round needs a
                // processor to answer; not once those left have slept for `LOCK_GRACE` with
                // the signal blocked: they may need a lock one of the waiting threads holds.
                if round.iter().any(|t| self.needs_a_processor(t)) {
                    sleeping_since = None;
                    self.set_park(true);
                } else if sleeping_since.get_or_insert_with(Instant::now).elapsed() >= LOCK_GRACE {
                    self.set_park(false);
                }
            }
        }
    }

    /// Moves the answers of this round's slots into their targets.
    pub(super) fn take_answers(&mut self, round: &mut [Target]) {
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
                        self.answered.push((target.listed.tid, target.listed.id));
                        Outcome::Restricted { counter }
                    } else {
                        Outcome::Uncovered(Uncovered::Failed(errno))
                    };
                }
            }
        }
    }

    /// Whether the slot's thread is in its handler for this round, restricting itself.
    pub(super) fn is_answering(&self, slot: &Slot) -> bool {
        slot.state.load(Ordering::Acquire) == state(self.generation, RUNNING)
    }

    /// Looks at a thread that has not answered and is not answering, whose processor time is
    /// now `cpu`: gone, finished, being born or exiting (waited for), or blocking the signal
    /// with a mask of its own. A thread that ran no code since the last look has changed
    /// neither its mask nor its state of its own: what was seen then stands.
    pub(super) fn look_at(&self, target: &mut Target, cpu: Option<Duration>) {
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
        target.outcome = if status.finished || self.exiting_for_good(target.listed, &status, cpu) {
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

    /// Whether a thread whose status, read after its processor time was `cpu`, is `status` is
    /// inside `exit` (or `exit_group`) for good: it cannot reach the job's signal (the C
    /// library blocks signals before it exits), no tracer or seccomp filter could stop the
    /// call on its way in, and it ran no code between the reads, so that all three held at
    /// once. The kernel's `do_exit` never returns to user space: such a thread runs no code of
    /// its own again, as a thread gone (a thread waiting in it for the process's memory map,
    /// behind threads that wait for a processor, may take seconds to go).
    pub(super) fn exiting_for_good(
        &self,
        listed: Listed,
        status: &TaskStatus,
        cpu: Option<Duration>,
    ) -> bool {
        cpu.is_some()
            && blocks(status.blocked, self.signal)
            && !status.traced
            && !status.filtered
            && in_exit_call(listed.id)
            && thread_cpu(listed.tid) == cpu
    }

    /// Ends the round: the answers that came, and, for each thread still pending (the
    /// deadline passed), whether it is gone, blocks the signal, or did not answer. A thread
    /// still in its handler did not answer in time: whether it will be restricted is not
    /// known, so it is not counted as restricted.
    pub(super) fn collect(&mut self, round: &mut [Target]) {
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
                let cpu = thread_cpu(target.listed.tid);
                let status = task_status(target.listed.id);
                target.seen = status;
                target.outcome = match status {
                    None => Outcome::Exited,
                    Some(s) if s.finished || self.exiting_for_good(target.listed, &s, cpu) => {
                        Outcome::Finished
                    }
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
pub(super) fn open_counter() -> Option<OwnedFd> {
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
        self.set_park(false);
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
pub(super) fn retire(fd: OwnedFd) {
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
