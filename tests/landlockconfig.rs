//! The Landlock project's configuration format, both ways: documents written by hand from the
//! format's documentation (JSON and TOML, `abi.*` groups, variables, ports, scopes) imported
//! and enforced, with the kernel's exact answers; what the policy language cannot say, refused
//! with exact messages; and policies exported, checked against the format's schema, imported
//! back to the same grants, and enforced.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use landlock_runtime::landlockconfig::{
    self, ExportError, Import, ImportError, MAX_PATHS, MAX_PATHS_BYTES,
};
use landlock_runtime::{Class, ErrorKind, Policy, Ports, Preset, Scopes, sandbox};
use serde_json::Value;

mod support;
use support::*;

/// `text` with `TREE` standing for the tree's root.
fn with_tree(text: &str, tree: &Tree) -> String {
    text.replace("TREE", tree.root.to_str().unwrap())
}

/// Each grant as `class path`.
fn grants(policy: &Policy) -> Vec<String> {
    policy
        .grants()
        .iter()
        .map(|g| format!("{} {g}", g.class()))
        .collect()
}

/// A listening TCP port on the loopback, and the listener that holds it.
fn listening() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

fn connect(port: u16) -> Outcome {
    io(TcpStream::connect(("127.0.0.1", port)))
}

// --- Import: documents written from the format's documentation, enforced -----------------------

#[test]
fn a_json_document_with_groups_ports_and_scopes_is_enforced() {
    if !full_landlock_or_skip() {
        return;
    }
    let tree = Tree::new("lc-json");
    let (_allowed, allowed) = listening();
    let (_other, other) = listening();
    let text = with_tree(
        r#"{
  "abi": 6,
  "ruleset": [
    {
      "handledAccessFs": ["abi.all"],
      "handledAccessNet": ["abi.all"],
      "scoped": ["abi.all"]
    }
  ],
  "pathBeneath": [
    { "allowedAccess": ["abi.read_execute"], "parent": ["TREE/in"] },
    { "allowedAccess": ["abi.read_write"], "parent": ["TREE/out/"] }
  ],
  "netPort": [{ "allowedAccess": ["connect_tcp"], "port": [PORT] }]
}"#,
        &tree,
    )
    .replace("PORT", &allowed.to_string());
    assert_schema_valid(&serde_json::from_str(&text).unwrap());

    let policy = landlockconfig::from_json(&text, "lc-json")
        .unwrap()
        .strict()
        .build()
        .unwrap();
    assert_eq!(
        grants(&policy),
        [
            format!("exec {}", tree.path("in")),
            format!("write {}", tree.path("out"))
        ]
    );
    assert_eq!(policy.connect().allowed(), Some(&[allowed][..]));
    assert_eq!(policy.bind(), &Ports::NONE);
    assert_eq!(policy.scopes(), Scopes::RESTRICTED);

    let sleeper = Sleeper::start();
    let pid = sleeper.pid();
    let outcomes = policy
        .run(|| {
            [
                io(std::fs::read(tree.at("in/a.txt"))),
                io(std::fs::read(tree.at("outside/secret.txt"))),
                io(std::fs::write(tree.at("out/new.txt"), "new")),
                io(std::fs::write(tree.at("in/new.txt"), "new")),
                connect(allowed),
                connect(other),
                io(TcpListener::bind("127.0.0.1:0")),
                kill(pid, 0),
            ]
        })
        .expect("enforced");
    assert_eq!(
        outcomes,
        [
            Ok(()),
            Err(EACCES),
            Ok(()),
            Err(EACCES),
            Ok(()),
            Err(EACCES),
            Err(EACCES),
            Err(EPERM)
        ]
    );
}

/// After the format's README example: variables (each a set of values, every combination
/// expanded), comments, no `net_port` and no `scoped`.
const README_TOML: &str = r#"
abi = 6

[[variable]]
name = "tree"
literal = ["TREE"]

[[variable]]
name = "rw"
literal = ["out", "in/sub"]

[[ruleset]]
handled_access_fs = ["abi.all"]

# This test's inputs can be read and executed.
[[path_beneath]]
allowed_access = ["abi.read_execute"]
parent = ["${tree}/in"]

# Only allow writing to the output directories.
[[path_beneath]]
allowed_access = ["abi.read_write"]
parent = ["${tree}/${rw}"]
"#;

#[test]
fn a_toml_document_with_variables_is_enforced_and_what_it_leaves_open_stays_open() {
    if !full_landlock_or_skip() {
        return;
    }
    let tree = Tree::new("lc-toml");
    let (_listener, port) = listening();
    let text = with_tree(README_TOML, &tree);

    // TCP is not handled: unrestricted, which beside `write` is broad, and refused unless
    // acknowledged, as for any policy.
    let err = landlockconfig::from_toml(&text, "lc-toml")
        .unwrap()
        .build()
        .unwrap_err();
    let ErrorKind::InvalidPolicy { problems } = err.kind() else {
        panic!("{err}");
    };
    assert_eq!(
        problems,
        &[
            "connect_any(): unrestricted TCP connect together with `write`: it can fetch and store, or read and send, anything; narrow it, or acknowledge it with `.broad()`",
            "bind_any(): unrestricted TCP bind together with `write`: it can fetch and store, or read and send, anything; narrow it, or acknowledge it with `.broad()`",
        ]
    );

    let policy = landlockconfig::from_toml(&text, "lc-toml")
        .unwrap()
        .broad()
        .strict()
        .build()
        .unwrap();
    // `in/sub` is beneath `in`: `write` there adds what `exec` beneath `in` does not have.
    assert_eq!(
        grants(&policy),
        [
            format!("exec {}", tree.path("in")),
            format!("write {}", tree.path("out")),
            format!("write {}", tree.path("in/sub")),
        ]
    );
    assert_eq!(policy.connect(), &Ports::ANY);
    let scopes = policy.scopes();
    assert!(
        !scopes.signals && !scopes.abstract_unix_sockets,
        "{scopes:?}"
    );

    let sleeper = Sleeper::start();
    let pid = sleeper.pid();
    let outcomes = policy
        .run(|| {
            [
                io(std::fs::read(tree.at("in/a.txt"))),
                io(std::fs::write(tree.at("in/sub/new.txt"), "new")),
                io(std::fs::write(tree.at("out/new.txt"), "new")),
                io(std::fs::write(tree.at("in/new.txt"), "new")),
                io(std::fs::read(tree.at("outside/secret.txt"))),
                connect(port),
                kill(pid, 0),
            ]
        })
        .expect("enforced");
    assert_eq!(
        outcomes,
        [
            Ok(()),
            Ok(()),
            Ok(()),
            Err(EACCES),
            Err(EACCES),
            Ok(()),
            Ok(())
        ]
    );
}

