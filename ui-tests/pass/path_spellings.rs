//! Repeated and trailing slashes are one spelling of a path: the policy keeps the path in that
//! spelling, which review, the checks and the kernel's rule all see.

#![deny(warnings)]

use landlock_runtime::{GrantPath, sandbox};

#[sandbox(read = ["//etc//", "$TMP//"])]
fn read_etc() -> bool {
    std::fs::read_dir("/etc").is_ok() && std::fs::read_dir("/usr").is_err()
}

fn main() {
    assert!(std::thread::spawn(read_etc).join().unwrap());
    let policies = landlock_runtime::policies();
    let policy = policies
        .iter()
        .find(|p| p.origin().function().ends_with("read_etc"))
        .unwrap();
    let paths: Vec<&GrantPath> = policy.grants().iter().map(|g| g.path()).collect();
    assert_eq!(
        paths,
        [&GrantPath::Template("/etc".into()), &GrantPath::Template("$TMP".into())]
    );
}
