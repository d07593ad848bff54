//! A `#[sandbox]` function that returns `Result<T, E>`, with `E: From<landlock_runtime::Error>`,
//! gets the sandbox's failure as `Err`, its body unrun; any other function panics, as before.

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use landlock_runtime::{Error, ErrorKind, in_force, sandbox};

mod support;
use support::*;

static RAN: AtomicBool = AtomicBool::new(false);

#[sandbox(read = dir)]
fn list(dir: &Path) -> io::Result<usize> {
    RAN.store(true, Ordering::SeqCst);
    Ok(std::fs::read_dir(dir)?.count())
}

/// The sandbox error an `io::Error` holds.
fn sandbox_error(err: io::Error) -> Box<Error> {
    assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{err}");
    err.into_inner()
        .and_then(|e| e.downcast::<Error>().ok())
        .unwrap_or_else(|| panic!("not a sandbox error"))
}

/// Calls `list(dir)` on a thread of its own; its error, with the body unrun and nothing
/// enforced.
fn list_fails(dir: &'static str) -> Box<Error> {
    thread::spawn(move || {
        RAN.store(false, Ordering::SeqCst);
        let err = list(Path::new(dir)).expect_err("the sandbox must fail");
        assert!(!RAN.load(Ordering::SeqCst), "the body must not run");
        assert!(in_force().is_empty(), "{:?}", in_force());
        // Nothing was enforced: the thread reads what it read before.
        assert_eq!(io(std::fs::read_dir("/usr")), Ok(()));
        sandbox_error(err)
    })
    .join()
    .unwrap()
}

#[test]
fn a_missing_argument_path_is_an_err() {
    let err = list_fails("/nonexistent/landlock-sandbox-errors");
    let ErrorKind::MissingPath { path, .. } = err.kind() else {
        panic!("{err}");
    };
    assert_eq!(path, Path::new("/nonexistent/landlock-sandbox-errors"));
    assert_eq!(err.origin().function(), "sandbox_errors::list");
}

#[test]
fn the_root_as_an_argument_is_an_err() {
    let err = list_fails("/");
    let ErrorKind::InvalidPolicy { problems } = err.kind() else {
        panic!("{err}");
    };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("argument `dir`") && problems[0].contains("`broad`"),
        "{problems:?}"
    );
}

#[test]
fn an_argument_path_that_cannot_be_made_absolute_is_an_err() {
    let err = list_fails("");
    let ErrorKind::InvalidPolicy { problems } = err.kind() else {
        panic!("{err}");
    };
    assert!(
        problems[0].starts_with("argument `dir`: cannot make `` absolute"),
        "{problems:?}"
    );
}

/// A user's own error type, with a variant for the sandbox.
#[derive(Debug)]
enum AppError {
    Sandbox(Error),
    Io(io::Error),
}

impl From<Error> for AppError {
    fn from(error: Error) -> AppError {
        AppError::Sandbox(error)
    }
}

impl From<io::Error> for AppError {
    fn from(error: io::Error) -> AppError {
        AppError::Io(error)
    }
}

type AppResult<T> = Result<T, AppError>;

/// Returns an alias of `Result`: recognised by its type, not its name.
#[sandbox(read = ["/etc", "/nonexistent/landlock-sandbox-errors-app"])]
fn load_config() -> AppResult<String> {
    RAN.store(true, Ordering::SeqCst);
    Ok(std::fs::read_to_string("/etc/hostname")?)
}

#[test]
fn an_error_type_of_ones_own_gets_the_sandbox_error_through_from() {
    thread::spawn(|| {
        let err = load_config().expect_err("the sandbox must fail");
        let err = match err {
            AppError::Sandbox(err) => err,
            AppError::Io(err) => panic!("not the sandbox's error: {err}"),
        };
        assert!(
            matches!(err.kind(), ErrorKind::MissingPath { path, .. } if path == Path::new("/nonexistent/landlock-sandbox-errors-app")),
            "{err}"
        );
    })
    .join()
    .unwrap();
}

/// `String` is not `From<landlock_runtime::Error>`: the function panics, as every function
/// whose return value cannot hold the error does.
#[sandbox(read = dir)]
fn list_with_string_error(dir: &Path) -> Result<usize, String> {
    Ok(std::fs::read_dir(dir).map_err(|e| e.to_string())?.count())
}

#[sandbox(read = dir)]
fn list_or_panic(dir: &Path) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

#[test]
fn a_function_whose_return_value_cannot_hold_the_error_panics() {
    for panicked in [
        thread::spawn(|| list_with_string_error(Path::new("/nonexistent/landlock-x"))).join(),
        thread::spawn(|| Ok(list_or_panic(Path::new("/nonexistent/landlock-x")))).join(),
    ] {
        let payload = panicked.expect_err("a panic at entry");
        let message = payload.downcast_ref::<String>().unwrap();
        assert!(
            message.contains("path `/nonexistent/landlock-x` does not exist"),
            "{message}"
        );
    }
}

/// `main` returning `Result`: the failure is its `Err`, which Rust prints and exits with 1.
#[test]
fn main_returning_result_returns_the_failure() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_landlock-main-result"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stdout.contains("unreachable"), "main's body must not run");
    assert!(stderr.starts_with("Error: "), "{stderr}");
    assert!(
        stderr.contains("/nonexistent/landlock-sandbox-main-result"),
        "{stderr}"
    );
}

/// The sandboxes of this program are locked in the workspace's `sandbox.lock`.
#[test]
fn policies_are_locked() {
    landlock_runtime::assert_policies_locked!("sandbox.lock");
}