#[test]
fn rules_on_files_carry_file_rights_and_refer_beside_read_is_dropped() {
    if !full_landlock_or_skip() {
        return;
    }
    let tree = Tree::new("lc-files");
    // After the base profile of `island`: everything handled, devices read-write, system
    // files read with `refer`; and `read_file` alone on a file.
    let text = with_tree(
        r#"
abi = 6

# Deny every handled access by default.
[[ruleset]]
handled_access_fs = ["abi.all"]
handled_access_net = ["abi.all"]
scoped = ["abi.all"]

# Safe writable devices.
[[path_beneath]]
allowed_access = ["abi.read_write"]
parent = ["/dev/null"]

# Configuration.
[[path_beneath]]
allowed_access = ["read_dir", "read_file", "refer"]
parent = ["TREE/in"]

# One file.
[[path_beneath]]
allowed_access = ["read_file"]
parent = ["TREE/outside/secret.txt"]
"#,
        &tree,
    );
    let (_listener, port) = listening();
    let policy = landlockconfig::from_toml(&text, "lc-files")
        .unwrap()
        .strict()
        .build()
        .unwrap();
    assert_eq!(
        grants(&policy),
        [
            "write /dev/null".to_owned(),
            format!("read {}", tree.path("in")),
            format!("read {}", tree.path("outside/secret.txt")),
        ]
    );
    let outcomes = policy
        .run(|| {
            [
                io(std::fs::OpenOptions::new().write(true).open("/dev/null")),
                io(std::fs::read(tree.at("in/a.txt"))),
                io(std::fs::read(tree.at("outside/secret.txt"))),
                io(std::fs::read_dir(tree.at("outside"))),
                io(std::fs::write(tree.at("in/new.txt"), "new")),
                connect(port),
            ]
        })
        .expect("enforced");
    assert_eq!(
        outcomes,
        [
            Ok(()),
            Ok(()),
            Ok(()),
            Err(EACCES),
            Err(EACCES),
            Err(EACCES)
        ]
    );
}

#[test]
fn a_missing_path_fails_the_preparation_unless_ignored() {
    let text = r#"{
  "abi": 6,
  "ruleset": [{ "handledAccessFs": ["abi.all"] }],
  "pathBeneath": [{ "allowedAccess": ["abi.read_execute"], "parent": ["/usr", "/no/such/landlockconfig/dir"] }]
}"#;
    let policy = landlockconfig::from_json(text, "lc-missing")
        .unwrap()
        .build()
        .unwrap();
    let err = policy.prepare().unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::MissingPath { path, .. } if path == Path::new("/no/such/landlockconfig/dir")),
        "{err}"
    );

    let policy = Import::new("lc-missing")
        .ignore_missing(true)
        .json(text)
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(
        grants(&policy),
        ["exec /usr?", "exec /no/such/landlockconfig/dir?"]
    );
    let status = policy.prepare().unwrap();
    let skipped: Vec<String> = status.skipped.iter().map(|s| s.to_string()).collect();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(
        skipped[0].contains("/no/such/landlockconfig/dir?"),
        "{skipped:?}"
    );
}

#[test]
fn a_path_in_the_document_is_one_path_however_it_is_spelled() {
    // `//etc` is `/etc`: as broad, and refused without `broad`.
    let text = r#"{
  "abi": 6,
  "ruleset": [{ "handledAccessFs": ["abi.all"], "handledAccessNet": ["abi.all"] }],
  "pathBeneath": [{ "allowedAccess": ["abi.read_write"], "parent": ["//etc//", "/usr/./share/"] }]
}"#;
    let builder = landlockconfig::from_json(text, "lc-spelled").unwrap();
    let err = builder.build().unwrap_err().to_string();
    assert!(
        err.contains("`write = \"/etc\"` lets the code rewrite all of `/etc`; narrow it, or acknowledge it with `.broad()`"),
        "{err}"
    );
    let policy = landlockconfig::from_json(text, "lc-spelled")
        .unwrap()
        .broad()
        .build()
        .unwrap();
    assert_eq!(grants(&policy), ["write /etc", "write /usr/share"]);
}

#[test]
fn a_file_is_read_as_json_or_toml_by_its_extension_or_its_content() {
    let tree = Tree::new("lc-file");
    let json = r#"{"abi": 6, "ruleset": [{"handledAccessFs": ["abi.all"]}], "pathBeneath": [{"allowedAccess": ["read_file", "read_dir"], "parent": ["/etc"]}]}"#;
    let toml = "abi = 6\n[[ruleset]]\nhandled_access_fs = [\"abi.all\"]\n[[path_beneath]]\nallowed_access = [\"read_file\", \"read_dir\"]\nparent = [\"/etc\"]\n";
    for (name, text) in [
        ("a.json", json),
        ("a.toml", toml),
        ("json-policy", json),
        ("toml-policy", toml),
    ] {
        let path = tree.at(name);
        std::fs::write(&path, text).unwrap();
        let policy = landlockconfig::from_file(&path).unwrap().build().unwrap();
        assert_eq!(grants(&policy), ["read /etc"], "{name}");
        assert_eq!(policy.origin().function(), tree.path(name));
    }
    let err = landlockconfig::from_file(tree.at("none.json")).unwrap_err();
    assert!(matches!(err, ImportError::Read { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "cannot read `{}`: No such file or directory (os error 2)",
            tree.path("none.json")
        )
    );
}

// --- Import: what the policy language cannot say ----------------------------------------------

/// The problems an import reports, or a panic.
fn inexpressible(result: Result<landlock_runtime::PolicyBuilder, ImportError>) -> Vec<String> {
    match result {
        Err(ImportError::Inexpressible { problems, .. }) => problems,
        Err(other) => panic!("{other}"),
        Ok(builder) => panic!("imported: {builder:?}"),
    }
}

#[test]
fn writing_without_creating_every_kind_of_file_has_no_class() {
    // `examples/verbose-write-tmp.json` of the format: /tmp allows neither devices nor ioctl.
    let text = r#"{
  "ruleset": [
    {
      "handledAccessFs": [
        "execute",
        "write_file",
        "read_file",
        "read_dir",
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
        "ioctl_dev"
      ]
    }
  ],
  "pathBeneath": [
    {
      "allowedAccess": [
        "execute",
        "read_file",
        "read_dir",
        "refer"
      ],
      "parent": [
        ".",
        "/bin",
        "/lib",
        "/usr",
        "/dev",
        "/etc",
        "/proc"
      ]
    },
    {
      "allowedAccess": [
        "write_file",
        "read_file",
        "read_dir",
        "remove_dir",
        "remove_file",
        "make_dir",
        "make_reg",
        "make_sock",
        "make_fifo",
        "make_sym",
        "refer",
        "truncate"
      ],
      "parent": [
        "/tmp"
      ]
    }
  ]
}"#;
    assert_schema_valid(&serde_json::from_str(text).unwrap());
    let err = landlockconfig::from_json(text, "verbose-write-tmp.json").unwrap_err();
    assert_eq!(
        err.to_string(),
        "verbose-write-tmp.json: the policy language cannot say what this landlockconfig says: `pathBeneath[1]` allows write_file, read_file, read_dir, remove_dir, remove_file, make_dir, make_reg, make_sock, make_fifo, make_sym, refer, truncate on `/tmp`: no class of the policy language grants exactly that; the nearest, `write`, would also grant make_char, make_block, ioctl_dev"
    );
}

