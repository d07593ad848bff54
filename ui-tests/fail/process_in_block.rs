use landlock_runtime::block;

fn main() {
    // The block form never restricts its caller, so `process` has no meaning there.
    let n: usize = block::sandbox!(read = "/etc", process => 1).unwrap();
    let _ = n;
}
