//! `crate = "..."` naming a module that re-exports the runtime: the generated code reaches
//! `__private` through it.

#![deny(warnings)]

mod rt {
    pub use landlock_runtime::*;
}

mod nested {
    use landlock_runtime::sandbox;

    #[sandbox(read = "/etc", crate = "crate::rt")]
    pub fn absolute() {}

    #[sandbox(read = "/etc", crate = "super::rt")]
    pub fn relative() {}
}

use landlock_runtime::{block, sandbox};

#[sandbox(read = "/etc", crate = "rt")]
fn in_scope() {}

fn main() {
    for f in [in_scope, nested::absolute, nested::relative] {
        std::thread::spawn(f).join().unwrap();
    }
    let n = block::sandbox!(read = "/etc", crate = "rt" => 1 + 1).unwrap();
    assert_eq!(n, 2);
}
