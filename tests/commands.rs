//! Child processes confined by a policy: the child gets exactly what was granted (exact errno
//! from inside it), the parent stays unrestricted, and a policy that cannot be prepared never
//! lets the program start.

use std::path::{Path, PathBuf};
use std::process::Command;

use landlock_runtime::{Policy, Preset, SandboxCommandExt, policy};

mod support;
use support::landlock_or_skip;

/// The probe program: performs operations and prints the kernel's answer to each.
const PROBE: &str = env!("CARGO_BIN_EXE_landlock-probe");

/// A policy made at run time, for paths only known then; commands need `&'static`.
fn leak(policy: Policy) -> &'static Policy {
    Box::leak(Box::new(policy))
}

/// A fresh directory with `in/a.txt` and an empty `out/`.
fn tree(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("landlock-cmd-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("in")).unwrap();
    std::fs::create_dir_all(dir.join("out")).unwrap();
    std::fs::write(dir.join("in/a.txt"), "input").unwrap();
    dir
}

/// Runs the probe under `policy` and returns its report lines.
fn probe(policy: &'static Policy, ops: &[&str]) -> Vec<String> {
    let output = Command::new(PROBE)
        .args(ops)
        .sandbox(policy)
        .output()
        .expect("sandboxed probe starts");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn probe_policy(dir: &Path) -> Policy {
    Policy::builder("tests::probe")
        .exec(PROBE)
        .preset(Preset::DynamicLoader)
        .read(dir.join("in").to_str().unwrap())
        .write(dir.join("out").to_str().unwrap())
        .build()
        .unwrap()
}

#[test]
fn a_child_reads_and_writes_only_what_is_granted() {
    if !landlock_or_skip() {
        return;
    }
    let dir = tree("rw");
    let policy = leak(probe_policy(&dir));
    let (input, output) = (dir.join("in/a.txt"), dir.join("out/b.txt"));
    let denied_write = dir.join("in/c.txt");
    let report = probe(
        policy,
        &[
            "read",
            input.to_str().unwrap(),
            "write",
            output.to_str().unwrap(),
            "write",
            denied_write.to_str().unwrap(),
            "read",
            "/etc/hostname",
            "list",
            "/",
        ],
    );
    assert_eq!(
        report,
        [
            format!("read {}: ok", input.display()),
            format!("write {}: ok", output.display()),
            format!("write {}: errno {}", denied_write.display(), libc::EACCES),
            format!("read /etc/hostname: errno {}", libc::EACCES),
            format!("list /: errno {}", libc::EACCES),
        ]
    );
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "probe\n");
    // The parent was never restricted.
    std::fs::read("/etc/hostname").expect("the parent reads what the child may not");
    std::fs::write(&denied_write, "parent").expect("and writes it");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_child_gets_tcp_only_on_granted_ports() {
    if !landlock_or_skip() {
        return;
    }
    let open = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (open_port, closed_port) = (
        open.local_addr().unwrap().port(),
        closed.local_addr().unwrap().port(),
    );
    let policy = leak(
        Policy::builder("tests::tcp")
            .exec(PROBE)
            .preset(Preset::DynamicLoader)
            .connect(open_port)
            .build()
            .unwrap(),
    );
    let report = probe(
        policy,
        &[
            "connect",
            &open_port.to_string(),
            "connect",
            &closed_port.to_string(),
            "bind",
            "0",
        ],
    );
    // TCP is restricted from Landlock ABI 4; before, every port is reachable.
    let denied = if support::kernel_abi() >= 4 {
        format!("errno {}", libc::EACCES)
    } else {
        "ok".to_owned()
    };
    assert_eq!(
        report,
        [
            format!("connect {open_port}: ok"),
            format!("connect {closed_port}: {denied}"),
            format!("bind 0: {denied}"),
        ]
    );
}

#[test]
fn exec_outside_the_policy_is_denied() {
    if !landlock_or_skip() {
        return;
    }
    let dir = tree("exec-outside");
    let policy = leak(probe_policy(&dir));
    // From inside the child: running a program it was not granted.
    assert_eq!(
        probe(policy, &["run", "/usr/bin/true"]),
        [format!("run /usr/bin/true: errno {}", libc::EACCES)]
    );
    // Spawning a program the policy does not grant: a spawn error that says what is missing.
    let err = Command::new("/usr/bin/true")
        .sandbox(policy)
        .status()
        .unwrap_err();
    assert_eq!(err.raw_os_error(), None, "the message is kept: {err}");
    assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
    let msg = err.to_string();
    assert!(
        msg.starts_with("sandbox `tests::probe` (tests/commands.rs:")
            && msg.contains("starting `/usr/bin/true` was denied")
            && msg.contains("must grant `exec` on the program"),
        "{msg}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_preset_starts_env_and_a_shell() {
    if !landlock_or_skip() {
        return;
    }
    let env = Command::new("/usr/bin/env")
        .env_clear()
        .env("GREETING", "hello")
        .sandbox(policy!(exec = "/usr/bin/env", preset = "dynamic_loader"))
        .output()
        .unwrap();
    assert!(env.status.success(), "{env:?}");
    assert_eq!(String::from_utf8_lossy(&env.stdout), "GREETING=hello\n");

    let shell = Command::new("/bin/sh")
        .args(["-c", "echo from the shell; cat /etc/hostname"])
        .sandbox(policy!(exec = "/bin/sh", preset = "dynamic_loader"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&shell.stdout), "from the shell\n");
    assert!(
        String::from_utf8_lossy(&shell.stderr).contains("Permission denied"),
        "{shell:?}"
    );

    // Without the preset, the loader is denied and the program cannot start.
    let err = Command::new("/usr/bin/env")
        .sandbox(policy!(exec = "/usr/bin/env"))
        .status()
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied, "{err}");
    assert!(
        err.to_string().contains("preset = \"dynamic_loader\""),
        "{err}"
    );
}

#[test]
fn a_missing_path_fails_the_spawn_and_nothing_runs() {
    let policy = policy!(
        exec = "/bin/sh",
        preset = "dynamic_loader",
        read = "/nonexistent/landlock-sandbox-input"
    );
    let marker = std::env::temp_dir().join(format!("landlock-cmd-marker-{}", std::process::id()));
    let err = Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("touch {}", marker.display()))
        .sandbox(policy)
        .spawn()
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("path `/nonexistent/landlock-sandbox-input` does not exist")
            && msg.contains("sandbox `commands::{policy}` (tests/commands.rs:")
            && msg.ends_with("the program was not started"),
        "{msg}"
    );
    assert!(!marker.exists());
    // The command's own spawn fails closed too, without the message.
    let mut command = Command::new("/bin/sh");
    command.arg("-c").arg(format!("touch {}", marker.display()));
    let _ = command.sandbox(policy);
    let err = command.status().unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EACCES));
    assert!(!marker.exists(), "the program must not have run");
}

