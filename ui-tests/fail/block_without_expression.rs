use landlock_runtime::block;

fn main() {
    let n: usize = block::sandbox!(read = "/etc" =>).unwrap();
    let _ = n;
}
