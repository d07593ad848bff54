//! The watcher a program starts by itself when its environment asks for it, at its first
//! enforcement: `LANDLOCK_SANDBOX_DENIALS=stderr` prints each denial once on standard error,
//! `LANDLOCK_SANDBOX_LEARN=FILE` appends each to `FILE` (see [`suggestions`](crate::denials::suggestions)).

use std::collections::HashSet;
use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use super::Denial;
use crate::kernel::report;

/// The variable that prints denials: its value is `stderr`.
pub(crate) const DENIALS_VARIABLE: &str = "LANDLOCK_SANDBOX_DENIALS";
/// The variable that records denials: its value is the file.
pub(crate) const LEARN_VARIABLE: &str = "LANDLOCK_SANDBOX_LEARN";

/// 0: not looked at yet; 1: nothing asked; 2: being started or started.
static STATE: AtomicU8 = AtomicU8::new(0);

/// At exit: 0 while the program runs; 1 once exit asked the watcher to catch up; 2 once it has
/// (or has given up).
static EXIT: AtomicU8 = AtomicU8::new(0);

/// What wakes the watcher thread from its wait, for the exit handler.
static WAKER: OnceLock<super::Waker> = OnceLock::new();

/// How long the watcher waits, at exit, for the audit records to catch up.
const CATCH_UP: Duration = Duration::from_millis(500);

/// At exit: the kernel reports a denial a moment after it happens, and a program often exits
/// right after one (it failed on it). Asks the watcher thread to read until the stream has
/// caught up ([`Watcher::catch_up`](super::Watcher::catch_up): one throwaway child denied once,
/// a millisecond or two) and to print what came, and waits for it, at most a little longer
/// than the watcher's own limit.
extern "C" fn drain_at_exit() {
    let Some(waker) = WAKER.get() else {
        return;
    };
    EXIT.store(1, Ordering::Release);
    waker.wake();
    let deadline = Instant::now() + CATCH_UP + Duration::from_millis(100);
    while EXIT.load(Ordering::Acquire) != 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Starts the watcher if the environment asks for it, once per process; after the first call,
/// one atomic load.
pub(crate) fn start_if_asked() {
    if STATE.load(Ordering::Relaxed) != 0 {
        return;
    }
    let print = std::env::var_os(DENIALS_VARIABLE);
    let learn = std::env::var_os(LEARN_VARIABLE);
    if print.is_none() && learn.is_none() {
        STATE.store(1, Ordering::Relaxed);
        return;
    }
    if STATE
        .compare_exchange(0, 2, Ordering::AcqRel, Ordering::Relaxed)
        .is_err()
    {
        return;
    }
    let print = match print {
        Some(v) if v == "stderr" => true,
        Some(v) => {
            report::line(format_args!(
                "{DENIALS_VARIABLE}={} is not understood: the only value is `stderr`",
                v.to_string_lossy()
            ));
            false
        }
        None => false,
    };
    // The file is opened now, before any sandbox of this process may deny it.
    let learn = match learn.map(|path| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| (path, e))
    }) {
        Some(Ok(file)) => Some(file),
        Some(Err((path, e))) => {
            report::line(format_args!(
                "{LEARN_VARIABLE}: cannot open `{}`: {e}; denials are not recorded",
                path.to_string_lossy()
            ));
            None
        }
        None => None,
    };
    if !print && learn.is_none() {
        return;
    }
    let mut watcher = match super::watch() {
        Ok(watcher) => watcher,
        Err(e) => {
            report::line(format_args!("{DENIALS_VARIABLE}/{LEARN_VARIABLE}: {e}"));
            return;
        }
    };
    let waker = watcher.waker();
    let spawned = std::thread::Builder::new()
        .name("landlock-denials".into())
        .spawn(move || {
            let mut seen = HashSet::new();
            let mut learn = learn;
            // The watcher yields only this process's denials and those of the child processes
            // it started with a sandbox.
            let mut take = |denial: &Denial| {
                if !seen.insert(key(denial)) {
                    return;
                }
                if print {
                    report::line(format_args!("{denial}"));
                }
                if let Some(file) = learn.as_mut() {
                    let _ = writeln!(file, "{}", super::learning_file::line(denial));
                }
            };
            loop {
                match watcher.next_timeout(Duration::from_secs(3600)) {
                    Some(denial) => take(&denial),
                    None if EXIT.load(Ordering::Acquire) == 1 => break,
                    None => {}
                }
            }
            let complete = watcher.catch_up(CATCH_UP);
            while let Some(denial) = watcher.next_timeout(Duration::ZERO) {
                take(&denial);
            }
            if !complete {
                report::line(format_args!(
                    "{DENIALS_VARIABLE}/{LEARN_VARIABLE}: the kernel's audit records did not \
                     catch up before exit; denials of the last moments may be missing"
                ));
            }
            EXIT.store(2, Ordering::Release);
        });
    match spawned {
        Ok(_) => {
            let _ = WAKER.set(waker);
            // SAFETY: registers a function that takes no argument and returns; it only reads
            // and writes atomics, writes to an eventfd, reads the clock and sleeps.
            unsafe { libc::atexit(drain_at_exit) };
        }
        Err(e) => report::line(format_args!(
            "{DENIALS_VARIABLE}: cannot start the watcher thread: {e}"
        )),
    }
}

/// What makes two denials the same for printing them once: the sandbox, the accesses and the
/// object.
fn key(denial: &Denial) -> String {
    let site = denial
        .sandbox
        .as_ref()
        .map(|a| a.origin.to_string())
        .unwrap_or_else(|| format!("{:x}", denial.domain));
    let accesses: Vec<String> = denial.accesses.iter().map(|a| a.to_string()).collect();
    format!("{site} {} {}", accesses.join(","), denial.object)
}
