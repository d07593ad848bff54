//! `sandbox_run` end to end: every option and exit status, on real programs of the machine, with
//! the kernel's exact answers from inside the command; and a share of landrun's own test suite,
//! translated to these options.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

/// Whether the kernel has Landlock with TCP and scopes (ABI 6), which these tests assert.
/// Otherwise skipped, or failed under `LANDLOCK_REQUIRED=1`.
fn landlock() -> bool {
    let abi = landlock_runtime::kernel_abi();
    if abi >= 6 {
        return true;
    }
    assert!(
        std::env::var_os("LANDLOCK_REQUIRED").is_none_or(|v| v != "1"),
        "LANDLOCK_REQUIRED=1 but the kernel has Landlock ABI {abi}"
    );
    eprintln!("skipped: Landlock ABI {abi} < 6");
    false
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
            eprintln!("skipped: {why}");
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
    if !landlock() {
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
    if !landlock() {
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
    let name = format!("sandbox-run-{}", std::process::id());
    let address = std::os::unix::net::SocketAddr::from_pathname("/").ok();
    let _ = address;
    use std::os::linux::net::SocketAddrExt;
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
    let ran = sandbox_run(&["--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(ran.status, Some(128 + 15), "{ran:?}");
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
    assert!(
        ran.stderr
            .contains("expected a TCP port (1 to 65535), or * for any port"),
        "{ran:?}"
    );
    let ran = sandbox_run(&["--write", "/", "--connect", "*", "--", "true"]);
    assert!(ran.stderr.contains("--connect *"), "{ran:?}");
}

#[test]
fn strict_refuses_what_the_kernel_cannot_enforce_and_runs_what_it_can() {
    if !landlock() {
        return;
    }
    // This kernel enforces everything the options say: strict runs.
    assert_eq!(sandbox_run(&["--strict", "--", "true"]).status, Some(0));
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
        "--suggest",
        "--enable-audit",
        "--config",
        "--export",
        "--help",
        "--version",
    ] {
        assert!(ran.stdout.contains(option), "{option} is not in --help");
    }
    for status in ["125 ", "126 ", "127 ", "128+N"] {
        assert!(ran.stdout.contains(status), "{status}");
    }
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
    if !landlock() || !audit() {
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
    let mut args = vec!["--learn", "--"];
    args.extend(command);
    let ran = sandbox_run_in(&args, Some(dir));
    assert_eq!(ran.status, Some(0), "{ran:?}");
    assert!(
        ran.stdout
            .contains("denials, status 0 (without sandbox: 0): verified"),
        "{ran:?}"
    );
    let last = ran.stdout.lines().last().unwrap().to_owned();
    assert!(
        last.starts_with("sandbox_run --explicit ") && last.ends_with(" --"),
        "{ran:?}"
    );
    assert!(
        ran.stdout.contains("#[sandbox(") && ran.stdout.contains("policy!("),
        "{ran:?}"
    );
    last
}

/// The grants of an options line, as (option, path) pairs.
fn grants(line: &str) -> Vec<(String, String)> {
    let words: Vec<&str> = line.split(' ').collect();
    words
        .windows(2)
        .filter(|w| ["--read", "--write", "--exec"].contains(&w[0]))
        .map(|w| (w[0].to_owned(), w[1].trim_matches('\'').to_owned()))
        .collect()
}

#[test]
fn learning_cat_grants_the_file_and_nothing_else() {
    if !landlock() || !audit() {
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
    let words: Vec<String> = line.split(' ').skip(1).map(str::to_owned).collect();
    let mut args: Vec<&str> = words.iter().map(String::as_str).collect();
    args.extend(["cat", &input]);
    let ran = sandbox_run(&args);
    assert_eq!(
        (ran.status, ran.stdout.as_str()),
        (Some(0), "notes\n"),
        "{ran:?}"
    );
}

#[test]
fn learning_sort_with_an_output_file_grants_its_directory_for_creating_it() {
    if !landlock() || !audit() {
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
    if !landlock() || !audit() {
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
    if !landlock() || !audit() {
        return;
    }
    let d = Dir::new("learn-python");
    let line = learn(
        &[
            "/usr/bin/python3",
            "-c",
            "import json, csv; print(json.dumps([1]))",
        ],
        &d.0,
    );
    assert!(line.contains("--exec "), "{line}");
}

#[test]
fn learning_tar_creating_an_archive() {
    if !landlock() || !audit() {
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
    let mut args: Vec<String> = line
        .split(' ')
        .skip(1)
        .map(|w| w.trim_matches('\'').to_owned())
        .collect();
    args.extend(["tar", "-cf", &archive, "-C", &d.path(""), "tree"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let ran = sandbox_run_in(&args, Some(&d.0));
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

/// landrun's test suite (its `test.sh`), on the same fixture, with landrun's options written as
/// this runner's: `--ro` as `--read`, `--rox` as `--exec`, `--rw` as `--write`, `--rwx` as
/// `--write` and `--exec`, and `--explicit`, since landrun grants nothing by itself. Where
/// landrun exits 1 because the kernel denied an exec, this runner says 126, and 125 for a
/// missing path. Every case but one is here: `--unix` needs Landlock ABI 9. The network cases
/// use a server on this machine instead of the Internet.
#[test]
fn landruns_cases() {
    if !landlock() {
        return;
    }
    let d = Dir::new("landrun");
    let ro = d.file("ro/test.txt", "readonly content\n");
    let _ = ro;
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
    let base = ["--explicit", "--exec", "/usr", "--read", "/lib,/lib64"];
    let cases: &[(&str, &[&str], &[&str], i32)] = &[
        (
            "read-only access to file",
            &["--read", "ro"],
            &["cat", "ro/test.txt"],
            0,
        ),
        (
            "read-only access to nested file",
            &["--read", "ro"],
            &["cat", "ro/ro_nested_ro_1/test.txt"],
            0,
        ),
        (
            "write access to a writable directory nested in a read-only one",
            &["--read", "ro", "--write", "ro/ro_nested_rw_1"],
            &["touch", "ro/ro_nested_rw_1/created_file"],
            0,
        ),
        (
            "read-write access to file",
            &["--read", "ro", "--write", "rw"],
            &["touch", "rw/new.txt"],
            0,
        ),
        (
            "no write access to read-only directory",
            &["--read", "ro", "--write", "rw"],
            &["touch", "ro/new.txt"],
            1,
        ),
        (
            "execute access with exec",
            &["--exec", "exec"],
            &["exec/test.sh"],
            0,
        ),
        (
            "execute access with exec on file",
            &["--exec", "exec/test.sh"],
            &["exec/test.sh"],
            0,
        ),
        (
            "exec on a file is not exec on its sibling",
            &["--exec", "exec/test.sh"],
            &["exec/test2.sh"],
            126,
        ),
        (
            "no execute access with just read",
            &["--read", "exec"],
            &["exec/test.sh"],
            126,
        ),
        (
            "execute access in read-write directory",
            &["--write", "rw", "--exec", "rw"],
            &["rw/rw_script.sh"],
            0,
        ),
        (
            "no execute access in read-write directory without exec",
            &["--write", "rw"],
            &["rw/rw_script.sh"],
            126,
        ),
        (
            "multiple read paths",
            &["--read", "ro", "--read", "nested/path/deep"],
            &["cat", "nested/path/deep/test.txt"],
            0,
        ),
        (
            "comma-separated paths",
            &["--read", "/lib,/lib64,ro"],
            &["cat", "ro/test.txt"],
            0,
        ),
        ("simple system command", &["--read", "/etc"], &["whoami"], 0),
        (
            "non-existent read-only path",
            &["--read", "/nonexistent/path"],
            &["ls"],
            125,
        ),
        (
            "ignore a missing path",
            &[
                "--ignore-missing",
                "--read",
                "ro",
                "--read",
                "/nonexistent/path",
            ],
            &["cat", "ro/test.txt"],
            0,
        ),
        (
            "file redirection",
            &["--write", "rw", "--env", "PATH"],
            &["bash", "-c", "ls /usr > rw/output.txt && cat rw/output.txt"],
            0,
        ),
        (
            "mixed permissions",
            &[
                "--exec", "exec", "--write", "rw", "--exec", "rw", "--env", "PATH",
            ],
            &[
                "bash",
                "-c",
                "exec/test.sh > rw/output.txt && cat rw/output.txt",
            ],
            0,
        ),
        (
            "execute from read-only paths",
            &["--read", "/usr/bin"],
            &["id"],
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
                "--exec",
                "/usr",
                "--read",
                "/lib,/lib64,ro",
                "--write",
                "ro/ro_nested_rw_1/created_file",
            ],
            &["touch", "ro/ro_nested_rw_1/created_file"],
            0,
        ),
        (
            "--add-exec: the program is granted exec (the default here)",
            &[
                "--exec",
                "/usr",
                "--read",
                "/lib,/lib64",
                "--exec",
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
            &["--explicit", "--exec", "/", "--broad"],
            &["ls", "/usr"],
            0,
        ),
        (
            "deep directory traversal",
            &["--explicit", "--exec", "/", "--broad"],
            &["ls", "nested/path/deep"],
            0,
        ),
        (
            "system command with arguments",
            &["--explicit", "--exec", "/", "--broad"],
            &["ls", "-la", "/usr/bin"],
            0,
        ),
        (
            "process creation with pipe",
            &[
                "--explicit",
                "--exec",
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
                "--exec",
                "/usr",
                "--read",
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
            "root path traversal regression",
            &["--explicit", "--exec", "/usr"],
            &["/usr/bin/ls", "/usr"],
            0,
        ),
        (
            "unrestricted filesystem access",
            &["--write", "/", "--exec", "/", "--broad"],
            &["ls", "/usr"],
            0,
        ),
        (
            "missing path without --ignore-missing still fails",
            &[
                "--explicit",
                "--exec",
                "/usr",
                "--read",
                "/nonexistent/path",
            ],
            &["cat", "ro/test.txt"],
            125,
        ),
        (
            "unrestricted IPC scoping",
            &[
                "--explicit",
                "--exec",
                "/usr",
                "--read",
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
            &["--explicit", "--exec", "/usr", "--read", "/", "--broad"],
            &curl,
            7,
        ),
        (
            "TCP connection with permission",
            &[
                "--explicit",
                "--exec",
                "/usr",
                "--read",
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
            &["--explicit", "--exec", "/", "--broad", "--connect", "*"],
            &curl,
            0,
        ),
        (
            "restricted network access",
            &["--explicit", "--exec", "/", "--broad"],
            &curl,
            7,
        ),
    ];
    for (name, options, command, expected) in whole {
        let mut args: Vec<&str> = options.to_vec();
        args.push("--");
        args.extend(*command);
        let ran = sandbox_run_in(&args, Some(&d.0));
        assert_eq!(ran.status, Some(*expected), "{name}: {args:?}\n{ran:?}");
    }
    // Its environment isolation case: under --clear-env the variable is not passed.
    let mut command = Command::new(env!("CARGO_BIN_EXE_sandbox_run"));
    command
        .args([
            "--explicit",
            "--exec",
            "/usr",
            "--read",
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
            "--exec",
            "/usr",
            "--read",
            "/lib,/lib64",
        ])
        .args(["--", "/usr/bin/bash", "-c", "echo $TEST_ENV_VAR"])
        .env("TEST_ENV_VAR", "test_value_123");
    let out = command.output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "test_value_123\n");
}

// --- Policies in the landlockconfig format ---------------------------------------------------

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
            "# sandbox_run's policy for `cat`, as a landlockconfig document\n\nabi = 6\n"
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
