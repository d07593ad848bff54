//! Faults: what a sandbox does when the kernel cannot do all that is asked (no Landlock, an
//! older ABI), when the world changes between preparing a policy and enforcing it (a path
//! deleted, an environment variable changed), and at the kernel's layer limit.
//!
//! Each scenario runs in a child process of its own (this binary again, see
//! `support::in_child`): a seccomp filter, a simulated older kernel or a changed environment
//! must touch nothing else, and the library must not have asked the kernel anything before
//! the scenario changes what the kernel answers. Restricted code runs on threads of its own.

use std::sync::atomic::{AtomicBool, Ordering};

use landlock_runtime::__private::simulate_older_kernel;
use landlock_runtime::{ErrorKind, Level, MAX_LAYERS, Policy, Preset, SkipReason, sandbox};

mod support;
use support::seccomp::fail_system_calls;
use support::*;

/// A file no policy here grants.
const DENIED: &str = "/etc/hostname";

// --- A kernel without Landlock ----------------------------------------------------------------

/// Makes the three Landlock system calls fail with `errno` in this process, as on a kernel
/// built without Landlock (ENOSYS) or with Landlock disabled at boot (EOPNOTSUPP), before
/// anything asks the kernel for its ABI.
fn without_landlock(errno: i32) {
    fail_system_calls(
        &[
            libc::SYS_landlock_create_ruleset,
            libc::SYS_landlock_add_rule,
            libc::SYS_landlock_restrict_self,
        ],
        errno,
    );
}

fn denied_errno() -> Option<i32> {
    std::fs::File::open(DENIED)
        .err()
        .map(|e| e.raw_os_error().unwrap_or(-1))
}

#[sandbox(read = "/usr")]
fn best_effort(ran: &AtomicBool) -> Option<i32> {
    ran.store(true, Ordering::SeqCst);
    denied_errno()
}

/// The line of this file that contains `needle` first: where an origin points.
fn line_of(needle: &str) -> u32 {
    let at = include_str!("faults.rs")
        .lines()
        .position(|l| l.contains(needle))
        .unwrap();
    at as u32 + 1
}

#[sandbox(read = "/usr", strict)]
fn strict_body(ran: &AtomicBool) {
    ran.store(true, Ordering::SeqCst);
}

/// Calls `strict_body` on a thread of its own; the panic message, if it panicked.
fn strict_panic(ran: &AtomicBool) -> Option<String> {
    panic_of(|| strict_body(ran))
}

#[sandbox(read = dir, strict)]
fn strict_list(dir: &std::path::Path, ran: &AtomicBool) -> std::io::Result<usize> {
    ran.store(true, Ordering::SeqCst);
    Ok(std::fs::read_dir(dir)?.count())
}

/// The stderr line the library prints for a policy that is less than fully enforced.
fn status_lines(output: &str) -> Vec<&str> {
    output
        .lines()
        .filter(|l| l.starts_with("landlock-sandbox: "))
        .collect()
}

#[test]
fn without_landlock_best_effort_runs_and_says_it_is_not_enforced() {
    let Some(output) = in_child(
        "without_landlock_best_effort_runs_and_says_it_is_not_enforced",
        || {
            without_landlock(libc::ENOSYS);
            assert_eq!(landlock_runtime::kernel_abi(), 0);
            let ran = AtomicBool::new(false);
            // Entered twice, on two threads: the body runs, nothing is denied (nothing can
            // be), and the status line is printed once.
            for _ in 0..2 {
                let seen = std::thread::scope(|s| s.spawn(|| best_effort(&ran)).join().unwrap());
                assert_eq!(seen, None, "nothing is enforced, so nothing is denied");
            }
            assert!(ran.load(Ordering::SeqCst));
            let policy = Policy::builder("faults::no_landlock")
                .read("/usr")
                .build()
                .unwrap();
            let status = policy.run(|| policy.status().cloned()).unwrap().unwrap();
            assert_eq!(status.level, Level::NotEnforced);
            assert_eq!(status.abi, 0);
            let layers = std::thread::scope(|s| {
                s.spawn(|| {
                    best_effort(&ran);
                    landlock_runtime::in_force()
                })
                .join()
                .unwrap()
            });
            assert_eq!(layers.len(), 1);
            assert_eq!(layers[0].level, Level::NotEnforced);
        },
    ) else {
        return;
    };
    // Once per policy, naming it and where it was declared.
    let not_enforced =
        "is not enforced: this kernel has no Landlock (not built in, or not enabled at boot)";
    assert_eq!(
        status_lines(&output),
        [
            format!(
                "landlock-sandbox: sandbox `faults::best_effort` (tests/faults.rs:{}) {not_enforced}",
                line_of("#[sandbox(read = \"/usr\")]")
            ),
            format!(
                "landlock-sandbox: sandbox `faults::no_landlock` (tests/faults.rs:{}) {not_enforced}",
                line_of("Policy::builder(\"faults::no_landlock\")")
            ),
        ],
        "{output}"
    );
}

