use landlock_runtime::sandbox;

#[sandbox(write = "$TMPdir")]
fn load() {}

fn main() {
    load();
}
