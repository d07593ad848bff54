use landlock_runtime::sandbox;

#[sandbox(read = "/etc", process, own_thread)]
fn load() {}

fn main() {
    load();
}
