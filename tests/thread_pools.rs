//! Sandboxed functions on threads they do not own: a pool's threads, and a function called again
//! with other argument paths. A thread that an earlier sandboxed call left restricted is never
//! narrowed silently: the entry is refused, naming both sandboxes and the fix, and a function
//! that asks for `own_thread` gets exactly its own policy at each call. Nested calls narrow.

use std::io;
use std::path::Path;
use std::thread;

use landlock_runtime::{Error, ErrorKind, in_force, sandbox};

mod support;
use support::*;

/// Reads the directory `dir` names; may read nothing else.
#[sandbox(read = dir)]
fn count(dir: &Path) -> io::Result<usize> {
    Ok(std::fs::read_dir(dir)?.count())
}

/// The same, on a thread of its own at each call.
#[sandbox(read = dir, own_thread)]
fn count_on_own_thread(dir: &Path) -> io::Result<usize> {
    Ok(std::fs::read_dir(dir)?.count())
}

#[sandbox(read = "/etc")]
fn read_etc() -> io::Result<String> {
    std::fs::read_to_string("/etc/hostname")
}

#[sandbox(read = "/usr/share")]
fn list_usr_share() -> io::Result<usize> {
    Ok(std::fs::read_dir("/usr/share")?.count())
}

#[sandbox(read = "/etc", own_thread)]
fn read_etc_on_own_thread() -> io::Result<String> {
    std::fs::read_to_string("/etc/hostname")
}

#[sandbox(read = "/usr/share", own_thread)]
fn list_usr_share_on_own_thread() -> io::Result<usize> {
    Ok(std::fs::read_dir("/usr/share")?.count())
}

/// The sandbox error an `io::Error` holds.
fn sandbox_error(err: &io::Error) -> &Error {
    err.get_ref()
        .and_then(|e| e.downcast_ref::<Error>())
        .unwrap_or_else(|| panic!("not a sandbox error: {err}"))
}

/// Asserts that `err` is the refusal to narrow a thread that `left_by` left restricted, for
/// the sandbox of `refused`, with the fix.
fn assert_not_owned(err: &io::Error, refused: &str, left_by: &str) {
    let err = sandbox_error(err);
    let ErrorKind::ThreadNotOwned {
        restricted_by,
        same_function,
    } = err.kind()
    else {
        panic!("{err}");
    };
    assert_eq!(restricted_by.function(), left_by, "{err}");
    assert_eq!(*same_function, refused == left_by, "{err}");
    assert_eq!(err.origin().function(), refused, "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("sandbox `{refused}` (tests/thread_pools.rs:")),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "this thread is still restricted by sandbox `{left_by}` (tests/thread_pools.rs:"
        )),
        "{message}"
    );
    let other = if refused == left_by {
        String::new()
    } else {
        format!(" (and to that of `{left_by}`)")
    };
    assert!(
        message.ends_with(&format!(
            "add `own_thread` to its `#[sandbox(...)]`{other}, which runs the body on a thread of its own at each call, or run the work in `block::sandbox!`"
        )),
        "{message}"
    );
}

fn entries_in(dir: &str) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

#[test]
fn other_argument_paths_on_a_thread_an_earlier_call_restricted_are_refused() {
    if !landlock_or_skip() {
        return;
    }
    thread::spawn(|| {
        let etc = entries_in("/etc");
        assert_eq!(count(Path::new("/etc")).unwrap(), etc);
        // Today's trap: the second call would get the intersection of both, and fail with
        // EACCES; the third again, with a third layer.
        let err = count(Path::new("/usr/share")).unwrap_err();
        assert_not_owned(&err, "thread_pools::count", "thread_pools::count");
        // The first paths again: exactly what is in force, the fast path.
        assert_eq!(count(Path::new("/etc")).unwrap(), etc);
        assert_eq!(in_force().len(), 1, "{:?}", in_force());
        // The refused call added no layer: /usr/share is still denied, as the first call's
        // sandbox says, and nothing else.
        assert_eq!(
            io(std::fs::read_dir("/usr/share")),
            Err(EACCES),
            "the thread keeps the first call's sandbox"
        );
    })
    .join()
    .unwrap();
}

