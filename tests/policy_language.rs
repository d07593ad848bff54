//! The policy language on what ordinary programs need: a directory written and run from, paths
//! known only at run time (literal paths, function arguments), optional paths that cannot be
//! opened, and errors that fit the caller. Each outcome is the kernel's, asserted exactly.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use landlock_runtime::{ErrorKind, Policy, Preset, SandboxCommandExt, SkipReason, block, sandbox};

mod support;
use support::*;

/// Copies `/usr/bin/true` into `dir` as an executable file, and runs it: what a build directory
/// or a plugin directory sees.
fn write_and_run(dir: &Path, program: &[u8]) -> (Outcome, Outcome) {
    let copy = dir.join("true");
    let written = io(std::fs::write(&copy, program)
        .and_then(|()| std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755))));
    let ran = io(Command::new(&copy).status());
    (written, ran)
}

#[test]
fn write_and_exec_on_one_directory_grant_both() {
    if !full_landlock_or_skip() {
        return;
    }
    let t = Tree::new("write-and-exec");
    let program = std::fs::read("/usr/bin/true").unwrap();
    let dir = t.at("out");
    let both = Policy::builder("t")
        .write(t.path("out"))
        .exec(t.path("out"))
        .preset(Preset::DynamicLoader)
        .strict()
        .build()
        .unwrap();
    assert_eq!(
        both.run(|| write_and_run(&dir, &program)).unwrap(),
        (Ok(()), Ok(()))
    );
    std::fs::remove_file(dir.join("true")).unwrap();
    // Write alone: the file is written, and running it is denied.
    let write_only = Policy::builder("t")
        .write(t.path("out"))
        .preset(Preset::DynamicLoader)
        .build()
        .unwrap();
    assert_eq!(
        write_only.run(|| write_and_run(&dir, &program)).unwrap(),
        (Ok(()), Err(EACCES))
    );
}

#[test]
fn two_spellings_of_one_directory_are_merged() {
    if !full_landlock_or_skip() {
        return;
    }
    in_child("two_spellings_of_one_directory_are_merged", || {
        let t = Tree::new("two-spellings");
        std::env::set_current_dir(&t.root).unwrap();
        let program = std::fs::read("/usr/bin/true").unwrap();
        // `$CWD/out` and the absolute path are one directory: write under one spelling and
        // exec under the other grant both, and nothing refuses the pair.
        let policy = Policy::builder("t")
            .write("$CWD/out")
            .exec(t.path("out"))
            .preset(Preset::DynamicLoader)
            .build()
            .unwrap();
        let dir = t.at("out");
        assert_eq!(
            policy.run(|| write_and_run(&dir, &program)).unwrap(),
            (Ok(()), Ok(()))
        );
    });
}

#[test]
fn literal_paths_are_taken_as_they_are() {
    if !full_landlock_or_skip() {
        return;
    }
    let t = Tree::new("literal-paths");
    let odd = [
        OsStr::new("what?"),
        OsStr::new("price$1.txt"),
        OsStr::from_bytes(b"caf\xe9.txt"),
    ];
    for name in odd {
        std::fs::write(t.at("in").join(name), "granted").unwrap();
    }
    let policy = odd
        .iter()
        .fold(Policy::builder("t"), |b, name| {
            b.read_path(t.at("in").join(name))
        })
        // Given twice: one grant.
        .read_path(t.at("in").join("what?"))
        .strict()
        .build()
        .unwrap();
    assert_eq!(policy.grants().len(), 3);
    let seen = policy
        .run(|| {
            let mut seen: Vec<Outcome> = odd
                .iter()
                .map(|name| opened(&t.at("in").join(name), libc::O_RDONLY))
                .collect();
            // Its neighbour, and the optional path a template would have made of `what?`.
            seen.push(opened(&t.at("in/a.txt"), libc::O_RDONLY));
            seen
        })
        .unwrap();
    assert_eq!(seen, [Ok(()), Ok(()), Ok(()), Err(EACCES)]);
    // Through the template methods, `what?` is the optional path `what`, and `price$1.txt` is
    // refused: that is the policy language, and why the literal methods exist.
    let err = Policy::builder("t")
        .read(format!("{}/price$1.txt", t.path("in")))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("`$` inside"), "{err}");
}

#[test]
fn a_relative_literal_path_is_made_absolute_against_the_current_directory() {
    in_child(
        "a_relative_literal_path_is_made_absolute_against_the_current_directory",
        || {
            let t = Tree::new("literal-relative");
            std::env::set_current_dir(t.at("in")).unwrap();
            let policy = Policy::builder("t").read_path("a.txt").build().unwrap();
            assert_eq!(
                policy.grants()[0].path(),
                &landlock_runtime::GrantPath::Literal(t.at("in/a.txt"))
            );
        },
    );
}

