use landlock_runtime::sandbox;

#[sandbox(read, connect)]
fn load() {}

fn main() {
    load();
}
