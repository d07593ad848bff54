//! A directory a program writes a file into and runs it from: `write` and `exec` on one path
//! grant both, and the kernel enforces both.

#![deny(warnings)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use landlock_runtime::sandbox;

#[sandbox(write = dir, exec = dir, preset = "dynamic_loader")]
fn build_and_run(dir: &Path, program: &[u8]) -> bool {
    let copy = dir.join("true");
    std::fs::write(&copy, program).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::process::Command::new(&copy).status().unwrap().success()
}

fn main() {
    let dir = std::env::temp_dir().join(format!("landlock-ui-build-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let program = std::fs::read("/usr/bin/true").unwrap();
    let ran = std::thread::spawn({
        let dir = dir.clone();
        move || build_and_run(&dir, &program)
    })
    .join()
    .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(ran);
}