#[sandbox(read = input, write = out_dir)]
fn convert(input: &Path, out_dir: &Path) -> (Outcome, Outcome, Outcome) {
    let neighbour = input.with_file_name("secret.txt");
    (
        io(std::fs::read(input)),
        io(std::fs::write(out_dir.join("converted.txt"), "x")),
        io(std::fs::read(neighbour)),
    )
}

#[test]
fn an_argument_policy_allows_the_given_file_and_denies_its_neighbour() {
    if !full_landlock_or_skip() {
        return;
    }
    let t = Tree::new("argument-policy");
    let (input, out) = (t.at("outside/in.txt"), t.at("out"));
    std::fs::write(&input, "data").unwrap();
    let seen = std::thread::spawn(move || {
        let first = convert(&input, &out);
        // The same call again is the same policy: not a second layer.
        let again = convert(&input, &out);
        (first, again, landlock_runtime::in_force().len())
    })
    .join()
    .unwrap();
    let expected = (Ok(()), Ok(()), Err(EACCES));
    assert_eq!(seen, (expected, expected, 1));
    // Review sees the argument, not the paths of one call.
    let policies = landlock_runtime::policies();
    let registered = policies
        .iter()
        .find(|p| p.origin().function() == "policy_language::convert")
        .unwrap();
    let text = registered.to_string();
    assert!(text.contains("  read     <argument input>\n"), "{text}");
    assert!(text.contains("  write    <argument out_dir>\n"), "{text}");
}

#[test]
fn an_argument_that_makes_a_broad_grant_is_refused_at_the_call() {
    if !full_landlock_or_skip() {
        return;
    }
    #[sandbox(read = dir)]
    fn list(dir: &Path) {
        let _ = dir;
    }
    let panic = std::thread::spawn(|| list(Path::new("/")))
        .join()
        .unwrap_err();
    let msg = panic.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains(
            "argument `dir` holds `/`: `read = \"/\"` grants read on the whole filesystem"
        ),
        "{msg}"
    );
}

#[test]
fn the_block_form_grants_a_variable_in_scope() {
    if !full_landlock_or_skip() {
        return;
    }
    let t = Tree::new("block-variable");
    let file: PathBuf = t.at("in/a.txt");
    let seen = block::sandbox!(read = file => (
        io(std::fs::read(&file)),
        io(std::fs::read(t.at("outside/secret.txt")))
    ))
    .unwrap();
    assert_eq!(seen, (Ok(()), Err(EACCES)));
}

#[test]
fn an_optional_path_this_user_cannot_open_is_skipped_and_said_so() {
    if !landlock_or_skip() {
        return;
    }
    if !root_or_skip("running as another user") {
        return;
    }
    // root's own home, named through an inherited HOME, by a program run as nobody: it exists,
    // and nobody cannot open it.
    let home = PathBuf::from("/root");
    let made = home.join(".landlock-scenario");
    std::fs::create_dir_all(&made).unwrap();
    let output = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_landlock-scenarios"))
        .arg("optional-home")
        .env("HOME", &home)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir(&made);
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = |key: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in {out}"))
            .to_owned()
    };
    assert!(
        line("optional: ").ends_with(
            "skipped optional paths: $HOME/.landlock-scenario? (cannot be opened: Permission denied (os error 13))"
        ),
        "{out}"
    );
    assert!(
        line("mandatory: ").contains(
            "error: sandbox `scenarios::optional_home` (tests/support/scenarios.rs:"
        ) && line("mandatory: ").contains(
            "cannot open path `/root/.landlock-scenario` (from `$HOME/.landlock-scenario`): Permission denied"
        ),
        "{out}"
    );
    // The reason is typed, for a program to act on.
    let policy = Policy::builder("t").read("/no/such/path?").build().unwrap();
    assert_eq!(
        policy.prepare().unwrap().skipped[0].reason,
        SkipReason::Missing
    );
}

#[test]
fn a_sandbox_error_becomes_an_io_error_with_its_message() {
    let policy = Policy::builder("t").read("/no/such/dir").build().unwrap();
    fn run(policy: &Policy) -> std::io::Result<()> {
        policy.run(|| ())?;
        Ok(())
    }
    let err = run(&policy).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied);
    assert!(
        err.to_string()
            .contains("path `/no/such/dir` does not exist"),
        "{err}"
    );
    // The sandbox's error is inside, for a caller that wants its kind.
    let inner = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<landlock_runtime::Error>());
    assert!(matches!(
        inner.map(|e| e.kind()),
        Some(ErrorKind::MissingPath { .. })
    ));
}

