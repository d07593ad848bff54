use landlock_runtime::sandbox;

#[sandbox(read = "/etc", write = "$TMP")]
fn main() {
    println!(
        "{:?}",
        std::fs::read_to_string("/etc/hostname").map(|s| s.len())
    );
    println!("{:?}", std::fs::read_dir("/usr").map(|_| ()));
    println!("{:?}", landlock_runtime::in_force());
}
