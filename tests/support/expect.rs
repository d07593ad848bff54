//! The kernel the tests run on, and how a test says it is skipped: one definition for the
//! end-to-end tests (`tests/support`), the runner's (`sandbox-run/tests/cli.rs`) and the
//! library's (`landlock-runtime/tests/common`), which `kernels/run` runs on every kernel.

// Each test file uses a different part of this module.
#![allow(dead_code)]

use std::io::Write as _;

/// Says on standard error, past the test harness's capture, that the current test is skipped
/// and why: `SKIPPED <test>: <why>`, the line `kernels/run` counts.
pub fn say_skipped(why: &str) {
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    // One write for the whole line: tests running at once on other threads write to the same
    // descriptor, and a line in pieces is not counted by `kernels/init`.
    let line = format!("SKIPPED {test}: {why}\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// The Landlock ABI of the running kernel (0: none). When `LANDLOCK_EXPECT_ABI` is set (a
/// number, or `none`), as `kernels/run` sets it for each kernel it boots, the kernel must be
/// that one: a test never passes by asserting another kernel's behaviour.
pub fn kernel_abi() -> u32 {
    let running = landlock_runtime::kernel_abi();
    if let Some(expected) = std::env::var_os("LANDLOCK_EXPECT_ABI") {
        let expected = match expected.to_str() {
            Some("none") => 0,
            Some(number) => number
                .parse()
                .unwrap_or_else(|_| panic!("LANDLOCK_EXPECT_ABI={number}: a number or `none`")),
            None => panic!("LANDLOCK_EXPECT_ABI: a number or `none`"),
        };
        assert_eq!(
            running, expected,
            "LANDLOCK_EXPECT_ABI={expected}, but the kernel has Landlock ABI {running}"
        );
    }
    running
}

/// The status, as its line says it, of a policy at `abi` that handles every class (everything
/// not granted is denied, as in any policy but one that opts out of a scope) and grants no
/// port: what the kernel at `abi` cannot enforce of it.
pub fn status_at(abi: u32) -> String {
    if abi == 0 {
        return "not enforced: this kernel has no Landlock (not built in, or not enabled at boot)"
            .to_owned();
    }
    if abi >= 6 {
        return format!("fully enforced (Landlock ABI {abi})");
    }
    // The filesystem rights the policy handles that the kernel has not, in the kernel's order.
    let fs: Vec<&str> = [("refer", 2), ("truncate", 3), ("ioctl_dev", 5)]
        .into_iter()
        .filter(|&(_, added)| abi < added)
        .map(|(name, _)| name)
        .collect();
    let mut dropped = Vec::new();
    if !fs.is_empty() {
        dropped.push(format!("filesystem rights {}", fs.join(", ")));
    }
    if abi < 4 {
        dropped.extend(["TCP bind".to_owned(), "TCP connect".to_owned()]);
    }
    dropped.extend([
        "signal scope".to_owned(),
        "abstract unix socket scope".to_owned(),
    ]);
    format!(
        "partly enforced (Landlock ABI {abi}): not enforced: {}",
        dropped.join(", ")
    )
}

/// The level of such a policy at `abi`: full from ABI 6 (the scopes), which everything the
/// policy language expresses needs.
pub fn level_at(abi: u32) -> landlock_runtime::Level {
    match abi {
        0 => landlock_runtime::Level::NotEnforced,
        1..6 => landlock_runtime::Level::Partial,
        _ => landlock_runtime::Level::Full,
    }
}
