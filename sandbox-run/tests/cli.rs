//! `sandbox_run` end to end: every option and exit status, on real programs of the machine, with
//! the kernel's exact answers from inside the command; and a share of landrun's own test suite,
//! translated to these options.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "../../tests/support/expect.rs"]
mod expect;
use expect::{kernel_abi, say_skipped, status_at};
#[path = "../../tests/support/forger.rs"]
// The forger the workspace's tests share; the runner's tests drive it from the command.
#[allow(dead_code)]
mod forger;

/// What a run printed and its status.
struct Ran {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

fn sandbox_run(args: &[&str]) -> Ran {
    sandbox_run_in(args, None)
}

fn sandbox_run_in(args: &[&str], dir: Option<&Path>) -> Ran {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sandbox_run"));
    command.args(args);
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    outcome(&mut command)
}

/// Runs `command` (a runner's, configured) to its end.
fn outcome(command: &mut Command) -> Ran {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().unwrap();
    Ran {
        status: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

impl std::fmt::Debug for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "status {:?}\n--- stdout\n{}--- stderr\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

/// Whether the kernel has Landlock from ABI `needed` on, which the calling test needs for
/// `what` (the filesystem from ABI 1, `refer` from 2, `truncate` from 3, TCP from 4,
/// `ioctl_dev` from 5, the scopes from 6, denials reported from 7). Otherwise the test is
/// skipped, saying why, or fails under `LANDLOCK_REQUIRED=1` (which this machine's CI sets:
/// its kernel has every ABI).
fn landlock_from(needed: u32, what: &str) -> bool {
    let abi = kernel_abi();
    if abi >= needed {
        return true;
    }
    assert!(
        std::env::var_os("LANDLOCK_REQUIRED").is_none_or(|v| v != "1"),
        "LANDLOCK_REQUIRED=1 but the kernel has Landlock ABI {abi}, and {what} needs {needed}"
    );
    say_skipped(&format!(
        "{what} needs Landlock ABI {needed}, the kernel has {abi}"
    ));
    false
}

/// Whether the kernel has Landlock at all, which a test of filesystem rights needs.
fn landlock() -> bool {
    landlock_from(1, "a filesystem right")
}

/// Whether the kernel reports denials (ABI 7), which every test that watches them needs.
fn reports_denials() -> bool {
    landlock_from(7, "a denial reported by the audit")
}

/// Whether denials can be watched here (root, audit on); otherwise skipped, or failed under
/// `AUDIT_REQUIRED=1`.
fn audit() -> bool {
    match landlock_runtime::denials::watch() {
        Ok(_) => true,
        Err(why) => {
            assert!(
                std::env::var_os("AUDIT_REQUIRED").is_none_or(|v| v != "1"),
                "AUDIT_REQUIRED=1 but {why}"
            );
            say_skipped(&format!("{why}"));
            false
        }
    }
}

/// A fresh directory for one test, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("sandbox-run-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    fn at(&self, relative: &str) -> PathBuf {
        self.0.join(relative)
    }

    fn path(&self, relative: &str) -> String {
        self.at(relative).to_str().unwrap().to_owned()
    }

    fn file(&self, relative: &str, content: &str) -> String {
        let path = self.at(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        self.path(relative)
    }

    fn script(&self, relative: &str, body: &str) -> String {
        use std::os::unix::fs::PermissionsExt;
        let path = self.file(relative, &format!("#!/bin/sh\n{body}\n"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// --- Grants, and what the kernel answers ------------------------------------------------------

#[test]
fn read_grants_reading_and_nothing_else() {
    if !landlock() {
        return;
    }
    let d = Dir::new("read");
    let granted = d.file("in/a.txt", "granted\n");
    d.file("secret.txt", "secret\n");
    let ran = sandbox_run(&["--read", &d.path("in"), "--", "cat", &granted]);
    assert_eq!(
        (ran.status, ran.stdout.as_str()),
        (Some(0), "granted\n"),
        "{ran:?}"
    );
    // The program's own status comes through: cat says 1 for the file it could not read.
    let ran = sandbox_run(&["--read", &d.path("in"), "--", "cat", &d.path("secret.txt")]);
    assert_eq!(ran.status, Some(1), "{ran:?}");
    assert!(
        ran.stderr.contains("secret.txt: Permission denied"),
        "{ran:?}"
    );
}

#[test]
fn write_grants_creating_and_a_read_directory_does_not() {
    if !landlock() {
        return;
    }
    let d = Dir::new("write");
    std::fs::create_dir_all(d.at("out")).unwrap();
    std::fs::create_dir_all(d.at("ro")).unwrap();
    let ran = sandbox_run(&[
        "--write",
        &d.path("out"),
        "--read",
        &d.path("ro"),
        "--",
        "touch",
        &d.path("out/new"),
    ]);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert!(d.at("out/new").exists());
    let ran = sandbox_run(&["--read", &d.path("ro"), "--", "touch", &d.path("ro/new")]);
    assert_eq!(ran.status, Some(1), "{ran:?}");
    assert!(!d.at("ro/new").exists());
}

#[test]
fn under_explicit_a_script_in_a_read_directory_is_denied_exec() {
    if !landlock() {
        return;
    }
    let d = Dir::new("explicit");
    let script = d.script("bin/hello", "echo hello");
    let system = ["--exec", "/usr/bin,/bin", "--preset", "dynamic_loader"];
    // The interpreter may run, the script may be read: exec on the script is denied, 126.
    let mut args = vec!["--explicit", "--read", &d.0.to_str().unwrap()];
    args.extend(system);
    args.extend(["--", &script]);
    let ran = sandbox_run(&args);
    assert_eq!(ran.status, Some(126), "{ran:?}");
    assert!(ran.stderr.contains("was denied"), "{ran:?}");
    // With exec on its directory, it runs.
    let mut args = vec!["--explicit", "--exec", &d.0.to_str().unwrap()];
    args.extend(system);
    args.extend(["--", &script]);
    let ran = sandbox_run(&args);
    assert_eq!(
        (ran.status, ran.stdout.as_str()),
        (Some(0), "hello\n"),
        "{ran:?}"
    );
    // Without --explicit, the script and its interpreter are granted exec automatically.
    let ran = sandbox_run(&["--read", d.0.to_str().unwrap(), "--", &script]);
    assert_eq!(
        (ran.status, ran.stdout.as_str()),
        (Some(0), "hello\n"),
        "{ran:?}"
    );
}

#[test]
fn write_and_exec_on_one_directory_run_a_file_just_written() {
    if !landlock() {
        return;
    }
    let d = Dir::new("build");
    std::fs::create_dir_all(d.at("build")).unwrap();
    let build = d.path("build");
    let steps = format!("cp /usr/bin/true {build}/t && {build}/t && echo ran");
    let ran = sandbox_run(&[
        "--write", &build, "--exec", &build, "--exec", "/usr/bin", "--", "sh", "-c", &steps,
    ]);
    assert_eq!(
        (ran.status, ran.stdout.as_str()),
        (Some(0), "ran\n"),
        "{ran:?}"
    );
    // Write alone: the copy is made, running it is denied (sh reports 126).
    std::fs::remove_file(d.at("build/t")).unwrap();
    let ran = sandbox_run(&[
        "--write", &build, "--exec", "/usr/bin", "--", "sh", "-c", &steps,
    ]);
    assert_eq!(ran.status, Some(126), "{ran:?}");
}

#[test]
fn relative_paths_and_lists_are_resolved_and_shown() {
    if !landlock() {
        return;
    }
    let d = Dir::new("relative");
    d.file("a/x.txt", "x\n");
    d.file("b/y.txt", "y\n");
    let ran = sandbox_run_in(
        &["--read", "a,b", "--", "cat", "a/x.txt", "b/y.txt"],
        Some(&d.0),
    );
    assert_eq!(
        (ran.status, ran.stdout.as_str()),
        (Some(0), "x\ny\n"),
        "{ran:?}"
    );
    let ran = sandbox_run_in(
        &["--print-policy", "--read", "a,b", "--", "cat"],
        Some(&d.0),
    );
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert!(
        ran.stdout
            .contains(&format!("  read     {}, {}\n", d.path("a"), d.path("b"))),
        "{ran:?}"
    );
    assert!(
        ran.stdout
            .contains("  automatic exec /usr/bin/cat (the program)\n")
            && ran.stdout.contains("  automatic preset dynamic_loader"),
        "{ran:?}"
    );
}

#[test]
fn an_explicit_exec_on_the_program_does_not_conflict_with_the_automatic_one() {
    if !landlock() {
        return;
    }
    let ran = sandbox_run(&["--exec", "/usr/bin/true", "--", "/usr/bin/true"]);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    let ran = sandbox_run(&["--exec", "/usr/bin", "--print-policy", "--", "true"]);
    assert!(
        ran.stdout.contains("  exec     /usr/bin, /usr/bin/true\n"),
        "{ran:?}"
    );
}

#[test]
fn tcp_connect_and_bind_are_denied_with_eacces_inside_the_command() {
    if !landlock_from(4, "a TCP rule") {
        return;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let free = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port().to_string()
    };
    // python3 prints the errno it got, or 0.
    let probe = "import socket,sys\nwhat,port=sys.argv[1],int(sys.argv[2])\ns=socket.socket()\ntry:\n    (s.connect if what=='connect' else s.bind)(('127.0.0.1',port))\n    print(0)\nexcept OSError as e:\n    print(e.errno)";
    let run = |extra: &[&str], what: &str, port: &str| {
        let mut args: Vec<&str> = vec!["--read", "/usr"];
        args.extend(extra);
        args.extend(["--", "/usr/bin/python3", "-c", probe, what, port]);
        let ran = sandbox_run(&args);
        assert_eq!(ran.status, Some(0), "{ran:?}");
        ran.stdout.trim().to_owned()
    };
    assert_eq!(run(&[], "connect", &port), "13");
    assert_eq!(run(&["--connect", &port], "connect", &port), "0");
    assert_eq!(run(&[], "bind", &free), "13");
    assert_eq!(run(&["--bind", &free], "bind", &free), "0");
    assert_eq!(run(&["--connect", "*"], "connect", &port), "0");
}

#[test]
fn signals_and_abstract_sockets_are_opted_into() {
    if !landlock_from(6, "a scope") {
        return;
    }
    let mut sleeper = Command::new("sleep").arg("30").spawn().unwrap();
    let pid = sleeper.id().to_string();
    let kill = format!("kill -0 {pid}");
    let ran = sandbox_run(&["--exec", "/usr/bin", "--", "sh", "-c", &kill]);
    assert_eq!(ran.status, Some(1), "{ran:?}");
    let ran = sandbox_run(&[
        "--exec",
        "/usr/bin",
        "--allow-signals",
        "--",
        "sh",
        "-c",
        &kill,
    ]);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    use std::os::linux::net::SocketAddrExt;
    let name = format!("sandbox-run-{}", std::process::id());
    let address = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let _listener = std::os::unix::net::UnixListener::bind_addr(&address).unwrap();
    let probe = format!(
        "import socket\ns=socket.socket(socket.AF_UNIX)\ntry:\n    s.connect('\\0{name}')\n    print(0)\nexcept OSError as e:\n    print(e.errno)"
    );
    let run = |extra: &[&str]| {
        let mut args: Vec<&str> = vec!["--read", "/usr"];
        args.extend(extra);
        args.extend(["--", "/usr/bin/python3", "-c", &probe]);
        sandbox_run(&args).stdout.trim().to_owned()
    };
    assert_eq!(run(&[]), "1");
    assert_eq!(run(&["--allow-abstract-unix-sockets"]), "0");
}

#[test]
fn the_environment_is_cleared_set_and_passed_on_request() {
    if !landlock() {
        return;
    }
    // `env` prints exactly the environment it was given (a shell would add its own PATH).
    let run = |extra: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sandbox_run"));
        command.args(extra);
        command.args(["--", "/usr/bin/env"]);
        command.env("SANDBOX_RUN_TEST", "kept");
        let out = command.output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let mut lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect();
        lines.sort();
        lines
    };
    let inherited = run(&[]);
    assert!(
        inherited.contains(&"SANDBOX_RUN_TEST=kept".to_owned()),
        "{inherited:?}"
    );
    assert!(
        inherited.iter().any(|l| l.starts_with("PATH=")),
        "{inherited:?}"
    );
    assert_eq!(run(&["--clear-env"]), Vec::<String>::new());
    assert_eq!(
        run(&[
            "--clear-env",
            "--env",
            "SANDBOX_RUN_TEST",
            "--env",
            "SET=a=b"
        ]),
        ["SANDBOX_RUN_TEST=kept", "SET=a=b"]
    );
}

#[test]
fn variables_in_paths_come_from_the_runners_environment() {
    if !landlock() {
        return;
    }
    let d = Dir::new("variables");
    let file = d.file("data/f.txt", "data\n");
    let mut command = Command::new(env!("CARGO_BIN_EXE_sandbox_run"));
    command
        .args([
            "--clear-env",
            "--read",
            "${SANDBOX_RUN_DATA}",
            "--",
            "cat",
            &file,
        ])
        .env("SANDBOX_RUN_DATA", d.path("data"));
    let out = command.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "data\n");
}

// --- Exit statuses and messages -----------------------------------------------------------

/// Started with its standard input and error closed, the runner opens `/dev/null` on them
/// before anything else, as the start of a Rust program does: no descriptor of its own becomes
/// a standard stream, and the program gets both on `/dev/null`.
#[test]
fn closed_standard_descriptors_are_opened_on_dev_null() {
    if !landlock() {
        return;
    }
    let mut command = Command::new(env!("CARGO_BIN_EXE_sandbox_run"));
    command.args([
        "--exec",
        "/usr/bin",
        "--",
        "sh",
        "-c",
        // One operand each: busybox's readlink (on the test kernels' images) takes only one.
        "readlink /proc/self/fd/0 && readlink /proc/self/fd/2",
    ]);
    // SAFETY: close is async-signal-safe; it closes the child's descriptors 0 and 2, between
    // fork and exec.
    unsafe {
        command.pre_exec(|| {
            libc::close(0);
            libc::close(2);
            Ok(())
        })
    };
    let ran = outcome(&mut command);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert_eq!(ran.stdout, "/dev/null\n/dev/null\n", "{ran:?}");
}

#[test]
fn every_exit_status() {
    if !landlock() {
        return;
    }
    assert_eq!(sandbox_run(&["--", "true"]).status, Some(0));
    assert_eq!(sandbox_run(&["--", "sh", "-c", "exit 7"]).status, Some(7));
    let ran = sandbox_run(&["--frobnicate", "--", "true"]);
    assert_eq!(ran.status, Some(125), "{ran:?}");
    assert!(
        ran.stderr.contains("unexpected argument '--frobnicate'"),
        "{ran:?}"
    );
    let ran = sandbox_run(&["--read", "/nonexistent/in", "--", "true"]);
    assert_eq!(ran.status, Some(125), "{ran:?}");
    assert!(
        ran.stderr
            .contains("path `/nonexistent/in` does not exist; create it, or use --ignore-missing"),
        "{ran:?}"
    );
    assert_eq!(
        sandbox_run(&[
            "--ignore-missing",
            "--read",
            "/nonexistent/in",
            "--",
            "true"
        ])
        .status,
        Some(0)
    );
    let ran = sandbox_run(&["--explicit", "--", "/usr/bin/true"]);
    assert_eq!(ran.status, Some(126), "{ran:?}");
    let ran = sandbox_run(&["--", "no-such-program-here"]);
    assert_eq!(ran.status, Some(127), "{ran:?}");
    assert!(
        ran.stderr
            .contains("`no-such-program-here` not found in PATH"),
        "{ran:?}"
    );
    // A program killed by signal N: the shell's 128+N (see a_plain_run_keeps_every_exit_status).
    let killed = format!(
        "{} -- sh -c 'kill -TERM $$'; echo $?",
        env!("CARGO_BIN_EXE_sandbox_run")
    );
    let ran = outcome(Command::new("sh").args(["-c", &killed]));
    assert_eq!(ran.stdout, "143\n", "{ran:?}");
    assert_eq!(sandbox_run(&["--read"]).status, Some(125));
    assert_eq!(sandbox_run(&[]).status, Some(125));
}

#[test]
fn messages_say_what_to_type() {
    let ran = sandbox_run(&["--read", "/", "--", "true"]);
    assert_eq!(ran.status, Some(125), "{ran:?}");
    assert!(
        ran.stderr.contains(
            "grants read on the whole filesystem; narrow it, or acknowledge it with --broad"
        ) && !ran.stderr.contains(".broad()"),
        "{ran:?}"
    );
    assert_eq!(
        sandbox_run(&["--read", "/", "--broad", "--", "true"]).status,
        Some(0)
    );
    let ran = sandbox_run(&["--preset", "dynamic_linker", "--", "true"]);
    assert_eq!(ran.status, Some(125));
    assert!(
        ran.stderr.contains(
            "no such preset; the presets are dynamic_loader, locale, dns, tls_roots, devices, cpu_info"
        ),
        "{ran:?}"
    );
    let ran = sandbox_run(&["--connect", "http", "--", "true"]);
    assert_eq!(ran.status, Some(125), "{ran:?}");
    assert!(
        ran.stderr
            .contains("expected a TCP port (1 to 65535), or * for any port"),
        "{ran:?}"
    );
    let ran = sandbox_run(&["--write", "/", "--connect", "*", "--", "true"]);
    assert_eq!(ran.status, Some(125), "{ran:?}");
    assert!(ran.stderr.contains("--connect *"), "{ran:?}");
    // A template made broad by its variable's value.
    let ran = outcome(
        Command::new(env!("CARGO_BIN_EXE_sandbox_run"))
            .args(["--write", "${SANDBOX_RUN_TREE}", "--", "true"])
            .env("SANDBOX_RUN_TREE", "/usr"),
    );
    assert_eq!(ran.status, Some(125), "{ran:?}");
    assert!(
        ran.stderr.contains("acknowledge it with --broad") && !ran.stderr.contains("`broad`"),
        "{ran:?}"
    );
}

#[test]
fn another_spelling_of_a_broad_path_is_refused_and_writes_nothing() {
    let canary = format!("/etc/sandbox-run-spelled-{}", std::process::id());
    let script = format!("echo x > {canary}");
    for spelling in ["//etc", "//etc/", "/etc/.", "///etc//"] {
        let ran = sandbox_run(&["--write", spelling, "--", "sh", "-c", &script]);
        assert_eq!(ran.status, Some(125), "{spelling}: {ran:?}");
        assert!(
            ran.stderr.contains(
                "`write = \"/etc\"` lets the code rewrite all of `/etc`; narrow it, or acknowledge it with --broad"
            ),
            "{spelling}: {ran:?}"
        );
        assert!(!Path::new(&canary).exists(), "{spelling}: {ran:?}");
    }
    // The home directory, named by its path in any spelling, is as broad as `$HOME`.
    let home = std::env::temp_dir().join(format!("sandbox-run-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let shown = home.display().to_string();
    for spelling in [shown.clone(), format!("/{shown}//")] {
        let ran = outcome(
            Command::new(env!("CARGO_BIN_EXE_sandbox_run"))
                .args(["--write", &spelling, "--", "true"])
                .env("HOME", &home),
        );
        assert_eq!(ran.status, Some(125), "{spelling}: {ran:?}");
        assert!(
            ran.stderr.contains(&format!(
                "lets the code rewrite all of the home directory (`$HOME` is `{shown}`); narrow it, or acknowledge it with --broad"
            )),
            "{spelling}: {ran:?}"
        );
    }
    std::fs::remove_dir(&home).unwrap();
}

/// The refusal of `--strict` needs a kernel older than the options (the library's own tests
/// simulate one); on this one, `--strict` runs, and says so.
#[test]
fn strict_runs_what_this_kernel_enforces_fully() {
    if !landlock_from(6, "`--strict` running (every class the options handle)") {
        return;
    }
    assert_eq!(sandbox_run(&["--strict", "--", "true"]).status, Some(0));
    let ran = sandbox_run(&["--strict", "--print-policy", "--", "true"]);
    assert!(
        ran.stdout.contains("  mode     strict\n") && ran.stdout.contains("fully enforced"),
        "{ran:?}"
    );
}

/// On a kernel that cannot enforce everything, every run says so on standard error: what is
/// not enforced, not the optional paths of the automatic `dynamic_loader` preset that are not
/// on this machine (the loaders of other architectures). The runner runs in this test's own
/// process, again, with an older kernel simulated (ABI 2, as Linux 6.1).
#[test]
fn on_an_older_kernel_the_status_line_says_what_is_not_enforced() {
    const NAME: &str = "on_an_older_kernel_the_status_line_says_what_is_not_enforced";
    if !landlock_from(2, "ABI 2 simulated") {
        return;
    }
    if std::env::var("SANDBOX_RUN_TEST_CHILD").as_deref() == Ok(NAME) {
        landlock_runtime::__private::simulate_older_kernel(2);
        let args = [
            "sandbox_run",
            "--read",
            "/etc",
            "--",
            "cat",
            "/etc/hostname",
        ];
        let status = sandbox_run::main_with(args.map(Into::into));
        std::process::exit(status.into());
    }
    let ran = outcome(
        Command::new(std::env::current_exe().unwrap())
            .args([NAME, "--exact", "--nocapture", "--test-threads=1"])
            .env("SANDBOX_RUN_TEST_CHILD", NAME),
    );
    assert_eq!(ran.status, Some(0), "{ran:?}");
    // After the test harness's own lines.
    let hostname = std::fs::read_to_string("/etc/hostname").unwrap();
    assert!(ran.stdout.ends_with(&format!(" ... {hostname}")), "{ran:?}");
    let status: Vec<&str> = ran
        .stderr
        .lines()
        .filter(|l| l.starts_with("landlock-sandbox: "))
        .collect();
    let [line] = status[..] else {
        panic!("one status line: {ran:?}")
    };
    let (site, said) = line
        .strip_prefix("landlock-sandbox: sandbox `sandbox_run` (")
        .and_then(|rest| rest.split_once(") is "))
        .unwrap_or_else(|| panic!("{line}"));
    assert!(site.starts_with("sandbox-run/src/"), "{line}");
    assert_eq!(
        said,
        "partly enforced (Landlock ABI 2): not enforced: filesystem rights truncate, ioctl_dev, TCP bind, TCP connect, signal scope, abstract unix socket scope"
    );
}

/// What the status lines of a run say, each past the runner's site: none on a kernel that
/// enforces all of the policy.
fn status_of(ran: &Ran) -> Vec<String> {
    ran.stderr
        .lines()
        .filter_map(|l| l.strip_prefix("landlock-sandbox: sandbox `sandbox_run` ("))
        .map(|rest| {
            rest.split_once(") is ")
                .map_or(rest, |(_, said)| said)
                .to_owned()
        })
        .collect()
}

/// The status lines, past the site, of a run of a policy that handles every class and grants
/// no port, at `abi`: none from ABI 6, which enforces all of it.
fn expected_status(abi: u32) -> Vec<String> {
    if abi >= 6 {
        vec![]
    } else {
        vec![status_at(abi)]
    }
}

/// On the running kernel, whichever it is (`kernels/run` runs this on real kernels without
/// Landlock, at ABI 2 and at ABI 6): a plain run runs and says what the kernel does not
/// enforce; `--strict` exits 125 unless the kernel enforces all of it; `--log-denials` exits
/// 125 before ABI 7, which is the first to report denials, and says so.
#[test]
fn the_runner_answers_as_this_kernel_enforces() {
    let abi = kernel_abi();
    let ran = sandbox_run(&["--read", "/etc", "--", "cat", "/etc/hostname"]);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert_eq!(
        ran.stdout,
        std::fs::read_to_string("/etc/hostname").unwrap(),
        "{ran:?}"
    );
    let said = status_of(&ran);
    assert_eq!(said, expected_status(abi), "{ran:?}");

    let strict = sandbox_run(&["--strict", "--read", "/etc", "--", "cat", "/etc/hostname"]);
    if abi >= 6 {
        assert_eq!(strict.status, Some(0), "{strict:?}");
    } else {
        assert_eq!(strict.status, Some(125), "{strict:?}");
        assert_eq!(strict.stdout, "", "the program must not run: {strict:?}");
        assert!(strict.stderr.contains(&status_at(abi)), "{strict:?}");
    }

    if abi < 7 {
        let watched = sandbox_run(&["--log-denials", "--read", "/etc", "--", "true"]);
        assert_eq!(watched.status, Some(125), "{watched:?}");
        let why = if abi == 0 {
            "this kernel has no Landlock, and denials are reported from Landlock ABI 7 (Linux 6.15)"
                .to_owned()
        } else {
            format!(
                "this kernel has Landlock ABI {abi}, and denials are reported from ABI 7 (Linux 6.15)"
            )
        };
        assert!(watched.stderr.contains(&why), "{watched:?}");
    }
}

#[test]
fn help_lists_every_option_the_exit_statuses_and_examples() {
    let ran = sandbox_run(&["--help"]);
    assert_eq!(ran.status, Some(0));
    for option in [
        "--read",
        "--write",
        "--exec",
        "--connect",
        "--bind",
        "--preset",
        "--allow-signals",
        "--allow-abstract-unix-sockets",
        "--strict",
        "--broad",
        "--explicit",
        "--ignore-missing",
        "--clear-env",
        "--env",
        "--print-policy",
        "--log-denials",
        "--learn",
        "--expect-status",
        "--suggest",
        "--config",
        "--export",
        "--enable-audit",
        "--help",
        "--version",
    ] {
        assert!(ran.stdout.contains(option), "{option} is not in --help");
    }
    for status in ["125 ", "126 ", "127 ", "128+N", "With --learn: 0 when"] {
        assert!(ran.stdout.contains(status), "{status}");
    }
    // --learn says that the program runs unsandboxed once.
    assert!(
        ran.stdout
            .contains("runs\n          PROGRAM several times, once without a sandbox")
            || ran
                .stdout
                .contains("runs PROGRAM several times, once without a sandbox"),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("ld.so FILE"), "the loader's reach");
    assert_eq!(
        ran.stdout.matches("\n  sandbox_run ").count(),
        4,
        "four examples"
    );
    assert_eq!(sandbox_run(&["--version"]).status, Some(0));
}

// --- Denials ------------------------------------------------------------------------------

#[test]
fn log_denials_prints_the_commands_denials_with_the_option_that_allows_them() {
    if !reports_denials() || !audit() {
        return;
    }
    let ran = sandbox_run(&["--log-denials", "--", "cat", "/etc/hostname"]);
    assert_eq!(ran.status, Some(1), "{ran:?}");
    // The line is written whole; `cat` may write its own message in pieces around it.
    let at = ran
        .stderr
        .find("sandbox_run: denied read_file on /etc/hostname (pid ")
        .unwrap_or_else(|| panic!("{ran:?}"));
    let line = ran.stderr[at..].lines().next().unwrap();
    assert!(
        line.ends_with("/usr/bin/cat): allow it with --read /etc/hostname"),
        "{ran:?}"
    );
}

/// The lines of `--log-denials` in `stderr`.
fn denial_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter_map(|l| l.find("sandbox_run: denied").map(|at| &l[at..]))
        .collect()
}

/// The median of three timed runs of the runner with `args` in `dir`, and the last run.
fn median_of_three(args: &[&str], dir: &Path) -> (std::time::Duration, Ran) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        let started = std::time::Instant::now();
        last = Some(sandbox_run_in(args, Some(dir)));
        times.push(started.elapsed());
    }
    times.sort();
    (times[1], last.unwrap())
}

/// The program's last act before it exits is the denied open: its denial is still reported,
/// once, and the runner does not wait a fixed time for it (it waited 300 ms after every run);
/// the record the runner causes itself to know the stream has caught up never shows.
#[test]
fn a_denial_just_before_the_program_exits_is_reported_without_a_fixed_wait() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("last-act");
    let secret = d.file("secret", "s\n");
    let script = format!("<{secret}");
    let (took, ran) = median_of_three(&["--log-denials", "--", "sh", "-c", &script], &d.0);
    assert_eq!(ran.status, Some(2), "{ran:?}");
    let lines = denial_lines(&ran.stderr);
    assert_eq!(lines.len(), 1, "{ran:?}");
    assert!(
        lines[0].starts_with(&format!("sandbox_run: denied read_file on {secret} (pid "))
            && lines[0].ends_with(&format!("/usr/bin/dash): allow it with --read {secret}")),
        "{ran:?}"
    );
    assert!(!ran.stderr.contains("signal"), "{ran:?}");
    assert!(!ran.stderr.contains("may be missing"), "{ran:?}");
    assert!(took < std::time::Duration::from_millis(250), "{took:?}");
}

/// The runner, started so that the kernel logs no denial of a domain created beneath it
/// (`landlock_restrict_self(-1, LANDLOCK_RESTRICT_SELF_LOG_SUBDOMAINS_OFF)`, which root may
/// make without a ruleset): neither the program's denials nor the record the runner causes to
/// know the stream has caught up ever come.
fn sandbox_run_unlogged(args: &[&str], dir: &Path) -> Ran {
    use std::os::unix::process::CommandExt;
    const LOG_SUBDOMAINS_OFF: libc::c_uint = 4;
    let mut command = Command::new(env!("CARGO_BIN_EXE_sandbox_run"));
    command.args(args).current_dir(dir);
    // SAFETY: between fork and exec the closure makes one raw system call on integers.
    unsafe {
        command.pre_exec(|| {
            if libc::syscall(libc::SYS_landlock_restrict_self, -1, LOG_SUBDOMAINS_OFF) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    };
    outcome(&mut command)
}

/// When the records do not catch up within the bound, the runner says that denials may be
/// missing, and a learned policy is not verified: nothing is claimed complete.
#[test]
fn when_the_records_do_not_catch_up_denials_may_be_missing_and_nothing_is_verified() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("unlogged");
    let secret = d.file("secret", "s\n");
    // Denied, and ends with 0 all the same: only the denial tells that a grant is missing.
    let script = format!("<{secret}; true");
    let ran = sandbox_run_unlogged(&["--log-denials", "--", "sh", "-c", &script], &d.0);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert!(denial_lines(&ran.stderr).is_empty(), "{ran:?}");
    assert!(
        ran.stderr.contains("sandbox_run: the kernel's audit records did not catch up within 2 s of the program's end: denials may be missing"),
        "{ran:?}"
    );
    let ran = sandbox_run_unlogged(&["--learn", "--", "sh", "-c", &script], &d.0);
    assert_eq!(ran.status, Some(1), "{ran:?}");
    assert!(
        ran.stdout.contains("run 1: 0 denials, status 0: 0 grants added, 0 covered by them (the kernel's audit records did not catch up within 2 s of the program's end: denials may be missing)")
            && ran.stdout.contains("final run: the kernel's audit records did not catch up")
            && ran.stdout.contains("final run: 0 denials a grant could allow, status 0 (without sandbox: 0): NOT verified"),
        "{ran:?}"
    );
}

/// Resolving a name without `--preset dns`: the resolver's files are denied, and each is
/// answered with the preset, by `--log-denials` as by learning, never with `--read` per file.
#[test]
fn a_denied_resolver_file_is_answered_with_the_dns_preset() {
    if !reports_denials() || !audit() {
        return;
    }
    let ran = sandbox_run(&["--log-denials", "--", "getent", "hosts", "localhost"]);
    assert_eq!(ran.status, Some(2), "getent: not found: {ran:?}");
    let lines: Vec<&str> = ran
        .stderr
        .lines()
        .filter(|l| l.starts_with("sandbox_run: denied "))
        .collect();
    let hosts = lines
        .iter()
        .find(|l| l.starts_with("sandbox_run: denied read_file on /etc/hosts (pid "))
        .unwrap_or_else(|| panic!("{ran:?}"));
    assert!(
        hosts.ends_with("/usr/bin/getent): allow it with --preset dns"),
        "{ran:?}"
    );
    for line in &lines {
        assert!(!line.contains("--read"), "{ran:?}");
    }
    let d = Dir::new("learn-dns");
    let line = learn(&["getent", "hosts", "localhost"], &d.0);
    assert_eq!(
        grants(&line),
        [("--exec".to_owned(), "/usr/bin/getent".to_owned())],
        "{line}"
    );
    let presets = words(&line)
        .windows(2)
        .find(|w| w[0] == "--preset")
        .map(|w| w[1].clone());
    assert!(
        presets.is_some_and(|p| p.split(',').any(|p| p == "dns")),
        "{line}"
    );
}

/// A shell line for a command whose runner is being forged against: it has `forger` make its
/// denials with the runner's marks (the shell's parent is the runner), and waits for them.
fn wait_for_forger(forger: &forger::Forger) -> String {
    format!(
        "echo $PPID > '{}'; read n < '{}'",
        forger.go(),
        forger.done()
    )
}

#[test]
fn log_denials_prints_no_denial_another_process_causes() {
    if !reports_denials() || !audit() {
        return;
    }
    // As another user, and not a child of the runner.
    let forger = forger::Forger::start("log-denials", Some(65534));
    let dir = forger.dir.to_str().unwrap().to_owned();
    // Then the command's own denial, after the forger's.
    let script = format!("{}; read x < /etc/hostname", wait_for_forger(&forger));
    let ran = sandbox_run(&[
        "--log-denials",
        "--write",
        &dir,
        "--",
        "/bin/sh",
        "-c",
        &script,
    ]);
    assert!(
        ran.stderr
            .contains("sandbox_run: denied read_file on /etc/hostname (pid "),
        "{ran:?}"
    );
    assert!(!ran.stderr.contains("make_dir"), "{ran:?}");
    let said = forger.stop();
    assert!(said.ends_with(": 40 of 40 denied\n"), "{said}");
}

/// In a PID namespace of its own, the runner's process ids are not those the kernel's audit
/// records give: its denials cannot be told from others', so watching them is refused with the
/// reason, never silently empty (a learning would then call a policy verified on no evidence).
#[test]
fn denials_are_not_watched_from_a_pid_namespace_of_its_own() {
    if !reports_denials() || !audit() || !root() {
        return;
    }
    let d = Dir::new("pid-namespace");
    for options in [
        &["--log-denials"][..],
        &["--learn", "--expect-status", "0"][..],
    ] {
        let ran = outcome(
            Command::new("unshare")
                .args(["--pid", "--fork", "--mount-proc"])
                .arg(env!("CARGO_BIN_EXE_sandbox_run"))
                .args(options)
                .args(["--", "sh", "-c", "cat /etc/hostname; exit 0"])
                .current_dir(&d.0),
        );
        assert_eq!(ran.status, Some(125), "{options:?}: {ran:?}");
        assert!(
            ran.stderr.contains(
                "denials cannot be watched here: this process is not in the initial PID namespace"
            ),
            "{options:?}: {ran:?}"
        );
    }
}

#[test]
fn learning_learns_no_denial_another_process_causes() {
    if !reports_denials() || !audit() {
        return;
    }
    let forger = forger::Forger::start("learn", Some(65534));
    let dir = forger.dir.to_str().unwrap().to_owned();
    let script = wait_for_forger(&forger);
    let ran = learning(&["--write", &dir], &["/bin/sh", "-c", &script], &forger.dir);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    let target = forger.target().to_str().unwrap().to_owned();
    assert!(!ran.stdout.contains(&target), "{ran:?}");
    assert!(
        ran.stdout
            .contains("final run: 0 denials a grant could allow"),
        "{ran:?}"
    );
    // Every run of the command, the one without sandbox included, was forged against.
    let said = forger.stop();
    assert!(
        said.lines().count() >= 3 && said.lines().all(|l| l.ends_with(": 40 of 40 denied")),
        "{said}"
    );
}

#[test]
fn suggest_turns_a_learning_file_into_the_changes_to_review() {
    let d = Dir::new("suggest");
    // One line as a program run with LANDLOCK_SANDBOX_LEARN=FILE writes it (tests/denials.rs
    // in the workspace records a real one).
    let file = d.file(
        "learned.jsonl",
        r#"{"sandbox":{"function":"app::worker","file":"src/worker.rs","line":12},"accesses":["read_file"],"object":"/etc/hosts","allow":[{"grant":"read","path":"/etc/hosts"}],"pid":7,"exe":"/usr/bin/app"}
"#,
    );
    let ran = sandbox_run(&["--suggest", &file]);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert_eq!(
        ran.stdout,
        "widening   app::worker: grants read on `/etc/hosts`\n"
    );
    let missing = sandbox_run(&["--suggest", &d.path("none.jsonl")]);
    assert_eq!(missing.status, Some(125), "{missing:?}");
    assert!(
        missing.stderr.contains("none.jsonl: No such file"),
        "{missing:?}"
    );
}

/// Learns a policy for `command` (run in `dir`): the options line it ends with, checked to be
/// verified.
fn learn(command: &[&str], dir: &Path) -> String {
    learn_with(&[], command, dir)
}

/// [`learn`], with these options before `--learn`.
fn learn_with(options: &[&str], command: &[&str], dir: &Path) -> String {
    let ran = learning(options, command, dir);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert!(
        ran.stdout.contains("(without sandbox: 0): verified"),
        "{ran:?}"
    );
    assert!(
        ran.stdout.contains("#[sandbox(") && ran.stdout.contains("policy!("),
        "{ran:?}"
    );
    last_line(&ran)
}

/// A learning run, whatever its outcome.
fn learning(options: &[&str], command: &[&str], dir: &Path) -> Ran {
    let mut args = options.to_vec();
    args.push("--learn");
    args.push("--");
    args.extend(command);
    sandbox_run_in(&args, Some(dir))
}

/// The options line a learning run ends with.
fn last_line(ran: &Ran) -> String {
    let last = ran.stdout.lines().last().unwrap_or_default().to_owned();
    assert!(
        last.starts_with("sandbox_run --explicit ") && last.ends_with(" --"),
        "{ran:?}"
    );
    last
}

/// A line of a POSIX shell split into its words, as the shell reads them: plain, in single
/// quotes, and `$'...'` with `\xNN` and `\'` escapes (what the runner prints).
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<Vec<u8>> = None;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b' ' => {
                words.extend(
                    word.take()
                        .map(|w| String::from_utf8_lossy(&w).into_owned()),
                );
            }
            b'\'' => {
                let end = i + 1 + line[i + 1..].find('\'').unwrap();
                word.get_or_insert_default()
                    .extend_from_slice(&bytes[i + 1..end]);
                i = end;
            }
            b'$' if bytes.get(i + 1) == Some(&b'\'') => {
                let w = word.get_or_insert_default();
                i += 2;
                while bytes[i] != b'\'' {
                    if bytes[i] == b'\\' && bytes[i + 1] == b'x' {
                        w.push(u8::from_str_radix(&line[i + 2..i + 4], 16).unwrap());
                        i += 4;
                    } else if bytes[i] == b'\\' {
                        w.push(bytes[i + 1]);
                        i += 2;
                    } else {
                        w.push(bytes[i]);
                        i += 1;
                    }
                }
            }
            b'\\' => {
                word.get_or_insert_default().push(bytes[i + 1]);
                i += 1;
            }
            b => word.get_or_insert_default().push(b),
        }
        i += 1;
    }
    words.extend(word.map(|w| String::from_utf8_lossy(&w).into_owned()));
    words
}

