//! `--learn`: the narrowest policy a program needs, learned from its denials.
//!
//! Learning runs the program under the policy of the options (the same grants a run would
//! have, automatic ones included), adds the narrowest grant that covers each denial, and runs
//! it again, until the grants stop changing (at most [`ROUNDS`] runs). Then it runs the program
//! once without a sandbox, to know the status it ends with (said on standard error before it
//! starts; `--expect-status N` gives the status instead, and then nothing runs unconfined),
//! and a final time under exactly the learned policy: the policy is verified when that run has
//! no denial a grant could allow and ends as the run without a sandbox did (the same code, or
//! the same signal), or with the status expected. The program runs with its standard streams
//! on `/dev/null`: learn on inputs whose side effects may be repeated.
//!
//! When the grants still change after [`ROUNDS`] runs, learning gives up, and that is its one
//! outcome: the policy is not verified, and the program is not run again, without a sandbox or
//! under it (a clean last run would prove nothing of the next one, whose needs differ again).
//!
//! What a denial needs is read as the library reads it ([`Denial::needs`]): for a link or
//! rename between two directories, the source is asked for the rights the file would gain
//! (write, in the usual case) and the destination only for making the entry, never for the
//! rest of what the kernel lists as lacking there.
//!
//! The narrowest grant for a denial on a path is the file itself (`narrowest.rs`). A directory is granted when
//! the program lists it (`read_dir`) or creates or removes entries in it (the kernel names the
//! directory); and, with `--learn-directories`, when more than [`FILES_PER_DIRECTORY`] files
//! directly in it are denied. A path that one of the presets covers on this machine (the loader
//! and libraries: `dynamic_loader`; locale data: `locale`; the resolver's files: `dns`;
//! certificates: `tls_roots`; `/dev/null` and its kin: `devices`; cgroup and CPU files:
//! `cpu_info`) is granted through that preset, a reviewed name, instead of path by path: the
//! preset the library answers such a denial with ([`Preset::covering`], the narrowest that
//! covers it and grants nothing the denial does not need), so that `--log-denials`, `LANDLOCK_SANDBOX_DENIALS` and learning agree. The
//! learned policy names the preset, never its paths, and so grants all of the preset's paths,
//! not only those the run was denied.
//!
//! A grant that would be broad (`/`, the home directory or one above it, a top-level
//! directory but `/tmp`, or one the library calls broad) is never learned unless `--broad` was
//! given: it is reported, left out, and the policy is then not verified. So is a grant the
//! library refuses when it prepares it, which `--broad` does not acknowledge (a broad place by
//! another name, such as the real path of a home `HOME` names through a link), with the
//! library's reason.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::time::Duration;

use landlock_runtime::denials::{Access, Denial, Object, Watcher};
use landlock_runtime::{Class, Policy};

use crate::cli::Options;
use crate::denials::{CATCH_UP, MAY_BE_MISSING, ours};
use crate::grants::Grants;
use crate::shell::quote;
use crate::supervise::Supervisor;
use crate::{Automatic, Failure, Plan, export, messages, print_out};

mod narrowest;

use narrowest::{Findings, Item, grants_with, narrowest, tidy, too_wide};

/// Runs at most, without counting the run without sandbox and the final check.
const ROUNDS: usize = 12;

/// The status `--learn` exits with when the learned policy is not verified.
const NOT_VERIFIED: u8 = 1;

/// How one run of the program ended.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ended {
    /// With this status.
    Status(ExitStatus),
    /// The kernel refused to start it (the message says what the policy lacks).
    NotStarted(String),
}

impl Ended {
    /// `0`, `signal 15`, `not started`.
    fn shown(&self) -> String {
        match self {
            Ended::Status(status) => match (status.code(), status.signal()) {
                (Some(code), _) => code.to_string(),
                (None, Some(signal)) => format!("signal {signal}"),
                _ => format!("{status}"),
            },
            Ended::NotStarted(_) => "not started".into(),
        }
    }
}

/// A learning session: the plan, the watcher of its denials, the supervisor of its runs.
struct Session<'a> {
    plan: &'a Plan,
    watcher: Watcher,
    supervisor: Supervisor,
    /// The options' grants and the automatic ones, as the learning starts.
    base: Grants,
    directories: bool,
    broad: bool,
}

