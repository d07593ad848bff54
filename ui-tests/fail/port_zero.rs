use landlock_runtime::sandbox;

#[sandbox(bind = 0)]
fn load() {}

fn main() {
    load();
}
