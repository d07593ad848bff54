use landlock_runtime::sandbox;

#[sandbox(read = "/etc", crate = "my_runtime")]
fn load() {}

fn main() {
    load();
}
