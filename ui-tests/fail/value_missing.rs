use landlock_runtime::sandbox;

#[sandbox(read = , write = "$TMP")]
fn load() {}

fn main() {
    load();
}