#[test]
fn a_spawn_the_calling_threads_own_sandbox_denies_names_that_sandbox() {
    if !full_landlock_or_skip() {
        return;
    }
    let child: &'static Policy = Box::leak(Box::new(
        Policy::builder("policy_language::child")
            .exec("/usr/bin/true")
            .preset(Preset::DynamicLoader)
            .build()
            .unwrap(),
    ));
    let caller = Policy::builder("policy_language::caller")
        .read("/usr")
        .build()
        .unwrap();
    let err = caller
        .run(|| {
            Command::new("/usr/bin/true")
                .sandbox(child)
                .status()
                .unwrap_err()
        })
        .unwrap();
    let msg = err.to_string();
    assert!(
        msg.contains("by the sandbox `policy_language::caller`")
            && msg.contains("it does not grant `exec` on `/usr/bin/true`")
            && msg.contains("the program's own sandbox `policy_language::child`"),
        "{msg}"
    );
}

#[test]
fn a_missing_argument_path_is_not_told_to_end_with_a_question_mark() {
    if !landlock_or_skip() {
        return;
    }
    let input = std::path::PathBuf::from("/no/such/input.txt");
    let err = block::sandbox!(read = input => ()).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err.kind(), ErrorKind::MissingPath { literal: true, .. })
            && message.contains(
                "path `/no/such/input.txt` does not exist; create it, or grant a path that exists"
            )
            && !message.contains('?'),
        "{message}"
    );
}

/// A body that is one call is no redundant closure to clippy in the caller's code: the
/// workspace's `cargo clippy --all-targets -- -D warnings` checks this very file.
#[test]
fn a_block_whose_body_is_one_call_runs_it() {
    fn answer() -> u32 {
        42
    }
    if !landlock_or_skip() {
        return;
    }
    assert_eq!(block::sandbox!(read = "/etc" => answer()).unwrap(), 42);
}

/// A TCP port nothing listens on now (the kernel picked it, and it was let go).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    listener.local_addr().unwrap().port()
}

#[sandbox(connect = [443, port], bind = ports)]
fn tcp(port: u16, ports: &[u16], other: u16, not_bound: u16) -> [Outcome; 4] {
    let connect = |port| io(std::net::TcpStream::connect(("127.0.0.1", port)));
    let bind = |port| io(std::net::TcpListener::bind(("127.0.0.1", port)));
    [
        connect(port),
        connect(other),
        bind(ports[1]),
        bind(not_bound),
    ]
}

#[test]
fn port_arguments_grant_the_ports_they_hold_at_each_call() {
    if !full_landlock_or_skip() {
        return;
    }
    let listen = || std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let (granted, other) = (listen(), listen());
    let port = |l: &std::net::TcpListener| l.local_addr().unwrap().port();
    let (granted, other) = (port(&granted), port(&other));
    let (bindable, not_bound) = ([free_port(), free_port()], free_port());
    let seen = std::thread::spawn(move || tcp(granted, &bindable, other, not_bound))
        .join()
        .unwrap();
    assert_eq!(seen, [Ok(()), Err(EACCES), Ok(()), Err(EACCES)]);
    // Another thread, other ports: each call gets the ports it was given.
    let seen = std::thread::spawn(move || tcp(other, &bindable, granted, not_bound))
        .join()
        .unwrap();
    assert_eq!(seen, [Ok(()), Err(EACCES), Ok(()), Err(EACCES)]);
    // Review sees the arguments, not the ports of one call.
    let policies = landlock_runtime::policies();
    let registered = policies
        .iter()
        .find(|p| p.origin().function() == "policy_language::tcp")
        .unwrap();
    let text = registered.to_string();
    assert!(text.contains("  connect  443, <argument port>\n"), "{text}");
    assert!(text.contains("  bind     <argument ports>\n"), "{text}");
    let json = registered.to_json();
    assert!(
        json.contains(r#""connect":[443,"<argument port>"]"#),
        "{json}"
    );
    assert!(json.contains(r#""bind":["<argument ports>"]"#), "{json}");
    // A policy made from the argument ports alone is not prepared: the ports are not known.
    let err = registered.prepare().unwrap_err().to_string();
    assert!(err.contains("the ports of the argument `port`"), "{err}");
}

#[test]
fn a_port_argument_holding_port_0_is_refused_at_the_call() {
    if !full_landlock_or_skip() {
        return;
    }
    #[sandbox(bind = port)]
    fn serve(port: u16) {
        let _ = port;
    }
    let panic = std::thread::spawn(|| serve(0)).join().unwrap_err();
    let msg = panic.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("argument `port` holds port 0, which is not a port"),
        "{msg}"
    );
}
