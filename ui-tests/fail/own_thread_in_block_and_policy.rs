use landlock_runtime::{block, policy};

fn main() {
    let _ = block::sandbox!(read = "/etc", own_thread => 1);
    let _ = policy!(read = "/etc", own_thread);
}
