use std::path::Path;

use landlock_runtime::sandbox;

const DATA: &str = "/srv/data";

#[sandbox(read = inptu, write = [out_dri, "$TMP"])]
fn convert(input: &Path, out_dir: &Path) {
    let _ = (input, out_dir);
}

#[sandbox(read = DATA)]
fn load() {}

fn main() {
    convert(Path::new("/a"), Path::new("/b"));
    load();
}
