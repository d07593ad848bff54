//! No sandbox may report more than the kernel enforces: the situations, unusual but real, in
//! which a sandbox could say it is in force while code runs with more access than its policy,
//! each with the exact outcome the kernel gives.
//!
//! Scenarios that restrict every thread, change the environment, or fork run in a child process
//! of their own (`support::in_child`); those that need a `main` thread of their own, a main
//! thread that exits first, or a PID namespace run the `landlock-scenarios` helper.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use landlock_runtime::{ErrorKind, Level, Policy, Uncovered, block};

mod support;
use support::hold::{hold_on_this_thread, next_held, release, try_next_held};
use support::*;

/// A file no policy here grants.
const DENIED: &str = "/etc/hostname";

fn open_errno(path: &str) -> Option<i32> {
    std::fs::File::open(path)
        .err()
        .map(|e| e.raw_os_error().unwrap_or(-1))
}

/// Runs the scenario helper with `args`, prefixed by `wrapper` (such as `unshare --pid`).
fn scenario(wrapper: &[&str], args: &[&str]) -> String {
    let helper = env!("CARGO_BIN_EXE_landlock-scenarios");
    let output: Output = match wrapper.split_first() {
        Some((program, rest)) => Command::new(program)
            .args(rest)
            .arg(helper)
            .args(args)
            .output(),
        None => Command::new(helper).args(args).output(),
    }
    .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "{wrapper:?} {args:?} failed:\n{text}"
    );
    text
}

/// The value printed after `key: ` by the scenario helper.
fn value<'a>(output: &'a str, key: &str) -> &'a str {
    output
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(": "))
        .unwrap_or_else(|| panic!("no `{key}:` in:\n{output}"))
}

/// Whether the kernel is older than ABI 6, where `strict` refuses every policy for what the
/// kernel lacks, before any thread is asked: then asserts that the scenario's output says so
/// and that nothing was restricted.
fn refused_below_abi_6(out: &str) -> bool {
    let abi = kernel_abi();
    if abi >= 6 {
        return false;
    }
    assert!(
        value(out, "error").contains(&format!(
            "strict policy, but the kernel cannot enforce all of it: {}",
            status_at(abi)
        )),
        "{out}"
    );
    assert_eq!(value(out, "main"), "0", "{out}");
    true
}

// --- 1. /proc from another PID namespace ------------------------------------------------------

#[test]
fn threads_listed_by_a_proc_of_an_ancestor_pid_namespace_are_reached() {
    if !landlock_or_skip() || !root_or_skip("PID namespaces") {
        return;
    }
    // `unshare --pid --fork` without a /proc of its own: /proc lists the process's threads
    // under their ids in the parent namespace, which `tgkill` does not know.
    for mode in ["best-effort", "strict"] {
        let out = scenario(&["unshare", "--pid", "--fork"], &["threads", mode]);
        if mode == "strict" && refused_below_abi_6(&out) {
            continue;
        }
        let status = value(&out, "status");
        assert!(
            status.starts_with(&status_at(kernel_abi()))
                && status.contains("; 3 other threads restricted"),
            "{mode}: {out}"
        );
        assert_eq!(value(&out, "main"), "13", "{mode}: {out}");
        assert_eq!(value(&out, "threads"), "[13, 13, 13]", "{mode}: {out}");
    }
}

#[test]
fn a_thread_list_that_does_not_describe_the_process_is_refused_or_reported() {
    if !landlock_or_skip() || !root_or_skip("a mount namespace") {
        return;
    }
    // A /proc whose task list names none of this process's threads (here a tmpfs in a mount
    // namespace of its own): the other threads cannot be reached.
    let out = scenario(&[], &["fake-proc", "best-effort"]);
    let status = value(&out, "status");
    assert!(
        status.starts_with("partly enforced (Landlock ABI")
            && status.contains("3 not:")
            && status.contains("(it could not be reached:"),
        "{out}"
    );
    assert!(
        out.contains("could not restrict 3 of the threads of this process"),
        "said on standard error: {out}"
    );
    // The caller is restricted; the others keep their access, as reported.
    assert_eq!(value(&out, "main"), "13", "{out}");
    assert_eq!(value(&out, "threads"), "[0, 0, 0]", "{out}");

    // Strict refuses before restricting anything.
    let out = scenario(&[], &["fake-proc", "strict"]);
    assert!(
        refused_below_abi_6(&out)
            || value(&out, "error").contains(
            "strict policy on every thread, but 3 threads of the process could not be restricted"
        ),
        "{out}"
    );
    assert_eq!(value(&out, "main"), "0", "{out}");
    assert_eq!(value(&out, "threads"), "[0, 0, 0]", "{out}");
}

// --- 2. A late signal handler -----------------------------------------------------------------

/// A thread that waits for paths to open and reports the errno of each (0: it could).
fn prober(before: impl FnOnce() + Send + 'static) -> (mpsc::Sender<String>, mpsc::Receiver<i32>) {
    let (path_tx, path_rx) = mpsc::channel::<String>();
    let (seen_tx, seen_rx) = mpsc::channel();
    let (ready_tx, ready_rx) = mpsc::channel();
    thread::spawn(move || {
        before();
        ready_tx.send(()).unwrap();
        for path in path_rx {
            seen_tx.send(open_errno(&path).unwrap_or(0)).unwrap();
        }
    });
    ready_rx.recv().unwrap();
    (path_tx, seen_rx)
}

fn probe(thread: &(mpsc::Sender<String>, mpsc::Receiver<i32>), path: &str) -> i32 {
    thread.0.send(path.to_owned()).unwrap();
    thread.1.recv_timeout(Duration::from_secs(10)).unwrap()
}

