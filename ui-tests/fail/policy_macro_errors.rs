use landlock_runtime::{Policy, policy};

fn main() {
    // `policy!` takes the same items, with the same checks.
    let p: &'static Policy = policy!(raed = "/etc", exec = "bin/tool", connect = 0);
    let _ = p;
}