impl Session<'_> {
    /// The policy of `items` on top of the base: acknowledged broad only when it needs it and
    /// `--broad` was given.
    fn policy(&self, items: &BTreeSet<Item>) -> Result<(&'static Policy, bool), Failure> {
        let grants = grants_with(&self.base, items);
        let broad = self.broad && grants.needs_broad();
        Ok((grants.policy(broad)?, broad))
    }

    /// `Err` once a signal asked the runner to stop: learning ends with it.
    fn stopped(&self) -> Result<(), Failure> {
        match self.supervisor.stopped_by() {
            Some(signal) => Err(Failure::Stopped(signal)),
            None => Ok(()),
        }
    }

    /// One run under `policy`: how it ended, and what its denials call for.
    fn run(&mut self, policy: &'static Policy) -> Result<(Ended, usize, Findings), Failure> {
        self.stopped()?;
        let ended = match self.plan.start(policy, &self.supervisor, true)? {
            Ok(status) => Ended::Status(status),
            Err(message) => Ended::NotStarted(message),
        };
        // Every denial of the run is read once the records catch up with its end.
        let complete = self.watcher.catch_up(CATCH_UP);
        let denials: Vec<Denial> = std::iter::from_fn(|| self.watcher.next_timeout(Duration::ZERO))
            .filter(ours)
            .collect();
        // What each denial needs, as the library reads it (a side of a link or rename needs
        // less than the kernel lists).
        let needs: Vec<Vec<Access>> = denials.iter().map(Denial::needs).collect();
        let denied: Vec<(&[Access], &Object)> = needs
            .iter()
            .zip(&denials)
            .map(|(needs, d)| (needs.as_slice(), &d.object))
            .collect();
        let mut findings = narrowest(&denied, self.directories);
        findings.incomplete = !complete;
        Ok((ended, denials.len(), findings))
    }

    /// The items of `found` that may be learned; the others, too wide without `--broad` or
    /// refused by the library when it prepares their policy, described in `refused`.
    fn admissible(
        &self,
        learned: &BTreeSet<Item>,
        found: &BTreeSet<Item>,
        refused: &mut BTreeSet<String>,
    ) -> BTreeSet<Item> {
        let broad_now = grants_with(&self.base, learned).needs_broad();
        found
            .iter()
            .filter(|item| {
                if self.broad {
                    return true;
                }
                let why = match item {
                    Item::Path(path, _) => too_wide(path),
                    _ => None,
                };
                let why = why.or_else(|| {
                    let with: BTreeSet<Item> = learned.iter().chain([*item]).cloned().collect();
                    (!broad_now && grants_with(&self.base, &with).needs_broad())
                        .then_some("a broad grant (as the policy language calls it)")
                });
                if let Some(why) = why {
                    refused.insert(format!(
                        "would need a broad grant: {} ({why}); rerun with --broad to accept it",
                        item.option()
                    ));
                    return false;
                }
                // What only the running system tells (a broad place by another name): the
                // library refuses the grant when it prepares it, and `--broad` does not say
                // it. Asked of the item alone, whose policy is fully enforced wherever learning
                // runs, so that nothing is opened twice and no status line is printed.
                let alone = grants_with(&Grants::default(), &BTreeSet::from([(*item).clone()]));
                match alone.refused_when_prepared() {
                    Some(why) => {
                        refused.insert(format!("left out: {}: {why}", item.option()));
                        false
                    }
                    None => true,
                }
            })
            .cloned()
            .collect()
    }

    /// The status of a run without sandbox, announced on standard error before it starts.
    fn reference(&self) -> Result<Ended, Failure> {
        self.stopped()?;
        let command: Vec<String> = std::iter::once(self.plan.program.path.as_os_str())
            .chain(self.plan.args.iter().map(|a| a.as_os_str()))
            .map(quote)
            .collect();
        let notice = format!(
            "sandbox_run: --learn: running `{}` once without a sandbox, to know the status it ends with (give that status with --expect-status N instead, and nothing runs unconfined)\n",
            command.join(" ")
        );
        // Written whole, and before the program starts.
        let _ = std::io::stderr().lock().write_all(notice.as_bytes());
        let child = self.plan.command(true).spawn().map_err(|e| {
            Failure::CannotExecute(format!(
                "starting `{}` without a sandbox failed: {e}",
                self.plan.program.path.display()
            ))
        })?;
        let status = self
            .supervisor
            .wait(child)
            .map_err(|e| Failure::Setup(format!("waiting for the program: {e}")))?;
        Ok(Ended::Status(status))
    }
}