#[test]
fn two_hundred_sandboxed_spawns_in_parallel_are_all_confined() {
    if !landlock_or_skip() {
        return;
    }
    let dir = tree("many");
    let policy = leak(probe_policy(&dir));
    let input = dir.join("in/a.txt");
    let input = input.to_str().unwrap();
    let expected = [
        format!("read {input}: ok"),
        format!("read /etc/hostname: errno {}", libc::EACCES),
    ];
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                for _ in 0..25 {
                    assert_eq!(
                        probe(policy, &["read", input, "read", "/etc/hostname"]),
                        expected
                    );
                }
            });
        }
    });
    std::fs::read("/etc/hostname").expect("the parent stays unrestricted");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn tokio_commands_are_confined_too() {
    if !landlock_or_skip() {
        return;
    }
    let dir = tree("tokio");
    let policy = leak(probe_policy(&dir));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let output = runtime.block_on(async {
        tokio::process::Command::new(PROBE)
            .args(["read", "/etc/hostname"])
            .sandbox(policy)
            .output()
            .await
            .unwrap()
    });
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("read /etc/hostname: errno {}\n", libc::EACCES)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// `sh -c 'echo x > NAME'` in `dir`, under `policy`: the shell's standard error, empty on
/// success.
fn write_in(policy: &'static Policy, dir: &Path, name: &str) -> String {
    let output = Command::new("/bin/sh")
        .args(["-c", &format!("echo x > {name}")])
        .current_dir(dir)
        .sandbox(policy)
        .output()
        .expect("the shell starts");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn cwd_in_a_childs_policy_is_the_directory_the_child_starts_in() {
    if !landlock_or_skip() {
        return;
    }
    let policy = policy!(exec = "/bin/sh", preset = "dynamic_loader", write = "$CWD");
    let scratch = tree("cwd");
    let parent = std::env::current_dir().unwrap();
    let name = format!("landlock-cmd-cwd-{}", std::process::id());
    // The child's own directory, given absolute and relative to the parent's (with `..`, as
    // `chdir` in the child resolves it).
    let relative: PathBuf = parent
        .components()
        .skip(1)
        .map(|_| Path::new(".."))
        .chain([scratch.strip_prefix("/").unwrap()])
        .collect();
    let in_scratch = write_in(policy, &scratch, &name);
    let in_scratch_relative = write_in(policy, &relative, &format!("{name}.2"));
    // The parent's directory, written from a child that starts in the scratch directory.
    let in_parent = write_in(policy, &scratch, &parent.join(&name).display().to_string());
    let leaked = parent.join(&name);
    let written_in_parent = leaked.exists();
    let _ = std::fs::remove_file(&leaked);
    assert_eq!(in_scratch, "");
    assert_eq!(in_scratch_relative, "");
    assert_eq!(std::fs::read_to_string(scratch.join(&name)).unwrap(), "x\n");
    assert_eq!(
        std::fs::read_to_string(scratch.join(format!("{name}.2"))).unwrap(),
        "x\n"
    );
    assert!(in_parent.contains("Permission denied"), "{in_parent:?}");
    assert!(!written_in_parent, "the child wrote the parent's directory");
    std::fs::remove_dir_all(scratch).unwrap();
}

#[test]
fn a_cwd_policy_not_bound_to_the_childs_directory_does_not_start_it() {
    if !landlock_or_skip() {
        return;
    }
    let policy = policy!(exec = "/bin/sh", preset = "dynamic_loader", write = "$CWD");
    let (a, b) = (tree("cwd-a"), tree("cwd-b"));
    let mut command = Command::new("/bin/sh");
    command.args(["-c", "echo x > f"]).current_dir(&a);
    let mut sandboxed = command.sandbox(policy);
    // The command's own spawn goes around the binding: nothing is bound yet.
    let err = Command::status(&mut sandboxed).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EACCES), "{err}");
    assert!(!a.join("f").exists());
    assert!(sandboxed.status().unwrap().success());
    assert!(a.join("f").exists());
    // Bound to `a` at the last start; the child would start in `b`.
    sandboxed.current_dir(&b);
    let err = Command::status(&mut sandboxed).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EACCES), "{err}");
    assert!(!b.join("f").exists());
    assert!(sandboxed.status().unwrap().success());
    assert!(b.join("f").exists());
    // A directory that does not exist fails the start, naming the policy.
    sandboxed.current_dir(a.join("missing"));
    let err = sandboxed.status().unwrap_err().to_string();
    assert!(
        err.starts_with("sandbox `commands::{policy}` (tests/commands.rs:")
            && err.contains(&format!(
                "cannot open path `{}/missing` (from `$CWD`)",
                a.display()
            ))
            && err.ends_with("the program was not started"),
        "{err}"
    );
    std::fs::remove_dir_all(a).unwrap();
    std::fs::remove_dir_all(b).unwrap();
}

