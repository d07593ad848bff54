//! A policy naming a path that does not exist: the sandbox fails closed. `main`'s body never
//! runs, and the program stops with a message naming the path, the function and the line.
//!
//! Run it with `cargo run --example missing_path` (it exits with an error, by design).

use landlock_runtime::sandbox;

#[sandbox(read = ["/etc", "/nonexistent/landlock-sandbox-example"])]
fn main() {
    println!("unreachable: the body of a sandbox that could not be enforced never runs");
}

/// The sandboxes of this program are locked in the workspace's `sandbox.lock`: a change that
/// widens one fails `cargo test` until the lock file is rewritten and reviewed.
#[test]
fn policies_are_locked() {
    landlock_runtime::assert_policies_locked!("sandbox.lock");
}