/// Moves the kernel's thread id counter past `pid_max` when it is within a few thousand ids of
/// it, by starting threads that end at once, so that a scenario that counts on ids not wrapping
/// around does not meet the wrap. Other processes take ids too, so the margin is wide.
fn away_from_the_thread_id_wrap() {
    let read = |file: &str| -> u64 {
        std::fs::read_to_string(file)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let pid_max = read("/proc/sys/kernel/pid_max");
    let start = read("/proc/sys/kernel/ns_last_pid");
    if pid_max.saturating_sub(start) > 4096 {
        return;
    }
    while read("/proc/sys/kernel/ns_last_pid") >= start {
        thread::spawn(|| {}).join().unwrap();
    }
}

#[test]
fn a_late_handler_neither_answers_for_another_thread_nor_applies_a_reused_descriptor() {
    if !full_landlock_or_skip() {
        return;
    }
    in_child(
        "a_late_handler_neither_answers_for_another_thread_nor_applies_a_reused_descriptor",
        || {
            // The supervisor below expects exactly the calls of one pass of each job. When
            // the kernel's thread id counter wraps around `pid_max` during a job, the job
            // checks every known thread again (see `all_threads`), which can signal T once
            // more: a call the supervisor would never release. Start well away from the wrap.
            away_from_the_thread_id_wrap();
            let t = Tree::new("late-handler");
            for dir in ["a", "b", "c"] {
                std::fs::create_dir(t.at(dir)).unwrap();
                std::fs::write(t.at(&format!("{dir}/f")), dir).unwrap();
            }
            let (a, b, c) = (t.path("a/f"), t.path("b/f"), t.path("c/f"));
            // Threads in order of creation (and of thread id): two that will exit, then T,
            // which a seccomp supervisor will hold inside `landlock_restrict_self`.
            let quitters: Vec<_> = (0..2).map(|_| prober(|| {})).collect();
            let (listener_tx, listener_rx) = mpsc::channel();
            let t_thread = prober(move || {
                listener_tx
                    .send(hold_on_this_thread(libc::SYS_landlock_restrict_self))
                    .unwrap();
            });
            let t_listener = listener_rx.recv().unwrap();
            // The supervisor: holds T's call in the first job. When the second job is under way
            // (V, held too, is in its handler), it lets T's first call proceed, waits until T is
            // in its next handler (so the late handler has finished), then lets everyone go.
            let (v_listener_tx, v_listener_rx) = mpsc::channel::<std::os::fd::OwnedFd>();
            let (held_tx, held_rx) = mpsc::channel();
            let supervisor = thread::spawn(move || {
                let first = next_held(&t_listener, Duration::from_secs(10));
                held_tx.send(()).unwrap();
                let v_listener = v_listener_rx.recv().unwrap();
                let v_call = next_held(&v_listener, Duration::from_secs(10));
                release(&t_listener, &first);
                let second = next_held(&t_listener, Duration::from_secs(10));
                release(&t_listener, &second);
                release(&v_listener, &v_call);
            });

            // The first job: T is held past its deadline, and reported so.
            let first = Policy::builder("first")
                .read("/proc")
                .read(t.path("a"))
                .read(t.path("c"))
                .process()
                .build()
                .unwrap();
            let status = first.enforce_all_threads().unwrap();
            held_rx.recv().unwrap();
            let threads = status.threads.as_ref().unwrap();
            assert_eq!(threads.uncovered.len(), 1, "{status}");
            assert_eq!(threads.uncovered[0].reason, Uncovered::NoAnswer, "{status}");
            // The first two threads exit; the first policy is dropped (its ruleset closed, so
            // that the second's takes the same descriptor number).
            drop(quitters);
            thread::sleep(Duration::from_millis(50));
            drop(first);
            // U blocks the signal: it cannot be restricted. V is held in the second job.
            let u_thread = prober(|| {
                // SAFETY: blocks every signal on this thread only.
                unsafe {
                    let mut all: libc::sigset_t = std::mem::zeroed();
                    libc::sigfillset(&mut all);
                    libc::pthread_sigmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
                }
            });
            let _v_thread = prober(move || {
                v_listener_tx
                    .send(hold_on_this_thread(libc::SYS_landlock_restrict_self))
                    .unwrap();
            });
            let second = Policy::builder("second")
                .read("/proc")
                .read(t.path("a"))
                .read(t.path("b"))
                .process()
                .build()
                .unwrap();
            let status = second.enforce_all_threads().unwrap();
            supervisor.join().unwrap();
            // U is reported, whatever T's late handler did meanwhile.
            let threads = status.threads.as_ref().unwrap();
            assert_eq!(status.level, Level::Partial, "{status}");
            assert_eq!(threads.uncovered.len(), 1, "{status}");
            assert_eq!(
                threads.uncovered[0].reason,
                Uncovered::BlocksSignal,
                "{status}"
            );
            // And U indeed keeps what the second policy would deny (it has the first's
            // restriction only, inherited from the test thread that started it).
            assert_eq!(probe(&u_thread, &c), 0);
            // T's late handler applied the first job's ruleset, not whatever file (here, the
            // second ruleset) took its old descriptor number: T has both policies, so b/ is
            // denied to it.
            assert_eq!(probe(&t_thread, &a), 0);
            assert_eq!(probe(&t_thread, &b), libc::EACCES);
            assert_eq!(probe(&t_thread, &c), libc::EACCES);
        },
    );
}

// --- 4. Variables obey the rules of written paths ---------------------------------------------

#[test]
fn a_variable_cannot_resolve_to_what_a_written_path_could_not_be() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "a_variable_cannot_resolve_to_what_a_written_path_could_not_be",
        || {
            let prepare = |policy: Policy| policy.prepare().map(drop).map_err(|e| e.to_string());
            let set = |name: &str, value: &str| {
                // SAFETY: this child process runs this scenario alone, on one thread.
                unsafe { std::env::set_var(name, value) }
            };
            // `write = "$TMP"` with TMPDIR=/ would be write on the whole filesystem.
            set("TMPDIR", "/");
            let err = prepare(Policy::builder("t").write("$TMP").build().unwrap()).unwrap_err();
            assert!(
                err.contains("variable $TMP is `/` (in `$TMP`)")
                    && err.contains("grants write on the whole filesystem")
                    && err.contains("acknowledge a broad grant with `broad`"),
                "{err}"
            );
            // TMPDIR=. would grant the current directory.
            set("TMPDIR", ".");
            let err = prepare(Policy::builder("t").write("$TMP").build().unwrap()).unwrap_err();
            assert!(
                err.contains("variable $TMP is `.` (in `$TMP`): not an absolute path"),
                "{err}"
            );
            // `..` in a value.
            set("HOME", "/home/../etc");
            let err =
                prepare(Policy::builder("t").read("$HOME/.config?").build().unwrap()).unwrap_err();
            assert!(err.contains("a `..` component"), "{err}");
            // A named variable that makes `write` broad.
            set("LANDLOCK_TEST_DATA", "/usr");
            let err = prepare(
                Policy::builder("t")
                    .write("${LANDLOCK_TEST_DATA}")
                    .build()
                    .unwrap(),
            )
            .unwrap_err();
            assert!(
                err.contains("variable ${LANDLOCK_TEST_DATA} is `/usr`")
                    && err.contains("lets the code rewrite all of `/usr`"),
                "{err}"
            );
            // Read on /usr is not broad; and a policy that acknowledges a broad grant may.
            prepare(
                Policy::builder("t")
                    .read("${LANDLOCK_TEST_DATA}")
                    .build()
                    .unwrap(),
            )
            .unwrap();
            prepare(
                Policy::builder("t")
                    .write("${LANDLOCK_TEST_DATA}")
                    .read("/")
                    .broad()
                    .build()
                    .unwrap(),
            )
            .unwrap();
        },
    );
}

// --- 4b. Paths that lead somewhere broad ------------------------------------------------------