/// `Command` opens `/dev/null` for `Stdio::null()` before it forks: a sandbox in force on the
/// calling thread that denies it fails the spawn, and the error says so rather than blame
/// `exec`.
#[test]
fn a_spawn_denied_dev_null_by_the_callers_sandbox_says_so() {
    if !landlock_or_skip() {
        return;
    }
    let child = leak(
        Policy::builder("tests::child")
            .exec("/usr/bin")
            .preset(Preset::DynamicLoader)
            .build()
            .unwrap(),
    );
    let caller = Policy::builder("tests::caller")
        .read("/usr")
        .exec("/usr/bin")
        .preset(Preset::DynamicLoader)
        .build()
        .unwrap();
    let msg = std::thread::spawn(move || {
        caller.enforce().unwrap();
        Command::new("/usr/bin/true")
            .sandbox(child)
            .output()
            .unwrap_err()
            .to_string()
    })
    .join()
    .unwrap();
    assert!(
        msg.contains("starting `/usr/bin/true` was denied")
            && msg.contains("denies opening `/dev/null`")
            && msg.contains("preset = \"devices\""),
        "{msg}"
    );
}

/// Set when this test binary is run again as the process that `exec`s: the directory of its
/// tree, and what it does first (`plain`, or `watching` denials).
const EXEC_CHILD: &str = "LANDLOCK_TEST_EXEC_CHILD";