#[test]
fn landlock_disabled_at_boot_is_not_enforced_either() {
    // A kernel built with Landlock but booted without it answers EOPNOTSUPP.
    let Some(output) = in_child("landlock_disabled_at_boot_is_not_enforced_either", || {
        without_landlock(libc::EOPNOTSUPP);
        let ran = AtomicBool::new(false);
        let seen = std::thread::scope(|s| s.spawn(|| best_effort(&ran)).join().unwrap());
        assert_eq!(seen, None);
        assert!(ran.load(Ordering::SeqCst));
    }) else {
        return;
    };
    assert_eq!(status_lines(&output).len(), 1, "{output}");
    assert!(
        status_lines(&output)[0].ends_with(
            "is not enforced: this kernel has no Landlock (not built in, or not enabled at boot)"
        ),
        "{output}"
    );
}

#[test]
fn without_landlock_strict_refuses_and_the_body_does_not_run() {
    let Some(output) = in_child(
        "without_landlock_strict_refuses_and_the_body_does_not_run",
        || {
            without_landlock(libc::ENOSYS);
            let ran = AtomicBool::new(false);
            let message = strict_panic(&ran).expect("a strict sandbox must panic");
            assert!(!ran.load(Ordering::SeqCst), "the body must not run");
            assert!(
                message.starts_with("sandbox `faults::strict_body` (tests/faults.rs:")
                    && message.ends_with(
                        "strict policy, but the kernel cannot enforce all of it: not enforced: this kernel has no Landlock (not built in, or not enabled at boot); run it where the kernel enforces all of it, or drop `strict` to accept what this one enforces"
                    ),
                "{message}"
            );
            // The same through the block form's runtime call.
            let policy = Policy::builder("t").read("/usr").strict().build().unwrap();
            let err = policy.run(|| unreachable!("must not run")).unwrap_err();
            let ErrorKind::NotFullyEnforceable { status } = err.kind() else {
                panic!("{err}");
            };
            assert_eq!(status.level, Level::NotEnforced);
        },
    ) else {
        return;
    };
    // Refused, not degraded: no "not enforced" line.
    assert_eq!(status_lines(&output), Vec::<&str>::new(), "{output}");
}

#[test]
fn a_failing_restrict_self_fails_closed() {
    if !landlock_at_least(1) {
        return;
    }
    in_child("a_failing_restrict_self_fails_closed", || {
        // The kernel has Landlock and the ruleset is built, but the last call fails (as it
        // would, for instance, under a seccomp policy of a container runtime).
        fail_system_calls(&[libc::SYS_landlock_restrict_self], libc::EPERM);
        let ran = AtomicBool::new(false);
        let message = panic_of(|| best_effort(&ran))
            .expect("best effort is not a licence to run unrestricted: it must panic");
        assert!(!ran.load(Ordering::SeqCst), "the body must not run");
        assert!(
            message
                .ends_with("landlock_restrict_self failed: Operation not permitted (os error 1)"),
            "{message}"
        );
        assert!(landlock_runtime::in_force().is_empty());
    });
}

