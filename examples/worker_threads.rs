//! Sandboxed worker entry points: each worker restricts its own thread when it starts, while
//! `main` and the other workers keep their own rights.
//!
//! Run it with `cargo run --example worker_threads`.

use std::io;
use std::thread;

use landlock_runtime::sandbox;

/// Parses configuration: may read /etc, nothing else.
#[sandbox(read = "/etc")]
fn config_worker() -> io::Result<usize> {
    let hosts = std::fs::read_to_string("/etc/hosts")?;
    Ok(hosts.lines().count())
}

/// Writes reports: may write the temporary directory, nothing else (not even /etc).
#[sandbox(write = "$TMP")]
fn report_worker(lines: usize) -> io::Result<String> {
    let denied = std::fs::read_to_string("/etc/hosts").unwrap_err();
    let path = std::env::temp_dir().join(format!("worker_threads-{}.txt", std::process::id()));
    std::fs::write(&path, format!("/etc/hosts has {lines} lines\n"))?;
    std::fs::remove_file(&path)?;
    Ok(format!(
        "reading /etc/hosts from the report worker: {denied}"
    ))
}

fn main() {
    // Eight config workers share one prepared policy: each thread pays only for two system
    // calls to restrict itself.
    let counts: Vec<usize> = (0..8)
        .map(|_| thread::spawn(config_worker))
        .map(|h| h.join().unwrap().expect("config worker"))
        .collect();
    println!("config workers read /etc/hosts: {} lines each", counts[0]);

    let denied = thread::spawn(move || report_worker(counts[0]))
        .join()
        .unwrap()
        .expect("report worker");
    println!("report worker wrote its report; {denied}");

    // main itself was never restricted.
    let readable = std::fs::metadata("/usr/bin").is_ok() && std::fs::read_dir("/usr").is_ok();
    println!("main is unrestricted: {readable}");
}

/// The sandboxes of this program are locked in the workspace's `sandbox.lock`: a change that
/// widens one fails `cargo test` until the lock file is rewritten and reviewed.
#[test]
fn policies_are_locked() {
    landlock_runtime::assert_policies_locked!("sandbox.lock");
}
