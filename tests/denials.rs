//! Denials you can see: the kernel's audit records of real denials, read and attributed to the
//! sandbox that denied them, with the item that would allow them; explanations without audit;
//! what the environment variables start, and what they cost when unset.
//!
//! Reading audit records needs root (CAP_AUDIT_READ) and the kernel's audit on: without them
//! a test is skipped with the reason, or fails under `AUDIT_REQUIRED=1`, as CI sets.

use std::process::Command;
use std::time::Duration;

use landlock_runtime::denials::{self, Access, Allow, Object, Reparent};
use landlock_runtime::{Class, Policy, Preset, SandboxCommandExt};

mod support;
use support::*;

/// A file no policy here grants.
const DENIED: &str = "/etc/hostname";

#[test]
fn denials_are_attributed_to_the_sandbox_that_denied_them_among_three() {
    if !full_landlock_or_skip() {
        return;
    }
    in_child(
        "denials_are_attributed_to_the_sandbox_that_denied_them_among_three",
        || {
            // Watching starts before the sandboxes, so that each is marked.
            let Some(mut watcher) = watcher_or_skip() else {
                return;
            };
            let t = Tree::new("denials-three");
            let path = |p: &str| t.at(p);
            // The process: in/ and outside/ (and /proc, to list threads), every thread.
            let main = Policy::builder("app::main")
                .read(t.path("in"))
                .read(t.path("outside"))
                .read("/proc")
                .process()
                .build()
                .unwrap();
            // A worker entry point: in/ only, so outside/ is its own denial.
            let worker = Policy::builder("app::worker")
                .read(t.path("in"))
                .build()
                .unwrap();
            // A block: one file of in/.
            let block = Policy::builder("app::{block}")
                .read(t.path("in/a.txt"))
                .build()
                .unwrap();
            main.enforce().unwrap();
            // The main thread: out/ is denied by the process's sandbox.
            assert_eq!(opened(&path("out"), libc::O_RDONLY), Err(EACCES));
            std::thread::scope(|s| {
                s.spawn(|| {
                    worker.enforce().unwrap();
                    // Granted by the process's sandbox, not by the worker's.
                    assert_eq!(
                        opened(&path("outside/secret.txt"), libc::O_RDONLY),
                        Err(EACCES)
                    );
                })
                .join()
                .unwrap();
            });
            block
                .run(|| assert_eq!(opened(&path("in/sub"), libc::O_RDONLY), Err(EACCES)))
                .unwrap();
            let seen = denials_of_this_process(&mut watcher, 3, Duration::from_secs(5));
            let summary: Vec<(String, Vec<Access>, Object, Vec<Allow>)> = seen
                .iter()
                .map(|d| {
                    let a = d.sandbox.as_ref().expect("attributed");
                    (
                        a.origin.function().to_owned(),
                        d.accesses.clone(),
                        d.object.clone(),
                        a.allow.clone(),
                    )
                })
                .collect();
            let read = |p: &str| Allow::Grant {
                class: Class::Read,
                path: path(p),
            };
            assert_eq!(
                summary,
                [
                    (
                        "app::main".to_owned(),
                        vec![Access::Fs("read_dir")],
                        Object::Path(path("out")),
                        vec![read("out")]
                    ),
                    (
                        "app::worker".to_owned(),
                        vec![Access::Fs("read_file")],
                        Object::Path(path("outside/secret.txt")),
                        vec![read("outside/secret.txt")]
                    ),
                    (
                        "app::{block}".to_owned(),
                        vec![Access::Fs("read_dir")],
                        Object::Path(path("in/sub")),
                        vec![read("in/sub")]
                    ),
                ]
            );
            let line = seen[1].to_string();
            assert!(
                line.starts_with("sandbox `app::worker` (tests/denials.rs:")
                    && line.contains(") denied read_file on ")
                    && line.ends_with(&format!(
                        ": allow it with read = \"{}\"",
                        path("outside/secret.txt").display()
                    )),
                "{line}"
            );
        },
    );
}

/// What a test sees of a denial: its object, what the kernel listed, which side of a move it
/// is, and what would allow it (as the denial says, and as its attribution says).
type Seen = (
    Object,
    Vec<Access>,
    Option<Reparent>,
    Vec<Allow>,
    Vec<Allow>,
);

