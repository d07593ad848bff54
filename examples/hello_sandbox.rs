//! The quick start: `main` declares what the program may touch, and the kernel holds it to that.
//!
//! Run it with `cargo run --example hello_sandbox`.

use std::io;

use landlock_runtime::sandbox;

#[sandbox(read = "/etc", write = "$TMP")]
fn main() {
    println!(
        "This program may read /etc and read and write the temporary directory; nothing else."
    );
    for layer in landlock_runtime::in_force() {
        println!("The kernel reports: {layer}.");
    }

    let tmp = std::env::temp_dir().join(format!("hello_sandbox-{}.txt", std::process::id()));
    report(
        "read /etc/hostname",
        std::fs::read_to_string("/etc/hostname").map(drop),
    );
    report(
        &format!("write {}", tmp.display()),
        std::fs::write(&tmp, "hello from the sandbox\n"),
    );
    report(
        &format!("remove {}", tmp.display()),
        std::fs::remove_file(&tmp),
    );
    report(
        "list /home (not granted)",
        std::fs::read_dir("/home").map(drop),
    );
}

fn report(what: &str, result: io::Result<()>) {
    match result {
        Ok(()) => println!("allowed: {what}"),
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            println!("denied:  {what} ({e})")
        }
        Err(e) => println!("failed:  {what} ({e})"),
    }
}

/// The sandboxes of this program are locked in the workspace's `sandbox.lock`: a change that
/// widens one fails `cargo test` until the lock file is rewritten and reviewed.
#[test]
fn policies_are_locked() {
    landlock_runtime::assert_policies_locked!("sandbox.lock");
}
