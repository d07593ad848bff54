//! A tokio program sandboxed as a whole: `#[sandbox]` goes BELOW `#[tokio::main]`, so the policy
//! is enforced before the runtime starts and every runtime thread inherits it.
//!
//! Run it with `cargo run --example tokio_main`.

use landlock_runtime::sandbox;

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
#[sandbox(read = "/etc")]
async fn main() {
    let mut tasks = Vec::new();
    for i in 0..16 {
        tasks.push(tokio::spawn(async move {
            let etc = std::fs::read_to_string("/etc/hostname").is_ok();
            let usr = std::fs::read_dir("/usr").map(drop);
            (i, std::thread::current().id(), etc, usr)
        }));
    }
    let blocking = tokio::task::spawn_blocking(|| std::fs::read_dir("/usr").map(drop))
        .await
        .unwrap();
    let mut threads = std::collections::BTreeSet::new();
    let mut denied = 0;
    for task in tasks {
        let (_, thread, etc, usr) = task.await.unwrap();
        threads.insert(format!("{thread:?}"));
        assert!(etc, "/etc is granted");
        if let Err(e) = usr {
            assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied);
            denied += 1;
        }
    }
    println!(
        "16 tasks on {} runtime threads: /etc readable in all, /usr denied in {denied}",
        threads.len()
    );
    println!("blocking thread lists /usr: {blocking:?}");
}

/// The sandboxes of this program are locked in the workspace's `sandbox.lock`: a change that
/// widens one fails `cargo test` until the lock file is rewritten and reviewed.
#[test]
fn policies_are_locked() {
    landlock_runtime::assert_policies_locked!("sandbox.lock");
}
