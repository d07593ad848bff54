//! What the enforcement benchmarks measure, shared by the criterion bench
//! (`benches/enforcement.rs`) and the quick mode (`examples/bench_quick`): the cases, the
//! comparisons with their goals, and the report.
//!
//! Landlock cannot be undone on a thread, so every case that enforces does so on a fresh
//! thread, one layer per thread, far from the kernel's limit of 16. Each such iteration is
//! timed from the caller (spawn, enforce, join: "total") and inside the new thread around the
//! enforcement alone ("in thread"), and is paired with the spawn and join of an empty thread
//! right before it: "net" is the total less that baseline, so that thread creation is taken
//! out with a baseline measured under the same load.

use std::fmt::Write as _;
use std::hint::black_box;
use std::os::fd::{AsRawFd, OwnedFd};
use std::thread;
use std::time::{Duration, Instant};

use landlock::{
    ABI, Access, AccessFs, AccessNet, BitFlags, PathBeneath, PathFd, Ruleset, RulesetAttr,
    RulesetCreated, RulesetCreatedAttr, RulesetStatus, Scope,
};
use landlock_runtime::{Class, Level, Policy, block, kernel_abi, lock, sandbox};

/// The policy every case enforces: five paths, TCP bind and connect denied, both IPC scopes
/// restricted. The hand-written rulesets below grant exactly the same (checked by
/// [`Setup::new`]).
#[sandbox(read = ["/etc", "/usr/share"], exec = ["/usr/bin", "/usr/lib"], write = "$TMP")]
pub fn five_paths() {}

/// The same policy with its paths given as arguments: bound and prepared at each call.
#[sandbox(read = read, exec = exec, write = write)]
pub fn five_paths_as_arguments(read: &[&str], exec: &[&str], write: &std::path::Path) {}

/// The block form of the same policy, with an empty body.
fn five_paths_block() {
    block::sandbox!(read = ["/etc", "/usr/share"], exec = ["/usr/bin", "/usr/lib"], write = "$TMP" => ())
        .expect("sandbox enforced");
}

const READ: [&str; 2] = ["/etc", "/usr/share"];
const EXEC: [&str; 2] = ["/usr/bin", "/usr/lib"];

/// The same policy with the builder: a new, unprepared `Policy` every time.
fn five_paths_built() -> Policy {
    let builder = READ
        .iter()
        .fold(Policy::builder("built"), |b, p| b.read(*p));
    let builder = EXEC.iter().fold(builder, |b, p| b.exec(*p));
    builder.write("$TMP").build().expect("a valid policy")
}

/// The kernel's names of the rights in `rights`, in bit order: the `landlock` crate's names
/// (`ReadFile`) in the kernel's spelling (`read_file`).
fn names(rights: BitFlags<AccessFs>) -> Vec<String> {
    rights
        .iter()
        .map(|right| {
            let mut name = String::new();
            for (i, c) in format!("{right:?}").chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    name.push('_');
                }
                name.push(c.to_ascii_lowercase());
            }
            name
        })
        .collect()
}

/// What the cases share, made once before any timing.
pub struct Setup {
    /// The kernel's Landlock ABI, as the `landlock` crate names it.
    abi: ABI,
    /// The policy `#[sandbox]` generated for [`five_paths`].
    generated: &'static Policy,
    /// The floor: a ruleset made once, so that a thread pays only the two system calls.
    ready: OwnedFd,
    /// The temporary directory, the `write` path of every case.
    tmp: std::path::PathBuf,
}

