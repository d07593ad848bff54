//! Running the program as a supervisor, where the runner must stay after the program starts
//! (denials watched; a plain run `exec`s the program instead): the signals that ask the runner to stop (`SIGTERM`,
//! `SIGINT`, `SIGHUP`, `SIGQUIT`) are passed on to the program, and the runner ends with the
//! program's status, so that `kill RUNNER` never leaves the program behind.
//!
//! A signal the kernel itself sent (a terminal's Ctrl-C or Ctrl-\, sent to the whole foreground
//! process group, the program included) is not passed on again: the program got it already.

use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, ExitStatus};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use signal_hook::iterator::exfiltrator::WithOrigin;
use signal_hook::iterator::{Handle, SignalsInfo};
use signal_hook::low_level::siginfo::Cause;

/// The signals passed on.
const FORWARDED: [i32; 4] = [SIGTERM, SIGINT, SIGHUP, SIGQUIT];

/// What the signal thread and the waiting thread share.
#[derive(Default)]
struct Shared {
    /// The program running now, while it has not been reaped (so that its pid is not reused).
    child: Option<i32>,
    /// The last signal that asked the runner to stop.
    received: Option<i32>,
}

/// Passes the runner's stop signals on to the program it runs, from when it is made until
/// it is dropped.
pub(crate) struct Supervisor {
    shared: Arc<Mutex<Shared>>,
    handle: Handle,
    thread: Option<JoinHandle<()>>,
}

impl Supervisor {
    /// Starts catching the stop signals; until a program runs, they are only recorded
    /// ([`Supervisor::stopped_by`]).
    pub(crate) fn new() -> io::Result<Supervisor> {
        let mut signals = SignalsInfo::<WithOrigin>::new(FORWARDED)?;
        let handle = signals.handle();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let sharing = shared.clone();
        let thread = std::thread::spawn(move || {
            for origin in signals.forever() {
                let mut shared = sharing.lock().unwrap_or_else(PoisonError::into_inner);
                shared.received = Some(origin.signal);
                if let Some(pid) = shared.child
                    && origin.cause != Cause::Kernel
                {
                    // SAFETY: kill(2) has no memory effects. `pid` is a child of this process
                    // that has not been reaped (the lock is held, and `wait` clears it before
                    // reaping), so the pid names that child and no other process.
                    unsafe { libc::kill(pid, origin.signal) };
                }
            }
        });
        Ok(Supervisor {
            shared,
            handle,
            thread: Some(thread),
        })
    }

    /// The signal that asked the runner to stop, if one did.
    pub(crate) fn stopped_by(&self) -> Option<i32> {
        self.lock().received
    }

    /// Waits for `child`, passing signals on to it meanwhile.
    pub(crate) fn wait(&self, mut child: Child) -> io::Result<ExitStatus> {
        let pid = child.id() as i32;
        self.lock().child = Some(pid);
        // A signal that came before the program existed is its too.
        if let Some(signal) = self.stopped_by() {
            // SAFETY: as in the signal thread: `pid` is an unreaped child of this process.
            unsafe { libc::kill(pid, signal) };
        }
        let ended = exited(pid);
        self.lock().child = None;
        ended?;
        child.wait()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.handle.close();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Waits until process `pid`, a child of this process, has ended, without reaping it.
fn exited(pid: i32) -> io::Result<()> {
    loop {
        // SAFETY: `info` is a zeroed siginfo_t that waitid(2) fills in; WNOWAIT leaves the
        // child waitable, so `Child::wait` still reaps it.
        let result = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if result == 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// The status the runner ends with for a program's: its code, or 128+N for signal N.
pub(crate) fn exit_code(status: ExitStatus) -> u8 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code as u8,
        (None, Some(signal)) => (128 + signal) as u8,
        _ => 125,
    }
}
