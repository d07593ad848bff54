//! Broad grants compile when the policy acknowledges them with `broad`.

#![deny(warnings)]

use landlock_runtime::{block, sandbox};

#[sandbox(read = "/", write = "$TMP", connect = "*", broad)]
fn wide() -> bool {
    std::fs::read_dir("/usr").is_ok()
}

fn main() {
    assert!(std::thread::spawn(wide).join().unwrap());
    let listed = block::sandbox!(write = "/usr", broad => std::fs::read_dir("/usr").is_ok()).unwrap();
    assert!(listed);
}
