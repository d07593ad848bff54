use landlock_runtime::sandbox;

#[sandbox(read = ["/etc", "$TMP"], write = "$TMP/")]
fn load() {}

fn main() {
    load();
}
