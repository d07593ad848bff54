//! The cost of restricting every thread of a process, per thread already running.
//!
//! Restricting every thread cannot be undone, so each timing runs in a child process of its
//! own: this program, started again with `all-threads-child N`, starts N threads that sleep in
//! a blocking wait, times one `Policy::enforce_all_threads`, and prints the nanoseconds. The
//! parent takes the median over several children for each N, and the cost per extra thread is
//! the slope between the smallest and the largest N.

use std::process::Command;
use std::sync::mpsc;
use std::time::Instant;

use landlock_runtime::Policy;

/// Threads running besides the caller, for each measurement.
const THREADS: [usize; 4] = [0, 4, 16, 64];
/// Children per thread count.
const RUNS: usize = 15;

/// In the child: start `n` threads, then time one enforcement on every thread.
pub fn child(n: usize) {
    let (_keep, wait) = mpsc::channel::<()>();
    let wait = std::sync::Arc::new(std::sync::Mutex::new(wait));
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let wait = wait.clone();
            std::thread::spawn(move || {
                let _ = wait.lock().map(|w| w.recv());
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let policy = Policy::builder("bench::all_threads")
        .read("/usr")
        .process()
        .build()
        .expect("policy");
    policy.prepare().expect("prepared");
    let start = Instant::now();
    let status = policy.enforce_all_threads().expect("enforced");
    let elapsed = start.elapsed();
    assert_eq!(status.level, landlock_runtime::Level::Full, "{status}");
    println!("{}", elapsed.as_nanos());
    std::process::exit(if handles.len() == n { 0 } else { 1 });
}

/// In the parent: the median time per thread count, and the cost per extra thread.
pub fn run() -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut medians = Vec::new();
    for n in THREADS {
        let mut times: Vec<u64> = (0..RUNS)
            .map(|_| {
                let out = Command::new(&exe)
                    .args(["all-threads-child", &n.to_string()])
                    .output()
                    .map_err(|e| e.to_string())?;
                if !out.status.success() {
                    return Err(format!(
                        "child with {n} threads failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    ));
                }
                String::from_utf8_lossy(&out.stdout)
                    .trim()
                    .parse::<u64>()
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<_, _>>()?;
        times.sort_unstable();
        medians.push((n, times[RUNS / 2]));
    }
    println!(
        "Every thread of a process (ABI {}), {RUNS} child processes each; median:\n",
        landlock_runtime::kernel_abi()
    );
    println!("| other threads | enforce_all_threads |");
    println!("| ---: | ---: |");
    for (n, ns) in &medians {
        println!("| {n} | {:.1} µs |", *ns as f64 / 1000.0);
    }
    let (n0, t0) = medians[0];
    let (n1, t1) = medians[medians.len() - 1];
    println!(
        "\nCost per extra thread: {:.1} µs (slope from {n0} to {n1} threads)\n",
        (t1 as f64 - t0 as f64) / (n1 - n0) as f64 / 1000.0
    );
    Ok(())
}
