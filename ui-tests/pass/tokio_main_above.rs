//! `#[sandbox]` ABOVE `#[tokio::main]`: the attribute moves itself below the runtime's, so the
//! policy is still enforced before any runtime thread starts. Both orders mean the same.

#![deny(warnings)]

use landlock_runtime::sandbox;

#[sandbox(read = "/etc")]
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let denied = tokio::spawn(async { std::fs::read_dir("/usr").unwrap_err().kind() })
        .await
        .unwrap();
    assert_eq!(denied, std::io::ErrorKind::PermissionDenied);
}