impl Setup {
    /// Prepares the shared state and checks that every case enforces the same rights; `Err`
    /// says why these benchmarks cannot run here.
    pub fn new() -> Result<Setup, String> {
        let kernel = kernel_abi();
        if kernel < 6 {
            return Err(format!(
                "Landlock ABI {kernel}: the benchmarks need ABI 6 or later (TCP and scopes)"
            ));
        }
        let abi = ABI::from(kernel as i32);
        let generated = landlock_runtime::policies()
            .into_iter()
            .find(|p| p.origin().function().ends_with("::five_paths"))
            .ok_or("the policy of `five_paths` is not registered")?;
        if !lock::changes(generated, &five_paths_built()).is_empty() {
            return Err("the built policy differs from the generated one".into());
        }
        let by_hand = HandRights::new(abi);
        for (class, hand) in [
            (Class::Read, by_hand.read),
            (Class::Exec, by_hand.exec),
            (Class::Write, by_hand.write),
        ] {
            if class.rights(kernel) != names(hand) {
                return Err(format!(
                    "the hand-written {class} rights differ from the runtime's"
                ));
            }
        }
        let status = generated.prepare().map_err(|e| e.to_string())?;
        if status.level != Level::Full {
            return Err(format!("the policy is not fully enforced here: {status}"));
        }
        let full = thread::spawn(move || hand_ruleset(abi).restrict_self().map(|s| s.ruleset))
            .join()
            .map_err(|_| "the hand-written ruleset panicked")?
            .map_err(|e| e.to_string())?;
        if full != RulesetStatus::FullyEnforced {
            return Err(format!("the hand-written ruleset is {full:?}"));
        }
        let ready = Option::<OwnedFd>::from(hand_ruleset(abi)).ok_or("no ruleset descriptor")?;
        Ok(Setup {
            abi,
            generated,
            ready,
            tmp: std::env::temp_dir(),
        })
    }
}

/// The rights of each class, written out with the `landlock` crate's names.
struct HandRights {
    all: BitFlags<AccessFs>,
    read: BitFlags<AccessFs>,
    exec: BitFlags<AccessFs>,
    write: BitFlags<AccessFs>,
}

impl HandRights {
    fn new(abi: ABI) -> HandRights {
        let all = AccessFs::from_all(abi);
        let read = AccessFs::ReadFile | AccessFs::ReadDir;
        HandRights {
            all,
            read,
            exec: read | AccessFs::Execute,
            write: all & !AccessFs::Execute,
        }
    }
}

/// The policy written by hand with the `landlock` crate, as a program without this library
/// would: every filesystem right the kernel has, TCP bind and connect, both scopes, five rules.
fn hand_ruleset(abi: ABI) -> RulesetCreated {
    let rights = HandRights::new(abi);
    let mut ruleset = Ruleset::default()
        .handle_access(rights.all)
        .and_then(|r| r.handle_access(AccessNet::BindTcp | AccessNet::ConnectTcp))
        .and_then(|r| r.scope(Scope::AbstractUnixSocket | Scope::Signal))
        .and_then(|r| r.create())
        .expect("creating the ruleset");
    let tmp = std::env::temp_dir();
    let paths = READ.iter().map(|p| (p.as_ref(), rights.read));
    let paths = paths.chain(EXEC.iter().map(|p| (p.as_ref(), rights.exec)));
    for (path, access) in paths.chain([(tmp.as_path(), rights.write)]) {
        let fd = PathFd::new(path).expect("opening a path of the policy");
        ruleset = ruleset
            .add_rule(PathBeneath::new(fd, access))
            .expect("adding a rule");
    }
    ruleset
}

/// The floor: `prctl(PR_SET_NO_NEW_PRIVS)` and `landlock_restrict_self` on a ready ruleset.
fn restrict_with_raw_syscalls(ruleset: &OwnedFd) {
    // SAFETY: two system calls on integers; the descriptor is open for the whole call.
    unsafe {
        assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
        let fd = ruleset.as_raw_fd();
        assert_eq!(libc::syscall(libc::SYS_landlock_restrict_self, fd, 0u32), 0);
    }
}

/// The time of `iters` iterations of one case.
///
/// The total is what criterion is given; the other two figures are medians over the
/// iterations, so that an iteration another process interrupted does not move them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timing {
    /// Iterations timed.
    pub iters: u64,
    /// As seen by the caller: for a case on fresh threads, spawn + work + join.
    pub total: Duration,
    /// For a case on fresh threads, the median over its iterations of the iteration less the
    /// empty thread paired with it, in nanoseconds.
    pub net: Option<f64>,
    /// For a case on fresh threads, the median over its iterations of the time inside the new
    /// thread around the work alone, in nanoseconds.
    pub in_thread: Option<f64>,
}

