//! Holding a thread inside one system call, deterministically: a seccomp filter with user
//! notification on that thread alone sends the call to a supervisor (the test), which decides
//! when it proceeds. This is how the tests stop a thread at an exact point of the library's
//! protocol (inside `landlock_restrict_self`, or while a lock is held) instead of hoping for a
//! scheduler's timing.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// Installs, on the calling thread only, a filter that hands every call of system call `nr` to
/// the supervisor holding the returned listener. Other threads, and the calls other than `nr`,
/// are untouched. (The numbers are this build's own; the architecture is the build's.)
pub fn hold_on_this_thread(nr: libc::c_long) -> OwnedFd {
    use libc::{
        BPF_ABS, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W, SECCOMP_RET_ALLOW,
        SECCOMP_RET_USER_NOTIF, sock_filter,
    };
    let mut filter = [
        // The system call number: the first field of `struct seccomp_data`.
        sock_filter {
            code: (BPF_LD | BPF_W | BPF_ABS) as u16,
            jt: 0,
            jf: 0,
            k: 0,
        },
        sock_filter {
            code: (BPF_JMP | BPF_JEQ | BPF_K) as u16,
            jt: 0,
            jf: 1,
            k: nr as u32,
        },
        sock_filter {
            code: (BPF_RET | BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: SECCOMP_RET_USER_NOTIF,
        },
        sock_filter {
            code: (BPF_RET | BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: SECCOMP_RET_ALLOW,
        },
    ];
    let program = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_mut_ptr(),
    };
    // SAFETY: a well-formed filter program that lives across the call; no_new_privs on this
    // thread first, as seccomp requires of an unprivileged caller.
    let fd = unsafe {
        assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            libc::SECCOMP_FILTER_FLAG_NEW_LISTENER,
            &program as *const libc::sock_fprog,
        )
    };
    assert!(fd >= 0, "seccomp: {}", std::io::Error::last_os_error());
    // SAFETY: a descriptor just returned by the kernel, owned by nobody else.
    unsafe { OwnedFd::from_raw_fd(fd as i32) }
}

/// A held system call.
#[derive(Debug)]
pub struct Held {
    pub id: u64,
    /// The thread id of the caller.
    pub tid: u32,
    pub args: [u64; 6],
}

/// Waits (up to `timeout`) for the next call held by `listener`.
pub fn next_held(listener: &OwnedFd, timeout: Duration) -> Held {
    try_next_held(listener, timeout)
        .unwrap_or_else(|| panic!("no system call was held within {timeout:?}"))
}

/// The next call held by `listener`, if one comes within `timeout`.
pub fn try_next_held(listener: &OwnedFd, timeout: Duration) -> Option<Held> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        let mut poll = libc::pollfd {
            fd: listener.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&mut poll, 1, left.as_millis().max(1) as i32) };
        if ready <= 0 {
            continue;
        }
        // Ready without a notification: no thread is left under the filter (the held one has
        // exited), so none can come. Linux 6.1 would then wait in the RECV below for ever.
        if poll.revents & libc::POLLIN == 0 {
            return None;
        }
        // SAFETY: zeroed is a valid seccomp_notif, as the kernel requires it to be on entry.
        let mut notif: libc::seccomp_notif = unsafe { std::mem::zeroed() };
        // SAFETY: the ioctl fills the struct passed.
        let got = unsafe {
            libc::ioctl(
                listener.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_RECV,
                &mut notif as *mut libc::seccomp_notif,
            )
        };
        if got == 0 {
            return Some(Held {
                id: notif.id,
                tid: notif.pid,
                args: notif.data.args,
            });
        }
        // EINTR (a signal reached this thread), or ENOENT (the caller went away): try again.
    }
}

/// Lets the held call proceed, as if it had never been held.
pub fn release(listener: &OwnedFd, held: &Held) {
    let mut response = libc::seccomp_notif_resp {
        id: held.id,
        val: 0,
        error: 0,
        flags: libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32,
    };
    loop {
        // SAFETY: the ioctl reads the struct passed.
        let sent = unsafe {
            libc::ioctl(
                listener.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_SEND,
                &mut response as *mut libc::seccomp_notif_resp,
            )
        };
        if sent == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            assert_eq!(sent, 0, "release: {}", std::io::Error::last_os_error());
            return;
        }
    }
}
