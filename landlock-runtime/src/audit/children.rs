//! The child processes this process started with a sandbox while denials are watched, known by
//! what the kernel says of them: between `fork` and `exec`, before it restricts itself, each
//! child writes its process id and user id on a pipe (`kernel::report_child`). A domain whose
//! allocation record names one of them as its creator (pid and uid) is the child's, so this
//! process's; a process that only took a mark's name is not.
//!
//! The report is written before the child's domain exists, so it is in the pipe before any
//! record of that domain can be: the watcher reads the pipe when it meets a creator it does not
//! know, and the answer is final, without waiting. A child is forgotten [`KEPT`] after it is
//! found reaped (its process id may then be another process's); the watcher looks each time it
//! reads.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a child is remembered after it was found reaped: the records of its last denials
/// (or those of its own children, which keep its domain) may still be on their way.
pub(crate) const KEPT: Duration = Duration::from_secs(10);

/// The pipe the children write on: both ends close on `exec`, neither blocks.
struct Pipe {
    read: OwnedFd,
    write: OwnedFd,
    ino: u64,
}

static PIPE: OnceLock<Pipe> = OnceLock::new();

/// A child that reported itself.
#[derive(Debug)]
struct Child {
    pid: i32,
    uid: u32,
    /// When it was first found reaped (no longer this process's child).
    reaped: Option<Instant>,
}

static CHILDREN: Mutex<Vec<Child>> = Mutex::new(Vec::new());

/// Opens the pipe, once per process (when denials are first watched).
pub(crate) fn open() -> io::Result<()> {
    if PIPE.get().is_some() {
        return Ok(());
    }
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into the array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: two descriptors just returned by the kernel, owned by nobody else.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // Room for many children started between two reads (best effort: 1 MiB is the default
    // limit for unprivileged processes).
    // SAFETY: fcntl on a descriptor of ours, with an integer.
    unsafe { libc::fcntl(write.as_raw_fd(), libc::F_SETPIPE_SZ, 1 << 20) };
    // SAFETY: an all-zero `stat` is a valid value for fstat to overwrite.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstat writes one `stat`.
    if unsafe { libc::fstat(write.as_raw_fd(), &mut stat) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // Two threads may both get here: one pipe is kept, the other closed.
    let _ = PIPE.set(Pipe {
        read,
        write,
        ino: stat.st_ino,
    });
    Ok(())
}

/// What a child started now writes its report on (descriptor and inode), while denials are
/// watched.
pub(crate) fn report_to() -> Option<(RawFd, u64)> {
    PIPE.get().map(|p| (p.write.as_raw_fd(), p.ino))
}

/// Whether the process `pid`, of real user `uid`, is a child this process started with a
/// sandbox (while denials were watched), not yet reaped or reaped less than [`KEPT`] ago.
pub(crate) fn is_child(pid: i32, uid: u32) -> bool {
    let mut children = CHILDREN.lock().unwrap_or_else(|e| e.into_inner());
    update(&mut children);
    children.iter().any(|c| c.pid == pid && c.uid == uid)
}

/// Takes the reports in the pipe, notes the children found reaped, and forgets those reaped
/// [`KEPT`] ago. The watcher calls it each time it reads, so that a child is found reaped
/// soon after it is.
pub(crate) fn refresh() {
    let mut children = CHILDREN.lock().unwrap_or_else(|e| e.into_inner());
    update(&mut children);
}

fn update(children: &mut Vec<Child>) {
    take_reports(children);
    let now = Instant::now();
    children.retain_mut(|child| {
        if child.reaped.is_none() && !unreaped(child.pid) {
            child.reaped = Some(now);
        }
        child.reaped.is_none_or(|t| now - t < KEPT)
    });
}

/// Takes the reports in the pipe. A report for a process id already known replaces it (the
/// older child was reaped, and the id is the new child's).
fn take_reports(children: &mut Vec<Child>) {
    let Some(pipe) = PIPE.get() else {
        return;
    };
    let mut buffer = [0u8; 8 * 64];
    loop {
        // SAFETY: reads into a buffer of the size passed.
        let n = unsafe {
            libc::read(
                pipe.read.as_raw_fd(),
                buffer.as_mut_ptr() as *mut libc::c_void,
                buffer.len(),
            )
        };
        if n <= 0 {
            return;
        }
        // Each report is written whole (8 bytes, below PIPE_BUF), so a read holds whole ones.
        for record in buffer[..n as usize].chunks_exact(8) {
            let pid = i32::from_ne_bytes(record[..4].try_into().unwrap_or_default());
            let uid = u32::from_ne_bytes(record[4..].try_into().unwrap_or_default());
            children.retain(|c| c.pid != pid);
            children.push(Child {
                pid,
                uid,
                reaped: None,
            });
        }
    }
}

/// Whether `pid` is still a child of this process (running, or ended and not yet reaped).
fn unreaped(pid: i32) -> bool {
    // SAFETY: an all-zero siginfo is a valid value for waitid to overwrite.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: waitid writes one siginfo; WNOWAIT leaves the child as it is, WNOHANG returns at
    // once.
    let waited = unsafe {
        libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        )
    };
    waited == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ECHILD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_is_known_by_its_report_and_forgotten_once_reaped() {
        open().unwrap();
        let child = std::process::Command::new("/bin/sh")
            .args(["-c", "read line"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        // SAFETY: getuid takes nothing and cannot fail.
        let uid = unsafe { libc::getuid() };
        assert!(!is_child(pid, uid), "not reported: not known");
        let (fd, _) = report_to().unwrap();
        let mut record = [0u8; 8];
        record[..4].copy_from_slice(&pid.to_ne_bytes());
        record[4..].copy_from_slice(&uid.to_ne_bytes());
        // SAFETY: writes 8 bytes of a stack buffer.
        assert_eq!(unsafe { libc::write(fd, record.as_ptr().cast(), 8) }, 8);
        assert!(is_child(pid, uid));
        assert!(
            !is_child(pid, uid + 1),
            "another user's process is not the child"
        );
        let mut child = child;
        drop(child.stdin.take());
        child.wait().unwrap();
        // Reaped: still known for a while, for the records on their way.
        assert!(is_child(pid, uid));
        let mut children = CHILDREN.lock().unwrap();
        let known = children.iter_mut().find(|c| c.pid == pid).unwrap();
        assert!(known.reaped.is_some());
        known.reaped = Some(Instant::now() - KEPT);
        drop(children);
        assert!(!is_child(pid, uid));
    }
}
