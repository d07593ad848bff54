//! Generics, lifetimes and where-clauses survive.

#![deny(warnings)]

use std::fmt::Display;

use landlock_runtime::sandbox;

#[sandbox(read = "/etc")]
fn describe<'a, T, const N: usize>(items: &'a [T; N], prefix: &'a str) -> String
where
    T: Display + Send,
{
    let names: Vec<String> = items.iter().map(|i| format!("{prefix}{i}")).collect();
    names.join(",")
}

fn main() {
    let s = std::thread::spawn(|| describe(&[1, 2], "#"))
        .join()
        .unwrap();
    assert_eq!(s, "#1,#2");
}
