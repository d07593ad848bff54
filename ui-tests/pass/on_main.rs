//! On `main`: the whole program runs under the policy.

#![deny(warnings)]

use landlock_runtime::sandbox;

#[sandbox(read = "/etc", write = "$TMP")]
fn main() {
    assert!(std::fs::read_dir("/etc").is_ok());
}
