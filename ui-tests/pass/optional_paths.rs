//! A trailing `?` makes a path optional: a missing one is skipped instead of failing.

#![deny(warnings)]

use landlock_runtime::sandbox;

#[sandbox(
    read = ["/etc", "/landlock-ui-tests/does/not/exist?"],
    write = "$TMP/landlock-ui-tests-missing?",
    exec = "${LANDLOCK_UI_TESTS_UNSET}/bin?",
)]
fn load() -> bool {
    std::fs::read_dir("/etc").is_ok()
}

fn main() {
    assert!(std::thread::spawn(load).join().unwrap());
}
