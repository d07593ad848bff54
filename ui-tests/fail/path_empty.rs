use landlock_runtime::sandbox;

#[sandbox(read = ["", "?"])]
fn load() {}

fn main() {
    load();
}
