use landlock_runtime::sandbox;

#[sandbox(connect = ["http", 443])]
fn load() {}

fn main() {
    load();
}