/// The grants of an options line, as (option, path) pairs.
fn grants(line: &str) -> Vec<(String, String)> {
    words(line)
        .windows(2)
        .filter(|w| ["--read", "--write", "--exec"].contains(&w[0].as_str()))
        .map(|w| (w[0].clone(), w[1].clone()))
        .collect()
}

/// Runs the options line a learning printed, typed back, with `command`, in `dir`.
fn rerun(line: &str, command: &[&str], dir: &Path) -> Ran {
    let words = words(line);
    let mut args: Vec<&str> = words.iter().skip(1).map(String::as_str).collect();
    args.extend(command);
    sandbox_run_in(&args, Some(dir))
}

/// Learning a program whose last act is a denied open learns it, in runs that wait for no
/// fixed time (each waited 300 ms: four runs here took over 900 ms), and `--export json` gives
/// the learned policy as a landlockconfig document that `--config` runs as it is.
#[test]
fn learning_a_denial_just_before_the_program_exits_exports_a_config_that_runs() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("learn-last-act");
    let secret = d.file("secret", "s\n");
    let script = format!("<{secret}");
    let command = ["sh", "-c", script.as_str()];
    let (took, ran) = median_of_three(&["--learn", "--", "sh", "-c", &script], &d.0);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert!(
        ran.stdout
            .contains("run 1: 1 denials, status 2: 1 grants added")
            && ran.stdout.contains("(without sandbox: 0): verified"),
        "{ran:?}"
    );
    assert!(
        grants(&last_line(&ran)).contains(&("--read".to_owned(), secret.clone())),
        "{ran:?}"
    );
    assert!(took < std::time::Duration::from_millis(600), "{took:?}");

    let exported = learning(&["--export", "json"], &command, &d.0);
    assert_eq!(exported.status, Some(0), "{exported:?}");
    let document: serde_json::Value =
        serde_json::from_str(&exported.stdout).unwrap_or_else(|e| panic!("{e}: {exported:?}"));
    assert!(document.is_object(), "{exported:?}");
    assert!(exported.stdout.contains(&secret), "{exported:?}");
    // The report of the learning goes to standard error: standard output is the document.
    assert!(exported.stderr.contains("verified"), "{exported:?}");
    let config = d.file("learned.json", &exported.stdout);
    let mut args = vec!["--config", config.as_str(), "--log-denials", "--"];
    args.extend(command);
    let ran = sandbox_run_in(&args, Some(&d.0));
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert!(denial_lines(&ran.stderr).is_empty(), "{ran:?}");
}

