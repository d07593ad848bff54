use landlock_runtime::sandbox;

#[sandbox(read = "/etc", write = "$TMP", read = "/usr")]
fn load() {}

fn main() {
    load();
}
