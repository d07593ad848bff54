//! `sandbox_run` against its floor: the `landlock` crate's `sandboxer` example (written again
//! in `examples/sandboxer.rs`), which restricts itself and `exec`s the program, with the same
//! paths. Both run `/bin/true`, in turns (the order alternates), for a number of rounds; each
//! round's ratio is of two runs made under the same load, and the figure is their median.
//! Then each is run once under `strace -f -c`, when there is one, for its system calls.
//!
//! Both binaries are found beside this one's directory (`target/release/sandbox_run`,
//! `target/release/examples/sandboxer`), or where `SANDBOX_RUN` and `SANDBOXER` say.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Rounds of the two runs.
const ROUNDS: usize = 60;
/// `--read` and `--exec` of the runner; the sandboxer's `LL_FS_RO` (which includes execute).
const READ: &str = "/usr,/lib,/lib64,/etc";
const EXEC: &str = "/usr/bin";

/// Runs the comparison and prints it; `Err` when a binary is missing or a run fails.
pub fn run() -> Result<(), String> {
    let here = std::env::current_exe().map_err(|e| format!("this program's path: {e}"))?;
    // target/release/examples/bench_quick
    let examples = here.parent().unwrap_or(Path::new("."));
    let find = |variable: &str, default: PathBuf, build: &str| {
        let path = std::env::var_os(variable).map_or(default, PathBuf::from);
        if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "`{}` not found: build it with `{build}` (or set {variable})",
                path.display()
            ))
        }
    };
    let runner = find(
        "SANDBOX_RUN",
        examples.join("../sandbox_run"),
        "cargo build --release -p sandbox-run",
    )?;
    let floor = find(
        "SANDBOXER",
        examples.join("sandboxer"),
        "cargo build --release -p landlock-runtime --example sandboxer",
    )?;
    let runner_command = || {
        let mut c = Command::new(&runner);
        c.args(["--read", READ, "--exec", EXEC, "--", "/bin/true"]);
        c
    };
    let floor_command = || {
        let mut c = Command::new(&floor);
        c.env("LL_FS_RO", format!("{}:{EXEC}", READ.replace(',', ":")))
            .env("LL_FS_RW", "")
            .arg("/bin/true");
        c
    };
    let time = |mut command: Command| -> Result<f64, String> {
        command.stdin(Stdio::null()).stdout(Stdio::null());
        let start = Instant::now();
        let status = command.status().map_err(|e| format!("{command:?}: {e}"))?;
        let took = start.elapsed().as_secs_f64() * 1e3;
        if !status.success() {
            return Err(format!("{command:?} ended with {status}"));
        }
        Ok(took)
    };
    // Warm-up: the binaries and the program in the page cache.
    for _ in 0..5 {
        time(runner_command())?;
        time(floor_command())?;
    }
    let (mut ours, mut floors, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let (a, b) = if round % 2 == 0 {
            let a = time(runner_command())?;
            (a, time(floor_command())?)
        } else {
            let b = time(floor_command())?;
            (time(runner_command())?, b)
        };
        ours.push(a);
        floors.push(b);
        ratios.push(a / b);
    }
    let median = |values: &[f64]| super::cases::median(values.iter().copied()).unwrap_or(f64::NAN);
    println!(
        "sandbox_run vs the sandboxer example (`--read {READ} --exec {EXEC} -- /bin/true`), {ROUNDS} rounds in turns:"
    );
    println!(
        "  sandbox_run {:.2} ms, sandboxer {:.2} ms (medians): {:.2}x (median of each round's ratio; goal <= 1.15x)",
        median(&ours),
        median(&floors),
        median(&ratios)
    );
    match (syscalls(runner_command()), syscalls(floor_command())) {
        (Some(a), Some(b)) => println!("  system calls (strace -f -c): {a} against {b}"),
        _ => println!("  system calls: not counted (no `strace` here)"),
    }
    Ok(())
}

/// The system calls of one run of `command` and what it starts, as `strace -f -c` counts
/// them; `None` without `strace`.
fn syscalls(command: Command) -> Option<u64> {
    let out = std::env::temp_dir().join(format!("bench-quick-strace-{}", std::process::id()));
    let mut strace = Command::new("strace");
    strace.arg("-f").arg("-c").arg("-o").arg(&out);
    for (key, value) in command.get_envs() {
        if let Some(value) = value {
            strace.env(key, value);
        }
    }
    strace
        .arg(command.get_program())
        .args(command.get_args())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let ok = strace.status().ok()?.success();
    let text = std::fs::read_to_string(&out).ok();
    let _ = std::fs::remove_file(&out);
    if !ok {
        return None;
    }
    // The last line: `100.00 ... CALLS [ERRORS] total`.
    let total = text?
        .lines()
        .rev()
        .find(|l| l.trim_end().ends_with("total"))?
        .to_owned();
    let words: Vec<&str> = total.split_whitespace().collect();
    // percent, seconds, usecs/call, calls, [errors], "total"
    words.get(3)?.parse().ok()
}