// --- An older kernel --------------------------------------------------------------------------

/// Runs `support::attempt_everything` under a policy prepared at the simulated ABI.
fn attempt_at_simulated_abi(abi: u32) -> (Attempts, landlock_runtime::Status) {
    simulate_older_kernel(abi);
    attempt_everything(&format!("faults-abi{abi}"))
}

#[test]
fn at_abi_3_best_effort_enforces_what_it_can() {
    if !landlock_at_least(3) {
        return;
    }
    let Some(output) = in_child("at_abi_3_best_effort_enforces_what_it_can", || {
        let (attempts, status) = attempt_at_simulated_abi(3);
        assert_eq!(status.level, Level::Partial);
        assert_eq!(status.abi, 3);
        // Exactly what ABI 3 lacks of this policy: ioctl_dev (5), TCP (4), the scopes (6).
        assert_eq!(
            status.dropped.fs_rights().collect::<Vec<_>>(),
            ["ioctl_dev"]
        );
        assert!(status.dropped.tcp_bind && status.dropped.tcp_connect);
        assert!(status.dropped.signal_scope && status.dropped.abstract_unix_socket_scope);
        assert_eq!(
            attempts,
            Attempts {
                // Filesystem rules exist since ABI 1: still EACCES.
                read_outside: Err(EACCES),
                // truncate is handled from ABI 3: still EACCES in the read-only tree.
                truncate_read_only: Err(EACCES),
                // ioctl_dev is not handled before ABI 5: the device answers.
                ioctl_dev: Err(ENOTTY),
                // TCP is not handled before ABI 4: bind and connect are allowed.
                tcp_bind: Ok(()),
                tcp_connect: Ok(()),
                // Scopes are not handled before ABI 6: a signal (0, a probe) and an abstract
                // unix socket outside are reachable.
                signal_outside: Ok(()),
                abstract_unix_outside: Ok(()),
            }
        );
    }) else {
        return;
    };
    assert_eq!(
        status_lines(&output)
            .iter()
            .map(|l| l.split_once(") is ").unwrap().1)
            .collect::<Vec<_>>(),
        [
            "partly enforced (Landlock ABI 3): not enforced: filesystem rights ioctl_dev, TCP bind, TCP connect, signal scope, abstract unix socket scope"
        ],
        "{output}"
    );
}

#[test]
fn at_abi_5_only_the_scopes_are_dropped() {
    if !landlock_at_least(5) {
        return;
    }
    let Some(output) = in_child("at_abi_5_only_the_scopes_are_dropped", || {
        let (attempts, status) = attempt_at_simulated_abi(5);
        assert_eq!(status.level, Level::Partial);
        assert_eq!(status.abi, 5);
        assert!(status.dropped.fs_rights().next().is_none());
        assert!(!status.dropped.tcp_bind && !status.dropped.tcp_connect);
        assert!(status.dropped.signal_scope && status.dropped.abstract_unix_socket_scope);
        assert_eq!(
            attempts,
            Attempts {
                read_outside: Err(EACCES),
                truncate_read_only: Err(EACCES),
                // ioctl_dev is handled from ABI 5: the device is never asked.
                ioctl_dev: Err(EACCES),
                // TCP is handled from ABI 4 and no port is granted: EACCES.
                tcp_bind: Err(EACCES),
                tcp_connect: Err(EACCES),
                // The scopes (ABI 6) are still missing.
                signal_outside: Ok(()),
                abstract_unix_outside: Ok(()),
            }
        );
    }) else {
        return;
    };
    assert_eq!(
        status_lines(&output)
            .iter()
            .map(|l| l.split_once(") is ").unwrap().1)
            .collect::<Vec<_>>(),
        [
            "partly enforced (Landlock ABI 5): not enforced: signal scope, abstract unix socket scope"
        ],
        "{output}"
    );
}

