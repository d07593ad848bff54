//! The compile-time diagnostics of `#[sandbox]` and `block::sandbox!`, and the forms that must
//! compile and run.
//!
//! Each `fail/*.rs` is one family of mistake; its `.stderr` is the exact output a user sees.
//! Each `pass/*.rs` is compiled and run as a real program under Landlock, and must exit 0.
//! Re-bless with `TRYBUILD=overwrite cargo test -p landlock-ui-tests`, then read the diff.
//! The globs are relative to this package, where cargo runs its tests.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("fail/*.rs");
    t.pass("pass/*.rs");
}
