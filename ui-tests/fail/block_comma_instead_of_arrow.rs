use landlock_runtime::block;

fn main() {
    let n: usize = block::sandbox!(read = "/etc", { 2 + 2 }).unwrap();
    let _ = n;
}
