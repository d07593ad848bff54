//! What the running kernel enforces, asserted for whichever kernel it is: no Landlock, or
//! Landlock ABI 1 and on. `kernels/run` boots real kernels (no Landlock, ABI 2, ABI 6) and runs
//! these tests there, as well as on this machine's kernel, with `LANDLOCK_EXPECT_ABI` set to
//! the kernel it booted (`support::kernel_abi` checks it): each test computes what that ABI
//! enforces of a policy, and asserts the kernel's answers, the status and its line, and what
//! `strict` and denial watching do. Nothing here is simulated; `faults.rs` simulates the ABIs
//! no real kernel here has.
//!
//! Each scenario runs in a child process of its own (see `support::in_child`): the status line
//! is said once per policy, on standard error, which the parent reads.

use std::sync::atomic::{AtomicBool, Ordering};

use landlock_runtime::{ErrorKind, Level, Policy, sandbox};

mod support;
use support::*;

/// The answers a best-effort `support::attempt_everything` gets at `abi`: each class is denied
/// from the ABI that added it, and before that allowed (the device answers `TCGETS` itself).
fn expected_attempts(abi: u32) -> Attempts {
    let from = |added: u32, denied: Errno| if abi >= added { Err(denied) } else { Ok(()) };
    Attempts {
        read_outside: from(1, EACCES),
        truncate_read_only: from(3, EACCES),
        ioctl_dev: if abi >= 5 { Err(EACCES) } else { Err(ENOTTY) },
        tcp_bind: from(4, EACCES),
        tcp_connect: from(4, EACCES),
        signal_outside: from(6, EPERM),
        abstract_unix_outside: from(6, EPERM),
    }
}

/// The library's status lines in a child's output, from the status on: what follows `) is `.
fn status_lines(output: &str) -> Vec<&str> {
    output
        .lines()
        .filter(|l| l.starts_with("landlock-sandbox: "))
        .map(|l| l.split_once(") is ").map_or(l, |(_, status)| status))
        .collect()
}

#[test]
fn best_effort_enforces_exactly_what_this_kernel_has() {
    let abi = kernel_abi();
    let Some(output) = in_child("best_effort_enforces_exactly_what_this_kernel_has", || {
        let (attempts, status) = attempt_everything("kernels-best-effort");
        assert_eq!(status.abi, abi);
        assert_eq!(
            status.level,
            match abi {
                0 => Level::NotEnforced,
                1..=5 => Level::Partial,
                _ => Level::Full,
            }
        );
        assert_eq!(status.to_string(), status_at(abi));
        assert_eq!(attempts, expected_attempts(abi), "at Landlock ABI {abi}");
    }) else {
        return;
    };
    // Said once on standard error when less than fully enforced; nothing said otherwise.
    let expected: Vec<String> = if abi >= 6 {
        Vec::new()
    } else {
        vec![status_at(abi)]
    };
    assert_eq!(status_lines(&output), expected, "{output}");
}

#[sandbox(read = "/usr", strict)]
fn strict_body(ran: &AtomicBool) {
    ran.store(true, Ordering::SeqCst);
}