#[test]
fn at_abi_2_truncate_is_not_enforced() {
    if !landlock_at_least(2) {
        return;
    }
    in_child("at_abi_2_truncate_is_not_enforced", || {
        let (attempts, status) = attempt_at_simulated_abi(2);
        assert_eq!(
            status.dropped.fs_rights().collect::<Vec<_>>(),
            ["truncate", "ioctl_dev"]
        );
        // The right is not handled, so it is allowed everywhere: the read-only file is
        // truncated. What best effort means, and what `strict` refuses.
        assert_eq!(attempts.truncate_read_only, Ok(()));
        assert_eq!(attempts.read_outside, Err(EACCES));
    });
}

#[test]
fn at_older_abis_strict_refuses_and_the_body_does_not_run() {
    if !landlock_at_least(5) {
        return;
    }
    in_child(
        "at_older_abis_strict_refuses_and_the_body_does_not_run",
        || {
            for abi in [5, 3] {
                // Lowering the cap only affects policies prepared afterwards, so each ABI
                // needs its own, not yet prepared, policy.
                simulate_older_kernel(abi);
                let policy = Policy::builder(format!("strict at {abi}"))
                    .read("/usr")
                    .strict()
                    .build()
                    .unwrap();
                let ran = AtomicBool::new(false);
                let err = policy
                    .run(|| ran.store(true, Ordering::SeqCst))
                    .unwrap_err();
                assert!(
                    !ran.load(Ordering::SeqCst),
                    "the body must not run at ABI {abi}"
                );
                let ErrorKind::NotFullyEnforceable { status } = err.kind() else {
                    panic!("{err}");
                };
                assert_eq!((status.level, status.abi), (Level::Partial, abi));
            }
            // And the attribute panics, its body unrun.
            let ran = AtomicBool::new(false);
            let message = strict_panic(&ran).expect("a strict sandbox must panic");
            assert!(!ran.load(Ordering::SeqCst));
            assert!(
                message.contains(
                    "strict policy, but the kernel cannot enforce all of it: partly enforced (Landlock ABI 3): not enforced: filesystem rights ioctl_dev, TCP bind, TCP connect, signal scope, abstract unix socket scope"
                ),
                "{message}"
            );
        },
    );
}

/// On an older kernel the status is said on standard error at every run: it says what the
/// kernel does not enforce, and leaves out the optional paths of presets that are not on this
/// machine (the loaders of other architectures), which are no news. They stay in
/// `Status::skipped`, each with its preset.
#[test]
fn an_older_kernel_s_status_leaves_out_the_presets_missing_paths() {
    if !landlock_at_least(2) {
        return;
    }
    in_child(
        "an_older_kernel_s_status_leaves_out_the_presets_missing_paths",
        || {
            simulate_older_kernel(2);
            let policy = Policy::builder("faults::presets")
                .read("/usr")
                .read("/no/such/landlock-faults?")
                .preset(Preset::DynamicLoader)
                .build()
                .unwrap();
            let status = policy.prepare().unwrap();
            assert_eq!(
                status.to_string(),
                "partly enforced (Landlock ABI 2): not enforced: filesystem rights truncate, ioctl_dev, TCP bind, TCP connect, signal scope, abstract unix socket scope; skipped optional paths: /no/such/landlock-faults? (missing)"
            );
            let loader = "/lib/ld-linux-aarch64.so.1?";
            let skipped = status
                .skipped
                .iter()
                .find(|s| s.grant == loader)
                .expect("the preset's missing path is still listed");
            assert_eq!(skipped.reason, SkipReason::Missing);
            assert_eq!(skipped.preset, Some(Preset::DynamicLoader));
            let own = status.skipped.iter().find(|s| s.grant.starts_with("/no/"));
            assert_eq!(own.unwrap().preset, None);
        },
    );
}

// --- The world changes after preparation ------------------------------------------------------

