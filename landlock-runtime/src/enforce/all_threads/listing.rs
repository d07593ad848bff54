//! Listing the threads of the process (`/proc/self/task`, translated out of an ancestor PID
//! namespace) and reading what `/proc` says of each: state, signal masks, processor time.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use super::signal::tgkill;

/// How long a mask that blocks the job's signal must last, while its thread sleeps or runs,
/// before the thread is taken to block the signal on purpose (it may be about to unblock it,
/// or be a thread the C library is setting up or taking down).
pub(super) const BLOCKED_GRACE: Duration = Duration::from_millis(100);

/// The processor time a thread must spend with the job's signal blocked, besides the grace
/// period, to be taken to block it on purpose while it runs. A C library sets a thread up or
/// takes it down in microseconds.
pub(super) const BLOCKED_CPU: Duration = Duration::from_millis(1);

/// What `/proc/<id>/status` says of one thread.
#[derive(Clone, Copy, Debug)]
pub(super) struct TaskStatus {
    /// `Z` (zombie) or `X` (dead): it will never run again.
    pub(super) finished: bool,
    /// `R`: running, or waiting for a processor.
    pub(super) runnable: bool,
    /// `D`: in an uninterruptible wait in the kernel, which a signal does not end.
    pub(super) uninterruptible: bool,
    /// Traced (`TracerPid` not 0), or a tracer is not ruled out (no `TracerPid`).
    pub(super) traced: bool,
    /// Under a seccomp filter (`Seccomp` not 0), or one is not ruled out (no `Seccomp`).
    pub(super) filtered: bool,
    /// The signals it blocks (`SigBlk`), a bit per signal from 1.
    pub(super) blocked: u64,
    /// Its id in this process's own PID namespace: the last of `NSpid` (None without it).
    pub(super) tid: Option<i32>,
    /// How many PID namespaces `NSpid` lists (0 without it).
    pub(super) namespaces: usize,
    /// Its voluntary and involuntary context switches: unchanged between two looks at a thread
    /// that was not runnable at either, it did not run in between.
    pub(super) switches: Option<(u64, u64)>,
}

/// Reads the status of the thread listed as `id` (in `/proc`'s namespace); `None` when it is
/// gone.
pub(super) fn task_status(id: i32) -> Option<TaskStatus> {
    parse_status(&std::fs::read_to_string(format!("/proc/self/task/{id}/status")).ok()?)
}

pub(super) fn parse_status(text: &str) -> Option<TaskStatus> {
    // One pass over the lines: the job reads a status at each look at each waiting thread.
    let (mut state, mut blocked, mut ns, mut voluntary, mut involuntary) =
        (None, None, None, None, None);
    let (mut traced, mut filtered) = (true, true);
    for line in text.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name {
            "State" => state = Some(value),
            "SigBlk" => blocked = u64::from_str_radix(value, 16).ok(),
            "NSpid" => ns = Some(value),
            "TracerPid" => traced = value != "0",
            "Seccomp" => filtered = value != "0",
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
        uninterruptible: state.starts_with('D'),
        traced,
        filtered,
        blocked: blocked?,
        tid: ns.last().copied(),
        namespaces: ns.len(),
        switches: voluntary.zip(involuntary),
    })
}

/// Whether the thread listed as `id` is inside `exit` or `exit_group`, by the system call
/// `/proc` says it is blocked in (the kernel reads it only while the thread is off its
/// processor; "running" otherwise).
pub(super) fn in_exit_call(id: i32) -> bool {
    std::fs::read_to_string(format!("/proc/self/task/{id}/syscall"))
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse::<libc::c_long>().ok())
        .is_some_and(|nr| nr == libc::SYS_exit || nr == libc::SYS_exit_group)
}

