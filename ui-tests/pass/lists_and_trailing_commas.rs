//! Lists for every key, with and without trailing commas, and a trailing comma after the last
//! item.

#![deny(warnings)]

use landlock_runtime::sandbox;

#[sandbox(
    read = ["/etc", "/usr",],
    write = ["$TMP"],
    exec = ["/usr/bin", "/bin?"],
    connect = [80, 443,],
    bind = [8080],
)]
fn everything() {}

#[sandbox(read = ["/etc"], connect = [443, 8443])]
fn no_trailing_comma() {}

#[sandbox()]
fn empty_policy() {}

#[sandbox]
fn no_arguments() {}

fn main() {
    for f in [everything, no_trailing_comma, empty_policy, no_arguments] {
        std::thread::spawn(f).join().unwrap();
    }
}