/// Spawns a thread that runs `work`, and joins it: the time of it all, and of `work` alone.
fn spawn_and_join(work: &(impl Fn() + Sync)) -> (Duration, Duration) {
    let start = Instant::now();
    let inside = thread::scope(|s| {
        s.spawn(|| {
            let start = Instant::now();
            work();
            start.elapsed()
        })
        .join()
    })
    .expect("a case panicked on its thread");
    (start.elapsed(), inside)
}

/// Runs `work` once on each of `iters` fresh threads, each paired with an empty thread.
fn on_fresh_threads(iters: u64, work: impl Fn() + Sync) -> Timing {
    let mut total = Duration::ZERO;
    let mut nets = Vec::with_capacity(iters as usize);
    let mut insides = Vec::with_capacity(iters as usize);
    for _ in 0..iters {
        let (empty, _) = spawn_and_join(&|| {});
        let (all, inside) = spawn_and_join(&work);
        total += all;
        nets.push(all.as_nanos() as f64 - empty.as_nanos() as f64);
        insides.push(inside.as_nanos() as f64);
    }
    Timing {
        iters,
        total,
        net: median(nets.into_iter()),
        in_thread: median(insides.into_iter()),
    }
}

/// Runs `work` `iters` times on the calling thread.
fn on_this_thread(iters: u64, work: impl Fn()) -> Timing {
    let start = Instant::now();
    for _ in 0..iters {
        work();
    }
    Timing {
        iters,
        total: start.elapsed(),
        net: None,
        in_thread: None,
    }
}

/// One measured case.
pub struct Case {
    /// `group/name`: the criterion group and function.
    pub id: &'static str,
    /// What one iteration does.
    pub what: &'static str,
    /// Times `iters` iterations.
    pub run: fn(&Setup, u64) -> Timing,
}

/// Every case, in the order they run.
pub const CASES: [Case; 10] = [
    Case {
        id: "thread/spawn_join_empty",
        what: "spawn and join a thread that does nothing",
        run: |_, iters| on_fresh_threads(iters, || {}),
    },
    Case {
        id: "first/policy_builder",
        what: "build a new Policy with the builder, enforce it (prepare + restrict), drop it",
        run: |_, iters| {
            on_fresh_threads(iters, || {
                five_paths_built().enforce().expect("sandbox enforced");
            })
        },
    },
    Case {
        id: "first/generated_policy_copy",
        what: "copy the #[sandbox] policy (its copy is unprepared), enforce it, drop it",
        run: |setup, iters| {
            on_fresh_threads(iters, || {
                let policy = setup.generated.clone();
                policy.enforce().expect("sandbox enforced");
            })
        },
    },
    Case {
        id: "first/argument_policy",
        what: "call a #[sandbox] fn whose paths are its arguments (bound, prepared and enforced at the call)",
        run: |setup, iters| {
            on_fresh_threads(iters, || five_paths_as_arguments(&READ, &EXEC, &setup.tmp))
        },
    },
    Case {
        id: "first/landlock_crate_by_hand",
        what: "build the same ruleset with the landlock crate and restrict_self",
        run: |setup, iters| {
            on_fresh_threads(iters, || {
                hand_ruleset(setup.abi)
                    .restrict_self()
                    .expect("restrict_self");
            })
        },
    },
    Case {
        id: "prepared/sandbox_fn",
        what: "call the #[sandbox] fn (its policy prepared before timing)",
        run: |_, iters| on_fresh_threads(iters, five_paths),
    },
    Case {
        id: "prepared/raw_syscalls",
        what: "prctl + landlock_restrict_self on a ready ruleset, with libc",
        run: |setup, iters| on_fresh_threads(iters, || restrict_with_raw_syscalls(&setup.ready)),
    },
    Case {
        id: "reentry/sandbox_fn",
        what: "call the #[sandbox] fn again on a thread where its policy is in force",
        run: |_, iters| {
            thread::spawn(move || {
                five_paths();
                on_this_thread(iters, five_paths)
            })
            .join()
            .expect("re-entry panicked")
        },
    },
    Case {
        id: "block/sandbox_macro_empty",
        what: "block::sandbox!(same policy => ())",
        run: |_, iters| on_this_thread(iters, five_paths_block),
    },
    Case {
        id: "block/thread_scope_empty",
        what: "std::thread::scope spawning and joining an empty closure",
        run: |_, iters| {
            on_this_thread(iters, || {
                thread::scope(|s| s.spawn(|| black_box(())).join().expect("empty closure"))
            })
        },
    },
];