#[test]
fn learning_cat_grants_the_file_and_nothing_else() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("learn-cat");
    let input = d.file("in/notes.txt", "notes\n");
    d.file("in/other.txt", "other\n");
    let line = learn(&["cat", &input], &d.0);
    assert_eq!(
        grants(&line),
        [
            ("--read".to_owned(), input.clone()),
            ("--exec".to_owned(), "/usr/bin/cat".to_owned()),
        ],
        "{line}"
    );
    assert!(line.contains("--preset dynamic_loader"), "{line}");
    // Rerun exactly as printed: clean.
    let ran = rerun(&line, &["cat", &input], &d.0);
    assert_eq!(
        (ran.status, ran.stdout.as_str()),
        (Some(0), "notes\n"),
        "{ran:?}"
    );
}

#[test]
fn learning_sort_with_an_output_file_grants_its_directory_for_creating_it() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("learn-sort");
    let input = d.file("in/data.txt", "b\na\n");
    std::fs::create_dir_all(d.at("out")).unwrap();
    let output = d.path("out/sorted.txt");
    let line = learn(&["sort", &input, "-o", &output], &d.0);
    let grants = grants(&line);
    assert!(grants.contains(&("--read".into(), input.clone())), "{line}");
    assert!(
        grants.contains(&("--write".into(), d.path("out"))),
        "{line}"
    );
    assert!(
        grants
            .iter()
            .all(|(_, p)| p == &input || p == &d.path("out") || p == "/usr/bin/sort"),
        "nothing the program did not touch: {line}"
    );
    assert_eq!(
        std::fs::read_to_string(d.at("out/sorted.txt")).unwrap(),
        "a\nb\n"
    );
}

#[test]
fn learning_a_shell_pipeline_covers_every_program_in_it() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("learn-sh");
    let input = d.file("words.txt", "b\na\nb\n");
    let pipeline = format!("cat {input} | sort | uniq -c > /dev/null");
    let line = learn(&["sh", "-c", &pipeline], &d.0);
    let grants = grants(&line);
    for program in ["/usr/bin/cat", "/usr/bin/sort", "/usr/bin/uniq"] {
        assert!(
            grants.contains(&("--exec".into(), program.into())),
            "{program}: {line}"
        );
    }
    assert!(grants.contains(&("--read".into(), input.clone())), "{line}");
    assert!(
        line.contains("devices"),
        "/dev/null through the devices preset: {line}"
    );
}

#[test]
fn learning_python_importing_modules_reruns_clean() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("learn-python");
    let command = [
        "/usr/bin/python3",
        "-c",
        "import json, csv; print(json.dumps([1]))",
    ];
    let line = learn(&command, &d.0);
    assert!(line.contains("--exec /usr/bin/python3"), "{line}");
    let ran = rerun(&line, &command, &d.0);
    assert_eq!(
        (ran.status, ran.stdout.as_str(), ran.stderr.as_str()),
        (Some(0), "[1]\n", ""),
        "{line}"
    );
}