#[test]
fn a_path_that_leads_to_a_broad_place_is_as_broad_as_that_place() {
    let t = Tree::new("leads-broad");
    let link = t.at("root-link");
    std::os::unix::fs::symlink("/", &link).unwrap();
    let build_error = |builder: landlock_runtime::PolicyBuilder| {
        builder.build().map(drop).map_err(|e| e.to_string())
    };
    // A literal path through `..` to a system tree is refused when the policy is built.
    let err = build_error(Policy::builder("t").write_path("/usr/../etc")).unwrap_err();
    assert!(
        err.contains("lets the code rewrite all of `/etc`")
            && err.contains("(`/usr/../etc` leads there)"),
        "{err}"
    );
    build_error(Policy::builder("t").read_path("/usr/../etc")).unwrap();
    if !landlock_or_skip() {
        return;
    }
    // One through a symbolic link to `/`, when it is prepared: the rule would land on `/`.
    let literal = Policy::builder("t").read_path(&link).build().unwrap();
    let err = literal.prepare().unwrap_err().to_string();
    assert!(
        err.contains(&format!(
            "`{}` leads to `/` through a symbolic link",
            link.display()
        )) && err.contains("grants read on the whole filesystem"),
        "{err}"
    );
    // A template through the same link, likewise.
    let template = t.path("root-link");
    let policy = Policy::builder("t")
        .read(template.as_str())
        .build()
        .unwrap();
    let err = policy.prepare().unwrap_err().to_string();
    assert!(
        err.contains(&format!(
            "`{template}` leads to `/` through a symbolic link"
        )) && err.contains("grants read on the whole filesystem")
            && err.contains("grant `/` itself"),
        "{err}"
    );
    let acknowledged = Policy::builder("t")
        .read(template.as_str())
        .read("/")
        .broad()
        .build()
        .unwrap();
    acknowledged.prepare().unwrap();
}

// --- 4c. A path is one path however it is spelled -------------------------------------------

/// The message of the error the builder refuses `builder` with.
fn refused(builder: landlock_runtime::PolicyBuilder) -> String {
    builder.build().map(drop).unwrap_err().to_string()
}

#[test]
fn a_broad_path_is_as_broad_however_it_is_spelled() {
    let rewrites_etc = "`write = \"/etc\"` lets the code rewrite all of `/etc`; narrow it, or acknowledge it with `.broad()`";
    for spelling in ["//etc", "//etc/", "/etc//", "///etc", "/etc/."] {
        // `/etc/.` is not a template (a `.` component), only a literal path.
        if spelling != "/etc/." {
            let err = refused(Policy::builder("t").write(spelling));
            assert!(err.contains(rewrites_etc), "{spelling}: {err}");
        }
        let err = refused(Policy::builder("t").write_path(spelling));
        assert!(err.contains(rewrites_etc), "{spelling}: {err}");
    }
    // `//` is `/`, for every class and both kinds of path.
    let whole = |class: &str| format!("`{class} = \"/\"` grants {class} on the whole filesystem");
    for (builder, class) in [
        (Policy::builder("t").read("//"), "read"),
        (Policy::builder("t").exec("///"), "exec"),
        (Policy::builder("t").read_path("//"), "read"),
        (Policy::builder("t").exec_path("//."), "exec"),
    ] {
        let err = refused(builder);
        assert!(err.contains(&whole(class)), "{err}");
    }
    // Acknowledged, it is granted in its one spelling, which review and the lock file see.
    let policy = Policy::builder("t")
        .write("//etc/")
        .write_path("//usr//")
        .broad()
        .build()
        .unwrap();
    let shown: Vec<String> = policy.grants().iter().map(|g| g.to_string()).collect();
    assert_eq!(shown, ["/etc", "/usr"]);
}

/// A file that must never be created in `/etc`, for the tests that try.
fn etc_canary(test: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("/etc/landlock-{test}-{}", std::process::id()))
}

#[test]
fn an_argument_that_spells_a_broad_path_otherwise_is_refused_at_the_call() {
    #[landlock_runtime::sandbox(write = dir)]
    fn write_in(dir: &std::path::Path, name: &str) {
        std::fs::write(dir.join(name), "written").unwrap();
    }
    let canary = etc_canary("argument");
    let name = canary.file_name().unwrap().to_str().unwrap().to_owned();
    for spelling in ["//etc", "/etc/.", "//etc//"] {
        let name = name.clone();
        let panic = thread::spawn(move || write_in(std::path::Path::new(spelling), &name))
            .join()
            .unwrap_err();
        let msg = panic.downcast_ref::<String>().unwrap();
        assert!(
            msg.contains(&format!("argument `dir` holds `{spelling}`: `write = \"/etc\"` lets the code rewrite all of `/etc`; narrow it, or acknowledge a broad grant with `broad`")),
            "{msg}"
        );
        assert!(
            !canary.exists(),
            "the body ran and wrote {}",
            canary.display()
        );
    }
}

#[test]
fn a_variable_that_spells_a_broad_path_otherwise_is_refused() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "a_variable_that_spells_a_broad_path_otherwise_is_refused",
        || {
            let prepare = |policy: Policy| policy.prepare().map(drop).map_err(|e| e.to_string());
            for value in ["//etc", "//etc/", "/etc//"] {
                // SAFETY: this child process runs this scenario alone, on one thread.
                unsafe { std::env::set_var("LANDLOCK_TEST_SPELLED", value) };
                let policy = Policy::builder("t")
                    .write("${LANDLOCK_TEST_SPELLED}")
                    .build()
                    .unwrap();
                let err = prepare(policy).unwrap_err();
                assert!(
                    err.contains(&format!("variable ${{LANDLOCK_TEST_SPELLED}} is `{value}` (in `${{LANDLOCK_TEST_SPELLED}}`): `write = \"/etc\"` lets the code rewrite all of `/etc`; narrow it, or acknowledge a broad grant with `broad`")),
                    "{value}: {err}"
                );
            }
            // SAFETY: as above.
            unsafe { std::env::set_var("TMPDIR", "//") };
            let err = prepare(Policy::builder("t").read("$TMP").build().unwrap()).unwrap_err();
            assert!(
                err.contains("variable $TMP is `//` (in `$TMP`): `read = \"/\"` grants read on the whole filesystem"),
                "{err}"
            );
        },
    );
}

// --- 4d. The home directory is broad however it is named -------------------------------------

/// A directory the test `#[sandbox]` below names literally, made the home directory.
const LITERAL_HOME: &str = "/tmp/landlock-test-literal-home";

#[landlock_runtime::sandbox(write = "/tmp/landlock-test-literal-home")]
fn write_in_literal_home() {
    std::fs::write(format!("{LITERAL_HOME}/written"), "x").unwrap();
}