#[test]
fn a_pool_thread_that_a_job_left_restricted_refuses_another_sandbox() {
    if !landlock_or_skip() {
        return;
    }
    let pool = one_thread_pool();
    assert!(pool.install(read_etc).is_ok());
    let err = pool.install(list_usr_share).unwrap_err();
    assert_not_owned(
        &err,
        "thread_pools::list_usr_share",
        "thread_pools::read_etc",
    );
    // What the pool thread says of itself: the first job's sandbox, still in force.
    let layers = pool.install(in_force);
    assert_eq!(layers.len(), 1, "{layers:?}");
    assert_eq!(layers[0].origin.function(), "thread_pools::read_etc");
    assert!(layers[0].returned, "{layers:?}");
}

#[test]
fn a_sandbox_that_the_layer_left_behind_allows_in_full_is_entered() {
    if !landlock_or_skip() {
        return;
    }
    let pool = one_thread_pool();
    assert!(pool.install(read_etc).is_ok());
    // `count` bound to /etc gets exactly its policy under `read_etc`'s: nothing is narrowed.
    assert_eq!(
        pool.install(|| count(Path::new("/etc"))).unwrap(),
        entries_in("/etc")
    );
    let functions: Vec<String> = pool
        .install(in_force)
        .iter()
        .map(|l| l.origin.function().to_owned())
        .collect();
    assert_eq!(functions, ["thread_pools::read_etc", "thread_pools::count"]);
}

#[test]
fn own_thread_gets_exactly_its_policy_at_each_call() {
    if !landlock_or_skip() {
        return;
    }
    thread::spawn(|| {
        for dir in ["/etc", "/usr/share", "/etc"] {
            assert_eq!(
                count_on_own_thread(Path::new(dir)).unwrap(),
                entries_in(dir)
            );
        }
        // The calling thread was never restricted.
        assert!(in_force().is_empty(), "{:?}", in_force());
        assert_eq!(io(std::fs::read_dir("/usr/lib")), Ok(()));
    })
    .join()
    .unwrap();
}

#[test]
fn own_thread_on_a_pool_leaves_the_pool_threads_unrestricted() {
    if !landlock_or_skip() {
        return;
    }
    let pool = one_thread_pool();
    for _ in 0..2 {
        assert!(pool.install(read_etc_on_own_thread).is_ok());
        assert_eq!(
            pool.install(list_usr_share_on_own_thread).unwrap(),
            entries_in("/usr/share")
        );
    }
    assert!(pool.install(in_force).is_empty());
    // Each body ran under exactly its own sandbox.
    let denied = pool.install(|| {
        #[sandbox(read = "/usr/share", own_thread)]
        fn hostname_from_usr_share() -> io::Result<String> {
            std::fs::read_to_string("/etc/hostname")
        }
        hostname_from_usr_share()
    });
    assert_eq!(io(denied), Err(EACCES));
}

/// Runs `inner` while its own sandbox is in force.
#[sandbox(read = "/etc")]
fn outer(inner: fn() -> io::Result<usize>) -> (Outcome, io::Result<usize>) {
    let hostname = io(std::fs::read_to_string("/etc/hostname"));
    (hostname, inner())
}

/// Granted more than `outer`: /usr/share too.
#[sandbox(read = ["/etc", "/usr/share"])]
fn inner_lists_usr_share() -> io::Result<usize> {
    Ok(std::fs::read_dir("/usr/share")?.count())
}

#[test]
fn nested_calls_narrow_the_thread_while_the_outer_call_runs() {
    if !landlock_or_skip() {
        return;
    }
    thread::spawn(|| {
        // The inner sandbox gets what both allow: /usr/share, which only it grants, is denied.
        let (outer_read, inner) = outer(inner_lists_usr_share);
        assert_eq!(outer_read, Ok(()));
        assert_eq!(io(inner), Err(EACCES));
        assert_eq!(in_force().len(), 2, "{:?}", in_force());
    })
    .join()
    .unwrap();
}

/// Calls `first` then `second` while its own sandbox is in force.
#[sandbox(read = ["/etc", "/usr/share"])]
fn two_in_a_row(
    first: fn() -> io::Result<usize>,
    second: fn() -> io::Result<String>,
) -> (io::Result<usize>, io::Result<String>) {
    (first(), second())
}

#[test]
fn a_nested_call_that_returned_does_not_narrow_the_next_one_silently() {
    if !landlock_or_skip() {
        return;
    }
    thread::spawn(|| {
        let (first, second) = two_in_a_row(list_usr_share, read_etc);
        assert_eq!(first.unwrap(), entries_in("/usr/share"));
        assert_not_owned(
            &second.unwrap_err(),
            "thread_pools::read_etc",
            "thread_pools::list_usr_share",
        );
    })
    .join()
    .unwrap();
}