#[test]
fn learning_tar_creating_an_archive() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("learn-tar");
    d.file("tree/a.txt", "a\n");
    d.file("tree/sub/b.txt", "b\n");
    std::fs::create_dir_all(d.at("out")).unwrap();
    let archive = d.path("out/tree.tar");
    let line = learn(&["tar", "-cf", &archive, "-C", &d.path(""), "tree"], &d.0);
    let grants = grants(&line);
    assert!(
        grants.contains(&("--write".into(), d.path("out"))),
        "{line}"
    );
    assert!(
        grants.iter().all(|(_, p)| p.starts_with(&d.path("tree"))
            || p == &d.path("out")
            || p == d.path("").trim_end_matches('/')
            || p.starts_with("/usr/bin/")
            || p.starts_with("/etc/")
            || p == "/proc/filesystems"),
        "nothing the program did not touch: {line}"
    );
    // The printed options, typed back, run the command.
    std::fs::remove_file(d.at("out/tree.tar")).unwrap();
    let tree = d.path("");
    let ran = rerun(&line, &["tar", "-cf", &archive, "-C", &tree, "tree"], &d.0);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert!(d.at("out/tree.tar").exists());
}

// --- landrun's own cases ------------------------------------------------------------------

/// A server on this machine that answers every HTTP request with `200 OK`, for the rest of
/// the test process: its port.
fn http_server() -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n");
        }
    });
    port
}

/// landrun's test suite (its `test.sh`), on the same fixture, with landrun's own path options
/// (`--ro`, `--rox`, `--rw`, `--rwx`, which this runner accepts), its others written as this
/// runner's, and `--explicit`, since landrun grants nothing by itself. Where landrun exits 1
/// because the kernel denied an exec, this runner says 126, and 125 for a missing path. Every
/// case but one is here: `--unix` needs Landlock ABI 9. The network cases use a server on this
/// machine instead of the Internet.
#[test]
fn landruns_cases() {
    if !landlock() {
        return;
    }
    let d = Dir::new("landrun");
    d.file("ro/test.txt", "readonly content\n");
    d.file("ro/ro_nested_ro_1/test.txt", "readonly content\n");
    std::fs::create_dir_all(d.at("ro/ro_nested_rw_1")).unwrap();
    d.file("rw/test.txt", "readwrite content\n");
    d.file("nested/path/deep/test.txt", "nested content\n");
    d.script("exec/test.sh", "echo 'executable content'");
    d.script("exec/test2.sh", "echo 'executable content'");
    d.script(
        "rw/rw_script.sh",
        "echo 'this script is in a read-write directory'",
    );
    let base = ["--explicit", "--rox", "/usr", "--ro", "/lib,/lib64"];
    let cases: &[(&str, &[&str], &[&str], i32)] = &[
        (
            "read-only access to file",
            &["--ro", "ro"],
            &["cat", "ro/test.txt"],
            0,
        ),
        (
            "read-only access to nested file",
            &["--ro", "ro"],
            &["cat", "ro/ro_nested_ro_1/test.txt"],
            0,
        ),
        (
            "write access to a writable directory nested in a read-only one",
            &["--ro", "ro", "--rw", "ro/ro_nested_rw_1"],
            &["touch", "ro/ro_nested_rw_1/created_file"],
            0,
        ),
        (
            "read-write access to file",
            &["--ro", "ro", "--rw", "rw"],
            &["touch", "rw/new.txt"],
            0,
        ),
        (
            "no write access to read-only directory",
            &["--ro", "ro", "--rw", "rw"],
            &["touch", "ro/new.txt"],
            1,
        ),
        (
            "execute access with exec",
            &["--rox", "exec"],
            &["exec/test.sh"],
            0,
        ),
        (
            "execute access with exec on file",
            &["--rox", "exec/test.sh"],
            &["exec/test.sh"],
            0,
        ),
        (
            "exec on a file is not exec on its sibling",
            &["--rox", "exec/test.sh"],
            &["exec/test2.sh"],
            126,
        ),
        (
            "no execute access with just read",
            &["--ro", "exec"],
            &["exec/test.sh"],
            126,
        ),
        (
            "execute access in read-write directory",
            &["--rwx", "rw"],
            &["rw/rw_script.sh"],
            0,
        ),
        (
            "no execute access in read-write directory without exec",
            &["--rw", "rw"],
            &["rw/rw_script.sh"],
            126,
        ),
        (
            "multiple read paths",
            &["--ro", "ro", "--ro", "nested/path/deep"],
            &["cat", "nested/path/deep/test.txt"],
            0,
        ),
        (
            "comma-separated paths",
            &["--ro", "/lib,/lib64,ro"],
            &["cat", "ro/test.txt"],
            0,
        ),
        ("simple system command", &["--ro", "/etc"], &["whoami"], 0),
        (
            "non-existent read-only path",
            &["--ro", "/nonexistent/path"],
            &["ls"],
            125,
        ),
        (
            "ignore a missing path",
            &[
                "--ignore-missing",
                "--ro",
                "ro",
                "--ro",
                "/nonexistent/path",
            ],
            &["cat", "ro/test.txt"],
            0,
        ),
        (
            "file redirection",
            &["--rw", "rw", "--env", "PATH"],
            &["bash", "-c", "ls /usr > rw/output.txt && cat rw/output.txt"],
            0,
        ),
        (
            "mixed permissions",
            &["--rox", "exec", "--rwx", "rw", "--env", "PATH"],
            &[
                "bash",
                "-c",
                "exec/test.sh > rw/output.txt && cat rw/output.txt",
            ],
            0,
        ),
        // A read-only rule beneath an exec one takes nothing away (rules add up); the case
        // below without `--rox /usr` shows that the read-only rule alone does not run `id`.
        (
            "execute from read-only paths",
            &["--ro", "/usr/bin"],
            &["/usr/bin/id"],
            0,
        ),
    ];
    for (name, options, command, expected) in cases {
        let mut args: Vec<&str> = base.to_vec();
        args.extend(*options);
        args.push("--");
        args.extend(*command);
        let ran = sandbox_run_in(&args, Some(&d.0));
        assert_eq!(ran.status, Some(*expected), "{name}: {args:?}\n{ran:?}");
    }
    // The cases with landrun's other options, written whole. `--rox /` is `--exec / --broad`
    // here: a grant of the whole filesystem is acknowledged.
    let server = http_server();
    let url = format!("http://127.0.0.1:{server}/");
    let port = server.to_string();
    let curl = ["curl", "-s", "--connect-timeout", "2", url.as_str()];
    let whole: &[(&str, &[&str], &[&str], i32)] = &[
        (
            "write access to a nested file (created by an earlier case)",
            &[
                "--explicit",
                "--rox",
                "/usr",
                "--ro",
                "/lib,/lib64,ro",
                "--rw",
                "ro/ro_nested_rw_1/created_file",
            ],
            &["touch", "ro/ro_nested_rw_1/created_file"],
            0,
        ),
        (
            "--add-exec: the program is granted exec (the default here)",
            &[
                "--rox",
                "/usr",
                "--ro",
                "/lib,/lib64",
                "--rox",
                "exec/test.sh",
            ],
            &["exec/test2.sh"],
            0,
        ),
        (
            "--add-exec --ldd: the program and its loader",
            &[],
            &["true"],
            0,
        ),
        (
            "directory traversal with root access",
            &["--explicit", "--rox", "/", "--broad"],
            &["ls", "/usr"],
            0,
        ),
        (
            "deep directory traversal",
            &["--explicit", "--rox", "/", "--broad"],
            &["ls", "nested/path/deep"],
            0,
        ),
        (
            "system command with arguments",
            &["--explicit", "--rox", "/", "--broad"],
            &["ls", "-la", "/usr/bin"],
            0,
        ),
        (
            "process creation with pipe",
            &[
                "--explicit",
                "--rox",
                "/",
                "--broad",
                "--clear-env",
                "--env",
                "PATH",
            ],
            &["bash", "-c", "ls /usr | grep bin"],
            0,
        ),
        (
            "passing a custom environment variable",
            &[
                "--explicit",
                "--rox",
                "/usr",
                "--ro",
                "/",
                "--broad",
                "--clear-env",
                "--env",
                "CUSTOM_VAR=custom_value",
                "--env",
                "PATH",
            ],
            &["bash", "-c", "echo $CUSTOM_VAR | grep custom_value"],
            0,
        ),
        (
            "a read-only path alone does not execute",
            &[
                "--explicit",
                "--ro",
                "/usr/bin,/lib,/lib64",
                "--preset",
                "dynamic_loader",
            ],
            &["/usr/bin/id"],
            126,
        ),
        (
            "root path traversal regression",
            &["--explicit", "--rox", "/usr"],
            &["/usr/bin/ls", "/usr"],
            0,
        ),
        (
            "unrestricted filesystem access",
            &["--rw", "/", "--rox", "/", "--broad"],
            &["ls", "/usr"],
            0,
        ),
        (
            "missing path without --ignore-missing still fails",
            &["--explicit", "--rox", "/usr", "--ro", "/nonexistent/path"],
            &["cat", "ro/test.txt"],
            125,
        ),
        (
            "unrestricted IPC scoping",
            &[
                "--explicit",
                "--rox",
                "/usr",
                "--ro",
                "/lib,/lib64,ro",
                "--allow-signals",
                "--allow-abstract-unix-sockets",
            ],
            &["cat", "ro/test.txt"],
            0,
        ),
        // Its network cases, against a server on this machine instead of the Internet; curl's
        // 7 is "could not connect".
        (
            "TCP connection without permission",
            &["--explicit", "--rox", "/usr", "--ro", "/", "--broad"],
            &curl,
            7,
        ),
        (
            "TCP connection with permission",
            &[
                "--explicit",
                "--rox",
                "/usr",
                "--ro",
                "/",
                "--broad",
                "--connect",
                &port,
            ],
            &curl,
            0,
        ),
        (
            "unrestricted network access",
            &["--explicit", "--rox", "/", "--broad", "--connect", "*"],
            &curl,
            0,
        ),
        (
            "restricted network access",
            &["--explicit", "--rox", "/", "--broad"],
            &curl,
            7,
        ),
    ];
    // Before ABI 4 the kernel has no TCP rule: curl connects where landrun's case expects 7,
    // and the run says on standard error that TCP connect is not enforced.
    let abi = kernel_abi();
    for (name, options, command, expected) in whole {
        let mut args: Vec<&str> = options.to_vec();
        args.push("--");
        args.extend(*command);
        let ran = sandbox_run_in(&args, Some(&d.0));
        if *expected == 7 && abi < 4 {
            assert_eq!(ran.status, Some(0), "{name}: {args:?}\n{ran:?}");
            assert_eq!(
                status_of(&ran),
                vec![status_at(abi)],
                "{name}: {args:?}\n{ran:?}"
            );
            continue;
        }
        assert_eq!(ran.status, Some(*expected), "{name}: {args:?}\n{ran:?}");
    }
    // Its environment isolation case: under --clear-env the variable is not passed.
    let mut command = Command::new(env!("CARGO_BIN_EXE_sandbox_run"));
    command
        .args([
            "--explicit",
            "--rox",
            "/usr",
            "--ro",
            "/",
            "--broad",
            "--clear-env",
        ])
        .args([
            "--",
            "/usr/bin/bash",
            "-c",
            "[[ -z $TEST_ENV_VAR ]] && echo \"No env var\" || echo $TEST_ENV_VAR",
        ])
        .env("TEST_ENV_VAR", "test_value_123");
    let out = command.output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "No env var\n");
    // landrun's "no configuration" and "restricted filesystem access": nothing granted, nothing
    // runs.
    assert_eq!(
        sandbox_run(&["--explicit", "--", "ls", "/"]).status,
        Some(126)
    );
    // Its environment cases: nothing passed under --clear-env, and one variable on request.
    let mut command = Command::new(env!("CARGO_BIN_EXE_sandbox_run"));
    command
        .args([
            "--clear-env",
            "--env",
            "TEST_ENV_VAR",
            "--rox",
            "/usr",
            "--ro",
            "/lib,/lib64",
        ])
        .args(["--", "/usr/bin/bash", "-c", "echo $TEST_ENV_VAR"])
        .env("TEST_ENV_VAR", "test_value_123");
    let out = command.output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "test_value_123\n");
}

// --- Options that conflict, paths with commas ----------------------------------------------

#[test]
fn options_that_would_ignore_one_another_are_refused() {
    for args in [
        &["--learn", "--print-policy", "--", "true"][..],
        &["--learn", "--log-denials", "--", "true"],
        &[
            "--learn",
            "--print-policy",
            "--export",
            "json",
            "--",
            "true",
        ],
        &["--print-policy", "--log-denials", "--", "true"],
        &["--suggest", "/nonexistent.jsonl", "--", "true"],
        &["--suggest", "/nonexistent.jsonl", "--learn"],
        &["--learn-directories", "--", "true"],
    ] {
        let ran = sandbox_run(args);
        assert_eq!(ran.status, Some(125), "{args:?}: {ran:?}");
        assert!(
            ran.stderr.contains("cannot be used with")
                || ran.stderr.contains("required arguments were not provided"),
            "{args:?}: {ran:?}"
        );
    }
}

#[test]
fn a_comma_is_part_of_a_path_when_that_path_exists() {
    if !landlock() {
        return;
    }
    let d = Dir::new("comma");
    d.file("a,b", "whole\n");
    d.file("a", "part a\n");
    d.file("b", "part b\n");
    // The file named `a,b` is granted, and only it.
    let ran = sandbox_run_in(&["--read", "a,b", "--", "cat", "a,b"], Some(&d.0));
    assert_eq!(
        (ran.status, ran.stdout.as_str()),
        (Some(0), "whole\n"),
        "{ran:?}"
    );
    let ran = sandbox_run_in(&["--read", "a,b", "--", "cat", "a"], Some(&d.0));
    assert_eq!(ran.status, Some(1), "a sibling is not granted: {ran:?}");
    // Without such a file, a list; a part that does not exist is an error, never skipped.
    let ran = sandbox_run_in(&["--read", "a,nope", "--", "cat", "a"], Some(&d.0));
    assert_eq!(ran.status, Some(125), "{ran:?}");
    assert!(
        ran.stderr.contains(&format!(
            "--read 'a,nope': `{}` does not exist (no file has the whole name, so the value was split at its commas)",
            d.path("nope")
        )) && ran.stderr.contains("--ignore-missing"),
        "{ran:?}"
    );
    let ran = sandbox_run_in(
        &["--ignore-missing", "--read", "a,nope", "--", "cat", "a"],
        Some(&d.0),
    );
    assert_eq!(
        (ran.status, ran.stdout.as_str()),
        (Some(0), "part a\n"),
        "{ran:?}"
    );
    // Printed quoted, so that it reads back.
    let ran = sandbox_run_in(
        &["--log-denials", "--read", "a", "--", "cat", "a,b"],
        Some(&d.0),
    );
    if kernel_abi() < 7 {
        assert_eq!(ran.status, Some(125), "{ran:?}");
    } else if audit() {
        assert!(
            ran.stderr
                .contains(&format!("allow it with --read '{}'", d.path("a,b"))),
            "{ran:?}"
        );
    }
}

