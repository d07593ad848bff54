//! Sandboxed worker entry points: each worker restricts its own thread when it starts, while
//! `main` and the other workers keep their own rights. Then a pool whose threads run one job
//! after another: a sandboxed function there asks for a thread of its own at each call
//! (`own_thread`), so that each job gets exactly its sandbox and the pool's threads stay
//! unrestricted.
//!
//! Run it with `cargo run --example worker_threads`.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
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

/// Counts a directory's entries: may read that directory, nothing else. A pool's thread is not
/// the function's to restrict for good: `own_thread` runs the body on a thread of its own at
/// each call, under exactly this sandbox, whatever the previous job on the pool thread was.
#[sandbox(read = dir, own_thread)]
fn count_entries(dir: &Path) -> io::Result<usize> {
    Ok(std::fs::read_dir(dir)?.count())
}

/// Runs each directory's job on a pool of two threads that take jobs one after another, and
/// says what each job found and whether the pool's threads are restricted afterwards.
fn pool(dirs: Vec<PathBuf>) -> (Vec<String>, bool) {
    let (jobs, queue) = mpsc::channel::<PathBuf>();
    let queue = Arc::new(Mutex::new(queue));
    let (results, found) = mpsc::channel();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let queue = Arc::clone(&queue);
            let results = results.clone();
            thread::spawn(move || {
                while let Ok(dir) = queue.lock().unwrap().recv() {
                    let line = match count_entries(&dir) {
                        Ok(n) => format!("{}: {n} entries", dir.display()),
                        Err(e) => format!("{}: {e}", dir.display()),
                    };
                    results.send(line).unwrap();
                }
                // Every job ran on a thread of its own: this one is as it was.
                landlock_runtime::in_force().is_empty()
            })
        })
        .collect();
    drop(results);
    for dir in dirs {
        jobs.send(dir).unwrap();
    }
    drop(jobs);
    let lines = found.iter().collect();
    let unrestricted = threads.into_iter().all(|t| t.join().unwrap());
    (lines, unrestricted)
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

    let dirs = ["/etc", "/usr/share", "/etc", "/usr/share"].map(PathBuf::from);
    let (lines, unrestricted) = pool(dirs.to_vec());
    for line in lines {
        println!("pool job {line}");
    }
    println!("pool threads are unrestricted: {unrestricted}");
}

/// The sandboxes of this program are locked in the workspace's `sandbox.lock`: a change that
/// widens one fails `cargo test` until the lock file is rewritten and reviewed.
#[test]
fn policies_are_locked() {
    landlock_runtime::assert_policies_locked!("sandbox.lock");
}
