//! The cost of restricting every thread of a process, per thread already running, and in a
//! program that keeps starting threads.
//!
//! Restricting every thread cannot be undone, so each timing runs in a child process of its
//! own: this program, started again with `all-threads-child N`, starts N threads that sleep in
//! a blocking wait, times one `Policy::enforce_all_threads`, and prints the nanoseconds. The
//! parent takes the median over several children for each N, and the cost per extra thread is
//! the slope between the smallest and the largest N.
//!
//! Under churn (`all-threads-churn-child` with `churn` or `still`): 48 threads, 12 sleeping,
//! 12 blocked in `read`, 12 busy, and 12 that each start a short-lived thread every half
//! millisecond (`churn`) or only sleep as long (`still`, the baseline). The children of both
//! take turns.

use std::io::Read;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use landlock_runtime::{Level, Policy};

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

/// Children per kind of the churn measurement.
const CHURN_RUNS: usize = 15;

/// In the child: the 48 threads, the 12 spawners starting threads if `churn`, then one timed
/// enforcement. Prints the nanoseconds and whether every thread was covered.
pub fn churn_child(churn: bool) -> ! {
    let stop = Arc::new(AtomicBool::new(false));
    let mut handles = Vec::new();
    let mut writers = Vec::new();
    for _ in 0..12 {
        let sleeping = stop.clone();
        handles.push(std::thread::spawn(move || {
            while !sleeping.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(5));
            }
        }));
        let (mut reader, writer) = std::os::unix::net::UnixStream::pair().expect("a pair");
        writers.push(writer);
        handles.push(std::thread::spawn(move || {
            let _ = reader.read(&mut [0u8]);
        }));
        let busy = stop.clone();
        handles.push(std::thread::spawn(move || {
            let mut spins = 0u64;
            while !busy.load(Ordering::Relaxed) {
                spins = spins.wrapping_add(1);
                std::hint::spin_loop();
            }
            std::hint::black_box(spins);
        }));
        let starting = stop.clone();
        handles.push(std::thread::spawn(move || {
            while !starting.load(Ordering::Relaxed) {
                if churn {
                    std::thread::spawn(|| std::hint::black_box(1))
                        .join()
                        .expect("a short-lived thread");
                }
                std::thread::sleep(Duration::from_micros(500));
            }
        }));
    }
    std::thread::sleep(Duration::from_millis(50));
    let policy = Policy::builder("bench::churn")
        .read("/usr")
        .process()
        .build()
        .expect("policy");
    policy.prepare().expect("prepared");
    let start = Instant::now();
    let status = policy.enforce_all_threads().expect("enforced");
    let elapsed = start.elapsed();
    let covered = status.level == Level::Full;
    println!("{} {}", elapsed.as_nanos(), u8::from(covered));
    stop.store(true, Ordering::Relaxed);
    drop(writers);
    for handle in handles {
        let _ = handle.join();
    }
    std::process::exit(0);
}

/// In the parent: the 48 threads with and without churn, taking turns.
pub fn run_churn() -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut times: [Vec<u64>; 2] = Default::default();
    let mut reported = [0; 2];
    for _ in 0..CHURN_RUNS {
        for (i, kind) in ["still", "churn"].into_iter().enumerate() {
            let out = Command::new(&exe)
                .args(["all-threads-churn-child", kind])
                .output()
                .map_err(|e| e.to_string())?;
            let text = String::from_utf8_lossy(&out.stdout);
            let (ns, covered) = text
                .trim()
                .split_once(' ')
                .filter(|_| out.status.success())
                .ok_or_else(|| {
                    format!(
                        "{kind} child failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    )
                })?;
            times[i].push(ns.parse().map_err(|e| format!("{e}"))?);
            reported[i] += usize::from(covered != "1");
        }
    }
    let quantile = |v: &mut Vec<u64>, q: f64| {
        v.sort_unstable();
        v[((v.len() - 1) as f64 * q).round() as usize] as f64 / 1e6
    };
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "48 threads, 12 of them starting a thread every 0.5 ms, {CHURN_RUNS} child processes \
         each, taking turns; load average {}:\n",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("| 48 other threads | median | 90th percentile | runs with threads reported |");
    println!("| --- | ---: | ---: | ---: |");
    let mut medians = [0.0; 2];
    for (i, name) in ["none starting threads (baseline)", "12 starting threads"]
        .into_iter()
        .enumerate()
    {
        medians[i] = quantile(&mut times[i], 0.5);
        let p90 = quantile(&mut times[i], 0.9);
        println!(
            "| {name} | {:.1} ms | {p90:.1} ms | {} of {CHURN_RUNS} |",
            medians[i], reported[i]
        );
    }
    println!(
        "\nUnder churn: {:.1}x the baseline (median)\n",
        medians[1] / medians[0]
    );
    Ok(())
}
