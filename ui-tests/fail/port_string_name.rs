use landlock_runtime::sandbox;

#[sandbox(connect = ["https", "web"])]
fn load() {}

fn main() {
    load();
}