/// Per-iteration figures of one case, in nanoseconds.
#[derive(Clone, Copy, Debug)]
pub struct PerIter {
    /// Total, as seen by the caller.
    pub total: f64,
    /// Total less the paired empty thread, when the case has one.
    pub net: Option<f64>,
    /// Inside the fresh thread, when the case has one.
    pub in_thread: Option<f64>,
}

impl PerIter {
    /// The figures of one timing.
    pub fn of(t: &Timing) -> PerIter {
        PerIter {
            total: t.total.as_nanos() as f64 / t.iters.max(1) as f64,
            net: t.net,
            in_thread: t.in_thread,
        }
    }

    /// The median of each figure over `samples`.
    pub fn median(samples: &[PerIter]) -> Option<PerIter> {
        Some(PerIter {
            total: median(samples.iter().map(|s| s.total))?,
            net: median(samples.iter().filter_map(|s| s.net)),
            in_thread: median(samples.iter().filter_map(|s| s.in_thread)),
        })
    }
}

/// The median of some numbers; `None` when there are none.
pub fn median(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f64> = values.filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

/// What a comparison must show.
#[derive(Clone, Copy, Debug)]
pub enum Goal {
    /// subject / baseline at most this.
    RatioAtMost(f64),
    /// baseline / subject (a speed-up) at least this.
    SpeedupAtLeast(f64),
    /// The subject alone, in nanoseconds, at most this.
    NanosAtMost(f64),
}

/// Which figure a goal is judged on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    /// Totals with thread creation taken out (both cases run on fresh threads).
    Net,
    /// Totals as measured (the baseline is itself the thread creation).
    Total,
}

/// A subject case against a baseline case, and the goal.
pub struct Comparison {
    /// What is compared, for the report.
    pub label: &'static str,
    /// The case under test.
    pub subject: &'static str,
    /// The case it is compared with; `None` for an absolute goal.
    pub baseline: Option<&'static str>,
    /// The goal.
    pub goal: Goal,
    /// The figure the goal is judged on.
    pub basis: Basis,
}

/// The comparisons of the issue, in order.
pub const COMPARISONS: [Comparison; 7] = [
    Comparison {
        label: "1. first enforcement, builder vs landlock crate",
        subject: "first/policy_builder",
        baseline: Some("first/landlock_crate_by_hand"),
        goal: Goal::RatioAtMost(1.05),
        basis: Basis::Net,
    },
    Comparison {
        label: "1. first enforcement, #[sandbox] policy vs landlock crate",
        subject: "first/generated_policy_copy",
        baseline: Some("first/landlock_crate_by_hand"),
        goal: Goal::RatioAtMost(1.05),
        basis: Basis::Net,
    },
    Comparison {
        label: "1. first enforcement, argument policy vs landlock crate",
        subject: "first/argument_policy",
        baseline: Some("first/landlock_crate_by_hand"),
        goal: Goal::RatioAtMost(1.1),
        basis: Basis::Net,
    },
    Comparison {
        label: "2. prepared, new thread: speed-up over landlock crate rebuild",
        subject: "prepared/sandbox_fn",
        baseline: Some("first/landlock_crate_by_hand"),
        goal: Goal::SpeedupAtLeast(3.0),
        basis: Basis::Net,
    },
    Comparison {
        label: "2. prepared, new thread: vs raw syscalls (floor)",
        subject: "prepared/sandbox_fn",
        baseline: Some("prepared/raw_syscalls"),
        goal: Goal::RatioAtMost(1.25),
        basis: Basis::Net,
    },
    Comparison {
        label: "3. re-entry on the same thread (ns)",
        subject: "reentry/sandbox_fn",
        baseline: None,
        goal: Goal::NanosAtMost(50.0),
        basis: Basis::Total,
    },
    Comparison {
        label: "4. block::sandbox! vs thread::scope, empty body",
        subject: "block/sandbox_macro_empty",
        baseline: Some("block/thread_scope_empty"),
        goal: Goal::RatioAtMost(1.3),
        basis: Basis::Total,
    },
];