/// The `exec` half of the tests below, in the test binary run again: `exec`s the probe under
/// `probe_policy`, after watching denials when asked; prints why it did not and exits 99.
fn exec_child() -> Option<std::process::Output> {
    if let Some(value) = std::env::var_os(EXEC_CHILD) {
        let value = value.into_string().unwrap();
        let (what, dir) = value.split_once(':').unwrap();
        let dir = PathBuf::from(dir);
        let _watcher = (what == "watching")
            .then(|| landlock_runtime::denials::watch().expect("denials can be watched"));
        let policy = leak(probe_policy(&dir));
        let input = dir.join("in/a.txt");
        let error = Command::new(PROBE)
            .args(["read", input.to_str().unwrap(), "read", "/etc/hostname"])
            .sandbox(policy)
            .exec();
        // Not confined: it was refused before anything was restricted.
        let unconfined = std::fs::read("/etc/hostname").is_ok();
        println!(
            "not replaced ({:?}, unconfined {unconfined}): {error}",
            error.kind()
        );
        std::process::exit(99);
    }
    None
}

/// Runs this test binary again as the process that `exec`s, in `dir`, `what` first.
fn run_exec_child(test: &str, what: &str, dir: &Path) -> std::process::Output {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(EXEC_CHILD, format!("{what}:{}", dir.display()))
        .output()
        .unwrap()
}

/// `exec` restricts this process and replaces it with the program, confined: the program gets
/// exactly what the policy grants.
#[test]
fn exec_replaces_the_process_with_the_confined_program() {
    const TEST: &str = "exec_replaces_the_process_with_the_confined_program";
    if !landlock_or_skip() || exec_child().is_some() {
        return;
    }
    let dir = tree("exec");
    let output = run_exec_child(TEST, "plain", &dir);
    let input = dir.join("in/a.txt");
    // After the test harness's own lines, the probe's: it is what this process became.
    let expected = format!(
        "... read {}: ok\nread /etc/hostname: errno {}\n",
        input.display(),
        libc::EACCES
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).ends_with(&expected),
        "{output:?}"
    );
    assert!(output.status.success(), "{output:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// While this process watches denials, `exec` would end the watcher: it refuses, before
/// restricting anything.
#[test]
fn exec_refuses_while_denials_are_watched() {
    const TEST: &str = "exec_refuses_while_denials_are_watched";
    if !landlock_or_skip() || exec_child().is_some() {
        return;
    }
    if let Err(why) = landlock_runtime::denials::watch() {
        assert!(
            std::env::var_os("AUDIT_REQUIRED").is_none_or(|v| v != "1"),
            "AUDIT_REQUIRED=1 but {why}"
        );
        support::say_skipped(&format!("{why}"));
        return;
    }
    let dir = tree("exec-watching");
    let output = run_exec_child(TEST, "watching", &dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(99), "{output:?}");
    assert!(
        stdout.contains("not replaced (Unsupported, unconfined true): sandbox `tests::probe`")
            && stdout
                .contains("this process watches denials, and the watcher would end with `exec`"),
        "{output:?}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