#[test]
fn every_thing_the_language_cannot_say_is_reported_at_once() {
    let text = r#"
abi = 4

[[ruleset]]
handled_access_fs = ["abi.all"]

[[path_beneath]]
allowed_access = ["write_file"]
parent = ["/srv/landlockconfig"]

[[path_beneath]]
allowed_access = ["read_file", "read_dir", "make_reg", "write_file", "truncate"]
parent = ["/var/spool/landlockconfig"]

[[net_port]]
allowed_access = ["bind_tcp"]
port = [0, 8080, 70000]
"#;
    assert_eq!(
        inexpressible(landlockconfig::from_toml(text, "t")),
        [
            "`path_beneath[0]` allows write_file on `/srv/landlockconfig`: no class of the policy language grants exactly that; the nearest, `read`, would also grant read_file, read_dir and not grant write_file",
            "`path_beneath[1]` allows write_file, read_file, read_dir, make_reg, truncate on `/var/spool/landlockconfig`: no class of the policy language grants exactly that; the nearest, `read`, would not grant write_file, make_reg, truncate",
            "`net_port[0]` allows port 0 (for bind_tcp, any port the kernel picks): the policy language grants ports 1 to 65535",
            "`net_port[0]` allows port 70000, which is not a TCP port (0 to 65535)",
        ]
    );
}

/// A document that handles the rights of ABI `abi` (`abi.all`), with `rules`.
fn at_abi(abi: u32, rules: &str) -> String {
    format!(
        r#"{{"abi": {abi}, "ruleset": [{{"handledAccessFs": ["abi.all"], "handledAccessNet": ["abi.all"]}}], "pathBeneath": [{rules}]}}"#
    )
}

#[test]
fn what_a_document_for_an_older_abi_does_not_handle_stays_allowed_and_nothing_more() {
    // ABI 4: everything but ioctl_dev; `abi.read_write` there has no ioctl_dev either, and is
    // `write` on what is handled.
    let text = at_abi(
        4,
        r#"{"allowedAccess": ["abi.read_write"], "parent": ["/tmp"]}"#,
    );
    let policy = landlockconfig::from_json(&text, "t")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(
        policy.unhandled_fs_rights().collect::<Vec<_>>(),
        ["ioctl_dev"]
    );
    assert_eq!(grants(&policy), ["write /tmp"]);
    assert!(
        policy.to_string().contains(
            "  unhandled ioctl_dev (allowed on every file: not restricted by this policy)\n"
        ),
        "{policy}"
    );
    let json: Value = serde_json::from_str(&policy.to_json()).unwrap();
    assert_eq!(json["unhandled_fs"], serde_json::json!(["ioctl_dev"]));
    // Written out, the document still does not handle it, nor allow it.
    let exported = landlockconfig::to_json(&policy).unwrap();
    assert!(!exported.contains("ioctl_dev"), "{exported}");
    let back = landlockconfig::from_json(&exported, "t")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(
        back.unhandled_fs_rights().collect::<Vec<_>>(),
        ["ioctl_dev"]
    );
    assert_eq!(grants(&back), ["write /tmp"]);

    // ABI 2: truncate too, which is then allowed on every file: broad, as a grant on `/`.
    let text = at_abi(
        2,
        r#"{"allowedAccess": ["read_file", "read_dir"], "parent": ["/etc"]}"#,
    );
    let err = landlockconfig::from_json(&text, "t")
        .unwrap()
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("the policy does not handle truncate: allowed on every file, as a grant on `/` would allow it; narrow it, or acknowledge it with `.broad()`"),
        "{err}"
    );
    let policy = landlockconfig::from_json(&text, "t")
        .unwrap()
        .broad()
        .build()
        .unwrap();
    assert_eq!(
        policy.unhandled_fs_rights().collect::<Vec<_>>(),
        ["truncate", "ioctl_dev"]
    );

    // And a document that handles nothing restricts nothing.
    let text = r#"{"abi": 4, "ruleset": [{"scoped": ["abi.all"]}]}"#;
    assert_eq!(
        inexpressible(landlockconfig::from_json(text, "t")),
        [
            "the configuration handles no right (`handledAccessFs`, `handledAccessNet` and `scoped` are empty): it restricts nothing"
        ]
    );
}

#[test]
fn an_unhandled_ioctl_dev_is_allowed_and_the_rest_enforced() {
    if !full_landlock_or_skip() {
        return;
    }
    let t = Tree::new("landlockconfig-abi4");
    let rules = format!(
        r#"{{"allowedAccess": ["read_file"], "parent": ["/dev/null"]}}, {{"allowedAccess": ["abi.read_execute"], "parent": ["{}"]}}"#,
        t.at("in").display()
    );
    let seen = |abi: u32| {
        let policy = landlockconfig::from_json(&at_abi(abi, &rules), "t")
            .unwrap()
            .build()
            .unwrap();
        let (input, secret) = (t.at("in/a.txt"), t.at("outside/secret.txt"));
        policy
            .run(move || {
                let null = std::fs::File::open("/dev/null").unwrap();
                let mut termios = std::mem::MaybeUninit::<libc::termios>::uninit();
                // SAFETY: TCGETS writes one termios into the buffer.
                let ioctl = unsafe {
                    libc::ioctl(
                        std::os::fd::AsRawFd::as_raw_fd(&null),
                        libc::TCGETS,
                        termios.as_mut_ptr(),
                    )
                };
                (
                    if ioctl == 0 {
                        Ok(())
                    } else {
                        Err(last_errno())
                    },
                    io(std::fs::read(input)),
                    io(std::fs::read(secret)),
                )
            })
            .unwrap()
    };
    // Unhandled: the device answers the ioctl itself (not a terminal).
    assert_eq!(seen(4), (Err(Errno(libc::ENOTTY)), Ok(()), Err(EACCES)));
    assert_eq!(seen(5), (Err(EACCES), Ok(()), Err(EACCES)));
}