#[test]
fn strict_runs_only_where_the_kernel_enforces_all_of_it() {
    let abi = kernel_abi();
    let Some(output) = in_child(
        "strict_runs_only_where_the_kernel_enforces_all_of_it",
        || {
            // The runtime form: refused with the status, the body not run.
            let policy = Policy::builder("kernels::strict")
                .read("/usr")
                .strict()
                .build()
                .unwrap();
            let ran = AtomicBool::new(false);
            let result = policy.run(|| ran.store(true, Ordering::SeqCst));
            if abi >= 6 {
                result.unwrap();
                assert!(ran.load(Ordering::SeqCst));
            } else {
                let err = result.unwrap_err();
                let ErrorKind::NotFullyEnforceable { status } = err.kind() else {
                    panic!("{err}");
                };
                assert!(!ran.load(Ordering::SeqCst), "the body must not run");
                assert_eq!(status.abi, abi);
                assert_eq!(
                    status.level,
                    if abi == 0 {
                        Level::NotEnforced
                    } else {
                        Level::Partial
                    }
                );
            }
            // The attribute: a panic that names what the kernel cannot enforce.
            let ran = AtomicBool::new(false);
            let panicked = panic_of(|| strict_body(&ran));
            match panicked {
                None => assert!(abi >= 6 && ran.load(Ordering::SeqCst)),
                Some(message) => {
                    assert!(abi < 6, "{message}");
                    assert!(!ran.load(Ordering::SeqCst), "the body must not run");
                    let what = status_at(abi);
                    assert!(
                        message.contains(&format!(
                            "strict policy, but the kernel cannot enforce all of it: {what}; "
                        )),
                        "{message}"
                    );
                }
            }
        },
    ) else {
        return;
    };
    // Refused, not degraded: no status line.
    assert_eq!(status_lines(&output), Vec::<&str>::new(), "{output}");
}

/// `quiet` asks the kernel not to log (ABI 7); an older kernel has no logging to turn off, and
/// the policy is enforced all the same.
#[test]
fn a_quiet_policy_is_enforced_as_far_as_the_kernel_goes() {
    let abi = kernel_abi();
    in_child(
        "a_quiet_policy_is_enforced_as_far_as_the_kernel_goes",
        || {
            let t = Tree::new("kernels-quiet");
            let policy = Policy::builder("kernels::quiet")
                .read(t.path("in"))
                .quiet()
                .build()
                .unwrap();
            let (inside, outside) = policy
                .run(|| {
                    (
                        opened(&t.at("in/a.txt"), libc::O_RDONLY),
                        opened(&t.at("outside/secret.txt"), libc::O_RDONLY),
                    )
                })
                .unwrap();
            assert_eq!(inside, Ok(()));
            assert_eq!(outside, if abi >= 1 { Err(EACCES) } else { Ok(()) });
            assert_eq!(policy.status().unwrap().abi, abi);
        },
    );
}

/// Before ABI 7 the kernel writes no record of a denial: watching says so, naming the ABI,
/// rather than watching nothing.
#[test]
fn denial_watching_says_where_the_kernel_cannot_report() {
    let abi = kernel_abi();
    if abi >= 7 {
        // Reported: the denial tests (denials.rs) assert the records.
        if let Some(watcher) = watcher_or_skip() {
            drop(watcher);
        }
        return;
    }
    let err = landlock_runtime::denials::watch().map(drop).unwrap_err();
    let expected = if abi == 0 {
        "this kernel has no Landlock, and denials are reported from Landlock ABI 7 (Linux 6.15)"
            .to_owned()
    } else {
        format!(
            "this kernel has Landlock ABI {abi}, and denials are reported from ABI 7 (Linux 6.15)"
        )
    };
    assert!(
        matches!(err, landlock_runtime::denials::WatchError::Unsupported(ref why) if *why == expected),
        "{err:?}"
    );
    // The variable that prints denials says the same, once, and the program runs on.
    let Some(output) = in_child_with(
        "denial_watching_says_where_the_kernel_cannot_report",
        &[("LANDLOCK_SANDBOX_DENIALS", "stderr")],
        || {
            let t = Tree::new("kernels-watch");
            let policy = Policy::builder("kernels::watch")
                .read(t.path("in"))
                .build()
                .unwrap();
            let outside = policy
                .run(|| opened(&t.at("outside/secret.txt"), libc::O_RDONLY))
                .unwrap();
            assert_eq!(outside, if abi >= 1 { Err(EACCES) } else { Ok(()) });
        },
    ) else {
        return;
    };
    let said: Vec<&str> = output
        .lines()
        .filter(|l| l.contains("LANDLOCK_SANDBOX_DENIALS"))
        .collect();
    assert_eq!(
        said,
        [format!(
            "landlock-sandbox: LANDLOCK_SANDBOX_DENIALS/LANDLOCK_SANDBOX_LEARN: denials cannot be watched here: {expected}"
        )],
        "{output}"
    );
}
