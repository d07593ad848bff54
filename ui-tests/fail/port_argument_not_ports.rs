use std::path::Path;

use landlock_runtime::{block, sandbox};

#[sandbox(connect = dir, bind = [8080, verbose])]
fn serve(dir: &Path, verbose: bool) {
    let _ = (dir, verbose);
}

#[sandbox(connect = [443, prot])]
fn fetch(port: u16) {
    let _ = port;
}

fn main() {
    serve(Path::new("/srv"), false);
    fetch(443);
    let host = "example.org";
    let _ = block::sandbox!(connect = host => ());
}