/// The starting point: the automatic grants, as items.
fn automatic_items(plan: &Plan) -> BTreeSet<Item> {
    plan.automatic
        .iter()
        .map(|a| match a {
            Automatic::Exec(path, _) => Item::Path(path.clone(), Class::Exec),
            Automatic::Preset(p) => Item::Preset(*p),
        })
        .collect()
}

/// What the learning runs found.
#[derive(Default)]
struct Learning {
    /// The grants learned, the automatic ones included.
    learned: BTreeSet<Item>,
    /// One line per run.
    runs: String,
    /// Whether the grants stopped changing before [`ROUNDS`] runs.
    settled: bool,
    /// Denials no grant allows, in words.
    impossible: BTreeSet<String>,
    /// Grants left out, as too wide without `--broad` or refused by the library, in words.
    refused: BTreeSet<String>,
    /// Directories granted for the files in them, in words.
    widened: BTreeSet<String>,
}

/// The final run, under exactly the learned policy, against the run without a sandbox.
struct Check {
    ended: Ended,
    reference: Ended,
    /// Whether the reference is the status `--expect-status` gave (no run without a sandbox).
    expected: bool,
    /// What its denials call for: nothing, when the policy is complete.
    last: Findings,
    /// Whether the policy is acknowledged broad.
    broad: bool,
}

impl Check {
    /// No denial a grant could allow (all of the run's denials read), and the same end as
    /// without a sandbox.
    fn verified(&self) -> bool {
        self.last.items.is_empty() && !self.last.incomplete && self.ended == self.reference
    }
}

/// `--learn`: learns, checks and prints the policy; 0 when it is verified, 1 when not.
pub(crate) fn learn(plan: &Plan, options: &Options) -> Result<u8, Failure> {
    let watcher =
        landlock_runtime::denials::watch().map_err(|e| messages::watch_error("--learn", &e))?;
    let supervisor = Supervisor::new()
        .map_err(|e| Failure::Setup(format!("catching the signals to pass on: {e}")))?;
    let mut session = Session {
        plan,
        watcher,
        supervisor,
        base: plan.grants.clone(),
        directories: options.learn_directories,
        broad: options.broad,
    };
    let mut learning = session.learn()?;
    if !learning.settled {
        let (policy, broad) = session.policy(&learning.learned)?;
        let report = learning.report(None);
        session.print(&report, &learning.learned, policy, broad, options)?;
        return Ok(NOT_VERIFIED);
    }
    // The status to get back: given, or from a run without sandbox. That run comes after the
    // learning runs, so that those see the files as they were (an output the program creates
    // is a grant of its directory, not of a file a first run left behind).
    let reference = match options.expect_status {
        Some(code) => Ended::Status(ExitStatus::from_raw(i32::from(code) << 8)),
        None => session.reference()?,
    };
    let (policy, broad) = session.policy(&learning.learned)?;
    let (ended, _, mut last) = session.run(policy)?;
    session.stopped()?;
    learning
        .impossible
        .extend(std::mem::take(&mut last.impossible));
    let check = Check {
        ended,
        reference,
        expected: options.expect_status.is_some(),
        last,
        broad,
    };
    let report = learning.report(Some(&check));
    session.print(&report, &learning.learned, policy, check.broad, options)?;
    Ok(if check.verified() { 0 } else { NOT_VERIFIED })
}

impl Session<'_> {
    /// Prints the learning's `report` and the learned policy (the items `learned`, built as
    /// `policy`): as `#[sandbox(...)]`, `policy!(...)` and options, after the report on
    /// standard output; or, with `--export`, as a landlockconfig document alone on standard
    /// output, the report on standard error.
    fn print(
        &self,
        report: &str,
        learned: &BTreeSet<Item>,
        policy: &Policy,
        broad: bool,
        options: &Options,
    ) -> Result<(), Failure> {
        let Some(format) = &options.export else {
            let mut out = report.to_owned();
            out.push_str(&render(&grants_with(&self.base, learned), broad, self.plan));
            return print_out(&out);
        };
        let document = export(policy, format, &self.plan.program.path)?;
        let _ = std::io::stderr().lock().write_all(report.as_bytes());
        print_out(&document)
    }
}

