//! Broad grants compile when the policy acknowledges them with `broad`.

#![deny(warnings)]

use landlock_runtime::{block, sandbox};

#[sandbox(read = "/", write = "$TMP", connect = "*", broad)]
fn wide() -> bool {
    std::fs::read_dir("/usr").is_ok()
}

// A variable's value is known only at run time: `broad` may acknowledge, ahead, that it makes
// the grant broad there.
#[sandbox(write = "${LANDLOCK_UI_DATA}?", broad)]
fn wherever_the_data_is() {}

fn main() {
    assert!(std::thread::spawn(wide).join().unwrap());
    let _ = wherever_the_data_is as fn();
    let listed = block::sandbox!(write = "/usr", broad => std::fs::read_dir("/usr").is_ok()).unwrap();
    assert!(listed);
}
