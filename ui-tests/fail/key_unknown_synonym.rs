use landlock_runtime::sandbox;

#[sandbox(readonly = "/etc", network = 443)]
fn load() {}

fn main() {
    load();
}