/// A link and a rename from `in` (read) into `out` (write), refused because the file would
/// gain rights in `out`: the kernel writes a record for each directory, listing every right
/// each lacks; each side is asked only what the move needs (write on `in`; nothing on `out`,
/// whose one lacking right, execute, the file must not gain), never exec.
#[test]
fn a_denied_link_or_rename_asks_for_write_on_its_source_and_nothing_else() {
    if !full_landlock_or_skip() {
        return;
    }
    in_child(
        "a_denied_link_or_rename_asks_for_write_on_its_source_and_nothing_else",
        || {
            let Some(mut watcher) = watcher_or_skip() else {
                return;
            };
            let t = Tree::new("denials-reparent");
            let policy = t.policy();
            policy
                .run(|| {
                    // Refer alone lacking on the source: EXDEV; removing the entry too: EACCES.
                    assert_eq!(link(&t.at("in/a.txt"), &t.at("out/h")), Err(EXDEV));
                    assert_eq!(rename(&t.at("in/a.txt"), &t.at("out/m")), Err(EACCES));
                })
                .unwrap();
            let seen = denials_of_this_process(&mut watcher, 4, Duration::from_secs(5));
            let (inside, out) = (t.at("in"), t.at("out"));
            let write_in = vec![Allow::Grant {
                class: Class::Write,
                path: inside.clone(),
            }];
            let lacking_in: Vec<Access> = [
                "execute",
                "write_file",
                "remove_dir",
                "remove_file",
                "make_char",
                "make_dir",
                "make_reg",
                "make_sock",
                "make_fifo",
                "make_block",
                "make_sym",
                "refer",
                "truncate",
                "ioctl_dev",
            ]
            .into_iter()
            .map(Access::Fs)
            .collect();
            let summary: Vec<Seen> = seen
                .iter()
                .map(|d| {
                    (
                        d.object.clone(),
                        d.accesses.clone(),
                        d.reparent.clone(),
                        d.allow(),
                        d.sandbox.as_ref().expect("attributed").allow.clone(),
                    )
                })
                .collect();
            let source = (
                Object::Path(inside.clone()),
                lacking_in.clone(),
                Some(Reparent::Source {
                    destination: out.clone(),
                    destination_lacks: vec![Access::Fs("execute")],
                }),
                write_in.clone(),
                write_in.clone(),
            );
            let destination = (
                Object::Path(out.clone()),
                vec![Access::Fs("execute")],
                Some(Reparent::Destination {
                    source: inside.clone(),
                }),
                vec![],
                vec![],
            );
            assert_eq!(
                summary,
                [source.clone(), destination.clone(), source, destination],
                "{seen:#?}"
            );
            assert!(
                seen[1].to_string().ends_with(&format!(
                    "denied execute on {}, the destination of a link or rename from {} (pid {}, {}): {}",
                    out.display(),
                    inside.display(),
                    std::process::id(),
                    std::env::current_exe().unwrap().display(),
                    Reparent::DESTINATION_HAS_ENOUGH
                )),
                "{}",
                seen[1]
            );
        },
    );
}

#[test]
fn a_denial_both_layers_make_is_the_youngest_layers() {
    if !full_landlock_or_skip() {
        return;
    }
    in_child("a_denial_both_layers_make_is_the_youngest_layers", || {
        let Some(mut watcher) = watcher_or_skip() else {
            return;
        };
        let outer = Policy::builder("app::outer").read("/usr").build().unwrap();
        let inner = Policy::builder("app::inner")
            .read("/usr/share")
            .build()
            .unwrap();
        std::thread::spawn(move || {
            outer.enforce().unwrap();
            inner.enforce().unwrap();
            assert_eq!(
                std::fs::File::open(DENIED).unwrap_err().raw_os_error(),
                Some(13)
            );
        })
        .join()
        .unwrap();
        let seen = denials_of_this_process(&mut watcher, 1, Duration::from_secs(5));
        assert_eq!(
            seen[0].sandbox.as_ref().map(|a| a.origin.function()),
            Some("app::inner")
        );
    });
}

