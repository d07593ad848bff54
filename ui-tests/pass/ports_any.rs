//! `"*"` leaves TCP connect or bind unrestricted.

#![deny(warnings)]

use landlock_runtime::sandbox;

#[sandbox(connect = "*")]
fn connect_any() {}

#[sandbox(bind = "*", connect = [443])]
fn bind_any() {}

fn main() {
    std::thread::spawn(connect_any).join().unwrap();
    std::thread::spawn(bind_any).join().unwrap();
}
