use landlock_runtime::sandbox;

#[sandbox(read = "/etc", isolated)]
fn load() {}

fn main() {
    load();
}