/// The figures of one comparison: the ratio (or nanoseconds) on each basis.
#[derive(Clone, Copy, Debug, Default)]
pub struct Figures {
    /// From totals.
    pub total: Option<f64>,
    /// From totals less the paired spawn baselines.
    pub net: Option<f64>,
    /// From the in-thread times.
    pub in_thread: Option<f64>,
}

impl Comparison {
    /// The figures, given each case's per-iteration times (`None`: not measured).
    pub fn figures(&self, of: &dyn Fn(&str) -> Option<PerIter>) -> Figures {
        let Some(subject) = of(self.subject) else {
            return Figures::default();
        };
        let Some(baseline) = self.baseline else {
            return Figures {
                total: Some(subject.total),
                net: None,
                in_thread: None,
            };
        };
        let Some(baseline) = of(baseline) else {
            return Figures::default();
        };
        let ratio = |s: f64, b: f64| match self.goal {
            Goal::SpeedupAtLeast(_) => b / s,
            _ => s / b,
        };
        Figures {
            total: Some(ratio(subject.total, baseline.total)),
            net: subject
                .net
                .zip(baseline.net)
                .filter(|&(s, b)| s > 0.0 && b > 0.0)
                .map(|(s, b)| ratio(s, b)),
            in_thread: subject
                .in_thread
                .zip(baseline.in_thread)
                .map(|(s, b)| ratio(s, b)),
        }
    }

    /// The figure the goal is judged on, and whether it is met.
    pub fn judge(&self, f: &Figures) -> Option<(f64, bool)> {
        let value = match self.basis {
            Basis::Net => f.net,
            Basis::Total => f.total,
        }?;
        let met = match self.goal {
            Goal::RatioAtMost(max) | Goal::NanosAtMost(max) => value <= max,
            Goal::SpeedupAtLeast(min) => value >= min,
        };
        Some((value, met))
    }
}

impl Goal {
    fn describe(self) -> String {
        match self {
            Goal::RatioAtMost(max) => format!("<= {max}x"),
            Goal::SpeedupAtLeast(min) => format!(">= {min}x faster"),
            Goal::NanosAtMost(max) => format!("<= {max} ns"),
        }
    }
}

/// The report: a table of every case, then one of every comparison, in Markdown.
pub fn report(
    of: &dyn Fn(&str) -> Option<PerIter>,
    figures: &dyn Fn(&Comparison) -> Figures,
) -> String {
    let mut out = String::new();
    let ns = |v: f64| {
        if v >= 10_000.0 {
            format!("{:.1} µs", v / 1000.0)
        } else {
            format!("{v:.0} ns")
        }
    };
    let opt = |v: Option<f64>, f: &dyn Fn(f64) -> String| v.map(f).unwrap_or_else(|| "-".into());
    out.push_str(
        "| case | total per iteration | net of spawn | in thread | what one iteration does |\n",
    );
    out.push_str("| --- | ---: | ---: | ---: | --- |\n");
    for case in &CASES {
        let (total, net, in_thread) = match of(case.id) {
            Some(p) => (ns(p.total), opt(p.net, &ns), opt(p.in_thread, &ns)),
            None => ("not measured".into(), "-".into(), "-".into()),
        };
        let _ = writeln!(
            out,
            "| `{}` | {total} | {net} | {in_thread} | {} |",
            case.id, case.what
        );
    }
    out.push('\n');
    out.push_str("| comparison | total | net of spawn | in thread | goal | met |\n");
    out.push_str("| --- | ---: | ---: | ---: | --- | --- |\n");
    for c in &COMPARISONS {
        let f = figures(c);
        let fmt = |v: f64| match c.goal {
            Goal::NanosAtMost(_) => format!("{v:.1} ns"),
            _ => format!("{v:.3}x"),
        };
        let met = match c.judge(&f) {
            Some((_, true)) => "yes",
            Some((_, false)) => "**no**",
            None => "-",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} ({}) | {met} |",
            c.label,
            opt(f.total, &fmt),
            opt(f.net, &fmt),
            opt(f.in_thread, &fmt),
            c.goal.describe(),
            match c.basis {
                Basis::Net => "net",
                Basis::Total => "total",
            },
        );
    }
    out
}
