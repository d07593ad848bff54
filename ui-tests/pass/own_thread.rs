//! `own_thread`: the body runs on a thread of its own at each call. Arguments are borrowed or
//! consumed, `?` and `return` work, methods borrow `self`, generics and the failure as `Err`.

#![deny(warnings)]

use std::io;
use std::path::{Path, PathBuf};

use landlock_runtime::{in_force, sandbox};

#[sandbox(read = dir, own_thread)]
fn count(dir: &Path) -> io::Result<usize> {
    if dir.as_os_str().is_empty() {
        return Ok(0);
    }
    Ok(std::fs::read_dir(dir)?.count())
}

#[sandbox(read = dir, own_thread)]
fn consume(dir: PathBuf) -> PathBuf {
    dir
}

#[sandbox(read = "/etc", own_thread)]
fn no_value() {}

#[sandbox(read = ["/etc", "/usr/share"], own_thread)]
fn first<T: Send>(items: Vec<T>) -> Option<T> {
    items.into_iter().next()
}

struct Files {
    root: &'static str,
}

impl Files {
    #[sandbox(read = "/etc", own_thread)]
    fn count(&self) -> io::Result<usize> {
        Ok(std::fs::read_dir(self.root)?.count())
    }
}

fn main() {
    for dir in ["/etc", "/usr/share", "/etc"] {
        assert!(count(Path::new(dir)).unwrap() > 0);
    }
    let err = count(Path::new("/nonexistent/ui-own-thread")).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
    assert_eq!(consume(PathBuf::from("/etc")), Path::new("/etc"));
    no_value();
    assert_eq!(first(vec![1, 2]), Some(1));
    assert!(Files { root: "/etc" }.count().unwrap() > 0);
    // The calling thread was never restricted.
    assert!(in_force().is_empty());
}