#[test]
fn a_path_that_is_the_home_directory_is_as_broad_as_home() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "a_path_that_is_the_home_directory_is_as_broad_as_home",
        || {
            let t = Tree::new("home-rule");
            let home = t.path("home");
            std::fs::create_dir_all(&home).unwrap();
            // SAFETY: this child process runs this scenario alone, on one thread.
            unsafe { std::env::set_var("HOME", &home) };
            let whole_home = format!(
                "lets the code rewrite all of the home directory (`$HOME` is `{home}`); narrow it, or acknowledge it with `.broad()`"
            );
            // The builder's template and literal, in any spelling.
            for spelling in [home.clone(), format!("/{home}/"), format!("{home}/.")] {
                if !spelling.ends_with('.') {
                    let err = refused(Policy::builder("t").write(spelling.as_str()));
                    assert!(err.contains(&whole_home), "{spelling}: {err}");
                }
                let err = refused(Policy::builder("t").write_path(&spelling));
                assert!(err.contains(&whole_home), "{spelling}: {err}");
            }
            // What is beneath it, and reading it, are not broad; acknowledged, it is granted.
            Policy::builder("t")
                .write(format!("{home}/app"))
                .build()
                .unwrap();
            Policy::builder("t").read(home.as_str()).build().unwrap();
            let acknowledged = Policy::builder("t")
                .write(home.as_str())
                .broad()
                .build()
                .unwrap();
            acknowledged.prepare().unwrap();
            // Root's home is broad whatever `HOME` says.
            let err = refused(Policy::builder("t").write("/root"));
            assert!(
                err.contains("`write = \"/root\"` lets the code rewrite all of `/root`; narrow it, or acknowledge it with `.broad()`"),
                "{err}"
            );

            // A `#[sandbox]` path is known when it is compiled, the home only when it runs:
            // the function is refused at its entry, and its body does not run.
            std::fs::create_dir_all(LITERAL_HOME).unwrap();
            let written = std::path::Path::new(LITERAL_HOME).join("written");
            let _ = std::fs::remove_file(&written);
            // SAFETY: as above.
            unsafe { std::env::set_var("HOME", format!("{LITERAL_HOME}/")) };
            let panic = thread::spawn(write_in_literal_home).join().unwrap_err();
            let msg = panic.downcast_ref::<String>().unwrap();
            assert!(
                msg.contains(&format!("`write = \"{LITERAL_HOME}\"` lets the code rewrite all of the home directory (`$HOME` is `{LITERAL_HOME}`); narrow it, or write `$HOME` and acknowledge a broad grant with `broad`")),
                "{msg}"
            );
            assert!(!written.exists(), "the body ran");
            // Another home: the same function runs, and writes.
            // SAFETY: as above.
            unsafe { std::env::set_var("HOME", &home) };
            thread::spawn(write_in_literal_home).join().unwrap();
            assert!(written.exists());
            std::fs::remove_file(&written).unwrap();
            std::fs::remove_dir(LITERAL_HOME).unwrap();
        },
    );
}

/// A test's tree is removed without going through what is mounted beneath it: a test that binds
/// a system directory there and fails before unmounting it must not remove the system's files
/// with its tree. Shown with a directory of the test's own, bound writable.
#[test]
fn a_tree_is_removed_without_going_through_a_mount_beneath_it() {
    if !root_or_skip("bind-mounting") {
        return;
    }
    in_child(
        "a_tree_is_removed_without_going_through_a_mount_beneath_it",
        || {
            let kept = Tree::new("bound-source");
            let t = Tree::new("bound-beneath");
            support::mounts::own_mount_namespace();
            std::fs::create_dir_all(t.at("in/bound")).unwrap();
            support::mounts::bind(&kept.at("in"), &t.at("in/bound"));
            assert!(t.at("in/bound/a.txt").exists());
            let root = t.root.clone();
            drop(t);
            assert!(!root.exists(), "the tree is removed");
            assert_eq!(
                std::fs::read_to_string(kept.at("in/a.txt")).unwrap(),
                "granted",
                "what was bound beneath it is not"
            );
        },
    );
}

/// A second name of a broad place, that no link on the granted path gives away: the home
/// reached through the link `HOME` is, and a system tree bind-mounted elsewhere. The rule lands
/// on the place's inode, so the place's rule applies, told by the inode (device and number).
#[test]
fn a_second_name_of_a_broad_place_is_as_broad_as_it() {
    if !landlock_or_skip() {
        return;
    }
    in_child("a_second_name_of_a_broad_place_is_as_broad_as_it", || {
        let t = Tree::new("second-name");
        let home = t.path("home");
        std::fs::create_dir_all(&home).unwrap();
        std::os::unix::fs::symlink(&home, t.at("home-link")).unwrap();
        // SAFETY: this child process runs this scenario alone, on one thread.
        unsafe { std::env::set_var("HOME", t.path("home-link")) };
        let prepare = |policy: Policy| policy.prepare().map(drop).map_err(|e| e.to_string());
        let err = prepare(Policy::builder("t").write_path(&home).build().unwrap()).unwrap_err();
        assert!(
            err.contains(&format!(
                "`{home}` is `{}` by another name",
                t.path("home-link")
            )) && err.contains("lets the code rewrite all of the home directory"),
            "{err}"
        );
        // Beneath it, or read, it is not broad; acknowledged, it is granted.
        std::fs::create_dir_all(t.at("home/app")).unwrap();
        prepare(
            Policy::builder("t")
                .write_path(t.at("home/app"))
                .build()
                .unwrap(),
        )
        .unwrap();
        prepare(Policy::builder("t").read_path(&home).build().unwrap()).unwrap();
        prepare(
            Policy::builder("t")
                .write_path(&home)
                .write("$HOME")
                .broad()
                .build()
                .unwrap(),
        )
        .unwrap();
        if !root_or_skip("bind-mounting /etc") {
            return;
        }
        // In a mount namespace of this process's own, /etc bound beneath the tree, read-only
        // (and detached before the tree is removed, see `Tree`).
        support::mounts::own_mount_namespace();
        std::fs::create_dir_all(t.at("etc")).unwrap();
        support::mounts::bind_read_only(Path::new("/etc"), &t.at("etc"));
        let err = prepare(
            Policy::builder("t")
                .write_path(t.at("etc"))
                .build()
                .unwrap(),
        )
        .unwrap_err();
        assert!(
            err.contains(&format!("`{}` is `/etc` by another name", t.path("etc")))
                && err.contains("lets the code rewrite all of `/etc`"),
            "{err}"
        );
        // Read beside it in one policy, the write is still held to the trees (they are read
        // for the first write grant, `/` alone for the other classes).
        let err = prepare(
            Policy::builder("t")
                .read_path(t.at("home"))
                .write_path(t.at("etc"))
                .build()
                .unwrap(),
        )
        .unwrap_err();
        assert!(
            err.contains(&format!("`{}` is `/etc` by another name", t.path("etc"))),
            "{err}"
        );
        // `/` bound beneath the tree: as broad as `/` for every class, read included.
        std::fs::create_dir_all(t.at("root")).unwrap();
        support::mounts::bind_read_only(Path::new("/"), &t.at("root"));
        for policy in [
            Policy::builder("t").read_path(t.at("root")).build(),
            Policy::builder("t").exec_path(t.at("root")).build(),
            Policy::builder("t").write_path(t.at("root")).build(),
        ] {
            let err = prepare(policy.unwrap()).unwrap_err();
            assert!(
                err.contains(&format!("`{}` is `/` by another name", t.path("root"))),
                "{err}"
            );
        }
    });
}

