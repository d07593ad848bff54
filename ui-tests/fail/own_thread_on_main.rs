use landlock_runtime::sandbox;

#[sandbox(read = "/etc", own_thread)]
fn main() {}
