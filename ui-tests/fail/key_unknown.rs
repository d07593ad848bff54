use landlock_runtime::sandbox;

#[sandbox(read = "/etc", timeout = 30)]
fn load() {}

fn main() {
    load();
}
