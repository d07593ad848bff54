//! `crate = "..."` naming the runtime under another name, as a renamed dependency would.

#![deny(warnings)]

extern crate landlock_runtime as sandbox_rt;

use sandbox_rt::{block, sandbox};

#[sandbox(read = "/etc", crate = "sandbox_rt")]
fn renamed() {}

#[sandbox(read = "/etc", crate = "::sandbox_rt")]
fn renamed_absolute() {}

fn main() {
    std::thread::spawn(renamed).join().unwrap();
    std::thread::spawn(renamed_absolute).join().unwrap();
    let n = block::sandbox!(crate = "sandbox_rt", read = "/etc" => 40 + 2).unwrap();
    assert_eq!(n, 42);
}
