use landlock_runtime::block;

fn main() {
    let n: usize = block::sandbox!(read = "/etc" => let text = String::new(); text.len()).unwrap();
    let _ = n;
}
