use landlock_runtime::sandbox;

#[sandbox(read = "/srv/./data")]
fn load() {}

fn main() {
    load();
}