// --- 5. exec::dependencies runs only known loaders --------------------------------------------

/// A little-endian ELF64 file whose only program header is a `PT_INTERP` naming `loader`.
fn elf_naming(loader: &str) -> Vec<u8> {
    let mut elf = vec![0u8; 64 + 56];
    elf[..4].copy_from_slice(b"\x7fELF");
    elf[4] = 2; // 64-bit
    elf[5] = 1; // little-endian
    elf[6] = 1; // EV_CURRENT
    elf[0x20..0x28].copy_from_slice(&64u64.to_le_bytes()); // program headers at 64
    elf[0x36..0x38].copy_from_slice(&56u16.to_le_bytes()); // of 56 bytes
    elf[0x38..0x3a].copy_from_slice(&1u16.to_le_bytes()); // one
    elf[64..68].copy_from_slice(&3u32.to_le_bytes()); // PT_INTERP
    let path = format!("{loader}\0");
    elf[64 + 8..64 + 16].copy_from_slice(&120u64.to_le_bytes()); // at 120
    elf[64 + 32..64 + 40].copy_from_slice(&(path.len() as u64).to_le_bytes());
    elf.extend_from_slice(path.as_bytes());
    elf
}

#[test]
fn listing_the_dependencies_of_a_crafted_file_runs_nothing_it_names() {
    use std::os::unix::fs::PermissionsExt;
    let t = Tree::new("crafted-loader");
    // The "loader" the file names: a script that leaves a mark if it is ever run.
    let script = t.at("loader.sh");
    let mark = t.at("ran");
    std::fs::write(&script, format!("#!/bin/sh\ntouch '{}'\n", mark.display())).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let crafted = t.at("crafted");
    std::fs::write(&crafted, elf_naming(&t.path("loader.sh"))).unwrap();
    let err = landlock_runtime::exec::dependencies(&crafted).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(
        err.to_string()
            .contains("which is not one of this system's known loaders"),
        "{err}"
    );
    assert!(!mark.exists(), "the script the file names was run");
    // A real program still gets its answer.
    let deps = landlock_runtime::exec::dependencies("/usr/bin/env").unwrap();
    assert!(deps.loader.is_some());
}

// --- 6. Policy::run never restricts its caller ------------------------------------------------

#[test]
fn running_a_process_policy_as_a_block_is_refused_and_the_caller_stays_free() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "running_a_process_policy_as_a_block_is_refused_and_the_caller_stays_free",
        || {
            let policy = Policy::builder("t").read("/usr").process().build().unwrap();
            let err = policy.run(|| unreachable!("must not run")).unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::InvalidPolicy { .. }),
                "{err}"
            );
            assert!(
                err.to_string()
                    .contains("`process` does not apply to a scoped block"),
                "{err}"
            );
            assert_eq!(open_errno(DENIED), None, "the caller is not restricted");
        },
    );
}

// --- 7. Reports that cannot panic -------------------------------------------------------------

/// Makes standard error a pipe whose reading end is closed: every write to it fails (EPIPE).
fn close_standard_error() {
    let mut fds = [0; 2];
    // SAFETY: pipe fills two descriptors; the reading end is closed and the writing end moved
    // onto descriptor 2.
    unsafe {
        assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
        libc::close(fds[0]);
        assert_eq!(libc::dup2(fds[1], 2), 2);
        libc::close(fds[1]);
    }
}

#[test]
fn a_report_on_a_closed_standard_error_does_not_panic_the_block_form() {
    if !full_landlock_or_skip() {
        return;
    }
    in_child(
        "a_report_on_a_closed_standard_error_does_not_panic_the_block_form",
        || {
            close_standard_error();
            // An older kernel: the policy is partly enforced, which is reported on stderr.
            landlock_runtime::__private::simulate_older_kernel(3);
            let seen = block::sandbox!(read = "/usr" => open_errno(DENIED));
            assert_eq!(seen.unwrap(), Some(libc::EACCES));
        },
    );
}

#[test]
fn a_report_on_a_closed_standard_error_does_not_panic_an_enforcement_on_every_thread() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "a_report_on_a_closed_standard_error_does_not_panic_an_enforcement_on_every_thread",
        || {
            let blocker = prober(|| {
                // SAFETY: blocks every signal on this thread only.
                unsafe {
                    let mut all: libc::sigset_t = std::mem::zeroed();
                    libc::sigfillset(&mut all);
                    libc::pthread_sigmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
                }
            });
            close_standard_error();
            let policy = Policy::builder("t").read("/usr").process().build().unwrap();
            let status = policy.enforce_all_threads().unwrap();
            assert_eq!(status.level, Level::Partial);
            // The bookkeeping is whole: the policy is listed, and re-entering it is a no-op.
            assert_eq!(landlock_runtime::in_force().len(), 1);
            assert_eq!(policy.enforce().unwrap().level, Level::Partial);
            assert_eq!(landlock_runtime::in_force().len(), 1);
            assert_eq!(probe(&blocker, DENIED), 0);
        },
    );
}

// --- 8. Bookkeeping that tells the whole truth ------------------------------------------------

#[test]
fn a_thread_scope_policy_entered_by_a_lone_main_is_known_to_later_threads() {
    if !landlock_or_skip() {
        return;
    }
    // The policy denies /proc: the library must know the process is single-threaded before it
    // restricts the thread, not after. A thread started later then lists the policy (the
    // kernel gave it the layer), and re-entering it there adds nothing.
    let out = scenario(&[], &["single-thread-scope"]);
    assert_eq!(value(&out, "in_force_in_new_thread"), "(1, 1)", "{out}");
}

