//! Paths known only at run time, from the function's arguments: every shape of path a
//! parameter may hold.

#![deny(warnings)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use landlock_runtime::{block, sandbox};

#[sandbox(read = input, write = [out_dir, "$TMP"])]
fn convert(input: &Path, out_dir: &Path) -> std::io::Result<()> {
    let text = std::fs::read_to_string(input)?;
    std::fs::write(out_dir.join("out.txt"), text)
}

#[sandbox(read = [a, b, c, d, e, f, g, h])]
fn shapes(
    a: PathBuf,
    b: &str,
    c: String,
    d: Vec<PathBuf>,
    e: &[&Path],
    f: Option<&Path>,
    g: BTreeSet<String>,
    h: impl AsRef<Path>,
) -> usize {
    let _ = (a, b, c, d, e, f, g, h);
    landlock_runtime::in_force().len()
}

fn main() {
    let dir = std::env::temp_dir().join(format!("landlock-ui-arguments-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("in.txt");
    std::fs::write(&input, "data").unwrap();
    let worker = {
        let (input, dir) = (input.clone(), dir.clone());
        std::thread::spawn(move || convert(&input, &dir))
    };
    worker.join().unwrap().unwrap();
    let layers = std::thread::spawn(|| {
        shapes(
            "/usr".into(),
            "/etc",
            "/usr/share".into(),
            vec!["/usr/lib".into()],
            &[Path::new("/usr/bin")],
            None,
            BTreeSet::from(["/usr/include".to_owned()]),
            "/usr/local",
        )
    })
    .join()
    .unwrap();
    assert_eq!(layers, 1);
    let read = block::sandbox!(read = input => std::fs::read_to_string(&input).unwrap()).unwrap();
    assert_eq!(read, "data");
    std::fs::remove_dir_all(&dir).unwrap();
}
