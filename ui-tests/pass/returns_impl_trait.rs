//! A function returning `impl Trait`.

#![deny(warnings)]

use landlock_runtime::sandbox;

#[sandbox(read = "/etc")]
fn evens(limit: u32) -> impl Iterator<Item = u32> + Send {
    (0..limit).filter(|n| n % 2 == 0)
}

fn main() {
    let sum: u32 = std::thread::spawn(|| evens(10).sum()).join().unwrap();
    assert_eq!(sum, 20);
}
