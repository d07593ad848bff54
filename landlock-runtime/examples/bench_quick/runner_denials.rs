//! The runner's denial options against its plain runs: `sandbox_run --log-denials` against the
//! same run without it, and `sandbox_run --learn` of `sed -i` against one sandboxed run of the
//! same `sed`. Both ends of a run wait for the audit stream to catch up (no fixed wait), so
//! these ratios show what watching and learning cost.
//!
//! The runner is `$SANDBOX_RUN`, or `sandbox_run` beside this example's directory (build it
//! with `cargo build --release -p sandbox-run`). Watching denials needs root (CAP_AUDIT_READ)
//! and the kernel's audit on: without them the comparison is skipped with the reason.
//!
//! The four commands take turns, in an order that rotates from round to round, so that a
//! machine whose load changes slows them alike; the medians are compared.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Rounds of the four commands.
const ROUNDS: usize = 30;

/// The paths a run of `/bin/true` or `sed` is granted, as the measurements give them.
const READ: &str = "/usr,/lib,/lib64,/etc";
const EXEC: &str = "/usr/bin";

/// The runner to measure.
fn runner() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("SANDBOX_RUN") {
        return Ok(path.into());
    }
    let exe = std::env::current_exe().map_err(|e| format!("this example's path: {e}"))?;
    let beside = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("sandbox_run"))
        .filter(|path| path.is_file());
    beside.ok_or_else(|| {
        "no sandbox_run beside this example: build it with `cargo build --release -p sandbox-run`, or give its path in SANDBOX_RUN".into()
    })
}

/// One run of the runner with `args` in `dir`: how long it took, or why it failed.
fn time(runner: &Path, args: &[&str], dir: &Path) -> Result<Duration, String> {
    let started = Instant::now();
    let out = Command::new(runner)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("{}: {e}", runner.display()))?;
    let took = started.elapsed();
    if !out.status.success() {
        return Err(format!(
            "`sandbox_run {}` ended with {}: {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(took)
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Measures and prints the two comparisons; `Err` says why they could not be made.
pub(crate) fn run() -> Result<(), String> {
    let runner = runner()?;
    let dir = std::env::temp_dir().join(format!("bench-runner-denials-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let result = measure(&runner, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn measure(runner: &Path, dir: &Path) -> Result<(), String> {
    std::fs::write(dir.join("f.txt"), "a\n".repeat(100)).map_err(|e| e.to_string())?;
    let dir_arg = dir
        .to_str()
        .ok_or("a temporary directory that is not UTF-8")?;
    let plain: Vec<&str> = vec!["--read", READ, "--exec", EXEC, "--", "/bin/true"];
    let logged: Vec<&str> = vec![
        "--log-denials",
        "--read",
        READ,
        "--exec",
        EXEC,
        "--",
        "/bin/true",
    ];
    let sed: Vec<&str> = vec![
        "--read", READ, "--exec", EXEC, "--write", dir_arg, "--", "sed", "-i", "s/a/b/", "f.txt",
    ];
    let learn: Vec<&str> = vec!["--learn", "--", "sed", "-i", "s/a/b/", "f.txt"];
    let cases = [&plain, &logged, &sed, &learn];
    // A warm-up round, which also says why a case cannot run here.
    for args in cases {
        time(runner, args, dir)?;
    }
    let mut samples = vec![Vec::new(); cases.len()];
    for round in 0..ROUNDS {
        for k in 0..cases.len() {
            let i = (round + k) % cases.len();
            samples[i].push(time(runner, cases[i], dir)?);
        }
    }
    let [plain, logged, sed, learn] = [0, 1, 2, 3].map(|i| median(&mut samples[i]));
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "The runner's denial options ({}, {ROUNDS} interleaved rounds, medians):",
        runner.display()
    );
    println!(
        "  --log-denials -- /bin/true    {:8.2} ms  {:6.1}x  the same without it ({:.2} ms); goal <= 10x",
        ms(logged),
        ms(logged) / ms(plain),
        ms(plain)
    );
    println!(
        "  --learn -- sed -i s/a/b/ f.txt {:8.2} ms  {:6.1}x  one sandboxed run of that sed ({:.2} ms); goal <= 40x\n",
        ms(learn),
        ms(learn) / ms(sed),
        ms(sed)
    );
    Ok(())
}
