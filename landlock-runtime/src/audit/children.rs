//! The child processes this process started with a sandbox while denials are watched, known by
//! what the kernel says of them: between `fork` and `exec`, before it restricts itself, each
//! child sends the id of the policy it is started with on a unix socket of this process
//! (`kernel::report_child`), and the kernel attaches the sender's process id and user id
//! (`SCM_CREDENTIALS`), which no sender can choose. A domain whose allocation record names one
//! of them as its creator (pid and uid) is the child's, so this process's, and its mark is
//! taken only if it names that policy: after `exec` the child runs code this process does not
//! control, which can restrict itself again under any name, but whose denials then stay its
//! own. A process that only took a mark's name is not this process's.
//!
//! A socket pair rather than a pipe: another process of this user may reopen a pipe of this
//! process through `/proc/<pid>/fd` and write what it likes, but not a socket (`ENXIO`), and
//! whatever sends on it, the credentials are the kernel's.
//!
//! The report is sent before the child's domain exists, so it is queued before any record of
//! that domain can be: the watcher takes the reports when it meets a creator it does not know,
//! and the answer is final, without waiting. A child is forgotten [`KEPT`] after it is found
//! reaped (its process id may then be another process's); the watcher looks each time it
//! reads, and the reports are taken each time a child is started, so that they never pile up.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a child is remembered after it was found reaped: the records of its last denials
/// (or those of its own children, which keep its domain) may still be on their way.
pub(crate) const KEPT: Duration = Duration::from_secs(10);

/// The socket pair the children send on: both ends close on `exec`, neither blocks; the
/// receiving end is given each sender's credentials.
struct Reports {
    receive: OwnedFd,
    send: OwnedFd,
    ino: u64,
}

static REPORTS: OnceLock<Reports> = OnceLock::new();

/// A child that reported itself.
#[derive(Debug)]
struct Child {
    pid: i32,
    uid: u32,
    /// The policy it was started with (its id, as its mark carries it).
    policy: u64,
    /// When it was first found reaped (no longer this process's child).
    reaped: Option<Instant>,
}

static CHILDREN: Mutex<Vec<Child>> = Mutex::new(Vec::new());

