use landlock_runtime::sandbox;

#[sandbox(read = "/etc" write = "$TMP")]
fn load() {}

fn main() {
    load();
}