#[test]
fn enforce_on_a_process_policy_says_which_threads_keep_their_access() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "enforce_on_a_process_policy_says_which_threads_keep_their_access",
        || {
            let blocker = prober(|| {
                // SAFETY: blocks every signal on this thread only.
                unsafe {
                    let mut all: libc::sigset_t = std::mem::zeroed();
                    libc::sigfillset(&mut all);
                    libc::pthread_sigmask(libc::SIG_BLOCK, &all, std::ptr::null_mut());
                }
            });
            let policy = Policy::builder("t").read("/usr").process().build().unwrap();
            // `enforce`, not `enforce_all_threads`: what a sandboxed `main` calls.
            let status = policy.enforce().unwrap();
            assert_eq!(status.level, Level::Partial, "{status}");
            let threads = status.threads.as_ref().unwrap();
            assert_eq!(threads.uncovered.len(), 1, "{status}");
            assert_eq!(threads.uncovered[0].reason, Uncovered::BlocksSignal);
            assert!(
                status.to_string().contains("1 not: thread"),
                "the status line says it: {status}"
            );
            assert_eq!(probe(&blocker, DENIED), 0);
        },
    );
}

// --- 9. fork and thread ids -------------------------------------------------------------------

#[test]
fn a_zombie_main_thread_counts_as_exited_at_once() {
    if !landlock_or_skip() {
        return;
    }
    let out = scenario(&[], &["zombie-main"]);
    let status = value(&out, "status");
    assert!(
        status.starts_with(&status_at(kernel_abi()))
            && status.contains("; 0 other threads restricted"),
        "{out}"
    );
    let elapsed: u64 = value(&out, "elapsed_ms").parse().unwrap();
    assert!(elapsed < 1000, "waited for the zombie: {elapsed} ms");
}

#[test]
fn a_thread_id_reused_during_a_job_is_not_taken_for_the_thread_that_exited() {
    if !landlock_or_skip() || !root_or_skip("PID namespaces") {
        return;
    }
    // A PID namespace of its own, where the scenario may choose the next thread id.
    let out = scenario(
        &["unshare", "--pid", "--fork", "--mount-proc"],
        &["tid-reuse"],
    );
    assert_eq!(value(&out, "reused"), "true", "{out}");
    let old = value(&out, "old_tid");
    let status = value(&out, "status");
    // The new thread was started by a thread that blocks the signal, and blocks it too: it is
    // reported, and indeed keeps its access.
    assert!(
        status.contains(&format!("thread {old} (it blocks the signal")),
        "{out}"
    );
    assert_eq!(value(&out, "new_thread"), "0", "{out}");
}

/// Forks while `hold` keeps another thread inside a system call on the enforcement path, and
/// has the child (whose copy of any lock that thread held is never released) enforce `child`.
/// Returns the child's exit status, or `None` if it had not exited after ten seconds.
fn fork_while_held(
    nr: libc::c_long,
    parent: impl FnOnce() + Send + 'static,
    child: impl FnOnce() -> bool,
) -> Option<i32> {
    let (listener_tx, listener_rx) = mpsc::channel();
    let held_thread = thread::spawn(move || {
        listener_tx.send(hold_on_this_thread(nr)).unwrap();
        parent();
    });
    let listener = listener_rx.recv().unwrap();
    let held = next_held(&listener, Duration::from_secs(10));
    // SAFETY: fork; the child runs `child` and leaves with _exit, never returning here.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let ok = child();
        // SAFETY: ends the child without running the parent's exit handlers.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let mut status = 0;
    let mut exited = None;
    for _ in 0..1000 {
        // SAFETY: waits for our own child without blocking.
        if unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } == pid {
            exited = Some(libc::WEXITSTATUS(status));
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    if exited.is_none() {
        // SAFETY: kills and reaps our own child.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
            libc::waitpid(pid, &mut status, 0);
        }
    }
    // Let the held thread finish: this call, and any other it makes of the same kind.
    release(&listener, &held);
    while !held_thread.is_finished() {
        if let Some(next) = try_next_held(&listener, Duration::from_millis(10)) {
            release(&listener, &next);
        }
    }
    held_thread.join().unwrap();
    exited
}

#[test]
fn a_child_forked_while_another_thread_prepares_a_policy_can_prepare_it() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "a_child_forked_while_another_thread_prepares_a_policy_can_prepare_it",
        || {
            static POLICY: std::sync::OnceLock<Policy> = std::sync::OnceLock::new();
            let policy = POLICY.get_or_init(|| Policy::builder("t").read("/usr").build().unwrap());
            // Another thread is held creating the ruleset, inside the preparation.
            let exited = fork_while_held(
                libc::SYS_landlock_create_ruleset,
                move || {
                    policy.prepare().unwrap();
                },
                || {
                    thread::spawn(move || {
                        policy.enforce().is_ok() && open_errno(DENIED) == Some(13)
                    })
                    .join()
                    .unwrap()
                },
            );
            assert_eq!(
                exited,
                Some(0),
                "the child prepared and enforced the policy"
            );
        },
    );
}

#[test]
fn a_child_forked_while_another_thread_chooses_the_signal_can_run_a_job() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "a_child_forked_while_another_thread_chooses_the_signal_can_run_a_job",
        || {
            // Another thread runs a job on every thread, and is held looking at a signal's
            // disposition while it chooses the job's signal.
            let exited = fork_while_held(
                libc::SYS_rt_sigaction,
                || {
                    let policy = Policy::builder("parent")
                        .read("/usr")
                        .read("/proc")
                        .process()
                        .build()
                        .unwrap();
                    policy.enforce().unwrap();
                },
                || {
                    // The child has one thread; it starts another, then runs its own job.
                    let (tx, rx) = mpsc::channel::<()>();
                    let other = thread::spawn(move || {
                        let _ = rx.recv();
                        open_errno(DENIED)
                    });
                    let policy = Policy::builder("child")
                        .read("/usr")
                        .process()
                        .build()
                        .unwrap();
                    let enforced = policy
                        .enforce()
                        .is_ok_and(|s| s.level == level_at(kernel_abi()));
                    drop(tx);
                    enforced && other.join().unwrap() == Some(libc::EACCES)
                },
            );
            assert_eq!(exited, Some(0), "the child ran its job");
        },
    );
}

// --- 10. Threads started and exiting while every thread is restricted -------------------------

#[test]
fn a_thread_started_before_its_starter_restricts_itself_is_reached() {
    if !landlock_or_skip() {
        return;
    }
    // C starts X after the job listed the threads and before C restricts itself: X is not
    // restricted until the job reaches it.
    let out = scenario(&[], &["started-before-restricted"]);
    let status = value(&out, "status");
    assert!(
        status.starts_with(&status_at(kernel_abi())) && !status.contains("started restricted"),
        "{out}"
    );
    assert_eq!(value(&out, "x"), "13", "{out}");
    assert_eq!(value(&out, "c"), "13", "{out}");
}

