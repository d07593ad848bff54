// Lowering the Landlock ABI the whole process uses is for tests only: without the
// `simulate-older-kernel` feature (off by default), no crate can call it.
fn main() {
    landlock_runtime::__private::simulate_older_kernel(3);
}
