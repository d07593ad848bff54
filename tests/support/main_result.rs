//! A helper for the end-to-end tests: a `main` returning `Result` whose sandbox names a path that
//! does not exist. The failure is `main`'s `Err`: Rust prints it and exits with status 1, and the
//! body never runs.

use std::io;

use landlock_runtime::sandbox;

#[sandbox(read = ["/etc", "/nonexistent/landlock-sandbox-main-result"])]
fn main() -> io::Result<()> {
    println!("unreachable: the body of a sandbox that could not be enforced never runs");
    Ok(())
}
