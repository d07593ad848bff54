//! Every variable a path may start with, alone and followed by a path.

#![deny(warnings)]

use landlock_runtime::sandbox;

#[sandbox(
    read = ["$HOME?", "$CWD", "$EXE_DIR", "${LANDLOCK_UI_TESTS_DATA}/share"],
    write = ["$TMP", "$HOME/.cache?", "$EXE_DIR/landlock-ui-tests?"],
    exec = "${LANDLOCK_UI_TESTS_DATA}/bin?",
)]
fn load() -> bool {
    std::fs::read_dir(std::env::current_dir().unwrap()).is_ok()
        && std::fs::read_dir("/usr/share").is_ok()
}

fn main() {
    // SAFETY: no other thread runs yet.
    unsafe { std::env::set_var("LANDLOCK_UI_TESTS_DATA", "/usr") };
    assert!(std::thread::spawn(load).join().unwrap());
}
