//! `process` on a function other than `main` restricts every thread of the process, including
//! one that was already running; `main` has process scope by default.

#![deny(warnings)]

use std::sync::mpsc;

use landlock_runtime::sandbox;

#[sandbox(read = "/etc", process)]
fn everywhere() {}

fn main() {
    let (go, wait) = mpsc::channel::<()>();
    let running = std::thread::spawn(move || {
        wait.recv().unwrap();
        std::fs::read_dir("/usr").unwrap_err().kind()
    });
    everywhere();
    go.send(()).unwrap();
    assert_eq!(running.join().unwrap(), std::io::ErrorKind::PermissionDenied);
}
