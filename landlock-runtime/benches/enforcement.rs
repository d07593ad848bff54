//! The cost of enforcing policies, with criterion: first enforcement, enforcement of a prepared
//! policy on new threads, re-entry, and the block form, each against a baseline measured in the
//! same run. After criterion's own output comes a table of the ratios and their goals.
//!
//! `cargo bench -p landlock-runtime --bench enforcement`; for a quicker run with the same cases,
//! `cargo run --release -p landlock-runtime --example bench_quick`.

#[cfg(target_os = "linux")]
mod cases;

#[cfg(target_os = "linux")]
fn main() {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use cases::{CASES, PerIter, Setup, Timing};
    use criterion::Criterion;

    /// Samples per case; the report takes its medians over the last this many timings of each
    /// case, which are criterion's measurement samples (warm-up timings come before them).
    const SAMPLES: usize = 60;

    let setup = match Setup::new() {
        Ok(setup) => setup,
        Err(why) => {
            eprintln!("enforcement benchmarks skipped: {why}");
            return;
        }
    };
    let timings: Mutex<BTreeMap<&str, Vec<Timing>>> = Mutex::default();
    let mut criterion = Criterion::default().configure_from_args();
    let mut groups: Vec<&str> = CASES
        .iter()
        .map(|c| c.id.split('/').next().unwrap())
        .collect();
    groups.dedup();
    for group_name in groups {
        let mut group = criterion.benchmark_group(group_name);
        group.sample_size(SAMPLES);
        for case in CASES.iter().filter(|c| c.id.starts_with(group_name)) {
            let name = &case.id[group_name.len() + 1..];
            group.bench_function(name, |b| {
                b.iter_custom(|iters| {
                    let timing = (case.run)(&setup, iters);
                    let mut timings = timings.lock().unwrap_or_else(|e| e.into_inner());
                    timings.entry(case.id).or_default().push(timing);
                    timing.total
                })
            });
        }
        group.finish();
    }
    criterion.final_summary();

    let timings = timings.into_inner().unwrap_or_else(|e| e.into_inner());
    let of = |id: &str| {
        let all = timings.get(id)?;
        let measured: Vec<PerIter> = all[all.len().saturating_sub(SAMPLES)..]
            .iter()
            .map(PerIter::of)
            .collect();
        PerIter::median(&measured)
    };
    println!(
        "\nTotals: medians of criterion's samples (each the mean of its iterations). Net and in \
         thread: medians over the samples of each sample's median iteration. Ratios from those \
         medians. Each case runs in a block of its own: when the load of the machine changes, \
         totals drift between cases and the net and in-thread columns are the ones to read; \
         the quick mode (examples/bench_quick) interleaves the cases instead.\n"
    );
    println!("{}", cases::report(&of, &|c| c.figures(&of)));
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("enforcement benchmarks skipped: Landlock is Linux only");
}