impl Session<'_> {
    /// Runs the program, adding what its denials call for, until the grants stop changing.
    fn learn(&mut self) -> Result<Learning, Failure> {
        let mut learning = Learning {
            learned: tidy(&automatic_items(self.plan), &self.base),
            ..Learning::default()
        };
        for round in 1..=ROUNDS {
            let (policy, _) = self.policy(&learning.learned)?;
            let (ended, denials, found) = self.run(policy)?;
            learning.impossible.extend(found.impossible);
            learning.widened.extend(found.widened);
            let admitted = self.admissible(&learning.learned, &found.items, &mut learning.refused);
            let next = tidy(
                &learning.learned.iter().chain(&admitted).cloned().collect(),
                &self.base,
            );
            let added = next.difference(&learning.learned).count();
            let covered = learning.learned.difference(&next).count();
            let _ = writeln!(
                learning.runs,
                "run {round}: {denials} denials, status {}: {added} grants added, {covered} covered by them{}",
                ended.shown(),
                if found.incomplete {
                    format!(" ({MAY_BE_MISSING})")
                } else {
                    String::new()
                }
            );
            if next == learning.learned {
                // No denial, or only denials that no grant (or no acceptable grant) allows.
                learning.settled = true;
                break;
            }
            learning.learned = next;
        }
        Ok(learning)
    }
}

impl Learning {
    /// The runs, what was left out or widened and why, and the verdict: that of `check`, or,
    /// without one (learning gave up), not verified.
    fn report(&self, check: Option<&Check>) -> String {
        let mut out = self.runs.clone();
        for what in &self.refused {
            let _ = writeln!(out, "{what}");
        }
        for what in &self.widened {
            let _ = writeln!(out, "granted a directory: {what}");
        }
        for item in &self.learned {
            if let Item::Path(path, Class::Read) = item
                && path.is_dir()
            {
                let _ = writeln!(
                    out,
                    "granted a directory the program lists: {} (every file beneath it can be read)",
                    item.option()
                );
            }
        }
        for what in &self.impossible {
            let _ = writeln!(out, "denied, and no grant allows it: {what}");
        }
        let Some(check) = check else {
            let _ = writeln!(
                out,
                "gave up after {ROUNDS} runs: each run still changed the grants: NOT verified (not run without a sandbox, nor under the policy below)\n"
            );
            return out;
        };
        for item in &check.last.items {
            let _ = writeln!(
                out,
                "denied in the final run, not granted: {}",
                item.option()
            );
        }
        if let Ended::NotStarted(why) = &check.ended {
            let _ = writeln!(out, "the final run did not start: {why}");
        }
        if check.last.incomplete {
            let _ = writeln!(out, "final run: {MAY_BE_MISSING}");
        }
        let _ = writeln!(
            out,
            "final run: {} denials a grant could allow, status {} ({}: {}): {}\n",
            check.last.items.len(),
            check.ended.shown(),
            if check.expected {
                "expected"
            } else {
                "without sandbox"
            },
            check.reference.shown(),
            if check.verified() {
                "verified"
            } else {
                "NOT verified"
            }
        );
        out
    }
}

/// The learned policy as `#[sandbox(...)]`, as `policy!(...)`, and as options ending in `--`
/// (the last line).
fn render(grants: &Grants, broad: bool, plan: &Plan) -> String {
    let mut out = String::new();
    let (items, literal_only) = grants.as_policy_items(broad);
    for (class, path) in &literal_only {
        let _ = writeln!(
            out,
            "// not in the two forms below: {} `{}`, a path the policy language cannot write literally; grant it with the builder's `{}_path`",
            class.keyword(),
            path.display(),
            class.keyword()
        );
    }
    let items = items.join(", ");
    let _ = writeln!(out, "#[sandbox({items})]");
    let _ = writeln!(out, "policy!({items})");
    let mut options = vec!["sandbox_run".to_owned(), "--explicit".to_owned()];
    options.extend(grants.as_options(broad));
    options.extend(plan.environment.as_options());
    options.push("--".into());
    let _ = writeln!(out, "{}", options.join(" "));
    out
}