// --- Learning: what it grants, and what it leaves to the user ------------------------------

#[test]
fn learning_never_acknowledges_a_broad_grant_for_the_user() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("learn-broad");
    // Listing / needs a grant of the whole filesystem: reported, left out, not verified.
    let ran = learning(&[], &["ls", "/"], &d.0);
    assert_eq!(ran.status, Some(1), "{ran:?}");
    assert!(
        ran.stdout.contains(
            "would need a broad grant: --read / (the whole filesystem); rerun with --broad to accept it"
        ) && ran.stdout.contains("NOT verified"),
        "{ran:?}"
    );
    let line = last_line(&ran);
    assert!(
        !line.contains("--broad") && !grants(&line).contains(&("--read".into(), "/".into())),
        "{line}"
    );
    // Creating a file in the home directory needs write on all of it: the same.
    std::fs::create_dir_all(d.at("home")).unwrap();
    let ran = outcome(
        Command::new(env!("CARGO_BIN_EXE_sandbox_run"))
            .args(["--learn", "--", "touch", &d.path("home/new")])
            .env("HOME", d.path("home"))
            .current_dir(&d.0),
    );
    assert_eq!(ran.status, Some(1), "{ran:?}");
    assert!(
        ran.stdout.contains(&format!(
            "would need a broad grant: --write {} (the home directory",
            d.path("home")
        )),
        "{ran:?}"
    );
    // The same home, reached by its own path while `HOME` names it through a link: the library
    // refuses the grant when it prepares it, and --broad would not acknowledge it (only
    // `$HOME` does). Left out, saying why, and the learning goes on to its verdict.
    std::os::unix::fs::symlink(d.at("home"), d.at("home-link")).unwrap();
    let ran = outcome(
        Command::new(env!("CARGO_BIN_EXE_sandbox_run"))
            .args(["--learn", "--expect-status", "0", "--"])
            .args(["touch", &d.path("home/other")])
            .env("HOME", d.path("home-link"))
            .current_dir(&d.0),
    );
    assert_eq!(ran.status, Some(1), "{ran:?}");
    assert!(
        ran.stdout.contains(&format!(
            "left out: --write {}: invalid policy: `{}` is `{}` by another name",
            d.path("home"),
            d.path("home"),
            d.path("home-link")
        )) && ran.stdout.contains("NOT verified"),
        "{ran:?}"
    );
    assert!(!d.at("home/other").exists());
    // With --broad, the user accepts it.
    let line = learn_with(&["--broad"], &["ls", "/"], &d.0);
    assert!(
        grants(&line).contains(&("--read".into(), "/".into())) && line.ends_with(" --broad --"),
        "{line}"
    );
}

#[test]
fn learning_keeps_files_as_files_unless_directories_are_asked_for() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("learn-files");
    let files: Vec<String> = (0..10)
        .map(|i| d.file(&format!("data/{i}.txt"), "x\n"))
        .collect();
    d.file("data/secret.txt", "secret\n");
    let mut command = vec!["cat"];
    command.extend(files.iter().map(String::as_str));
    let line = learn(&command, &d.0);
    let read: Vec<String> = grants(&line)
        .into_iter()
        .filter(|(o, _)| o == "--read")
        .map(|(_, p)| p)
        .collect();
    assert_eq!(read, files, "{line}");
    // --learn-directories grants the directory, and says so.
    let ran = learning(&["--learn-directories"], &command, &d.0);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert!(
        ran.stdout.contains(&format!(
            "granted a directory: --read {} instead of the 10 files denied in it",
            d.path("data")
        )),
        "{ran:?}"
    );
    assert_eq!(
        grants(&last_line(&ran)),
        [
            ("--read".to_owned(), d.path("data")),
            ("--exec".to_owned(), "/usr/bin/cat".to_owned())
        ]
    );
}

/// Runs whose new grants replace as many they cover (a directory the program lists, after a
/// file in it; a file after the automatic exec on `sh` that `--exec /usr/bin` covers) change
/// the grants without changing their number: learning goes on.
#[test]
fn learning_goes_on_while_the_grants_change() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("learn-change");
    d.file("listed/f1", "1\n");
    let last = d.file("later/g", "g\n");
    // The shell lists `listed` itself (a glob), and stops at the first step that fails.
    let script = r#"cat listed/f1 && set -- listed/* && [ -e "$1" ] && cat later/g"#;
    let line = learn_with(
        &["--exec", "/usr/bin", "--preset", "locale"],
        &["sh", "-c", script],
        &d.0,
    );
    let grants = grants(&line);
    assert!(
        grants.contains(&("--read".into(), d.path("listed")))
            && grants.contains(&("--read".into(), last))
            && !grants.contains(&("--read".into(), d.path("listed/f1"))),
        "{line}"
    );
    // Covered by the option's --exec /usr/bin: not repeated.
    assert!(
        !grants.contains(&("--exec".into(), "/usr/bin/sh".into())),
        "{line}"
    );
}

#[test]
fn learning_starts_from_every_option_and_prints_them_back() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("learn-options");
    let data = d.file("data/f.txt", "data\n");
    let other = d.file("other.txt", "other\n");
    let options = [
        "--read",
        "${SANDBOX_RUN_DATA}",
        "--ignore-missing",
        "--read",
        "/nonexistent/x",
        "--connect",
        "443",
        "--allow-signals",
        "--strict",
        "--clear-env",
        "--env",
        "SANDBOX_RUN_DATA",
        "--env",
        "GREETING=a b",
    ];
    let mut args = options.to_vec();
    args.extend(["--learn", "--", "cat", &data, &other]);
    let ran = outcome(
        Command::new(env!("CARGO_BIN_EXE_sandbox_run"))
            .args(&args)
            .env("SANDBOX_RUN_DATA", d.path("data"))
            .current_dir(&d.0),
    );
    assert_eq!(ran.status, Some(0), "{ran:?}");
    let line = last_line(&ran);
    for option in [
        "--read '${SANDBOX_RUN_DATA}?'",
        "--connect 443",
        "--allow-signals",
        "--strict",
        "--ignore-missing",
        "--clear-env",
        "--env SANDBOX_RUN_DATA",
        "--env 'GREETING=a b'",
    ] {
        assert!(line.contains(option), "{option}: {line}");
    }
    let grants = grants(&line);
    assert!(grants.contains(&("--read".into(), other.clone())), "{line}");
    assert!(
        !grants.iter().any(|(_, p)| p == &data || p.contains("./$")),
        "the template covers the data: {line}"
    );
    assert!(
        ran.stdout
            .contains(r#"#[sandbox(read = ["${SANDBOX_RUN_DATA}?", "#),
        "{ran:?}"
    );
    // Typed back, it runs.
    let words = words(&line);
    let mut rerun: Vec<&str> = words.iter().skip(1).map(String::as_str).collect();
    rerun.extend(["cat", &data, &other]);
    let ran = outcome(
        Command::new(env!("CARGO_BIN_EXE_sandbox_run"))
            .args(&rerun)
            .env("SANDBOX_RUN_DATA", d.path("data")),
    );
    assert_eq!(
        (ran.status, ran.stdout.as_str()),
        (Some(0), "data\nother\n"),
        "{ran:?}"
    );
}

#[test]
fn learning_under_explicit_learns_exec_on_the_program_and_its_loader() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("learn-explicit");
    let input = d.file("in.txt", "in\n");
    let line = learn_with(&["--explicit"], &["cat", &input], &d.0);
    assert!(
        grants(&line).contains(&("--exec".into(), "/usr/bin/cat".into()))
            && line.contains("--preset dynamic_loader"),
        "{line}"
    );
}

/// A learned path that the policy language would read otherwise (a trailing `?` makes a path
/// optional) is left out of `#[sandbox(...)]` and said apart; the options keep it, quoted.
#[test]
fn learning_a_path_the_policy_language_cannot_write_says_so() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("learn-literal");
    let odd = d.file("what?", "odd\n");
    let ran = learning(&[], &["cat", &odd], &d.0);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert!(
        ran.stdout.contains(&format!(
            "// not in the two forms below: read `{odd}`, a path the policy language cannot write literally; grant it with the builder's `read_path`"
        )) && !ran.stdout.contains(&format!("\"{odd}\"")),
        "{ran:?}"
    );
    let line = last_line(&ran);
    assert!(line.contains(&format!("--read '{odd}'")), "{line}");
    let ran = rerun(&line, &["cat", &odd], &d.0);
    assert_eq!(
        (ran.status, ran.stdout.as_str()),
        (Some(0), "odd\n"),
        "{ran:?}"
    );
}

#[test]
fn learning_errors_speak_of_options() {
    if !reports_denials() || !audit() {
        return;
    }
    let ran = sandbox_run(&["--learn", "--read", "/nonexistent/in", "--", "true"]);
    assert_eq!(ran.status, Some(125), "{ran:?}");
    assert!(
        ran.stderr.contains("--ignore-missing") && !ran.stderr.contains("sandbox-run/src"),
        "{ran:?}"
    );
}

/// Verified means: no denial a grant could allow in the final run, and the status of the run
/// without a sandbox, signal included. Here the program reads a file of its own process, which
/// no grant allows, and ends by another signal when it cannot.
#[test]
fn verified_needs_the_same_signal_as_without_a_sandbox() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("learn-signal");
    let script = "cat /proc/self/status > /dev/null 2>&1 || kill -KILL $$; kill -TERM $$";
    let ran = learning(&["--exec", "/usr/bin"], &["sh", "-c", script], &d.0);
    assert_eq!(ran.status, Some(1), "not verified: {ran:?}");
    assert!(
        ran.stdout
            .contains("status signal 9 (without sandbox: signal 15): NOT verified")
            && ran.stdout.contains("cannot be granted ahead"),
        "{ran:?}"
    );
    // The same signal with and without: verified.
    let ran = learning(
        &["--exec", "/usr/bin"],
        &["sh", "-c", "kill -TERM $$"],
        &d.0,
    );
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert!(
        ran.stdout
            .contains("status signal 15 (without sandbox: signal 15): verified"),
        "{ran:?}"
    );
}

#[test]
fn learning_runners_side_by_side_keep_their_denials_apart() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("learn-concurrent");
    let inputs: Vec<String> = (0..3).map(|i| d.file(&format!("{i}.txt"), "x\n")).collect();
    let runs: Vec<_> = inputs
        .iter()
        .map(|input| {
            let input = input.clone();
            let dir = d.0.clone();
            std::thread::spawn(move || (learn(&["cat", &input], &dir), input))
        })
        .collect();
    for run in runs {
        let (line, input) = run.join().unwrap();
        let read: Vec<String> = grants(&line)
            .into_iter()
            .filter(|(o, _)| o == "--read")
            .map(|(_, p)| p)
            .collect();
        assert_eq!(read, [input], "{line}");
    }
}

// --- Starting the program: what is the sandbox's doing, and what is not --------------------