#[test]
fn network_and_signal_denials_say_what_would_allow_them() {
    if !full_landlock_or_skip() {
        return;
    }
    in_child(
        "network_and_signal_denials_say_what_would_allow_them",
        || {
            let Some(mut watcher) = watcher_or_skip() else {
                return;
            };
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let port = listener.local_addr().unwrap().port();
            let sleeper = Sleeper::start();
            let policy = Policy::builder("app::net").build().unwrap();
            policy
                .run(|| {
                    assert_eq!(
                        io(std::net::TcpStream::connect(("127.0.0.1", port))),
                        Err(EACCES)
                    );
                    assert_eq!(kill(sleeper.pid(), libc::SIGTERM), Err(EPERM));
                })
                .unwrap();
            let seen = denials_of_this_process(&mut watcher, 2, Duration::from_secs(5));
            let allow: Vec<String> = seen
                .iter()
                .map(|d| d.sandbox.as_ref().unwrap().allow[0].to_string())
                .collect();
            assert_eq!(allow, [format!("connect = {port}"), "allow_signals".into()]);
            assert_eq!(seen[0].object, Object::Port(Some(port)));
            assert_eq!(
                seen[1].object,
                Object::Process {
                    pid: sleeper.pid(),
                    comm: Some("sleep".into())
                },
                "{seen:#?}"
            );
        },
    );
}

#[test]
fn a_child_started_while_denials_are_watched_has_its_denials_after_exec_logged() {
    if !full_landlock_or_skip() {
        return;
    }
    in_child(
        "a_child_started_while_denials_are_watched_has_its_denials_after_exec_logged",
        || {
            let Some(mut watcher) = watcher_or_skip() else {
                return;
            };
            cat_denied_under("app::child");
            // The kernel does not log a domain's denials after exec unless asked: the runtime
            // asks, since denials are watched; the child's domain is marked as its policy's.
            let mut found = None;
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while found.is_none() && std::time::Instant::now() < deadline {
                // Other processes (other tests) are denied the same file: this child's is the
                // one of `cat`.
                if let Some(d) = watcher.next_timeout(Duration::from_millis(200))
                    && d.object == Object::Path(DENIED.into())
                    && d.exe.as_deref() == Some(std::path::Path::new("/usr/bin/cat"))
                {
                    found = Some(d);
                }
            }
            let denial = found.expect("the child's denial is logged");
            assert_eq!(
                denial.sandbox.map(|a| a.origin.function().to_owned()),
                Some("app::child".to_owned())
            );
            assert_eq!(
                denial.exe.as_deref(),
                Some(std::path::Path::new("/usr/bin/cat"))
            );
        },
    );
}

/// Once a sandboxed child has ended, `catch_up` reads every one of its denials, its last act
/// included, with no further wait: its denial is among those already read. The record it
/// causes to know so is never one of them.
#[test]
fn catching_up_reads_a_child_s_last_denial_and_never_its_own_record() {
    if !full_landlock_or_skip() {
        return;
    }
    in_child(
        "catching_up_reads_a_child_s_last_denial_and_never_its_own_record",
        || {
            let Some(mut watcher) = watcher_or_skip() else {
                return;
            };
            // `cat`'s last act before its message and exit is the denied open.
            cat_denied_under("app::last");
            assert!(watcher.catch_up(Duration::from_secs(5)), "caught up");
            let seen: Vec<_> =
                std::iter::from_fn(|| watcher.next_timeout(Duration::ZERO)).collect();
            let me = std::process::id() as i32;
            assert!(
                seen.iter().any(|d| d.object == Object::Path(DENIED.into())
                    && d.sandbox.as_ref().map(|a| a.origin.function()) == Some("app::last")),
                "{seen:#?}"
            );
            assert!(
                !seen.iter().any(
                    |d| matches!(d.object, Object::Process { pid, .. } if pid == me)
                        || d.accesses.contains(&Access::Signal)
                ),
                "{seen:#?}"
            );
        },
    );
}

