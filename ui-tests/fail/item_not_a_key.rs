use landlock_runtime::sandbox;

#[sandbox(["/etc"])]
fn load() {}

fn main() {
    load();
}
