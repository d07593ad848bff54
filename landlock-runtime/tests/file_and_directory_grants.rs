//! Preparation tells files from directories when it opens a granted path: a file gets the file
//! rights of its class, a directory (also through a symbolic link) all of them.

#![cfg(target_os = "linux")]

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::PathBuf;
use std::thread;

use landlock_runtime::Policy;

mod common;
use common::landlock_or_skip;

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("landlock-file-grants-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("tree")).unwrap();
    fs::write(dir.join("file"), "old").unwrap();
    fs::write(dir.join("other"), "other").unwrap();
    std::os::unix::fs::symlink(dir.join("tree"), dir.join("link")).unwrap();
    dir
}

#[test]
fn a_file_gets_file_rights_and_a_linked_directory_directory_rights() {
    if !landlock_or_skip() {
        return;
    }
    let dir = scratch_dir();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let policy = Policy::builder("grants")
        .write(path("file"))
        .write(path("link"))
        .build()
        .unwrap();
    policy
        .prepare()
        .expect("a write grant on a regular file is valid");

    thread::scope(|s| {
        s.spawn(|| {
            policy.enforce().unwrap();
            let mut file = fs::OpenOptions::new()
                .append(true)
                .open(dir.join("file"))
                .expect("the granted file is writable");
            file.write_all(b"new").unwrap();
            let denied = fs::read(dir.join("other")).unwrap_err();
            assert_eq!(denied.kind(), ErrorKind::PermissionDenied);
            fs::write(dir.join("tree/created"), "x").expect("the linked directory is writable");
            fs::remove_file(dir.join("tree/created")).expect("and its files removable");
        })
        .join()
        .unwrap_or_else(|payload| std::panic::resume_unwind(payload));
    });

    assert_eq!(fs::read_to_string(dir.join("file")).unwrap(), "oldnew");
    fs::remove_dir_all(&dir).unwrap();
}
