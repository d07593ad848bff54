use landlock_runtime::sandbox;

#[sandbox(connect = [443, 65536])]
fn load() {}

fn main() {
    load();
}