#[test]
fn a_path_deleted_and_recreated_after_preparation_is_a_new_inode_and_denied() {
    if !landlock_at_least(1) {
        return;
    }
    in_child(
        "a_path_deleted_and_recreated_after_preparation_is_a_new_inode_and_denied",
        || {
            let t = Tree::new("faults-deleted");
            std::fs::create_dir(t.at("moved")).unwrap();
            std::fs::write(t.at("moved/m.txt"), "m").unwrap();
            let policy = t.builder().read(t.path("moved")).build().unwrap();
            // Prepared: every path resolved and opened, the rules added to the ruleset.
            assert_eq!(policy.prepare().unwrap().level, level_at(kernel_abi()));
            // Then, before any thread enforces it: in/ deleted and made again at the same
            // path, with the same content; moved/ renamed.
            std::fs::remove_dir_all(t.at("in")).unwrap();
            std::fs::create_dir(t.at("in")).unwrap();
            std::fs::write(t.at("in/a.txt"), "granted").unwrap();
            std::fs::rename(t.at("moved"), t.at("renamed")).unwrap();
            let (recreated, renamed, old_name) = policy
                .run(|| {
                    (
                        opened(&t.at("in/a.txt"), libc::O_RDONLY),
                        opened(&t.at("renamed/m.txt"), libc::O_RDONLY),
                        opened(&t.at("moved"), libc::O_RDONLY),
                    )
                })
                .expect("a prepared policy is enforced without looking at its paths again");
            // The rule is on the inode opened at preparation, not on the path: the new in/ is
            // another inode, beneath no rule: EACCES, although its path is the one granted.
            assert_eq!(recreated, Err(EACCES));
            // A renamed directory keeps its rule wherever it goes.
            assert_eq!(renamed, Ok(()));
            assert_eq!(old_name, Err(ENOENT));
        },
    );
}

#[test]
fn an_environment_variable_changed_after_preparation_is_not_seen() {
    if !landlock_at_least(1) {
        return;
    }
    in_child(
        "an_environment_variable_changed_after_preparation_is_not_seen",
        || {
            let t = Tree::new("faults-env");
            std::fs::create_dir(t.at("first")).unwrap();
            std::fs::write(t.at("first/f.txt"), "1").unwrap();
            std::fs::create_dir(t.at("second")).unwrap();
            std::fs::write(t.at("second/f.txt"), "2").unwrap();
            let variable = "LANDLOCK_FAULTS_DATA";
            // SAFETY: this child process has one test thread, and nothing else reads the
            // environment meanwhile.
            unsafe { std::env::set_var(variable, t.at("first")) };
            let policy = Policy::builder("faults::env")
                .read(format!("${{{variable}}}"))
                .build()
                .unwrap();
            // First enforcement: prepared now, with the value of now.
            let first = policy.run(|| opened(&t.at("first/f.txt"), libc::O_RDONLY));
            assert_eq!(first.unwrap(), Ok(()));
            // SAFETY: as above.
            unsafe { std::env::set_var(variable, t.at("second")) };
            let later = policy
                .run(|| {
                    (
                        opened(&t.at("first/f.txt"), libc::O_RDONLY),
                        opened(&t.at("second/f.txt"), libc::O_RDONLY),
                    )
                })
                .unwrap();
            // The policy was resolved once, when first prepared: it keeps granting the first
            // directory, and the second stays denied.
            assert_eq!(later, (Ok(()), Err(EACCES)));
            // A clone is a new policy, prepared afresh: it sees the value of now.
            let fresh = policy.clone();
            let cloned = fresh
                .run(|| {
                    (
                        opened(&t.at("first/f.txt"), libc::O_RDONLY),
                        opened(&t.at("second/f.txt"), libc::O_RDONLY),
                    )
                })
                .unwrap();
            assert_eq!(cloned, (Err(EACCES), Ok(())));
        },
    );
}

// --- The layer limit --------------------------------------------------------------------------

