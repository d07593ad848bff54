//! `#[tokio::main]` above `#[sandbox]` on `async fn main`: tokio turns it into a plain `fn main`
//! that builds the runtime, so the policy is enforced before any runtime thread starts.

#![deny(warnings)]

use landlock_runtime::sandbox;

#[tokio::main]
#[sandbox(read = "/etc")]
async fn main() {
    let n = tokio::spawn(async { 1 + 1 }).await.unwrap();
    assert_eq!(n, 2);
}
