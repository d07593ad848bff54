use landlock_runtime::sandbox;

#[sandbox(write == "$TMP")]
fn load() {}

fn main() {
    load();
}