#[test]
fn the_seventeenth_policy_on_a_thread_is_refused_and_the_sixteen_stay() {
    if !landlock_at_least(1) {
        return;
    }
    in_child(
        "the_seventeenth_policy_on_a_thread_is_refused_and_the_sixteen_stay",
        || {
            let t = Tree::new("faults-layers");
            let dirs: Vec<String> = (0..=MAX_LAYERS)
                .map(|i| {
                    let dir = t.path(&format!("d{i}"));
                    std::fs::create_dir(&dir).unwrap();
                    std::fs::write(format!("{dir}/f.txt"), "f").unwrap();
                    dir
                })
                .collect();
            // Policy i grants every directory but d{i}: with all sixteen in force, each of
            // d0..d15 is denied by exactly one layer, so each denial proves one layer.
            let policies: Vec<Policy> = (0..=MAX_LAYERS)
                .map(|i| {
                    dirs.iter()
                        .enumerate()
                        .filter(|&(j, _)| j != i)
                        .fold(Policy::builder(format!("layer {i}")), |b, (_, d)| {
                            b.read(d.as_str())
                        })
                        .build()
                        .unwrap()
                })
                .collect();
            std::thread::scope(|s| {
                s.spawn(|| {
                    for policy in &policies[..MAX_LAYERS] {
                        policy.enforce().unwrap();
                    }
                    let err = policies[MAX_LAYERS].enforce().unwrap_err();
                    assert!(
                        matches!(err.kind(), ErrorKind::TooManyLayers { limit: 16 }),
                        "{err}"
                    );
                    assert_eq!(landlock_runtime::in_force().len(), MAX_LAYERS);
                    for (i, dir) in dirs.iter().enumerate() {
                        let expected = if i < MAX_LAYERS { Err(EACCES) } else { Ok(()) };
                        assert_eq!(
                            opened(
                                std::path::Path::new(&format!("{dir}/f.txt")),
                                libc::O_RDONLY
                            ),
                            expected,
                            "d{i}"
                        );
                    }
                    // Re-entering one of the sixteen is still a no-op, at the limit too.
                    policies[3].enforce().unwrap();
                    assert_eq!(landlock_runtime::in_force().len(), MAX_LAYERS);
                })
                .join()
                .unwrap();
                // A thread inherits its creator's layers, which the library does not list
                // (`in_force` documents it) nor count: here the kernel's limit is what
                // refuses, with E2BIG, reported as the same error.
                s.spawn(|| {
                    policies[0].enforce().unwrap();
                    std::thread::scope(|s| {
                        s.spawn(|| {
                            for policy in &policies[1..MAX_LAYERS] {
                                policy.enforce().unwrap();
                            }
                            assert_eq!(landlock_runtime::in_force().len(), MAX_LAYERS - 1);
                            let err = policies[MAX_LAYERS].enforce().unwrap_err();
                            assert!(
                                matches!(err.kind(), ErrorKind::TooManyLayers { limit: 16 }),
                                "{err}"
                            );
                            // d0 is denied by the inherited layer.
                            let d0 = format!("{}/f.txt", dirs[0]);
                            assert_eq!(
                                opened(std::path::Path::new(&d0), libc::O_RDONLY),
                                Err(EACCES)
                            );
                        })
                        .join()
                        .unwrap();
                    });
                })
                .join()
                .unwrap();
            });
        },
    );
}

#[test]
fn at_an_older_abi_strict_is_the_err_of_a_function_returning_result() {
    if !landlock_at_least(3) {
        return;
    }
    in_child(
        "at_an_older_abi_strict_is_the_err_of_a_function_returning_result",
        || {
            // A policy bound to its arguments is prepared at each call, at the simulated ABI.
            simulate_older_kernel(3);
            let ran = AtomicBool::new(false);
            let err = std::thread::scope(|s| {
                s.spawn(|| strict_list(std::path::Path::new("/usr"), &ran))
                    .join()
                    .expect("an Err, not a panic")
            })
            .unwrap_err();
            assert!(!ran.load(Ordering::SeqCst), "the body must not run");
            let err = err
                .into_inner()
                .and_then(|e| e.downcast::<landlock_runtime::Error>().ok())
                .expect("the sandbox's error");
            let ErrorKind::NotFullyEnforceable { status } = err.kind() else {
                panic!("{err}");
            };
            assert_eq!((status.level, status.abi), (Level::Partial, 3));
        },
    );
}