#[test]
fn a_thread_started_by_a_restricted_thread_during_the_job_is_counted_and_not_signalled() {
    if !landlock_or_skip() {
        return;
    }
    // C starts X after C restricted itself, while the job still runs. X blocks every signal: it
    // would be reported if the job took it for a thread to reach.
    let out = scenario(&[], &["started-after-restricted"]);
    let status = value(&out, "status");
    assert!(
        status.starts_with(&status_at(kernel_abi())) && status.contains(", 1 started restricted"),
        "{out}"
    );
    assert_eq!(value(&out, "x"), "13", "X inherited C's restriction: {out}");
}

#[test]
fn a_thread_started_by_a_reported_thread_during_the_job_is_reached() {
    if !landlock_or_skip() {
        return;
    }
    // U blocks the signal and is reported; in a later round it starts X, which does not block
    // it. X is not restricted (U is not): the job must reach it.
    let out = scenario(&[], &["started-by-reported"]);
    let status = value(&out, "status");
    assert!(
        status.starts_with("partly enforced")
            && status.contains("; 1 not: thread")
            && status.contains("(it blocks the signal that reaches it)")
            && !status.contains("started restricted"),
        "{out}"
    );
    assert_eq!(value(&out, "x"), "13", "{out}");
    assert_eq!(
        value(&out, "u"),
        "0",
        "U keeps its access, as reported: {out}"
    );
}

/// The signals `/proc` says thread `tid` blocks, and whether the job's (a real-time signal) is
/// pending for it.
fn mask_and_pending(tid: i32) -> (u64, bool) {
    let status = std::fs::read_to_string(format!("/proc/self/task/{tid}/status")).unwrap();
    let field = |name: &str| {
        let hex = status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap()
            .trim();
        u64::from_str_radix(hex, 16).unwrap()
    };
    let first_realtime = libc::SIGRTMIN() - 1;
    (field("SigBlk:"), field("SigPnd:") >> first_realtime != 0)
}

/// Holds the call `held` (of thread `tid`) until the job has signalled that thread, then some
/// more, past the grace period a mask of the application's own gets, then lets it go.
fn release_once_signalled(
    listener: std::os::fd::OwnedFd,
    held: support::hold::Held,
    tid: i32,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let started = Instant::now();
        while !mask_and_pending(tid).1 {
            assert!(started.elapsed() < Duration::from_secs(10), "signalled");
            thread::sleep(Duration::from_millis(1));
        }
        thread::sleep(Duration::from_millis(300));
        release(&listener, &held);
    })
}

/// A policy on every thread that denies `DENIED`, strict, with `/proc` readable for the
/// helpers that watch threads.
fn strict_everywhere() -> Policy {
    let builder = Policy::builder("t").read("/usr").read("/proc").process();
    // Below ABI 6 `strict` refuses every policy before any thread is asked; there the same
    // job runs best effort, and its report of the threads is what is asserted.
    if kernel_abi() >= 6 {
        builder.strict()
    } else {
        builder
    }
    .build()
    .unwrap()
}

#[test]
fn a_thread_being_born_is_waited_for_and_strict_does_not_take_it_for_a_blocker() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "a_thread_being_born_is_waited_for_and_strict_does_not_take_it_for_a_blocker",
        || {
            // A new thread calls set_robust_list while the C library still sets it up, every
            // signal blocked: held there (the filter is inherited from its starter), it is a
            // thread being born for as long as the test likes.
            let (listener_tx, listener_rx) = mpsc::channel();
            let (go_tx, go_rx) = mpsc::channel::<()>();
            let (seen_tx, seen_rx) = mpsc::channel();
            let starter = thread::spawn(move || {
                listener_tx
                    .send(hold_on_this_thread(libc::SYS_set_robust_list))
                    .unwrap();
                thread::spawn(move || {
                    let _ = go_rx.recv();
                    seen_tx.send(open_errno(DENIED)).unwrap();
                })
                .join()
                .unwrap();
            });
            let listener = listener_rx.recv().unwrap();
            let held = next_held(&listener, Duration::from_secs(10));
            let newborn = held.tid as i32;
            // glibc's mask for a thread being born: everything, its own internal signals too.
            let (mask, _) = mask_and_pending(newborn);
            assert_eq!(mask & 0x1_8000_0000, 0x1_8000_0000, "{mask:x}");
            let supervisor = release_once_signalled(listener, held, newborn);
            let policy = strict_everywhere();
            let started = Instant::now();
            // Strict: refused in advance if the newborn were taken for a thread that blocks
            // the signal, or afterwards if it were reported.
            let status = policy.enforce().unwrap();
            let elapsed = started.elapsed();
            supervisor.join().unwrap();
            let threads = status.threads.as_ref().unwrap();
            assert!(threads.uncovered.is_empty(), "{status}");
            assert!(
                elapsed >= Duration::from_millis(300),
                "the job waited for the newborn's answer: {elapsed:?}"
            );
            go_tx.send(()).unwrap();
            let seen = seen_rx.recv_timeout(Duration::from_secs(10)).unwrap();
            assert_eq!(seen, Some(libc::EACCES), "the newborn is restricted");
            starter.join().unwrap();
        },
    );
}

#[test]
fn a_thread_exiting_during_the_job_counts_as_exited_not_as_keeping_its_access() {
    if !landlock_or_skip() {
        return;
    }
    in_child(
        "a_thread_exiting_during_the_job_counts_as_exited_not_as_keeping_its_access",
        || {
            // A thread whose function has returned is held in its final `exit`, with the mask
            // the C library gives a thread on its way out.
            let (listener_tx, listener_rx) = mpsc::channel();
            let quitter = thread::spawn(move || {
                listener_tx
                    .send(hold_on_this_thread(libc::SYS_exit))
                    .unwrap();
            });
            let listener = listener_rx.recv().unwrap();
            let held = next_held(&listener, Duration::from_secs(10));
            let tid = held.tid as i32;
            // glibc's exit mask: everything but SIGSETXID (33); SIGCANCEL (32) blocked.
            let (mask, _) = mask_and_pending(tid);
            assert_eq!(mask & 0x1_8000_0000, 0x8000_0000, "{mask:x}");
            let supervisor = release_once_signalled(listener, held, tid);
            let policy = strict_everywhere();
            let started = Instant::now();
            let status = policy.enforce().unwrap();
            let elapsed = started.elapsed();
            supervisor.join().unwrap();
            quitter.join().unwrap();
            let threads = status.threads.as_ref().unwrap();
            assert!(threads.uncovered.is_empty(), "{status}");
            assert!(threads.exited >= 1, "{status}");
            assert!(
                elapsed >= Duration::from_millis(300),
                "the job waited for it to be gone: {elapsed:?}"
            );
        },
    );
}

// --- 11. The layer limit in a child process ---------------------------------------------------

