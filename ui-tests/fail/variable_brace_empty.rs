use landlock_runtime::sandbox;

#[sandbox(read = "${}/app")]
fn load() {}

fn main() {
    load();
}
