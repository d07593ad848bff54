//! The generated policy is out of the body's reach: the body may use the same names, and a
//! second `#[sandbox]` adds a second layer (only what both allow is allowed).

#![deny(warnings)]

use landlock_runtime::sandbox;

#[sandbox(read = ["/etc", "/usr"])]
#[sandbox(read = "/etc")]
fn stacked() -> usize {
    landlock_runtime::in_force().len()
}

#[sandbox(read = "/etc")]
fn shadowed() -> u32 {
    static __LANDLOCK_POLICY: u32 = 7;
    const GRANTS: u32 = 1;
    __LANDLOCK_POLICY + GRANTS
}

fn main() {
    assert_eq!(std::thread::spawn(stacked).join().unwrap(), 2);
    assert_eq!(std::thread::spawn(shadowed).join().unwrap(), 8);
}
