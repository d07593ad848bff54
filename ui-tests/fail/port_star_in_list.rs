use landlock_runtime::sandbox;

#[sandbox(connect = [443, "*"])]
fn load() {}

fn main() {
    load();
}