#[test]
fn a_quiet_sandbox_is_not_logged_and_a_loud_one_is() {
    if !full_landlock_or_skip() {
        return;
    }
    in_child("a_quiet_sandbox_is_not_logged_and_a_loud_one_is", || {
        let Some(mut watcher) = watcher_or_skip() else {
            return;
        };
        let quiet = Policy::builder("app::quiet")
            .read("/usr")
            .quiet()
            .build()
            .unwrap();
        let loud = Policy::builder("app::loud").read("/usr").build().unwrap();
        quiet
            .run(|| assert_eq!(std::fs::read(DENIED).unwrap_err().raw_os_error(), Some(13)))
            .unwrap();
        loud.run(|| assert_eq!(std::fs::read(DENIED).unwrap_err().raw_os_error(), Some(13)))
            .unwrap();
        // The loud one's denial comes; the quiet one's, before it, never did.
        let seen = denials_of_this_process(&mut watcher, 2, Duration::from_secs(2));
        let from: Vec<&str> = seen
            .iter()
            .map(|d| d.sandbox.as_ref().unwrap().origin.function())
            .collect();
        assert_eq!(from, ["app::loud"]);
        assert!(quiet.to_string().contains("quiet (denials not logged)"));
    });
}

#[test]
fn explain_names_the_youngest_policy_that_denies_without_audit() {
    if !full_landlock_or_skip() {
        return;
    }
    let outer = Policy::builder("app::outer")
        .read("/usr")
        .read("/etc")
        .connect(443)
        .build()
        .unwrap();
    let inner = Policy::builder("app::inner")
        .read("/usr")
        .connect_any()
        .build()
        .unwrap();
    let seen = std::thread::spawn(move || {
        assert!(denials::explain("/etc/hostname", Class::Read).is_none());
        outer.enforce().unwrap();
        inner.enforce().unwrap();
        (
            denials::explain("/etc/hostname", Class::Read).map(|e| e.to_string()),
            denials::explain("/etc/hosts", Class::Read).map(|e| e.allow.to_string()),
            denials::explain("/usr/share", Class::Read),
            denials::explain("/usr/bin/env", Class::Exec).map(|e| e.origin.function().to_owned()),
            denials::explain_connect(80).map(|e| e.to_string()),
            denials::explain_connect(443),
            denials::explain_bind(8080).map(|e| e.origin.function().to_owned()),
        )
    })
    .join()
    .unwrap();
    let (etc, hosts, usr, exec, http, https, bind) = seen;
    // As a denial is answered: a resolver file with the preset that grants it.
    assert_eq!(hosts.as_deref(), Some("preset = \"dns\""));
    assert!(
        etc.as_deref()
            .is_some_and(|e| e.starts_with("denied by sandbox `app::inner` (")
                && e.ends_with("): allow it with read = \"/etc/hostname\"")),
        "{etc:?}"
    );
    assert_eq!(usr, None);
    assert_eq!(exec.as_deref(), Some("app::inner"));
    assert!(
        http.as_deref()
            .is_some_and(|e| e.starts_with("denied by sandbox `app::outer` (")
                && e.ends_with("allow it with connect = 80")),
        "{http:?}"
    );
    assert_eq!(https, None);
    assert_eq!(bind.as_deref(), Some("app::inner"));
}

/// Runs the `denials` scenario with `env`, as `user` (root when `None`).
fn run_scenario(env: &[(&str, &str)], user: Option<&str>) -> (String, String) {
    run_scenario_with(&["denials"], env, user)
}

/// Runs the scenario `args` with `env`, as `user` (root when `None`).
fn run_scenario_with(args: &[&str], env: &[(&str, &str)], user: Option<&str>) -> (String, String) {
    let helper = env!("CARGO_BIN_EXE_landlock-scenarios");
    let mut command = match user {
        Some(uid) => {
            let mut c = Command::new("setpriv");
            c.args([
                format!("--reuid={uid}"),
                format!("--regid={uid}"),
                "--clear-groups".into(),
            ])
            .arg(helper);
            c
        }
        None => Command::new(helper),
    };
    command.args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    );
    assert!(output.status.success(), "{out}{err}");
    (out, err)
}

#[test]
fn denials_on_standard_error_on_request_once_each() {
    if !full_landlock_or_skip() || watcher_or_skip().is_none() {
        return;
    }
    let (out, err) = run_scenario(&[("LANDLOCK_SANDBOX_DENIALS", "stderr")], None);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].starts_with(
            "landlock-sandbox: sandbox `scenarios::denials` (tests/support/scenarios.rs:"
        ) && lines[0].contains(") denied read_file on /etc/hostname (pid ")
            && lines[0].ends_with(": allow it with read = \"/etc/hostname\""),
        "{err}"
    );
    // The watcher: one thread, one socket.
    assert!(
        out.contains("threads: 2\n") && out.contains("netlink_sockets: 1\n"),
        "{out}"
    );
}