#[test]
fn rights_from_above_never_widen_the_class_of_a_path() {
    // Beneath a read-only tree, the write rights without the read ones: `write` would grant
    // reading on the rule's own inode, wherever it is reached (through a link, `..`, a hard
    // link or a bind mount), where the document allows reading only through the tree above.
    let text = r#"{
  "abi": 6,
  "ruleset": [{ "handledAccessFs": ["abi.all"], "handledAccessNet": ["abi.all"] }],
  "pathBeneath": [
    { "allowedAccess": ["read_file", "read_dir"], "parent": ["/srv/landlockconfig"] },
    {
      "allowedAccess": ["write_file", "remove_dir", "remove_file", "make_char", "make_dir", "make_reg", "make_sock", "make_fifo", "make_block", "make_sym", "refer", "truncate", "ioctl_dev"],
      "parent": ["/srv/landlockconfig/out", "/var/landlockconfig/out"]
    },
    { "allowedAccess": ["read_file", "write_file"], "parent": ["/srv/landlockconfig/in"] }
  ]
}"#;
    assert_eq!(
        inexpressible(landlockconfig::from_json(text, "t")),
        [
            "`pathBeneath[2]` allows write_file, read_file on `/srv/landlockconfig/in` (besides read_dir from the directories above it): no class of the policy language grants exactly that; the nearest, `read`, would also grant read_dir and not grant write_file; the directories above it allow read_dir only to what is reached through them, and a grant goes with its file wherever it is reached (through a symbolic link, `..` or a hard link)",
            "`pathBeneath[1]` allows write_file, remove_dir, remove_file, make_char, make_dir, make_reg, make_sock, make_fifo, make_block, make_sym, refer, truncate, ioctl_dev on `/srv/landlockconfig/out` (besides read_file, read_dir from the directories above it): no class of the policy language grants exactly that; the nearest, `write`, would also grant read_file, read_dir; the directories above it allow read_file, read_dir only to what is reached through them, and a grant goes with its file wherever it is reached (through a symbolic link, `..` or a hard link)",
            "`pathBeneath[1]` allows write_file, remove_dir, remove_file, make_char, make_dir, make_reg, make_sock, make_fifo, make_block, make_sym, refer, truncate, ioctl_dev on `/var/landlockconfig/out`: no class of the policy language grants exactly that; the nearest, `write`, would also grant read_file, read_dir",
        ]
    );
    // A rule whose rights the tree above already gives adds nothing there: left out. One whose
    // own rights make a class keeps it.
    let text = r#"{
  "abi": 6,
  "ruleset": [{ "handledAccessFs": ["abi.all"], "handledAccessNet": ["abi.all"] }],
  "pathBeneath": [
    { "allowedAccess": ["abi.read_write"], "parent": ["/srv/landlockconfig"] },
    { "allowedAccess": ["write_file"], "parent": ["/srv/landlockconfig/a"] },
    { "allowedAccess": ["read_file", "read_dir", "write_file"], "parent": ["/srv/landlockconfig/b"] },
    { "allowedAccess": ["abi.read_execute"], "parent": ["/srv/landlockconfig/c"] }
  ]
}"#;
    let policy = landlockconfig::from_json(text, "t")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(
        grants(&policy),
        [
            "write /srv/landlockconfig",
            "read /srv/landlockconfig/b",
            "exec /srv/landlockconfig/c"
        ]
    );
}

/// A document that allows `abi.read_write` on `TREE/w` and `RULE` (rights) on `PATH`.
fn beside_read_write(tree: &Tree, rule: &str, path: &str) -> String {
    with_tree(
        &format!(
            r#"{{
  "abi": 6,
  "ruleset": [{{ "handledAccessFs": ["abi.all"], "handledAccessNet": ["abi.all"], "scoped": ["abi.all"] }}],
  "pathBeneath": [
    {{ "allowedAccess": ["abi.read_write"], "parent": ["TREE/w"] }},
    {{ "allowedAccess": {rule}, "parent": ["{path}"] }}
  ]
}}"#
        ),
        tree,
    )
}

