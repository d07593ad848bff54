//! The floor `bench_quick runner` compares `sandbox_run` with: the `landlock` crate's own
//! `sandboxer` example (and the kernel's `samples/landlock/sandboxer.c`), written again from
//! their documented behaviour, filesystem part only, with the `landlock` crate alone. It
//! handles every filesystem right of the kernel's ABI, grants `LL_FS_RO` (colon-separated
//! paths) reading and executing, `LL_FS_RW` every right, restricts itself and `exec`s the
//! command: nothing else runs, nothing stays behind.
//!
//! ```text
//! cargo build --release -p landlock-runtime --example sandboxer
//! LL_FS_RO=/usr:/lib:/lib64:/etc LL_FS_RW= target/release/examples/sandboxer /bin/true
//! ```

#[cfg(target_os = "linux")]
fn main() {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::process::CommandExt;

    use landlock::{
        ABI, Access, AccessFs, BitFlags, PathBeneath, PathFd, Ruleset, RulesetAttr,
        RulesetCreatedAttr,
    };

    let fail = |why: String| -> ! {
        eprintln!("sandboxer: {why}");
        std::process::exit(1)
    };
    let mut args = std::env::args_os().skip(1);
    let Some(program) = args.next() else {
        fail("usage: LL_FS_RO=PATH:... LL_FS_RW=PATH:... sandboxer COMMAND [ARGS]".into())
    };
    // The newest the crate knows, as the example: rights this kernel lacks are left out.
    let abi = ABI::V10;
    let mut ruleset = Ruleset::default()
        .handle_access(AccessFs::from_all(abi))
        .and_then(|r| r.create())
        .unwrap_or_else(|e| fail(format!("creating the ruleset: {e}")));
    for (variable, access) in [
        ("LL_FS_RO", AccessFs::from_read(abi)),
        ("LL_FS_RW", AccessFs::from_all(abi)),
    ] {
        let Some(paths) = std::env::var_os(variable) else {
            fail(format!("{variable} is not set"))
        };
        for path in paths
            .as_bytes()
            .split(|&b| b == b':')
            .filter(|p| !p.is_empty())
        {
            let path = std::ffi::OsStr::from_bytes(path);
            let fd = PathFd::new(path)
                .unwrap_or_else(|e| fail(format!("{variable}: {}: {e}", path.display())));
            // A file takes only the rights of a file, as the example's `path_beneath_rules`.
            let is_dir = std::fs::metadata(path).is_ok_and(|m| m.is_dir());
            let rights: BitFlags<AccessFs> = if is_dir {
                access
            } else {
                access & AccessFs::from_file(abi)
            };
            ruleset = ruleset
                .add_rule(PathBeneath::new(fd, rights))
                .unwrap_or_else(|e| fail(format!("{variable}: {}: {e}", path.display())));
        }
    }
    ruleset
        .restrict_self()
        .unwrap_or_else(|e| fail(format!("restricting: {e}")));
    let error = std::process::Command::new(&program).args(args).exec();
    fail(format!("{}: {error}", program.display()))
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("sandboxer: Landlock is Linux only");
    std::process::exit(1);
}
