//! The block form: run one piece of code on a sandboxed scoped thread, borrowing locals, while
//! the calling thread stays unrestricted.
//!
//! Run it with `cargo run --example scoped_block`.

use landlock_runtime::block;

fn main() {
    // /etc/passwd exists but is not granted.
    let wanted = ["/etc/hostname", "/etc/hosts", "/etc/passwd"];
    let results = block::sandbox!(read = ["/etc/hostname", "/etc/hosts"] => {
        wanted
            .iter()
            .map(|path| (*path, std::fs::read_to_string(path).map(|s| s.len())))
            .collect::<Vec<_>>()
    })
    .expect("the sandbox is enforced");

    for (path, result) in results {
        match result {
            Ok(len) => println!("sandboxed read of {path}: {len} bytes"),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                println!("sandboxed read of {path}: denied ({e})")
            }
            Err(e) => println!("sandboxed read of {path}: failed ({e})"),
        }
    }
    let outside = std::fs::read_dir("/usr").map(|entries| entries.count());
    println!("after the block, the caller lists /usr: {outside:?}");
}

/// The sandboxes of this program are locked in the workspace's `sandbox.lock`: a change that
/// widens one fails `cargo test` until the lock file is rewritten and reviewed.
#[test]
fn policies_are_locked() {
    landlock_runtime::assert_policies_locked!("sandbox.lock");
}
