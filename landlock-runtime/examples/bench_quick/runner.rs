//! `sandbox_run` against its floor: the `landlock` crate's `sandboxer` example (written again
//! in `examples/sandboxer.rs`), which restricts itself and `exec`s the program, with the same
//! paths. Both run `/bin/true`, in turns (the order alternates), for a number of rounds; each
//! round's ratio is of two runs made under the same load, and the figure is their median.
//! Then each is run once under `strace -f -c`, when there is one, for its system calls.
//!
//! Both binaries are found beside this one's directory (`target/release/sandbox_run`,
//! `target/release/examples/sandboxer`), or where `SANDBOX_RUN` and `SANDBOXER` say. With
//! `SANDBOX_RUN_BEFORE` naming another build of the runner (an earlier commit's), that one
//! takes its turn in the same rounds, and its ratio to the floor is printed beside. Each is
//! run from a copy made at the start, the same way for all (see `run`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Rounds of the runs: enough that a machine whose load changes from second to second (other
/// builds) still gives the same median to a few hundredths.
const ROUNDS: usize = 200;
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
    let before = match std::env::var_os("SANDBOX_RUN_BEFORE") {
        Some(path) => Some(find(
            "SANDBOX_RUN_BEFORE",
            PathBuf::from(path),
            "cargo build --release -p sandbox-run (at an earlier commit)",
        )?),
        None => None,
    };
    // Each binary is timed from a copy made here, the same way for all: how a file came into
    // the page cache changes how fast it starts. Written by the linker, the runner started
    // 0.1x to 0.2x slower here than a copy of the same bytes (in larger pages, fewer faults).
    let copies = std::env::temp_dir().join(format!("bench-quick-runner-{}", std::process::id()));
    std::fs::create_dir_all(&copies).map_err(|e| format!("{}: {e}", copies.display()))?;
    let copy = |path: &Path, name: &str| {
        let to = copies.join(name);
        std::fs::copy(path, &to)
            .map(|_| to)
            .map_err(|e| format!("copying `{}`: {e}", path.display()))
    };
    let (runner, floor) = (copy(&runner, "sandbox_run")?, copy(&floor, "sandboxer")?);
    let before = match before {
        Some(before) => Some(copy(&before, "sandbox_run_before")?),
        None => None,
    };
    let result = compare(&runner, &floor, before.as_deref());
    let _ = std::fs::remove_dir_all(&copies);
    result
}

/// Times `runner`, `floor` and `before` in turns, and prints their ratios and system calls.
fn compare(runner: &Path, floor: &Path, before: Option<&Path>) -> Result<(), String> {
    let command_of = |runner: &Path| {
        let mut c = Command::new(runner);
        c.args(["--read", READ, "--exec", EXEC, "--", "/bin/true"]);
        c
    };
    let runner_command = || command_of(runner);
    let floor_command = || {
        let mut c = Command::new(floor);
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
    // The commands of a round: this runner, the floor, and the earlier runner if given.
    let mut commands: Vec<Box<dyn Fn() -> Command>> =
        vec![Box::new(runner_command), Box::new(floor_command)];
    if let Some(before) = before {
        commands.push(Box::new(move || command_of(before)));
    }
    // Warm-up: the binaries and the program in the page cache.
    for _ in 0..5 {
        for command in &commands {
            time(command())?;
        }
    }
    // times[i]: the runs of commands[i]; ratios[i]: each round's run of it over the floor's.
    let mut times = vec![Vec::new(); commands.len()];
    let mut ratios = vec![Vec::new(); commands.len()];
    for round in 0..ROUNDS {
        let mut took = vec![0.0; commands.len()];
        // The order rotates, so that no command always runs first or after the same one.
        for k in 0..commands.len() {
            let i = (round + k) % commands.len();
            took[i] = time(commands[i]())?;
        }
        for (i, t) in took.iter().enumerate() {
            times[i].push(*t);
            ratios[i].push(t / took[1]);
        }
    }
    let median = |values: &[f64]| super::cases::median(values.iter().copied()).unwrap_or(f64::NAN);
    println!(
        "sandbox_run vs the sandboxer example (`--read {READ} --exec {EXEC} -- /bin/true`), {ROUNDS} rounds in turns:"
    );
    println!(
        "  sandbox_run {:.2} ms, sandboxer {:.2} ms (medians): {:.2}x (median of each round's ratio; goal <= 1.15x)",
        median(&times[0]),
        median(&times[1]),
        median(&ratios[0])
    );
    if before.is_some() {
        println!(
            "  SANDBOX_RUN_BEFORE, in the same rounds: {:.2} ms, {:.2}x",
            median(&times[2]),
            median(&ratios[2])
        );
    }
    match (syscalls(runner_command()), syscalls(floor_command())) {
        (Some(a), Some(b)) => println!("  system calls (strace -f -c): {a} against {b}"),
        _ => println!("  system calls: not counted (no `strace` here)"),
    }
    if let Some(before) = before
        && let Some(n) = syscalls(command_of(before))
    {
        println!("  system calls of SANDBOX_RUN_BEFORE: {n}");
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
