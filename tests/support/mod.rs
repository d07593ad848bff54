//! What the end-to-end tests share.

/// Whether this kernel has Landlock. Without it, a test fails under `LANDLOCK_REQUIRED=1` (as
/// CI runs), and otherwise says it is skipped: call it first and return when it says `false`.
pub fn landlock_or_skip() -> bool {
    if landlock_runtime::kernel_abi() > 0 {
        return true;
    }
    assert!(
        std::env::var_os("LANDLOCK_REQUIRED").is_none_or(|v| v != "1"),
        "LANDLOCK_REQUIRED=1 but this kernel has no Landlock"
    );
    eprintln!("skipped: this kernel has no Landlock");
    false
}