#[test]
fn a_path_written_beneath_a_directory_gets_none_of_its_rights_where_it_leads_out() {
    if !full_landlock_or_skip() {
        return;
    }
    let tree = Tree::new("lc-beneath");
    std::fs::create_dir_all(tree.at("w")).unwrap();
    std::os::unix::fs::symlink("../outside", tree.at("w/link")).unwrap();
    // `w/../outside` is not beneath `w`, and `write_file` alone has no class.
    let text = beside_read_write(&tree, r#"["write_file"]"#, "TREE/w/../outside");
    assert_eq!(
        inexpressible(landlockconfig::from_json(&text, "t")),
        [format!(
            "`pathBeneath[1]` allows write_file on `{}`: no class of the policy language grants exactly that; the nearest, `read`, would also grant read_file, read_dir and not grant write_file",
            tree.path("w/../outside")
        )]
    );
    // `w/link` is written beneath `w`, whose rights cover its own, so it adds nothing there and
    // is left out; it leads out of `w`, where the tree's rights do not reach in the kernel, and
    // the policy grants nothing there either (the document's `write_file` is denied: less,
    // never more).
    let text = beside_read_write(&tree, r#"["write_file"]"#, "TREE/w/link");
    let policy = landlockconfig::from_json(&text, "lc-beneath")
        .unwrap()
        .strict()
        .build()
        .unwrap();
    assert_eq!(grants(&policy), [format!("write {}", tree.path("w"))]);
    let outcomes = policy
        .run(|| {
            [
                io(std::fs::read(tree.at("outside/secret.txt"))),
                io(std::fs::read_dir(tree.at("outside"))),
                io(std::fs::read(tree.at("w/link/secret.txt"))),
                io(std::fs::write(tree.at("w/new.txt"), "new")),
            ]
        })
        .expect("enforced");
    assert_eq!(outcomes, [Err(EACCES), Err(EACCES), Err(EACCES), Ok(())]);
    // What the rule allows by itself, it gets, there and nowhere else.
    let text = beside_read_write(&tree, r#"["read_file", "read_dir"]"#, "TREE/w/link");
    let policy = landlockconfig::from_json(&text, "lc-beneath")
        .unwrap()
        .strict()
        .build()
        .unwrap();
    assert_eq!(
        grants(&policy),
        [
            format!("write {}", tree.path("w")),
            format!("read {}", tree.path("w/link"))
        ]
    );
    let outcomes = policy
        .run(|| {
            [
                io(std::fs::read(tree.at("outside/secret.txt"))),
                io(std::fs::write(tree.at("outside/new.txt"), "new")),
            ]
        })
        .expect("enforced");
    assert_eq!(outcomes, [Ok(()), Err(EACCES)]);
}

#[test]
fn a_hard_link_is_reached_through_its_directory_and_its_rule_goes_with_its_inode() {
    if !full_landlock_or_skip() {
        return;
    }
    let tree = Tree::new("lc-hardlink");
    std::fs::create_dir_all(tree.at("w")).unwrap();
    std::fs::hard_link(tree.at("outside/secret.txt"), tree.at("w/h")).unwrap();
    // Landlock: `w`'s rights reach the file through `w/h`, not through its other name. The
    // document and the policy agree.
    let text = beside_read_write(&tree, r#"["abi.read_write"]"#, "TREE/w");
    let policy = landlockconfig::from_json(&text, "lc-hardlink")
        .unwrap()
        .strict()
        .build()
        .unwrap();
    let outcomes = policy
        .run(|| {
            [
                io(std::fs::read(tree.at("w/h"))),
                io(std::fs::read(tree.at("outside/secret.txt"))),
            ]
        })
        .expect("enforced");
    assert_eq!(outcomes, [Ok(()), Err(EACCES)]);
    // A rule on the file itself goes with its inode, to its other name too: writing it, beneath
    // a tree that can read, is not `write`, which would let the other name be read.
    let text = with_tree(
        r#"{
  "abi": 6,
  "ruleset": [{ "handledAccessFs": ["abi.all"], "handledAccessNet": ["abi.all"], "scoped": ["abi.all"] }],
  "pathBeneath": [
    { "allowedAccess": ["read_file", "read_dir"], "parent": ["TREE/w"] },
    { "allowedAccess": ["write_file", "truncate", "ioctl_dev"], "parent": ["TREE/w/h"] }
  ]
}"#,
        &tree,
    );
    assert_eq!(
        inexpressible(landlockconfig::from_json(&text, "t")),
        [format!(
            "`pathBeneath[1]` allows write_file, truncate, ioctl_dev on the file `{}` (besides read_file from the directories above it): no class of the policy language grants exactly that; the nearest, `write`, would also grant read_file; the directories above it allow read_file only to what is reached through them, and a grant goes with its file wherever it is reached (through a symbolic link, `..` or a hard link)",
            tree.path("w/h")
        )]
    );
}

#[test]
fn what_is_not_the_format_is_refused_with_the_parsers_place_or_the_formats_rule() {
    let format_error = |result: Result<landlock_runtime::PolicyBuilder, ImportError>| match result {
        Err(ImportError::Format { message, .. }) => message,
        Err(other) => panic!("{other}"),
        Ok(builder) => panic!("imported: {builder:?}"),
    };
    let json = |text: &str| format_error(landlockconfig::from_json(text, "t"));
    assert_eq!(
        json(r#"{"abi": 6, "ruleset": [{"handledAccessFS": ["abi.all"]}]}"#),
        "unknown field `handledAccessFS`, expected one of `handledAccessFs`, `handledAccessNet`, `scoped` at line 1 column 41"
    );
    // The TOML spelling is not the JSON one.
    assert_eq!(
        json(r#"{"path_beneath": [{"allowedAccess": ["read_file"], "parent": ["/etc"]}]}"#),
        "unknown field `path_beneath`, expected one of `abi`, `variable`, `ruleset`, `pathBeneath`, `netPort` at line 1 column 15"
    );
    // Groups of older versions of the format.
    assert!(
        json(r#"{"abi": 5, "pathBeneath": [{"allowedAccess": ["v5.read_execute"], "parent": ["/usr"]}]}"#)
            .starts_with("unknown variant `v5.read_execute`, expected one of `abi.all`, `abi.read_execute`, `abi.read_write`, `execute`,")
    );
    assert_eq!(
        json(r#"{"pathBeneath": []}"#),
        "invalid length 0, expected at least one element at line 1 column 19"
    );
    assert_eq!(
        json(r#"{"abi": 1}"#),
        "empty configuration: it needs at least one of `variable`, `ruleset`, `pathBeneath`, `netPort`"
    );
    assert_eq!(
        json(
            r#"{"abi": 0, "ruleset": [{}], "variable": [{"name": "1x"}], "pathBeneath": [{"allowedAccess": ["abi.read_execute"], "parent": ["${nope}", "${open"]}]}"#
        ),
        [
            "`abi` is 0: the ABI version must be between 1 and 2^31 - 1 (inclusive)",
            "`variable[0]` names `1x`: invalid first character in name (must be ASCII alphabetic)",
            "`ruleset[0]` is empty: give `handledAccessFs`, `handledAccessNet` or `scoped`",
            "`pathBeneath[0].parent[0]` (`${nope}`): variable `nope` is not declared",
            "`pathBeneath[0].parent[1]` (`${open`): unclosed variable reference starting at position 0",
        ]
        .join("; ")
    );
    assert_eq!(
        json(r#"{"netPort": [{"allowedAccess": ["abi.all"], "port": [80]}]}"#),
        "`netPort[0].allowedAccess` has `abi.all`, which needs the top-level `abi`: the group stands for the rights of that ABI"
    );
    let message = format_error(landlockconfig::from_toml(
        "abi = 6\n[[ruleset]]\nhandledAccessFs = [\"abi.all\"]\n",
        "t",
    ));
    assert!(
        message.starts_with("TOML parse error at line 3, column 1"),
        "{message}"
    );
    assert!(
        message.ends_with("unknown field `handledAccessFs`, expected one of `handled_access_fs`, `handled_access_net`, `scoped`"),
        "{message}"
    );
}

// --- Import: bounded work -------------------------------------------------------------------

/// A document that handles everything and allows `abi.read_execute` on `parents` (JSON
/// strings, written as they are), after `variables` (`"variable": [...],` or nothing).
fn read_execute_on(parents: &[String], variables: &str) -> String {
    format!(
        r#"{{"abi": 6, {variables} "ruleset": [{{"handledAccessFs": ["abi.all"], "handledAccessNet": ["abi.all"]}}], "pathBeneath": [{{"allowedAccess": ["abi.read_execute"], "parent": [{}]}}]}}"#,
        parents.join(", ")
    )
}

/// `values` as a JSON list of strings.
fn json_strings(values: impl IntoIterator<Item = String>) -> String {
    let quoted: Vec<String> = values.into_iter().map(|v| format!("\"{v}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

/// `text` imported and built on a thread of its own, within `limit` (failing past it without
/// waiting for the thread); the policy's grants, or the error.
fn answered_within(limit: Duration, text: String) -> Result<Vec<String>, String> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let started = Instant::now();
        let answer = landlockconfig::from_json(&text, "t")
            .map_err(|e| e.to_string())
            .and_then(|b| b.build().map_err(|e| e.to_string()))
            .map(|policy| grants(&policy));
        let _ = sender.send((answer, started.elapsed(), text.len()));
    });
    let (answer, took, length) = receiver
        .recv_timeout(limit)
        .unwrap_or_else(|_| panic!("no answer within {limit:?}"));
    eprintln!("{length} bytes answered in {took:?}");
    answer
}

#[test]
fn a_few_hundred_bytes_cannot_make_the_import_expand_without_end() {
    let twenty = format!(
        r#""variable": [{{"name": "v", "literal": {}}}],"#,
        json_strings((0..20).map(|i| format!("value{i}")))
    );
    // One variable of twenty values, eight times (20⁸ paths) or four times (20⁴) in one parent:
    // refused before a path is made.
    for uses in [8, 4] {
        let parent = "/${v}".repeat(uses);
        let text = read_execute_on(&[format!("\"{parent}\"")], &twenty);
        assert!(text.len() < 512, "{}", text.len());
        assert_eq!(
            answered_within(Duration::from_secs(1), text),
            Err(format!(
                "t: invalid landlockconfig: `pathBeneath[0].parent[0]` (`{parent}`): with the 20 values of variable `v`, the document's paths would be more than {MAX_PATHS}, the most an import takes"
            ))
        );
    }
    // The bound is the document's: ten parents of 400 paths fit, the eleventh does not, and
    // the entries after it are not expanded at all.
    let parents: Vec<String> = (0..11).map(|i| format!("\"/{i}/${{v}}/${{v}}\"")).collect();
    let text = read_execute_on(&parents, &twenty).replace(
        r#"}]}"#,
        r#"}, {"allowedAccess": ["abi.read_write"], "parent": ["/w/${v}/${v}/${v}"]}]}"#,
    );
    assert_eq!(
        answered_within(Duration::from_secs(1), text),
        Err(format!(
            "t: invalid landlockconfig: `pathBeneath[0].parent[10]` (`/10/${{v}}/${{v}}`): with the 20 values of variable `v`, the document's paths would be more than {MAX_PATHS}, the most an import takes"
        ))
    );
    // A long value, five times over: paths the kernel would not take, refused before made.
    let text = read_execute_on(
        &["\"/${l}/${l}/${l}/${l}/${l}\"".into()],
        &format!(
            r#""variable": [{{"name": "l", "literal": ["{}"]}}],"#,
            "a".repeat(1000)
        ),
    );
    assert_eq!(
        answered_within(Duration::from_secs(1), text),
        Err("t: invalid landlockconfig: `pathBeneath[0].parent[0]` (`/${l}/${l}/${l}/${l}/${l}`): its paths would be up to 5005 bytes long, and a path has at most 4095".into())
    );
    // Paths of 4000 bytes, a thousand of them: past the bytes the paths of a document may total.
    let text = read_execute_on(
        &["\"/${l}/${l}/${l}/${l}/${n}\"".into()],
        &format!(
            r#""variable": [{{"name": "l", "literal": ["{}"]}}, {{"name": "n", "literal": {}}}],"#,
            "a".repeat(990),
            json_strings((0..1000).map(|i| i.to_string()))
        ),
    );
    assert_eq!(
        answered_within(Duration::from_secs(1), text),
        Err(format!(
            "t: invalid landlockconfig: `pathBeneath[0].parent[0]` (`/${{l}}/${{l}}/${{l}}/${{l}}/${{n}}`): the document's paths would be more than {MAX_PATHS_BYTES} bytes together, the most an import takes"
        ))
    );
}

#[test]
fn a_document_of_a_megabyte_is_answered_whole_and_in_linear_time() {
    // The work grows with the document: each path is looked up, merged, placed beneath the
    // others and checked once, however many there are, however deep, however often named. In
    // a release build each of these takes about 0.1 s; in a debug build under the load of a
    // shared machine up to 0.6 s. The bound only catches work that grows faster again: these
    // documents took 30 s to more than 2 minutes when it did.
    let limit = Duration::from_secs(2);
    let pad = "x".repeat(200);
    let megabyte =
        |text: &String| assert!((800_000..1_100_000).contains(&text.len()), "{}", text.len());
    // Every path written out.
    let paths: Vec<String> = (0..MAX_PATHS)
        .map(|i| format!("/srv/landlockconfig/{pad}/dir{i:05}/file{i:05}"))
        .collect();
    let quoted: Vec<String> = paths.iter().map(|p| format!("\"{p}\"")).collect();
    let text = read_execute_on(&quoted, "");
    megabyte(&text);
    let expected: Vec<String> = paths.iter().map(|p| format!("exec {p}")).collect();
    assert_eq!(answered_within(limit, text), Ok(expected.clone()));
    // One more is past the bound.
    let mut more = quoted.clone();
    more.push("\"/srv/landlockconfig/one/more\"".into());
    assert_eq!(
        answered_within(limit, read_execute_on(&more, "")),
        Err(format!(
            "t: invalid landlockconfig: `pathBeneath[0].parent[{MAX_PATHS}]` (`/srv/landlockconfig/one/more`): the document names more than {MAX_PATHS} paths, the most an import takes"
        ))
    );
    // With `..` in each, granted literally.
    let dotdot: Vec<String> = (0..MAX_PATHS)
        .map(|i| format!("\"/srv/landlockconfig/{pad}/../dir{i:05}/file{i:05}\""))
        .collect();
    let text = read_execute_on(&dotdot, "");
    megabyte(&text);
    assert_eq!(answered_within(limit, text).map(|g| g.len()), Ok(MAX_PATHS));
    // A variable declared with each value 27 times over.
    let values = json_strings((0..MAX_PATHS * 27).map(|i| format!("{:05}", i % MAX_PATHS)));
    let text = read_execute_on(
        &["\"/srv/landlockconfig/${v}\"".into()],
        &format!(r#""variable": [{{"name": "v", "literal": {values}}}],"#),
    );
    megabyte(&text);
    assert_eq!(answered_within(limit, text).map(|g| g.len()), Ok(MAX_PATHS));
    // A variable per path.
    let variables: Vec<String> = (0..MAX_PATHS)
        .map(|i| {
            format!(
                r#"{{"name": "v{i}", "literal": ["/srv/landlockconfig/{}/{i}"]}}"#,
                &pad[..170]
            )
        })
        .collect();
    let uses: Vec<String> = (0..MAX_PATHS).map(|i| format!("\"${{v{i}}}\"")).collect();
    let text = read_execute_on(
        &uses,
        &format!(r#""variable": [{}],"#, variables.join(", ")),
    );
    megabyte(&text);
    assert_eq!(answered_within(limit, text).map(|g| g.len()), Ok(MAX_PATHS));
    // Paths a hundred directories deep, each beneath the one before.
    let deep: Vec<String> = (0..MAX_PATHS)
        .map(|i| format!("\"/srv{}/{i}\"", "/d".repeat(i % 120)))
        .collect();
    let text = read_execute_on(&deep, "");
    assert_eq!(answered_within(limit, text).map(|g| g.len()), Ok(MAX_PATHS));
    // One path, named by every entry.
    let entries: Vec<String> = (0..MAX_PATHS)
        .map(|_| format!(r#"{{"allowedAccess": ["abi.read_execute"], "parent": ["/srv/landlockconfig/{}"]}}"#, &pad[..160]))
        .collect();
    let text = format!(
        r#"{{"abi": 6, "ruleset": [{{"handledAccessFs": ["abi.all"], "handledAccessNet": ["abi.all"]}}], "pathBeneath": [{}]}}"#,
        entries.join(", ")
    );
    megabyte(&text);
    assert_eq!(
        answered_within(limit, text),
        Ok(vec![format!("exec /srv/landlockconfig/{}", &pad[..160])])
    );
}

// --- Export -----------------------------------------------------------------------------------

/// Checks a document against the format's JSON schema (`schema/landlockconfig.json` of the
/// landlockconfig project, draft-07), whose every rule is restated here: the keys each object
/// may and must have, non-empty lists, the names of rights, the ranges of `abi` and ports.
fn assert_schema_valid(document: &Value) {
    const FS: [&str; 19] = [
        "abi.all",
        "abi.read_execute",
        "abi.read_write",
        "execute",
        "write_file",
        "read_file",
        "read_dir",
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
    ];
    const NET: [&str; 3] = ["abi.all", "bind_tcp", "connect_tcp"];
    const SCOPE: [&str; 3] = ["abi.all", "abstract_unix_socket", "signal"];
    fn object<'a>(
        value: &'a Value,
        at: &str,
        allowed: &[&str],
        required: &[&str],
    ) -> &'a serde_json::Map<String, Value> {
        let object = value
            .as_object()
            .unwrap_or_else(|| panic!("{at}: not an object"));
        for key in object.keys() {
            assert!(allowed.contains(&key.as_str()), "{at}: key `{key}`");
        }
        for key in required {
            assert!(object.contains_key(*key), "{at}: no `{key}`");
        }
        object
    }
    fn list<'a>(value: &'a Value, at: &str) -> &'a [Value] {
        let list = value
            .as_array()
            .unwrap_or_else(|| panic!("{at}: not an array"));
        assert!(!list.is_empty(), "{at}: empty");
        list
    }
    fn names(value: &Value, at: &str, known: &[&str]) {
        for item in list(value, at) {
            let name = item.as_str().unwrap_or_else(|| panic!("{at}: {item}"));
            assert!(known.contains(&name), "{at}: `{name}`");
        }
    }
    let top = object(
        document,
        "document",
        &["abi", "variable", "ruleset", "pathBeneath", "netPort"],
        &[],
    );
    assert!(
        ["variable", "ruleset", "pathBeneath", "netPort"]
            .iter()
            .any(|k| top.contains_key(*k)),
        "anyOf: none of the lists"
    );
    if let Some(abi) = top.get("abi") {
        let abi = abi.as_i64().expect("an integer");
        assert!((1..=2147483647).contains(&abi), "abi {abi}");
    }
    if let Some(variables) = top.get("variable") {
        for (i, v) in list(variables, "variable").iter().enumerate() {
            let at = format!("variable[{i}]");
            let v = object(v, &at, &["name", "literal"], &["name"]);
            assert!(v["name"].is_string(), "{at}.name");
            if let Some(literal) = v.get("literal") {
                assert!(list(literal, &at).iter().all(Value::is_string), "{at}");
            }
        }
    }
    if let Some(rulesets) = top.get("ruleset") {
        for (i, r) in list(rulesets, "ruleset").iter().enumerate() {
            let at = format!("ruleset[{i}]");
            let r = object(
                r,
                &at,
                &["handledAccessFs", "handledAccessNet", "scoped"],
                &[],
            );
            assert!(!r.is_empty(), "{at}: minProperties");
            for (key, known) in [
                ("handledAccessFs", &FS[..]),
                ("handledAccessNet", &NET[..]),
                ("scoped", &SCOPE[..]),
            ] {
                if let Some(v) = r.get(key) {
                    names(v, &format!("{at}.{key}"), known);
                }
            }
        }
    }
    if let Some(rules) = top.get("pathBeneath") {
        for (i, r) in list(rules, "pathBeneath").iter().enumerate() {
            let at = format!("pathBeneath[{i}]");
            let r = object(
                r,
                &at,
                &["allowedAccess", "parent"],
                &["allowedAccess", "parent"],
            );
            names(&r["allowedAccess"], &at, &FS);
            assert!(list(&r["parent"], &at).iter().all(Value::is_string), "{at}");
        }
    }
    if let Some(rules) = top.get("netPort") {
        for (i, r) in list(rules, "netPort").iter().enumerate() {
            let at = format!("netPort[{i}]");
            let r = object(
                r,
                &at,
                &["allowedAccess", "port"],
                &["allowedAccess", "port"],
            );
            names(&r["allowedAccess"], &at, &NET);
            assert!(list(&r["port"], &at).iter().all(Value::is_u64), "{at}");
        }
    }
}

const FS_RIGHTS: &str = r#"
        "execute",
        "write_file",
        "read_file",
        "read_dir",
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
        "ioctl_dev"
"#;

#[test]
fn an_exported_document_says_what_the_policy_says() {
    // SAFETY: the variable is used by this test only.
    unsafe { std::env::set_var("LANDLOCK_TEST_LC_EXPORT", "/srv/app") };
    let policy = Policy::builder("app::main")
        .read("/etc")
        .read("/no/such/landlockconfig/path?")
        .exec("/usr/bin")
        .write("${LANDLOCK_TEST_LC_EXPORT}/out")
        .exec("${LANDLOCK_TEST_LC_EXPORT}/out")
        .read_path("/srv/costs $5")
        .connect(443)
        .allow_signals()
        .build()
        .unwrap();
    let json = landlockconfig::to_json(&policy).unwrap();
    // The write rights: all but `execute`.
    let write_rights = FS_RIGHTS.replace("        \"execute\",\n", "");
    let expected = format!(
        r#"{{
  "abi": 6,
  "variable": [
    {{
      "name": "LANDLOCK_TEST_LC_EXPORT",
      "literal": [
        "/srv/app"
      ]
    }}
  ],
  "ruleset": [
    {{
      "handledAccessFs": [{fs}      ],
      "handledAccessNet": [
        "bind_tcp",
        "connect_tcp"
      ],
      "scoped": [
        "abstract_unix_socket"
      ]
    }}
  ],
  "pathBeneath": [
    {{
      "allowedAccess": [
        "read_file",
        "read_dir"
      ],
      "parent": [
        "/etc",
        "/srv/costs $$5"
      ]
    }},
    {{
      "allowedAccess": [
        "execute",
        "read_file",
        "read_dir"
      ],
      "parent": [
        "/usr/bin",
        "${{LANDLOCK_TEST_LC_EXPORT}}/out"
      ]
    }},
    {{
      "allowedAccess": [{write}      ],
      "parent": [
        "${{LANDLOCK_TEST_LC_EXPORT}}/out"
      ]
    }}
  ],
  "netPort": [
    {{
      "allowedAccess": [
        "connect_tcp"
      ],
      "port": [
        443
      ]
    }}
  ]
}}
"#,
        fs = FS_RIGHTS,
        write = write_rights,
    );
    assert_eq!(json, expected);
    assert_schema_valid(&serde_json::from_str(&json).unwrap());

    // The TOML spelling says the same: it imports to the same grants.
    let toml = landlockconfig::to_toml(&policy).unwrap();
    assert!(
        toml.starts_with(&format!(
            "# sandbox {}, as a landlockconfig document\n\nabi = 6\n\n[[variable]]\nname = \"LANDLOCK_TEST_LC_EXPORT\"\nliteral = [\"/srv/app\"]\n\n[[ruleset]]\n",
            policy.origin()
        )),
        "{toml}"
    );
    let from_json = landlockconfig::from_json(&json, "t")
        .unwrap()
        .build()
        .unwrap();
    let from_toml = landlockconfig::from_toml(&toml, "t")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(from_json.grants(), from_toml.grants());
    assert_eq!(
        grants(&from_json),
        [
            "read /etc",
            "read /srv/costs $5",
            "exec /usr/bin",
            "write /srv/app/out",
            "exec /srv/app/out"
        ]
    );
}

#[test]
fn what_the_format_cannot_hold_is_not_exported() {
    let err = landlockconfig::to_json(
        &Policy::builder("t")
            .read("${LANDLOCK_TEST_LC_UNSET}/data")
            .build()
            .unwrap(),
    )
    .unwrap_err();
    assert!(matches!(err, ExportError::Unresolved(_)), "{err}");
    assert!(
        err.to_string().ends_with(
            "variable ${LANDLOCK_TEST_LC_UNSET} is not set (needed by `${LANDLOCK_TEST_LC_UNSET}/data`); set it, or end the path with `?` to skip it when the variable is not set (writing it as landlockconfig)"
        ),
        "{err}"
    );
    // Optional, it is left out.
    let json = landlockconfig::to_json(
        &Policy::builder("t")
            .read("${LANDLOCK_TEST_LC_UNSET}/data?")
            .build()
            .unwrap(),
    )
    .unwrap();
    assert!(!json.contains("pathBeneath"), "{json}");

    use std::os::unix::ffi::OsStrExt;
    let path = Path::new(std::ffi::OsStr::from_bytes(b"/srv/\xff"));
    let err = landlockconfig::to_json(&Policy::builder("t").read_path(path).build().unwrap())
        .unwrap_err();
    assert!(
        err.to_string().ends_with(
            "cannot be written as landlockconfig: the path `/srv/\u{fffd}` is not UTF-8, and the format's paths are strings"
        ),
        "{err}"
    );
}

#[test]
fn a_policy_goes_out_and_comes_back_with_the_same_grants_and_is_enforced() {
    if !full_landlock_or_skip() {
        return;
    }
    let tree = Tree::new("lc-round-trip");
    std::fs::create_dir_all(tree.at("build")).unwrap();
    // SAFETY: the variable is used by this test only.
    unsafe { std::env::set_var("LANDLOCK_TEST_LC_TREE", &tree.root) };
    let (_allowed, allowed) = listening();
    let (_other, other) = listening();
    let tmp_relative = tree.root.strip_prefix(std::env::temp_dir()).unwrap();
    let original = Policy::builder("lc-round-trip")
        .read("${LANDLOCK_TEST_LC_TREE}/in")
        .exec(tree.path("in/sub"))
        .write(format!("$TMP/{}/out", tmp_relative.display()))
        .write(tree.path("build"))
        .exec(tree.path("build"))
        .read(tree.path("missing?"))
        .preset(Preset::Devices)
        .connect(allowed)
        .allow_abstract_unix_sockets()
        .strict()
        .build()
        .unwrap();
    let json = landlockconfig::to_json(&original).unwrap();
    assert_schema_valid(&serde_json::from_str(&json).unwrap());
    assert!(
        json.contains("\"${LANDLOCK_TEST_LC_TREE}/in\"") && json.contains("\"${TMP}/"),
        "{json}"
    );

    let imported = landlockconfig::from_json(&json, "lc-round-trip")
        .unwrap()
        .strict()
        .build()
        .unwrap();
    // The same paths with the same classes, as granted on this machine.
    let granted = |policy: &Policy| -> Vec<(Class, PathBuf)> {
        policy.prepare().unwrap();
        let mut all: Vec<_> = policy
            .granted()
            .unwrap()
            .iter()
            .map(|g| (g.class(), g.path().to_path_buf()))
            .collect();
        all.sort();
        all
    };
    assert_eq!(granted(&imported), granted(&original));
    assert_eq!(imported.connect(), original.connect());
    assert_eq!(imported.bind(), original.bind());
    assert_eq!(imported.scopes(), original.scopes());

    // The TOML spelling comes back the same.
    let toml = landlockconfig::to_toml(&original).unwrap();
    let from_toml = landlockconfig::from_toml(&toml, "lc-round-trip")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(from_toml.grants(), imported.grants());

    let sleeper = Sleeper::start();
    let pid = sleeper.pid();
    let outcomes = imported
        .run(|| {
            [
                io(std::fs::read(tree.at("in/a.txt"))),
                io(std::fs::write(tree.at("out/new.txt"), "new")),
                io(std::fs::write(tree.at("build/new.txt"), "new")),
                io(std::fs::write(tree.at("in/new.txt"), "new")),
                io(std::fs::read(tree.at("outside/secret.txt"))),
                io(std::fs::OpenOptions::new().write(true).open("/dev/null")),
                connect(allowed),
                connect(other),
                kill(pid, 0),
            ]
        })
        .expect("enforced");
    assert_eq!(
        outcomes,
        [
            Ok(()),
            Ok(()),
            Ok(()),
            Err(EACCES),
            Err(EACCES),
            Ok(()),
            Ok(()),
            Err(EACCES),
            Err(EPERM)
        ]
    );
}

// --- Every registered policy ------------------------------------------------------------------

#[sandbox(read = "/etc", connect = 443)]
#[allow(dead_code)]
fn reads_etc() {}

#[sandbox(read = input)]
#[allow(dead_code)]
fn reads_its_argument(input: &Path) {
    let _ = input;
}

#[test]
fn every_registered_policy_is_a_document_of_its_own() {
    let all: Value = serde_json::from_str(&landlockconfig::registered_to_json()).unwrap();
    assert_eq!(all["version"], 1);
    let entry = |name: &str| -> &Value {
        all["policies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["function"] == format!("landlockconfig::{name}"))
            .unwrap_or_else(|| panic!("{name} in {all:#}"))
    };
    let etc = entry("reads_etc");
    assert_eq!(etc["file"], "tests/landlockconfig.rs");
    assert_schema_valid(&etc["config"]);
    assert_eq!(
        etc["config"]["pathBeneath"][0]["parent"],
        serde_json::json!(["/etc"])
    );
    assert_eq!(
        etc["config"]["netPort"][0]["port"],
        serde_json::json!([443])
    );
    assert!(etc.get("error").is_none());

    let argument = entry("reads_its_argument");
    assert!(argument.get("config").is_none());
    assert_eq!(
        argument["error"],
        format!(
            "sandbox `landlockconfig::reads_its_argument` (tests/landlockconfig.rs:{}): cannot be written as landlockconfig: it grants what the argument `input` holds, known only when the function is called",
            argument["line"]
        )
    );
}