/// At exit the watcher reads until the kernel's records have caught up, by a throwaway child
/// that is denied once; when no child can start, it says that denials may be missing, after
/// printing the one that came.
#[test]
fn at_exit_the_variable_says_when_the_records_did_not_catch_up() {
    if !full_landlock_or_skip() || watcher_or_skip().is_none() {
        return;
    }
    let (_, err) = run_scenario_with(
        &["denials-then-no-child"],
        &[("LANDLOCK_SANDBOX_DENIALS", "stderr")],
        None,
    );
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].contains("denied read_file on /etc/hostname"),
        "{err}"
    );
    assert_eq!(
        lines[1],
        "landlock-sandbox: LANDLOCK_SANDBOX_DENIALS/LANDLOCK_SANDBOX_LEARN: the kernel's audit \
         records did not catch up before exit; denials of the last moments may be missing"
    );
}

#[test]
fn without_the_variables_nothing_runs() {
    if !landlock_or_skip() {
        return;
    }
    let (out, err) = run_scenario(&[], None);
    // Nothing but the status line, which an older kernel's partial enforcement prints.
    let abi = kernel_abi();
    let said: Vec<&str> = err
        .lines()
        .map(|l| l.split_once(") is ").map_or(l, |(_, status)| status))
        .collect();
    let expected = if abi >= 6 {
        vec![]
    } else {
        vec![status_at(abi)]
    };
    assert_eq!(said, expected, "{err}");
    assert!(
        out.contains("threads: 1\n") && out.contains("netlink_sockets: 0\n"),
        "{out}"
    );
}

#[test]
fn without_the_capability_the_variable_says_what_is_missing() {
    if !landlock_or_skip() || !root_or_skip("running as another user") {
        return;
    }
    // As nobody: no CAP_AUDIT_READ. The program runs all the same.
    let (out, err) = run_scenario(&[("LANDLOCK_SANDBOX_DENIALS", "stderr")], Some("65534"));
    // Before ABI 7 what is missing first is the kernel's reporting, whoever asks.
    let abi = kernel_abi();
    let missing = if abi >= 7 {
        "this process lacks CAP_AUDIT_READ; run it as root or give it the capability".to_owned()
    } else {
        format!("this kernel has Landlock ABI {abi}, and denials are reported from ABI 7")
    };
    assert!(err.contains(&missing), "{err}");
    assert!(out.contains("threads: 1\n"), "{out}");
    let err = denials::watch().err().map(|e| e.to_string());
    let _ = err;
}