#[test]
fn a_program_that_could_never_run_is_not_blamed_on_the_sandbox() {
    if !landlock() {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let d = Dir::new("start");
    let ran = sandbox_run(&["--", &d.path("")]);
    assert_eq!(ran.status, Some(126), "{ran:?}");
    assert!(ran.stderr.contains("is a directory"), "{ran:?}");
    let plain = d.file("plain.sh", "#!/bin/sh\necho hi\n");
    let ran = sandbox_run(&["--", &plain]);
    assert_eq!(ran.status, Some(126), "{ran:?}");
    assert!(
        ran.stderr.contains("permission denied: not executable") && !ran.stderr.contains("--exec"),
        "{ran:?}"
    );
    // A missing interpreter is not found, as env(1) says: 127, and --ignore-missing is no help.
    let orphan = d.script("orphan", "");
    std::fs::write(&orphan, "#!/nonexistent/interpreter\n").unwrap();
    let ran = sandbox_run(&["--", &orphan]);
    assert_eq!(ran.status, Some(127), "{ran:?}");
    assert!(
        ran.stderr
            .contains("interpreter `/nonexistent/interpreter`")
            && !ran.stderr.contains("--ignore-missing"),
        "{ran:?}"
    );
    // A file without `#!` is run by /bin/sh, as the C library does (env(1) too): granted.
    let bare = d.script("bare", "");
    std::fs::write(&bare, "echo bare\n").unwrap();
    let ran = sandbox_run(&["--", &bare]);
    assert_eq!(
        (ran.status, ran.stdout.as_str()),
        (Some(0), "bare\n"),
        "{ran:?}"
    );
    // A file that is not executable earlier in PATH is passed over, as a shell does.
    d.file("first/tool", "#!/bin/sh\necho first\n");
    d.script("second/tool", "echo second");
    let search = format!("{}:{}:/usr/bin:/bin", d.path("first"), d.path("second"));
    let ran = outcome(
        Command::new(env!("CARGO_BIN_EXE_sandbox_run"))
            .args(["--", "tool"])
            .env("PATH", &search),
    );
    assert_eq!(
        (ran.status, ran.stdout.as_str()),
        (Some(0), "second\n"),
        "{ran:?}"
    );
    std::fs::set_permissions(d.at("second/tool"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let ran = outcome(
        Command::new(env!("CARGO_BIN_EXE_sandbox_run"))
            .args(["--", "tool"])
            .env("PATH", &search),
    );
    assert_eq!(ran.status, Some(126), "{ran:?}");
}

#[test]
fn under_explicit_a_denied_start_names_the_options_to_add() {
    if !landlock() {
        return;
    }
    let ran = sandbox_run(&["--explicit", "--", "/usr/bin/true"]);
    assert_eq!(ran.status, Some(126), "{ran:?}");
    assert!(
        ran.stderr
            .contains("add --exec /usr/bin/true (the program)")
            && ran.stderr.contains("--preset dynamic_loader")
            && !ran.stderr.contains("landlock_runtime::")
            && !ran.stderr.contains("calling thread"),
        "{ran:?}"
    );
    let ran = sandbox_run(&[
        "--explicit",
        "--exec",
        "/usr/bin/true",
        "--",
        "/usr/bin/true",
    ]);
    assert_eq!(ran.status, Some(126), "{ran:?}");
    assert!(
        ran.stderr.contains("add --preset dynamic_loader") && !ran.stderr.contains("--exec"),
        "{ran:?}"
    );
    // --print-policy warns before anything runs.
    let ran = sandbox_run(&["--explicit", "--print-policy", "--", "/usr/bin/true"]);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert!(
        ran.stdout.contains(
            "warning: `/usr/bin/true` cannot start under this policy: it lacks --exec /usr/bin/true"
        ),
        "{ran:?}"
    );
}

#[test]
fn a_script_run_through_env_gets_exec_on_the_program_env_finds() {
    if !landlock() {
        return;
    }
    let d = Dir::new("env-script");
    let script = d.script("hello.py", "");
    std::fs::write(&script, "#!/usr/bin/env python3\nprint('hello')\n").unwrap();
    let search = "/usr/local/bin:/usr/bin:/bin";
    let ran = outcome(
        Command::new(env!("CARGO_BIN_EXE_sandbox_run"))
            .args(["--read", "/usr", "--read", &d.path(""), "--", &script])
            .env("PATH", search),
    );
    assert_eq!(
        (ran.status, ran.stdout.as_str()),
        (Some(0), "hello\n"),
        "{ran:?}"
    );
    let ran = outcome(
        Command::new(env!("CARGO_BIN_EXE_sandbox_run"))
            .args(["--print-policy", "--", &script])
            .env("PATH", search),
    );
    assert!(
        ran.stdout
            .contains("  automatic exec /usr/bin/env (the program's interpreter)\n")
            && ran.stdout.contains("found in PATH by #!/usr/bin/env"),
        "{ran:?}"
    );
}

#[test]
fn optional_templates_and_a_closed_output_are_not_errors() {
    if !landlock() {
        return;
    }
    let ran = sandbox_run(&[
        "--ignore-missing",
        "--read",
        "$HOME/sandbox-run-nope",
        "--",
        "true",
    ]);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    // A reader that went away (`| head -0`): the output ends, the runner does not panic.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_sandbox_run"))
        .args(["--print-policy", "--", "true"])
        .stdout(writer)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // Nothing but the status line of a kernel that does not enforce everything.
    let ran = Ran {
        status: out.status.code(),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    let expected = expected_status(kernel_abi());
    assert_eq!(status_of(&ran), expected, "{ran:?}");
    assert_eq!(ran.stderr.lines().count(), expected.len(), "{ran:?}");
}

#[test]
fn small_things_said_plainly() {
    if !landlock() {
        return;
    }
    let ran = sandbox_run(&["--env", "=x", "--", "true"]);
    assert_eq!(ran.status, Some(125), "{ran:?}");
    assert!(ran.stderr.contains("a variable needs a name"), "{ran:?}");
    // The presets' optional paths that are not on this machine are counted, not listed.
    let ran = sandbox_run(&["--print-policy", "--", "true"]);
    assert!(
        !ran.stdout.contains("ld-musl-armhf") && ran.stdout.contains("optional paths of presets"),
        "{ran:?}"
    );
    // landrun's spellings.
    let ran = sandbox_run(&["--ro", "/etc", "--", "cat", "/etc/hostname"]);
    assert_eq!(ran.status, Some(0), "{ran:?}");
}

// --- Signals ----------------------------------------------------------------------------------

/// A signal sent to the runner reaches the program, and the runner ends with its status. (The
/// program's loop ends by itself after a while, so that a runner that does not pass the signal
/// on fails the test instead of leaving it behind.)
#[test]
fn signals_to_the_runner_are_passed_on_to_the_program() {
    use std::io::{BufRead, Read};
    if !landlock() {
        return;
    }
    let script = "trap 'echo got TERM; exit 3' TERM; echo ready; i=0; while [ $i -lt 300 ]; do sleep 0.1 & wait $!; i=$((i+1)); done";
    let mut runner = Command::new(env!("CARGO_BIN_EXE_sandbox_run"))
        .args([
            "--exec", "/usr/bin", "--preset", "devices", "--", "sh", "-c", script,
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(runner.stdout.take().unwrap());
    let mut ready = String::new();
    out.read_line(&mut ready).unwrap();
    assert_eq!(ready, "ready\n");
    let kill = Command::new("kill")
        .args(["-TERM", &runner.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    assert_eq!(
        runner.wait().unwrap().code(),
        Some(3),
        "the program's status"
    );
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "got TERM\n");
}

/// The first line `child` writes on its standard output.
fn first_line(child: &mut std::process::Child) -> String {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    line
}

/// A plain run needs nothing from the runner once the program runs: the runner restricts
/// itself and becomes the program, as the `landlock` crate's sandboxer does. The program has
/// the runner's process id, so a signal sent to the runner is the program's, and its parent
/// sees the program end as it ends.
#[test]
fn a_plain_run_becomes_the_program() {
    use std::os::unix::process::ExitStatusExt;
    if !landlock() {
        return;
    }
    let script = "echo $$; while :; do sleep 0.1; done";
    let mut runner = Command::new(env!("CARGO_BIN_EXE_sandbox_run"))
        .args(["--exec", "/usr/bin", "--", "sh", "-c", script])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = first_line(&mut runner);
    let kill = Command::new("kill")
        .args(["-TERM", &runner.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = runner.wait().unwrap();
    assert_eq!(pid.trim(), runner.id().to_string(), "the program's own pid");
    assert_eq!(status.signal(), Some(15), "{status:?}");
    // The program is sandboxed: it cannot read what it was not granted.
    let ran = sandbox_run(&["--exec", "/usr/bin", "--", "cat", "/etc/hostname"]);
    assert_eq!(ran.status, Some(1), "{ran:?}");
    assert!(ran.stderr.contains("Permission denied"), "{ran:?}");
}

/// The statuses of a plain run: 125, 126 and 127 are the runner's, decided before the program
/// starts or when the kernel refuses to start it (the runner, restricted then, still says
/// why); a program killed by signal N ends the process by N, which a shell reports as 128+N.
#[test]
fn a_plain_run_keeps_every_exit_status() {
    if !landlock() {
        return;
    }
    let d = Dir::new("plain-statuses");
    let runner = env!("CARGO_BIN_EXE_sandbox_run");
    let shell = |line: &str| {
        let ran = outcome(Command::new("sh").args(["-c", line]));
        assert_eq!(ran.status, Some(0), "{ran:?}");
        ran.stdout.trim().to_owned()
    };
    assert_eq!(
        shell(&format!("{runner} -- sh -c 'kill -TERM $$'; echo $?")),
        "143"
    );
    assert_eq!(
        shell(&format!("{runner} -- sh -c 'kill -KILL $$'; echo $?")),
        "137"
    );
    assert_eq!(shell(&format!("{runner} -- sh -c 'exit 7'; echo $?")), "7");
    let ran = sandbox_run(&["--explicit", "--", "/usr/bin/true"]);
    assert_eq!(ran.status, Some(126), "{ran:?}");
    assert!(
        ran.stderr.contains(
            "starting `/usr/bin/true` was denied by the sandbox: add --exec /usr/bin/true (the program)"
        ),
        "{ran:?}"
    );
    let ran = sandbox_run(&["--", &d.path("")]);
    assert_eq!(ran.status, Some(126), "{ran:?}");
    assert!(ran.stderr.contains("is a directory"), "{ran:?}");
    let ran = sandbox_run(&["--", &d.path("missing")]);
    assert_eq!(ran.status, Some(127), "{ran:?}");
    let ran = sandbox_run(&["--read", &d.path("missing"), "--", "true"]);
    assert_eq!(ran.status, Some(125), "{ran:?}");
}

/// Where denials are watched the runner must stay: it is the program's parent, reads the
/// kernel's records after the program ends, and passes signals on (128+N for a signal). So
/// with `--log-denials`, and with the library's `LANDLOCK_SANDBOX_DENIALS` in its environment.
#[test]
fn a_run_that_watches_denials_keeps_the_runner_as_the_parent() {
    if !reports_denials() || !audit() {
        return;
    }
    let script = "echo $$ $PPID";
    for (options, variable) in [
        (&["--log-denials"][..], None),
        (&[][..], Some(("LANDLOCK_SANDBOX_DENIALS", "stderr"))),
    ] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sandbox_run"));
        command
            .args(options)
            .args(["--exec", "/usr/bin", "--", "sh", "-c", script])
            .stdout(std::process::Stdio::piped());
        if let Some((key, value)) = variable {
            command.env(key, value);
        }
        let mut runner = command.spawn().unwrap();
        let line = first_line(&mut runner);
        let status = runner.wait().unwrap();
        assert!(status.success(), "{options:?} {variable:?}: {status:?}");
        let pids: Vec<&str> = line.split_whitespace().collect();
        let runner = runner.id().to_string();
        assert_ne!(
            pids[0], runner,
            "{options:?} {variable:?}: the program's pid"
        );
        assert_eq!(pids[1], runner, "{options:?} {variable:?}: its parent");
    }
    let ran = sandbox_run(&["--log-denials", "--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(ran.status, Some(128 + 15), "{ran:?}");
}

/// A signal that stops the runner while it learns stops the learning: the program gets it, and
/// no further run starts.
#[test]
fn a_signal_stops_learning() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("learn-stop");
    let ready = d.path("ready");
    // The program's streams are on /dev/null while learning: it says it is ready with a file.
    let script = format!(
        "trap 'exit 3' TERM; touch {ready}; i=0; while [ $i -lt 300 ]; do sleep 0.1 & wait $!; i=$((i+1)); done"
    );
    let runner = Command::new(env!("CARGO_BIN_EXE_sandbox_run"))
        .args([
            "--learn", "--exec", "/usr/bin", "--preset", "devices", "--write",
        ])
        .arg(d.path(""))
        .args(["--", "sh", "-c", &script])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !d.at("ready").exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the program never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let kill = Command::new("kill")
        .args(["-TERM", &runner.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = runner.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(128 + 15), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("sandbox_run: stopped by signal 15"),
        "{out:?}"
    );
}

// --- Denials, continued --------------------------------------------------------------------

#[test]
fn log_denials_prints_the_exec_denial_of_a_start_that_failed() {
    if !reports_denials() || !audit() {
        return;
    }
    let ran = sandbox_run(&["--log-denials", "--explicit", "--", "/usr/bin/true"]);
    assert_eq!(ran.status, Some(126), "{ran:?}");
    assert!(
        ran.stderr.contains("sandbox_run: denied execute")
            && ran.stderr.contains(" on /usr/bin/true (pid ")
            && ran.stderr.contains("allow it with --exec /usr/bin/true"),
        "{ran:?}"
    );
}

#[test]
fn log_denials_says_what_no_option_can_grant() {
    if !reports_denials() || !audit() {
        return;
    }
    let ran = sandbox_run(&[
        "--log-denials",
        "--exec",
        "/usr/bin",
        "--",
        "sh",
        "-c",
        "cat /proc/self/status",
    ]);
    assert!(
        ran.stderr.contains("it cannot be granted ahead")
            && !ran.stderr.contains("allow it with --read /proc/"),
        "{ran:?}"
    );
}

#[test]
fn binding_port_0_is_allowed_by_bind_any() {
    if !reports_denials() || !audit() {
        return;
    }
    let probe = "import socket\ns=socket.socket()\ns.bind(('127.0.0.1',0))";
    let ran = sandbox_run(&[
        "--log-denials",
        "--read",
        "/usr",
        "--",
        "/usr/bin/python3",
        "-c",
        probe,
    ]);
    assert_eq!(ran.status, Some(1), "{ran:?}");
    assert!(
        ran.stderr.contains("denied bind_tcp on an ephemeral port")
            && ran.stderr.contains("allow it with --bind '*'")
            && !ran.stderr.contains("allow it with no port"),
        "{ran:?}"
    );
    let d = Dir::new("learn-bind");
    let line = learn(&["/usr/bin/python3", "-c", probe], &d.0);
    assert!(line.contains("--bind '*'"), "{line}");
}

#[test]
fn suggest_refuses_what_is_not_a_learning_file() {
    let d = Dir::new("suggest-bad");
    let empty = d.file("empty.jsonl", "");
    let ran = sandbox_run(&["--suggest", &empty]);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert!(
        ran.stdout.contains(&format!(
            "no denial recorded in {empty} (was the program run with LANDLOCK_SANDBOX_LEARN and CAP_AUDIT_READ?)"
        )),
        "{ran:?}"
    );
    let garbage = d.file(
        "garbage.jsonl",
        "{\"accesses\":[],\"allow\":[]}\nnot json at all\n",
    );
    let ran = sandbox_run(&["--suggest", &garbage]);
    assert_eq!(ran.status, Some(125), "{ran:?}");
    assert!(
        ran.stderr
            .contains("line 2 is not a record of a learning file"),
        "{ran:?}"
    );
}

/// As a user without CAP_AUDIT_READ (nobody), watching denials says that it needs root.
#[test]
fn watching_denials_as_nobody_says_it_needs_root() {
    if !landlock() || not_root() {
        return;
    }
    let Ok(setpriv) = Command::new("setpriv").arg("--version").output() else {
        say_skipped("no setpriv");
        return;
    };
    assert!(setpriv.status.success());
    for option in ["--log-denials", "--learn"] {
        let out = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_sandbox_run"))
            .args([option, "--", "/usr/bin/true"])
            .current_dir("/")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if stderr.contains("Permission denied")
            && stderr.contains("sandbox_run")
            && out.status.code() != Some(125)
        {
            say_skipped(&format!("nobody cannot run the test binary here: {stderr}"));
            return;
        }
        assert_eq!(out.status.code(), Some(125), "{option}: {stderr}");
        let abi = kernel_abi();
        if abi < 7 {
            // What is missing first is the kernel's reporting, whoever asks.
            assert!(
                stderr.contains(&format!(
                    "this kernel has Landlock ABI {abi}, and denials are reported from ABI 7"
                )),
                "{option}: {stderr}"
            );
            continue;
        }
        assert!(
            stderr.contains(&format!(
                "{option} reads the kernel's audit records, which needs root"
            )) && stderr
                .contains("every user who can run that copy can then read the whole audit log"),
            "{option}: {stderr}"
        );
    }
}

/// Whether these tests run as another user than root.
fn not_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        != Some("0")
}

// --- Symbolic links another user made -------------------------------------------------------

/// Whether this test runs as root, which making files of another user needs; otherwise
/// skipped, or failed under `LANDLOCK_REQUIRED=1` (CI runs as root).
fn root() -> bool {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    assert!(
        std::env::var_os("LANDLOCK_REQUIRED").is_none_or(|v| v != "1"),
        "LANDLOCK_REQUIRED=1 but this test needs root"
    );
    say_skipped("this test needs root");
    false
}

/// `sandbox_run` with `args`, as user nobody (uid 65534).
fn sandbox_run_as_nobody(args: &[&str]) -> Ran {
    let mut command = Command::new("setpriv");
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_sandbox_run"))
        .args(args);
    outcome(&mut command)
}

/// Makes `link`, a symbolic link to `target`, as user nobody.
fn link_as_nobody(target: &Path, link: &Path) {
    let made = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "ln",
            "-s",
        ])
        .arg(target)
        .arg(link)
        .status()
        .unwrap();
    assert!(made.success());
}

#[test]
fn read_does_not_follow_a_link_another_user_made_in_its_own_directory() {
    use std::os::unix::fs::PermissionsExt;
    if !landlock() || !root() {
        return;
    }
    // nobody's directory (mode 755), holding links nobody made: one to a directory only root
    // can enter, one to a directory anyone can read.
    let d = Dir::new("nobody-link");
    d.file("private/s.txt", "root's\n");
    std::fs::set_permissions(d.at("private"), std::fs::Permissions::from_mode(0o700)).unwrap();
    d.file("public/p.txt", "public\n");
    std::fs::create_dir(d.at("nobody")).unwrap();
    std::os::unix::fs::chown(d.at("nobody"), Some(65534), Some(65534)).unwrap();
    link_as_nobody(&d.at("private"), &d.at("nobody/link"));
    link_as_nobody(&d.at("public"), &d.at("nobody/mine"));
    // root, reading what nobody's link names: refused before the command runs.
    let ran = sandbox_run(&[
        "--read",
        &d.path("nobody/link"),
        "--",
        "ls",
        &d.path("nobody/link/"),
    ]);
    assert_eq!(
        (ran.status, ran.stdout.as_str()),
        (Some(125), ""),
        "{ran:?}"
    );
    assert!(
        ran.stderr.contains(&format!(
            "`{}` is a symbolic link to `{}`, owned by uid 65534 (nobody): another user could have planted it to redirect the grant, so it is not followed",
            d.path("nobody/link"),
            d.path("private")
        )),
        "{ran:?}"
    );
    // Granting the target itself is what root means, and says so.
    let ran = sandbox_run(&[
        "--read",
        &d.path("private"),
        "--",
        "ls",
        &d.path("nobody/link/"),
    ]);
    assert_eq!(
        (ran.status, ran.stdout.as_str()),
        (Some(0), "s.txt\n"),
        "{ran:?}"
    );
    // nobody's own link is followed for nobody; root's link in nobody's directory too.
    let ran = sandbox_run_as_nobody(&[
        "--read",
        &d.path("nobody/mine"),
        "--",
        "cat",
        &d.path("nobody/mine/p.txt"),
    ]);
    assert_eq!(
        (ran.status, ran.stdout.as_str()),
        (Some(0), "public\n"),
        "{ran:?}"
    );
    std::os::unix::fs::symlink(d.at("public"), d.at("nobody/roots")).unwrap();
    let ran = sandbox_run_as_nobody(&[
        "--read",
        &d.path("nobody/roots"),
        "--",
        "cat",
        &d.path("public/p.txt"),
    ]);
    assert_eq!(
        (ran.status, ran.stdout.as_str()),
        (Some(0), "public\n"),
        "{ran:?}"
    );
    // For nobody, a link of another user (here root's, in a directory of uid 4242 that anyone
    // can write) is not followed.
    std::fs::create_dir(d.at("shared")).unwrap();
    std::fs::set_permissions(d.at("shared"), std::fs::Permissions::from_mode(0o1777)).unwrap();
    std::os::unix::fs::chown(d.at("shared"), Some(4242), None).unwrap();
    std::os::unix::fs::symlink(d.at("public"), d.at("shared/link")).unwrap();
    let ran = sandbox_run_as_nobody(&[
        "--read",
        &d.path("shared/link"),
        "--",
        "cat",
        &d.path("public/p.txt"),
    ]);
    assert_eq!(
        (ran.status, ran.stdout.as_str()),
        (Some(125), ""),
        "{ran:?}"
    );
    assert!(
        ran.stderr.contains(&format!(
            "`{}` is a symbolic link to `{}`, owned by uid 0 (root), in `{}`, a directory users other than its owner can write: another user could have planted it to redirect the grant, so it is not followed; there, only links owned by the user preparing the policy (uid 65534) or by the directory's owner (uid 4242) are followed",
            d.path("shared/link"),
            d.path("public"),
            d.path("shared")
        )),
        "{ran:?}"
    );
}

// --- Policy files (landlockconfig) ---------------------------------------------------------

/// A landlockconfig document that handles everything and allows `abi.read_execute` on `read`
/// and `abi.read_write` on `write` (paths of the test's directory).
fn config_json(read: &[String], write: &[String]) -> String {
    let mut rules = vec![];
    for (paths, group) in [(read, "abi.read_execute"), (write, "abi.read_write")] {
        if !paths.is_empty() {
            rules.push(format!(
                r#"{{ "allowedAccess": ["{group}"], "parent": {} }}"#,
                json_list(paths)
            ));
        }
    }
    format!(
        r#"{{
  "abi": 6,
  "ruleset": [{{ "handledAccessFs": ["abi.all"], "handledAccessNet": ["abi.all"], "scoped": ["abi.all"] }}],
  "pathBeneath": [{}]
}}"#,
        rules.join(", ")
    )
}

/// `["a", "b"]`, for paths without quotes or backslashes.
fn json_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("\"{i}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

#[test]
fn config_runs_the_command_under_a_landlockconfig_file_and_options_add_to_it() {
    if !landlock() {
        return;
    }
    let d = Dir::new("config");
    let granted = d.file("in/a.txt", "granted\n");
    let secret = d.file("secret.txt", "secret\n");
    std::fs::create_dir_all(d.at("out")).unwrap();
    let json = d.file("policy.json", &config_json(&[d.path("in")], &[]));
    let ran = sandbox_run(&["--config", &json, "--", "cat", &granted]);
    assert_eq!(
        (ran.status, ran.stdout.as_str()),
        (Some(0), "granted\n"),
        "{ran:?}"
    );
    let ran = sandbox_run(&["--config", &json, "--", "cat", &secret]);
    assert_eq!(ran.status, Some(1), "{ran:?}");
    assert!(
        ran.stderr.contains("secret.txt: Permission denied"),
        "{ran:?}"
    );

    // The same in TOML, named without an extension; --write adds to it.
    let toml = d.file(
        "policy",
        &format!(
            "abi = 6\n\n[[ruleset]]\nhandled_access_fs = [\"abi.all\"]\nhandled_access_net = [\"abi.all\"]\n\n[[path_beneath]]\nallowed_access = [\"read_file\", \"read_dir\"]\nparent = [\"{}\"]\n",
            d.path("in")
        ),
    );
    let ran = sandbox_run(&[
        "--config",
        &toml,
        "--write",
        &d.path("out"),
        "--",
        "touch",
        &d.path("out/new"),
    ]);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    let ran = sandbox_run(&[
        "--config",
        &toml,
        "--write",
        &d.path("out"),
        "--",
        "touch",
        &d.path("in/new"),
    ]);
    assert_eq!(ran.status, Some(1), "{ran:?}");
    assert!(ran.stderr.contains("Permission denied"), "{ran:?}");
}

#[test]
fn under_explicit_the_file_must_grant_the_program_too() {
    if !landlock() {
        return;
    }
    let d = Dir::new("config-explicit");
    let granted = d.file("in/a.txt", "granted\n");
    // As the format's own examples grant the system: read and execute on its trees.
    let system: Vec<String> = ["/bin", "/lib", "/lib64", "/usr"]
        .into_iter()
        .map(String::from)
        .collect();
    let with_system = d.file(
        "system.json",
        &config_json(&[&system[..], &[d.path("in")]].concat(), &[]),
    );
    let without = d.file("alone.json", &config_json(&[d.path("in")], &[]));
    let ran = sandbox_run(&[
        "--explicit",
        "--ignore-missing",
        "--config",
        &with_system,
        "--",
        "cat",
        &granted,
    ]);
    assert_eq!(
        (ran.status, ran.stdout.as_str()),
        (Some(0), "granted\n"),
        "{ran:?}"
    );
    let ran = sandbox_run(&["--explicit", "--config", &without, "--", "cat", &granted]);
    assert_eq!(ran.status, Some(126), "{ran:?}");
}

#[test]
fn print_policy_shows_what_the_file_grants() {
    let d = Dir::new("config-print");
    std::fs::create_dir_all(d.at("in")).unwrap();
    let json = d.file("policy.json", &config_json(&[d.path("in")], &[]));
    let ran = sandbox_run(&["--config", &json, "--print-policy", "--", "true"]);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert!(
        ran.stdout
            .starts_with(&format!("sandbox_run grants (with --config {json})\n")),
        "{ran:?}"
    );
    assert!(
        ran.stdout
            .contains(&format!("  exec     {}, ", d.path("in"))),
        "{ran:?}"
    );
}

#[test]
fn export_prints_a_document_that_config_runs_again() {
    if !landlock() {
        return;
    }
    let d = Dir::new("config-export");
    let granted = d.file("in/a.txt", "granted\n");
    let secret = d.file("secret.txt", "secret\n");
    let ran = sandbox_run(&["--read", &d.path("in"), "--export", "json", "--", "cat"]);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert!(
        ran.stdout.starts_with("{\n  \"abi\": 6,\n")
            && ran
                .stdout
                .contains(&format!("\"parent\": [\n        \"{}\"", d.path("in"))),
        "{ran:?}"
    );
    // The automatic grants are in it: the program, and the loader's paths.
    let exported = d.file("exported.json", &ran.stdout);
    let ran = sandbox_run(&["--explicit", "--config", &exported, "--", "cat", &granted]);
    assert_eq!(
        (ran.status, ran.stdout.as_str()),
        (Some(0), "granted\n"),
        "{ran:?}"
    );
    let ran = sandbox_run(&["--explicit", "--config", &exported, "--", "cat", &secret]);
    assert_eq!(ran.status, Some(1), "{ran:?}");

    let ran = sandbox_run(&["--read", &d.path("in"), "--export", "toml", "--", "cat"]);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert!(
        ran.stdout.starts_with(
            "# sandbox_run's policy for `/usr/bin/cat`, as a landlockconfig document\n\nabi = 6\n"
        ),
        "{ran:?}"
    );
    let exported = d.file("exported.toml", &ran.stdout);
    let ran = sandbox_run(&["--explicit", "--config", &exported, "--", "cat", &granted]);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    let ran = sandbox_run(&["--read", "/", "--broad", "--export", "yaml", "--", "cat"]);
    assert_eq!(ran.status, Some(125), "{ran:?}");
}

#[test]
fn config_rights_of_a_directory_do_not_reach_what_a_link_or_dotdot_beneath_it_names() {
    if !landlock() {
        return;
    }
    // `abi.read_write` on `w`, and `write_file` alone on a path that is written beneath `w`
    // but leads out of it, to `secret`.
    let d = Dir::new("config-beneath");
    d.file("secret/s.txt", "secret\n");
    std::fs::create_dir_all(d.at("w")).unwrap();
    std::os::unix::fs::symlink("../secret", d.at("w/link")).unwrap();
    let config = |path: &str| {
        d.file(
            "beneath.json",
            &format!(
                r#"{{"abi": 6, "ruleset": [{{"handledAccessFs": ["abi.all"], "handledAccessNet": ["abi.all"]}}], "pathBeneath": [{{"allowedAccess": ["abi.read_write"], "parent": ["w"]}}, {{"allowedAccess": ["write_file"], "parent": ["{path}"]}}]}}"#
            ),
        )
    };
    // Through the link: what `w` allows covers the rule's own rights where it is written, so it
    // is left out, and nothing is granted where it leads.
    let json = config("w/link");
    let run = |args: &[&str]| {
        let mut all = vec!["--config", json.as_str(), "--"];
        all.extend_from_slice(args);
        sandbox_run_in(&all, Some(&d.0))
    };
    let ran = run(&["cat", "secret/s.txt"]);
    assert_eq!((ran.status, ran.stdout.as_str()), (Some(1), ""), "{ran:?}");
    assert!(
        ran.stderr.contains("secret/s.txt: Permission denied"),
        "{ran:?}"
    );
    let ran = run(&["cat", "w/link/s.txt"]);
    assert_eq!((ran.status, ran.stdout.as_str()), (Some(1), ""), "{ran:?}");
    let ran = run(&["sh", "-c", "echo new > w/new"]);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    // Through `..`: not beneath `w`, and `write_file` alone has no class.
    let json = config("w/../secret");
    let ran = sandbox_run_in(
        &["--config", &json, "--", "cat", "secret/s.txt"],
        Some(&d.0),
    );
    assert_eq!(
        (ran.status, ran.stdout.as_str()),
        (Some(125), ""),
        "{ran:?}"
    );
    assert_eq!(
        ran.stderr,
        format!(
            "sandbox_run: --config: {json}: the policy language cannot say what this landlockconfig says: `pathBeneath[1]` allows write_file on `{}`: no class of the policy language grants exactly that; the nearest, `read`, would also grant read_file, read_dir and not grant write_file\n",
            d.path("w/../secret")
        )
    );
}

#[test]
fn a_file_the_policy_language_cannot_follow_is_refused_with_what_to_change() {
    let d = Dir::new("config-errors");
    std::fs::create_dir_all(d.at("in")).unwrap();
    let missing = d.path("none.toml");
    let ran = sandbox_run(&["--config", &missing, "--", "true"]);
    assert_eq!(ran.status, Some(125), "{ran:?}");
    assert_eq!(
        ran.stderr,
        format!(
            "sandbox_run: --config: cannot read `{missing}`: No such file or directory (os error 2)\n"
        )
    );
    let write_only = d.file(
        "write-only.json",
        &format!(
            r#"{{"abi": 6, "ruleset": [{{"handledAccessFs": ["abi.all"], "handledAccessNet": ["abi.all"]}}], "pathBeneath": [{{"allowedAccess": ["write_file"], "parent": ["{}"]}}]}}"#,
            d.path("in")
        ),
    );
    let ran = sandbox_run(&["--config", &write_only, "--", "true"]);
    assert_eq!(ran.status, Some(125), "{ran:?}");
    assert_eq!(
        ran.stderr,
        format!(
            "sandbox_run: --config: {write_only}: the policy language cannot say what this landlockconfig says: `pathBeneath[0]` allows write_file on `{}`: no class of the policy language grants exactly that; the nearest, `read`, would also grant read_file, read_dir and not grant write_file\n",
            d.path("in")
        )
    );
    // TCP the file leaves unrestricted, beside a write grant, is broad.
    let open_tcp = d.file(
        "open-tcp.toml",
        "abi = 6\n[[ruleset]]\nhandled_access_fs = [\"abi.all\"]\nhandled_access_net = [\"bind_tcp\"]\n",
    );
    let ran = sandbox_run(&[
        "--config",
        &open_tcp,
        "--write",
        &d.path("in"),
        "--",
        "true",
    ]);
    assert_eq!(ran.status, Some(125), "{ran:?}");
    assert_eq!(
        ran.stderr,
        "sandbox_run: invalid policy: --config (it does not handle connect_tcp): unrestricted TCP connect together with `write`: it can fetch and store, or read and send, anything; narrow it, or acknowledge it with --broad\n"
    );
    let ran = sandbox_run(&[
        "--config",
        &open_tcp,
        "--write",
        &d.path("in"),
        "--broad",
        "--print-policy",
        "--",
        "true",
    ]);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert!(
        ran.stdout.contains("  connect  any port (unrestricted)\n"),
        "{ran:?}"
    );
}

// --- Links and renames between trees, and what learning runs unconfined ------------------------

/// The line `--log-denials` printed for the denial on `path`.
fn denial_line<'a>(ran: &'a Ran, path: &str) -> &'a str {
    let at = ran
        .stderr
        .find(&format!(" on {path}, the "))
        .unwrap_or_else(|| panic!("no denial on {path}: {ran:?}"));
    let start = ran.stderr[..at].rfind("sandbox_run: denied ").unwrap();
    ran.stderr[start..].lines().next().unwrap()
}

/// `ln /etc/hostname out/h` with write on `out` only: the kernel refuses the link because the
/// file would gain, in `out`, the rights it lacks in `/etc`. Its record of `/etc` lists every
/// right `/etc` lacks, and that of `out` the one right `out` lacks (execute): the link needs
/// write on `/etc`, and nothing on `out`; never exec.
#[test]
fn log_denials_reads_a_denied_link_as_the_grant_it_needs() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("link-denials");
    std::fs::create_dir_all(d.at("out")).unwrap();
    let out = d.path("out");
    let ran = sandbox_run_in(
        &[
            "--log-denials",
            "--write",
            "out",
            "--",
            "ln",
            "/etc/hostname",
            "out/h",
        ],
        Some(&d.0),
    );
    assert_eq!(ran.status, Some(1), "{ran:?}");
    assert!(ran.stderr.contains("Invalid cross-device link"), "{ran:?}");
    let source = denial_line(&ran, "/etc");
    assert!(
        source.starts_with("sandbox_run: denied execute,write_file,read_file,read_dir,remove_dir,remove_file,make_char,make_dir,make_reg,make_sock,make_fifo,make_block,make_sym,refer,truncate,ioctl_dev on /etc, the source of a link or rename into ")
            && source.contains(&format!(" into {out} (pid "))
            && source.ends_with("/usr/bin/ln): allow it with --write /etc"),
        "{ran:?}"
    );
    let destination = denial_line(&ran, &out);
    assert!(
        destination.starts_with(&format!(
            "sandbox_run: denied execute on {out}, the destination of a link or rename from /etc (pid "
        )) && destination.ends_with("): nothing more is needed here (the move needs refer and make_ or remove_ rights here, which it has; the rest is what the file must not gain: see the source's denial)"),
        "{ran:?}"
    );
    assert!(!ran.stderr.contains("--exec"), "{ran:?}");
    // What it says is all the link needs.
    let ran = sandbox_run_in(
        &[
            "--write",
            "out",
            "--write",
            "/etc",
            "--broad",
            "--",
            "ln",
            "/etc/hostname",
            "out/h",
        ],
        Some(&d.0),
    );
    assert_eq!(ran.status, Some(0), "{ran:?}");
}

/// `mv src/f out/f` with read on `src` and write on `out`: the rename needs write on `src`
/// (to remove the entry, and so that the file gains nothing in `out`), and nothing on `out`.
#[test]
fn log_denials_reads_a_denied_rename_as_the_grant_it_needs() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("rename-denials");
    d.file("src/f", "f\n");
    std::fs::create_dir_all(d.at("out")).unwrap();
    let (src, out) = (d.path("src"), d.path("out"));
    let ran = sandbox_run_in(
        &[
            "--log-denials",
            "--read",
            "src",
            "--write",
            "out",
            "--",
            "mv",
            "src/f",
            "out/f",
        ],
        Some(&d.0),
    );
    assert_eq!(ran.status, Some(1), "{ran:?}");
    assert!(ran.stderr.contains("Permission denied"), "{ran:?}");
    let source = denial_line(&ran, &src);
    assert!(
        source.starts_with(&format!("sandbox_run: denied execute,write_file,remove_dir,remove_file,make_char,make_dir,make_reg,make_sock,make_fifo,make_block,make_sym,refer,truncate,ioctl_dev on {src}, the source of a link or rename into {out} (pid "))
            && source.ends_with(&format!("/usr/bin/mv): allow it with --write {src}")),
        "{ran:?}"
    );
    let destination = denial_line(&ran, &out);
    assert!(
        destination.starts_with(&format!("sandbox_run: denied execute on {out}, the destination of a link or rename from {src} (pid "))
            && destination.contains("): nothing more is needed here"),
        "{ran:?}"
    );
    assert!(!ran.stderr.contains("--exec"), "{ran:?}");
    let ran = sandbox_run_in(
        &[
            "--write", "src", "--write", "out", "--", "mv", "src/f", "out/f",
        ],
        Some(&d.0),
    );
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert!(d.at("out/f").exists() && !d.at("src/f").exists());
}

/// Learning the link: write on `/etc` is the grant it needs, a broad one, so left out without
/// `--broad` (not verified), and learned with it (verified); never exec on `/etc` or `out`.
#[test]
fn learning_a_link_grants_its_source_write_and_never_exec() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("learn-link");
    std::fs::create_dir_all(d.at("out")).unwrap();
    let out = d.path("out");
    // -f: the link is made again on every run (the first run without a sandbox makes it).
    let command = ["ln", "-f", "/etc/hostname", "out/h"];
    let ran = learning(&["--write", "out"], &command, &d.0);
    assert_eq!(ran.status, Some(1), "{ran:?}");
    assert!(
        ran.stdout.contains(
            "would need a broad grant: --write /etc (a top-level directory); rerun with --broad to accept it"
        ) && !ran.stdout.contains("--read /etc")
            && !ran.stdout.contains("--exec /etc"),
        "{ran:?}"
    );
    assert_eq!(
        grants(&last_line(&ran)),
        [
            ("--write".to_owned(), out.clone()),
            ("--exec".to_owned(), "/usr/bin/ln".to_owned()),
        ],
        "{ran:?}"
    );
    let line = learn_with(&["--write", "out", "--broad"], &command, &d.0);
    assert_eq!(
        grants(&line),
        [
            ("--write".to_owned(), out.clone()),
            ("--write".to_owned(), "/etc".to_owned()),
            ("--exec".to_owned(), "/usr/bin/ln".to_owned()),
        ],
        "{line}"
    );
    std::fs::remove_file(d.at("out/h")).unwrap();
    let ran = rerun(&line, &command, &d.0);
    assert_eq!(ran.status, Some(0), "{ran:?}");
}

/// Learning a rename from a tree the options do not grant: write on the source, nothing more.
#[test]
fn learning_a_rename_grants_its_source_write_and_never_exec() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("learn-rename");
    d.file("src/f", "f\n");
    std::fs::create_dir_all(d.at("out")).unwrap();
    let (src, out) = (d.path("src"), d.path("out"));
    // Moved there and back: every run starts from the same files.
    let script = format!("mv {src}/f {out}/f && mv {out}/f {src}/f");
    let line = learn_with(
        &["--write", &out, "--exec", "/usr/bin"],
        &["sh", "-c", &script],
        &d.0,
    );
    let grants = grants(&line);
    assert!(
        grants.contains(&("--write".to_owned(), src.clone())),
        "{line}"
    );
    assert!(
        grants
            .iter()
            .all(|(option, path)| option != "--exec" || path == "/usr/bin"),
        "{line}"
    );
}

