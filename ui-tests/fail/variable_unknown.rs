use landlock_runtime::sandbox;

#[sandbox(write = "$TEMP/out")]
fn load() {}

fn main() {
    load();
}
