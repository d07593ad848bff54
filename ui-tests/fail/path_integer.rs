use landlock_runtime::sandbox;

#[sandbox(read = 5)]
fn load() {}

fn main() {
    load();
}
