//! Each key with a single value. Every sandboxed function runs on its own thread, so that the
//! policies do not stack.

#![deny(warnings)]

use std::thread;

use landlock_runtime::sandbox;

#[sandbox(read = "/etc")]
fn read_one() -> bool {
    std::fs::read_dir("/etc").is_ok()
}

#[sandbox(write = "$TMP")]
fn write_one() -> bool {
    std::fs::read_dir(std::env::temp_dir()).is_ok()
}

#[sandbox(exec = "/usr")]
fn exec_one() -> bool {
    std::fs::read_dir("/usr").is_ok()
}

#[sandbox(connect = 443)]
fn connect_one() {}

#[sandbox(bind = 8080)]
fn bind_one() {}

fn main() {
    assert!(thread::spawn(read_one).join().unwrap());
    assert!(thread::spawn(write_one).join().unwrap());
    assert!(thread::spawn(exec_one).join().unwrap());
    thread::spawn(connect_one).join().unwrap();
    thread::spawn(bind_one).join().unwrap();
}
