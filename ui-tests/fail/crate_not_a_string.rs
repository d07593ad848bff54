use landlock_runtime::sandbox;

#[sandbox(read = "/etc", crate = landlock_runtime)]
fn load() {}

fn main() {
    load();
}