#[test]
fn a_spawn_refused_at_the_layer_limit_says_so() {
    if !full_landlock_or_skip() {
        return;
    }
    let policies: Vec<Policy> = (0..landlock_runtime::MAX_LAYERS)
        .map(|i| {
            Policy::builder(format!("layer {i}"))
                .read("/usr")
                .build()
                .unwrap()
        })
        .collect();
    let child: &'static Policy = Box::leak(Box::new(
        Policy::builder("soundness::child")
            .exec("/usr/bin/true")
            .preset(landlock_runtime::Preset::DynamicLoader)
            .build()
            .unwrap(),
    ));
    use landlock_runtime::SandboxCommandExt;
    let spawn = || {
        Command::new("/usr/bin/true")
            .sandbox(child)
            .status()
            .unwrap_err()
    };
    let (known, inherited) = thread::scope(|s| {
        s.spawn(|| {
            for policy in &policies {
                policy.enforce().unwrap();
            }
            // Refused before starting anything: the library knows this thread's layers.
            let known = spawn();
            // A thread started here has the same sixteen layers, which the library does not
            // know of (they were not entered on it); the kernel refuses the child's layer with
            // E2BIG between fork and exec.
            let inherited = thread::scope(|s| s.spawn(spawn).join().unwrap());
            (known, inherited)
        })
        .join()
        .unwrap()
    });
    for err in [known, inherited] {
        let msg = err.to_string();
        assert!(
            msg.contains("already has 16 Landlock layers, the kernel's limit")
                && msg.contains("sandbox `soundness::child`")
                && !msg.contains("Argument list"),
            "{msg}"
        );
    }
}

/// The denials of this process until one on `sentinel` (included), within `timeout`.
fn denials_until(
    watcher: &mut landlock_runtime::denials::Watcher,
    sentinel: &std::path::Path,
    timeout: Duration,
) -> Vec<landlock_runtime::denials::Denial> {
    let deadline = Instant::now() + timeout;
    let mut seen = Vec::new();
    while let Some(denial) =
        watcher.next_timeout(deadline.saturating_duration_since(Instant::now()))
    {
        let last = denial.object == landlock_runtime::denials::Object::Path(sentinel.into());
        seen.push(denial);
        if last {
            break;
        }
    }
    seen
}

/// Policies of this process, registered under the first ids a forger guesses.
fn register_policies_a_forger_guesses() {
    for name in ["app::first", "app::second", "app::third"] {
        let policy = Policy::builder(name).read("/usr").build().unwrap();
        policy.run(|| ()).unwrap();
    }
}

/// After a forger's denials, one of this process's own (`app::sentinel`, on [`DENIED`]): the
/// denials the watcher yields until that one, which is checked to come last and attributed.
fn denials_until_a_sentinel(
    watcher: &mut landlock_runtime::denials::Watcher,
) -> Vec<landlock_runtime::denials::Denial> {
    let sentinel = Policy::builder("app::sentinel")
        .read("/usr")
        .build()
        .unwrap();
    sentinel
        .run(|| assert_eq!(open_errno(DENIED), Some(libc::EACCES)))
        .unwrap();
    let seen = denials_until(watcher, DENIED.as_ref(), Duration::from_secs(5));
    let last = seen.last().expect("this process's own denial comes");
    assert_eq!(
        last.sandbox.as_ref().map(|a| a.origin.function()),
        Some("app::sentinel"),
        "{seen:#?}"
    );
    seen
}

#[test]
fn denials_another_process_causes_with_our_marks_are_not_ours() {
    if !full_landlock_or_skip() || !root_or_skip("running a forger as another user") {
        return;
    }
    in_child(
        "denials_another_process_causes_with_our_marks_are_not_ours",
        || {
            let Some(mut watcher) = watcher_or_skip() else {
                return;
            };
            register_policies_a_forger_guesses();
            let me = std::process::id();
            // Not a child of this process, as another user and as this process's user (once
            // passing itself off as a sandboxed child through this process's descriptors); and
            // a child this process started without a sandbox.
            for name in ["nobody", "root", "reporting", "child"] {
                let forger = match name {
                    "nobody" => forger::Forger::start(name, Some(65534)),
                    "root" => forger::Forger::start(name, None),
                    "reporting" => forger::Forger::start_reporting(name),
                    _ => forger::Forger::start_as_child(name),
                };
                let target = forger.target();
                assert_eq!(forger.forge_for(me), 40, "every forged domain was denied");
                let seen = denials_until_a_sentinel(&mut watcher);
                let printed = format!("{seen:#?}");
                for denial in &seen {
                    assert_eq!(denial.pid, Some(me as i32), "{name}: {printed}");
                    assert_ne!(
                        denial.object,
                        landlock_runtime::denials::Object::Path(target.clone()),
                        "{name}: {printed}"
                    );
                }
                let said = forger.stop();
                assert_eq!(said, format!("forged {me}: 40 of 40 denied\n"));
            }
        },
    );
}

/// A child started with a sandbox runs code this process does not control after `exec`: what it
/// does in its own domains is its denials, and never another policy's. Here it restricts
/// itself again under the marks of this process's other policies; its denials are yielded as
/// the child's (its pid), attributed to the policy it was started with or to none.
#[test]
fn a_sandboxed_child_cannot_pass_its_denials_off_as_another_policys() {
    if !full_landlock_or_skip() || !root_or_skip("watching denials") {
        return;
    }
    in_child(
        "a_sandboxed_child_cannot_pass_its_denials_off_as_another_policys",
        || {
            let Some(mut watcher) = watcher_or_skip() else {
                return;
            };
            register_policies_a_forger_guesses();
            let dir = std::env::temp_dir()
                .join(format!("landlock-forger-sandboxed-{}", std::process::id()));
            let child: &'static Policy = Box::leak(Box::new(
                Policy::builder("app::sandboxed")
                    .exec("/usr")
                    .preset(landlock_runtime::Preset::DynamicLoader)
                    .write_path(&dir)
                    .build()
                    .unwrap(),
            ));
            let forger = forger::Forger::start_sandboxed("sandboxed", child);
            assert_eq!(forger.dir, dir);
            let target = forger.target();
            let me = std::process::id();
            assert_eq!(forger.forge_for(me), 40, "every forged domain was denied");
            let seen = denials_until_a_sentinel(&mut watcher);
            let printed = format!("{seen:#?}");
            let forged: Vec<_> = seen
                .iter()
                .filter(|d| d.object == landlock_runtime::denials::Object::Path(target.clone()))
                .collect();
            assert_eq!(forged.len(), 40, "the child's own denials: {printed}");
            for denial in forged {
                assert_ne!(denial.pid, Some(me as i32), "{printed}");
                let policy = denial.sandbox.as_ref().map(|a| a.origin.function());
                assert!(
                    matches!(policy, None | Some("app::sandboxed")),
                    "{policy:?}: {printed}"
                );
            }
            let said = forger.stop();
            assert_eq!(said, format!("forged {me}: 40 of 40 denied\n"));
        },
    );
}
