//! `--log-denials`: the program's denials printed as they happen, each with the option that
//! would allow it, or why none can.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use landlock_runtime::denials::{Access, Allow, Denial, Object, Reparent, Waker, Watcher};

use crate::shell::quote;

/// How long the audit records of a program that just ended may take to catch up
/// ([`Watcher::catch_up`]: a millisecond or two, normally) before the runner says that its
/// denials may be missing, rather than claim them complete.
pub(crate) const CATCH_UP: Duration = Duration::from_secs(2);

/// What the runner says when the audit records did not catch up within [`CATCH_UP`].
pub(crate) const MAY_BE_MISSING: &str = "the kernel's audit records did not catch up within 2 s of the program's end: denials may be missing";

/// Why a file of one process cannot be granted, in the words `--log-denials` and `--learn`
/// share.
pub(crate) const PER_PROCESS: &str = "a file of one process (under /proc/PID), which no rule made before the process exists can name: it cannot be granted ahead (only all of /proc would allow it)";

/// Whether a denial is of the runner's policy (its sandbox's function is `sandbox_run`). The
/// watcher yields only the runner's own denials and its command's (by the kernel's records of
/// the processes, never by a name): another process's never reach this.
pub(crate) fn ours(denial: &Denial) -> bool {
    denial
        .sandbox
        .as_ref()
        .is_some_and(|a| a.origin.function() == "sandbox_run")
}

/// Whether `path` is in the `/proc` directory of one process or thread (`/proc/PID/...`),
/// whose inodes exist only as long as that process does.
pub(crate) fn per_process(path: &Path) -> bool {
    let mut components = path.components().skip(1);
    matches!(components.next(), Some(c) if c.as_os_str() == "proc")
        && components.next().is_some_and(|c| {
            let name = c.as_os_str().as_encoded_bytes();
            name == b"self" || name == b"thread-self" || name.iter().all(u8::is_ascii_digit)
        })
}

/// A thread that prints the program's denials as they happen, until dropped: then it reads
/// up to the end of the program's denials ([`Watcher::catch_up`]), on every path out of a run,
/// a failed start included.
pub(crate) struct Printer {
    stop: Arc<AtomicBool>,
    waker: Waker,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Printer {
    /// Prints, on standard error, each denial of the runner's policy once.
    pub(crate) fn start(mut watcher: Watcher) -> Printer {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let waker = watcher.waker();
        let thread = std::thread::spawn(move || {
            let mut seen = BTreeSet::new();
            let mut print = |denial: Denial| {
                if ours(&denial) && seen.insert(denial.to_string()) {
                    // One write, so that the line does not interleave with the program's own
                    // output on the same standard error.
                    let text = format!("sandbox_run: {}\n", line(&denial));
                    let _ = std::io::stderr().lock().write_all(text.as_bytes());
                }
            };
            // The waker ends the wait once the stop is asked.
            while !stopping.load(Ordering::Acquire) {
                if let Some(denial) = watcher.next_timeout(Duration::from_secs(3600)) {
                    print(denial);
                }
            }
            let complete = watcher.catch_up(CATCH_UP);
            while let Some(denial) = watcher.next_timeout(Duration::ZERO) {
                print(denial);
            }
            if !complete {
                let text = format!("sandbox_run: {MAY_BE_MISSING}\n");
                let _ = std::io::stderr().lock().write_all(text.as_bytes());
            }
        });
        Printer {
            stop,
            waker,
            thread: Some(thread),
        }
    }
}

impl Drop for Printer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.waker.wake();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A denial, for the command line: what was denied, and the option that would allow it.
pub(crate) fn line(denial: &Denial) -> String {
    let accesses: Vec<String> = denial.accesses.iter().map(|a| a.to_string()).collect();
    let mut out = format!("denied {} on {}", accesses.join(","), denial.object);
    if let Some(side) = &denial.reparent {
        out.push_str(&format!(", {side}"));
    }
    if let Some(pid) = denial.pid {
        out.push_str(&format!(" (pid {pid}"));
        if let Some(exe) = &denial.exe {
            out.push_str(&format!(", {}", exe.display()));
        }
        out.push(')');
    }
    out.push_str(": ");
    out.push_str(&remedy(denial));
    out
}

/// What would allow a denial, as options, or why nothing can.
fn remedy(denial: &Denial) -> String {
    match &denial.object {
        Object::Path(path) if per_process(path) => return PER_PROCESS.into(),
        Object::Port(None) if denial.accesses.contains(&Access::BindTcp) => {
            return "binding an ephemeral port (port 0) needs any port: allow it with --bind '*'"
                .into();
        }
        _ => {}
    }
    let allow = denial.allow();
    if allow.is_empty() && matches!(denial.reparent, Some(Reparent::Destination { .. })) {
        return Reparent::DESTINATION_HAS_ENOUGH.into();
    }
    let mut options = Vec::new();
    let mut nothing = Vec::new();
    for allow in allow {
        match allow {
            Allow::Grant { class, path } => {
                options.push(format!("--{} {}", class.keyword(), quote(path.as_os_str())))
            }
            Allow::Preset(preset) => options.push(format!("--preset {}", preset.name())),
            Allow::Connect(port) => options.push(format!("--connect {port}")),
            Allow::Bind(port) => options.push(format!("--bind {port}")),
            Allow::AllowSignals => options.push("--allow-signals".into()),
            Allow::AllowAbstractUnixSockets => options.push("--allow-abstract-unix-sockets".into()),
            Allow::Nothing(why) => nothing.push(why.trim_start_matches("nothing: ").to_owned()),
            other => nothing.push(other.to_string()),
        }
    }
    match (options.is_empty(), nothing.is_empty()) {
        (false, _) => format!("allow it with {}", options.join(" ")),
        (true, false) => format!("no option allows it: {}", nothing.join("; ")),
        (true, true) => "no option allows it".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_of_one_process_are_told_apart() {
        for path in [
            "/proc/1234/mounts",
            "/proc/self/status",
            "/proc/thread-self/attr",
        ] {
            assert!(per_process(Path::new(path)), "{path}");
        }
        for path in [
            "/proc/filesystems",
            "/proc/sys/kernel/pid_max",
            "/procs/1/x",
            "/etc/1",
        ] {
            assert!(!per_process(Path::new(path)), "{path}");
        }
    }
}