/// A script that does what `then` says only when it can list `/`, which learning never grants
/// without `--broad`: that is, only when it runs without a sandbox.
fn only_unconfined(then: &str) -> String {
    format!("if ls / > /dev/null 2>&1; then {then}; fi")
}

/// The run without a sandbox is announced on standard error before it starts: the program,
/// run then, finds the notice already written.
#[test]
fn learning_says_so_before_it_runs_the_program_without_a_sandbox() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("learn-notice");
    let (said, copy) = (d.path("said"), d.path("copy"));
    let script = only_unconfined(&format!("cat {said} > {copy}"));
    let ran = outcome(
        Command::new(env!("CARGO_BIN_EXE_sandbox_run"))
            .args(["--exec", "/usr/bin", "--learn", "--", "sh", "-c", &script])
            .current_dir(&d.0)
            .stderr(std::fs::File::create(&said).unwrap()),
    );
    // `ls /` needs a broad grant: not verified, but that is not the point here.
    assert_eq!(ran.status, Some(1), "{ran:?}");
    let notice = format!(
        "sandbox_run: --learn: running `/usr/bin/sh -c '{}'` once without a sandbox, to know the status it ends with (give that status with --expect-status N instead, and nothing runs unconfined)\n",
        script.replace('\'', "'\\''")
    );
    assert_eq!(std::fs::read_to_string(&said).unwrap(), notice);
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), notice);
}

