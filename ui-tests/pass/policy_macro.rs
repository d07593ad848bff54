//! `policy!` yields a checked, registered `&'static Policy`, with presets and every key.

#![deny(warnings)]

use landlock_runtime::{Policy, Preset, policy};

fn main() {
    let p: &'static Policy = policy!(
        read = ["/etc", "$TMP?"],
        exec = "/usr/bin/env",
        preset = ["dynamic_loader", "locale"],
        connect = [80, 443],
        strict,
    );
    assert_eq!(p.presets(), [Preset::DynamicLoader, Preset::Locale]);
    assert!(p.is_strict());
    assert!(landlock_runtime::policies().iter().any(|q| std::ptr::eq(*q, p)));
    // The same site always yields the same static policy.
    let again = || policy!(read = "/etc");
    assert!(std::ptr::eq(again(), again()));
}
