use landlock_runtime::sandbox;

#[sandbox(read = "$EXE_DIR/../share")]
fn load() {}

fn main() {
    load();
}
