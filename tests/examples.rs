//! End-to-end: the examples, built by `cargo test`, run as real programs under real Landlock.

use std::path::PathBuf;
use std::process::{Command, Output};

mod support;
use support::landlock_or_skip;

/// Builds the examples once, so that this file also works alone (`cargo test --test examples`
/// does not build them, `cargo test` does).
fn build_examples() {
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--examples"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("running cargo build --examples");
        assert!(status.success(), "cargo build --examples failed");
    });
}

/// Runs an example built next to this test binary.
fn run_example(name: &str) -> Output {
    run_example_with(name, &[])
}

/// Runs an example built next to this test binary, with arguments.
fn run_example_with(name: &str, args: &[&str]) -> Output {
    build_examples();
    let exe: PathBuf = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples")
        .join(name);
    let output = Command::new(&exe)
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", exe.display()));
    eprintln!(
        "--- {name} stdout:\n{}--- {name} stderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn hello_sandbox_allows_what_it_grants_and_denies_the_rest() {
    if !landlock_or_skip() {
        return;
    }
    let output = run_example("hello_sandbox");
    assert_eq!(output.status.code(), Some(0));
    let out = stdout(&output);
    assert!(out.contains("fully enforced (Landlock ABI"), "{out}");
    assert!(
        out.contains("sandbox `hello_sandbox::main` (examples/hello_sandbox.rs:"),
        "{out}"
    );
    assert!(out.contains("allowed: read /etc/hostname"), "{out}");
    assert!(out.contains("allowed: write "), "{out}");
    assert!(out.contains("allowed: remove "), "{out}");
    assert!(
        out.contains("denied:  list /home (not granted) (Permission denied"),
        "{out}"
    );
    assert!(
        output.stderr.is_empty(),
        "a fully enforced policy prints no warning"
    );
}

#[test]
fn worker_threads_restrict_only_themselves() {
    if !landlock_or_skip() {
        return;
    }
    let output = run_example("worker_threads");
    assert_eq!(output.status.code(), Some(0));
    let out = stdout(&output);
    assert!(out.contains("config workers read /etc/hosts"), "{out}");
    assert!(
        out.contains("reading /etc/hosts from the report worker: Permission denied (os error 13)"),
        "{out}"
    );
    assert!(out.contains("main is unrestricted: true"), "{out}");
    // A pool's threads take one job after another, each under exactly its own sandbox.
    let entries = |dir: &str| std::fs::read_dir(dir).unwrap().count();
    let etc = format!("pool job /etc: {} entries", entries("/etc"));
    let share = format!("pool job /usr/share: {} entries", entries("/usr/share"));
    assert_eq!(out.lines().filter(|l| *l == etc).count(), 2, "{out}");
    assert_eq!(out.lines().filter(|l| *l == share).count(), 2, "{out}");
    assert!(out.contains("pool threads are unrestricted: true"), "{out}");
}

#[test]
fn scoped_block_denies_inside_and_frees_the_caller() {
    if !landlock_or_skip() {
        return;
    }
    let output = run_example("scoped_block");
    assert_eq!(output.status.code(), Some(0));
    let out = stdout(&output);
    assert!(out.contains("sandboxed read of /etc/hosts: "), "{out}");
    assert!(
        out.contains("sandboxed read of /etc/passwd: denied (Permission denied (os error 13))"),
        "{out}"
    );
    assert!(
        out.contains("after the block, the caller lists /usr: Ok("),
        "{out}"
    );
}

#[test]
fn tokio_main_restricts_every_runtime_thread() {
    if !landlock_or_skip() {
        return;
    }
    let output = run_example("tokio_main");
    assert_eq!(output.status.code(), Some(0));
    let out = stdout(&output);
    assert!(
        out.contains("/etc readable in all, /usr denied in 16"),
        "{out}"
    );
    assert!(
        out.contains("blocking thread lists /usr: Err(Os { code: 13, kind: PermissionDenied"),
        "{out}"
    );
}

#[test]
fn a_missing_path_stops_the_program_before_main_runs() {
    let output = run_example("missing_path");
    assert_eq!(output.status.code(), Some(101), "a panic at entry");
    assert!(
        !stdout(&output).contains("unreachable"),
        "main's body must not run"
    );
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains(
            "sandbox `missing_path::main` (examples/missing_path.rs:8): path `/nonexistent/landlock-sandbox-example` does not exist"
        ),
        "{err}"
    );
}

/// An `Err` returned from `main` is printed with `Debug`: the error's message and its fix, not
/// the structure inside it.
#[test]
fn an_error_returned_from_main_reads_as_its_message_and_fix() {
    let output = run_example_with("main_result", &["/nonexistent/landlock-main-result"]);
    assert_eq!(output.status.code(), Some(1), "an `Err` from main");
    assert!(output.stdout.is_empty(), "the listing must not run");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.starts_with("Error: sandbox `main_result::main` (examples/main_result.rs:")
            && err.ends_with(
                "): path `/nonexistent/landlock-main-result` does not exist; create it, or grant a path that exists\n"
            ),
        "{err}"
    );
}

#[test]
fn sandbox_run_passes_the_exit_status_and_explains_failures() {
    if !landlock_or_skip() {
        return;
    }
    let run = |args: &[&str]| {
        build_examples();
        let exe = std::env::current_exe().unwrap();
        let exe = exe.parent().and_then(|d| d.parent()).unwrap();
        Command::new(exe.join("examples/sandbox_run"))
            .args(args)
            .output()
            .unwrap()
    };
    let granted = run(&[
        "--read",
        "/etc",
        "--",
        "/bin/sh",
        "-c",
        "read line < /etc/hostname && exit 7",
    ]);
    assert_eq!(granted.status.code(), Some(7), "{granted:?}");

    let denied = run(&["--", "cat", "/etc/hostname"]);
    assert_eq!(denied.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&denied.stderr).contains("/etc/hostname: Permission denied"),
        "{denied:?}"
    );

    let missing = run(&["--read", "/nonexistent/in", "--", "true"]);
    assert_eq!(missing.status.code(), Some(125));
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        err.contains("path `/nonexistent/in` does not exist") && err.contains("--ignore-missing"),
        "{err}"
    );

    // Under --explicit, nothing is granted but what the options say: not even exec on the
    // program, which the kernel then denies.
    let explicit = run(&["--explicit", "--", "/bin/true"]);
    assert_eq!(explicit.status.code(), Some(126), "{explicit:?}");
    assert!(
        String::from_utf8_lossy(&explicit.stderr).contains("was denied"),
        "{explicit:?}"
    );

    let broad = run(&["--read", "/", "--", "true"]);
    assert_eq!(broad.status.code(), Some(125));
    assert!(
        String::from_utf8_lossy(&broad.stderr).contains("grants read on the whole filesystem"),
        "{broad:?}"
    );
    let acknowledged = run(&["--read", "/", "--broad", "--", "true"]);
    assert_eq!(acknowledged.status.code(), Some(0), "{acknowledged:?}");

    let usage = run(&["--frobnicate"]);
    assert_eq!(usage.status.code(), Some(125));
    assert!(
        String::from_utf8_lossy(&usage.stderr).contains("--frobnicate"),
        "{usage:?}"
    );
}
