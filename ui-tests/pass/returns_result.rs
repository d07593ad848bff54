//! A function returning `Result`, using `?` inside and used with `?` by its caller.

#![deny(warnings)]

use std::io;

use landlock_runtime::sandbox;

#[sandbox(read = "/etc")]
fn entries() -> io::Result<usize> {
    let dir = std::fs::read_dir("/etc")?;
    Ok(dir.count())
}

fn run() -> io::Result<()> {
    let n = entries()?;
    assert!(n > 0);
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    std::thread::spawn(run).join().unwrap()?;
    Ok(())
}
