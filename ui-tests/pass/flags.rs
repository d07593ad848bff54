//! The flags, alone and together, in any order among the other items.

#![deny(warnings)]

use landlock_runtime::sandbox;

#[sandbox(strict)]
fn strict_only() {}

#[sandbox(allow_signals, read = "/etc")]
fn signals() {}

#[sandbox(read = "/etc", allow_abstract_unix_sockets)]
fn abstract_unix_sockets() {}

#[sandbox(
    strict,
    allow_signals,
    allow_abstract_unix_sockets,
    read = "/etc",
    connect = 443
)]
fn all_flags() {}

fn main() {
    for f in [strict_only, signals, abstract_unix_sockets, all_flags] {
        std::thread::spawn(f).join().unwrap();
    }
}
