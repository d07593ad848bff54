//! A body that is only a value, on one line as rustc lints it, raises no `unused_braces`: the
//! generated statements go inside the user's braces, not around them.

#![deny(warnings)]

use landlock_runtime::sandbox;

#[rustfmt::skip]
#[sandbox(read = "/etc")]
fn three() -> u32 { 3 }

#[sandbox(read = "/etc")]
fn nothing() {}

fn main() {
    let n = std::thread::spawn(|| {
        nothing();
        three()
    })
    .join()
    .unwrap();
    assert_eq!(n, 3);
}
