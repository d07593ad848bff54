//! Prints every sandbox this program carries, whether or not it has run: the review view.
//!
//! Run it with `cargo run --example policy_report` (or `-- --json` for the JSON form).

use landlock_runtime::{block, sandbox};

/// Fetches updates: may connect to HTTPS and write its cache.
#[sandbox(read = "/etc/ssl", write = "$HOME/.cache/app?", connect = 443)]
fn fetch_updates() {}

/// Renders a page: may only read its templates.
#[sandbox(read = "$EXE_DIR/templates?", strict)]
fn render() {}

fn main() {
    if std::env::args().any(|a| a == "--json") {
        println!("{}", landlock_runtime::policies_json());
        return;
    }
    let policies = landlock_runtime::policies();
    println!("{} sandboxes in this program:\n", policies.len());
    for policy in policies {
        println!("{policy}");
    }
    // Never run: registered all the same.
    if std::env::args().count() > 100 {
        fetch_updates();
        render();
        let _ = block::sandbox!(read = "/usr/share/doc" => ());
    }
}

/// The sandboxes of this program are locked in the workspace's `sandbox.lock`.
#[test]
fn policies_are_locked() {
    landlock_runtime::assert_policies_locked!("sandbox.lock");
}
