use landlock_runtime::sandbox;

#[sandbox(read = "/etc", strict = true)]
fn load() {}

fn main() {
    load();
}