/// With `--expect-status`, the status is given instead: the program never runs unconfined.
#[test]
fn with_expect_status_learning_never_runs_the_program_unconfined() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("learn-expect");
    let marker = d.at("marker");
    let script = only_unconfined(&format!("touch {}", marker.display()));
    let ran = learning(
        &["--exec", "/usr/bin", "--expect-status", "0"],
        &["sh", "-c", &script],
        &d.0,
    );
    assert_eq!(ran.status, Some(1), "--read / is not learned: {ran:?}");
    assert!(!marker.exists(), "the program ran unconfined: {ran:?}");
    assert_eq!(ran.stderr, "", "{ran:?}");
    assert!(
        ran.stdout.contains("status 0 (expected: 0): NOT verified"),
        "{ran:?}"
    );
    // Verified against the status given.
    let input = d.file("in.txt", "x\n");
    let ran = learning(&["--expect-status", "0"], &["cat", &input], &d.0);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert!(
        ran.stdout.contains("status 0 (expected: 0): verified"),
        "{ran:?}"
    );
    assert_eq!(ran.stderr, "", "{ran:?}");
    // Another status than the program's: not verified.
    let ran = learning(&["--expect-status", "3"], &["cat", &input], &d.0);
    assert_eq!(ran.status, Some(1), "{ran:?}");
    assert!(
        ran.stdout.contains("status 0 (expected: 3): NOT verified"),
        "{ran:?}"
    );
    // Only with --learn, and only a status.
    for (args, says) in [
        (
            &["--expect-status", "0", "--", "true"][..],
            "required arguments were not provided:\n  --learn",
        ),
        (
            &["--learn", "--expect-status", "256", "--", "true"],
            "invalid value '256' for '--expect-status <N>': 256 is not in 0..=255",
        ),
        (
            &["--learn", "--expect-status", "x", "--", "true"],
            "invalid value 'x' for '--expect-status <N>'",
        ),
    ] {
        let ran = sandbox_run(args);
        assert_eq!(ran.status, Some(125), "{args:?}: {ran:?}");
        assert!(ran.stderr.contains(says), "{args:?}: {ran:?}");
    }
}

/// A program whose grants change on every run (it reads a new file each time) makes learning
/// give up: that is its one outcome, NOT verified, said once, status 1; and the program is not
/// run again, unconfined or not (a last clean run would prove nothing about the next one).
#[test]
fn learning_that_gives_up_is_not_verified_and_says_so_once() {
    if !reports_denials() || !audit() {
        return;
    }
    let d = Dir::new("learn-give-up");
    let counter = d.file("counter", "1\n");
    for n in 1..=20 {
        d.file(&format!("data/f{n}"), "x\n");
    }
    // Runs 1 to 12 read data/f1 to data/f12; later runs read nothing.
    let script = format!(
        "n=$(cat {counter}); echo $((n + 1)) > {counter}; if [ $n -le 12 ]; then cat {}/f$n; fi",
        d.path("data")
    );
    let ran = learning(
        &[
            "--write", &counter, "--exec", "/usr/bin", "--preset", "locale",
        ],
        &["sh", "-c", &script],
        &d.0,
    );
    assert_eq!(ran.status, Some(1), "{ran:?}");
    assert_eq!(
        std::fs::read_to_string(&counter).unwrap(),
        "13\n",
        "12 runs, none after them: {ran:?}"
    );
    assert_eq!(ran.stdout.matches("verified").count(), 1, "{ran:?}");
    assert_eq!(ran.stdout.matches("gave up").count(), 1, "{ran:?}");
    assert!(
        ran.stdout.contains(
            "gave up after 12 runs: each run still changed the grants: NOT verified (not run without a sandbox, nor under the policy below)\n"
        ) && !ran.stdout.contains("final run"),
        "{ran:?}"
    );
    assert_eq!(ran.stderr, "", "{ran:?}");
    last_line(&ran);
}

/// A landlockconfig document written for Landlock ABI `abi`: `abi.all` handles the rights of
/// that ABI (at 4, everything but `ioctl_dev`); programs in `/usr/bin`, and `/dev/null` to
/// read.
fn config_at_abi(abi: u32) -> String {
    format!(
        r#"{{
  "abi": {abi},
  "ruleset": [{{ "handledAccessFs": ["abi.all"], "handledAccessNet": ["abi.all"] }}],
  "pathBeneath": [
    {{ "allowedAccess": ["abi.read_execute"], "parent": ["/usr/bin"] }},
    {{ "allowedAccess": ["read_file"], "parent": ["/dev/null"] }}
  ]
}}"#
    )
}

#[test]
fn a_config_for_an_older_abi_leaves_what_it_does_not_handle_allowed_and_nothing_else() {
    if !landlock_from(5, "`ioctl_dev`, which the ABI 5 file handles,") {
        return;
    }
    let d = Dir::new("config-abi4");
    let old = d.file("abi4.json", &config_at_abi(4));
    let new = d.file("abi5.json", &config_at_abi(5));
    let script = "stty -F /dev/null; cat /etc/hostname";
    // ABI 4's `abi.all` does not handle ioctl_dev: an ioctl on a device stays allowed (the
    // device answers for itself); ABI 5's handles it, and only read_file is granted.
    for (file, ioctl) in [
        (&old, "Inappropriate ioctl for device"),
        (&new, "Permission denied"),
    ] {
        let ran = sandbox_run(&["--config", file, "--", "sh", "-c", script]);
        assert!(
            ran.stderr.contains(&format!("stty: /dev/null: {ioctl}\n")),
            "{ran:?}"
        );
        // What the file does not grant, and handles, stays denied.
        assert!(
            ran.stderr
                .contains("cat: /etc/hostname: Permission denied\n"),
            "{ran:?}"
        );
        assert_eq!(ran.status, Some(1), "{ran:?}");
    }
    // The policy, the kernel's status and the export say what is left unhandled.
    let ran = sandbox_run(&["--config", &old, "--print-policy", "--", "true"]);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert!(
        ran.stdout.contains(
            "  unhandled ioctl_dev (allowed on every file: not restricted by this policy)\n"
        ),
        "{ran:?}"
    );
    assert!(
        ran.stdout.contains(&format!(
            "the kernel: fully enforced (Landlock ABI {}); not restricted by the policy: ioctl_dev",
            kernel_abi()
        )),
        "{ran:?}"
    );
    let ran = sandbox_run(&["--config", &old, "--export", "json", "--", "true"]);
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert!(!ran.stdout.contains("ioctl_dev"), "{ran:?}");
    assert!(ran.stdout.contains(r#""truncate""#), "{ran:?}");
    // Exported, and run again: the same meaning.
    let exported = d.file("exported.json", &ran.stdout);
    let ran = sandbox_run(&["--config", &exported, "--", "sh", "-c", script]);
    assert!(
        ran.stderr
            .contains("stty: /dev/null: Inappropriate ioctl for device\n"),
        "{ran:?}"
    );
    assert!(
        ran.stderr
            .contains("cat: /etc/hostname: Permission denied\n"),
        "{ran:?}"
    );
}