#[test]
fn a_learning_file_becomes_the_changes_to_review() {
    if !full_landlock_or_skip() || watcher_or_skip().is_none() {
        return;
    }
    let file = std::env::temp_dir().join(format!("landlock-learn-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&file);
    run_scenario(&[("LANDLOCK_SANDBOX_LEARN", file.to_str().unwrap())], None);
    let changes = suggested(&file);
    assert_eq!(
        changes,
        ["widening   scenarios::denials: grants read on `/etc/hostname`"]
    );
}

/// Resolving a name without `preset = "dns"`: each resolver file denied is answered with the
/// preset, on standard error and in the learning file, not with a `read` grant per file.
#[test]
fn a_denied_resolver_file_is_answered_with_the_dns_preset() {
    if !full_landlock_or_skip() || watcher_or_skip().is_none() {
        return;
    }
    let file =
        std::env::temp_dir().join(format!("landlock-learn-dns-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let (out, err) = run_scenario_with(
        &["resolve"],
        &[
            ("LANDLOCK_SANDBOX_DENIALS", "stderr"),
            ("LANDLOCK_SANDBOX_LEARN", file.to_str().unwrap()),
        ],
        None,
    );
    assert!(out.starts_with("not resolved: "), "{out}");
    let lines: Vec<&str> = err.lines().collect();
    let hosts = lines
        .iter()
        .find(|l| l.contains(") denied read_file on /etc/hosts (pid "))
        .unwrap_or_else(|| panic!("/etc/hosts is read to resolve localhost: {err}"));
    assert!(hosts.ends_with(": allow it with preset = \"dns\""), "{err}");
    for line in &lines {
        assert!(
            line.starts_with(
                "landlock-sandbox: sandbox `scenarios::resolve` (tests/support/scenarios.rs:"
            ) && line.ends_with(": allow it with preset = \"dns\""),
            "every denial is a resolver file's: {err}"
        );
    }
    let changes = suggested(&file);
    assert_eq!(
        changes,
        ["widening   scenarios::resolve: adds preset `dns`"]
    );
}

/// The same link, seen through the environment variables: `LANDLOCK_SANDBOX_DENIALS` prints
/// write on the source and nothing more for the destination, and the learning file suggests
/// exactly that one widening (what `sandbox_run --suggest` prints).
#[test]
fn a_denied_link_reads_the_same_through_the_variables_and_the_learning_file() {
    if !full_landlock_or_skip() || watcher_or_skip().is_none() {
        return;
    }
    let t = Tree::new("denials-link-variables");
    let file = t.at("learned.jsonl");
    let output = Command::new(env!("CARGO_BIN_EXE_landlock-scenarios"))
        .args(["link-denial", &t.path("")])
        .env("LANDLOCK_SANDBOX_DENIALS", "stderr")
        .env("LANDLOCK_SANDBOX_LEARN", &file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{err}");
    let (inside, out) = (t.path("in"), t.path("out"));
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].contains(&format!(
            "denied execute,write_file,remove_dir,remove_file,make_char,make_dir,make_reg,make_sock,make_fifo,make_block,make_sym,refer,truncate,ioctl_dev on {inside}, the source of a link or rename into {out} (pid "
        )) && lines[0].ends_with(&format!(": allow it with write = \"{inside}\"")),
        "{err}"
    );
    assert!(
        lines[1].contains(&format!(
            "denied execute on {out}, the destination of a link or rename from {inside} (pid "
        )) && lines[1].ends_with(&format!(": {}", Reparent::DESTINATION_HAS_ENOUGH)),
        "{err}"
    );
    let changes: Vec<String> = denials::suggestions(&file)
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        changes,
        [format!(
            "widening   scenarios::link: grants write on `{inside}`"
        )]
    );
}

#[test]
fn the_variables_print_and_record_no_denial_another_process_causes() {
    if !full_landlock_or_skip()
        || watcher_or_skip().is_none()
        || !root_or_skip("running a forger as another user")
    {
        return;
    }
    // As another user, and not a child of the program it forges for.
    let forger = forger::Forger::start("variables", Some(65534));
    let file = std::env::temp_dir().join(format!("landlock-forged-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let (out, err) = run_scenario_with(
        &["forged-denials", forger.dir.to_str().unwrap()],
        &[
            ("LANDLOCK_SANDBOX_DENIALS", "stderr"),
            ("LANDLOCK_SANDBOX_LEARN", file.to_str().unwrap()),
        ],
        None,
    );
    assert!(out.contains("forged: 40\n"), "{out}");
    // Only the program's own denial, which came after the forger's.
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].starts_with("landlock-sandbox: sandbox `scenarios::forged` (")
            && lines[0].contains(") denied read_file on /etc/hostname (pid ")
            && lines[0].ends_with(": allow it with read = \"/etc/hostname\""),
        "{err}"
    );
    let changes = suggested(&file);
    assert_eq!(
        changes,
        ["widening   scenarios::forged: grants read on `/etc/hostname`"]
    );
    let said = forger.stop();
    assert!(said.ends_with(": 40 of 40 denied\n"), "{said}");
}

/// What `denials::suggestions` makes of the learning file `file`, as text; the file is removed.
fn suggested(file: &std::path::Path) -> Vec<String> {
    let changes = denials::suggestions(file)
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    std::fs::remove_file(file).unwrap();
    changes
}

/// Runs `cat` on the denied file as a child confined by a policy named `name` (`cat` and its
/// loader only), and checks that it was denied.
fn cat_denied_under(name: &str) {
    let child: &'static Policy = Box::leak(Box::new(
        Policy::builder(name)
            .exec("/usr/bin/cat")
            .preset(Preset::DynamicLoader)
            .build()
            .unwrap(),
    ));
    let status = Command::new("/usr/bin/cat")
        .arg(DENIED)
        .sandbox(child)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1), "cat was denied");
}
