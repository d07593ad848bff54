//! The failure as `Err`, chosen by the return type: `io::Result`, an alias, a generic error
//! with the `From` bound, `Self`; and the types that keep the panic (`String` errors, `impl
//! Trait`, no value) still compile, warning-free.

#![deny(warnings)]

use std::io;
use std::path::Path;

use landlock_runtime::{Error, ErrorKind, sandbox};

type Outcome<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[sandbox(read = dir)]
fn io_result(dir: &Path) -> io::Result<usize> {
    Ok(std::fs::read_dir(dir)?.count())
}

#[sandbox(read = dir)]
fn aliased(dir: &Path) -> Outcome<usize> {
    Ok(std::fs::read_dir(dir)?.count())
}

#[sandbox(read = dir)]
fn generic<E: From<Error> + From<io::Error>>(dir: &Path) -> Result<usize, E> {
    Ok(std::fs::read_dir(dir)?.count())
}

#[sandbox(read = dir)]
fn string_error(dir: &Path) -> Result<usize, String> {
    Ok(std::fs::read_dir(dir).map_err(|e| e.to_string())?.count())
}

#[sandbox(read = "/etc")]
fn iterator() -> impl Iterator<Item = u8> {
    [1, 2].into_iter()
}

struct Config(usize);

impl Config {
    #[sandbox(read = dir)]
    fn load(dir: &Path) -> Result<Self, io::Error> {
        Ok(Config(std::fs::read_dir(dir)?.count()))
    }
}

fn missing(err: &(dyn std::error::Error + 'static)) -> bool {
    let err = match err.downcast_ref::<io::Error>() {
        Some(io) => io.get_ref().map(|e| e as &(dyn std::error::Error + 'static)),
        None => Some(err),
    };
    err.and_then(|e| e.downcast_ref::<Error>())
        .is_some_and(|e| matches!(e.kind(), ErrorKind::MissingPath { .. }))
}

fn main() {
    std::thread::spawn(|| {
        let nowhere = Path::new("/nonexistent/ui-fails-into-err");
        assert!(missing(&io_result(nowhere).unwrap_err()));
        assert!(missing(&*aliased(nowhere).unwrap_err()));
        assert!(missing(&generic::<io::Error>(nowhere).unwrap_err()));
        assert!(missing(&Config::load(nowhere).err().unwrap()));
        assert!(Config::load(Path::new("/etc")).unwrap().0 > 0);
    })
    .join()
    .unwrap();
    let panicked = std::thread::spawn(|| string_error(Path::new("/nonexistent/ui-x"))).join();
    assert!(panicked.is_err());
    assert_eq!(std::thread::spawn(|| iterator().count()).join().unwrap(), 2);
}
