use landlock_runtime::sandbox;

#[sandbox(read: "/etc")]
fn load() {}

fn main() {
    load();
}
