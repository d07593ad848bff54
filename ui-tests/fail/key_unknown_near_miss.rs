use landlock_runtime::sandbox;

#[sandbox(raed = "/etc")]
fn load() {}

fn main() {
    load();
}