/// Opens the socket pair, once per process (when denials are first watched).
pub(crate) fn open() -> io::Result<()> {
    if REPORTS.get().is_some() {
        return Ok(());
    }
    let mut fds = [0; 2];
    // SAFETY: socketpair writes two descriptors into the array.
    let made = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            0,
            fds.as_mut_ptr(),
        )
    };
    if made != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: two descriptors just returned by the kernel, owned by nobody else.
    let (receive, send) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let on: libc::c_int = 1;
    // SAFETY: setsockopt reads one `c_int` of the size passed.
    let passcred = unsafe {
        libc::setsockopt(
            receive.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PASSCRED,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if passcred != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: an all-zero `stat` is a valid value for fstat to overwrite.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstat writes one `stat`.
    if unsafe { libc::fstat(send.as_raw_fd(), &mut stat) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // Two threads may both get here: one pair is kept, the other closed.
    let _ = REPORTS.set(Reports {
        receive,
        send,
        ino: stat.st_ino,
    });
    Ok(())
}

/// What a child started now sends its report on (descriptor and inode), while denials are
/// watched. Takes the reports sent so far, so that the socket's buffer holds at most those of
/// the children being started at once.
pub(crate) fn report_to() -> Option<(RawFd, u64)> {
    let reports = REPORTS.get()?;
    refresh();
    Some((reports.send.as_raw_fd(), reports.ino))
}

/// The policy the process `pid`, of real user `uid`, was started with, when it is a child this
/// process started with a sandbox (while denials were watched), not yet reaped or reaped less
/// than [`KEPT`] ago.
pub(crate) fn child_policy(pid: i32, uid: u32) -> Option<u64> {
    let mut children = CHILDREN.lock().unwrap_or_else(|e| e.into_inner());
    update(&mut children);
    children
        .iter()
        .find(|c| c.pid == pid && c.uid == uid)
        .map(|c| c.policy)
}

/// Takes the reports sent, notes the children found reaped, and forgets those reaped [`KEPT`]
/// ago. The watcher calls it each time it reads, so that a child is found reaped soon after it
/// is.
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

/// Takes the reports sent: each the policy id its sender gave, and the process id and user id
/// the kernel gave. A report for a process id already known replaces it (the older child was
/// reaped, and the id is the new child's).
fn take_reports(children: &mut Vec<Child>) {
    let Some(reports) = REPORTS.get() else {
        return;
    };
    while let Some((pid, uid, policy)) = receive(reports.receive.as_raw_fd()) {
        let Some(policy) = policy else {
            continue;
        };
        children.retain(|c| c.pid != pid);
        children.push(Child {
            pid,
            uid,
            policy,
            reaped: None,
        });
    }
}

/// Receives one report on `fd`: its sender's process id and real user id as the kernel gives
/// them, and the policy id it sent (`None` when it sent something else); `None` when there is
/// none left.
fn receive(fd: RawFd) -> Option<(i32, u32, Option<u64>)> {
    let mut policy = [0u8; 8];
    let mut iov = libc::iovec {
        iov_base: policy.as_mut_ptr().cast(),
        iov_len: policy.len(),
    };
    // Room for one `ucred`, aligned as a control message header.
    let mut control = [0u64; 8];
    // SAFETY: an all-zero msghdr is valid; the fields recvmsg reads are set below.
    let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
    message.msg_iov = &mut iov;
    message.msg_iovlen = 1;
    message.msg_control = control.as_mut_ptr().cast();
    message.msg_controllen = std::mem::size_of_val(&control) as _;
    loop {
        // SAFETY: the message points to a buffer and a control buffer of the sizes it gives.
        let n = unsafe { libc::recvmsg(fd, &mut message, libc::MSG_DONTWAIT) };
        if n >= 0 {
            let sent = (n as usize == policy.len() && message.msg_flags & libc::MSG_TRUNC == 0)
                .then(|| u64::from_ne_bytes(policy));
            // SAFETY: the control buffer as recvmsg filled it, its length in the message.
            let credentials = unsafe { credentials(&message) }?;
            return Some((credentials.pid, credentials.uid, sent));
        }
        if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return None;
        }
    }
}

/// The sender's credentials in `message`, as the kernel attached them (`SO_PASSCRED`).
///
/// # Safety
///
/// `message` is as `recvmsg` filled it, its control buffer still alive.
unsafe fn credentials(message: &libc::msghdr) -> Option<libc::ucred> {
    // SAFETY: the caller's: a control buffer recvmsg filled, walked with the kernel's macros.
    unsafe {
        let mut header = libc::CMSG_FIRSTHDR(message);
        while !header.is_null() {
            if (*header).cmsg_level == libc::SOL_SOCKET
                && (*header).cmsg_type == libc::SCM_CREDENTIALS
            {
                return Some(std::ptr::read_unaligned(
                    libc::CMSG_DATA(header).cast::<libc::ucred>(),
                ));
            }
            header = libc::CMSG_NXTHDR(message, header);
        }
    }
    None
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
        // SAFETY: getuid takes nothing and cannot fail.
        let uid = unsafe { libc::getuid() };
        let child = std::process::Command::new("/bin/sh")
            .args(["-c", "read line"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        assert_eq!(child_policy(pid, uid), None, "not reported: not known");
        // What the child sends between fork and exec, sent by this process: the kernel gives
        // this process's id, not the child's.
        let (fd, ino) = report_to().unwrap();
        crate::kernel::report_child(fd, ino, 7);
        let me = std::process::id() as i32;
        assert_eq!(child_policy(me, uid), Some(7));
        assert_eq!(child_policy(pid, uid), None, "the id sent is the kernel's");
        // As if the child had reported itself.
        CHILDREN.lock().unwrap().push(Child {
            pid,
            uid,
            policy: 3,
            reaped: None,
        });
        assert_eq!(child_policy(pid, uid), Some(3));
        assert_eq!(
            child_policy(pid, uid + 1),
            None,
            "another user's process is not the child"
        );
        let mut child = child;
        drop(child.stdin.take());
        child.wait().unwrap();
        // Reaped: still known for a while, for the records on their way.
        assert_eq!(child_policy(pid, uid), Some(3));
        let mut children = CHILDREN.lock().unwrap();
        let known = children.iter_mut().find(|c| c.pid == pid).unwrap();
        assert!(known.reaped.is_some());
        known.reaped = Some(Instant::now() - KEPT);
        drop(children);
        assert_eq!(child_policy(pid, uid), None);
    }
}
