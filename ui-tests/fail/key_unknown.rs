use landlock_runtime::sandbox;

#[sandbox(read = "/etc", network = "*")]
fn load() {}

fn main() {
    load();
}