/// The processor time thread `tid` (of this process) has had, to the nanosecond, including
/// the slice it may be running now: the same at two looks, the thread ran no code in between.
/// 0: it has not run at all since it was started. `None` once it is gone.
pub(super) fn thread_cpu(tid: i32) -> Option<Duration> {
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
pub(super) const LIBC_INTERNAL_SIGNAL: u32 = 32;

pub(super) fn blocks(mask: u64, sig: i32) -> bool {
    mask & (1u64 << (sig - 1)) != 0
}

/// Whether a mask that blocks the job's signal is the passing one of a thread being born or
/// exiting, which will be lifted or end with the thread.
pub(super) fn is_passing_mask(mask: u64) -> bool {
    blocks(mask, LIBC_INTERNAL_SIGNAL as i32)
}

/// glibc's mask for a thread on its way out, once its own function and every destructor have
/// run: every signal but SIGSETXID (33), which no application mask can match, since an
/// application cannot block SIGCANCEL (32). A thread with it starts no thread any more.
pub(super) fn is_exit_mask(mask: u64) -> bool {
    blocks(mask, 32) && !blocks(mask, 33)
}

/// Whether a thread in this state blocks signal `sig` with a mask that may be its own choice
/// (not glibc's passing one).
pub(super) fn blocks_as_chosen(status: &TaskStatus, sig: i32) -> bool {
    !status.finished && blocks(status.blocked, sig) && !is_passing_mask(status.blocked)
}

/// A thread seen blocking the job's signal with a mask that may be its own choice, and since
/// when.
#[derive(Clone, Copy, Debug)]
pub(super) struct Blocked {
    pub(super) since: Instant,
    /// Its processor time then.
    pub(super) cpu: Option<Duration>,
}

impl Blocked {
    pub(super) fn new(tid: i32) -> Blocked {
        Blocked {
            since: Instant::now(),
            cpu: thread_cpu(tid),
        }
    }

    /// Whether the thread, seen now in `status`, blocks the signal on purpose: its mask has
    /// lasted [`BLOCKED_GRACE`], and it now sleeps, or has run [`BLOCKED_CPU`] meanwhile. A
    /// thread that the C library is setting up or taking down does neither for that long; one
    /// that only waited for a processor is given the benefit of the doubt.
    pub(super) fn on_purpose(&self, tid: i32, status: &TaskStatus) -> bool {
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
pub(super) enum Namespace {
    /// `/proc` belongs to this process's PID namespace: the ids are the thread ids.
    Same,
    /// `/proc` belongs to an ancestor PID namespace: each id is translated through `NSpid`.
    Ancestor,
    /// The listing cannot be tied to this process's threads.
    Unknown,
}

/// One thread of a listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Listed {
    /// Its id in `/proc`, for reading its status.
    pub(super) id: i32,
    /// Its thread id in this process's namespace, for signalling it.
    pub(super) tid: i32,
}

/// The threads of the process, as `/proc/self/task` lists them.
pub(super) struct Listing {
    pub(super) threads: Vec<Listed>,
    /// The last thread listed was still there once the listing was read, so none was skipped
    /// (the kernel cuts a listing short only after a listed thread that exits meanwhile).
    pub(super) complete: bool,
    pub(super) namespace: Namespace,
}

/// The entries of `/proc/self/task`, read in one `getdents64` call (retried with a larger
/// buffer when one call does not hold them all), so that the kernel does not resume the
/// listing by position, which can skip a thread when another exits.
pub(super) fn read_task_ids() -> io::Result<Vec<i32>> {
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

pub(super) fn open_task_dir() -> io::Result<OwnedFd> {
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

pub(super) fn getdents(dir: &OwnedFd, buf: &mut [u8]) -> io::Result<usize> {
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
pub(super) fn dirent_names(buf: &[u8]) -> Vec<i32> {
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
    pub(super) fn read(me: i32) -> io::Result<Listing> {
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

    pub(super) fn others(&self, me: i32) -> impl Iterator<Item = Listed> + '_ {
        self.threads.iter().copied().filter(move |t| t.tid != me)
    }
}

/// Ties the ids of a listing to this process's namespace, from the calling thread's own status.
pub(super) fn namespace(me: i32, ids: &[i32]) -> Namespace {
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
