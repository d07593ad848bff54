//! The quick mode of the benchmarks: every ratio of `benches/enforcement.rs`, plus the compile
//! cost of `#[sandbox]`, in well under a minute once the dependencies are built.
//!
//! ```text
//! cargo run --release -p landlock-runtime --example bench_quick            # both
//! cargo run --release -p landlock-runtime --example bench_quick -- runtime # enforcement only
//! cargo run --release -p landlock-runtime --example bench_quick -- compile # compile cost only
//! cargo run --release -p landlock-runtime --example bench_quick -- threads # every thread,
//!                                                                          # also under churn
//! cargo run --release -p landlock-runtime --example bench_quick -- runner  # sandbox_run vs
//!                                                                          # the sandboxer
//! cargo run --release -p landlock-runtime --example bench_quick -- denials # the runner's
//!                                    # --log-denials and --learn (root, audit, sandbox_run built)
//! ```
//!
//! The runner part needs `cargo build --release -p sandbox-run` and
//! `cargo build --release -p landlock-runtime --example sandboxer` first (see `runner.rs`).
//!
//! Enforcement: the cases take turns, one short timing each (one iteration for a case on a
//! fresh thread), in an order that rotates from round to round, for a few seconds. A machine
//! whose load changes (other builds) then slows subject and baseline alike, and the medians
//! leave out the timings that another process interrupted.

#[cfg(target_os = "linux")]
mod all_threads;
#[cfg(target_os = "linux")]
#[path = "../../benches/cases/mod.rs"]
mod cases;
mod compile_cost;
#[cfg(target_os = "linux")]
mod runner;
#[cfg(target_os = "linux")]
mod runner_denials;

use std::time::{Duration, Instant};

/// How long the enforcement cases take turns.
const BUDGET: Duration = Duration::from_secs(6);
/// The shortest timing: enough iterations that reading the clock costs under 0.5%.
const SHORTEST: Duration = Duration::from_micros(10);
/// Builds of each crate in the compile-cost part.
const BUILDS: usize = 5;

fn main() {
    // `cargo run` sets `LD_LIBRARY_PATH` to the target's and the toolchain's directories; every
    // dynamically linked program started here (the runner, the floor, `/bin/true`) would then
    // search them for its libraries first, about 200 system calls more per run, which shrinks
    // every ratio of whole runs towards 1 (from 1.18x to 1.14x for the runner). The programs
    // timed run without it, as a user starts them.
    // SAFETY: first thing in `main`, before any thread is started.
    unsafe { std::env::remove_var("LD_LIBRARY_PATH") };
    let args: Vec<String> = std::env::args().skip(1).collect();
    #[cfg(target_os = "linux")]
    if let [mode, n] = args.as_slice() {
        if mode == "all-threads-child" {
            all_threads::child(n.parse().expect("a thread count"));
        }
        if mode == "all-threads-churn-child" {
            all_threads::churn_child(n == "churn");
        }
    }
    let wants = |part: &str| args.is_empty() || args.iter().any(|a| a == part);
    if let Some(other) = args
        .iter()
        .find(|a| !["runtime", "threads", "runner", "compile", "denials"].contains(&a.as_str()))
    {
        eprintln!(
            "unknown argument `{other}`: expected `runtime`, `threads`, `runner`, `compile`, `denials`, or nothing (all)"
        );
        std::process::exit(2);
    }
    let start = Instant::now();
    if wants("runtime") {
        runtime();
    }
    #[cfg(target_os = "linux")]
    if wants("threads")
        && let Err(why) = all_threads::run().and_then(|()| all_threads::run_churn())
    {
        eprintln!("every-thread enforcement: {why}");
        std::process::exit(1);
    }
    #[cfg(target_os = "linux")]
    if wants("runner")
        && let Err(why) = runner::run()
    {
        eprintln!("sandbox_run against the sandboxer: {why}");
        std::process::exit(1);
    }
    #[cfg(target_os = "linux")]
    if wants("denials")
        && let Err(why) = runner_denials::run()
    {
        // Skipped rather than failed: the runner may not be built, or watching not allowed.
        println!("the runner's denial options skipped: {why}\n");
    }
    if wants("compile")
        && let Err(why) = compile_cost::run(BUILDS)
    {
        eprintln!("compile cost: {why}");
        std::process::exit(1);
    }
    println!("(quick mode took {:.0} s)", start.elapsed().as_secs_f64());
}

#[cfg(target_os = "linux")]
fn runtime() {
    use cases::{CASES, PerIter, Setup};

    let setup = match Setup::new() {
        Ok(setup) => setup,
        Err(why) => {
            eprintln!("enforcement benchmarks skipped: {why}");
            return;
        }
    };
    // Iterations per timing: 1 for a case that spawns a thread, many for re-entry. Then a
    // warm-up of half a second.
    let iters: Vec<u64> = CASES
        .iter()
        .map(|case| {
            let mut n = 1;
            while (case.run)(&setup, n).total < SHORTEST {
                n *= 2;
            }
            n
        })
        .collect();
    let turns = |until: Instant, samples: &mut Vec<Vec<PerIter>>| {
        let mut round = 0;
        while Instant::now() < until {
            for k in 0..CASES.len() {
                let i = (round + k) % CASES.len();
                samples[i].push(PerIter::of(&(CASES[i].run)(&setup, iters[i])));
            }
            round += 1;
        }
        round
    };
    turns(
        Instant::now() + Duration::from_millis(500),
        &mut vec![Vec::new(); CASES.len()],
    );
    let mut samples = vec![Vec::new(); CASES.len()];
    let rounds = turns(Instant::now() + BUDGET, &mut samples);
    let of = |id: &str| {
        let i = CASES.iter().position(|c| c.id == id)?;
        PerIter::median(&samples[i])
    };
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "Enforcement: {rounds} rounds; medians of single timings; load average {}\n",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("{}", cases::report(&of, &|c| c.figures(&of)));
}

#[cfg(not(target_os = "linux"))]
fn runtime() {
    eprintln!("enforcement benchmarks skipped: Landlock is Linux only");
}
