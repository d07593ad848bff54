//! The block form borrows locals, returns a value, and leaves the caller's thread free.

#![deny(warnings)]

use landlock_runtime::block;

fn lengths(words: &[String]) -> Result<Vec<usize>, landlock_runtime::Error> {
    let lens = block::sandbox!(read = "/etc" => words.iter().map(String::len).collect())?;
    Ok(lens)
}

fn main() {
    let words = vec![String::from("a"), String::from("bc")];
    let mut total = 0;
    let n = block::sandbox!(read = ["/etc", "/usr"], connect = 443, strict => {
        total += words.len();
        words[1].len()
    })
    .unwrap();
    assert_eq!((n, total), (2, 2));
    assert_eq!(lengths(&words).unwrap(), [1, 2]);

    let unit: () = block::sandbox!( => ()).unwrap();
    let _ = unit;
    let empty = block::sandbox!(=> 3).unwrap();
    assert_eq!(empty, 3);
    // Braces around a lone value are the user's to write: they raise no `unused_braces`.
    let braced = block::sandbox!(read = "/etc" => { n + 1 }).unwrap();
    assert_eq!(braced, 3);

    // The generated policy does not shadow the caller's names.
    static __LANDLOCK_POLICY: usize = 5;
    let seen = block::sandbox!(=> __LANDLOCK_POLICY).unwrap();
    assert_eq!(seen, 5);

    // The caller's thread is not restricted: it can still read anything.
    assert!(std::fs::read_dir("/").is_ok());
}
