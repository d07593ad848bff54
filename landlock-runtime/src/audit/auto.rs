//! The watcher a program starts by itself when its environment asks for it, at its first
//! enforcement: `LANDLOCK_SANDBOX_DENIALS=stderr` prints each denial once on standard error,
//! `LANDLOCK_SANDBOX_LEARN=FILE` appends each to `FILE` (see [`suggestions`](crate::denials::suggestions)).

use std::collections::HashSet;
use std::io::Write;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use super::Denial;
use crate::kernel::report;

/// The variable that prints denials: its value is `stderr`.
pub(crate) const DENIALS_VARIABLE: &str = "LANDLOCK_SANDBOX_DENIALS";
/// The variable that records denials: its value is the file.
pub(crate) const LEARN_VARIABLE: &str = "LANDLOCK_SANDBOX_LEARN";

/// 0: not looked at yet; 1: nothing asked; 2: being started or started.
static STATE: AtomicU8 = AtomicU8::new(0);

/// When the watcher last took a record, in milliseconds of `CLOCK_MONOTONIC`.
static LAST_RECORD: AtomicU64 = AtomicU64::new(0);

fn now_millis() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    now.tv_sec as u64 * 1000 + now.tv_nsec as u64 / 1_000_000
}

/// At exit: the kernel reports a denial a moment after it happens, and a program often exits
/// right after one (it failed on it). Waits until no denial has come for `QUIET` (counted from
/// the exit at least), at most `MOST`, so that those are printed too.
extern "C" fn drain_at_exit() {
    const QUIET: u64 = 60;
    const MOST: u64 = 400;
    let start = now_millis();
    loop {
        let now = now_millis();
        let last = LAST_RECORD.load(Ordering::Acquire).max(start);
        if now.saturating_sub(last) >= QUIET || now - start >= MOST {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
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
    LAST_RECORD.store(now_millis(), Ordering::Release);
    // SAFETY: registers a function that takes no argument and returns; it only reads atomics,
    // the clock, and sleeps.
    unsafe { libc::atexit(drain_at_exit) };
    let spawned = std::thread::Builder::new()
        .name("landlock-denials".into())
        .spawn(move || {
            let mut seen = HashSet::new();
            let mut learn = learn;
            for denial in &mut watcher {
                LAST_RECORD.store(now_millis(), Ordering::Release);
                // The watcher yields only this process's denials and those of the child
                // processes it started with a sandbox.
                if !seen.insert(key(&denial)) {
                    continue;
                }
                if print {
                    report::line(format_args!("{denial}"));
                }
                if let Some(file) = learn.as_mut() {
                    let _ = writeln!(file, "{}", super::learning_file::line(&denial));
                }
            }
        });
    if let Err(e) = spawned {
        report::line(format_args!(
            "{DENIALS_VARIABLE}: cannot start the watcher thread: {e}"
        ));
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
