//! Every preset name of the language becomes its own `Preset` (`tls_roots` is `TlsRoots`), and
//! together they are `PRESETS`: a preset added to the names and not to the enum, or the other
//! way round, fails here.

#![deny(warnings)]

use landlock_runtime::{PRESETS, Policy, policy};

fn main() {
    let p: &'static Policy = policy!(preset = [
        "dynamic_loader",
        "locale",
        "dns",
        "tls_roots",
        "devices",
        "cpu_info",
    ]);
    assert_eq!(p.presets(), PRESETS);
}