/// The pattern of the guide's "Thread pools" (landlock-runtime/docs/threads.md): a function a pool runs asks for a thread of its
/// own at each call, and a nested sandboxed call inside it narrows, as nesting does.
#[sandbox(read = dir, own_thread)]
fn count_then_nested(dir: &Path) -> io::Result<(usize, Outcome)> {
    let n = std::fs::read_dir(dir)?.count();
    let nested = io(inner_lists_usr_share());
    Ok((n, nested))
}

#[test]
fn nested_calls_inside_an_own_thread_call_narrow() {
    if !landlock_or_skip() {
        return;
    }
    let (n, nested) = count_then_nested(Path::new("/etc")).unwrap();
    assert_eq!(n, entries_in("/etc"));
    // Inside: /usr/share, granted by the inner sandbox only, is denied under the outer one.
    assert_eq!(nested, Err(EACCES));
    // And the calling thread was never restricted.
    assert_eq!(io(std::fs::read_dir("/usr/share")), Ok(()));
}

#[test]
fn a_thread_started_after_a_call_returned_is_not_its_to_narrow() {
    if !landlock_or_skip() {
        return;
    }
    // On the only thread of a process, a call's layer is every later thread's.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_landlock-scenarios"))
        .arg("returned-call-then-thread")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{out}");
    // Started while the call ran: nested in it.
    assert!(out.contains("nested: ok\n"), "{out}");
    // Started after it returned: refused, not denied /usr/lib in silence.
    assert!(
        out.contains("after: sandbox `landlock_scenarios::list_usr_lib` (tests/support/scenarios.rs:")
            && out.contains("this thread is still restricted by sandbox `landlock_scenarios::spawner` (tests/support/scenarios.rs:"),
        "{out}"
    );
}

/// The guide's "Thread pools" example (landlock-runtime/docs/threads.md), as it is there
/// (`the_guide_example_is_this_one`).
mod reference {
    // guide begin
    use std::io;
    use std::path::{Path, PathBuf};

    use landlock_runtime::sandbox;
    use rayon::prelude::*;

    /// May read `dir`, nothing else: at each call, on a thread of its own.
    #[sandbox(read = dir, own_thread)]
    fn count(dir: &Path) -> io::Result<usize> {
        Ok(std::fs::read_dir(dir)?.count())
    }

    /// Counts the entries of each directory on rayon's pool, whose threads stay unrestricted.
    pub fn count_all(dirs: &[PathBuf]) -> io::Result<Vec<usize>> {
        dirs.par_iter().map(|dir| count(dir)).collect()
    }
    // guide end
}

#[test]
fn the_guide_thread_pool_example_counts_each_directory_under_its_own_sandbox() {
    if !landlock_or_skip() {
        return;
    }
    let dirs = ["/etc", "/usr/share", "/etc", "/usr/share", "/usr/lib"];
    let paths: Vec<_> = dirs.iter().map(std::path::PathBuf::from).collect();
    let counts = reference::count_all(&paths).unwrap();
    let expected: Vec<usize> = dirs.iter().map(|d| entries_in(d)).collect();
    assert_eq!(counts, expected);
    // rayon's global pool threads are as they were.
    let layers = rayon::broadcast(|_| in_force().len());
    assert!(layers.iter().all(|&n| n == 0), "{layers:?}");
}

#[test]
fn the_guide_example_is_this_one() {
    let guide = include_str!("../landlock-runtime/docs/threads.md");
    let section = &guide[guide.find("## Thread pools").unwrap()..];
    let start = section.find("```rust\n").unwrap() + "```rust\n".len();
    let block = &section[start..start + section[start..].find("```").unwrap()];
    let source = include_str!("thread_pools.rs");
    let begin = source.find("// guide begin\n").unwrap() + "// guide begin\n".len();
    let end = source.find("    // guide end").unwrap();
    let here: String = source[begin..end]
        .lines()
        .map(|line| line.strip_prefix("    ").unwrap_or(line))
        .map(|line| format!("{line}\n"))
        .collect::<String>()
        .replace("pub fn count_all", "fn count_all");
    assert_eq!(block, here);
}

/// The sandboxes of this program are locked in the workspace's `sandbox.lock`.
#[test]
fn policies_are_locked() {
    landlock_runtime::assert_policies_locked!("sandbox.lock");
}

/// A rayon pool of one thread: each job after the first runs on the thread the first left.
fn one_thread_pool() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
}
